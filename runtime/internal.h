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
#include <uv.h>

#include "torn.h"

/* --- Limits ------------------------------------------------------------ */

#define TN__READ_BUF_SIZE (64 * 1024) /* the worker's shared read buffer */
#define TN__MAX_HEAD 8192             /* request line + headers -> 431 */
#define TN__MAX_BODY (1024 * 1024)    /* Content-Length -> 413 */
#define TN__MAX_HEADERS 64            /* header lines -> 431 */
#define TN__MAX_OUT_HEADERS 32        /* headers a handler may set */
#define TN__LINGER_MS 2000            /* read-and-discard after an error */
#define TN__STOP_DEADLINE_MS 10000    /* then a stop closes what is left */
#define TN__POOL_KEEP (64 * 1024)     /* a pooled buffer larger is freed */
#define TN__ARENA_INLINE 512          /* request arena bytes inside the req */
#define TN__ARENA_CHUNK 4096          /* then chunks of at least this */
#define TN__URL_STACK 2048            /* URLs built on the stack up to this */
#define TN__STATIC_MAX_FILE (1u << 30) /* static files read whole -> 500 */

/* --- Byte buffers ------------------------------------------------------ */

/* The runtime's buffers are the public tn_buf_t. The memory moves when
 * one grows: keep offsets, not pointers, into it. */
typedef tn_buf_t tn__buf_t;

int tn__buf_reserve(tn__buf_t *b, size_t extra);
int tn__buf_append(tn__buf_t *b, const void *data, size_t len);
void tn__buf_free(tn__buf_t *b);

static inline void tn__buf_put(tn__buf_t *b, const void *data, size_t len) {
  /* Callers reserve first; this is the unchecked copy of the hot path. */
  memcpy(b->data + b->len, data, len);
  b->len += len;
}

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
  TN__HEAD_HOST = 1u << 4
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
  const char *start; /* first byte of this request */
  const char *tok;   /* first byte of the current token */
  const char *cur;   /* next byte to scan */
  const char *mar;   /* re2c backtracking marker */
  const char *lim;   /* end of input; *lim == 0 */

  /* results, valid after TN__PARSE_DONE */
  tn_str_t method;
  unsigned method_bit; /* TN_METHOD_* */
  tn_str_t target;
  int minor_version;       /* HTTP/1.x */
  unsigned flags;          /* TN__HEAD_* */
  uint64_t content_length; /* valid with TN__HEAD_CONTENT_LENGTH */
  unsigned nheaders;
  tn__header_t headers[TN__MAX_HEADERS];
} tn__http1_t;

/* Start parsing a request whose first byte is at `start`. */
void tn__http1_init(tn__http1_t *p, const char *start, const char *lim);
/* Scan what has arrived. Returns TN__PARSE_DONE, TN__PARSE_AGAIN or the
 * HTTP status to answer a bad request with (400, 431, 501). */
int tn__http1_parse(tn__http1_t *p);
/* The bytes moved from `from` to `to`: shift every pointer in `p`. */
void tn__http1_rebase(tn__http1_t *p, const char *from, const char *to);

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
 * Lengths are kept in 32 bits: `in` must be under 4 GiB (a request's query
 * and body are far smaller, TN__MAX_HEAD and TN__MAX_BODY). */
size_t tn__form_size(tn_str_t in, size_t *text_size);
size_t tn__form_parse(tn_str_t in, tn__arg_t *items, char *text);

/* --- Requests and responses -------------------------------------------- */

typedef struct tn__conn_s tn__conn_t;
typedef struct tn__worker_s tn__worker_t;

/* A header set by the handler: "Name: value\r\n" at [off, off+len) of
 * the request's `out` buffer; len 0 once replaced. */
typedef struct {
  uint32_t off;
  uint32_t len;
  uint32_t name_len;
} tn__out_header_t;

/* A block of request arena memory beyond the inline one. */
typedef struct tn__chunk_s {
  struct tn__chunk_s *next;
  max_align_t data[];
} tn__chunk_t;

struct tn_req_s {
  tn__conn_t *conn;
  tn_req_t *next_free; /* the worker's pool list */
  uint64_t start_ns;   /* uv_hrtime() when its first byte was read */

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

  /* the response */
  int status;
  bool has_content_type;
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
/* Reset the response side of a pooled request. */
void tn__response_reset(tn_req_t *req);

/* Route a parsed request to its handler, or answer for the router. */
void tn__route(tn_req_t *req);

/* "200 OK" for a status, or NULL when the runtime has no reason phrase. */
const char *tn__status_line(int status, size_t *len);

/* --- Handlers (handler.c, xsrf.c, url.c) -------------------------------- */

/* The XSRF check of a request to a handler (xsrf.c): 0 when it may go on
 * (a safe method, or a token matching the `_xsrf` cookie), else 403 after
 * answering it. */
int tn__xsrf_check(tn_req_t *req);

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
  TN__CONN_CLOSING = 1u << 3   /* uv_close called */
};

struct tn__conn_s {
  uv_tcp_t tcp;     /* must stay first: handles are cast back to conns */
  uv_timer_t timer; /* lingering close */
  tn__worker_t *worker;
  unsigned flags;   /* TN__CONN_* */
  int open_handles; /* freed when both handles have closed */
  tn_req_t *req;    /* the request being received, if any */
  /* the connection's own bytes, only while a request is incomplete */
  char *buf;
  size_t len;
  size_t cap;
};

void tn__conn_accept(tn__worker_t *w, uv_stream_t *server);
void tn__conn_close(tn__conn_t *c);

/* --- Workers (worker.c) ------------------------------------------------- */

struct tn__worker_s {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigint;
  uv_signal_t sigterm;
  uv_timer_t date_timer;
  uv_timer_t stop_timer; /* the graceful stop's deadline */
  const tn_app_t *app;
  const tn_options_t *opts;
  char date[40]; /* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" */
  size_t date_len;
  unsigned nconns;
  bool stopping;
  tn_req_t *free_reqs;          /* the request pool */
  tn__buf_t wbuf;               /* responses gathered for one write */
  char rbuf[TN__READ_BUF_SIZE]; /* every connection reads here first */
  bool rbuf_lent;               /* rbuf is between alloc_cb and read_cb */
};

tn_req_t *tn__req_acquire(tn__worker_t *w);
void tn__req_release(tn__worker_t *w, tn_req_t *req);

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
/* Whether a query string has a `v` parameter (a static_url version). */
bool tn__static_versioned(tn_str_t query);

#endif /* TORN_INTERNAL_H */
