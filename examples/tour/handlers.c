/* handlers.c -- examples/tour: a handler per feature of the runtime,
 * each as small as a user would write it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tour.h"

/* --- Hooks around every handler ----------------------------------------- */

/* What the hooks have seen, per worker (each worker is a thread with its
 * own loop; nothing mutable is shared between them). GET /stats shows it. */
static _Thread_local struct {
  long prepared, finished, closed, users;
} counts;

static bool contains(tn_str_t s, const char *word) {
  size_t n = strlen(word);
  for (size_t i = 0; s.ptr && i + n <= s.len; i++)
    if (memcmp(s.ptr + i, word, n) == 0)
      return true;
  return false;
}

/* Before each handler: a request with an X-Deny header is refused here,
 * and the handler never runs; the others are marked. */
int tour_prepare(tn_req_t *req) {
  counts.prepared++;
  if (tn_req_header(req, "X-Deny").ptr) {
    tn_send_error(req, 403, "denied by prepare");
    return 1;
  }
  tn_set_header(req, "X-Prepared", "yes");
  return 0;
}

/* After each response. */
void tour_on_finish(tn_req_t *req) {
  (void)req;
  counts.finished++;
}

/* The user is the value of the signed cookie "user" that POST /login sets;
 * routes marked `authenticated` need one. */
void *tour_current_user(tn_req_t *req) {
  counts.users++;
  return (void *)tn_get_signed_cookie(req, "user", 0, NULL);
}

/* Every error page: JSON for API clients (Accept: application/json), the
 * default page for everyone else -- tn_send_error from inside write_error
 * writes it, as an error raised in Tornado's write_error does. */
void tour_write_error(tn_req_t *req, int status, const char *detail) {
  json_t *page = NULL;
  if (contains(tn_req_header(req, "Accept"), "application/json"))
    page = json_pack("{s:i, s:s?}", "status", status, "detail", detail);
  if (!page) {
    tn_send_error(req, status, detail);
    return;
  }
  tn_set_header(req, "X-Error-Writer", "tour");
  tn_write_json_new(req, page);
}

void stats(tn_req_t *req) {
  tn_write_json_new(req, json_pack("{s:I, s:I, s:I, s:I}", "prepared",
                                   (json_int_t)counts.prepared, "finished",
                                   (json_int_t)counts.finished, "closed",
                                   (json_int_t)counts.closed, "users",
                                   (json_int_t)counts.users));
}

/* --- Request data ------------------------------------------------------- */

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

/* A string as JSON: null when absent or not UTF-8. */
static json_t *jstr(const char *s) {
  json_t *j = s ? json_string(s) : NULL;
  return j ? j : json_null();
}

static json_t *jstrs(const char **v, int n) {
  json_t *a = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(a, jstr(v[i]));
  return a;
}

/* Tornado's get_argument family on argument `a`: all its values (query
 * then body), each source's, and the last one or a default; ?require=NAME
 * also asks for a required argument NAME (400 naming it when missing). */
void args(tn_req_t *req) {
  const char **all, **query, **body;
  int n = tn_get_arguments(req, "a", &all);
  int nq = tn_get_query_arguments(req, "a", &query);
  int nb = tn_get_body_arguments(req, "a", &body);
  const char *last = tn_get_argument(req, "a", "(none)");
  if (n < 0 || nq < 0 || nb < 0 || !last)
    return; /* answered: a malformed body */
  const char *need = tn_get_query_argument(req, "require", NULL);
  const char *got = need ? tn_require_argument(req, need) : NULL;
  if (need && !got)
    return; /* answered 400 */
  json_t *out = json_object();
  json_object_set_new(out, "all", jstrs(all, n));
  json_object_set_new(out, "query", jstrs(query, nq));
  json_object_set_new(out, "body", jstrs(body, nb));
  json_object_set_new(out, "last", jstr(last));
  if (need)
    json_object_set_new(out, "required", jstr(got));
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
 * worker's (thread-local: each worker has its own loop and list). The
 * handler is not called poll: the binary is static, and libuv's own calls
 * to poll(2) would land in it. */
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
  counts.closed++;
  forget(req);
  tn_finish(req);
}

void poll_wait(tn_req_t *req) {
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

/* /status/N: that status, with no body; an error status through
 * tn_send_error, so with the error page. */
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

/* ?name=N&value=V set with tn_set_header, each ?add= value added under
 * X-Added: what each call answered. A value holding CR or LF is refused. */
void set_header(tn_req_t *req) {
  const char *name = tn_get_query_argument(req, "name", "X-Custom");
  const char *value = tn_get_query_argument(req, "value", "");
  const char **adds;
  int n = tn_get_query_arguments(req, "add", &adds);
  json_t *added = json_array();
  for (int i = 0; i < n; i++) {
    int err = tn_add_header(req, "X-Added", adds[i]);
    json_array_append_new(added, json_string(err ? tn_err_name(err) : "ok"));
  }
  int err = tn_set_header(req, name, value);
  tn_write_json_new(req, json_pack("{s:s, s:o}", "set",
                                   err ? tn_err_name(err) : "ok", "add",
                                   added));
}

/* A redirect with the status of the path to ?to= (default "/"). */
void redir(tn_req_t *req, const struct tour_redir_args *args) {
  int err = tn_redirect(req, tn_get_argument(req, "to", "/"), (int)args->code);
  if (err)
    tn_send_error(req, 400, tn_err_name(err));
}

/* --- Cookies ------------------------------------------------------------ */

/* The request's cookies named by each ?n= (null when absent). */
void show_cookies(tn_req_t *req) {
  const char **names;
  int n = tn_get_query_arguments(req, "n", &names);
  json_t *out = json_object();
  for (int i = 0; i < n; i++)
    json_object_set_new(out, names[i], jstr(tn_get_cookie(req, names[i],
                                                          NULL)));
  tn_write_json_new(req, out);
}

static long long int_arg(tn_req_t *req, const char *name) {
  return strtoll(tn_get_query_argument(req, name, "0"), NULL, 10);
}

/* A Set-Cookie's attributes from the query: path, domain, expires (epoch
 * seconds), days, max_age, httponly, secure, samesite. */
static void cookie_opts(tn_req_t *req, tn_cookie_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->path = tn_get_query_argument(req, "path", NULL);
  o->domain = tn_get_query_argument(req, "domain", NULL);
  o->expires = int_arg(req, "expires");
  o->expires_days = strtod(tn_get_query_argument(req, "days", "0"), NULL);
  o->max_age = int_arg(req, "max_age");
  o->http_only = int_arg(req, "httponly") != 0;
  o->secure = int_arg(req, "secure") != 0;
  o->same_site = tn_get_query_argument(req, "samesite", NULL);
}

static void answer(tn_req_t *req, int err) {
  tn_write_json_new(req, json_pack("{s:s}", "result",
                                   err ? tn_err_name(err) : "ok"));
}

/* Sets cookie ?name= to ?value= (?twice=1: after another value, which the
 * second call replaces). */
void cookie_set(tn_req_t *req) {
  tn_cookie_opts_t o;
  cookie_opts(req, &o);
  const char *name = tn_get_query_argument(req, "name", "c");
  if (int_arg(req, "twice"))
    tn_set_cookie(req, name, "first", &o);
  answer(req, tn_set_cookie(req, name, tn_get_query_argument(req, "value",
                                                             ""), &o));
}

void cookie_clear(tn_req_t *req) {
  tn_cookie_opts_t o;
  cookie_opts(req, &o);
  answer(req, tn_clear_cookie(req, tn_get_query_argument(req, "name", "c"),
                              &o));
}

/* Signs ?value= into cookie ?name= (expiring in ?days=, else Tornado's
 * default 30 days). */
void signed_set(tn_req_t *req) {
  const char *value = tn_get_query_argument(req, "value", "");
  const char *days = tn_get_query_argument(req, "days", NULL);
  tn_cookie_opts_t o = {0};
  if (days)
    o.expires_days = strtod(days, NULL);
  answer(req, tn_set_signed_cookie(req, tn_get_query_argument(req, "name",
                                                              "s"),
                                   value, strlen(value), days ? &o : NULL));
}

/* The value of signed cookie ?name= if valid and younger than ?max_age=
 * days (default 31), else null. */
void signed_get(tn_req_t *req) {
  size_t len = 0;
  const char *v = tn_get_signed_cookie(
      req, tn_get_query_argument(req, "name", "s"),
      strtod(tn_get_query_argument(req, "max_age", "0"), NULL), &len);
  tn_write_json_new(req, json_pack("{s:o, s:I}", "value", jstr(v), "len",
                                   (json_int_t)len));
}

/* --- Logging in --------------------------------------------------------- */

/* GET: where an `authenticated` route sends an anonymous GET, with ?next=.
 * POST username=...&next=...: the signed cookie "user", then back to next
 * (a local path only: no open redirect). */
void login_page(tn_req_t *req) {
  const char *next = tn_get_argument(req, "next", "/private");
  if (!next)
    return;
  if (tn_req_method(req) != TN_METHOD_POST) {
    tn_write_json_new(req, json_pack("{s:s, s:o}", "login", "required",
                                     "next", jstr(next)));
    return;
  }
  const char *user = tn_require_argument(req, "username");
  if (!user)
    return;
  if (!*user) {
    tn_send_error(req, 400, "empty username");
    return;
  }
  if (next[0] != '/' || next[1] == '/' || next[1] == '\\')
    next = "/private";
  if (tn_set_signed_cookie(req, "user", user, strlen(user), NULL) ||
      tn_redirect(req, next, 303))
    tn_send_error(req, 500, "cannot log in");
}

void private_page(tn_req_t *req) {
  tn_printf(req, "hello, %s", (const char *)tn_current_user(req));
}
