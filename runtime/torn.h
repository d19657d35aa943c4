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
  X(EARITY, -9, "wrong number of arguments for the route")

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
 * sent as application/x-www-form-urlencoded (the type compared
 * case-insensitively, parameters such as "; charset=UTF-8" allowed; any
 * other body, or one with a Content-Encoding, has no arguments).
 *
 * Both are parsed as Tornado does (urllib's parse_qsl with
 * keep_blank_values=True): pieces split on '&' only, empty ones skipped;
 * "a" alone is `a` with the value ""; "=x" is the argument named ""; '+'
 * is a space and %XX a byte, in names and values; a malformed escape
 * ("%zz", a lone '%') is kept as written. Each value is then cleaned as
 * get_argument(strip=True) does: control characters but \t \n \v \f \r
 * become spaces (a decoded "%00" too, so a value is always a whole C
 * string), and leading and trailing whitespace is stripped -- ASCII and
 * the Unicode spaces in UTF-8. Names are compared byte for byte, case
 * sensitive, and are neither cleaned nor stripped.
 *
 * Unlike Tornado, which answers 400 to a value that is not UTF-8, the
 * bytes pass through as sent: check them before handing them to anything
 * that requires UTF-8 (jansson's json_string returns NULL for them).
 *
 * Each source is parsed once, on the first call that needs it; values are
 * NUL-terminated, in request memory (tn_req_alloc), valid until the
 * request ends. */

/* The last value of argument `name` from the query string and the body
 * (a body value wins: it comes after the query's), or `def` when there is
 * none. Out of memory it answers 500 and returns NULL: the handler then
 * just returns. */
const char *tn_get_argument(tn_req_t *req, const char *name, const char *def);
/* The same from the query string only (get_query_argument) or the body
 * only (get_body_argument). */
const char *tn_get_query_argument(tn_req_t *req, const char *name,
                                  const char *def);
const char *tn_get_body_argument(tn_req_t *req, const char *name,
                                 const char *def);

/* All the values of `name`, in order, the query's first then the body's
 * (get_arguments). Returns their count and sets *values to an array of
 * them in request memory (NULL when the count is 0), or returns TN_ENOMEM
 * (*values NULL). Nothing is answered on failure. */
int tn_get_arguments(tn_req_t *req, const char *name, const char ***values);
/* The same from the query string only, or the body only. */
int tn_get_query_arguments(tn_req_t *req, const char *name,
                           const char ***values);
int tn_get_body_arguments(tn_req_t *req, const char *name,
                          const char ***values);

/* A required argument (get_argument without a default): its last value,
 * as tn_get_argument; or NULL after answering 400 with "Missing argument
 * NAME" in the error page (Tornado's MissingArgumentError), which replaces
 * anything the handler set or wrote before. NULL means the request has
 * been answered: the handler just returns. Present with an empty value
 * ("?q=" or "?q") is present: "" is returned. */
const char *tn_require_argument(tn_req_t *req, const char *name);

/* --- Responses --------------------------------------------------------- */

/* Set the status code (default 200). Returns TN_EINVAL outside 100..599. */
int tn_set_status(tn_req_t *req, int status);
/* Add a response header, keeping any of the same name (Set-Cookie,
 * Link...): Tornado's add_header. Checked as tn_set_header. */
int tn_add_header(tn_req_t *req, const char *name, const char *value);
/* Set a response header, replacing one of the same name. Names must be
 * tokens and values must not hold CR, LF or NUL: anything else is refused
 * with TN_EHEADER and nothing is sent. Content-Length, Date, Server and
 * Connection are the runtime's own and refused as TN_EINVAL. */
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

/* Redirect to `url` with `status` (301, 302, 303, 307 or 308; anything
 * else is TN_EINVAL): sets Location and an empty body. Tornado's
 * self.redirect(). A URL with CR, LF or NUL is refused (TN_EHEADER). */
int tn_redirect(tn_req_t *req, const char *url, int status);

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
 * Headers the handler set before the call are kept, and a Content-Type it
 * set wins over the extension's; any body it wrote is discarded. The file
 * is read whole into the response for now (no Range, no sendfile), so
 * files over 1 GiB are answered 500. Returns 0, or TN_ENOMEM and leaves
 * the answer to the caller (the generated router answers 500). */
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
  TN_APP_COMPRESS = 1u << 2
};

/* Per-route settings, passed by the generated dispatcher. */
enum {
  /* `route ... -> h authenticated;`: Tornado's @authenticated. */
  TN_ROUTE_AUTHENTICATED = 1u << 0
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
} tn_app_t;

/* The logged-in user of the request as the app's current_user hook
 * returns it (asked once per request), or NULL: Tornado's current_user. */
void *tn_current_user(tn_req_t *req);

/* Run by the generated dispatcher before a handler: the XSRF check, the
 * app's prepare hook, then for TN_ROUTE_AUTHENTICATED routes the login
 * check. Returns 0 to call the handler, or nonzero when the request has
 * been answered (403, a redirect to login_url, or whatever prepare did). */
int tn__before_handler(tn_req_t *req, unsigned route_flags);

/* The application serving `req`. */
const tn_app_t *tn_req_app(const tn_req_t *req);

/* Tornado's reverse_url: the URL of route `name` with `nargs` arguments
 * given as text. Returns its length (>= size when truncated), TN_ENOROUTE
 * for an unknown name, TN_EARITY for a wrong count, TN_EINVAL for a value
 * its parameter does not accept. The typed APP_url_NAME() builders of the
 * generated header check all of this at C compile time instead. */
int tn_reverse_url(const tn_app_t *app, char *out, size_t size,
                   const char *name, const char *const *args, size_t nargs);

/* Log levels of --log-level, least to most severe. */
enum {
  TN_LOG_DEBUG,
  TN_LOG_INFO,
  TN_LOG_WARNING,
  TN_LOG_ERROR,
  TN_LOG_NONE
};

/* Server options; tn_options_init fills in the defaults. */
typedef struct {
  const char *address; /* listen address, default "127.0.0.1" */
  int port;            /* listen port, default 8888 */
  int workers;         /* loops (threads), each with its own SO_REUSEPORT
                          listener; 0 = one per core (the default) */
  int log_level;       /* TN_LOG_*, default TN_LOG_INFO */
  const char *access_log; /* file the access log is appended to; "-" for
                             stderr; NULL (the default): none */
  const char *cookie_secret; /* key of signed cookies and XSRF tokens;
                                NULL: signed cookies are refused */
  int xheaders;        /* trust X-Real-IP / X-Forwarded-For (behind a
                          proxy); default 0 */
  uint64_t max_body_size;  /* request body limit -> 413; default 16 MiB */
  uint32_t max_header_size; /* request line + headers -> 431; default 8 KiB */
  uint32_t idle_timeout_ms;   /* keep-alive connection with no request */
  uint32_t header_timeout_ms; /* to receive a whole head (slowloris) */
  uint32_t body_timeout_ms;   /* between two reads of a body */
  uint32_t stop_timeout_ms;   /* SIGTERM: in-flight requests' deadline */
} tn_options_t;

void tn_options_init(tn_options_t *opts);

/* Parses the command line (--address, --port, --help, --version) into
 * `opts`. Returns 0, 1 when the program should exit successfully (help or
 * version was printed), or TN_EINVAL after printing a usage error. */
int tn_options_parse(tn_options_t *opts, const char *prog, int argc,
                     char **argv);

/* Serves `app` with `opts` until SIGINT or SIGTERM. Returns 0 on a clean
 * stop, or a negative error after printing why the server could not start. */
int tn_serve(const tn_app_t *app, const tn_options_t *opts);

/* The whole of a generated main(): parse the options and serve. Returns
 * the process exit status. */
int tn_main(const tn_app_t *app, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* TORN_H */
