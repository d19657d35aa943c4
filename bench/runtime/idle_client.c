/* idle_client: holds many idle keep-alive connections open, for
 * bench/run_runtime's memory-per-connection measurement.
 *
 *   idle_client PORT N [INFLIGHT [SECONDS]]
 *
 * Opens N connections to 127.0.0.1:PORT, at most INFLIGHT (default 100)
 * being connected or awaiting their answer at a time, so that the server
 * sees a steady trickle rather than a burst its listen backlog would drop.
 * Each sends one "GET / HTTP/1.1" and reads the answer (the head, then
 * Content-Length bytes of body); then it stays open, idle, still reading so
 * that a close by the server is noticed. SECONDS (default 60) bounds the
 * opening: what has not been answered by then counts as failed.
 *
 * Once every connection is answered or failed it prints one line,
 * "answered=A failed=F ms=T", and then obeys lines on stdin: "count" prints
 * "open=O" (answered connections the server has not closed since), "close"
 * (or end of input, or 300 s without a command) closes every connection
 * and exits.  The first few failures are described on stderr.
 */
#define _GNU_SOURCE /* memmem */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <uv.h>

#define HOLD_MS (300 * 1000) /* the longest wait for a command */
#define HEAD_MAX 1024        /* a longer response head is a failure */

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

enum { C_NEW, C_WAITING, C_IDLE, C_DONE };

typedef struct {
  uv_tcp_t tcp;       /* first: the handle's pointer is the conn's */
  uv_connect_t connect;
  uv_write_t write;
  int state;          /* C_* */
  long body_left;     /* body bytes still due, once the head is read */
  size_t head_len;    /* bytes of head kept in `head` so far */
  char head[HEAD_MAX];
} conn_t;

static uv_loop_t *loop;
static conn_t *conns;
static int nconns, inflight_max, started, inflight;
static int answered, failed, closed_by_server, reported;
static struct sockaddr_in server;
static uv_timer_t deadline;
static uv_pipe_t input;
static uint64_t t_start;
static char read_buf[65536];

static void start_next(void);

/* Counts connection c as failed and closes it (if it is a handle). */
static void drop(conn_t *c, const char *why) {
  if (++failed <= 5)
    fprintf(stderr, "idle_client: connection %d: %s\n", (int)(c - conns), why);
  if (c->state != C_NEW && !uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, NULL);
  c->state = C_DONE;
}

static void report(void);
static void on_deadline(uv_timer_t *t);

/* An under-way connection failed: its place goes to the next one. */
static void fail(conn_t *c, const char *why) {
  drop(c, why);
  inflight--;
  start_next();
  report();
}

static void report(void) {
  if (reported || answered + failed < nconns)
    return;
  reported = 1;
  uv_timer_start(&deadline, on_deadline, HOLD_MS, 0); /* now: the hold */
  printf("answered=%d failed=%d ms=%llu\n", answered, failed,
         (unsigned long long)(uv_now(loop) - t_start));
  fflush(stdout);
}

/* The head is complete once it holds "\r\n\r\n": check the status and find
 * the body's length. Returns the head's length, 0 if incomplete, -1 if it
 * is not a 200 with a Content-Length. */
static long parse_head(conn_t *c) {
  char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
  if (!end)
    return 0;
  *end = '\0';
  if (strncmp(c->head, "HTTP/1.1 200 ", 13) != 0)
    return -1;
  for (char *p = strstr(c->head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
    if (!strncasecmp(p + 2, "content-length:", 15)) {
      c->body_left = strtol(p + 17, NULL, 10);
      return end + 4 - c->head;
    }
  return -1;
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  (void)h, (void)size;
  *buf = uv_buf_init(read_buf, sizeof read_buf);
}

/* Consumes an answer's bytes; once it is whole the connection is idle. */
static void take_answer(conn_t *c, const char *p, size_t n) {
  if (c->body_left < 0) { /* still in the head */
    size_t seen = c->head_len + n, room = HEAD_MAX - 1 - c->head_len;
    memcpy(c->head + c->head_len, p, n < room ? n : room);
    c->head_len += n < room ? n : room;
    long head = parse_head(c);
    if (head < 0)
      return fail(c, "not a 200 answer with a Content-Length");
    if (head == 0) {
      if (c->head_len == HEAD_MAX - 1)
        fail(c, "response head too long");
      return;
    }
    n = seen - (size_t)head; /* the body's bytes in this read */
  }
  if ((long)n > c->body_left)
    return fail(c, "more bytes than the answer's Content-Length");
  c->body_left -= (long)n;
  if (c->body_left == 0) {
    c->state = C_IDLE;
    answered++;
    inflight--;
    start_next();
    report();
  }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn_t *c = (conn_t *)s;
  if (n == 0)
    return;
  if (n < 0) {
    if (c->state == C_WAITING)
      return fail(c, n == UV_EOF ? "closed before the answer" : uv_strerror((int)n));
    if (c->state == C_IDLE) {
      closed_by_server++;
      c->state = C_DONE;
      uv_close((uv_handle_t *)s, NULL);
    }
    return;
  }
  if (c->state == C_WAITING)
    take_answer(c, buf->base, (size_t)n);
  /* An idle connection that is sent bytes keeps them unread: none expected. */
}

static void on_write(uv_write_t *w, int status) {
  conn_t *c = w->data;
  if (status < 0 && c->state == C_WAITING)
    fail(c, uv_strerror(status));
}

static void on_connect(uv_connect_t *r, int status) {
  conn_t *c = r->data;
  if (c->state != C_WAITING)
    return;
  if (status < 0)
    return fail(c, uv_strerror(status));
  uv_buf_t b = uv_buf_init((char *)REQUEST, sizeof REQUEST - 1);
  c->write.data = c;
  int err = uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (!err)
    err = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (err)
    fail(c, uv_strerror(err));
}

/* Starts connections until INFLIGHT are under way or all N are started. */
static void start_next(void) {
  while (inflight < inflight_max && started < nconns) {
    conn_t *c = &conns[started++];
    c->state = C_WAITING;
    c->body_left = -1;
    c->connect.data = c;
    inflight++;
    int err = uv_tcp_init(loop, &c->tcp);
    if (err) {
      c->state = C_NEW; /* not a handle: nothing to close */
      drop(c, uv_strerror(err));
      inflight--;
      continue;
    }
    err = uv_tcp_connect(&c->connect, &c->tcp,
                         (const struct sockaddr *)&server, on_connect);
    if (err) {
      drop(c, uv_strerror(err));
      inflight--;
    }
  }
}

static void close_all(void) {
  static int closing;
  if (closing++)
    return;
  for (int i = 0; i < nconns; i++)
    if (conns[i].state != C_NEW && !uv_is_closing((uv_handle_t *)&conns[i].tcp))
      uv_close((uv_handle_t *)&conns[i].tcp, NULL);
  uv_close((uv_handle_t *)&deadline, NULL);
  uv_close((uv_handle_t *)&input, NULL);
}

/* Opening took too long: what is still under way has failed, and what was
 * never started too. Holding without a command for HOLD_MS: give up and
 * close. */
static void on_deadline(uv_timer_t *t) {
  (void)t;
  if (reported)
    return close_all();
  failed += nconns - started;
  started = nconns; /* start_next starts nothing more */
  for (int i = 0; i < nconns; i++)
    if (conns[i].state == C_WAITING)
      fail(&conns[i], "no answer in time");
  report();
}

static void on_command(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)s;
  if (n == 0)
    return;
  if (n < 0 || (n >= 5 && memmem(buf->base, (size_t)n, "close", 5)))
    return close_all();
  if (memmem(buf->base, (size_t)n, "count", 5)) {
    printf("open=%d\n", answered - closed_by_server);
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: %s PORT N [INFLIGHT [SECONDS]]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  nconns = atoi(argv[2]);
  inflight_max = argc > 3 ? atoi(argv[3]) : 100;
  int seconds = argc > 4 ? atoi(argv[4]) : 60;
  if (port <= 0 || nconns <= 0 || inflight_max <= 0 || seconds <= 0) {
    fprintf(stderr, "idle_client: PORT, N, INFLIGHT and SECONDS must be positive\n");
    return 2;
  }

  /* One descriptor per connection, and a few for the loop. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 16) {
    fprintf(stderr, "idle_client: %d connections need ulimit -n %d (it is %llu)\n",
            nconns, nconns + 16, (unsigned long long)rl.rlim_cur);
    return 2;
  }

  signal(SIGPIPE, SIG_IGN);
  conns = calloc((size_t)nconns, sizeof *conns);
  if (!conns) {
    fprintf(stderr, "idle_client: out of memory\n");
    return 1;
  }
  loop = uv_default_loop();
  uv_ip4_addr("127.0.0.1", port, &server);
  uv_pipe_init(loop, &input, 0);
  if (uv_pipe_open(&input, 0) == 0)
    uv_read_start((uv_stream_t *)&input, on_alloc, on_command);
  uv_timer_init(loop, &deadline);
  uv_timer_start(&deadline, on_deadline, (uint64_t)seconds * 1000, 0);
  t_start = uv_now(loop);
  start_next();
  uv_run(loop, UV_RUN_DEFAULT);
  free(conns);
  return 0;
}
