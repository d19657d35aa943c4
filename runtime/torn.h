/* torn.h -- the public API of libtorn, the runtime of torn applications.
 *
 * A torn application is a .troute file compiled by tornc plus the user's
 * handlers. tornc generates the route table (an re2c automaton), a typed
 * argument struct per route and a `tn_app_t` describing the application;
 * libtorn owns everything else: the libuv loop, the listening socket,
 * HTTP/1.1 parsing and the responses.
 *
 * Conventions (libuv's): public names start with `tn_`, internal ones with
 * `tn__`; types end in `_t`, callbacks in `_cb`. Functions that can fail
 * return 0 or a negative TN_E* error code (see TN_ERRNO_MAP below).
 *
 * A handler receives a `tn_req_t *`. Everything it reads from the request
 * (path, headers, body) points into the connection's read buffer and is
 * valid until the handler returns. Everything it writes is copied, so the
 * caller may reuse its memory at once.
 */
#ifndef TORN_H
#define TORN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TN_VERSION "0.1.0"

/* --- Errors ------------------------------------------------------------ */

/* One table generates the error enum, the names and the messages. */
#define TN_ERRNO_MAP(X)                                                     \
  X(ENOTFOUND, -1, "no route matches the path")                            \
  X(EMETHOD, -2, "the path does not accept this method")                   \
  X(EINVAL, -3, "invalid argument")                                        \
  X(ENOMEM, -4, "out of memory")                                           \
  X(ERANGE, -5, "value out of range")                                      \
  X(EHEADER, -6, "header name or value not allowed")                       \
  X(ESTATE, -7, "the response has already been sent")                    \
  X(ENOROUTE, -8, "no route has that name")                               \
  X(EARITY, -9, "wrong number of arguments for the route")                \
  X(ECLOSED, -10, "the WebSocket connection is closing or closed")

typedef enum {
#define TN__ERRNO_ENUM(name, value, msg) TN_##name = value,
  TN_ERRNO_MAP(TN__ERRNO_ENUM)
#undef TN__ERRNO_ENUM
} tn_errno_t;

/* The symbolic name of an error code ("TN_ENOTFOUND"), or "unknown". */
const char *tn_err_name(int err);
/* A human-readable message for an error code. */
const char *tn_strerror(int err);

/* --- Strings ----------------------------------------------------------- */

/* A length-carrying string; not NUL-terminated. */
typedef struct {
  const char *ptr;
  size_t len;
} tn_str_t;

/* --- Methods ----------------------------------------------------------- */

/* Request methods as bits, so a route can hold a set of them. */
enum {
  TN_METHOD_GET = 1u << 0,
  TN_METHOD_HEAD = 1u << 1,
  TN_METHOD_POST = 1u << 2,
  TN_METHOD_PUT = 1u << 3,
  TN_METHOD_PATCH = 1u << 4,
  TN_METHOD_DELETE = 1u << 5,
  TN_METHOD_OPTIONS = 1u << 6,
  TN_METHOD_OTHER = 1u << 7 /* a well-formed token torn has no route kind for */
};

/* The name of one method bit ("GET"), or NULL if `method` is not one bit. */
const char *tn_method_name(unsigned method);

/* --- Requests ---------------------------------------------------------- */

typedef struct tn_req_s tn_req_t;

/* The method as one TN_METHOD_* bit. */
unsigned tn_req_method(const tn_req_t *req);
/* The method as sent ("GET", "PROPFIND"...). */
tn_str_t tn_req_method_str(const tn_req_t *req);
/* The request target as sent: path plus "?query" if any. */
tn_str_t tn_req_uri(const tn_req_t *req);
/* The path part of the target, before any '?'. Not percent-decoded. */
tn_str_t tn_req_path(const tn_req_t *req);
/* The query part of the target, after the '?' (empty if none). */
tn_str_t tn_req_query(const tn_req_t *req);
/* The request body (empty if none). */
tn_str_t tn_req_body(const tn_req_t *req);
/* The first header named `name` (compared case-insensitively), or
 * {NULL, 0} if the request has none. */
tn_str_t tn_req_header(const tn_req_t *req, const char *name);

/* Memory that lives until the request ends (its response is sent), then
 * is freed at once: for handler scratch and decoded parameters. Aligned
 * for any type; NULL when out of memory. */
void *tn_req_alloc(tn_req_t *req, size_t size);

/* --- Request arguments -------------------------------------------------- */

/* Tornado's get_argument and friends, over the query string and a body
 * sent as application/x-www-form-urlencoded or multipart/form-data (the
 * type compared case-insensitively, parameters such as "; charset=UTF-8"
 * allowed; any other body, or one with a Content-Encoding, has no
 * arguments).
 *
 * The query and a urlencoded body are parsed as Tornado does (urllib's
 * parse_qsl with keep_blank_values=True): pieces split on '&' only, empty
 * ones skipped; "a" alone is `a` with the value ""; "=x" is the argument
 * named ""; '+' is a space and %XX a byte, in names and values; a
 * malformed escape ("%zz", a lone '%') is kept as written. Each value is
 * then cleaned as get_argument(strip=True) does: control characters but
 * \t \n \v \f \r become spaces (a decoded "%00" too, so a value is always
 * a whole C string), and leading and trailing whitespace is stripped --
 * ASCII and the Unicode spaces in UTF-8. Names are compared byte for
 * byte, case sensitive, and are neither cleaned nor stripped. The fields
 * of a multipart body (its parts without a filename; see Uploaded files
 * below for how it is read) are body arguments too: the name is the
 * part's `name` parameter, the value the part's content, cleaned the same
 * way.
 *
 * Unlike Tornado, which answers 400 to a value that is not UTF-8, the
 * bytes pass through as sent: check them before handing them to anything
 * that requires UTF-8 (jansson's json_string returns NULL for them).
 *
 * Each source is parsed once, on the first call that needs it; values are
 * NUL-terminated, in request memory (tn_req_alloc), valid until the
 * request ends.
 *
 * A call that fails has answered the request -- replacing anything the
 * handler set or wrote before -- and returns NULL or a negative count:
 * the handler then just returns. It fails out of memory (500) and, when
 * it reads the body, for a malformed multipart body: 400 with the reason
 * in the error page ("400: Bad Request (Invalid multipart/form-data: no
 * final boundary)"), from every call that reads the body. Tornado answers
 * that 400 before the handler runs; here a handler that never reads the
 * body's arguments or files is never failed by it (a GET with a junk
 * body), and the query-only calls never are. */

/* The last value of argument `name` from the query string and the body
 * (a body value wins: it comes after the query's), or `def` when there is
 * none; NULL after a failure (above). With a NULL `def`, NULL is also "no
 * such argument": when that matters, pass a default to compare with. */
const char *tn_get_argument(tn_req_t *req, const char *name, const char *def);
/* The same from the query string only (get_query_argument) or the body
 * only (get_body_argument). */
const char *tn_get_query_argument(tn_req_t *req, const char *name,
                                  const char *def);
const char *tn_get_body_argument(tn_req_t *req, const char *name,
                                 const char *def);

/* All the values of `name`, in order, the query's first then the body's
 * (get_arguments). Returns their count and sets *values to an array of
 * them in request memory (NULL when the count is 0); after a failure
 * (above) TN_ENOMEM, or TN_EINVAL for a malformed body, with *values
 * NULL. */
int tn_get_arguments(tn_req_t *req, const char *name, const char ***values);
/* The same from the query string only, or the body only. */
int tn_get_query_arguments(tn_req_t *req, const char *name,
                           const char ***values);
int tn_get_body_arguments(tn_req_t *req, const char *name,
                          const char ***values);

/* A required argument (get_argument without a default): its last value,
 * as tn_get_argument; or NULL after answering 400 with "Missing argument
 * NAME" in the error page (Tornado's MissingArgumentError), which replaces
 * anything the handler set or wrote before, or after a failure (above).
 * NULL means the request has been answered: the handler just returns.
 * Present with an empty value ("?q=" or "?q") is present: "" is
 * returned. */
const char *tn_require_argument(tn_req_t *req, const char *name);

/* --- Uploaded files ----------------------------------------------------- */

/* The files of a multipart/form-data body (Tornado's request.files): its
 * parts whose Content-Disposition has a non-empty `filename`. A form's
 * <input type="file" name="photo" multiple> sends one part per file, all
 * named "photo".
 *
 * The body is read as Tornado 6.2's parse_multipart_form_data reads it:
 *   - the boundary B is the Content-Type's first "boundary=" parameter,
 *     double quotes around it removed (the parameters are split on ';'
 *     only; "boundary" is case sensitive);
 *   - the parts are what precedes the LAST "--B--" (what follows it, an
 *     epilogue, is ignored), split on "--B\r\n" -- a delimiter followed
 *     by a bare LF is no delimiter. Every non-empty piece must be a part,
 *     so anything before the first delimiter (a preamble) is malformed
 *     unless it reads as a part itself;
 *   - a part is header lines (UTF-8, each ended by CRLF or a bare LF; a
 *     line starting with whitespace continues the one before), an empty
 *     line (CRLF CRLF), the content, and the CRLF that the next delimiter
 *     follows, which is not part of the content;
 *   - its Content-Disposition must be `form-data` (exactly, lower case)
 *     with a non-empty `name` parameter; header and parameter names are
 *     compared case-insensitively. A parameter value may be quoted (a ';'
 *     inside the quotes does not split, \" is a quote) or, RFC 2231,
 *     encoded (filename*=UTF-8''%E2%82%AC.txt, which wins over a plain
 *     filename) and continued (filename*0=, filename*1*=...). Its charset
 *     may be UTF-8, US-ASCII or ISO-8859-1 (what is not valid in it
 *     becomes U+FFFD); any other is read as Python reads a charset it
 *     does not know, a byte per character as in ISO-8859-1 (Python knows
 *     more: windows-1252, Shift_JIS...). Python's quirks are kept: an
 *     encoded value keeps a backslash before each \ and " it holds, and a
 *     character beyond U+00FF sent raw in one reads as its \uXXXX;
 *   - a non-empty `filename` makes the part a file; anything else is a
 *     field, a body argument (above).
 * Anything else -- an empty body included: it has no final boundary --
 * is malformed, and the whole body is refused: 400 from the first call
 * that reads the body (see Request arguments).
 *
 * A file's name, filename and content type are NUL-terminated UTF-8 in
 * request memory (a NUL sent inside one, raw or as %00, ends it early);
 * its body points into the request body, any bytes, NULs included, never
 * copied. All are valid until the request ends. The filename is whatever
 * the client sent: it may hold '/', "..", anything; never use it as a
 * path without checking it. */
typedef struct {
  const char *name;         /* the form field's name; never empty */
  const char *filename;     /* decoded; never empty */
  const char *content_type; /* the part's Content-Type, or
                               "application/unknown" when it has none */
  tn_str_t body;            /* the content */
} tn_file_t;

/* The files sent for field `name`, in the order sent (request.files[name]
 * in Tornado): returns their count and sets *files to an array of them
 * (NULL when the count is 0). After a failure (see Request arguments) it
 * returns TN_ENOMEM, or TN_EINVAL for a malformed body, with *files NULL:
 * the request has been answered, the handler just returns. */
int tn_get_files(tn_req_t *req, const char *name, const tn_file_t **files);
/* Every file of the body, whatever its field, in the order sent; returns
 * as tn_get_files. */
int tn_get_all_files(tn_req_t *req, const tn_file_t **files);

/* --- JSON bodies -------------------------------------------------------- */

/* The request body parsed as JSON: what a Tornado handler gets from
 * json.loads(self.request.body). Any JSON value is accepted (an object, an
 * array, a string, a number, true, false, null), in UTF-8; the
 * Content-Type is not looked at. It is parsed on the first call; the
 * value is borrowed from the request, which releases it when it ends:
 * never json_decref it, json_incref it to keep it longer.
 *
 * An empty body, or one that is not JSON, is answered 400 with the reason
 * and where in the page ("400: Bad Request (Invalid JSON body: '[' or '{'
 * expected near 'x' (line 1, column 1, byte 1))"), and out of memory
 * 500; NULL is then returned, and the handler just returns. jansson is
 * stricter than Python's json: it refuses NaN and Infinity, integers
 * beyond 64 bits, lone UTF-16 surrogates ("\ud800"), and -- torn's choice,
 * so that json_string_value() is always the whole string -- "\u0000"
 * inside a string. */
json_t *tn_get_json_body(tn_req_t *req);

/* --- Responses --------------------------------------------------------- */

/* Set the status code (default 200). Returns TN_EINVAL outside 100..599. */
int tn_set_status(tn_req_t *req, int status);
/* Add a response header, keeping any of the same name (Set-Cookie,
 * Link...): Tornado's add_header. Checked as tn_set_header. */
int tn_add_header(tn_req_t *req, const char *name, const char *value);
/* Set a response header, replacing one of the same name. Names must be
 * tokens and values must not hold control characters (CR and LF above
 * all, which would let a value start a header of its own) other than tab,
 * nor DEL: anything else is refused with TN_EHEADER and nothing is sent.
 * Content-Length, Date, Server, Connection and Transfer-Encoding are the
 * runtime's own and refused as TN_EINVAL. A handler may set 32 headers
 * (TN_ENOMEM beyond). */
int tn_set_header(tn_req_t *req, const char *name, const char *value);
/* Append to the body: a NUL-terminated string, `len` bytes, or printf. */
int tn_write(tn_req_t *req, const char *text);
int tn_write_len(tn_req_t *req, const void *data, size_t len);
int tn_printf(tn_req_t *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int tn_vprintf(tn_req_t *req, const char *fmt, va_list ap);
/* Append `value` serialised as JSON and set Content-Type to
 * application/json, as Tornado's write(dict) does ("</" is written as "<\/"
 * so the JSON can sit inside a <script>). tn_write_json borrows the
 * reference; tn_write_json_new steals it (jansson's "_new" convention), so
 * tn_write_json_new(req, json_pack(...)) leaks nothing. */
int tn_write_json(tn_req_t *req, const json_t *value);
int tn_write_json_new(tn_req_t *req, json_t *value);

/* Answers with an error page for `status` (400..599), as Tornado's
 * send_error: what was set or written is discarded, and the app's
 * write_error hook (or the default page) writes the page; `detail`
 * (NULL for none) is passed to the hook and shown by the default page.
 * TN_ESTATE once tn_flush() has sent the status. */
int tn_send_error(tn_req_t *req, int status, const char *detail);

/* Redirect to `url` with `status` (301, 302, 303, 307 or 308; anything
 * else is TN_EINVAL): sets Location and an empty body. Tornado's
 * self.redirect(). A URL with CR, LF or NUL is refused (TN_EHEADER). */
int tn_redirect(tn_req_t *req, const char *url, int status);

/* --- Asynchronous handlers --------------------------------------------- */

/* A route declared `async` (`route poll GET "/poll" -> poll async;`) is
 * Tornado's `async def` handler: returning from the handler does not end
 * the request. The handler (or any callback it set up) ends it later with
 * tn_finish(); until then the request, everything read from it and
 * everything written to it stay valid, and requests pipelined behind it on
 * the same connection wait, so responses leave in order.
 *
 * Every function here must be called on the request's loop (the worker
 * thread that called the handler); tn_run_in_executor is how work gets off
 * it. A plain (not async) route may call tn_finish and tn_flush too: they
 * do nothing there, since its response goes out when the handler
 * returns. */

typedef void (*tn_req_cb)(tn_req_t *req, void *data);
typedef void (*tn_work_cb)(void *data);

/* Ends the response: what was written is sent (with a Content-Length, or
 * as the last chunk after tn_flush). Returns TN_ESTATE when called twice.
 * If the client has already gone, nothing is sent and the request is just
 * freed. The request must not be used after this call. */
int tn_finish(tn_req_t *req);
/* Sends the status, headers and body written so far now, and each later
 * flush sends what was written since (chunked transfer coding, or for an
 * HTTP/1.0 client the body up to the connection's close): for streaming
 * and long-lived responses. Headers set after the first flush are
 * ignored. */
int tn_flush(tn_req_t *req);
/* Whether tn_finish() has been called. */
bool tn_req_finished(const tn_req_t *req);

/* Calls `cb` once when the client closes the connection before the
 * request has finished (Tornado's on_connection_close). The handler still
 * ends the request with tn_finish(), which then sends nothing. One
 * callback per request; a second call replaces the first. */
int tn_on_connection_close(tn_req_t *req, tn_req_cb cb, void *data);
/* Whether the client has gone (the close callback has run). */
bool tn_req_connection_closed(const tn_req_t *req);

/* Calls `cb(req, data)` on the loop after `ms` milliseconds
 * (IOLoop.call_later). Timers still pending when the request finishes are
 * cancelled: their callbacks never run. */
int tn_call_later(tn_req_t *req, uint64_t ms, tn_req_cb cb, void *data);

/* Runs `run(data)` on libuv's thread pool, then `done(req, data)` back on
 * the request's loop (Tornado's run_in_executor): for blocking work (a
 * file, a database driver, a password hash). `run` must not touch the
 * request or call any tn_ function. If the request has already finished
 * when the work completes, `done` is called with req NULL, so it can
 * still free `data`. The pool has UV_THREADPOOL_SIZE threads (libuv's
 * default 4), shared by every worker of the process. */
int tn_run_in_executor(tn_req_t *req, tn_work_cb run, tn_req_cb done,
                       void *data);

/* The libuv loop of the request's worker, for anything else the handler
 * wants to wait on. Handles made on it belong to the caller. */
struct uv_loop_s *tn_req_loop(const tn_req_t *req);

/* --- WebSocket (RFC 6455, with permessage-deflate of RFC 7692) ---------- */

/* `websocket chat "/chat/{room:slug}" -> chat;` in the .troute file
 * declares a WebSocket endpoint with typed path parameters, reversible like
 * a route (APP_url_chat). Its handler is a struct of callbacks the user
 * defines, of a type tornc generates for it in APP.h:
 *
 *   const struct APP_chat_ws chat = {
 *     .open = chat_open,         // may refuse the upgrade
 *     .message = chat_message,   // every text or binary message
 *     .close = chat_close,       // once, however the connection ended
 *   };
 *
 * Every member may be left NULL. The members, Tornado's WebSocketHandler
 * methods of the same names:
 *   int open(tn_ws_t *ws, tn_req_t *req, const struct APP_chat_args *args)
 *       (without `args` when the path has no parameters) runs before the
 *       upgrade. Return 0 to accept, or an HTTP status (403...) to refuse:
 *       the client gets that error page, or whatever response open itself
 *       made (tn_redirect, tn_send_error). `req` is the upgrade request,
 *       valid until open returns; `ws` may already be given user data,
 *       groups and messages, which leave after the 101.
 *   void message(tn_ws_t *ws, const tn_ws_msg_t *msg)
 *   void close(tn_ws_t *ws, int code, tn_str_t reason)
 *       the code the peer closed with, or TN_WS_NO_STATUS (1005) for a
 *       close frame without one, TN_WS_ABNORMAL (1006) when the connection
 *       was lost without a close handshake; after it returns, `ws` is gone.
 *   void pong(tn_ws_t *ws, tn_str_t data)
 *   bool check_origin(tn_req_t *req, tn_str_t origin)
 *       whether a browser page of `origin` may connect; NULL means
 *       tn_ws_same_origin. A refusal is a 403.
 *   const char *select_subprotocol(tn_req_t *req, const tn_str_t *offered,
 *                                  size_t n)
 *       one of the Sec-WebSocket-Protocol values offered (they are listed in
 *       order), or NULL for none; called only when some are offered.
 *
 * Settings (.troute, for the whole app; see docs/websocket.md):
 *   websocket_max_message_size SIZE;  default 10M; per endpoint with the
 *                                     `max_message_size SIZE` attribute
 *   websocket_ping_interval SECONDS;  keep-alive pings; default none
 *   websocket_ping_timeout SECONDS;   no pong within it: closed; default
 *                                     3 intervals, at least 30 seconds
 *   websocket_max_queue SIZE;         outgoing bytes a connection may have
 *                                     queued; default 4M
 *   websocket_compression off;        permessage-deflate; default on
 *
 * Every tn_ws_ function must be called on the connection's loop: in its
 * callbacks, a timer or a tn_run_in_executor completion of that worker. A
 * `tn_ws_t *` may be kept (in user data, a list) until its close callback
 * returns, and must not be used after. */

typedef struct tn_ws_s tn_ws_t;

/* Message kinds: the data frame opcodes. */
enum {
  TN_WS_TEXT = 1,  /* UTF-8 text, checked before delivery */
  TN_WS_BINARY = 2
};

/* Close codes (RFC 6455 7.4.1). */
enum {
  TN_WS_NORMAL = 1000,
  TN_WS_GOING_AWAY = 1001,     /* the server stops; a page navigates away */
  TN_WS_PROTOCOL_ERROR = 1002,
  TN_WS_UNSUPPORTED = 1003,    /* a kind of message the endpoint refuses */
  TN_WS_NO_STATUS = 1005,      /* never sent: a close frame without a code */
  TN_WS_ABNORMAL = 1006,       /* never sent: no close frame at all */
  TN_WS_INVALID_DATA = 1007,   /* text that is not UTF-8 */
  TN_WS_POLICY = 1008,         /* also: the outgoing queue overflowed */
  TN_WS_TOO_BIG = 1009,        /* a message over max_message_size */
  TN_WS_INTERNAL_ERROR = 1011
};

/* A complete message, reassembled from its fragments and decompressed. */
typedef struct {
  int opcode;       /* TN_WS_TEXT or TN_WS_BINARY */
  const char *data; /* valid until the message callback returns; not
                       NUL-terminated */
  size_t len;
} tn_ws_msg_t;

/* Sends a message: `opcode` TN_WS_TEXT (`data` must be UTF-8: TN_EINVAL
 * otherwise) or TN_WS_BINARY. Compressed when the connection negotiated
 * permessage-deflate and it is worth it. Returns 0 once queued,
 * TN_ECLOSED after a close, TN_ENOMEM. A connection whose queue already
 * holds more than websocket_max_queue bytes the peer has not taken is
 * closed with 1008 (the slow-consumer policy: never unbounded memory, never
 * a message silently lost) and TN_ECLOSED returned. */
int tn_ws_send(tn_ws_t *ws, int opcode, const void *data, size_t len);
/* tn_ws_send of a NUL-terminated text. */
int tn_ws_send_text(tn_ws_t *ws, const char *text);
/* tn_ws_send of a JSON value as text (compact). */
int tn_ws_send_json(tn_ws_t *ws, const json_t *value);
/* Sends a ping (at most 125 bytes: TN_EINVAL beyond); the pong callback
 * gets the answer. */
int tn_ws_ping(tn_ws_t *ws, const void *data, size_t len);
/* Starts the close handshake: `code` 1000, 1001, 1003, 1007..1014 or
 * 3000..4999 (TN_EINVAL otherwise), `reason` NULL or UTF-8 of at most 123
 * bytes. The connection ends when the peer answers, or after a timeout;
 * the close callback runs then. Messages still arriving are dropped.
 * TN_ECLOSED when closing already. */
int tn_ws_close(tn_ws_t *ws, int code, const char *reason);

/* Per-connection user data (NULL until set). */
void tn_ws_set_data(tn_ws_t *ws, void *data);
void *tn_ws_data(const tn_ws_t *ws);
/* The subprotocol agreed on, or NULL. */
const char *tn_ws_subprotocol(const tn_ws_t *ws);
/* The client's address, as tn_req_remote_ip gave it for the upgrade. */
const char *tn_ws_remote_ip(const tn_ws_t *ws);
/* The worker's loop, for timers of the handler's own. */
struct uv_loop_s *tn_ws_loop(const tn_ws_t *ws);

/* Groups, for broadcast: a connection joins any number of named groups
 * (names are any NUL-terminated string) and leaves them all when it
 * closes, after its close callback (which may still broadcast to them).
 * Joining again is a no-op; leaving a group not joined too. tn_ws_join
 * returns 0, TN_ENOMEM, or TN_ECLOSED from the close callback. */
int tn_ws_join(tn_ws_t *ws, const char *group);
int tn_ws_leave(tn_ws_t *ws, const char *group);
/* Sends a message to every connection in `group` on every worker, the
 * sender too if it is a member. Local members get it before this returns;
 * the other workers' members on their next loop turn. Each member's
 * queue limit applies as for tn_ws_send. Returns 0, TN_EINVAL (text not
 * UTF-8), TN_ENOMEM. From a WebSocket callback: */
int tn_ws_broadcast(tn_ws_t *ws, const char *group, int opcode,
                    const void *data, size_t len);
/* ... and from an HTTP handler (a chat's POST /message, say). */
int tn_req_broadcast(tn_req_t *req, const char *group, int opcode,
                     const void *data, size_t len);

/* Tornado's default check_origin: true when `origin` is empty (not a
 * browser) or its host[:port] equals the request's Host, ignoring case. */
bool tn_ws_same_origin(tn_req_t *req, tn_str_t origin);

/* --- Cookies ----------------------------------------------------------- */

/* Request cookies, read as Tornado's get_cookie reads them. Every Cookie
 * header is split on ';' into `name=value` pairs (at the first '=';
 * a piece without '=' is a value with an empty name), each side stripped
 * of whitespace; a value in double quotes loses them, and inside them
 * \NNN (octal) is that byte and \c is c, as Python's cookie unquoting
 * does. Names are compared byte for byte, case sensitive; when a name
 * comes more than once, the last one wins (Tornado keeps a dict). As in
 * Tornado, a cookie whose name is empty, holds a character outside the
 * token characters and ':', or is an attribute name (Path, Expires,
 * Domain, Max-Age, Secure, HttpOnly, Version, Comment, SameSite, in any
 * case) cannot be read. Two differences: several Cookie headers are read
 * as if joined by "; " (Tornado joins them with ',', running the last
 * value of one into the first of the next), and only ASCII whitespace is
 * stripped (Tornado, which reads the header as latin-1, also strips a
 * 0x85 or 0xA0 byte, cutting a UTF-8 character such as "à" in two).
 *
 * The headers are parsed once, on the first call, into request memory
 * (tn_req_alloc): values are NUL-terminated and valid until the request
 * ends. A value holding a NUL (sent as \000 in quotes) reads as a C
 * string up to it. Only the request's cookies are seen, not those the
 * handler sets. */

/* The value of cookie `name`, or `def` when the request has none. Out of
 * memory it answers 500 and returns NULL: the handler then just returns
 * (as tn_get_argument). */
const char *tn_get_cookie(tn_req_t *req, const char *name, const char *def);

/* The attributes of a Set-Cookie. A zeroed struct (or NULL for the
 * whole) gives Tornado's set_cookie defaults: Path=/, nothing else, a
 * session cookie. */
typedef struct {
  const char *path;    /* Path; NULL: "/"; "": no Path attribute */
  const char *domain;  /* Domain; NULL or "": none (this host only) */
  int64_t expires;     /* expires=, seconds since the epoch; 0: none */
  double expires_days; /* when `expires` is 0: expires= now plus this many
                          days (may be fractional or negative); 0: none */
  int64_t max_age;     /* Max-Age= in seconds when > 0; < 0 sends Max-Age=0
                          (delete now); 0: none */
  int http_only;       /* HttpOnly: hidden from JavaScript */
  int secure;          /* Secure: sent over HTTPS only */
  const char *same_site; /* SameSite: "Strict", "Lax" or "None" (any case;
                            written so); NULL: none. Browsers drop
                            SameSite=None without Secure. */
} tn_cookie_opts_t;

/* Sets cookie `name` to `value` with the attributes of `opts` (NULL: the
 * defaults above): one Set-Cookie header, written as Tornado writes it
 * ("name=value; Domain=..; expires=<IMF-fixdate>; HttpOnly; Max-Age=N;
 * Path=/; SameSite=Lax; Secure"). A later call for the same name in this
 * response replaces the earlier one, as in Tornado.
 *
 * The name must be token characters or ':' and not an attribute name
 * (the names tn_get_cookie can read); the value must be RFC 6265
 * cookie-octets only: printable ASCII but space, '"', ',', ';' and '\\'
 * (empty is allowed). Path and Domain must not hold ';' or control
 * characters. Anything else is refused with TN_EHEADER and nothing is
 * set: where Tornado quotes such a value in Python's own escapes ("a;b"
 * as "\"a\\073b\""), which browsers and JavaScript do not decode, torn
 * refuses it -- encode it first (base64, %XX), or sign it: a signed
 * value is always cookie-octets. TN_EINVAL for a same_site other than
 * the three or an expires_days that is NaN; TN_ENOMEM when out of memory
 * or past the response's header limit. */
int tn_set_cookie(tn_req_t *req, const char *name, const char *value,
                  const tn_cookie_opts_t *opts);

/* Deletes cookie `name` in the browser (Tornado's clear_cookie): sets it
 * to "" with expires a year ago and Max-Age=0. A cookie is only deleted
 * by the Path and Domain it was set with: pass them in `opts` (NULL: "/"
 * and none); its other attributes (Secure, SameSite...) are kept, the
 * expiry ones ignored. Returns as tn_set_cookie. */
int tn_clear_cookie(tn_req_t *req, const char *name,
                    const tn_cookie_opts_t *opts);

/* Signed cookies: Tornado's set_secure_cookie and get_secure_cookie,
 * interchangeable with Tornado's in both directions (same cookie_secret,
 * same format). The value is signed with HMAC-SHA256 under the server's
 * cookie_secret (tn_options_t) and timestamped, so it cannot be forged or
 * altered, but it is only base64-encoded: anyone can read it. Tornado's
 * version 2 format is written:
 *
 *   2|1:0|10:<timestamp>|<n>:<name>|<n>:<base64 value>|<hex signature>
 *
 * and versions 2 and 1 (HMAC-SHA1, Tornado before 3.2.1) are read. A
 * value is refused -- read as absent -- when its signature, name or
 * format is wrong, when it is older than `max_age_days`, and (version 1
 * only, as Tornado) when dated more than 31 days ahead. Tornado's
 * key_version dict of secrets is not supported: any key version is
 * checked against the one secret, as Tornado does with a single one. */

/* Sets cookie `name` to `len` bytes of `value` (any bytes), signed and
 * timestamped now. `opts` NULL is Tornado's default expires_days=30;
 * given, it is used as it is (expires_days 0: a session cookie). Returns
 * 0, TN_EINVAL when no cookie_secret is configured (NULL or ""), or an
 * error of tn_set_cookie. */
int tn_set_signed_cookie(tn_req_t *req, const char *name, const void *value,
                         size_t len, const tn_cookie_opts_t *opts);

/* The value of signed cookie `name` when it is valid and signed no more
 * than `max_age_days` ago (<= 0: Tornado's default, 31), else NULL --
 * also when no cookie_secret is configured. The value is NUL-terminated
 * in request memory; its length, which counts any NUL inside, goes to
 * *len when `len` is not NULL. Out of memory it answers 500 and returns
 * NULL (as tn_get_cookie). */
const char *tn_get_signed_cookie(tn_req_t *req, const char *name,
                                 double max_age_days, size_t *len);

/* The same signing outside cookies (Tornado's create_signed_value and
 * decode_signed_value, with their clock as `now`, seconds since the
 * epoch). tn_create_signed_value writes the version 2 value for `name`
 * and `len` bytes of `value` to `out` followed by a NUL only when it fits
 * (length < size), and returns its length either way; TN_EINVAL for no
 * secret or `now` < 0, TN_ERANGE past INT_MAX. tn_decode_signed_value
 * writes the value of a valid `len`-byte signed value to `out` (room for
 * len + 1 bytes), NUL-terminated, its length to *out_len, and returns 0;
 * or TN_EINVAL for anything refused (see above; `max_age_days` as for
 * tn_get_signed_cookie), TN_ENOMEM. */
int tn_create_signed_value(const char *secret, const char *name,
                           const void *value, size_t len, int64_t now,
                           char *out, size_t size);
int tn_decode_signed_value(const char *secret, const char *name,
                           const char *value, size_t len,
                           double max_age_days, int64_t now, char *out,
                           size_t *out_len);

/* XSRF protection (Tornado's xsrf_cookies). A random 16-byte token lives
 * in the `_xsrf` cookie (Path=/, readable by JavaScript; expires in 30
 * days when tn_current_user() has a user, else a session cookie). Pages
 * embed it masked, a fresh random mask per request, so that compressed
 * pages do not leak it (BREACH). With `xsrf_cookies on;` every POST, PUT,
 * PATCH and DELETE (any method but GET, HEAD and OPTIONS) to a handler
 * must send the token, masked or not, in the `_xsrf` argument (query or
 * form body, see tn_get_argument) or the X-XSRFToken or X-CSRFToken
 * header; else the runtime answers 403 before the handler, with the
 * reason in the page as Tornado gives it: "'_xsrf' argument missing from
 * POST", "'_xsrf' argument has invalid format" or "XSRF cookie does not
 * match POST argument" (for every method; also when the request has no
 * cookie). Tokens are Tornado's: versions 2 and 1 of the token and
 * cookie are read, and a Tornado app and a torn app accept each other's.
 * No cookie_secret is needed. */

/* The masked token, "2|<mask>|<masked token>|<timestamp>" (hex, 4-byte
 * mask), the same for every call during one request. The first call of
 * a request without a valid `_xsrf` cookie makes a new token and sets
 * the cookie. NUL-terminated in request memory; NULL after answering 500
 * when out of memory or the cookie cannot be set. */
const char *tn_xsrf_token(tn_req_t *req);

/* `<input type="hidden" name="_xsrf" value="TOKEN"/>` for a form, byte
 * for byte Tornado's xsrf_form_html (the token needs no HTML escaping).
 * In request memory; NULL as tn_xsrf_token. */
const char *tn_xsrf_form_html(tn_req_t *req);

/* --- Buffers ----------------------------------------------------------- */

/* A growable byte buffer, kept NUL-terminated by the functions that fill
 * it (render_string, below). Start it zeroed: `tn_buf_t b = {0};`. */
typedef struct {
  char *data; /* the bytes; NULL while nothing was written */
  size_t len; /* bytes used, without the NUL */
  size_t cap; /* bytes allocated */
} tn_buf_t;

void tn_buf_free(tn_buf_t *b);

/* --- Templates (used by tornc's generated code) ------------------------ */

/* tornc compiles each `template NAME(PARAMS) = "file.html";` into
 *
 *   int APP_render_NAME(tn_req_t *req, PARAMS);         into the response
 *   int APP_render_string_NAME(tn_buf_t *out, PARAMS);  appended to `out`
 *
 * which return 0, TN_ENOMEM, or TN_EINVAL when a url() in the template got
 * a value its route parameter does not accept (the URL is then written
 * empty). What follows is the machinery those functions use: a render
 * writes straight into the buffer through `pos`, and every `{{ expr }}` is
 * written by a writer chosen by the expression's C type (tn__tpl_put). */
typedef struct tn__tpl_chunk_s tn__tpl_chunk_t;

typedef struct {
  char *pos;             /* where the next byte goes */
  char *end;             /* the end of the room reserved in `buf` */
  tn_buf_t *buf;         /* the buffer being written (its len is stale) */
  int err;               /* the first error; then writes are dropped */
  tn__tpl_chunk_t *scratch; /* memory for helper results, freed at the end */
} tn_tpl_t;

/* How an expression's text is escaped: a set of bits. tornc picks it from
 * the file's {% autoescape %} and the HTML around the expression. */
enum {
  TN__ESC_RAW = 0,
  TN__ESC_HTML = 1u << 0,     /* & < > " ' as character references */
  TN__ESC_UNQUOTED = 1u << 1, /* also blanks, = and ` (unquoted attribute) */
  TN__ESC_URL_START = 1u << 2, /* a URL attribute's start: unsafe schemes
                                  are replaced by about:invalid */
  TN__ESC_URL_COLON = 1u << 3, /* later in a URL whose scheme may still be
                                  forming: ':' percent-encoded */
  TN__ESC_URLENC = 1u << 4,   /* {% autoescape url_escape %} */
  TN__ESC_JSON = 1u << 5      /* {% autoescape json_encode %} */
};

void tn__tpl_begin(tn_tpl_t *t, tn_buf_t *buf);
/* Starts a render into the response body of `req`. */
void tn__tpl_begin_req(tn_tpl_t *t, tn_req_t *req);
/* Ends a render: fixes the buffer's length, NUL-terminates it, frees the
 * scratch memory. Returns t->err. */
int tn__tpl_end(tn_tpl_t *t);
/* Makes room for `n` more bytes; -1 (and t->err set) when out of memory. */
int tn__tpl_grow(tn_tpl_t *t, size_t n);
/* Memory that lives until tn__tpl_end (helper results); NULL (and t->err)
 * when out of memory. */
void *tn__tpl_alloc(tn_tpl_t *t, size_t n);
/* Records an error; the first one is what the render returns. */
void tn__tpl_fail(tn_tpl_t *t, int err);

/* The write position of a render, kept in the generated function's locals
 * (a register pair) rather than in the tn_tpl_t: the bytes written are
 * chars, which may alias anything, so a position in memory would be
 * stored and reloaded around every write. Each writer takes the cursor
 * and returns it moved; tn__tpl_sync puts it back before the render ends. */
typedef struct {
  char *p; /* where the next byte goes */
  char *e; /* the end of the room reserved */
} tn__cur_t;

static inline tn__cur_t tn__tpl_cur(const tn_tpl_t *t)
{
  return (tn__cur_t){t->pos, t->end};
}

static inline void tn__tpl_sync(tn_tpl_t *t, tn__cur_t c)
{
  t->pos = c.p;
}

/* Makes room for `n` bytes at `c` (out of line: the rare path). After a
 * failure the room is still short; the caller then writes nothing. */
tn__cur_t tn__tpl_more(tn_tpl_t *t, tn__cur_t c, size_t n);

/* Literal template text. */
static inline tn__cur_t tn__tpl_lit(tn_tpl_t *t, tn__cur_t c, const char *s,
                                    size_t n)
{
  if ((size_t)(c.e - c.p) < n) {
    c = tn__tpl_more(t, c, n);
    if ((size_t)(c.e - c.p) < n)
      return c;
  }
  __builtin_memcpy(c.p, s, n);
  c.p += n;
  return c;
}

/* Text escaped by `esc` (out of line: every mode but the common two). */
tn__cur_t tn__tpl_escape(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                         const char *s, size_t n);

/* The bytes HTML escaping replaces, as a bit mask over 0..63. */
#define TN__HTML_SPECIAL                                                    \
  ((1ull << '"') | (1ull << '&') | (1ull << '\'') | (1ull << '<') |         \
   (1ull << '>'))

static inline char *tn__tpl_entity(char *p, unsigned char c)
{
  switch (c) {
  case '&': __builtin_memcpy(p, "&amp;", 5); return p + 5;
  case '<': __builtin_memcpy(p, "&lt;", 4); return p + 4;
  case '>': __builtin_memcpy(p, "&gt;", 4); return p + 4;
  case '"': __builtin_memcpy(p, "&quot;", 6); return p + 6;
  default: __builtin_memcpy(p, "&#39;", 5); return p + 5;
  }
}

/* Text through `esc`. The two common modes are inline: raw, and plain
 * HTML escaping when the worst case (6 bytes per byte) fits the room. */
static inline tn__cur_t tn__tpl_text(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                                     const char *s, size_t n)
{
  if (esc == TN__ESC_RAW)
    return tn__tpl_lit(t, c, s, n);
  if (esc != TN__ESC_HTML || n > (size_t)(c.e - c.p) / 6)
    return tn__tpl_escape(t, c, esc, s, n);
  for (size_t i = 0; i < n; i++) {
    unsigned char b = (unsigned char)s[i];
    if (b < 64 && (TN__HTML_SPECIAL >> b) & 1)
      c.p = tn__tpl_entity(c.p, b);
    else
      *c.p++ = (char)b;
  }
  return c;
}

/* The writers of {{ expr }}, one per C type. */
static inline tn__cur_t tn__tpl_cstr(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                                     const char *s)
{
  if (!s)
    return c;
  if (esc != TN__ESC_HTML)
    return tn__tpl_text(t, c, esc, s, __builtin_strlen(s));
  /* HTML-escaped as it is copied, up to the NUL: no strlen first. */
  for (unsigned char b; (b = (unsigned char)*s) != 0; s++) {
    if (c.e - c.p < 6) {
      c = tn__tpl_more(t, c, 64);
      if (c.e - c.p < 6)
        return c;
    }
    if (b < 64 && (TN__HTML_SPECIAL >> b) & 1)
      c.p = tn__tpl_entity(c.p, b);
    else
      *c.p++ = (char)b;
  }
  return c;
}

static inline tn__cur_t tn__tpl_str(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                                    tn_str_t s)
{
  return tn__tpl_text(t, c, esc, s.ptr, s.len);
}

static inline tn__cur_t tn__tpl_char(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                                     char ch)
{
  return tn__tpl_text(t, c, esc, &ch, 1);
}

static inline tn__cur_t tn__tpl_u64(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                                    unsigned long long v)
{
  char digits[20], *d = digits + sizeof digits;
  do
    *--d = (char)('0' + v % 10);
  while (v /= 10);
  (void)esc; /* digits need no escaping in any mode */
  return tn__tpl_lit(t, c, d, (size_t)(digits + sizeof digits - d));
}

static inline tn__cur_t tn__tpl_i64(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                                    long long v)
{
  if (v >= 0)
    return tn__tpl_u64(t, c, esc, (unsigned long long)v);
  c = tn__tpl_lit(t, c, "-", 1);
  return tn__tpl_u64(t, c, esc, 0ull - (unsigned long long)v);
}

static inline tn__cur_t tn__tpl_bool(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                                     _Bool v)
{
  (void)esc;
  return v ? tn__tpl_lit(t, c, "true", 4) : tn__tpl_lit(t, c, "false", 5);
}

/* The shortest text that reads back as `v` ("0.1", "1.0", "1e+16",
 * "inf", "nan"), as Python's repr(). */
tn__cur_t tn__tpl_double(tn_tpl_t *t, tn__cur_t c, unsigned esc, double v);
/* A JSON value: a string's text, a number, true/false, nothing for null,
 * arrays and objects as json_encode writes them. */
tn__cur_t tn__tpl_json(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                       const json_t *v);

/* {{ expr }}: the writer for the expression's type. A type with no writer
 * (a struct, a pointer to something else) is a C compile error here,
 * reported at the template's line. */
#define tn__tpl_put(t, c, esc, v)                                           \
  _Generic((v),                                                             \
      char *: tn__tpl_cstr, const char *: tn__tpl_cstr,                     \
      tn_str_t: tn__tpl_str, char: tn__tpl_char,                            \
      signed char: tn__tpl_i64, short: tn__tpl_i64, int: tn__tpl_i64,       \
      long: tn__tpl_i64, long long: tn__tpl_i64,                            \
      unsigned char: tn__tpl_u64, unsigned short: tn__tpl_u64,              \
      unsigned: tn__tpl_u64, unsigned long: tn__tpl_u64,                    \
      unsigned long long: tn__tpl_u64, _Bool: tn__tpl_bool,                 \
      float: tn__tpl_double, double: tn__tpl_double,                        \
      long double: tn__tpl_double,                                          \
      json_t *: tn__tpl_json, const json_t *: tn__tpl_json)(t, c, esc, v)

/* {% for x in E %} and {% for k, v in E %} over a JSON array or object. */
typedef struct {
  const json_t *c; /* the container, or NULL: nothing to iterate */
  size_t i, n;     /* array: next index and size */
  void *it;        /* object: jansson's iterator */
  const char *key; /* the current key (NULL for an array) */
  json_t *value;   /* the current element or value */
} tn__tpl_iter_t;

tn__tpl_iter_t tn__tpl_iter(const json_t *c);
/* Moves to the next element; 0 when there is none. */
int tn__tpl_next(tn__tpl_iter_t *it);

/* The helpers templates call: results live until the render ends. */
const char *tn__tpl_json_encode(tn_tpl_t *t, const json_t *v);
const char *tn__tpl_url_escape(tn_tpl_t *t, const char *s);
const char *tn__tpl_squeeze(tn_tpl_t *t, const char *s);
const char *tn__tpl_xhtml_escape(tn_tpl_t *t, const char *s);
/* The generated url() helpers build into a stack buffer of this size;
 * tn__tpl_url_copy keeps the URL (`n` the builder's return value: an
 * error is recorded and "" returned). Only a longer URL is built again,
 * into tn__tpl_url_room's scratch memory. */
#define TN__TPL_URL_STACK 512
const char *tn__tpl_url_copy(tn_tpl_t *t, const char *url, int n);
char *tn__tpl_url_room(tn_tpl_t *t, int n);

/* --- Static files ------------------------------------------------------ */

/* Serves file `rel` under directory `root`: tornc's generated router calls
 * it for `static "/static/" = "dir/";`, and a handler may call it too.
 * `rel` is the raw, still percent-encoded rest of the URL path after the
 * prefix (no leading '/'); `root` is relative to the working directory or
 * absolute. A resolved absolute root (no symlink, "." or "..", as tornc
 * passes it) spares one realpath() of the root per request.
 *
 * It answers the request completely, as Tornado's StaticFileHandler does:
 *   - GET and HEAD only; other methods get 405 with "Allow: GET, HEAD".
 *   - 404 for a path with an empty, "." or ".." segment (after decoding:
 *     "%2e%2e" too), a backslash or a NUL; for a missing file, a
 *     directory (no listing) or anything else not a regular file; and for
 *     a file whose real path, symlinks resolved, is outside the real path
 *     of `root` (symlinks inside it are fine). 403 when the file may not
 *     be read; 400 for a malformed %-escape.
 *   - 200 with Content-Type by extension (text types with charset=UTF-8,
 *     application/octet-stream when unknown), Last-Modified, and a strong
 *     ETag from the size, the mtime in nanoseconds and the inode. A URL
 *     with a `v` query parameter (static_url's "?v=HASH") also gets
 *     "Cache-Control: public, max-age=31536000, immutable".
 *   - 304 (with ETag, Last-Modified and Cache-Control, no body) when
 *     If-None-Match matches the ETag (weak comparison; `*` matches), or,
 *     without If-None-Match, when If-Modified-Since (any of the three
 *     HTTP-date formats; an unparseable one is ignored) is not older than
 *     the mtime.
 *   - "Accept-Ranges: bytes". A GET with one byte range (Range: bytes=A-B,
 *     A-, or -N) gets 206 with Content-Range; a range starting past the
 *     end gets 416, with a Content-Range that gives the size; a list
 *     of ranges or a malformed one gets the whole file. If-Range holding
 *     an ETag that is not a strong match, or a date other than the
 *     Last-Modified, also gets the whole file.
 * Headers the handler set before the call are kept, and a Content-Type it
 * set wins over the extension's; any body it wrote is discarded. Up to
 * 64 KiB are read into the response; larger files are sent after the
 * head straight from the page cache with sendfile(2), with no size limit.
 * Returns 0, or TN_ENOMEM and leaves the answer to the caller (the
 * generated router answers 500). */
int tn_static_file(tn_req_t *req, const char *root, tn_str_t rel);

/* --- Route parameters (used by tornc's generated code) ------------------ */

/* Parse a whole canonical decimal integer, as the `int` and `uint` route
 * types match it: "0", or an optional '-' (signed only) and digits without
 * a leading zero ("007", "-0", "+1" are TN_EINVAL). Returns TN_ERANGE on
 * overflow and TN_EINVAL on anything else malformed. */
int tn_parse_int64(tn_str_t s, int64_t *out);
int tn_parse_uint64(tn_str_t s, uint64_t *out);

/* Percent-decode a captured path parameter. Returns `s` itself when it
 * holds no '%', else the decoded bytes in memory from tn_req_alloc. The
 * runtime has already answered 400 to a path with a malformed escape, so
 * this cannot fail but for memory (then {NULL, 0}). "%2F" decodes to '/':
 * it never acted as a separator while matching. */
tn_str_t tn_req_decode(tn_req_t *req, tn_str_t s);

/* Decode %XX escapes of `n` bytes at `in` into `out` (room for n bytes;
 * may be `in` itself). Returns the decoded length, or TN_EINVAL for a '%'
 * not followed by two hex digits. '+' is left alone: this is a path. */
int tn_percent_decode(char *out, const char *in, size_t n);

/* --- URL building (tornc's generated URL builders use these) ----------- */

/* A URL being written into a caller's buffer, snprintf-style: the length
 * is counted even past `size`, so the caller can tell truncation. */
typedef struct {
  char *out;   /* the caller's buffer */
  size_t size; /* its size, NUL included */
  size_t len;  /* the URL's full length so far */
  int err;     /* the first error, or 0 */
} tn_url_t;

void tn_url_init(tn_url_t *u, char *out, size_t size);
/* Append bytes that are already a valid URL part (route literals). */
void tn_url_lit(tn_url_t *u, const char *s, size_t n);
void tn_url_int64(tn_url_t *u, int64_t v);
void tn_url_uint64(tn_url_t *u, uint64_t v);
/* Append one path segment, percent-encoding every byte but RFC 3986's
 * unreserved characters, sub-delims, ':' and '@' -- '/' included. */
void tn_url_segment(tn_url_t *u, tn_str_t s);
/* Append the rest of a path: as tn_url_segment, but '/' stays '/'. */
void tn_url_path(tn_url_t *u, tn_str_t s);
/* Record an error (a value outside its parameter's pattern). */
void tn_url_fail(tn_url_t *u, int err);
/* NUL-terminate (when size > 0) and return the URL's length, which is >=
 * size when it was truncated, or the first error recorded. */
int tn_url_finish(tn_url_t *u);

/* --- Logging ----------------------------------------------------------- */

/* Levels of tn_log and --log-level, least to most severe. */
enum {
  TN_LOG_DEBUG,
  TN_LOG_INFO,
  TN_LOG_WARNING,
  TN_LOG_ERROR,
  TN_LOG_NONE /* as --log-level only: nothing is logged */
};

/* Writes one line to the server log, stderr: the local time, the level and
 * the printf-formatted message,
 *   2026-11-22 10:00:00.512 WARNING no user 42
 * Below --log-level (default info) nothing is written, and a level outside
 * TN_LOG_DEBUG..TN_LOG_ERROR is ignored. Safe from any thread: a line goes
 * out in one write(2), so lines from several workers never mix. A message
 * is cut at 1 KiB ("..." at its end), and its control characters are
 * written \xHH, so no message can start a line of its own. */
void tn_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tn_vlog(int level, const char *fmt, va_list ap);

/* The client's IP address as text: IPv4 dotted ("203.0.113.7"), IPv6
 * without brackets ("2001:db8::1"; "::ffff:203.0.113.7" for an IPv4 client
 * of a dual-stack "::" listener). Tornado's request.remote_ip.
 *
 * With --xheaders (behind a proxy) it is, as in Tornado's
 * HTTPServer(xheaders=True), the X-Real-IP header if the request has one,
 * else the last address of X-Forwarded-For, when that is a valid IPv4 or
 * IPv6 address; else the peer's. Unlike Tornado, which asks getaddrinfo,
 * only inet_pton's forms are valid: no "127.1", no "%scope". Never trust
 * these headers without a proxy that sets them: any client can send them.
 *
 * Found on the first call and kept in the request, valid until it ends.
 * "" when the connection has gone and its address cannot be known. The
 * access log writes the same address. */
const char *tn_req_remote_ip(tn_req_t *req);

/* --- Applications ------------------------------------------------------ */

/* The most parameters one route may have (tornc enforces it). */
#define TN_MAX_PARAMS 32

/* Matches a path: see the generated APP_match() in APP.h. path[len] must
 * be readable and one of '\0', '?' or ' ' (a request's path is always
 * followed by one of them), so the automaton needs no bounds checks. */
typedef int (*tn_match_cb)(unsigned method, const char *path, size_t len,
                           tn_str_t *caps, unsigned *allow);

/* One named route, for building its URL by name at run time. */
typedef struct {
  const char *name;
  unsigned nparams;
  /* Builds the URL from the parameters' text, each checked against its
   * parameter's type or pattern (TN_EINVAL if one does not fit). Returns
   * as tn_url_finish. */
  int (*reverse)(char *out, size_t size, const tn_str_t *args);
} tn_route_t;

/* App-wide settings, from the .troute file. */
enum {
  /* `trailing_slash redirect;`: a path that matches nothing but would with
   * its trailing '/' added or removed is redirected there (301; 308 for
   * methods other than GET and HEAD). */
  TN_APP_SLASH_REDIRECT = 1u << 0,
  /* `xsrf_cookies on;`: POST, PUT, PATCH and DELETE requests to a handler
   * must carry the `_xsrf` cookie's token (Tornado's xsrf_cookies). */
  TN_APP_XSRF_COOKIES = 1u << 1,
  /* `compress_response on;`: text responses are gzipped for clients that
   * accept it (Tornado's compress_response). */
  TN_APP_COMPRESS = 1u << 2,
  /* `websocket_compression off;`: permessage-deflate is never agreed. */
  TN_APP_WS_NO_COMPRESSION = 1u << 3
};

/* Per-route settings, passed by the generated dispatcher. */
enum {
  /* `route ... -> h authenticated;`: Tornado's @authenticated. */
  TN_ROUTE_AUTHENTICATED = 1u << 0,
  /* `route ... -> h async;`: the handler finishes with tn_finish(). */
  TN_ROUTE_ASYNC = 1u << 1
};

/* The hooks an application may give (`prepare -> f;` and so on in the
 * .troute file); NULL members are not called. They are Tornado's
 * RequestHandler methods of the same names, shared by every handler. */
typedef struct {
  /* Before each handler, after the XSRF check. Returns 0 to go on to the
   * handler; anything else means the hook answered the request itself
   * (an error, a redirect), and the handler is not called. */
  int (*prepare)(tn_req_t *req);
  /* After the response has been completed (sent or queued). */
  void (*on_finish)(tn_req_t *req);
  /* The logged-in user of the request, or NULL: what tn_current_user()
   * returns, asked at most once per request. */
  void *(*current_user)(tn_req_t *req);
  /* Writes the page of an error response (Tornado's write_error): the
   * status is set and the body empty when it is called; `detail` is the
   * reason given by the runtime ("Missing argument q") or NULL. */
  void (*write_error)(tn_req_t *req, int status, const char *detail);
} tn_hooks_t;


/* Routes one request: matches its path and method, calls the handler and
 * returns 0; or returns TN_ENOTFOUND (answered 404) or TN_EMETHOD with
 * `*allow` set to the path's methods (answered 405 with Allow). */
typedef int (*tn_dispatch_cb)(tn_req_t *req, unsigned *allow);

/* An application, generated by tornc as `const tn_app_t NAME_app`. */
typedef struct {
  const char *name;        /* the `app NAME;` of the .troute file */
  tn_dispatch_cb dispatch; /* the generated router */
  tn_match_cb match;       /* the generated matcher, APP_match */
  const tn_route_t *routes; /* the named routes, by route id */
  size_t nroutes;
  unsigned flags;          /* TN_APP_* */
  const tn_hooks_t *hooks; /* NULL: none */
  const char *login_url;   /* `login_url "/login";`, or NULL */
  /* `max_body_size 8M;`: the largest request body (413 beyond it); 0 for
   * the server's --max-body-size. */
  uint64_t max_body_size;
  /* The body limit of the route selected by a method and path when the
   * route sets one (`max_body_size` after its handler), else 0. NULL when
   * no route sets one. The path follows tn_match_cb's rules. */
  uint64_t (*route_body_limit)(unsigned method, const char *path, size_t len);
  /* The websocket_* settings; 0 for the runtime's defaults (see the
   * WebSocket section above). */
  uint64_t ws_max_message_size;
  uint64_t ws_max_queue;
  uint32_t ws_ping_interval_ms;
  uint32_t ws_ping_timeout_ms;
} tn_app_t;

/* The logged-in user of the request as the app's current_user hook
 * returns it (asked once per request), or NULL: Tornado's current_user. */
void *tn_current_user(tn_req_t *req);

/* Run by the generated dispatcher before a handler: the XSRF check, the
 * app's prepare hook, then for TN_ROUTE_AUTHENTICATED routes the login
 * check. Returns 0 to call the handler, or nonzero when the request has
 * been answered (403, a redirect to login_url, or whatever prepare did). */
int tn__before_handler(tn_req_t *req, unsigned route_flags);

/* What tornc generates for a `websocket` declaration: its callbacks with
 * the arguments as `const void *` (trampolines to the typed struct), and
 * its settings. */
typedef struct {
  int (*open)(tn_ws_t *ws, tn_req_t *req, const void *args);
  void (*message)(tn_ws_t *ws, const tn_ws_msg_t *msg);
  void (*close)(tn_ws_t *ws, int code, tn_str_t reason);
  void (*pong)(tn_ws_t *ws, tn_str_t data);
  bool (*check_origin)(tn_req_t *req, tn_str_t origin);
  const char *(*select_subprotocol)(tn_req_t *req, const tn_str_t *offered,
                                    size_t n);
  const char *name;          /* the declaration's name, for logs */
  uint64_t max_message_size; /* `max_message_size SIZE`; 0: the app's */
} tn_ws_handler_t;

/* Run by the generated dispatcher for a websocket route, after
 * tn__before_handler: checks the handshake (400, 426 with
 * Sec-WebSocket-Version: 13, 403 for a refused origin), calls open, and
 * answers 101 and switches the connection to WebSocket, or answers the
 * refusal. Returns 0 (the request has been answered either way). */
int tn__ws_upgrade(tn_req_t *req, const tn_ws_handler_t *h, const void *args);

/* The application serving `req`, and the one a WebSocket belongs to. */
const tn_app_t *tn_req_app(const tn_req_t *req);
const tn_app_t *tn_ws_app(const tn_ws_t *ws);

/* Tornado's reverse_url: the URL of route `name` with `nargs` arguments
 * given as text. Returns its length (>= size when truncated), TN_ENOROUTE
 * for an unknown name, TN_EARITY for a wrong count, TN_EINVAL for a value
 * its parameter does not accept. The typed APP_url_NAME() builders of the
 * generated header check all of this at C compile time instead. */
int tn_reverse_url(const tn_app_t *app, char *out, size_t size,
                   const char *name, const char *const *args, size_t nargs);

/* Server options; tn_options_init fills in the defaults. */
typedef struct {
  const char *address; /* listen address, default "127.0.0.1" */
  int port;            /* listen port, default 8888 */
  int workers;         /* loops (threads), each with its own SO_REUSEPORT
                          listener; 0 = one per core (the default); at
                          most 256 */
  int log_level;       /* tn_log's threshold, TN_LOG_*; default TN_LOG_INFO */
  const char *access_log; /* file the access log is appended to (SIGHUP
                             opens it again, for log rotation); "-" for
                             stderr; NULL (the default): none */
  const char *cookie_secret; /* key of signed cookies and XSRF tokens;
                                NULL: signed cookies are refused */
  int xheaders;        /* trust X-Real-IP / X-Forwarded-For (behind a
                          proxy): see tn_req_remote_ip; default 0 */
  uint64_t max_body_size;  /* request body limit -> 413; default 16 MiB */
  uint32_t max_header_size; /* request line + headers -> 431; default 8 KiB */
  uint32_t idle_timeout_ms;   /* keep-alive connection with no request */
  uint32_t header_timeout_ms; /* to receive a whole head (slowloris) */
  uint32_t body_timeout_ms;   /* between two reads of a body */
  uint32_t stop_timeout_ms;   /* SIGTERM: in-flight requests' deadline */
} tn_options_t;

void tn_options_init(tn_options_t *opts);

/* Parses the command line into `opts`: every field above as an option
 * (--address, --port, --workers, --log-level, --access-log,
 * --cookie-secret, --xheaders, --max-body-size, --max-header-size,
 * --idle-timeout, --header-timeout, --body-timeout, --stop-timeout), as
 * "--name VALUE" or "--name=VALUE"; sizes take a K, M or G suffix (powers
 * of 1024), timeouts are seconds, fractions allowed ("0.5"). --help lists
 * them with their defaults. Strings point into argv. Returns 0, 1 when the
 * program should exit successfully (help or version was printed), or
 * TN_EINVAL after printing an error naming the option and the form it
 * takes. `prog` prefixes the messages. */
int tn_options_parse(tn_options_t *opts, const char *prog, int argc,
                     char **argv);

/* Reads the same options from the environment: TORN_ADDRESS, TORN_PORT,
 * TORN_WORKERS, TORN_LOG_LEVEL, TORN_ACCESS_LOG, TORN_COOKIE_SECRET,
 * TORN_XHEADERS (1/0), TORN_MAX_BODY_SIZE, TORN_MAX_HEADER_SIZE,
 * TORN_IDLE_TIMEOUT, TORN_HEADER_TIMEOUT, TORN_BODY_TIMEOUT,
 * TORN_STOP_TIMEOUT; an empty variable counts as unset. The cookie secret
 * belongs here rather than on the command line, which `ps` shows to every
 * user. Returns 0, or TN_EINVAL after printing an error naming the
 * variable. tn_main reads the environment first, then the command line,
 * which wins. */
int tn_options_from_env(tn_options_t *opts, const char *prog);

/* Serves `app` with `opts` until SIGINT or SIGTERM, which stop every
 * worker gracefully: no new connection, requests in progress finished
 * within stop_timeout_ms. Returns 0 on a clean stop, or a negative error
 * after logging why the server could not start (an address that cannot be
 * listened on stops every worker). */
int tn_serve(const tn_app_t *app, const tn_options_t *opts);

/* The whole of a generated main(): read the options (environment, then
 * command line) and serve. Returns the process exit status: 0, 1 when the
 * server could not start, 2 for a bad option. */
int tn_main(const tn_app_t *app, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* TORN_H */
