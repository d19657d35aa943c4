/* ws_load: a WebSocket echo load generator, and a holder of idle WebSocket
 * connections, for bench/run_ws.
 *
 *   ws_load --port P [--path /echo] [--connections N] [--size S]
 *           [--duration D] [--binary] [--hold SECONDS] [--control]
 *           [--inflight K] [--open-timeout SECONDS]
 *
 * Opens N connections to ws://127.0.0.1:P/PATH, at most K (default 100)
 * being connected or in their handshake at a time. Each sends the client
 * handshake with a random Sec-WebSocket-Key and must get a 101 whose
 * Sec-WebSocket-Accept is the key's SHA-1 (RFC 6455 4.1). Once every
 * connection is open or failed it prints "open=O failed=F ms=T".
 *
 * Echo mode (the default): each open connection then sends one masked text
 * message of S bytes (binary with --binary), waits for the whole echo,
 * checks its opcode, length and every byte, and sends the next, for D
 * seconds; then it prints "messages=M seconds=T rate=R errors=E": echoes
 * completed in the D seconds, and connections that failed meanwhile (a
 * wrong echo, a close by the server, a protocol error). Consecutive
 * messages differ (each starts at another offset of a fixed pattern), so
 * an echo of a stale message is caught too. The server's frames may carry
 * 7-, 16- or 64-bit lengths, be fragmented, and arrive in any pieces; its
 * pings are answered.
 *
 * Hold mode (--hold SECONDS): the open connections stay idle (still read,
 * so that a close by the server is noticed) until SECONDS have passed.
 *
 * With --control, stdin drives the run: in echo mode the load starts at
 * the line "go"; in both modes "count" prints "open=O" (connections the
 * server has not closed since), and "close" (or end of input) closes
 * everything and exits. Without it the load starts at once and the program
 * exits after the report (echo) or the hold.
 *
 * Exit status 0 when every connection opened and none failed, 1 otherwise,
 * 2 on bad options. The first few failures are described on stderr.
 */
#define _GNU_SOURCE /* memmem */
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <uv.h>

#define HEAD_MAX 2048       /* a longer handshake response is a failure */
#define PATTERN_SHIFT 251   /* message n starts at offset n % 251 */
#define MAX_CONTROL 125     /* RFC 6455 5.5 */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum { C_NEW, C_HANDSHAKE, C_OPEN, C_DONE };

typedef struct run_s run_t;

/* One connection: the handle first, so that a handle's pointer is the
 * connection's. */
typedef struct {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;       /* the handshake, then each message */
  run_t *run;
  int state;              /* C_* */
  /* handshake */
  char *head;             /* the response so far (HEAD_MAX), then NULL */
  size_t head_len;
  char request[512];
  char accept[32];        /* the Sec-WebSocket-Accept we must get */
  /* sending: one message in flight */
  unsigned char *out;     /* frame header + masked payload */
  size_t out_len;
  uint32_t rng;           /* xorshift32 state for mask keys */
  unsigned seq;           /* messages sent */
  int writing;            /* the last write has not completed */
  int send_after_write;   /* the echo came back before the write completed */
  /* receiving: the frame parser's state, resumed with every read */
  unsigned char hdr[14];  /* the frame header so far */
  size_t hdr_len, hdr_need;
  int in_payload;         /* the header is done; frame_left bytes to go */
  uint64_t frame_left;
  int frame_opcode;
  int frame_fin;
  int in_message;         /* a data message has begun, not yet finished */
  int msg_opcode;
  uint64_t msg_got;       /* payload bytes of the echo checked so far */
  size_t expect_off;      /* where in the pattern the echo starts */
  unsigned char ctl[MAX_CONTROL];
  size_t ctl_len;
} conn_t;

/* The whole run: options, connections and counters (loop->data). */
struct run_s {
  uv_loop_t *loop;
  struct sockaddr_in server;
  const char *path;
  int port, nconns, inflight_max, control, binary;
  double duration, hold;
  int open_timeout;
  size_t size;
  conn_t *conns;
  unsigned char *pattern; /* size + PATTERN_SHIFT bytes */
  int started, inflight, opened, failed, closed_by_server, reported;
  int running, stopped, errors, closing;
  uint64_t messages;
  uint64_t t_open, t_go, t_stop;
  uv_timer_t timer;       /* opening deadline, then the load or the hold */
  uv_pipe_t input;        /* stdin, with --control */
  char read_buf[65536];
};

static void start_next(run_t *r);
static void all_open(run_t *r);
static void send_message(conn_t *c);
static void close_all(run_t *r);

/* Closes connection c after a failure: while opening it counts as failed
 * (and its place goes to the next one), once open as an error. */
static void fail(conn_t *c, const char *why) {
  run_t *r = c->run;
  if (c->state == C_DONE)
    return;
  if (r->failed + r->errors < 5)
    fprintf(stderr, "ws_load: connection %d: %s\n", (int)(c - r->conns), why);
  int was_opening = c->state == C_HANDSHAKE;
  if (was_opening)
    r->failed++;
  else
    r->errors++;
  c->state = C_DONE;
  free(c->head);
  c->head = NULL;
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, NULL);
  if (was_opening) {
    r->inflight--;
    start_next(r);
    all_open(r);
  }
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  (void)size;
  run_t *r = h->loop->data;
  *buf = uv_buf_init(r->read_buf, sizeof r->read_buf);
}

/* --------------------------------------------------------------- frames */

static uint32_t next_random(conn_t *c) {
  uint32_t x = c->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return c->rng = x;
}

/* Writes a client frame header (FIN, opcode, masked, length) into h;
 * returns its length. The mask key is the last 4 bytes. */
static size_t frame_header(unsigned char *h, int opcode, uint64_t len,
                           uint32_t key) {
  size_t n = 2;
  h[0] = (unsigned char)(0x80 | opcode);
  if (len < 126) {
    h[1] = (unsigned char)(0x80 | len);
  } else if (len < 65536) {
    h[1] = 0x80 | 126;
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
    n = 4;
  } else {
    h[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++)
      h[2 + i] = (unsigned char)(len >> (56 - 8 * i));
    n = 10;
  }
  memcpy(h + n, &key, 4);
  return n + 4;
}

/* dst = src XOR the 4-byte mask key, repeated; 8 bytes at a time. */
static void mask_copy(unsigned char *dst, const unsigned char *src, size_t n,
                      const unsigned char key[4]) {
  uint64_t k8;
  unsigned char k[8] = {key[0], key[1], key[2], key[3],
                        key[0], key[1], key[2], key[3]};
  memcpy(&k8, k, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, src + i, 8);
    v ^= k8;
    memcpy(dst + i, &v, 8);
  }
  for (; i < n; i++)
    dst[i] = src[i] ^ key[i & 3];
}

static void on_pong_written(uv_write_t *w, int status) {
  (void)status;
  free(w);
}

/* Answers a ping with a pong of the same payload. The write has its own
 * request and buffer: a message may be being written at the same time. */
static void send_pong(conn_t *c) {
  uv_write_t *w = malloc(sizeof *w + 14 + MAX_CONTROL);
  if (!w)
    return fail(c, "out of memory");
  unsigned char *frame = (unsigned char *)(w + 1);
  uint32_t key = next_random(c);
  size_t h = frame_header(frame, 0xA, c->ctl_len, key);
  mask_copy(frame + h, c->ctl, c->ctl_len, frame + h - 4);
  uv_buf_t b = uv_buf_init((char *)frame, (unsigned)(h + c->ctl_len));
  if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_pong_written) != 0) {
    free(w);
    fail(c, "cannot write a pong");
  }
}

/* A whole echo came back: count it (while the load runs) and send the
 * next message. */
static void echo_done(conn_t *c) {
  run_t *r = c->run;
  if (c->msg_got != r->size)
    return fail(c, "echo shorter than the message");
  if (c->msg_opcode != (r->binary ? 2 : 1))
    return fail(c, r->binary ? "echo of a binary message is not binary"
                             : "echo of a text message is not text");
  if (!r->running)
    return;
  r->messages++;
  if (c->writing)
    c->send_after_write = 1;
  else
    send_message(c);
}

/* A frame's header is complete in c->hdr: check it and start its payload.
 * Returns 0, or -1 after failing the connection. */
static int frame_begin(conn_t *c) {
  const unsigned char *h = c->hdr;
  int opcode = h[0] & 0x0F, len7 = h[1] & 0x7F;
  uint64_t len = (uint64_t)len7;
  if (h[0] & 0x70)
    return fail(c, "server frame with a reserved bit set"), -1;
  if (h[1] & 0x80)
    return fail(c, "masked server frame"), -1;
  if (len7 == 126) {
    len = (uint64_t)h[2] << 8 | h[3];
  } else if (len7 == 127) {
    len = 0;
    for (int i = 0; i < 8; i++)
      len = len << 8 | h[2 + i];
  }
  c->frame_opcode = opcode;
  c->frame_fin = h[0] >> 7;
  c->frame_left = len;
  c->hdr_len = 0;
  c->in_payload = 1;
  if (opcode >= 8) {
    if (opcode > 10 || !c->frame_fin || len > MAX_CONTROL)
      return fail(c, "bad control frame from the server"), -1;
    c->ctl_len = 0;
    return 0;
  }
  if (opcode == 0 ? !c->in_message : (opcode > 2 || c->in_message))
    return fail(c, "bad data frame opcode from the server"), -1;
  if (opcode != 0) {
    c->in_message = 1;
    c->msg_opcode = opcode;
    c->msg_got = 0;
  }
  if (len > c->run->size - c->msg_got)
    return fail(c, "echo longer than the message"), -1;
  return 0;
}

/* The current frame's payload is all in. */
static void frame_end(conn_t *c) {
  c->in_payload = 0;
  switch (c->frame_opcode) {
  case 0x8: {
    char why[64] = "the server closed the connection";
    if (c->ctl_len >= 2)
      snprintf(why, sizeof why, "the server closed the connection with %d",
               c->ctl[0] << 8 | c->ctl[1]);
    return fail(c, why);
  }
  case 0x9:
    return send_pong(c);
  case 0xA:
    return;
  }
  if (c->frame_fin) {
    c->in_message = 0;
    echo_done(c);
  }
}

/* Feeds bytes from the server to the frame parser, which resumes where
 * the previous read left it. */
static void take_frames(conn_t *c, const unsigned char *p, size_t n) {
  run_t *r = c->run;
  while (n > 0 && c->state == C_OPEN) {
    if (!c->in_payload) {
      c->hdr[c->hdr_len++] = *p++;
      n--;
      if (c->hdr_len == 2) {
        int len7 = c->hdr[1] & 0x7F;
        c->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) +
                      (c->hdr[1] & 0x80 ? 4 : 0);
      }
      if (c->hdr_len < 2 || c->hdr_len < c->hdr_need)
        continue;
      if (frame_begin(c) != 0)
        return;
      if (c->frame_left == 0)
        frame_end(c);
      continue;
    }
    size_t take = c->frame_left < n ? (size_t)c->frame_left : n;
    if (c->frame_opcode >= 8) {
      memcpy(c->ctl + c->ctl_len, p, take);
      c->ctl_len += take;
    } else if (memcmp(p, r->pattern + c->expect_off + c->msg_got, take) != 0) {
      return fail(c, "echo differs from the message");
    } else {
      c->msg_got += take;
    }
    c->frame_left -= take;
    p += take;
    n -= take;
    if (c->frame_left == 0)
      frame_end(c);
  }
}

/* ------------------------------------------------------------- sending */

static void on_message_written(uv_write_t *w, int status) {
  conn_t *c = w->data;
  c->writing = 0;
  if (status == UV_ECANCELED)
    return; /* closed by us, with the write still under way */
  if (status < 0)
    return fail(c, uv_strerror(status));
  if (c->send_after_write && c->state == C_OPEN && c->run->running) {
    c->send_after_write = 0;
    send_message(c);
  }
}

/* Sends the next message: the pattern from offset seq % PATTERN_SHIFT,
 * masked with a fresh key. The echo is checked against the same bytes. */
static void send_message(conn_t *c) {
  run_t *r = c->run;
  size_t off = c->seq++ % PATTERN_SHIFT;
  uint32_t key = next_random(c);
  size_t h = frame_header(c->out, r->binary ? 2 : 1, r->size, key);
  mask_copy(c->out + h, r->pattern + off, r->size, c->out + h - 4);
  c->out_len = h + r->size;
  c->expect_off = off;
  c->msg_got = 0;
  c->writing = 1;
  c->write.data = c;
  uv_buf_t b = uv_buf_init((char *)c->out, (unsigned)c->out_len);
  int err = uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_message_written);
  if (err) {
    c->writing = 0;
    fail(c, uv_strerror(err));
  }
}

/* ------------------------------------------------------------ handshake */

/* The response head is complete in c->head (head bytes of c->head_len):
 * it must be a 101 with the right Sec-WebSocket-Accept. Returns 0 or a
 * reason. */
static const char *check_response(conn_t *c, size_t head) {
  c->head[head - 2] = '\0'; /* ends the last header line's "\r\n" */
  if (strncmp(c->head, "HTTP/1.1 101 ", 13) != 0)
    return "handshake answered without 101";
  for (char *p = strstr(c->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
    if (strncasecmp(p + 2, "sec-websocket-accept:", 21) != 0)
      continue;
    char *v = p + 23, *end = strstr(v, "\r\n");
    while (*v == ' ' || *v == '\t')
      v++;
    size_t n = end ? (size_t)(end - v) : strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
      n--;
    if (n != strlen(c->accept) || memcmp(v, c->accept, n) != 0)
      return "wrong Sec-WebSocket-Accept";
    return NULL;
  }
  return "no Sec-WebSocket-Accept";
}

/* Bytes of the handshake's response; once it is whole, the connection is
 * open and what followed it goes to the frame parser. */
static void take_response(conn_t *c, const char *p, size_t n) {
  run_t *r = c->run;
  size_t room = HEAD_MAX - 1 - c->head_len, keep = n < room ? n : room;
  memcpy(c->head + c->head_len, p, keep);
  size_t before = c->head_len;
  c->head_len += keep;
  char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
  if (!end) {
    if (c->head_len == HEAD_MAX - 1)
      fail(c, "handshake response too long");
    return;
  }
  size_t head = (size_t)(end + 4 - c->head);
  const char *why = check_response(c, head);
  if (why)
    return fail(c, why);
  free(c->head);
  c->head = NULL;
  c->state = C_OPEN;
  r->opened++;
  r->inflight--;
  start_next(r);
  all_open(r);
  size_t used = head - before; /* this read's bytes that were head */
  if (c->state == C_OPEN && n > used)
    take_frames(c, (const unsigned char *)p + used, n - used);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn_t *c = (conn_t *)s;
  run_t *r = c->run;
  if (n == 0 || c->state == C_DONE)
    return;
  if (n < 0) {
    if (c->state == C_OPEN && !r->running) {
      /* held, or the load is over: counted (see "count"), not an error */
      r->closed_by_server++;
      c->state = C_DONE;
      uv_close((uv_handle_t *)s, NULL);
      return;
    }
    return fail(c, n == UV_EOF ? "closed by the server" : uv_strerror((int)n));
  }
  if (c->state == C_HANDSHAKE)
    take_response(c, buf->base, (size_t)n);
  else
    take_frames(c, (const unsigned char *)buf->base, (size_t)n);
}

static void on_request_written(uv_write_t *w, int status) {
  conn_t *c = w->data;
  if (status < 0 && status != UV_ECANCELED)
    fail(c, uv_strerror(status));
}

/* Makes the handshake request with a random key, and the accept value
 * the server must answer with: base64(SHA-1(key + GUID)). */
static int make_request(conn_t *c) {
  run_t *r = c->run;
  unsigned char raw[16], digest[SHA_DIGEST_LENGTH];
  char key[32], both[96];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw ||
      getrandom(&c->rng, sizeof c->rng, 0) != (ssize_t)sizeof c->rng)
    return -1;
  c->rng |= 1; /* xorshift must not start at 0 */
  EVP_EncodeBlock((unsigned char *)key, raw, sizeof raw);
  snprintf(both, sizeof both, "%s%s", key, WS_GUID);
  SHA1((const unsigned char *)both, strlen(both), digest);
  EVP_EncodeBlock((unsigned char *)c->accept, digest, sizeof digest);
  snprintf(c->request, sizeof c->request,
           "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n",
           r->path, r->port, key);
  return 0;
}

static void on_connect(uv_connect_t *req, int status) {
  conn_t *c = req->data;
  if (c->state != C_HANDSHAKE)
    return;
  if (status < 0)
    return fail(c, uv_strerror(status));
  uv_buf_t b = uv_buf_init(c->request, (unsigned)strlen(c->request));
  c->write.data = c;
  int err = uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_request_written);
  if (!err)
    err = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (err)
    fail(c, uv_strerror(err));
}

/* Starts connections until INFLIGHT are opening or all N are started. */
static void start_next(run_t *r) {
  while (r->inflight < r->inflight_max && r->started < r->nconns && !r->closing) {
    conn_t *c = &r->conns[r->started++];
    c->run = r;
    c->connect.data = c;
    if (uv_tcp_init(r->loop, &c->tcp) != 0) {
      r->failed++; /* C_NEW: not a handle, nothing to close */
      continue;
    }
    c->state = C_HANDSHAKE;
    r->inflight++;
    c->head = malloc(HEAD_MAX);
    if (!c->head || make_request(c) != 0) {
      fail(c, "out of memory or randomness");
      continue;
    }
    int err = uv_tcp_connect(&c->connect, &c->tcp,
                             (const struct sockaddr *)&r->server, on_connect);
    if (err)
      fail(c, uv_strerror(err));
  }
}

/* ----------------------------------------------------------- the run */

static void print_report(run_t *r) {
  double secs = (double)(r->t_stop - r->t_go) / 1e9;
  printf("messages=%llu seconds=%.3f rate=%.0f errors=%d\n",
         (unsigned long long)r->messages, secs,
         secs > 0 ? (double)r->messages / secs : 0.0, r->errors);
  fflush(stdout);
}

static void on_timer(uv_timer_t *t);

/* The load's D seconds are over: stop sending, report. */
static void stop_load(run_t *r) {
  r->running = 0;
  r->stopped = 1;
  r->t_stop = uv_hrtime();
  print_report(r);
  if (!r->control)
    close_all(r);
}

static void start_load(run_t *r) {
  if (r->running || r->stopped)
    return;
  r->running = 1;
  r->t_go = uv_hrtime();
  uv_timer_start(&r->timer, on_timer, (uint64_t)(r->duration * 1000), 0);
  for (int i = 0; i < r->nconns; i++) {
    conn_t *c = &r->conns[i];
    if (c->state != C_OPEN)
      continue;
    c->out = malloc(14 + r->size);
    if (!c->out) {
      fail(c, "out of memory");
      continue;
    }
    send_message(c);
  }
}

/* Every connection is open or failed: report, then hold or load. */
static void all_open(run_t *r) {
  if (r->reported || r->opened + r->failed < r->nconns)
    return;
  r->reported = 1;
  uv_timer_stop(&r->timer);
  printf("open=%d failed=%d ms=%llu\n", r->opened, r->failed,
         (unsigned long long)((uv_hrtime() - r->t_open) / 1000000));
  fflush(stdout);
  if (r->hold > 0)
    uv_timer_start(&r->timer, on_timer, (uint64_t)(r->hold * 1000), 0);
  else if (!r->control)
    start_load(r);
}

/* One timer, three deadlines: the opening, the load, the hold. */
static void on_timer(uv_timer_t *t) {
  run_t *r = t->loop->data;
  if (!r->reported) {
    r->failed += r->nconns - r->started;
    r->started = r->nconns; /* start_next starts nothing more */
    for (int i = 0; i < r->nconns; i++)
      if (r->conns[i].state == C_HANDSHAKE)
        fail(&r->conns[i], "not open in time");
    all_open(r);
  } else if (r->running) {
    stop_load(r);
  } else {
    close_all(r);
  }
}

static void close_all(run_t *r) {
  if (r->closing++)
    return;
  for (int i = 0; i < r->started; i++) {
    conn_t *c = &r->conns[i];
    if (c->state != C_NEW && !uv_is_closing((uv_handle_t *)&c->tcp))
      uv_close((uv_handle_t *)&c->tcp, NULL);
  }
  uv_close((uv_handle_t *)&r->timer, NULL);
  if (r->control)
    uv_close((uv_handle_t *)&r->input, NULL);
}

static void on_command(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  run_t *r = s->loop->data;
  if (n == 0)
    return;
  if (n < 0 || memmem(buf->base, (size_t)n, "close", 5))
    return close_all(r);
  if (memmem(buf->base, (size_t)n, "go", 2) && r->reported && r->hold <= 0)
    start_load(r);
  if (memmem(buf->base, (size_t)n, "count", 5)) {
    printf("open=%d\n", r->opened - r->errors - r->closed_by_server);
    fflush(stdout);
  }
}

/* ------------------------------------------------------------- options */

static void usage(const char *me) {
  fprintf(stderr,
          "usage: %s --port P [--path /echo] [--connections N] [--size S]\n"
          "       [--duration D] [--binary] [--hold SECONDS] [--control]\n"
          "       [--inflight K] [--open-timeout SECONDS]\n",
          me);
}

static int parse_options(run_t *r, int argc, char **argv) {
  static const struct option opts[] = {
      {"port", required_argument, 0, 'p'},
      {"path", required_argument, 0, 'P'},
      {"connections", required_argument, 0, 'c'},
      {"size", required_argument, 0, 's'},
      {"duration", required_argument, 0, 'd'},
      {"binary", no_argument, 0, 'b'},
      {"hold", required_argument, 0, 'H'},
      {"control", no_argument, 0, 'C'},
      {"inflight", required_argument, 0, 'i'},
      {"open-timeout", required_argument, 0, 't'},
      {0, 0, 0, 0}};
  r->path = "/echo";
  r->nconns = 100;
  r->size = 32;
  r->duration = 5;
  r->inflight_max = 100;
  r->open_timeout = 60;
  for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
    switch (o) {
    case 'p': r->port = atoi(optarg); break;
    case 'P': r->path = optarg; break;
    case 'c': r->nconns = atoi(optarg); break;
    case 's': r->size = strtoul(optarg, NULL, 10); break;
    case 'd': r->duration = atof(optarg); break;
    case 'b': r->binary = 1; break;
    case 'H': r->hold = atof(optarg); break;
    case 'C': r->control = 1; break;
    case 'i': r->inflight_max = atoi(optarg); break;
    case 't': r->open_timeout = atoi(optarg); break;
    default: return -1;
    }
  }
  if (optind != argc || r->port <= 0 || r->port > 65535 || r->nconns <= 0 ||
      r->inflight_max <= 0 || r->open_timeout <= 0 || r->duration <= 0 ||
      r->hold < 0 || r->path[0] != '/' || strlen(r->path) > 256 ||
      r->size > (size_t)1 << 30) {
    fprintf(stderr, "ws_load: --port is required; counts, sizes and times must "
                    "be positive; --path starts with / (at most 256 bytes)\n");
    return -1;
  }
  return 0;
}

/* The bytes messages are cut from: printable ASCII for text (valid UTF-8),
 * every byte value for binary. */
static unsigned char *make_pattern(size_t size, int binary) {
  unsigned char *p = malloc(size + PATTERN_SHIFT);
  if (!p)
    return NULL;
  for (size_t i = 0; i < size + PATTERN_SHIFT; i++)
    p[i] = binary ? (unsigned char)(i * 131 + (i >> 8))
                  : (unsigned char)(' ' + (i * 31 + i / 95) % 95);
  return p;
}

/* One descriptor per connection, and a few for the loop: the caller
 * raises the limit (bench/run_ws does), or this says by how much. */
static int check_nofile(int n) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
    fprintf(stderr, "ws_load: %d connections need ulimit -n %d (it is %llu)\n",
            n, n + 16, (unsigned long long)rl.rlim_cur);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  static run_t run;
  run_t *r = &run;
  if (parse_options(r, argc, argv) != 0) {
    usage(argv[0]);
    return 2;
  }
  if (check_nofile(r->nconns) != 0)
    return 2;
  signal(SIGPIPE, SIG_IGN);
  r->conns = calloc((size_t)r->nconns, sizeof *r->conns);
  r->pattern = make_pattern(r->size, r->binary);
  if (!r->conns || !r->pattern) {
    fprintf(stderr, "ws_load: out of memory\n");
    return 1;
  }
  r->loop = uv_default_loop();
  r->loop->data = r;
  uv_ip4_addr("127.0.0.1", r->port, &r->server);
  if (r->control) {
    uv_pipe_init(r->loop, &r->input, 0);
    if (uv_pipe_open(&r->input, 0) == 0)
      uv_read_start((uv_stream_t *)&r->input, on_alloc, on_command);
  }
  uv_timer_init(r->loop, &r->timer);
  uv_timer_start(&r->timer, on_timer, (uint64_t)r->open_timeout * 1000, 0);
  r->t_open = uv_hrtime();
  start_next(r);
  uv_run(r->loop, UV_RUN_DEFAULT);

  for (int i = 0; i < r->nconns; i++) {
    free(r->conns[i].head);
    free(r->conns[i].out);
  }
  free(r->conns);
  free(r->pattern);
  return r->opened == r->nconns && r->errors == 0 && r->closed_by_server == 0 ? 0 : 1;
}
