/* harness.h -- what the cookie tests share: requests built the way conn.c
 * hands them over (with a fake worker for the options and the app), the
 * response headers they set, and Tornado as an oracle.
 *
 * The oracle is tornado_oracle.py beside this file, run by
 * /usr/bin/python3 over a batch of requests: q_begin/q_hex/q_word/q_end
 * write one request line, oracle_run runs them all and collects the
 * answer lines in order. Bytes travel as "x" + hex, None as "-". */
#ifndef TEST_COOKIE_HARNESS_H
#define TEST_COOKIE_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#define S(s) ((tn_str_t){(s), strlen(s)})

/* Not every test program uses every helper. */
#define HARNESS static __attribute__((unused))

/* --- Requests ------------------------------------------------------------ */

/* The server a request belongs to: its options (cookie_secret) and app
 * (the current_user hook). One per test program. */
static struct {
  tn__worker_t worker;
  tn__conn_t conn;
  tn_options_t opts;
  tn_app_t app;
  tn_hooks_t hooks;
  void *user; /* what the current_user hook returns */
} server;

HARNESS void *current_user_hook(tn_req_t *req) {
  (void)req;
  return server.user;
}

HARNESS void server_init(const char *secret) {
  memset(&server, 0, sizeof server);
  tn_options_init(&server.opts);
  server.opts.cookie_secret = secret;
  server.hooks.current_user = current_user_hook;
  server.app.name = "test";
  server.app.hooks = &server.hooks;
  server.app.flags = TN_APP_XSRF_COOKIES;
  server.worker.opts = &server.opts;
  server.worker.app = &server.app;
  server.conn.worker = &server.worker;
}

/* A request with `method`, `query` and headers given as NULL-terminated
 * name, value pairs (the strings must outlive the request). */
HARNESS tn_req_t *new_req(unsigned method, const char *query,
                         const char *const *headers) {
  tn_req_t *req = calloc(1, sizeof *req);
  assert_non_null(req);
  tn__arena_reset(req);
  tn__response_reset(req);
  tn__cookies_reset(req);
  req->conn = &server.conn;
  req->head.method_bit = method;
  const char *method_name = tn_method_name(method);
  req->head.method = S(method_name ? method_name : "PROPFIND");
  req->head.minor_version = 1;
  req->query = S(query ? query : "");
  for (unsigned i = 0; headers && headers[i]; i += 2) {
    req->head.headers[i / 2].name = S(headers[i]);
    req->head.headers[i / 2].value = S(headers[i + 1]);
    req->head.nheaders++;
  }
  return req;
}

/* A GET with one Cookie header. */
HARNESS tn_req_t *req_with_cookie(const char *cookie) {
  const char *h[] = {"Cookie", cookie, NULL};
  return new_req(TN_METHOD_GET, NULL, cookie ? h : NULL);
}

HARNESS void free_req(tn_req_t *req) {
  tn__buf_free(&req->out);
  tn__buf_free(&req->body_out);
  tn__arena_reset(req);
  free(req);
}

/* The values of the Set-Cookie headers the request sends, in order, as
 * strings to free; returns their count. */
HARNESS size_t set_cookies(tn_req_t *req, char **out, size_t max) {
  size_t n = 0;
  for (unsigned i = 0; i < req->nout; i++) {
    const tn__out_header_t *h = &req->out_headers[i];
    const char *line = req->out.data + h->off;
    if (!h->len || h->name_len != 10 || strncasecmp(line, "Set-Cookie", 10))
      continue;
    assert_true(n < max);
    out[n++] = strndup(line + 12, h->len - 14); /* ": " and CRLF */
  }
  return n;
}

/* The one Set-Cookie value of the request (to free), or NULL. */
HARNESS char *set_cookie_of(tn_req_t *req) {
  char *v[TN__MAX_OUT_HEADERS];
  size_t n = set_cookies(req, v, TN__MAX_OUT_HEADERS);
  assert_true(n <= 1);
  return n ? v[0] : NULL;
}

HARNESS char *body_of(tn_req_t *req) {
  return strndup(req->body_out.data ? req->body_out.data : "",
                 req->body_out.len);
}

/* --- Hex ----------------------------------------------------------------- */

/* Decodes an oracle answer word ("x" + hex) into a NUL-terminated block to
 * free; NULL for "-". */
HARNESS char *from_hex(const char *s, size_t len, size_t *n) {
  if (len == 1 && s[0] == '-')
    return NULL;
  assert_true(len >= 1 && s[0] == 'x' && len % 2 == 1);
  char *out = malloc(len / 2 + 1);
  assert_non_null(out);
  for (size_t i = 1; i < len; i += 2)
    out[i / 2] = (char)(tn__hex_value((unsigned char)s[i]) << 4 |
                        tn__hex_value((unsigned char)s[i + 1]));
  out[len / 2] = '\0';
  if (n)
    *n = len / 2;
  return out;
}

HARNESS char *from_hex_str(const char *s, size_t *n) {
  return from_hex(s, strlen(s), n);
}

/* --- The oracle ---------------------------------------------------------- */

#define ORACLE_MAX 4096

typedef struct {
  char path[64]; /* the request file */
  FILE *in;
  size_t n;
  char *answers[ORACLE_MAX];
} oracle_t;

HARNESS oracle_t *oracle_new(void) {
  oracle_t *o = calloc(1, sizeof *o);
  assert_non_null(o);
  strcpy(o->path, "/tmp/torn-cookie-oracle-XXXXXX");
  int fd = mkstemp(o->path);
  assert_true(fd >= 0);
  o->in = fdopen(fd, "w");
  assert_non_null(o->in);
  return o;
}

HARNESS void q_begin(oracle_t *o, const char *cmd) {
  assert_true(o->n < ORACLE_MAX);
  fputs(cmd, o->in);
}

HARNESS void q_word(oracle_t *o, const char *word) {
  fprintf(o->in, " %s", word);
}

HARNESS void q_hex(oracle_t *o, const void *p, size_t n) {
  if (!p) {
    fputs(" -", o->in);
    return;
  }
  fputs(" x", o->in);
  for (size_t i = 0; i < n; i++)
    fprintf(o->in, "%02x", ((const unsigned char *)p)[i]);
}

HARNESS void q_str(oracle_t *o, const char *s) {
  q_hex(o, s, s ? strlen(s) : 0);
}

/* Ends a request line; returns its index among the answers. */
HARNESS size_t q_end(oracle_t *o) {
  fputc('\n', o->in);
  return o->n++;
}

/* Runs every request written; afterwards o->answers[i] answers request i
 * (without its newline). */
HARNESS void oracle_run(oracle_t *o) {
  char cmd[256];
  const char *slash = strrchr(__FILE__, '/');
  assert_int_equal(fclose(o->in), 0);
  o->in = NULL;
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %.*stornado_oracle.py < %s",
           slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__, o->path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t got = 0, cap = 0;
  char *line = NULL;
  ssize_t len;
  while ((len = getline(&line, &cap, p)) > 0) {
    if (got == ORACLE_MAX)
      break;
    if (line[len - 1] == '\n')
      line[len - 1] = '\0';
    o->answers[got++] = strdup(line);
  }
  free(line);
  int status = pclose(p);
  unlink(o->path);
  if (got != o->n || status != 0)
    fail_msg("the Tornado oracle answered %zu of %zu requests (exit %d): "
             "is Debian's python3-tornado installed?",
             got, o->n, status);
}

HARNESS void oracle_free(oracle_t *o) {
  if (o->in) {
    fclose(o->in);
    unlink(o->path);
  }
  for (size_t i = 0; i < o->n; i++)
    free(o->answers[i]);
  free(o);
}

#endif /* TEST_COOKIE_HARNESS_H */
