/* internal.h -- libtorn's private types, shared by the runtime's files.
 *
 * Ownership, from the loop down:
 *   tn__worker_t  one per thread: the libuv loop, the listener, the scratch
 *                 read and write buffers every connection borrows, a pool
 *                 of request objects. Nothing in it is shared with another
 *                 worker.
 *   tn__conn_t    one per TCP connection; owns a read buffer only while it
 *                 holds a request that arrived in pieces.
 *   tn_req_t      taken from the worker's pool when a request starts,
 *                 returned when its response has been queued.
 * Every pointer in a request points into the connection's bytes (the
 * worker's read buffer or the connection's own), so nothing is copied on
 * the fast path.
 */
#ifndef TORN_INTERNAL_H
#define TORN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "torn.h"

/* --- Limits ------------------------------------------------------------ */

#define TN__READ_BUF_SIZE (64 * 1024) /* the worker's shared read buffer */
#define TN__MAX_HEAD 8192             /* request line + headers -> 431 */
#define TN__MAX_HEADERS 64            /* header lines -> 431 */
#define TN__USER_OUT_HEADERS 32       /* headers a handler may set */
#define TN__MAX_OUT_HEADERS 36        /* + those the runtime adds last */
#define TN__LINGER_MS 2000            /* read-and-discard after an error */
#define TN__POOL_KEEP (64 * 1024)     /* a pooled buffer larger is freed */
#define TN__ARENA_INLINE 512          /* request arena bytes inside the req */
#define TN__ARENA_CHUNK 4096          /* then chunks of at least this */
#define TN__URL_STACK 2048            /* URLs built on the stack up to this */

/* The objects every section refers to (see the ownership above). */
typedef struct tn__conn_s tn__conn_t;
typedef struct tn__worker_s tn__worker_t;

/* --- Byte buffers ------------------------------------------------------ */

/* The runtime's buffers are the public tn_buf_t. The memory moves when
 * one grows: keep offsets, not pointers, into it. */
typedef tn_buf_t tn__buf_t;

int tn__buf_reserve(tn__buf_t *b, size_t extra);
int tn__buf_append(tn__buf_t *b, const void *data, size_t len);
void tn__buf_free(tn__buf_t *b);

static inline void tn__buf_put(tn__buf_t *b, const void *data, size_t len) {
  /* Callers reserve first; this is the unchecked copy of the hot path.
   * An empty copy may come from a buffer never given memory (NULL). */
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
}

/* Whether `s` is `name`, ignoring ASCII case (not `| 0x20`, which also
 * matches '^' with '~' and 0x0F with '/'). */
static inline bool tn__str_ieq(tn_str_t s, const char *name) {
  size_t n = strlen(name);
  return s.len == n && strncasecmp(s.ptr, name, n) == 0;
}

/* The next element of a comma-separated header list (RFC 9110 5.6.1) in
 * `*list`, surrounding whitespace stripped, empty elements skipped; the
 * list is advanced past it. False at the list's end (request.c). */
bool tn__list_next(tn_str_t *list, tn_str_t *elem);

/* The value of a hex digit, or -1. */
static inline int tn__hex_value(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* --- HTTP/1.1 request head parser (http1_parse.re) ---------------------- */

#define TN__MAX_TARGET 8192 /* a longer request-target -> 414 */

/* Whether c may be in a token (RFC 9110 5.6.2): a field name, a method, a
 * transfer coding, a chunk extension. */
static inline bool tn__is_tchar(unsigned char c) {
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
    return true;
  if (c >= '0' && c <= '9')
    return true;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

typedef struct {
  tn_str_t name;
  tn_str_t value;
} tn__header_t;

/* What the head said about framing and the connection. */
enum {
  TN__HEAD_CONTENT_LENGTH = 1u << 0, /* a Content-Length header was seen */
  TN__HEAD_TRANSFER_ENCODING = 1u << 1,
  TN__HEAD_CLOSE = 1u << 2,      /* Connection: close */
  TN__HEAD_KEEP_ALIVE = 1u << 3, /* Connection: keep-alive */
  TN__HEAD_HOST = 1u << 4,
  /* the body is chunked (tn__chunked_decode); never with CONTENT_LENGTH */
  TN__HEAD_CHUNKED = 1u << 5,
  /* "Expect: 100-continue" in an HTTP/1.1 request: send "HTTP/1.1 100
   * Continue" before reading a body that has not arrived yet */
  TN__HEAD_EXPECT_CONTINUE = 1u << 6,
  TN__HEAD_ABSOLUTE = 1u << 7, /* absolute-form target: see `authority` */
  TN__HEAD_ASTERISK = 1u << 8  /* "OPTIONS * HTTP/1.1" */
};

/* Results of tn__http1_parse besides an HTTP status for errors. */
enum {
  TN__PARSE_DONE = 0, /* the head is complete; p->cur is past its CRLFCRLF */
  TN__PARSE_AGAIN = 1 /* need more bytes; call again after appending */
};

/* An incremental request-head parser. The input is [cur, lim) with a NUL
 * at *lim; the scanner keeps its DFA state between calls (re2c -f), so
 * bytes already seen are never scanned again. */
typedef struct {
  /* scanner state, private to http1_parse.re */
  int state;      /* re2c storable state; -1 at a token boundary */
  int cond;       /* re2c condition: request line or header lines */
  unsigned accept; /* re2c yyaccept */
  unsigned pending; /* what on_head_end still has to judge */
  const char *start; /* first byte of this request */
  const char *tok;   /* first byte of the current token */
  const char *cur;   /* next byte to scan */
  const char *mar;   /* re2c backtracking marker */
  const char *lim;   /* end of input; *lim == 0 */

  /* The head size limit, empty lines before the request line included:
   * TN__MAX_HEAD after init; the caller may lower or raise it (the
   * max_header_size option) before the first tn__http1_parse. */
  uint32_t max_head;

  /* results, valid after TN__PARSE_DONE */
  tn_str_t method;
  unsigned method_bit; /* TN_METHOD_* */
  tn_str_t target;     /* as sent */
  /* The target's path and query: the whole target in origin-form (and
   * "*" in asterisk-form); in absolute-form what follows the authority,
   * which is empty or starts with '/', '?' or '#' (an empty path means
   * "/"). A fragment, which clients should not send, is left in. */
  tn_str_t origin;
  tn_str_t authority;      /* host[:port] of an absolute-form target */
  int minor_version;       /* HTTP/1.x */
  unsigned flags;          /* TN__HEAD_* */
  uint64_t content_length; /* valid with TN__HEAD_CONTENT_LENGTH */
  unsigned nheaders;
  tn__header_t headers[TN__MAX_HEADERS];
} tn__http1_t;

/* Start parsing a request whose first byte is at `start`. */
void tn__http1_init(tn__http1_t *p, const char *start, const char *lim);
/* Scan what has arrived. Returns TN__PARSE_DONE, TN__PARSE_AGAIN or the
 * status to answer a bad request with, after which the connection must
 * close (the next request's start is unknown):
 *   400  malformed, or ambiguous framing (both Content-Length and
 *        Transfer-Encoding, chunked not last, Transfer-Encoding in 1.0...)
 *   414  the request line is longer than max_head, or the target than
 *        TN__MAX_TARGET
 *   417  an Expect other than 100-continue
 *   431  the head is longer than max_head, or has too many lines
 *   501  a transfer coding other than chunked; CONNECT
 *   505  a well-formed HTTP version other than 1.0 and 1.1
 * It returns 414/431 itself as soon as more than max_head bytes have
 * arrived without the head ending, so the caller needs no check of its
 * own. Of two faults in one head, which is reported may depend on how the
 * bytes were split only when one of them is the size limit. */
int tn__http1_parse(tn__http1_t *p);
/* The status for a head that has outgrown its limit before ending: 414
 * while the request line is still being read (or its target was too long),
 * else 431. */
int tn__http1_too_long(const tn__http1_t *p);
/* The bytes moved from `from` to `to`: shift every pointer in `p`. */
void tn__http1_rebase(tn__http1_t *p, const char *from, const char *to);

/* --- Chunked request bodies (http1_chunked.c) ---------------------------- */

#define TN__MAX_CHUNK_LINE 4096 /* a chunk-size line, extensions and CRLF
                                   included -> 400 */

/* An incremental decoder of the chunked coding (RFC 9112 7.1). Its state
 * holds no pointer, so the caller may move the bytes between calls. */
typedef struct {
  uint64_t left;        /* data bytes of the current chunk not yet decoded */
  uint32_t line;        /* bytes of the current size line / trailer section */
  uint32_t max_trailer; /* the trailer section's limit -> 431 */
  uint8_t state;        /* private to http1_chunked.c */
  uint8_t digits;       /* significant digits of the chunk size so far */
} tn__chunked_t;

/* Ready to decode a body; max_trailer is TN__MAX_HEAD, which the caller
 * may change (to its max_head, say) before the first call. */
void tn__chunked_init(tn__chunked_t *d);
/* Decodes the raw bytes [*in, end): chunk data is moved down to *out and
 * *out advanced, so the decoded body stays contiguous, starting where the
 * raw one started, ahead of the bytes not decoded yet; *in is advanced past
 * everything consumed (*out <= *in always). Extensions are checked and
 * ignored; trailer fields are checked like header fields and discarded.
 * Returns TN__PARSE_DONE once the last chunk and the trailer section have
 * ended (*in is then the first byte of the next request), TN__PARSE_AGAIN
 * when every byte has been consumed and more are needed, or 400 for bad
 * framing (431 for a trailer section over max_trailer); then the
 * connection must close. The body size limit is the caller's: the decoded
 * length so far is *out minus where the body started, and `left` says how
 * much more the current chunk has announced, to refuse it (413) before it
 * arrives. */
int tn__chunked_decode(tn__chunked_t *d, char **out, const char **in,
                       const char *end);

/* --- Request arguments (args.c) ----------------------------------------- */

/* One argument of the query string or a form body: name and value decoded
 * ('+' as space, %XX), the value cleaned as Tornado's get_argument does
 * (control characters as spaces, whitespace stripped). Both are
 * NUL-terminated; a name may hold a NUL byte (from "%00"), so lookups
 * compare name_len too. A value never does. */
typedef struct {
  const char *name;
  const char *value;
  uint32_t name_len;
  uint32_t value_len;
} tn__arg_t;

/* The arguments of one source, in the order they were sent. */
typedef struct {
  tn__arg_t *items;
  size_t n;
} tn__args_t;

/* Which sources of a request have been parsed into its lists. */
enum {
  TN__ARGS_QUERY = 1u << 0,
  TN__ARGS_BODY = 1u << 1
};

/* application/x-www-form-urlencoded, as urllib's parse_qsl with
 * keep_blank_values=True (what Tornado uses), in two steps so that the
 * caller owns the memory: tn__form_size says how many arguments `in` holds
 * and how many bytes of text they need; tn__form_parse fills `items` (room
 * for that many) and `text` (that many bytes) and returns the count.
 * Lengths are kept in 32 bits: `in` must be under 4 GiB (a query is under
 * the head's limit; parse_body refuses a larger form body). */
size_t tn__form_size(tn_str_t in, size_t *text_size);
size_t tn__form_parse(tn_str_t in, tn__arg_t *items, char *text);

/* get_argument's cleaning of a value of `*len` bytes, in place: control
 * characters but \t \n \v \f \r become spaces, then whitespace is
 * stripped from both ends. Returns where the value now starts and sets
 * *len to its new length. */
char *tn__arg_clean(char *v, size_t *len);

/* The length of the whitespace character at p / ending at end (0 if
 * none), as Python's str.isspace, the Unicode spaces in UTF-8 included. */
size_t tn__space_at(const unsigned char *p, const unsigned char *end);
size_t tn__space_before(const unsigned char *start, const unsigned char *end);

/* Frees what the request's arguments and bodies hold outside its arena
 * (the JSON body) and leaves the fields ready for the next request: the
 * worker calls it when a request ends. */
void tn__args_release(tn_req_t *req);

/* --- Request bodies (multipart.c, json_body.c) --------------------------- */

/* The uploaded files of a multipart/form-data body, in the order sent;
 * name_lens[i] is the length of items[i].name, which may hold a NUL. */
typedef struct {
  tn_file_t *items;
  size_t *name_lens;
  size_t n;
} tn__files_t;

/* Parses the request body as multipart/form-data, `content_type` being
 * its Content-Type header, as Tornado's parse_body_arguments does: the
 * fields are appended to `args` (values cleaned), the files to `files`,
 * all in request memory. Returns 0, TN_ENOMEM, or TN_EINVAL with *why
 * set to the reason (static text, "Invalid multipart/form-data: ...");
 * after a failure the lists hold what was parsed before it. */
int tn__multipart_parse(tn_req_t *req, tn_str_t content_type,
                        tn__args_t *args, tn__files_t *files,
                        const char **why);

/* --- WebSocket frames (ws_frame.c) ---------------------------------------- */

/* Opcodes (RFC 6455 5.2). */
enum {
  TN__WS_CONT = 0x0,
  TN__WS_TEXT = 0x1,
  TN__WS_BINARY = 0x2,
  TN__WS_CLOSE = 0x8,
  TN__WS_PING = 0x9,
  TN__WS_PONG = 0xA
};

#define TN__WS_MAX_CONTROL 125 /* a control frame's payload */
#define TN__WS_MAX_HEADER 14   /* 2 + 8 (64-bit length) + 4 (mask) */

/* Results of tn__ws_parse. */
enum {
  TN__WS_NEED = 0,  /* every byte has been consumed: feed more */
  TN__WS_HEAD = 1,  /* a frame header is complete: see p->frame */
  TN__WS_DATA = 2,  /* *piece is payload, unmasked in place (never empty) */
  TN__WS_END = 3,   /* the frame's payload is complete */
  TN__WS_ERROR = 4  /* a protocol error: p->close_code and p->why say */
};

/* The header of the frame being parsed. */
typedef struct {
  bool fin;
  bool rsv1;          /* permessage-deflate: the message is compressed
                         (only ever set on a message's first frame) */
  uint8_t opcode;     /* TN__WS_* */
  uint64_t len;       /* payload length */
  uint8_t mask[4];
} tn__ws_frame_t;

/* An incremental parser of the frames a client sends. It checks
 * everything the framing alone can tell (RFC 6455 5.2-5.5): the mask is
 * there, reserved bits are clear (RSV1 allowed on a message's first data
 * frame when `allow_rsv1`), no reserved opcode, control frames are final
 * and at most 125 bytes, a 64-bit length has its top bit clear, a length
 * is written in the fewest bytes (5.2's "minimal number of bytes MUST be
 * used"). It also follows fragmentation: a continuation
 * frame with no message begun, or a new data frame while a message is
 * unfinished, is an error. Payload is handed out as it arrives, in pieces,
 * so a frame is never buffered whole. The state holds no pointer into the
 * input: the caller may reuse its buffer between calls. */
typedef struct {
  /* private to ws_frame.c */
  uint8_t state;
  uint8_t have;               /* header bytes gathered in hdr */
  uint8_t hdr[TN__WS_MAX_HEADER];
  uint8_t mask_at;            /* next mask byte's index, 0..3 */
  bool in_message;            /* a fragmented data message is unfinished */
  uint64_t left;              /* payload bytes of the frame still to come */

  bool allow_rsv1;            /* set by the caller: deflate was agreed */
  tn__ws_frame_t frame;       /* valid from TN__WS_HEAD to TN__WS_END */
  uint16_t close_code;        /* with TN__WS_ERROR: 1002 */
  const char *why;            /* with TN__WS_ERROR: static text */
} tn__ws_parser_t;

void tn__ws_parser_init(tn__ws_parser_t *p);
/* Parses from *in up to `end`, advancing *in past what it consumed, and
 * returns at the first event: TN__WS_HEAD, then zero or more TN__WS_DATA
 * (with `piece` set to payload bytes, unmasked in place in the input),
 * then TN__WS_END; TN__WS_NEED when the input is used up; TN__WS_ERROR
 * (after which the parser must not be fed again). A frame of length 0 is
 * TN__WS_HEAD then TN__WS_END. */
int tn__ws_parse(tn__ws_parser_t *p, uint8_t **in, uint8_t *end,
                 tn_str_t *piece);

/* Writes the header of a server frame (never masked) to `out` and returns
 * its length (2, 4 or 10). */
size_t tn__ws_frame_header(uint8_t out[10], bool fin, bool rsv1, int opcode,
                           uint64_t len);

/* --- UTF-8 validation (ws_utf8.c) ---------------------------------------- */

/* An incremental UTF-8 validator (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF) that fails as soon as a byte cannot
 * continue a valid text: RFC 6455 8.1 and Autobahn's fail-fast cases. */
typedef struct {
  uint8_t need;   /* continuation bytes still expected */
  uint8_t lo, hi; /* the range of the next continuation byte */
} tn__utf8_t;

static inline void tn__utf8_init(tn__utf8_t *u) {
  u->need = 0;
  u->lo = 0x80;
  u->hi = 0xBF;
}
/* Feeds `n` bytes; false at the first invalid one (the state is then
 * undefined). ASCII runs are checked a word at a time. */
bool tn__utf8_feed(tn__utf8_t *u, const void *data, size_t n);
/* Whether the text fed so far ends on a character boundary. */
static inline bool tn__utf8_done(const tn__utf8_t *u) { return u->need == 0; }
/* Whether `n` bytes are valid UTF-8, whole. */
bool tn__utf8_valid(const void *data, size_t n);

/* --- permessage-deflate (ws_deflate.c) ------------------------------------ */

/* What was agreed for a connection (RFC 7692 7.1). torn always answers
 * server_no_context_takeover, so that one deflate stream per worker, reset
 * per message, serves every connection: a connection then holds no
 * compressor memory at all. */
typedef struct {
  bool on;                          /* permessage-deflate agreed */
  bool client_no_context_takeover;  /* the client resets per message: one
                                       inflate stream per worker will do */
  uint8_t server_max_window_bits;   /* 8..15: what torn may compress with
                                       (at 8, which zlib's raw deflate
                                       cannot do, it sends uncompressed) */
  uint8_t client_max_window_bits;   /* 8..15 */
} tn__ws_deflate_t;

/* Reads the Sec-WebSocket-Extensions values of a request (`n` header
 * values, each a comma-separated list of offers) and accepts the first
 * valid permessage-deflate offer: *out set, the response's header value
 * (without the name) written to `resp` (room for 128 bytes) and its
 * length returned. Returns 0 with out->on false when no offer is valid
 * (unknown or repeated parameters, bad window sizes): the connection then
 * goes on uncompressed, as RFC 7692 5 allows. */
size_t tn__ws_deflate_negotiate(const tn_str_t *values, size_t n,
                                tn__ws_deflate_t *out, char *resp);

/* Inflates one piece of a compressed message into `out`, never letting
 * out->len pass `limit` (a compression bomb stops there: TN_ERANGE, the
 * caller closes with 1009). `last`: this is the message's final piece,
 * after which the RFC 7692 7.2.2 tail (00 00 ff ff) is fed. `z` is an
 * inflate stream made with tn__ws_inflate_new. Returns 0, TN_ERANGE,
 * TN_EINVAL (corrupt data: close 1007), TN_ENOMEM. */
struct z_stream_s;
struct z_stream_s *tn__ws_inflate_new(void);
int tn__ws_inflate(struct z_stream_s *z, const void *in, size_t n, bool last,
                   tn__buf_t *out, uint64_t limit);
/* After a message, with client_no_context_takeover (or a shared stream). */
void tn__ws_inflate_reset(struct z_stream_s *z);
void tn__ws_inflate_free(struct z_stream_s *z);
/* Compresses a whole message with a raw deflate stream of `window_bits`
 * (9..15) made by tn__ws_deflate_new, appending the compressed bytes
 * (without the 00 00 ff ff tail) to `out`, then resets it (no context
 * takeover). Returns 0 or TN_ENOMEM. */
struct z_stream_s *tn__ws_deflate_new(int window_bits);
int tn__ws_deflate(struct z_stream_s *z, const void *in, size_t n,
                   tn__buf_t *out);
void tn__ws_deflate_free(struct z_stream_s *z);

/* --- WebSocket connections (ws_handshake.c, ws_conn.c, ws_group.c) ------- */

#define TN__WS_MAX_MESSAGE (10u << 20) /* websocket_max_message_size */
#define TN__WS_MAX_QUEUE (4u << 20)    /* websocket_max_queue */
#define TN__WS_PING_TIMEOUT_MIN 30000  /* ms, the least default timeout */
#define TN__WS_CLOSE_TIMEOUT_MS 5000   /* for the peer to answer a close */
#define TN__WS_COMPRESS_MIN 64         /* smaller messages go uncompressed */
#define TN__WS_KEEP 4096               /* a larger idle buffer is freed */

typedef struct tn__ws_member_s tn__ws_member_t;

/* Where a WebSocket connection is (tn_ws_s.state). */
enum {
  TN__WS_OPEN,       /* messages flow both ways */
  TN__WS_CLOSE_SENT, /* our close frame is queued; the peer's is awaited,
                        its data dropped */
  TN__WS_ENDING,     /* the handshake is over (or failed): the last bytes
                        go out, then the TCP connection is shut down */
  TN__WS_CLOSED      /* the close callback has run */
};

/* One WebSocket connection, owned by its tn__conn_t (conn->ws) from the
 * upgrade until the connection closes. Idle, it holds no buffer: the
 * message, output and inflate memory are taken when needed and given
 * back when done. */
struct tn_ws_s {
  tn__conn_t *conn;
  const tn_ws_handler_t *handler;
  void *data;               /* tn_ws_set_data */
  char *subprotocol;        /* agreed on, or NULL; owned */
  uint8_t state;            /* TN__WS_* */
  bool opened;              /* started: the close callback is owed */
  bool reading;             /* inside this connection's read: the output
                               is flushed once the read is done */
  bool pong_due;            /* a keep-alive ping awaits its pong */
  uint16_t close_code;      /* the peer's close code (or 1005, 1006) */
  uint64_t max_message;     /* bytes, after decompression */
  uint64_t max_queue;       /* output bytes the peer may leave unread */
  uint64_t ping_at;         /* uv_now() of the next keep-alive ping; 0 */
  uint64_t pong_by;         /* its pong's deadline */
  uint64_t close_by;        /* the close handshake's deadline; 0 */

  tn__ws_parser_t parser;
  tn__ws_deflate_t deflate; /* what was agreed */
  struct z_stream_s *inflate; /* the message's inflate stream, or NULL */

  /* The data message being received. */
  uint8_t msg_opcode;       /* TN_WS_TEXT or TN_WS_BINARY */
  bool msg_compressed;
  bool msg_direct;          /* a whole frame in the input: no copy */
  tn_str_t direct;          /* its payload, with msg_direct */
  uint64_t msg_wire;        /* bytes received for it (compressed) */
  size_t msg_checked;       /* msg bytes already seen by the validator */
  tn__utf8_t utf8;
  tn__buf_t msg;
  /* The text being handed to the message callback: sent back as it is,
   * it needs no second UTF-8 check. */
  const char *delivered;
  size_t delivered_len;

  /* The control frame being received. */
  uint8_t ctl_len;
  uint8_t ctl[TN__WS_MAX_CONTROL];

  /* Output: frames not yet handed to the kernel, and the bytes of a
   * uv_write still in flight (for the queue limit). */
  tn__buf_t out;
  size_t inflight;

  tn__ws_member_t *groups;  /* the groups joined */
  char remote_ip[INET6_ADDRSTRLEN];
};

/* Writes the HTTP head of a 101 answer to `req` with the header `lines`
 * ("Name: value\r\n"...) after the handler's own headers (response.c). */
int tn__response_switch(tn_req_t *req, const char *lines, size_t len);

/* The connection's request was upgraded (tn__ws_upgrade accepted it):
 * after its 101 is queued, conn.c hands the connection to the WebSocket
 * (conn->ws = req->ws) and calls this; the bytes that followed the
 * request are then fed in. */
void tn__ws_start(tn_ws_t *ws);
/* Bytes read on the connection ([p, end), writable: frames are unmasked
 * in place). */
void tn__ws_feed(tn_ws_t *ws, char *p, char *end);
/* The connection's output has gone; send what is queued. */
void tn__ws_flush(tn_ws_t *ws);
/* The connection's deadline has passed: a ping is due, a pong or the
 * peer's close is late. */
void tn__ws_on_deadline(tn_ws_t *ws, uint64_t now);
/* The server stops: close with 1001. */
void tn__ws_going_away(tn_ws_t *ws);
/* The TCP connection is closing: run the close callback, leave every
 * group, free the WebSocket. */
void tn__ws_free(tn_ws_t *ws);
/* A new WebSocket on the upgrade request's connection (ws_conn.c), not
 * yet started; NULL when out of memory. */
tn_ws_t *tn__ws_new(tn_req_t *req, const tn_ws_handler_t *h);
/* TN_EINVAL unless `opcode` is TN_WS_TEXT with UTF-8 `data`, or
 * TN_WS_BINARY: what every public send checks first. */
int tn__ws_check_msg(int opcode, const void *data, size_t len);

/* A message already checked (opcode, UTF-8) on its way to one or more
 * connections: compressed at most once per window size, however many
 * connections agreed on deflate. tn__ws_msg_done frees the copies. */
typedef struct {
  int opcode;
  const void *data;
  size_t len;
  uint16_t tried;   /* bit b: compression with window b was tried */
  tn__buf_t z[16];  /* by window size: the compressed bytes, if smaller */
} tn__ws_msg_t;

/* Queues the message as one frame, compressed when the connection agreed
 * to it and it is worth it; the queue limit applies. */
int tn__ws_send_msg(tn_ws_t *ws, tn__ws_msg_t *m);
void tn__ws_msg_done(tn__ws_msg_t *m);

/* Groups (ws_group.c): each worker keeps its own members of every group;
 * a broadcast reaches the other workers through their inboxes. */
typedef struct tn__ws_group_s tn__ws_group_t;
typedef struct tn__ws_post_s tn__ws_post_t;

/* Every group with a member on this worker, by name. */
typedef struct {
  tn__ws_group_t **buckets;
  size_t nbuckets; /* a power of two, or 0 */
  size_t n;
} tn__ws_groups_t;

/* What all workers share: the one place where workers meet. Each
 * worker's inbox is a list under its lock, drained on its loop when its
 * async handle is woken. */
typedef struct {
  tn__worker_t **workers;
  unsigned n;
} tn__hub_t;

/* Leaves every group (the connection is closing). */
void tn__ws_leave_all(tn_ws_t *ws);
/* Drains the worker's inbox (its async handle's callback). */
void tn__ws_on_inbox(uv_async_t *handle);
/* Stops other workers posting to the inbox (and so waking its handle):
 * before the handle is closed. */
void tn__ws_inbox_seal(tn__worker_t *w);
/* Frees the worker's WebSocket state at its end: posts never delivered,
 * the groups table, the deflate streams. */
void tn__ws_worker_free(tn__worker_t *w);

/* --- Requests and responses -------------------------------------------- */


/* A header set by the handler: "Name: value\r\n" at [off, off+len) of
 * the request's `out` buffer; len 0 once replaced. */
typedef struct {
  uint32_t off;
  uint32_t len;
  uint32_t name_len;
} tn__out_header_t;

/* Where a request is (tn_req_s.phase). */
enum {
  TN__REQ_HEAD,    /* its head is arriving */
  TN__REQ_BODY,    /* its body is arriving */
  TN__REQ_HANDLER, /* its handler is running */
  TN__REQ_ASYNC    /* its handler returned; tn_finish() has not come yet */
};

/* tn_req_s.rflags */
enum {
  TN__REQ_IS_ASYNC = 1u << 0,  /* an async route: finished by tn_finish() */
  TN__REQ_FINISHED = 1u << 1,  /* tn_finish() was called */
  TN__REQ_FLUSH = 1u << 2,     /* tn_flush() asked for the body so far */
  TN__REQ_STREAMING = 1u << 3, /* the head went out (chunked or to EOF) */
  TN__REQ_GONE = 1u << 4,      /* the client went away first */
  TN__REQ_CONTINUE = 1u << 5,  /* "100 Continue" is owed before the body */
  TN__REQ_CLOSE = 1u << 6,     /* the streamed head said Connection: close */
  TN__REQ_UPGRADE = 1u << 7    /* answered 101: `ws` takes the connection */
};

typedef struct tn__async_s tn__async_t;
typedef struct tn__sendfile_s tn__sendfile_t;

/* A block of request arena memory beyond the inline one. */
typedef struct tn__chunk_s {
  struct tn__chunk_s *next;
  max_align_t data[];
} tn__chunk_t;

struct tn_req_s {
  tn__conn_t *conn;
  tn_req_t *next_free; /* the worker's pool list */
  uint64_t start_ns;   /* uv_hrtime() when its first byte was read */
  /* tn_req_remote_ip() (remote.c), found on first use; "" until then, so
   * tn__req_acquire empties it for the next request */
  char remote_ip[INET6_ADDRSTRLEN];

  /* tn_current_user(), asked of the app's hook once */
  void *current_user;
  bool current_user_known;

  /* the arena (tn_req_alloc): bump allocation in `arena0`, then chunks */
  char *arena_ptr;
  size_t arena_left;
  tn__chunk_t *chunks;

  /* the request */
  tn__http1_t head;
  tn_str_t path;
  tn_str_t query;
  tn_str_t body;

  /* its arguments (args.c), parsed on first use into arena memory; a list
   * is valid only while its TN__ARGS_* bit is set in `args_parsed` */
  unsigned args_parsed;
  tn__args_t query_args;
  tn__args_t body_args;
  /* with body_args: a multipart body's files, and why the body is
   * malformed (the 400 every reader of it answers) or NULL */
  tn__files_t files;
  const char *body_error;
  /* tn_get_json_body's value, owned until tn__args_release drops it */
  json_t *json_body;

  /* its cookies and XSRF token (cookie.c, xsrf.c), made on first use in
   * arena memory; tn__cookies_reset forgets them for the next request */
  bool cookies_parsed;      /* `cookies` holds the Cookie headers' pairs */
  bool xsrf_known;          /* the xsrf_* fields below are set */
  size_t ncookies;
  struct tn__cookie_s *cookies;
  int xsrf_version;         /* of the `_xsrf` cookie read; 0: a new token */
  int64_t xsrf_time;        /* the token's timestamp */
  tn_str_t xsrf_raw;        /* the unmasked token */
  const char *xsrf_token;   /* tn_xsrf_token(), once asked */

  /* how far the connection has got with it (conn.c) */
  unsigned phase;      /* TN__REQ_HEAD ... TN__REQ_ASYNC */
  unsigned rflags;     /* TN__REQ_* below */
  uint64_t body_limit; /* the most body bytes it may send -> 413 */
  const char *raw;     /* chunked: the first byte not yet decoded */
  tn__chunked_t chunked;
  char *own;           /* its bytes, copied or taken over (async routes) */
  tn__async_t *async;  /* timers, close notice: only for async routes */
  int file_fd;         /* a file to send after the head (static.c), or -1 */
  uint64_t file_off, file_len;
  tn_ws_t *ws;         /* with TN__REQ_UPGRADE: the WebSocket accepted */

  /* the response */
  int status;
  bool has_content_type;
  bool has_etag;
  bool has_content_encoding;
  uint64_t sent_bytes; /* body bytes queued so far, for the access log */
  bool in_write_error; /* the app's write_error hook is running */
  unsigned nout;
  tn__out_header_t out_headers[TN__MAX_OUT_HEADERS];
  tn__buf_t out;  /* header lines set by the handler */
  tn__buf_t body_out; /* the body written so far */

  max_align_t arena0[TN__ARENA_INLINE / sizeof(max_align_t)];
};

/* Reset the arena of a request taken from the pool / free its chunks. */
void tn__arena_reset(tn_req_t *req);

/* Append the complete response of `req` to the worker's write buffer. */
int tn__response_finish(tn_req_t *req, bool keep_alive);
/* Answer with an error page (404, 405, 400...) instead of a handler. */
int tn__response_error(tn_req_t *req, int status, unsigned allow);
/* The same page with a detail after the reason, "400: Bad Request (Missing
 * argument q)": for the errors that a call made by the handler answers
 * (tn_require_argument). `detail` is HTML-escaped; NULL for none. */
int tn__response_error_detail(tn_req_t *req, int status, const char *detail);
/* tn_set_header (or with `replace` false tn_add_header) for the headers the
 * runtime adds as a response completes (ETag, Vary, Content-Encoding):
 * they have slots of their own, so a handler that used all of its slots
 * still gets its response sent. */
int tn__put_header_late(tn_req_t *req, const char *name, const char *value,
                        bool replace);
/* The head and the body written so far of a response sent in pieces
 * (tn_flush): chunked for HTTP/1.1, else up to the connection's close.
 * Then tn__response_end_stream sends the rest and the last chunk. */
int tn__response_stream(tn_req_t *req, bool keep_alive);
int tn__response_end_stream(tn_req_t *req);
/* Reset the response side of a pooled request. */
void tn__response_reset(tn_req_t *req);

/* Route a parsed request to its handler, or answer for the router. */
void tn__route(tn_req_t *req);

/* "200 OK" for a status, or NULL when the runtime has no reason phrase. */
const char *tn__status_line(int status, size_t *len);

/* --- Handlers (handler.c, cookie.c, signed_cookie.c, xsrf.c, url.c) ------ */

/* The XSRF check of a request to a handler (xsrf.c): 0 when it may go on
 * (a safe method, or a token matching the `_xsrf` cookie), else 403 after
 * answering it. */
int tn__xsrf_check(tn_req_t *req);

/* One cookie of a Cookie header: the name as sent (whitespace stripped,
 * possibly empty), the value unquoted and NUL-terminated. */
typedef struct tn__cookie_s {
  tn_str_t name;
  tn_str_t value;
} tn__cookie_t;

/* Tornado's parse_cookie over one Cookie header, in the order sent (a
 * lookup takes the last of a name, as its dict does). `items` has room
 * for tn__cookie_room(header) entries and *text for header.len +
 * tn__cookie_room(header) bytes; *text is moved past what was used.
 * Returns the count. */
size_t tn__cookie_room(tn_str_t header);
size_t tn__cookie_parse(tn_str_t header, tn__cookie_t *items, char **text);
/* The value of cookie `name` as Tornado's get_cookie finds it, or
 * {NULL, 0}. Returns 0, or TN_ENOMEM (nothing answered). */
int tn__cookie_value(tn_req_t *req, const char *name, tn_str_t *value);
/* Forget the cookies and XSRF token of the request a pooled one was. */
void tn__cookies_reset(tn_req_t *req);
/* The version of a signed value or XSRF token as Tornado's
 * _signed_value_version_re reads it (a number without leading zero, '|',
 * no newline after but a last one), saturated at 1000; 0: no version. */
int tn__signed_version(const char *s, size_t n);

/* Writes `n` bytes at `in` to `out` as a query-string value, as Python's
 * urllib.parse.quote_plus: ASCII letters, digits and "_.-~" as they are,
 * ' ' as '+', every other byte %XX. `out` has room for 3n bytes; returns
 * the length written. */
size_t tn__query_escape(char *out, const char *in, size_t n);

/* --- Connections (conn.c) ---------------------------------------------- */

enum {
  TN__CONN_WRITING = 1u << 0,  /* a uv_write is in flight */
  TN__CONN_CLOSE = 1u << 1,    /* close once the queued output is sent */
  TN__CONN_LINGER = 1u << 2,   /* output sent and shut down; discarding */
  TN__CONN_CLOSING = 1u << 3,  /* uv_close called */
  TN__CONN_CLOSED = 1u << 4,   /* the handle has closed; only an async
                                  request keeps the struct alive */
  TN__CONN_RESUME = 1u << 5,   /* on the worker's resume list */
  TN__CONN_PAUSED = 1u << 6    /* reading stopped: input held back */
};

/* Every wait of a connection has a deadline, checked once a second by the
 * worker's sweep (tn__conn_sweep) rather than by a timer per connection:
 * an idle connection then costs its struct and nothing else, and a read
 * costs one store instead of a timer-heap update. */
struct tn__conn_s {
  uv_tcp_t tcp;       /* must stay first: handles are cast back to conns */
  tn__worker_t *worker;
  tn__conn_t *prev, *next; /* the worker's connections, for the sweep */
  tn__conn_t *next_resume; /* the worker's resume list */
  uint64_t deadline;  /* uv_now() ms when the current wait ends; 0: none */
  unsigned flags;     /* TN__CONN_* */
  tn_req_t *req;      /* the request being received or handled, if any */
  tn__sendfile_t *file; /* a file response still going out */
  tn_ws_t *ws;        /* after an upgrade: the WebSocket it carries */
  /* the connection's own bytes: a request that arrived in pieces, or
   * input that came while an async request was being handled */
  char *buf;
  size_t len;
  size_t cap;
};

/* --- Sending files (sendfile.c) ---------------------------------------- */

/* Files larger than this are sent with sendfile(2); smaller ones are read
 * into the response, which costs less than a second write. */
#define TN__SENDFILE_MIN (64 * 1024)

/* A file of the connection's to send once its queued output has gone:
 * `len` bytes of `fd` from `off`. It owns `fd`. */
tn__sendfile_t *tn__sendfile_new(tn__conn_t *c, int fd, uint64_t off,
                                 uint64_t len);
/* Sends what the socket takes: 1 done, 0 waiting for room, -1 error. */
int tn__sendfile_pump(tn__sendfile_t *f);
void tn__sendfile_free(tn__sendfile_t *f);
/* Goes on with the connection's file (after a write, or when the socket
 * has room again). */
void tn__conn_send_file(tn__conn_t *c);

void tn__conn_accept(tn__worker_t *w, uv_stream_t *server);
void tn__conn_close(tn__conn_t *c);
/* The last output is queued: send FIN once it has gone, read and discard
 * for a while (so that unread input does not make the kernel send RST
 * over it), then close. */
void tn__conn_shutdown(tn__conn_t *c);
/* Answer `status` to the request being received and close after it. */
void tn__conn_fail(tn__conn_t *c, int status);
/* Close what has waited past its deadline (the worker calls it each
 * second with uv_now()). */
void tn__conn_sweep(tn__worker_t *w, uint64_t now);
/* Send what an async request has produced, outside its read callback:
 * the connection joins the worker's resume list, run from an idle
 * handle so that the worker's write buffer is never shared. */
void tn__conn_schedule(tn__conn_t *c);
/* Run the resume list (the worker's idle callback). */
void tn__conn_resume_all(tn__worker_t *w);
/* An async route's request must outlive its read: give it its bytes. */
int tn__req_own_bytes(tn_req_t *req);

/* --- Async requests (async.c) ------------------------------------------ */

/* The client of a request whose handler is still running went away:
 * notify the handler (tn_on_connection_close). */
void tn__async_gone(tn_req_t *req);
/* The request's response is complete: the app's on_finish hook, the
 * access log, its timers cancelled. */
void tn__req_done(tn_req_t *req);
/* Free what an async request holds outside its arena (before release). */
void tn__async_release(tn_req_t *req);

/* --- Workers (worker.c) ------------------------------------------------- */

#define TN__MAX_WORKERS 256 /* --workers, and what 0 (one per core) gets */
#define TN__CLF_DATE_SIZE 32 /* "22/Nov/2026:10:00:00 +0000" and a NUL */

/* tn_serve runs one worker in its own thread and each other one in a
 * thread of its own, every one with its own SO_REUSEPORT listener, so the
 * kernel spreads the connections and nothing mutable is shared. */
struct tn__worker_s {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigint;
  uv_signal_t sigterm;
  uv_signal_t sighup;    /* worker 0, with an access log file: reopen it */
  uv_async_t wakeup;     /* another thread asks this loop to stop */
  uv_timer_t date_timer;
  uv_timer_t stop_timer; /* the graceful stop's deadline */
  uv_idle_t resume_idle; /* runs the resume list (tn__conn_schedule) */
  tn__conn_t *conns;     /* every open connection, for the sweep */
  tn__conn_t *resume;    /* connections with async output to send */
  uv_thread_t thread;    /* workers 1.. only */
  unsigned id;           /* 0: the thread that called tn_serve */
  bool sighup_on;        /* `sighup` was started */
  const tn_app_t *app;
  const tn_options_t *opts;
  char date[40]; /* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" */
  size_t date_len;
  char log_date[TN__CLF_DATE_SIZE]; /* the access log's, with `date` */
  tn__buf_t access;      /* access log lines not written yet (log.c) */
  unsigned nconns;
  bool stopping;
  tn_req_t *free_reqs;          /* the request pool */
  tn__buf_t wbuf;               /* responses gathered for one write */
  tn__buf_t zbuf;               /* a gzipped body on its way to wbuf */
  char rbuf[TN__READ_BUF_SIZE]; /* every connection reads here first */
  bool rbuf_lent;               /* rbuf is between alloc_cb and read_cb */

  /* WebSocket: this worker's members of each group, the inbox where other
   * workers post their broadcasts, and one deflate stream per window size
   * (9..15), reset per message, shared by every connection. */
  tn__hub_t *hub;
  tn__ws_groups_t groups;
  uv_async_t inbox_async;
  uv_mutex_t inbox_lock;
  tn__ws_post_t *inbox;         /* under inbox_lock */
  bool inbox_closed;            /* under inbox_lock: no more posts */
  struct z_stream_s *ws_deflate[16];
};

/* The resume_idle callback. */
void tn__worker_on_resume(uv_idle_t *idle);

tn_req_t *tn__req_acquire(tn__worker_t *w);
void tn__req_release(tn__worker_t *w, tn_req_t *req);

/* --- Logging (log.c, remote.c) ------------------------------------------ */

/* The server log's threshold (tn_log): TN_LOG_*, set by tn_serve before
 * any worker runs. */
void tn__log_set_level(int level);

/* The access log: one file per process, opened by tn_serve with
 * O_APPEND, written by every worker from a buffer of its own. */
#define TN__ACCESS_FLUSH (16 * 1024) /* a worker writes its lines here */

/* Opens `path` ("-": stderr) for appending; 0, or a negative error after
 * logging why. */
int tn__access_open(const char *path);
/* Opens the file again under the same descriptor (after a rotation:
 * SIGHUP); 0 or a negative error, logged. */
int tn__access_reopen(void);
void tn__access_close(void);
/* Writes the worker's buffered lines (every second, and at the end). */
void tn__access_flush(tn__worker_t *w);
/* Logs one completed request: conn.c calls it once its response has
 * been queued, `body_bytes` the body's length on the wire. Nothing is done
 * without --access-log. */
void tn__access_log(tn__worker_t *w, const tn_req_t *req,
                    uint64_t body_bytes);

/* One access log line, in Common Log Format and the request time:
 *   HOST - - [DATE] "METHOD TARGET HTTP/1.x" STATUS BYTES SECONDS
 * `host` "" is written "-", `bytes` 0 too (CLF's "no body"). */
typedef struct {
  const char *host;     /* the client address */
  const char *date;     /* from tn__clf_date */
  tn_str_t method;      /* as sent */
  tn_str_t target;      /* as sent */
  int minor_version;    /* HTTP/1.x */
  int status;
  uint64_t bytes;       /* body bytes sent */
  uint64_t duration_ns; /* first byte read to response queued */
} tn__access_entry_t;

/* The most bytes tn__access_line can write for `e`: every byte of the
 * method and target escaped. */
size_t tn__access_line_max(const tn__access_entry_t *e);
/* Writes the line, '\n' included, to `out` (tn__access_line_max(e)
 * bytes) and returns its length. Bytes of the method and target outside
 * printable ASCII, '"' and '\\' are written \xHH, so a request cannot
 * end a line or a field early. */
size_t tn__access_line(char *out, const tn__access_entry_t *e);
/* Formats time `t` (seconds since the epoch) at `utc_offset` seconds east
 * of UTC as CLF does: "22/Nov/2026:10:00:00 +0100". */
void tn__clf_date(char out[TN__CLF_DATE_SIZE], int64_t t, long utc_offset);

/* Tornado's HTTPServer(xheaders=True) rule, applied to a parsed head: the
 * X-Real-IP header if there is one, else the last comma-separated address
 * of the X-Forwarded-For header(s), surrounding whitespace stripped. When
 * that is a valid IPv4 or IPv6 address (inet_pton) it is copied to `out`
 * and true returned; else (none sent, malformed, several X-Real-IP
 * headers) false: the peer's address stands. */
bool tn__xheaders_ip(char out[INET6_ADDRSTRLEN], const tn__http1_t *head);

/* --- Static files (static.c) ------------------------------------------- */

/* Room for an ETag from tn__static_etag and an IMF-fixdate, NUL included. */
#define TN__ETAG_SIZE 56
#define TN__HTTP_DATE_SIZE 30 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Whether a decoded path below a static root may be served: not empty, no
 * empty, "." or ".." segment (so no leading '/'), no backslash, no NUL. */
bool tn__static_path_ok(tn_str_t path);
/* The Content-Type for a file name's extension (case-insensitive). */
const char *tn__mime_type(tn_str_t name);
/* Writes the quoted strong ETag of a file snprintf-style; returns its
 * length. */
int tn__static_etag(char *out, size_t size, uint64_t file_size,
                    uint64_t mtime_ns, uint64_t ino);
/* Whether an If-None-Match value matches `etag` (RFC 9110's weak
 * comparison, as that header uses); `*` matches anything. */
bool tn__etag_match(tn_str_t field, tn_str_t etag);
/* Formats `t` (seconds since the epoch, clamped to 1970..9999) as an
 * IMF-fixdate. */
void tn__http_date_format(char out[TN__HTTP_DATE_SIZE], int64_t t);
/* Parses an HTTP-date in any of RFC 9110's three formats (IMF-fixdate,
 * RFC 850, asctime) into seconds since the epoch. `now` places an RFC 850
 * two-digit year in the 100 years around it: at most 50 years after, less
 * than 50 before. Returns 0 or TN_EINVAL. */
int tn__http_date_parse(tn_str_t s, int64_t now, int64_t *out);
/* The ETag of a response body (etag.c): a quoted 64-bit hash, W/-prefixed
 * when `weak` (a gzipped body: the same content, another encoding).
 * Returns its length. */
int tn__body_etag(char out[TN__ETAG_SIZE], const void *data, size_t len,
                  bool weak);

/* Whether the response to `req` is to be gzipped (gzip.c): the app's
 * compress_response, a client accepting gzip, a text type, no encoding of
 * its own, a body worth it. Adds Vary: Accept-Encoding either way when the
 * app compresses. */
bool tn__gzip_wanted(tn_req_t *req);
/* Gzips the request's body into `out` and sets Content-Encoding. */
int tn__gzip_body(tn_req_t *req, tn__buf_t *out);

/* Results of tn__range_parse (range.c). */
enum {
  TN__RANGE_WHOLE,        /* no usable Range: the whole file, 200 */
  TN__RANGE_PART,         /* one range, [*start, *start + *len): 206 */
  TN__RANGE_UNSATISFIABLE /* 416 */
};
/* The Range field of a request for a file of `size` bytes. */
int tn__range_parse(tn_str_t field, uint64_t size, uint64_t *start,
                    uint64_t *len);
/* Whether If-Range (absent: {NULL, 0}) lets the Range apply: a strong
 * match of the ETag, or exactly the Last-Modified date. */
bool tn__if_range_ok(tn_str_t field, tn_str_t etag, tn_str_t modified);

/* Whether a query string has a `v` parameter (a static_url version). */
bool tn__static_versioned(tn_str_t query);

#endif /* TORN_INTERNAL_H */
