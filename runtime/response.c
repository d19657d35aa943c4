/* response.c -- building a response: status, headers and body, then the
 * bytes on the wire.
 *
 * A handler's writes go into buffers owned by its (pooled) request; when
 * it returns, tn__response_finish lays the whole response out in the
 * worker's write buffer, after the responses of earlier pipelined
 * requests, so that one write system call sends them all. */
#include <stdio.h>

#include "internal.h"

#define TN__SERVER_HEADER "Server: torn/" TN_VERSION "\r\n"
#define TN__DEFAULT_TYPE "Content-Type: text/html; charset=UTF-8\r\n"

int tn_set_status(tn_req_t *req, int status) {
  if (status < 100 || status > 599)
    return TN_EINVAL;
  req->status = status;
  return 0;
}

static bool is_tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool name_eq(const char *a, size_t alen, const char *b) {
  size_t blen = strlen(b);
  if (alen != blen)
    return false;
  for (size_t i = 0; i < alen; i++)
    if ((a[i] | 0x20) != (b[i] | 0x20))
      return false;
  return true;
}

/* Headers whose values only the runtime can know. */
static bool is_reserved(const char *name, size_t len) {
  static const char *const reserved[] = {"content-length", "date", "server",
                                         "connection", "transfer-encoding"};
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    if (name_eq(name, len, reserved[i]))
      return true;
  return false;
}

/* Adds "name: value", replacing every earlier header of that name when
 * `replace` is set. */
static int put_header(tn_req_t *req, const char *name, const char *value,
                      bool replace, unsigned max) {
  size_t nlen = strlen(name), vlen = strlen(value);
  if (nlen == 0)
    return TN_EHEADER;
  for (size_t i = 0; i < nlen; i++)
    if (!is_tchar((unsigned char)name[i]))
      return TN_EHEADER;
  /* A CR or LF in a value would let the value start a header of its own
   * (response splitting); other controls are refused with them. */
  for (size_t i = 0; i < vlen; i++) {
    unsigned char c = (unsigned char)value[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return TN_EHEADER;
  }
  if (is_reserved(name, nlen))
    return TN_EINVAL;

  tn__out_header_t *slot = NULL;
  for (unsigned i = 0; replace && i < req->nout; i++) {
    tn__out_header_t *h = &req->out_headers[i];
    if (h->len && name_eq(req->out.data + h->off, h->name_len, name)) {
      h->len = 0; /* replaced: the old line stays in `out`, unsent */
      slot = h;
    }
  }
  if (!slot) {
    if (req->nout >= max)
      return TN_ENOMEM;
    slot = &req->out_headers[req->nout++];
  }
  size_t line = nlen + 2 + vlen + 2;
  if (tn__buf_reserve(&req->out, line))
    return TN_ENOMEM;
  slot->off = (uint32_t)req->out.len;
  slot->len = (uint32_t)line;
  slot->name_len = (uint32_t)nlen;
  tn__buf_put(&req->out, name, nlen);
  tn__buf_put(&req->out, ": ", 2);
  tn__buf_put(&req->out, value, vlen);
  tn__buf_put(&req->out, "\r\n", 2);
  if (name_eq(name, nlen, "content-type"))
    req->has_content_type = true;
  else if (name_eq(name, nlen, "etag"))
    req->has_etag = true;
  else if (name_eq(name, nlen, "content-encoding"))
    req->has_content_encoding = true;
  return 0;
}

int tn_set_header(tn_req_t *req, const char *name, const char *value) {
  return put_header(req, name, value, true, TN__USER_OUT_HEADERS);
}

int tn__put_header_late(tn_req_t *req, const char *name, const char *value,
                        bool replace) {
  return put_header(req, name, value, replace, TN__MAX_OUT_HEADERS);
}

int tn_add_header(tn_req_t *req, const char *name, const char *value) {
  return put_header(req, name, value, false, TN__USER_OUT_HEADERS);
}

int tn_write_len(tn_req_t *req, const void *data, size_t len) {
  return tn__buf_append(&req->body_out, data, len);
}

int tn_write(tn_req_t *req, const char *text) {
  return tn_write_len(req, text, strlen(text));
}

int tn_vprintf(tn_req_t *req, const char *fmt, va_list ap) {
  va_list again;
  va_copy(again, ap);
  tn__buf_t *b = &req->body_out;
  size_t room = b->cap - b->len;
  int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
  if (n >= 0 && (size_t)n >= room) {
    /* It did not fit: grow once and format again. */
    if (tn__buf_reserve(b, (size_t)n + 1)) {
      va_end(again);
      return TN_ENOMEM;
    }
    n = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
  }
  va_end(again);
  if (n < 0)
    return TN_EINVAL;
  b->len += (size_t)n;
  return 0;
}

int tn_printf(tn_req_t *req, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int err = tn_vprintf(req, fmt, ap);
  va_end(ap);
  return err;
}

void tn__response_reset(tn_req_t *req) {
  req->status = 200;
  req->has_content_type = false;
  req->has_etag = false;
  req->has_content_encoding = false;
  req->sent_bytes = 0;
  req->nout = 0;
  req->out.len = 0;
  req->body_out.len = 0;
}

/* Writes the decimal digits of n at the end of buf; returns the start. */
static char *format_size(char *end, size_t n) {
  do {
    *--end = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  return end;
}

static bool status_has_body(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

/* How the body of a response is delimited on the wire. */
enum { TN__FRAME_LENGTH, TN__FRAME_CHUNKED, TN__FRAME_CLOSE };

/* The status line and headers, `lines` (a protocol's own header lines,
 * or empty) after the handler's. `body_len` is used with
 * TN__FRAME_LENGTH; `extra` bytes more are reserved for what the caller
 * appends. */
static int put_head(tn_req_t *req, bool keep_alive, int frame,
                    size_t body_len, size_t extra, tn_str_t lines) {
  tn__worker_t *w = req->conn->worker;
  tn__buf_t *o = &w->wbuf;
  char code[16];
  size_t status_len;
  const char *status = tn__status_line(req->status, &status_len);
  if (!status) {
    status_len = (size_t)snprintf(code, sizeof code, "%d Unknown",
                                  req->status);
    status = code;
  }
  char digits[24];
  char *len_end = digits + sizeof digits;
  char *len_str = format_size(len_end, body_len);

  /* The 1.0 default is close; say so when the connection stays open. */
  const char *conn_hdr = "";
  if (!keep_alive || frame == TN__FRAME_CLOSE)
    conn_hdr = "Connection: close\r\n";
  else if (req->head.minor_version == 0)
    conn_hdr = "Connection: keep-alive\r\n";
  size_t conn_len = strlen(conn_hdr);

  size_t need = 9 + status_len + 2 + sizeof TN__SERVER_HEADER + w->date_len +
                sizeof TN__DEFAULT_TYPE + 40 + (size_t)(len_end - len_str) +
                conn_len + req->out.len + lines.len + 2 + extra;
  if (tn__buf_reserve(o, need))
    return TN_ENOMEM;

  tn__buf_put(o, "HTTP/1.1 ", 9);
  tn__buf_put(o, status, status_len);
  tn__buf_put(o, "\r\n" TN__SERVER_HEADER, 2 + sizeof TN__SERVER_HEADER - 1);
  tn__buf_put(o, w->date, w->date_len);
  if (status_has_body(req->status)) {
    if (!req->has_content_type)
      tn__buf_put(o, TN__DEFAULT_TYPE, sizeof TN__DEFAULT_TYPE - 1);
    if (frame == TN__FRAME_LENGTH) {
      tn__buf_put(o, "Content-Length: ", 16);
      tn__buf_put(o, len_str, (size_t)(len_end - len_str));
      tn__buf_put(o, "\r\n", 2);
    } else if (frame == TN__FRAME_CHUNKED) {
      tn__buf_put(o, "Transfer-Encoding: chunked\r\n", 28);
    }
  }
  tn__buf_put(o, conn_hdr, conn_len);
  for (unsigned i = 0; i < req->nout; i++) {
    const tn__out_header_t *h = &req->out_headers[i];
    if (h->len)
      tn__buf_put(o, req->out.data + h->off, h->len);
  }
  tn__buf_put(o, lines.ptr, lines.len);
  tn__buf_put(o, "\r\n", 2);
  return 0;
}

int tn__response_switch(tn_req_t *req, const char *lines, size_t len) {
  req->status = 101;
  return put_head(req, true, TN__FRAME_LENGTH, 0, 0, (tn_str_t){lines, len})
             ? TN_ENOMEM
             : 0;
}

/* Tornado's compute_etag/check_etag_header: a 200 answer to GET or HEAD
 * that set no ETag of its own gets one from a hash of its body, and a
 * request already holding that version gets 304 and no body. */
static int etag_body(tn_req_t *req, bool weak) {
  if (req->status != 200 || req->has_etag || req->file_fd >= 0 ||
      !(req->head.method_bit & (TN_METHOD_GET | TN_METHOD_HEAD)))
    return 0;
  char etag[TN__ETAG_SIZE];
  int n = tn__body_etag(etag, req->body_out.data, req->body_out.len, weak);
  tn_str_t inm = tn_req_header(req, "If-None-Match");
  if (inm.ptr && tn__etag_match(inm, (tn_str_t){etag, (size_t)n}))
    req->status = 304;
  return tn__put_header_late(req, "ETag", etag, true);
}

int tn__response_finish(tn_req_t *req, bool keep_alive) {
  tn__buf_t *body = &req->body_out;
  bool gz = req->file_fd < 0 && tn__gzip_wanted(req);
  int err = etag_body(req, gz);
  if (!err && gz && req->status == 200 &&
      (err = tn__gzip_body(req, &req->conn->worker->zbuf)) == 0)
    body = &req->conn->worker->zbuf;
  if (err)
    return err;
  bool send_body = status_has_body(req->status) &&
                   req->head.method_bit != TN_METHOD_HEAD;
  size_t len = body->len;
  if (req->file_fd >= 0) {
    /* The file follows the head (tn__conn_send_file). */
    len = (size_t)req->file_len;
    send_body = false;
  }
  if (put_head(req, keep_alive, TN__FRAME_LENGTH, len, send_body ? len : 0,
               (tn_str_t){NULL, 0}))
    return TN_ENOMEM;
  if (req->file_fd >= 0 && req->head.method_bit != TN_METHOD_HEAD)
    req->sent_bytes = len;
  if (send_body) {
    tn__buf_put(&req->conn->worker->wbuf, body->data, len);
    req->sent_bytes = len;
  }
  return 0;
}

/* The body written since the last flush, as one chunk (or as it is, when
 * the response runs to the connection's close). */
static int put_chunk(tn_req_t *req) {
  tn__buf_t *o = &req->conn->worker->wbuf;
  size_t len = req->body_out.len;
  req->body_out.len = 0;
  if (len == 0 || req->head.method_bit == TN_METHOD_HEAD ||
      !status_has_body(req->status))
    return 0;
  bool chunked = !(req->rflags & TN__REQ_CLOSE);
  if (tn__buf_reserve(o, len + 24))
    return TN_ENOMEM;
  if (chunked) {
    char size[20];
    int n = snprintf(size, sizeof size, "%zx\r\n", len);
    tn__buf_put(o, size, (size_t)n);
  }
  tn__buf_put(o, req->body_out.data, len);
  req->sent_bytes += len;
  if (chunked)
    tn__buf_put(o, "\r\n", 2);
  return 0;
}

int tn__response_stream(tn_req_t *req, bool keep_alive) {
  if (!(req->rflags & TN__REQ_STREAMING)) {
    /* An HTTP/1.0 client knows no chunks: the body ends with the
     * connection. */
    int frame = TN__FRAME_CHUNKED;
    if (req->head.minor_version == 0 || !keep_alive) {
      frame = TN__FRAME_CLOSE;
      req->rflags |= TN__REQ_CLOSE;
    }
    if (put_head(req, keep_alive, frame, 0, 0, (tn_str_t){NULL, 0}))
      return TN_ENOMEM;
    req->rflags |= TN__REQ_STREAMING;
  }
  return put_chunk(req);
}

int tn__response_end_stream(tn_req_t *req) {
  if (put_chunk(req))
    return TN_ENOMEM;
  if (req->rflags & TN__REQ_CLOSE)
    return TN_EINVAL; /* the body ends when the connection does */
  if (req->head.method_bit == TN_METHOD_HEAD || !status_has_body(req->status))
    return 0;
  return tn__buf_append(&req->conn->worker->wbuf, "0\r\n\r\n", 5);
}

int tn_redirect(tn_req_t *req, const char *url, int status) {
  if (status != 301 && status != 302 && status != 303 && status != 307 &&
      status != 308)
    return TN_EINVAL;
  int err = tn_set_header(req, "Location", url);
  if (err)
    return err;
  req->status = status;
  req->body_out.len = 0;
  return 0;
}

/* "GET, HEAD, POST" for a method mask. */
static void format_allow(unsigned allow, char *out, size_t size) {
  size_t n = 0;
  out[0] = '\0';
  for (unsigned bit = TN_METHOD_GET; bit < TN_METHOD_OTHER; bit <<= 1) {
    const char *name = tn_method_name(bit);
    if (!(allow & bit))
      continue;
    n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", name);
  }
}

/* Append `s` with the characters that mean something in HTML escaped, as
 * Tornado's xhtml_escape. */
static int write_escaped(tn_req_t *req, const char *s) {
  const char *run = s;
  for (; *s; s++) {
    const char *esc;
    switch (*s) {
    case '&': esc = "&amp;"; break;
    case '<': esc = "&lt;"; break;
    case '>': esc = "&gt;"; break;
    case '"': esc = "&quot;"; break;
    case '\'': esc = "&#39;"; break;
    default: continue;
    }
    if (tn_write_len(req, run, (size_t)(s - run)) || tn_write(req, esc))
      return TN_ENOMEM;
    run = s + 1;
  }
  return tn_write(req, run);
}

/* The default error page is Tornado's, so its users see what they know.
 * A `detail` goes after the reason in the body only, as Tornado's log line
 * shows it ("400: Bad Request (Missing argument q)"); Tornado's own page
 * leaves it out, which tells a client nothing about what to fix. */
static int error_page(tn_req_t *req, int status, const char *detail) {
  size_t len;
  const char *line = tn__status_line(status, &len);
  char unknown[16];
  if (!line) { /* a code with no registered reason (tn_set_status allows it) */
    snprintf(unknown, sizeof unknown, "%03d Unknown", status);
    line = unknown;
  }
  int err = tn_printf(req, "<html><title>%.*s: %s</title><body>%.*s: %s",
                      3, line, line + 4, 3, line, line + 4);
  if (!err && detail &&
      (tn_write(req, " (") || write_escaped(req, detail) ||
       tn_write(req, ")")))
    err = TN_ENOMEM;
  return err ? err : tn_write(req, "</body></html>");
}

/* The app's write_error hook writes the page when it has one, as
 * Tornado's does; an error raised while it runs gets the default page. */
static int write_error(tn_req_t *req, int status, const char *detail) {
  const tn_hooks_t *hooks = req->conn->worker->app->hooks;
  if (!hooks || !hooks->write_error || req->in_write_error)
    return error_page(req, status, detail);
  req->in_write_error = true;
  hooks->write_error(req, status, detail);
  req->in_write_error = false;
  return 0;
}

int tn__response_error(tn_req_t *req, int status, unsigned allow) {
  tn__response_reset(req);
  req->status = status;
  if (status == 405 && allow) {
    char methods[64];
    format_allow(allow, methods, sizeof methods);
    tn_set_header(req, "Allow", methods);
  }
  return write_error(req, status, NULL);
}

int tn__response_error_detail(tn_req_t *req, int status, const char *detail) {
  tn__response_reset(req);
  req->status = status;
  return write_error(req, status, detail);
}

int tn_send_error(tn_req_t *req, int status, const char *detail) {
  if (status < 400 || status > 599)
    return TN_EINVAL;
  if (req->rflags & TN__REQ_STREAMING)
    return TN_ESTATE; /* the status has gone out already */
  if (req->in_write_error) {
    /* The hook handing the page back to the runtime: the default page,
     * with the headers the error already has (a 405's Allow). */
    req->body_out.len = 0;
    return error_page(req, req->status, detail);
  }
  return tn__response_error_detail(req, status, detail);
}
