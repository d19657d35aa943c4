/* worker.c -- a worker: one libuv loop, its listener, its signals, its
 * clock, and the pools every connection of the loop shares.
 *
 * Graceful stop (SIGINT, SIGTERM): the listener closes, idle connections
 * close, connections in the middle of a request finish it (answered with
 * Connection: close) and then close; the loop ends when no handle is left. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
  return req;
}

void tn__req_release(tn__worker_t *w, tn_req_t *req) {
  /* One huge response must not pin its memory for the worker's life. */
  if (req->body_out.cap > TN__POOL_KEEP)
    tn__buf_free(&req->body_out);
  if (req->out.cap > TN__POOL_KEEP)
    tn__buf_free(&req->out);
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

/* The Date header changes once a second; format it then, not per request. */
static void on_date_tick(uv_timer_t *timer) {
  tn__worker_t *w = timer->data;
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  w->date_len = strftime(w->date, sizeof w->date,
                         "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

/* --- Listening --------------------------------------------------------- */

static void on_connection(uv_stream_t *server, int status) {
  tn__worker_t *w = server->data;
  if (status < 0)
    return;
  tn__conn_accept(w, server);
}

static int listen_on(tn__worker_t *w) {
  const tn_options_t *o = w->opts;
  struct sockaddr_storage addr;
  int err = strchr(o->address, ':')
                ? uv_ip6_addr(o->address, o->port, (struct sockaddr_in6 *)&addr)
                : uv_ip4_addr(o->address, o->port, (struct sockaddr_in *)&addr);
  if (err) {
    fprintf(stderr, "torn: bad address '%s': %s\n", o->address,
            uv_strerror(err));
    return err;
  }
  uv_tcp_init(&w->loop, &w->listener);
  w->listener.data = w;
  err = uv_tcp_bind(&w->listener, (struct sockaddr *)&addr, 0);
  if (!err)
    err = uv_listen((uv_stream_t *)&w->listener, 1024, on_connection);
  if (err)
    fprintf(stderr, "torn: cannot listen on %s port %d: %s\n", o->address,
            o->port, uv_strerror(err));
  return err;
}

/* --- Stopping ---------------------------------------------------------- */

static void close_idle(uv_handle_t *handle, void *arg) {
  tn__worker_t *w = arg;
  if (handle->type != UV_TCP || handle == (uv_handle_t *)&w->listener)
    return;
  tn__conn_t *c = handle->data;
  if (!c->req && !(c->flags & TN__CONN_WRITING))
    tn__conn_close(c);
}

static void close_any(uv_handle_t *handle, void *arg) {
  tn__worker_t *w = arg;
  if (handle->type == UV_TCP && handle != (uv_handle_t *)&w->listener)
    tn__conn_close(handle->data);
}

/* A client that never finishes its request must not hold the stop up. */
static void on_stop_deadline(uv_timer_t *timer) {
  tn__worker_t *w = timer->data;
  uv_walk(&w->loop, close_any, w);
  uv_close((uv_handle_t *)&w->stop_timer, NULL);
}

static void stop(tn__worker_t *w) {
  if (w->stopping)
    return;
  w->stopping = true;
  uv_close((uv_handle_t *)&w->listener, NULL);
  uv_close((uv_handle_t *)&w->sigint, NULL);
  uv_close((uv_handle_t *)&w->sigterm, NULL);
  uv_close((uv_handle_t *)&w->date_timer, NULL);
  uv_walk(&w->loop, close_idle, w);
  if (w->nconns == 0)
    return;
  uv_timer_init(&w->loop, &w->stop_timer);
  w->stop_timer.data = w;
  uv_timer_start(&w->stop_timer, on_stop_deadline, TN__STOP_DEADLINE_MS, 0);
  /* The deadline must not keep the loop alive once the last connection
   * has gone. */
  uv_unref((uv_handle_t *)&w->stop_timer);
}

static void on_signal(uv_signal_t *handle, int signum) {
  (void)signum;
  stop(handle->data);
}

static void close_leftover(uv_handle_t *handle, void *arg) {
  (void)arg;
  if (!uv_is_closing(handle))
    uv_close(handle, NULL);
}

/* --- Serving ----------------------------------------------------------- */

static int run(tn__worker_t *w) {
  int err = listen_on(w);
  if (err)
    return err;
  uv_signal_init(&w->loop, &w->sigint);
  uv_signal_init(&w->loop, &w->sigterm);
  uv_timer_init(&w->loop, &w->date_timer);
  w->sigint.data = w->sigterm.data = w->date_timer.data = w;
  uv_signal_start(&w->sigint, on_signal, SIGINT);
  uv_signal_start(&w->sigterm, on_signal, SIGTERM);
  on_date_tick(&w->date_timer);
  uv_timer_start(&w->date_timer, on_date_tick, 1000, 1000);
  fprintf(stderr, "torn: %s listening on http://%s%s%s:%d/\n", w->app->name,
          strchr(w->opts->address, ':') ? "[" : "", w->opts->address,
          strchr(w->opts->address, ':') ? "]" : "", w->opts->port);
  return uv_run(&w->loop, UV_RUN_DEFAULT);
}

int tn_serve(const tn_app_t *app, const tn_options_t *opts) {
  tn__worker_t *w = calloc(1, sizeof *w);
  if (!w)
    return TN_ENOMEM;
  w->app = app;
  w->opts = opts;
  int err = uv_loop_init(&w->loop);
  if (!err) {
    err = run(w);
    /* Only unreferenced handles (the stop deadline) or those of a failed
     * start can be left: close them and let their callbacks run. */
    uv_walk(&w->loop, close_leftover, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
  }
  free_pool(w);
  tn__buf_free(&w->wbuf);
  free(w);
  return err < 0 ? err : 0;
}
