/* handlers.c -- examples/tour: a handler per feature of the runtime,
 * each as small as a user would write it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tour.h"

void hello(tn_req_t *req) { tn_write(req, "Hello, world"); }

/* The body back as it came (a chunked one arrives decoded). */
void echo(tn_req_t *req) {
  tn_str_t body = tn_req_body(req);
  tn_str_t type = tn_req_header(req, "Content-Type");
  if (type.ptr) {
    char *t = tn_req_alloc(req, type.len + 1);
    if (t) {
      memcpy(t, type.ptr, type.len);
      t[type.len] = '\0';
      tn_set_header(req, "Content-Type", t);
    }
  }
  tn_write_len(req, body.ptr, body.len);
}

/* What arrived in a multipart form: every field and every file. */
void upload(tn_req_t *req) {
  const tn_file_t *files;
  int nfiles = tn_get_all_files(req, &files);
  if (nfiles < 0)
    return; /* answered: a malformed body */
  json_t *out = json_object(), *list = json_array();
  for (int i = 0; i < nfiles; i++) {
    unsigned long sum = 0;
    for (size_t j = 0; j < files[i].body.len; j++)
      sum = sum * 31 + (unsigned char)files[i].body.ptr[j];
    json_array_append_new(
        list, json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", files[i].name,
                        "filename", files[i].filename, "content_type",
                        files[i].content_type, "size",
                        (json_int_t)files[i].body.len, "hash",
                        (json_int_t)(sum & 0xffffffffu)));
  }
  json_object_set_new(out, "files", list);
  const char *title = tn_get_body_argument(req, "title", "");
  if (title)
    json_object_set_new(out, "title", json_string(title));
  tn_write_json_new(req, out);
}

/* A JSON body, answered with one more member. */
void json_in(tn_req_t *req) {
  json_t *in = tn_get_json_body(req);
  if (!in)
    return; /* answered 400 */
  json_t *out = json_pack("{s:O, s:b}", "got", in, "ok", 1);
  tn_write_json_new(req, out);
}

/* --- Asynchronous handlers ---------------------------------------------- */

static void on_slept(tn_req_t *req, void *data) {
  tn_printf(req, "slept %ld ms", (long)(intptr_t)data);
  tn_finish(req);
}

/* Answers after ?ms= milliseconds, without holding the loop. */
void slow(tn_req_t *req) {
  long ms = strtol(tn_get_argument(req, "ms", "100"), NULL, 10);
  if (ms < 0 || ms > 60000)
    ms = 100;
  tn_call_later(req, (uint64_t)ms, on_slept, (void *)(intptr_t)ms);
}

typedef struct {
  int sent, total;
} stream_state;

static void on_tick(tn_req_t *req, void *data) {
  stream_state *s = data;
  tn_printf(req, "chunk %d\n", s->sent++);
  if (s->sent == s->total) {
    tn_finish(req);
    return;
  }
  tn_flush(req);
  tn_call_later(req, 10, on_tick, s);
}

/* ?n= pieces, each sent as it is written (chunked). */
void stream(tn_req_t *req) {
  stream_state *s = tn_req_alloc(req, sizeof *s);
  s->sent = 0;
  s->total = atoi(tn_get_argument(req, "n", "5"));
  if (s->total < 1 || s->total > 1000)
    s->total = 5;
  tn_set_header(req, "Content-Type", "text/plain");
  tn_flush(req);
  tn_call_later(req, 10, on_tick, s);
}

typedef struct {
  unsigned long n;
  unsigned long result;
} work_state;

static void do_work(void *data) {
  work_state *w = data;
  unsigned long x = 0;
  for (unsigned long i = 0; i < w->n; i++)
    x = x * 6364136223846793005ul + i;
  w->result = x;
}

static void on_worked(tn_req_t *req, void *data) {
  work_state *w = data;
  if (req) {
    tn_printf(req, "%lu", w->result);
    tn_finish(req);
  }
  free(w);
}

/* Blocking work on the thread pool, the answer back on the loop. */
void work(tn_req_t *req) {
  work_state *w = malloc(sizeof *w);
  if (!w) {
    tn_send_error(req, 500, NULL);
    tn_finish(req);
    return;
  }
  w->n = strtoul(tn_get_argument(req, "n", "1000"), NULL, 10);
  if (tn_run_in_executor(req, do_work, on_worked, w)) {
    free(w);
    tn_send_error(req, 500, NULL);
    tn_finish(req);
  }
}

/* Long polling: GET /poll waits until POST /notify. The waiters are this
 * worker's (thread-local: each worker has its own loop and list). */
#define MAX_WAITERS 1024
static _Thread_local tn_req_t *waiters[MAX_WAITERS];
static _Thread_local int nwaiters;

static void forget(tn_req_t *req) {
  for (int i = 0; i < nwaiters; i++)
    if (waiters[i] == req) {
      waiters[i] = waiters[--nwaiters];
      return;
    }
}

static void on_poller_gone(tn_req_t *req, void *data) {
  (void)data;
  forget(req);
  tn_finish(req);
}

void poll(tn_req_t *req) {
  if (nwaiters == MAX_WAITERS) {
    tn_send_error(req, 503, "too many waiters");
    tn_finish(req);
    return;
  }
  waiters[nwaiters++] = req;
  tn_on_connection_close(req, on_poller_gone, NULL);
}

void notify(tn_req_t *req) {
  tn_str_t body = tn_req_body(req);
  int n = nwaiters;
  while (nwaiters) {
    tn_req_t *w = waiters[--nwaiters];
    tn_write_len(w, body.ptr, body.len);
    tn_finish(w);
  }
  tn_printf(req, "notified %d", n);
}

/* --- Request and response details ---------------------------------------- */

/* The request's headers, as the handler sees them, and the client. */
void show_headers(tn_req_t *req) {
  json_t *out = json_object();
  const char *names[] = {"Host", "User-Agent", "X-Test", "Cookie"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    tn_str_t v = tn_req_header(req, names[i]);
    if (v.ptr)
      json_object_set_new(out, names[i], json_stringn(v.ptr, v.len));
  }
  json_object_set_new(out, "remote_ip", json_string(tn_req_remote_ip(req)));
  tn_write_json_new(req, out);
}

void status(tn_req_t *req, const struct tour_status_args *args) {
  if (args->code >= 400 && args->code <= 599)
    tn_send_error(req, (int)args->code, "asked for");
  else if (tn_set_status(req, (int)args->code))
    tn_send_error(req, 400, "not a status");
}

/* 200 KB of text: large enough to be gzipped and sent in pieces. */
void big(tn_req_t *req) {
  for (int i = 0; i < 4000; i++)
    tn_printf(req, "line %05d: the quick brown fox jumps over the lazy\n",
              i);
}
