/* conn.c -- one HTTP/1.1 connection: read, frame, dispatch, answer, close.
 *
 * The fast path allocates nothing. A read lands in the worker's shared
 * buffer; every complete request in it is framed in place, dispatched,
 * and its response appended to the worker's write buffer; then one
 * uv_try_write sends the responses to all of them. A connection takes
 * memory of its own only when it must:
 *   - a request cut in two by the end of a read: its bytes are copied to a
 *     buffer of the connection's (the shared one is needed by the next
 *     connection to read), sized for the head or the whole body;
 *   - a request of an async route, whose handler answers after returning:
 *     it takes its bytes with it (tn__req_own_bytes), and input arriving
 *     meanwhile waits in the connection's buffer, so that responses leave
 *     in the order their requests came;
 *   - a response the socket would not take at once: the rest is copied
 *     into a write request, and reading stops until it is sent, so a client
 *     that does not read cannot make the server buffer without bound.
 *
 * Chunked request bodies are decoded in place: the data of each chunk is
 * moved down over the framing before it, so the body is contiguous and
 * never copied twice.
 */
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/* A queued write owning a copy of the bytes it sends. */
typedef struct {
  uv_write_t req;
  tn__conn_t *conn;
  char data[];
} tn__write_t;

/* The least room a read into the connection's own buffer gets. */
#define TN__READ_ROOM (16 * 1024)

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void flush(tn__conn_t *c);
static const char *process(tn__conn_t *c, const char *p, const char *end);
static void keep(tn__conn_t *c, const char *p, const char *end);

/* --- Deadlines --------------------------------------------------------- */

static uint64_t after(const tn__conn_t *c, uint32_t ms) {
  return ms ? uv_now(&c->worker->loop) + ms : 0;
}

/* Sets the deadline of what the connection waits for now. A head keeps
 * the deadline set when its first byte came: a client sending a byte at a
 * time must not extend it (slowloris). */
static void arm(tn__conn_t *c) {
  const tn_options_t *o = c->worker->opts;
  tn_req_t *req = c->req;
  if (c->ws || (c->flags & (TN__CONN_LINGER | TN__CONN_CLOSING)))
    return; /* a WebSocket's deadlines are its own (ws_conn.c) */
  if (c->flags & TN__CONN_WRITING || c->file)
    c->deadline = after(c, o->idle_timeout_ms); /* a client not reading */
  else if (!req)
    c->deadline = after(c, o->idle_timeout_ms);
  else if (req->phase == TN__REQ_BODY)
    c->deadline = after(c, o->body_timeout_ms);
  else if (req->phase != TN__REQ_HEAD)
    c->deadline = 0; /* the handler's time is the handler's business */
}

static void link_conn(tn__worker_t *w, tn__conn_t *c) {
  c->prev = NULL;
  c->next = w->conns;
  if (w->conns)
    w->conns->prev = c;
  w->conns = c;
}

static void unlink_conn(tn__worker_t *w, tn__conn_t *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    w->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

/* --- Closing ----------------------------------------------------------- */

static void free_conn(tn__conn_t *c) {
  c->worker->nconns--;
  free(c->buf);
  free(c);
}

static void on_close(uv_handle_t *handle) {
  tn__conn_t *c = handle->data;
  c->flags |= TN__CONN_CLOSED;
  /* An async request still points here until tn_finish(); the resume
   * list may too. Whichever lets go last frees. */
  if (!c->req && !(c->flags & TN__CONN_RESUME))
    free_conn(c);
}

void tn__conn_close(tn__conn_t *c) {
  if (c->flags & TN__CONN_CLOSING)
    return;
  c->flags |= TN__CONN_CLOSING;
  unlink_conn(c->worker, c);
  tn_req_t *req = c->req;
  if (req && req->phase >= TN__REQ_HANDLER) {
    tn__async_gone(req); /* the handler still holds it: tell it */
  } else if (req) {
    tn__req_release(c->worker, req);
    c->req = NULL;
  }
  if (c->file) {
    tn__sendfile_free(c->file);
    c->file = NULL;
  }
  if (c->ws) {
    tn_ws_t *ws = c->ws;
    c->ws = NULL;
    tn__ws_free(ws); /* its close callback runs now */
  }
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status;
  free(req);
}

/* After the last response, send FIN and keep reading (and discarding) for
 * a while before closing: closing a socket with unread input makes the
 * kernel send RST, which can destroy the response before the client has
 * read it. */
void tn__conn_shutdown(tn__conn_t *c) {
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
  c->deadline = after(c, TN__LINGER_MS);
}

void tn__conn_sweep(tn__worker_t *w, uint64_t now) {
  tn__conn_t *next;
  for (tn__conn_t *c = w->conns; c; c = next) {
    next = c->next;
    if (!c->deadline || now < c->deadline)
      continue;
    if (c->ws && !(c->flags & TN__CONN_LINGER)) {
      tn__ws_on_deadline(c->ws, now);
      continue;
    }
    tn_req_t *req = c->req;
    if (req && req->phase <= TN__REQ_BODY &&
        !(c->flags & (TN__CONN_WRITING | TN__CONN_LINGER))) {
      /* A request arriving too slowly is told so; an idle connection, a
       * lingering one or one whose client does not read just closes. */
      tn__conn_fail(c, 408);
      flush(c);
    } else {
      tn__conn_close(c);
    }
  }
}

/* --- Writing ----------------------------------------------------------- */

/* Everything queued so far has been handed to the kernel. */
static void on_output_sent(tn__conn_t *c) {
  if (c->ws)
    tn__ws_flush(c->ws); /* the 101 has gone: the frames may follow */
  else if (c->file)
    tn__conn_send_file(c);
  else if (c->flags & TN__CONN_CLOSE)
    tn__conn_shutdown(c);
  else if (c->worker->stopping && !c->req)
    tn__conn_close(c);
  else
    arm(c);
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
  if (!(c->flags & (TN__CONN_CLOSE | TN__CONN_PAUSED)))
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
  arm(c);
}

/* Send the responses gathered in the worker's write buffer. */
static void flush(tn__conn_t *c) {
  tn__buf_t *out = &c->worker->wbuf;
  if (c->flags & TN__CONN_CLOSING) {
    out->len = 0;
    return;
  }
  if (out->len == 0) {
    if (!(c->flags & TN__CONN_WRITING))
      on_output_sent(c);
    return;
  }
  size_t len = out->len;
  out->len = 0;
  int n = UV_EAGAIN;
  if (!(c->flags & TN__CONN_WRITING)) {
    uv_buf_t buf = uv_buf_init(out->data, (unsigned)len);
    n = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
  }
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

void tn__conn_send_file(tn__conn_t *c) {
  int r = tn__sendfile_pump(c->file);
  if (r < 0) {
    tn__conn_close(c);
    return;
  }
  arm(c);
  if (r == 0)
    return;
  tn__sendfile_free(c->file);
  c->file = NULL;
  if (c->flags & TN__CONN_CLOSE)
    tn__conn_shutdown(c);
  else
    tn__conn_schedule(c); /* the requests that waited behind the file */
}

/* --- Requests ---------------------------------------------------------- */

/* Answer a request that cannot be trusted and stop reading this
 * connection: after a framing error, where the next request would start
 * is unknown. */
void tn__conn_fail(tn__conn_t *c, int status) {
  tn_req_t *req = c->req;
  tn__response_error(req, status, 0);
  tn__response_finish(req, false);
  tn__access_log(c->worker, req, req->sent_bytes);
  tn__req_release(c->worker, req);
  c->req = NULL;
  c->flags |= TN__CONN_CLOSE;
}

static bool wants_keep_alive(const tn__http1_t *h) {
  if (h->minor_version == 0)
    return (h->flags & TN__HEAD_KEEP_ALIVE) && !(h->flags & TN__HEAD_CLOSE);
  return !(h->flags & TN__HEAD_CLOSE);
}

/* The most body bytes this request may send: its route's limit, else the
 * app's, else the server's. */
static uint64_t body_limit(const tn_req_t *req) {
  const tn_app_t *app = req->conn->worker->app;
  uint64_t limit = 0;
  if (app->route_body_limit)
    limit = app->route_body_limit(req->head.method_bit, req->path.ptr,
                                  req->path.len);
  if (!limit)
    limit = app->max_body_size;
  return limit ? limit : req->conn->worker->opts->max_body_size;
}

/* The head is complete: split the target and decide how the body is
 * framed. Returns 0 or the status to refuse the request with. */
static int on_head(tn_req_t *req) {
  const tn__http1_t *h = &req->head;
  tn_str_t t = h->origin;
  const char *q = memchr(t.ptr, '?', t.len);
  size_t path_len = q ? (size_t)(q - t.ptr) : t.len;
  req->path = (tn_str_t){t.ptr, path_len};
  req->query = q ? (tn_str_t){q + 1, t.len - path_len - 1}
                 : (tn_str_t){t.ptr + path_len, 0};
  if (path_len == 0) /* "http://host" or "http://host?q" */
    req->path = (tn_str_t){"/", 1};
  req->body = (tn_str_t){h->cur, 0};
  req->raw = h->cur;
  if (!(h->flags & (TN__HEAD_CONTENT_LENGTH | TN__HEAD_CHUNKED)) ||
      ((h->flags & TN__HEAD_CONTENT_LENGTH) && h->content_length == 0)) {
    req->phase = TN__REQ_HANDLER;
    return 0;
  }
  req->body_limit = body_limit(req);
  if ((h->flags & TN__HEAD_CONTENT_LENGTH) &&
      h->content_length > req->body_limit)
    return 413;
  if (h->flags & TN__HEAD_CHUNKED)
    tn__chunked_init(&req->chunked);
  if ((h->flags & TN__HEAD_EXPECT_CONTINUE) && h->minor_version == 1)
    req->rflags |= TN__REQ_CONTINUE;
  req->phase = TN__REQ_BODY;
  return 0;
}

/* RFC 9110 10.1.1: a client that asked waits for "100 Continue" before
 * sending the body; it is owed once the head has been accepted and the
 * body has not started to arrive with it. */
static void send_continue(tn__conn_t *c, tn_req_t *req) {
  static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if (!(req->rflags & TN__REQ_CONTINUE))
    return;
  req->rflags &= ~TN__REQ_CONTINUE;
  if (tn__buf_append(&c->worker->wbuf, line, sizeof line - 1))
    c->flags |= TN__CONN_CLOSE;
}

/* Takes what has arrived of the body. Returns TN__PARSE_DONE with
 * req->raw just past the message, TN__PARSE_AGAIN, or an error status. */
static int read_body(tn__conn_t *c, tn_req_t *req, const char *end) {
  const tn__http1_t *h = &req->head;
  int status;
  if (h->flags & TN__HEAD_CHUNKED) {
    char *out = (char *)req->body.ptr + req->body.len;
    status = tn__chunked_decode(&req->chunked, &out, &req->raw, end);
    req->body.len = (size_t)(out - req->body.ptr);
    if (status != TN__PARSE_AGAIN && status != TN__PARSE_DONE)
      return status; /* bad framing, whatever the sizes say */
    /* A chunk announced past the limit is refused before its data comes,
     * as a Content-Length would be. */
    if (req->body.len > req->body_limit ||
        req->chunked.left > req->body_limit - req->body.len)
      return 413;
  } else if ((uint64_t)(end - req->body.ptr) < h->content_length) {
    status = TN__PARSE_AGAIN;
  } else {
    req->body.len = (size_t)h->content_length;
    req->raw = req->body.ptr + req->body.len;
    status = TN__PARSE_DONE;
  }
  if (status == TN__PARSE_AGAIN)
    send_continue(c, req);
  if (status == TN__PARSE_DONE)
    req->rflags &= ~TN__REQ_CONTINUE;
  return status;
}

/* The response of `req` is complete: lay it out and let the request go. */
static void complete(tn__conn_t *c, tn_req_t *req) {
  tn__worker_t *w = c->worker;
  if (req->rflags & TN__REQ_UPGRADE) {
    /* Its 101 is queued: from here on the connection speaks WebSocket. */
    c->ws = req->ws;
    req->ws = NULL;
    tn__req_done(req);
    tn__req_release(w, req);
    c->req = NULL;
    tn__ws_start(c->ws);
    return;
  }
  bool keep_alive = wants_keep_alive(&req->head) && !w->stopping &&
                    !(req->rflags & TN__REQ_CLOSE);
  if (req->rflags & TN__REQ_STREAMING) {
    if (tn__response_end_stream(req))
      keep_alive = false;
  } else if (tn__response_finish(req, keep_alive)) {
    /* Out of memory (or header slots) laying the response out: the
     * client still gets an answer, the smallest there is. */
    keep_alive = false;
    if (req->file_fd >= 0)
      close(req->file_fd);
    req->file_fd = -1;
    tn__response_error(req, 500, 0);
    tn__response_finish(req, false);
  } else if (req->file_fd >= 0 && req->status / 100 == 2 &&
             req->head.method_bit != TN_METHOD_HEAD) {
    if ((c->file = tn__sendfile_new(c, req->file_fd, req->file_off,
                                    req->file_len)))
      req->file_fd = -1; /* the connection's now */
    else
      keep_alive = false; /* the head promised a body it cannot have */
  }
  tn__req_done(req);
  tn__req_release(w, req);
  c->req = NULL;
  if (!keep_alive)
    c->flags |= TN__CONN_CLOSE;
}

/* Sends the head and the body so far of a response being streamed. */
static void stream_out(tn__conn_t *c, tn_req_t *req) {
  req->rflags &= ~TN__REQ_FLUSH;
  bool keep_alive = wants_keep_alive(&req->head) && !c->worker->stopping;
  if (tn__response_stream(req, keep_alive))
    c->flags |= TN__CONN_CLOSE;
}

/* Route the request; queue its response unless its handler finishes
 * later. */
static void dispatch(tn__conn_t *c, tn_req_t *req) {
  req->phase = TN__REQ_HANDLER;
  tn__route(req);
  if ((req->rflags & (TN__REQ_IS_ASYNC | TN__REQ_FINISHED)) ==
      TN__REQ_IS_ASYNC) {
    req->phase = TN__REQ_ASYNC;
    if (req->rflags & TN__REQ_FLUSH)
      stream_out(c, req);
    return;
  }
  complete(c, req);
}

static tn_req_t *start_request(tn__conn_t *c, const char *p,
                               const char *end) {
  tn_req_t *req = tn__req_acquire(c->worker);
  if (!req)
    return NULL;
  req->conn = c;
  req->phase = TN__REQ_HEAD;
  req->rflags = 0;
  req->start_ns = uv_hrtime();
  tn__http1_init(&req->head, p, end);
  req->head.max_head = c->worker->opts->max_header_size;
  c->req = req;
  c->deadline = after(c, c->worker->opts->header_timeout_ms);
  return req;
}

/* Handle every complete request in [p, end). Returns the first byte not
 * taken: input behind a request that is still being handled. */
static const char *process(tn__conn_t *c, const char *p, const char *end) {
  uint32_t max_head = c->worker->opts->max_header_size;
  while (!(c->flags & (TN__CONN_CLOSE | TN__CONN_CLOSING))) {
    tn_req_t *req = c->req;
    if (c->file || (req && req->phase >= TN__REQ_HANDLER))
      return p; /* responses go out in order: wait for this one */
    if (!req) {
      if (p == end)
        return p;
      if (!(req = start_request(c, p, end))) {
        tn__conn_close(c);
        return end;
      }
    } else {
      req->head.lim = end;
    }
    int status = 0;
    if (req->phase == TN__REQ_HEAD) {
      status = tn__http1_parse(&req->head);
      if (status == TN__PARSE_AGAIN) {
        if (req->head.cur - req->head.start > (ptrdiff_t)max_head)
          tn__conn_fail(c, tn__http1_too_long(&req->head));
        return end;
      }
      if (status == TN__PARSE_DONE)
        status = on_head(req);
    }
    if (!status && req->phase == TN__REQ_BODY) {
      status = read_body(c, req, end);
      if (status == TN__PARSE_AGAIN)
        return end;
    }
    if (status) {
      tn__conn_fail(c, status);
      return end;
    }
    p = req->raw;
    dispatch(c, req);
    if (c->ws) { /* upgraded: what follows the request is frames */
      tn__ws_feed(c->ws, (char *)p, (char *)end);
      return end;
    }
  }
  return end;
}

/* Points `*p` at `to` + its offset from `from`, when it lies in the `n`
 * bytes at `from` (a path may point at a constant instead). */
static void shift(const char **p, const char *from, size_t n,
                  const char *to) {
  if (*p >= from && *p <= from + n)
    *p = to + (*p - from);
}

/* The request's bytes [from, from + n) now live at `to`. */
static void rebase(tn_req_t *req, const char *from, size_t n,
                   const char *to) {
  tn__http1_rebase(&req->head, from, to);
  shift(&req->path.ptr, from, n, to);
  shift(&req->query.ptr, from, n, to);
  shift(&req->body.ptr, from, n, to);
  shift(&req->raw, from, n, to);
}

int tn__req_own_bytes(tn_req_t *req) {
  tn__conn_t *c = req->conn;
  const char *start = req->head.start;
  if (req->own)
    return 0;
  if (c->buf && start >= c->buf && start < c->buf + c->cap) {
    /* The request is in the connection's buffer: take the buffer over,
     * nothing moves. Later input gets a buffer of its own (keep). */
    req->own = c->buf;
    c->buf = NULL;
    c->len = c->cap = 0;
    return 0;
  }
  size_t n = (size_t)(req->raw - start);
  char *own = malloc(n + 1);
  if (!own)
    return TN_ENOMEM;
  memcpy(own, start, n);
  own[n] = '\0';
  rebase(req, start, n, own);
  req->own = own;
  return 0;
}

/* Gives the connection a buffer of `need` bytes holding the `have` bytes
 * at `start`, moving them if they are elsewhere. Returns 0, or -1 with
 * the connection closed. */
static int hold(tn__conn_t *c, const char *start, size_t have, size_t need) {
  tn_req_t *req = c->req;
  bool receiving = req && req->phase <= TN__REQ_BODY;
  if (need < have + 1)
    need = have + 1; /* never less than what is there, and the sentinel */
  if (start == c->buf && c->cap >= need)
    return 0;
  char *buf = c->buf;
  if (buf && c->cap >= need) {
    memmove(buf, start, have);
  } else {
    buf = malloc(need);
    if (!buf) {
      tn__conn_close(c);
      return -1;
    }
    memcpy(buf, start, have);
    c->cap = need;
  }
  /* Move the parser's pointers before the old bytes can be freed. */
  if (receiving)
    rebase(req, start, have, buf);
  if (buf != c->buf)
    free(c->buf);
  c->buf = buf;
  c->len = have;
  return 0;
}

/* After a read: keep what must outlive it -- the request still arriving,
 * or the input queued behind a request being handled. */
static void keep(tn__conn_t *c, const char *p, const char *end) {
  tn_req_t *req = c->req;
  bool busy = c->file || (req && req->phase >= TN__REQ_HANDLER);
  if (c->flags & TN__CONN_CLOSING)
    return;
  if ((!req && !busy) || (c->flags & TN__CONN_CLOSE) || (busy && p == end)) {
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
    return;
  }
  uint32_t max_head = c->worker->opts->max_header_size;
  if (busy) {
    /* Pipelined input behind a request still being answered: what has
     * come (one read's worth at least), or room for one head; reading
     * pauses once that is full, until the request is done. */
    size_t have = (size_t)(end - p);
    size_t need = have + 1 > (size_t)max_head + 2 ? have + 1
                                                  : (size_t)max_head + 2;
    if (hold(c, p, have, need) == 0 &&
        c->cap - c->len <= 1) {
      c->flags |= TN__CONN_PAUSED;
      uv_read_stop((uv_stream_t *)&c->tcp);
    }
    return;
  }
  const char *start = req->head.start;
  size_t have = (size_t)(end - start);
  size_t need = (size_t)max_head + 2; /* + the scanner's sentinel */
  if (req->phase == TN__REQ_BODY) {
    size_t head = (size_t)(req->body.ptr - start);
    if (req->head.flags & TN__HEAD_CHUNKED) {
      /* Unknown length: room for another read, growing by doubling. */
      need = have + TN__READ_ROOM;
      if (c->buf == start && c->cap >= need)
        need = c->cap;
      else if (c->cap && need < 2 * c->cap)
        need = 2 * c->cap;
    } else {
      need = head + (size_t)req->head.content_length + 1;
    }
  }
  hold(c, start, have, need);
}

/* --- Async requests done, streamed, or abandoned ------------------------ */

void tn__conn_schedule(tn__conn_t *c) {
  tn__worker_t *w = c->worker;
  if (c->flags & TN__CONN_RESUME)
    return;
  c->flags |= TN__CONN_RESUME;
  c->next_resume = w->resume;
  w->resume = c;
  uv_idle_start(&w->resume_idle, tn__worker_on_resume);
}

/* The client left while the handler ran: the request is dropped once the
 * handler has finished it. */
static void resume_closed(tn__conn_t *c) {
  tn_req_t *req = c->req;
  if (req && (req->rflags & TN__REQ_FINISHED)) {
    tn__req_done(req);
    tn__req_release(c->worker, req);
    c->req = NULL;
  }
  if (!c->req && (c->flags & TN__CONN_CLOSED))
    free_conn(c);
}

static void resume(tn__conn_t *c) {
  tn_req_t *req = c->req;
  if (c->flags & TN__CONN_CLOSING) {
    resume_closed(c);
    return;
  }
  if (c->ws) { /* messages sent from outside its reads */
    flush(c);
    return;
  }
  if (req && req->phase == TN__REQ_ASYNC) {
    if (!(req->rflags & TN__REQ_FINISHED)) {
      if (req->rflags & TN__REQ_FLUSH)
        stream_out(c, req);
      flush(c);
      return;
    }
    complete(c, req);
  }
  if (!c->req && !c->file) {
    /* Requests that came behind it, in order. */
    if (c->len && !(c->flags & TN__CONN_CLOSE)) {
      const char *end = c->buf + c->len;
      c->buf[c->len] = '\0';
      keep(c, process(c, c->buf, end), end);
    } else {
      keep(c, NULL, NULL);
    }
  }
  bool busy = c->file || (c->req && c->req->phase >= TN__REQ_HANDLER);
  if ((c->flags & TN__CONN_PAUSED) && !busy &&
      !(c->flags & (TN__CONN_CLOSING | TN__CONN_CLOSE))) {
    c->flags &= ~TN__CONN_PAUSED;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  }
  if (!(c->flags & TN__CONN_CLOSING))
    flush(c);
}

void tn__conn_resume_all(tn__worker_t *w) {
  tn__conn_t *c;
  while ((c = w->resume)) {
    w->resume = c->next_resume;
    c->flags &= ~TN__CONN_RESUME;
    resume(c);
  }
  uv_idle_stop(&w->resume_idle);
}

/* --- Reading ----------------------------------------------------------- */

/* Read into the connection's own buffer while it holds a partial request,
 * else into the worker's; one byte is kept back for the scanner's NUL
 * sentinel. */
static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  tn__conn_t *c = handle->data;
  tn__worker_t *w = c->worker;
  if (c->buf)
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len - 1));
  else if (w->rbuf_lent)
    *buf = uv_buf_init(NULL, 0); /* cannot happen: reads do not nest */
  else
    *buf = uv_buf_init(w->rbuf, sizeof w->rbuf - 1);
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
  if (c->ws) {
    tn__ws_feed(c->ws, base, end);
    flush(c);
    return;
  }
  keep(c, process(c, base, end), end);
  if (!(c->flags & TN__CONN_CLOSING)) {
    arm(c);
    flush(c);
  }
}

void tn__conn_accept(tn__worker_t *w, uv_stream_t *server) {
  tn__conn_t *c = calloc(1, sizeof *c);
  if (!c)
    return;
  c->worker = w;
  c->tcp.data = c;
  w->nconns++;
  uv_tcp_init(&w->loop, &c->tcp);
  link_conn(w, c);
  if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) {
    tn__conn_close(c);
    return;
  }
  /* Responses are already gathered into one write; Nagle would only
   * delay them. */
  uv_tcp_nodelay(&c->tcp, 1);
  arm(c);
}
