/* ws_conn.c -- a WebSocket connection after its handshake: frames in,
 * messages to the handler, messages and control frames out, the close
 * handshake, keep-alive pings.
 *
 * Input is read into the worker's shared buffer like HTTP's and parsed in
 * place (ws_frame.c unmasks it there). A message that arrives whole in one
 * read -- the common case -- is handed to the handler straight from that
 * buffer; only a fragmented, compressed or split message is gathered in
 * the connection's own buffer, which is given back afterwards.
 *
 * Output is queued in `out` and sent when the read that produced it is
 * done, or on the worker's next resume pass for messages sent from
 * elsewhere (a timer, another connection's broadcast): many messages, one
 * write. What the socket does not take goes to a uv_write that owns the
 * bytes; the queue is bounded (websocket_max_queue), and a peer that
 * lets it fill is closed with 1008, never allowed to grow the server.
 *
 * The close handshake (RFC 6455 7): a close from the peer is answered and
 * the TCP connection shut down once the answer is out; a close of ours
 * waits TN__WS_CLOSE_TIMEOUT_MS for the peer's. A protocol error fails the
 * connection: a close frame with the code, then the shutdown, without
 * reading anything more. */
#include <stdlib.h>
#include <uv.h>

#include "internal.h"

/* A uv_write owning the output bytes it sends. */
typedef struct {
  uv_write_t req;
  tn__conn_t *conn;
  char *data;
} tn__ws_write_t;

static void arm(tn_ws_t *ws);

/* --- Life -------------------------------------------------------------- */

tn_ws_t *tn__ws_new(tn_req_t *req, const tn_ws_handler_t *h) {
  tn_ws_t *ws = calloc(1, sizeof *ws);
  if (!ws)
    return NULL;
  const tn_app_t *app = tn_req_app(req);
  ws->conn = req->conn;
  ws->handler = h;
  ws->state = TN__WS_OPEN;
  ws->reading = true; /* open's messages leave after the 101 */
  ws->max_message = h->max_message_size   ? h->max_message_size
                    : app->ws_max_message_size ? app->ws_max_message_size
                                               : TN__WS_MAX_MESSAGE;
  ws->max_queue = app->ws_max_queue ? app->ws_max_queue : TN__WS_MAX_QUEUE;
  tn__ws_parser_init(&ws->parser);
  tn__utf8_init(&ws->utf8);
  snprintf(ws->remote_ip, sizeof ws->remote_ip, "%s", tn_req_remote_ip(req));
  return ws;
}

static uint32_t ping_timeout(const tn_app_t *app) {
  if (app->ws_ping_timeout_ms)
    return app->ws_ping_timeout_ms;
  uint64_t t = 3 * (uint64_t)app->ws_ping_interval_ms;
  return t > TN__WS_PING_TIMEOUT_MIN ? (uint32_t)t : TN__WS_PING_TIMEOUT_MIN;
}

void tn__ws_start(tn_ws_t *ws) {
  const tn_app_t *app = tn_ws_app(ws);
  ws->opened = true;
  if (app->ws_ping_interval_ms)
    ws->ping_at = uv_now(&ws->conn->worker->loop) + app->ws_ping_interval_ms;
  arm(ws);
}

void tn__ws_free(tn_ws_t *ws) {
  if (ws->opened && ws->handler->close) {
    tn_str_t reason = {NULL, 0};
    if (ws->close_code && ws->close_code != TN_WS_NO_STATUS &&
        ws->close_code != TN_WS_ABNORMAL && ws->ctl_len > 2)
      reason = (tn_str_t){(const char *)ws->ctl + 2, ws->ctl_len - 2u};
    ws->state = TN__WS_CLOSED;
    ws->handler->close(ws, ws->close_code ? ws->close_code : TN_WS_ABNORMAL,
                       reason);
  }
  ws->state = TN__WS_CLOSED;
  tn__ws_leave_all(ws);
  if (ws->inflate)
    tn__ws_inflate_free(ws->inflate);
  tn__buf_free(&ws->msg);
  tn__buf_free(&ws->out);
  free(ws->subprotocol);
  free(ws);
}

/* --- Deadlines --------------------------------------------------------- */

static void earliest(uint64_t *d, uint64_t t) {
  if (t && (!*d || t < *d))
    *d = t;
}

/* The connection's deadline is the first of the WebSocket's waits; the
 * worker's once-a-second sweep calls tn__ws_on_deadline then. */
static void arm(tn_ws_t *ws) {
  uint64_t d = 0;
  earliest(&d, ws->close_by);
  if (ws->state == TN__WS_OPEN) {
    earliest(&d, ws->ping_at);
    if (ws->pong_due)
      earliest(&d, ws->pong_by);
  }
  ws->conn->deadline = d;
}

/* --- Output ------------------------------------------------------------ */

/* Sends of another connection's read, a timer's or a broadcast's go out
 * on the worker's next resume pass, together. */
static void want_flush(tn_ws_t *ws) {
  if (!ws->reading)
    tn__conn_schedule(ws->conn);
}

static int queue_frame(tn_ws_t *ws, int opcode, bool rsv1, const void *data,
                       size_t len) {
  if (tn__buf_reserve(&ws->out, TN__WS_MAX_HEADER + len))
    return TN_ENOMEM;
  uint8_t head[10];
  size_t n = tn__ws_frame_header(head, true, rsv1, opcode, len);
  tn__buf_put(&ws->out, head, n);
  tn__buf_put(&ws->out, data, len);
  want_flush(ws);
  return 0;
}

/* A close frame: `code` 0 for none (the answer to a close without one). */
static void queue_close(tn_ws_t *ws, uint16_t code, const char *reason) {
  uint8_t payload[TN__WS_MAX_CONTROL];
  size_t n = 0;
  if (code) {
    payload[0] = (uint8_t)(code >> 8);
    payload[1] = (uint8_t)code;
    n = 2;
    if (reason) {
      size_t r = strlen(reason);
      if (r > sizeof payload - 2)
        r = sizeof payload - 2;
      memcpy(payload + 2, reason, r);
      n += r;
    }
  }
  /* Out of memory, the peer will not get the frame; the connection still
   * ends, as the caller has decided. */
  queue_frame(ws, TN__WS_CLOSE, false, payload, n);
}

/* The connection ends once its queued output has gone: then the TCP
 * shutdown (tn__ws_flush). A peer that does not read it gets the close
 * timeout, not forever. */
static void end_after_output(tn_ws_t *ws) {
  ws->state = TN__WS_ENDING;
  ws->close_by = uv_now(&ws->conn->worker->loop) + TN__WS_CLOSE_TIMEOUT_MS;
  arm(ws);
  want_flush(ws);
}

/* Fails the connection (RFC 6455 7.1.7): a close with `code`, then the
 * shutdown; nothing more is read. */
static void fail(tn_ws_t *ws, uint16_t code, const char *why) {
  tn_log(TN_LOG_DEBUG, "websocket %s: %s: closing with %u", ws->handler->name,
         why ? why : "error", code);
  if (ws->state == TN__WS_OPEN)
    queue_close(ws, code, NULL);
  end_after_output(ws);
}

static void on_write(uv_write_t *req, int status) {
  tn__ws_write_t *wr = (tn__ws_write_t *)req;
  tn__conn_t *c = wr->conn;
  free(wr->data);
  free(wr);
  if (status == UV_ECANCELED)
    return; /* the connection is closing; its WebSocket is gone */
  c->flags &= ~TN__CONN_WRITING;
  if (status < 0 || !c->ws) {
    tn__conn_close(c);
    return;
  }
  c->ws->inflight = 0;
  tn__ws_flush(c->ws);
}

/* The socket took `sent` bytes of `out`: a uv_write takes the buffer over
 * for the rest, and new frames start a new one. */
static void write_rest(tn_ws_t *ws, size_t sent) {
  tn__conn_t *c = ws->conn;
  tn__ws_write_t *wr = malloc(sizeof *wr);
  if (!wr) {
    tn__conn_close(c);
    return;
  }
  wr->conn = c;
  wr->data = ws->out.data;
  uv_buf_t buf = uv_buf_init(ws->out.data + sent,
                             (unsigned)(ws->out.len - sent));
  ws->inflight = ws->out.len - sent;
  ws->out = (tn__buf_t){NULL, 0, 0};
  if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write)) {
    free(wr->data);
    free(wr);
    tn__conn_close(c);
    return;
  }
  c->flags |= TN__CONN_WRITING;
}

void tn__ws_flush(tn_ws_t *ws) {
  tn__conn_t *c = ws->conn;
  if (c->flags & (TN__CONN_WRITING | TN__CONN_CLOSING | TN__CONN_LINGER))
    return;
  if (ws->out.len) {
    uv_buf_t buf = uv_buf_init(ws->out.data, (unsigned)ws->out.len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
    if (n < 0 && n != UV_EAGAIN) {
      tn__conn_close(c);
      return;
    }
    size_t sent = n > 0 ? (size_t)n : 0;
    if (sent < ws->out.len) {
      write_rest(ws, sent);
      return;
    }
    ws->out.len = 0;
  }
  if (ws->out.cap > TN__WS_KEEP)
    tn__buf_free(&ws->out);
  if (ws->state == TN__WS_ENDING)
    tn__conn_shutdown(c);
}

/* --- Sending messages -------------------------------------------------- */

/* The worker's deflate stream for a window size, made on first use. */
static struct z_stream_s *deflater(tn__worker_t *w, int bits) {
  if (!w->ws_deflate[bits])
    w->ws_deflate[bits] = tn__ws_deflate_new(bits);
  return w->ws_deflate[bits];
}

/* The slow-consumer policy: a peer that has left more than max_queue
 * bytes unread is closed with 1008. What is still queued (whole frames the
 * kernel has not taken) is dropped so that the close goes first. */
static bool queue_full(tn_ws_t *ws) {
  if (ws->out.len + ws->inflight <= ws->max_queue)
    return false;
  tn_log(TN_LOG_WARNING, "websocket %s: %s does not read: closing (1008)",
         ws->handler->name, ws->remote_ip);
  ws->out.len = 0;
  queue_close(ws, TN_WS_POLICY, "send queue full");
  ws->state = TN__WS_CLOSE_SENT;
  ws->close_by = uv_now(&ws->conn->worker->loop) + TN__WS_CLOSE_TIMEOUT_MS;
  arm(ws);
  return true;
}

/* The message compressed with a window of `bits`, or NULL when that
 * does not make it smaller. */
static const tn__buf_t *compressed(tn__worker_t *w, tn__ws_msg_t *m,
                                   int bits) {
  tn__buf_t *z = &m->z[bits];
  if (!(m->tried & (1u << bits))) {
    m->tried |= (uint16_t)(1u << bits);
    struct z_stream_s *d = deflater(w, bits);
    if (!d || tn__ws_deflate(d, m->data, m->len, z) || z->len >= m->len)
      z->len = 0;
  }
  return z->len ? z : NULL;
}

int tn__ws_send_msg(tn_ws_t *ws, tn__ws_msg_t *m) {
  if (ws->state != TN__WS_OPEN || queue_full(ws))
    return TN_ECLOSED;
  int bits = ws->deflate.server_max_window_bits;
  if (ws->deflate.on && bits >= 9 && m->len >= TN__WS_COMPRESS_MIN) {
    const tn__buf_t *z = compressed(ws->conn->worker, m, bits);
    if (z)
      return queue_frame(ws, m->opcode, true, z->data, z->len);
  }
  return queue_frame(ws, m->opcode, false, m->data, m->len);
}

void tn__ws_msg_done(tn__ws_msg_t *m) {
  for (size_t i = 0; i < sizeof m->z / sizeof *m->z; i++)
    tn__buf_free(&m->z[i]);
}

/* One message to one connection. */
static int send_one(tn_ws_t *ws, int opcode, const void *data, size_t len) {
  tn__ws_msg_t m = {.opcode = opcode, .data = data, .len = len};
  int err = tn__ws_send_msg(ws, &m);
  tn__ws_msg_done(&m);
  return err;
}

int tn__ws_check_msg(int opcode, const void *data, size_t len) {
  if (opcode != TN_WS_TEXT && opcode != TN_WS_BINARY)
    return TN_EINVAL;
  if (opcode == TN_WS_TEXT && !tn__utf8_valid(data, len))
    return TN_EINVAL;
  return 0;
}

int tn_ws_send(tn_ws_t *ws, int opcode, const void *data, size_t len) {
  /* Text the runtime has just checked on its way in (an echo, a relay)
   * is not checked again: at 16 KB that was a tenth of the CPU. */
  bool checked = opcode == TN_WS_TEXT && ws->delivered &&
                 data == ws->delivered && len == ws->delivered_len;
  int err = checked ? 0 : tn__ws_check_msg(opcode, data, len);
  return err ? err : send_one(ws, opcode, data, len);
}

int tn_ws_send_text(tn_ws_t *ws, const char *text) {
  return tn_ws_send(ws, TN_WS_TEXT, text, strlen(text));
}

static int dump_json(const char *data, size_t len, void *buf) {
  return tn__buf_append(buf, data, len) ? -1 : 0;
}

int tn_ws_send_json(tn_ws_t *ws, const json_t *value) {
  tn__buf_t buf = {NULL, 0, 0};
  int err = TN_ENOMEM;
  if (json_dump_callback(value, dump_json, &buf, JSON_COMPACT) == 0)
    err = send_one(ws, TN_WS_TEXT, buf.data, buf.len);
  tn__buf_free(&buf);
  return err;
}

int tn_ws_ping(tn_ws_t *ws, const void *data, size_t len) {
  if (len > TN__WS_MAX_CONTROL)
    return TN_EINVAL;
  if (ws->state != TN__WS_OPEN)
    return TN_ECLOSED;
  return queue_frame(ws, TN__WS_PING, false, data, len);
}

/* RFC 6455 7.4: the codes a close frame may carry -- those defined for
 * use (1000-1003, 1007-1011, and 1012-1014 registered since), and the
 * ranges for libraries and applications. */
static bool close_code_valid(unsigned code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

int tn_ws_close(tn_ws_t *ws, int code, const char *reason) {
  if (code < 0 || !close_code_valid((unsigned)code) ||
      code == TN_WS_PROTOCOL_ERROR)
    return TN_EINVAL;
  if (reason && (strlen(reason) > TN__WS_MAX_CONTROL - 2 ||
                 !tn__utf8_valid(reason, strlen(reason))))
    return TN_EINVAL;
  if (ws->state != TN__WS_OPEN)
    return TN_ECLOSED;
  queue_close(ws, (uint16_t)code, reason);
  ws->state = TN__WS_CLOSE_SENT;
  ws->close_by = uv_now(&ws->conn->worker->loop) + TN__WS_CLOSE_TIMEOUT_MS;
  arm(ws);
  return 0;
}

void tn__ws_going_away(tn_ws_t *ws) {
  if (tn_ws_close(ws, TN_WS_GOING_AWAY, "server stopping") == 0)
    return;
  /* Closing already: its own deadline, or the stop's, ends it. */
}

/* --- Receiving --------------------------------------------------------- */

/* A frame header has been parsed; `avail` bytes of input follow it. */
static int on_head(tn_ws_t *ws, size_t avail) {
  const tn__ws_frame_t *f = &ws->parser.frame;
  if (f->opcode >= TN__WS_CLOSE) {
    ws->ctl_len = 0;
    return 0;
  }
  if (f->opcode != TN__WS_CONT) {
    ws->msg_opcode = f->opcode;
    ws->msg_compressed = f->rsv1;
    ws->msg.len = 0;
    ws->msg_wire = 0;
    ws->msg_checked = 0;
    tn__utf8_init(&ws->utf8);
    /* A whole message in the input is delivered from there. */
    ws->msg_direct = f->fin && !f->rsv1 && f->len <= avail;
    ws->direct = (tn_str_t){"", 0};
  } else {
    ws->msg_direct = false;
  }
  ws->msg_wire += f->len;
  /* Uncompressed, the size is known now; compressed, inflating stops at
   * the limit. */
  if (!ws->msg_compressed && ws->msg_wire > ws->max_message)
    return TN_WS_TOO_BIG;
  return 0;
}

/* Checks what the message has grown by since the last check. */
static int check_text(tn_ws_t *ws) {
  if (ws->msg_opcode != TN_WS_TEXT)
    return 0;
  size_t n = ws->msg.len - ws->msg_checked;
  if (n && !tn__utf8_feed(&ws->utf8, ws->msg.data + ws->msg_checked, n))
    return TN_WS_INVALID_DATA;
  ws->msg_checked = ws->msg.len;
  return 0;
}

static int inflate_piece(tn_ws_t *ws, const void *data, size_t len,
                         bool last) {
  if (!ws->inflate && !(ws->inflate = tn__ws_inflate_new()))
    return TN_WS_INTERNAL_ERROR;
  int err = tn__ws_inflate(ws->inflate, data, len, last, &ws->msg,
                           ws->max_message);
  if (err == TN_ERANGE)
    return TN_WS_TOO_BIG;
  if (err == TN_EINVAL)
    return TN_WS_INVALID_DATA;
  if (err)
    return TN_WS_INTERNAL_ERROR;
  return check_text(ws);
}

static int on_data(tn_ws_t *ws, tn_str_t piece) {
  const tn__ws_frame_t *f = &ws->parser.frame;
  if (f->opcode >= TN__WS_CLOSE) {
    memcpy(ws->ctl + ws->ctl_len, piece.ptr, piece.len);
    ws->ctl_len = (uint8_t)(ws->ctl_len + piece.len);
    return 0;
  }
  if (ws->state != TN__WS_OPEN)
    return 0; /* closing: data is dropped */
  if (ws->msg_direct && piece.len == f->len) {
    ws->direct = piece;
    if (ws->msg_opcode == TN_WS_TEXT && !tn__utf8_valid(piece.ptr, piece.len))
      return TN_WS_INVALID_DATA;
    return 0;
  }
  ws->msg_direct = false;
  if (ws->msg_compressed)
    return inflate_piece(ws, piece.ptr, piece.len, false);
  if (tn__buf_append(&ws->msg, piece.ptr, piece.len))
    return TN_WS_INTERNAL_ERROR;
  return check_text(ws);
}

/* The message is complete: to the handler, then its memory back. */
static int deliver(tn_ws_t *ws) {
  if (ws->msg_compressed) {
    int code = inflate_piece(ws, NULL, 0, true);
    if (code)
      return code;
  }
  if (!ws->msg_direct && ws->msg_opcode == TN_WS_TEXT &&
      !tn__utf8_done(&ws->utf8))
    return TN_WS_INVALID_DATA;
  tn_ws_msg_t msg = {ws->msg_opcode, ws->msg.data ? ws->msg.data : "",
                     ws->msg.len};
  if (ws->msg_direct)
    msg = (tn_ws_msg_t){ws->msg_opcode, ws->direct.ptr, ws->direct.len};
  if (ws->handler->message) {
    if (msg.opcode == TN_WS_TEXT) {
      ws->delivered = msg.data;
      ws->delivered_len = msg.len;
    }
    ws->handler->message(ws, &msg);
    ws->delivered = NULL;
  }
  ws->msg.len = 0;
  if (ws->msg.cap > TN__WS_KEEP)
    tn__buf_free(&ws->msg);
  /* Without context takeover the next message needs no history: give
   * the inflate memory back until then. */
  if (ws->inflate && ws->deflate.client_no_context_takeover) {
    tn__ws_inflate_free(ws->inflate);
    ws->inflate = NULL;
  }
  return 0;
}

/* The peer's close frame. */
static int on_close_frame(tn_ws_t *ws) {
  uint16_t code = TN_WS_NO_STATUS;
  if (ws->ctl_len == 1)
    return TN_WS_PROTOCOL_ERROR;
  if (ws->ctl_len >= 2) {
    code = (uint16_t)(ws->ctl[0] << 8 | ws->ctl[1]);
    if (!close_code_valid(code) ||
        !tn__utf8_valid(ws->ctl + 2, ws->ctl_len - 2u))
      return TN_WS_PROTOCOL_ERROR;
  }
  ws->close_code = code;
  if (ws->state == TN__WS_OPEN) /* answer with the same code */
    queue_close(ws, code == TN_WS_NO_STATUS ? 0 : code, NULL);
  end_after_output(ws);
  return 0;
}

static int on_end(tn_ws_t *ws) {
  const tn__ws_frame_t *f = &ws->parser.frame;
  switch (f->opcode) {
  case TN__WS_PING:
    if (ws->state == TN__WS_OPEN)
      return queue_frame(ws, TN__WS_PONG, false, ws->ctl, ws->ctl_len)
                 ? TN_WS_INTERNAL_ERROR
                 : 0;
    return 0;
  case TN__WS_PONG:
    ws->pong_due = false;
    if (ws->state == TN__WS_OPEN && ws->handler->pong)
      ws->handler->pong(ws, (tn_str_t){(const char *)ws->ctl, ws->ctl_len});
    arm(ws);
    return 0;
  case TN__WS_CLOSE:
    return on_close_frame(ws);
  default:
    if (!f->fin || ws->state != TN__WS_OPEN)
      return 0;
    return deliver(ws);
  }
}

void tn__ws_feed(tn_ws_t *ws, char *p, char *end) {
  uint8_t *in = (uint8_t *)p;
  ws->reading = true;
  while (ws->state <= TN__WS_CLOSE_SENT) {
    tn_str_t piece;
    int code = 0;
    switch (tn__ws_parse(&ws->parser, &in, (uint8_t *)end, &piece)) {
    case TN__WS_NEED:
      ws->reading = false;
      return;
    case TN__WS_HEAD:
      code = on_head(ws, (size_t)((uint8_t *)end - in));
      break;
    case TN__WS_DATA:
      code = on_data(ws, piece);
      break;
    case TN__WS_END:
      code = on_end(ws);
      break;
    default:
      fail(ws, ws->parser.close_code, ws->parser.why);
      break;
    }
    if (code)
      fail(ws, (uint16_t)code, "bad message");
  }
  ws->reading = false;
}

void tn__ws_on_deadline(tn_ws_t *ws, uint64_t now) {
  tn__conn_t *c = ws->conn;
  if ((ws->close_by && now >= ws->close_by) ||
      (ws->pong_due && now >= ws->pong_by && ws->state == TN__WS_OPEN)) {
    tn__conn_close(c); /* no answer: the connection is lost (1006) */
    return;
  }
  if (ws->state == TN__WS_OPEN && ws->ping_at && now >= ws->ping_at) {
    const tn_app_t *app = tn_ws_app(ws);
    if (!ws->pong_due) {
      ws->pong_due = true;
      ws->pong_by = now + ping_timeout(app);
    }
    ws->ping_at = now + app->ws_ping_interval_ms;
    queue_frame(ws, TN__WS_PING, false, NULL, 0);
  }
  arm(ws);
}

/* --- Accessors --------------------------------------------------------- */

void tn_ws_set_data(tn_ws_t *ws, void *data) { ws->data = data; }
void *tn_ws_data(const tn_ws_t *ws) { return ws->data; }
const char *tn_ws_subprotocol(const tn_ws_t *ws) { return ws->subprotocol; }
const char *tn_ws_remote_ip(const tn_ws_t *ws) { return ws->remote_ip; }

struct uv_loop_s *tn_ws_loop(const tn_ws_t *ws) {
  return &ws->conn->worker->loop;
}

const tn_app_t *tn_ws_app(const tn_ws_t *ws) { return ws->conn->worker->app; }
