/* conn.c -- one HTTP/1.1 connection: read, parse, dispatch, answer, close.
 *
 * The fast path allocates nothing. A read lands in the worker's shared
 * buffer; every complete request in it is parsed in place, dispatched,
 * and its response appended to the worker's write buffer; then one
 * uv_try_write sends the responses to all of them. Only two things make a
 * connection take memory of its own:
 *   - a request cut in two by the end of a read: its bytes are copied to a
 *     buffer of the connection's (the shared one is needed by the next
 *     connection to read) and the parser's pointers are moved with them;
 *   - a response the socket would not take at once: the rest is copied
 *     into a write request, and reading stops until it is sent, so a client
 *     that does not read cannot make the server buffer without bound.
 */
#include <stdlib.h>

#include "internal.h"

/* A queued write owning a copy of the bytes it sends. */
typedef struct {
  uv_write_t req;
  tn__conn_t *conn;
  char data[];
} tn__write_t;

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* --- Closing ----------------------------------------------------------- */

static void on_close(uv_handle_t *handle) {
  tn__conn_t *c = handle->data;
  if (--c->open_handles > 0)
    return;
  c->worker->nconns--;
  free(c);
}

void tn__conn_close(tn__conn_t *c) {
  if (c->flags & TN__CONN_CLOSING)
    return;
  c->flags |= TN__CONN_CLOSING;
  if (c->req) {
    tn__req_release(c->worker, c->req);
    c->req = NULL;
  }
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
  uv_close((uv_handle_t *)&c->tcp, on_close);
  uv_close((uv_handle_t *)&c->timer, on_close);
}

static void on_linger_timeout(uv_timer_t *timer) {
  tn__conn_close(timer->data);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status;
  free(req);
}

/* After the last response, send FIN and keep reading (and discarding) for
 * a while before closing: closing a socket with unread input makes the
 * kernel send RST, which can destroy the response before the client has
 * read it. */
static void begin_linger(tn__conn_t *c) {
  if (c->flags & (TN__CONN_LINGER | TN__CONN_CLOSING))
    return;
  c->flags |= TN__CONN_LINGER;
  uv_shutdown_t *req = malloc(sizeof *req);
  if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown)) {
    free(req);
    tn__conn_close(c);
    return;
  }
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  uv_timer_start(&c->timer, on_linger_timeout, TN__LINGER_MS, 0);
}

/* --- Writing ----------------------------------------------------------- */

/* Everything queued so far has been handed to the kernel. */
static void on_output_sent(tn__conn_t *c) {
  if (c->flags & TN__CONN_CLOSE)
    begin_linger(c);
  else if (c->worker->stopping && !c->req)
    tn__conn_close(c);
}

static void on_write(uv_write_t *req, int status) {
  tn__write_t *wr = (tn__write_t *)req;
  tn__conn_t *c = wr->conn;
  free(wr);
  if (status == UV_ECANCELED)
    return; /* the connection is closing */
  c->flags &= ~TN__CONN_WRITING;
  if (status < 0) {
    tn__conn_close(c);
    return;
  }
  if (!(c->flags & TN__CONN_CLOSE))
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  on_output_sent(c);
}

/* The socket took only part of the output: keep a copy of the rest and
 * stop reading until it has gone. */
static void queue_write(tn__conn_t *c, const char *data, size_t len) {
  tn__write_t *wr = malloc(sizeof *wr + len);
  if (!wr) {
    tn__conn_close(c);
    return;
  }
  wr->conn = c;
  memcpy(wr->data, data, len);
  uv_buf_t buf = uv_buf_init(wr->data, (unsigned)len);
  if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write)) {
    free(wr);
    tn__conn_close(c);
    return;
  }
  c->flags |= TN__CONN_WRITING;
  uv_read_stop((uv_stream_t *)&c->tcp);
}

/* Send the responses gathered in the worker's write buffer. */
static void flush(tn__conn_t *c) {
  tn__buf_t *out = &c->worker->wbuf;
  if (out->len == 0) {
    on_output_sent(c);
    return;
  }
  uv_buf_t buf = uv_buf_init(out->data, (unsigned)out->len);
  int n = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
  size_t len = out->len;
  out->len = 0;
  if (n >= 0 && (size_t)n == len) {
    on_output_sent(c);
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    tn__conn_close(c);
    return;
  }
  size_t sent = n > 0 ? (size_t)n : 0;
  queue_write(c, out->data + sent, len - sent);
}

/* --- Requests ---------------------------------------------------------- */

/* Answer a request that cannot be trusted and stop reading this
 * connection: after a framing error, where the next request would start
 * is unknown. */
static void fail(tn__conn_t *c, int status) {
  tn_req_t *req = c->req;
  tn__response_error(req, status, 0);
  tn__response_finish(req, false);
  tn__req_release(c->worker, req);
  c->req = NULL;
  c->flags |= TN__CONN_CLOSE;
}

/* The head is complete: decide how the body is framed. */
static int on_head(tn_req_t *req) {
  const tn__http1_t *h = &req->head;
  if (h->flags & TN__HEAD_TRANSFER_ENCODING)
    return 501; /* chunked request bodies are not supported yet */
  if (h->content_length > TN__MAX_BODY)
    return 413;
  req->body = (tn_str_t){h->cur, (size_t)h->content_length};
  const char *t = h->target.ptr;
  const char *q = memchr(t, '?', h->target.len);
  size_t path_len = q ? (size_t)(q - t) : h->target.len;
  req->path = (tn_str_t){t, path_len};
  req->query = q ? (tn_str_t){q + 1, h->target.len - path_len - 1}
                 : (tn_str_t){t + path_len, 0};
  return 0;
}

static bool wants_keep_alive(const tn__http1_t *h) {
  if (h->minor_version == 0)
    return (h->flags & TN__HEAD_KEEP_ALIVE) && !(h->flags & TN__HEAD_CLOSE);
  return !(h->flags & TN__HEAD_CLOSE);
}

/* Route the request and queue its response. */
static void handle(tn__conn_t *c, tn_req_t *req) {
  tn__worker_t *w = c->worker;
  bool keep_alive = wants_keep_alive(&req->head) && !w->stopping;
  tn__route(req);
  if (tn__response_finish(req, keep_alive))
    keep_alive = false;
  tn__req_release(w, req);
  c->req = NULL;
  if (!keep_alive)
    c->flags |= TN__CONN_CLOSE;
}

/* Handle every complete request in [p, end); the request left incomplete,
 * if any, stays in c->req. */
static void process(tn__conn_t *c, const char *p, const char *end) {
  while (!(c->flags & TN__CONN_CLOSE)) {
    tn_req_t *req = c->req;
    if (!req) {
      if (p == end)
        return;
      req = c->req = tn__req_acquire(c->worker);
      if (!req) {
        tn__conn_close(c);
        return;
      }
      req->conn = c;
      tn__http1_init(&req->head, p, end);
    } else {
      req->head.lim = end;
    }
    if (!req->body.ptr) {
      int status = tn__http1_parse(&req->head);
      if (status == TN__PARSE_AGAIN) {
        if (req->head.cur - req->head.start > TN__MAX_HEAD)
          fail(c, 431);
        return;
      }
      if (status == TN__PARSE_DONE)
        status = on_head(req);
      if (status) {
        fail(c, status);
        return;
      }
    }
    if ((size_t)(end - req->body.ptr) < req->body.len)
      return;
    p = req->body.ptr + req->body.len;
    handle(c, req);
  }
}

/* The request in progress must outlive this read: give it a buffer of the
 * connection's own, big enough for the whole head or the whole body. */
static void keep_partial(tn__conn_t *c, const char *end) {
  tn_req_t *req = c->req;
  if (!req || (c->flags & TN__CONN_CLOSING)) {
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
    return;
  }
  const char *start = req->head.start;
  size_t have = (size_t)(end - start);
  size_t need = TN__MAX_HEAD + 2; /* + the scanner's sentinel */
  if (req->body.ptr) {
    size_t whole = (size_t)(req->body.ptr - start) + req->body.len + 1;
    if (whole > need)
      need = whole;
  }
  if (start == c->buf && c->cap >= need)
    return;
  char *buf = c->buf;
  if (buf && c->cap >= need) {
    memmove(buf, start, have);
  } else {
    buf = malloc(need);
    if (!buf) {
      tn__conn_close(c);
      return;
    }
    memcpy(buf, start, have);
    c->cap = need;
  }
  /* Move the parser's pointers before the old bytes can be freed. */
  tn__http1_rebase(&req->head, start, buf);
  if (req->body.ptr)
    req->body.ptr = buf + (req->body.ptr - start);
  if (buf != c->buf)
    free(c->buf);
  c->buf = buf;
  c->len = have;
}

/* --- Reading ----------------------------------------------------------- */

/* Read into the connection's own buffer while it holds a partial request,
 * else into the worker's; one byte is kept back for the scanner's NUL
 * sentinel. */
static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  tn__conn_t *c = handle->data;
  if (c->buf)
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len - 1));
  else
    *buf = uv_buf_init(c->worker->rbuf, sizeof c->worker->rbuf - 1);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  tn__conn_t *c = stream->data;
  if (nread < 0) {
    tn__conn_close(c); /* EOF, reset, or no buffer */
    return;
  }
  if (nread == 0 || (c->flags & (TN__CONN_LINGER | TN__CONN_CLOSING)))
    return;
  char *base = buf->base;
  if (c->buf) {
    base = c->buf;
    c->len += (size_t)nread;
  }
  char *end = buf->base + nread;
  *end = '\0';
  process(c, base, end);
  keep_partial(c, end);
  flush(c);
}

void tn__conn_accept(tn__worker_t *w, uv_stream_t *server) {
  tn__conn_t *c = calloc(1, sizeof *c);
  if (!c)
    return;
  c->worker = w;
  c->tcp.data = c->timer.data = c;
  c->open_handles = 2;
  w->nconns++;
  uv_tcp_init(&w->loop, &c->tcp);
  uv_timer_init(&w->loop, &c->timer);
  if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) {
    tn__conn_close(c);
    return;
  }
  /* Responses are already gathered into one write; Nagle would only
   * delay them. */
  uv_tcp_nodelay(&c->tcp, 1);
}
