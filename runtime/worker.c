/* worker.c -- the workers: each one libuv loop with its listener, its
 * signals, its clock, and the pools every connection of the loop shares;
 * and tn_serve, which starts them.
 *
 * With N workers, N listening sockets share the port (SO_REUSEPORT) and
 * the kernel spreads new connections across them; worker 0 runs in the
 * thread that called tn_serve, each other one in a thread of its own.
 * Nothing mutable is shared but the access log's descriptor (log.c).
 *
 * Graceful stop (SIGINT, SIGTERM): the listener closes, idle connections
 * close, connections in the middle of a request finish it (answered with
 * Connection: close) and then close, or are closed at the deadline
 * (--stop-timeout); a loop ends when no handle is left. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* --- Request pool ------------------------------------------------------ */

tn_req_t *tn__req_acquire(tn__worker_t *w) {
  tn_req_t *req = w->free_reqs;
  if (req) {
    w->free_reqs = req->next_free; /* its arena was reset on release */
  } else {
    if (!(req = calloc(1, sizeof *req)))
      return NULL;
    tn__arena_reset(req);
  }
  tn__response_reset(req);
  req->body = (tn_str_t){NULL, 0};
  req->args_parsed = 0; /* the lists were in the arena, now reset */
  req->remote_ip[0] = '\0';
  tn__cookies_reset(req); /* they pointed into the previous request */
  req->current_user = NULL;
  req->current_user_known = false;
  req->file_fd = -1;
  req->ws = NULL;
  return req;
}

void tn__req_release(tn__worker_t *w, tn_req_t *req) {
  /* One huge response must not pin its memory for the worker's life. */
  if (req->body_out.cap > TN__POOL_KEEP)
    tn__buf_free(&req->body_out);
  if (req->out.cap > TN__POOL_KEEP)
    tn__buf_free(&req->out);
  tn__async_release(req);
  tn__args_release(req);
  if (req->file_fd >= 0)
    close(req->file_fd);
  req->file_fd = -1;
  free(req->own);
  req->own = NULL;
  tn__arena_reset(req); /* a pooled request keeps no chunk */
  req->conn = NULL;
  req->next_free = w->free_reqs;
  w->free_reqs = req;
}

static void free_pool(tn__worker_t *w) {
  while (w->free_reqs) {
    tn_req_t *req = w->free_reqs;
    w->free_reqs = req->next_free;
    tn__buf_free(&req->body_out);
    tn__buf_free(&req->out);
    free(req);
  }
}

/* --- Clock ------------------------------------------------------------- */

/* The Date header changes once a second; format it then, not per request.
 * The access log's date and its flush ride on the same tick. */
static void on_date_tick(uv_timer_t *timer) {
  tn__worker_t *w = timer->data;
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  w->date_len = strftime(w->date, sizeof w->date,
                         "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
  if (w->opts->access_log) {
    localtime_r(&now, &tm);
    tn__clf_date(w->log_date, now, tm.tm_gmtoff);
    tn__access_flush(w);
  }
  tn__conn_sweep(w, uv_now(&w->loop));
}

void tn__worker_on_resume(uv_idle_t *idle) {
  tn__conn_resume_all(idle->data);
}

/* --- Listening sockets ------------------------------------------------- */

static int parse_address(const tn_options_t *o, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  int err = strchr(o->address, ':')
                ? uv_ip6_addr(o->address, o->port, (struct sockaddr_in6 *)ss)
                : uv_ip4_addr(o->address, o->port, (struct sockaddr_in *)ss);
  if (err)
    tn_log(TN_LOG_ERROR, "bad address '%s': %s", o->address, uv_strerror(err));
  return err;
}

static int addr_port(const struct sockaddr_storage *ss) {
  return ntohs(ss->ss_family == AF_INET6
                   ? ((const struct sockaddr_in6 *)ss)->sin6_port
                   : ((const struct sockaddr_in *)ss)->sin_port);
}

/* A bound socket, SO_REUSEPORT when several workers share the port.
 * libuv 1.44 cannot ask for SO_REUSEPORT, so the socket is made here as
 * uv_tcp_bind would (SO_REUSEADDR; an IPv6 one dual-stack, IPV6_V6ONLY
 * off) and handed to libuv with uv_tcp_open. On success `ss` holds the
 * port bound, the kernel's choice for port 0. Returns the descriptor or a
 * negative error. */
static int bound_socket(struct sockaddr_storage *ss, bool reuseport) {
  socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return uv_translate_sys_error(errno);
  int on = 1, off = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
      (reuseport &&
       setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on)) ||
      (ss->ss_family == AF_INET6 &&
       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off)) ||
      bind(fd, (struct sockaddr *)ss, len) ||
      getsockname(fd, (struct sockaddr *)ss, &len)) {
    int err = uv_translate_sys_error(errno);
    close(fd);
    return err;
  }
  return fd;
}

/* Several workers: every socket of a SO_REUSEPORT group is welcome on its
 * port, another torn server's too, which would then silently share the
 * traffic. A plain bind first makes a taken port an error, and picks the
 * port when 0 was asked for. */
static int claim_port(struct sockaddr_storage *ss) {
  int fd = bound_socket(ss, false);
  if (fd < 0)
    return fd;
  close(fd);
  return 0;
}

static void on_connection(uv_stream_t *server, int status) {
  tn__worker_t *w = server->data;
  if (status < 0)
    return;
  tn__conn_accept(w, server);
}

static int listen_on(tn__worker_t *w, struct sockaddr_storage *ss,
                     bool reuseport) {
  uv_tcp_init(&w->loop, &w->listener);
  w->listener.data = w;
  int fd = bound_socket(ss, reuseport);
  if (fd < 0)
    return fd;
  int err = uv_tcp_open(&w->listener, fd);
  if (err) {
    close(fd);
    return err;
  }
  return uv_listen((uv_stream_t *)&w->listener, 1024, on_connection);
}

/* --- Stopping ---------------------------------------------------------- */

/* Connections waiting for a request close now; the others after their
 * response. */
static void close_idle(tn__worker_t *w) {
  tn__conn_t *next;
  for (tn__conn_t *c = w->conns; c; c = next) {
    next = c->next;
    if (c->ws) {
      tn__ws_going_away(c->ws); /* the close handshake, then the end */
      tn__conn_schedule(c);
    } else if (!c->req && !c->file && !(c->flags & TN__CONN_WRITING)) {
      tn__conn_close(c);
    }
  }
}

/* A client that never finishes its request must not hold the stop up. */
static void on_stop_deadline(uv_timer_t *timer) {
  tn__worker_t *w = timer->data;
  while (w->conns)
    tn__conn_close(w->conns);
  uv_close((uv_handle_t *)&w->stop_timer, NULL);
}

static void stop(tn__worker_t *w) {
  if (w->stopping)
    return;
  w->stopping = true;
  uv_close((uv_handle_t *)&w->listener, NULL);
  uv_close((uv_handle_t *)&w->sigint, NULL);
  uv_close((uv_handle_t *)&w->sigterm, NULL);
  uv_close((uv_handle_t *)&w->wakeup, NULL);
  tn__ws_inbox_seal(w);
  uv_close((uv_handle_t *)&w->inbox_async, NULL);
  /* Closing the SIGHUP handle would give the signal its default action
   * (the end of the process) while requests finish. */
  if (w->sighup_on)
    uv_unref((uv_handle_t *)&w->sighup);
  /* The clock (which also sweeps deadlines) and the resume list are still
   * needed by the connections finishing, but must not keep the loop
   * alive once they have gone. */
  uv_unref((uv_handle_t *)&w->date_timer);
  uv_unref((uv_handle_t *)&w->resume_idle);
  tn__access_flush(w);
  close_idle(w);
  if (w->nconns == 0)
    return;
  uv_timer_init(&w->loop, &w->stop_timer);
  w->stop_timer.data = w;
  uv_timer_start(&w->stop_timer, on_stop_deadline, w->opts->stop_timeout_ms,
                 0);
  /* The deadline must not keep the loop alive once the last connection
   * has gone. */
  uv_unref((uv_handle_t *)&w->stop_timer);
}

/* libuv hands a signal to its handles in every loop, so each worker hears
 * it and stops itself; only the first says so. */
static void on_signal(uv_signal_t *handle, int signum) {
  tn__worker_t *w = handle->data;
  if (w->id == 0)
    tn_log(TN_LOG_INFO, "%s: stopping", signum == SIGINT ? "SIGINT"
                                                         : "SIGTERM");
  stop(w);
}

static void on_wakeup(uv_async_t *handle) {
  stop(handle->data);
}

/* Log rotation: the file was renamed; write what is buffered, then
 * continue in a new file of the old name. One worker does it for all:
 * they share the descriptor. */
static void on_sighup(uv_signal_t *handle, int signum) {
  (void)signum;
  tn__worker_t *w = handle->data;
  const char *path = w->opts->access_log;
  if (!path || strcmp(path, "-") == 0)
    return; /* no file to reopen */
  tn__access_flush(w);
  if (!tn__access_reopen())
    tn_log(TN_LOG_INFO, "SIGHUP: access log %s reopened", path);
}

static void close_leftover(uv_handle_t *handle, void *arg) {
  (void)arg;
  if (!uv_is_closing(handle))
    uv_close(handle, NULL);
}

/* --- Workers ----------------------------------------------------------- */

static tn__worker_t *worker_new(const tn_app_t *app, const tn_options_t *opts,
                                unsigned id) {
  tn__worker_t *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  w->app = app;
  w->opts = opts;
  w->id = id;
  if (uv_mutex_init(&w->inbox_lock)) {
    free(w);
    return NULL;
  }
  if (uv_loop_init(&w->loop)) {
    uv_mutex_destroy(&w->inbox_lock);
    free(w);
    return NULL;
  }
  return w;
}

/* Everything but the loop itself, from a thread not running it yet. */
static int worker_start(tn__worker_t *w, struct sockaddr_storage *ss,
                        bool reuseport) {
  int err = listen_on(w, ss, reuseport);
  if (err)
    return err;
  uv_signal_init(&w->loop, &w->sigint);
  uv_signal_init(&w->loop, &w->sigterm);
  uv_timer_init(&w->loop, &w->date_timer);
  uv_idle_init(&w->loop, &w->resume_idle);
  w->sigint.data = w->sigterm.data = w->date_timer.data = w;
  w->resume_idle.data = w;
  if ((err = uv_async_init(&w->loop, &w->wakeup, on_wakeup)))
    return err;
  w->wakeup.data = w;
  if ((err = uv_async_init(&w->loop, &w->inbox_async, tn__ws_on_inbox)))
    return err;
  w->inbox_async.data = w;
  uv_signal_start(&w->sigint, on_signal, SIGINT);
  uv_signal_start(&w->sigterm, on_signal, SIGTERM);
  /* SIGHUP is log rotation: heard (and harmless) even without a log
   * file, since its default action would end the server. */
  if (w->id == 0) {
    uv_signal_init(&w->loop, &w->sighup);
    w->sighup.data = w;
    uv_signal_start(&w->sighup, on_sighup, SIGHUP);
    w->sighup_on = true;
  }
  on_date_tick(&w->date_timer);
  uv_timer_start(&w->date_timer, on_date_tick, 1000, 1000);
  return 0;
}

/* Serves until stopped, then lets every close callback run. */
static void worker_run(tn__worker_t *w) {
  uv_run(&w->loop, UV_RUN_DEFAULT);
  tn__access_flush(w); /* the lines of the requests finished while stopping */
  tn_log(TN_LOG_DEBUG, "worker %u stopped", w->id);
}

static void worker_thread(void *arg) {
  worker_run(arg);
}

/* Only unreferenced handles (the stop deadline) or those of a failed start
 * can be left: close them and let their callbacks run. */
static void worker_free(tn__worker_t *w) {
  if (!w)
    return;
  tn__ws_inbox_seal(w); /* a worker that never stopped: its handles close */
  uv_walk(&w->loop, close_leftover, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
  free_pool(w);
  tn__ws_worker_free(w);
  uv_mutex_destroy(&w->inbox_lock);
  tn__buf_free(&w->wbuf);
  tn__buf_free(&w->zbuf);
  tn__buf_free(&w->access);
  free(w);
}

/* --- Serving ----------------------------------------------------------- */

static unsigned worker_count(const tn_options_t *opts) {
  unsigned n = opts->workers > 0 ? (unsigned)opts->workers
                                 : uv_available_parallelism();
  if (n < 1)
    n = 1;
  return n > TN__MAX_WORKERS ? TN__MAX_WORKERS : n;
}

/* Binds every worker's listener: the first fixes the port when 0 was asked
 * for, the others share it. */
static int start_all(tn__worker_t **ws, unsigned n, struct sockaddr_storage *ss) {
  bool shared = n > 1;
  int err = shared ? claim_port(ss) : 0;
  for (unsigned i = 0; !err && i < n; i++)
    err = worker_start(ws[i], ss, shared);
  if (err) {
    const tn_options_t *o = ws[0]->opts;
    tn_log(TN_LOG_ERROR, "cannot listen on %s port %d: %s", o->address,
           addr_port(ss) ? addr_port(ss) : o->port, uv_strerror(err));
  }
  return err;
}

static void log_listening(const tn__worker_t *w, unsigned n, int port) {
  const char *a = w->opts->address;
  bool v6 = strchr(a, ':') != NULL;
  tn_log(TN_LOG_INFO, "%s listening on http://%s%s%s:%d/ (%u worker%s)",
         w->app->name, v6 ? "[" : "", a, v6 ? "]" : "", port, n,
         n > 1 ? "s" : "");
}

/* Workers 1.. in threads of their own; worker 0 in this one. When a thread
 * cannot start, the ones started are woken to stop. */
static int run_all(tn__worker_t **ws, unsigned n) {
  unsigned started = 1;
  int err = 0;
  for (; started < n; started++) {
    if ((err = uv_thread_create(&ws[started]->thread, worker_thread,
                                ws[started]))) {
      tn_log(TN_LOG_ERROR, "cannot start worker %u: %s", started,
             uv_strerror(err));
      break;
    }
  }
  if (err) {
    for (unsigned i = 1; i < started; i++)
      uv_async_send(&ws[i]->wakeup);
  } else {
    worker_run(ws[0]);
  }
  for (unsigned i = 1; i < started; i++)
    uv_thread_join(&ws[i]->thread);
  return err;
}

int tn_serve(const tn_app_t *app, const tn_options_t *opts) {
  struct sockaddr_storage ss;
  unsigned n = worker_count(opts);
  tn__log_set_level(opts->log_level);
  /* A client gone before its response is written must be an EPIPE of
   * that write, not the signal that kills the process. */
  signal(SIGPIPE, SIG_IGN);
  int err = parse_address(opts, &ss);
  if (err)
    return err;
  if (opts->access_log && (err = tn__access_open(opts->access_log)))
    return err;
  tn__worker_t **ws = calloc(n, sizeof *ws);
  if (!ws) {
    tn__access_close();
    return TN_ENOMEM;
  }
  for (unsigned i = 0; !err && i < n; i++)
    if (!(ws[i] = worker_new(app, opts, i)))
      err = TN_ENOMEM;
  /* Where the workers find each other for WebSocket broadcasts. */
  tn__hub_t hub = {ws, n};
  for (unsigned i = 0; !err && i < n; i++)
    ws[i]->hub = &hub;
  if (!err && !(err = start_all(ws, n, &ss))) {
    log_listening(ws[0], n, addr_port(&ss));
    err = run_all(ws, n);
  }
  for (unsigned i = 0; i < n; i++)
    worker_free(ws[i]);
  free(ws);
  tn__access_close();
  return err < 0 ? err : 0;
}
