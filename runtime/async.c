/* async.c -- handlers that answer after they return: Tornado's
 * `async def` handlers, with libuv underneath.
 *
 * A route declared `async` in the .troute file gets its request bytes of
 * its own before the handler runs (tn__req_own_bytes), so the handler may
 * keep the request across loop iterations. It ends the request with
 * tn_finish(), from any callback on the request's loop. What the request
 * started -- timers, a close notice -- lives in one tn__async_t, made on
 * first use, so a request that never goes async pays nothing for it.
 * Thread-pool jobs may outlive the request (a job cannot be cancelled once
 * it runs): they hold the tn__async_t, which then outlives the request
 * until the last job is done. */
#include <stdlib.h>

#include "internal.h"

typedef struct tn__timer_s {
  uv_timer_t handle;
  tn__async_t *async;
  struct tn__timer_s *next;
  tn_req_cb cb;
  void *data;
} tn__timer_t;

typedef struct {
  uv_work_t work;
  tn__async_t *async;
  tn_work_cb run;
  tn_req_cb done;
  void *data;
} tn__job_t;

struct tn__async_s {
  tn_req_t *req; /* NULL once the request has ended */
  tn_req_cb on_close;
  void *on_close_data;
  tn__timer_t *timers; /* pending */
  unsigned jobs;       /* thread-pool jobs not yet done */
};

static tn__async_t *async_of(tn_req_t *req) {
  if (!req->async) {
    req->async = calloc(1, sizeof *req->async);
    if (req->async)
      req->async->req = req;
  }
  return req->async;
}

/* --- Finishing ---------------------------------------------------------- */

int tn_finish(tn_req_t *req) {
  if (!(req->rflags & TN__REQ_IS_ASYNC))
    return 0; /* a plain handler's response is finished when it returns */
  if (req->rflags & TN__REQ_FINISHED)
    return TN_ESTATE;
  req->rflags |= TN__REQ_FINISHED;
  if (req->phase == TN__REQ_ASYNC)
    tn__conn_schedule(req->conn);
  return 0;
}

int tn_flush(tn_req_t *req) {
  if (req->rflags & TN__REQ_FINISHED)
    return TN_ESTATE;
  if (!(req->rflags & TN__REQ_IS_ASYNC))
    return 0; /* everything goes out as the handler returns anyway */
  req->rflags |= TN__REQ_FLUSH;
  if (req->phase == TN__REQ_ASYNC)
    tn__conn_schedule(req->conn);
  return 0;
}

bool tn_req_finished(const tn_req_t *req) {
  return req->rflags & TN__REQ_FINISHED;
}

bool tn_req_connection_closed(const tn_req_t *req) {
  return req->rflags & TN__REQ_GONE;
}

struct uv_loop_s *tn_req_loop(const tn_req_t *req) {
  return &req->conn->worker->loop;
}

/* --- The client going away ---------------------------------------------- */

int tn_on_connection_close(tn_req_t *req, tn_req_cb cb, void *data) {
  tn__async_t *a = async_of(req);
  if (!a)
    return TN_ENOMEM;
  a->on_close = cb;
  a->on_close_data = data;
  return 0;
}

void tn__async_gone(tn_req_t *req) {
  if (req->rflags & (TN__REQ_GONE | TN__REQ_FINISHED))
    return;
  req->rflags |= TN__REQ_GONE;
  tn__async_t *a = req->async;
  if (a && a->on_close)
    a->on_close(req, a->on_close_data);
}

/* --- Timers ------------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *handle) {
  free(handle->data);
}

static void unlink_timer(tn__async_t *a, tn__timer_t *t) {
  for (tn__timer_t **p = &a->timers; *p; p = &(*p)->next)
    if (*p == t) {
      *p = t->next;
      return;
    }
}

static void on_timer(uv_timer_t *handle) {
  tn__timer_t *t = handle->data;
  unlink_timer(t->async, t);
  uv_close((uv_handle_t *)handle, on_timer_closed);
  t->cb(t->async->req, t->data);
}

int tn_call_later(tn_req_t *req, uint64_t ms, tn_req_cb cb, void *data) {
  if (req->rflags & TN__REQ_FINISHED)
    return TN_ESTATE;
  tn__async_t *a = async_of(req);
  tn__timer_t *t = a ? malloc(sizeof *t) : NULL;
  if (!t)
    return TN_ENOMEM;
  *t = (tn__timer_t){.async = a, .next = a->timers, .cb = cb, .data = data};
  uv_timer_init(tn_req_loop(req), &t->handle);
  t->handle.data = t;
  uv_timer_start(&t->handle, on_timer, ms, 0);
  a->timers = t;
  return 0;
}

/* --- The thread pool ----------------------------------------------------- */

static void on_job_run(uv_work_t *work) {
  tn__job_t *job = work->data;
  job->run(job->data);
}

static void on_job_done(uv_work_t *work, int status) {
  (void)status; /* jobs are never cancelled */
  tn__job_t *job = work->data;
  tn__async_t *a = job->async;
  a->jobs--;
  job->done(a->req, job->data);
  if (!a->req && a->jobs == 0)
    free(a);
  free(job);
}

int tn_run_in_executor(tn_req_t *req, tn_work_cb run, tn_req_cb done,
                       void *data) {
  if (req->rflags & TN__REQ_FINISHED)
    return TN_ESTATE;
  tn__async_t *a = async_of(req);
  tn__job_t *job = a ? malloc(sizeof *job) : NULL;
  if (!job)
    return TN_ENOMEM;
  *job = (tn__job_t){.async = a, .run = run, .done = done, .data = data};
  job->work.data = job;
  int err = uv_queue_work(tn_req_loop(req), &job->work, on_job_run,
                          on_job_done);
  if (err) {
    free(job);
    return TN_ENOMEM;
  }
  a->jobs++;
  return 0;
}

/* --- The end of a request ----------------------------------------------- */

void tn__async_release(tn_req_t *req) {
  tn__async_t *a = req->async;
  if (!a)
    return;
  req->async = NULL;
  /* Timers not yet fired never will: their request is gone. */
  for (tn__timer_t *t = a->timers; t; t = t->next)
    uv_close((uv_handle_t *)&t->handle, on_timer_closed);
  a->timers = NULL;
  a->req = NULL;
  if (a->jobs == 0)
    free(a);
}

void tn__req_done(tn_req_t *req) {
  const tn_hooks_t *hooks = tn_req_app(req)->hooks;
  if (hooks && hooks->on_finish)
    hooks->on_finish(req);
  tn__access_log(req->conn->worker, req, req->sent_bytes);
}
