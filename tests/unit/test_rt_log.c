/* test_rt_log.c -- the server log (tn_log), the access log (its line
 * format, CLF dates, buffering, reopening) and the client address rule of
 * --xheaders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static tn_str_t S(const char *s) { return (tn_str_t){s, strlen(s)}; }

/* The whole content of a file, NUL-terminated (to free). */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  assert_non_null(buf);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      cap *= 2;
      buf = realloc(buf, cap + 1);
      assert_non_null(buf);
    }
  }
  fclose(f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static size_t count_lines(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static bool matches(const char *pattern, const char *s) {
  regex_t re;
  assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
  bool ok = regexec(&re, s, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

/* --- CLF dates ----------------------------------------------------------- */

static void expect_date(int64_t t, long offset, const char *want) {
  char out[TN__CLF_DATE_SIZE];
  tn__clf_date(out, t, offset);
  assert_string_equal(out, want);
}

static void test_clf_date(void **state) {
  (void)state;
  expect_date(0, 0, "01/Jan/1970:00:00:00 +0000");
  expect_date(1795341600, 0, "22/Nov/2026:10:00:00 +0000");
  /* The offset moves the wall clock and is written as +-HHMM. */
  expect_date(1795341600, 3600, "22/Nov/2026:11:00:00 +0100");
  expect_date(1795341600, -(5 * 3600 + 30 * 60), "22/Nov/2026:04:30:00 -0530");
  expect_date(1709251199, 0, "29/Feb/2024:23:59:59 +0000");
  expect_date(1709251199, 1, "01/Mar/2024:00:00:00 +0000");
  expect_date(1709251199, 14 * 3600, "01/Mar/2024:13:59:59 +1400");
}

/* --- Access log lines ---------------------------------------------------- */

static tn__access_entry_t entry(const char *method, const char *target) {
  return (tn__access_entry_t){
      .host = "203.0.113.7",
      .date = "22/Nov/2026:10:00:00 +0000",
      .method = S(method),
      .target = S(target),
      .minor_version = 1,
      .status = 200,
      .bytes = 1234,
      .duration_ns = 512345,
  };
}

/* Formats `e` into a buffer of exactly tn__access_line_max bytes (ASan
 * sees any overrun) and compares. */
static void expect_line(const tn__access_entry_t *e, const char *want) {
  size_t max = tn__access_line_max(e);
  char *out = malloc(max);
  assert_non_null(out);
  size_t n = tn__access_line(out, e);
  assert_true(n <= max);
  assert_int_equal(n, strlen(want));
  assert_memory_equal(out, want, n);
  free(out);
}

static void test_access_line(void **state) {
  (void)state;
  tn__access_entry_t e = entry("GET", "/path?q=1");
  expect_line(&e, "203.0.113.7 - - [22/Nov/2026:10:00:00 +0000] "
                  "\"GET /path?q=1 HTTP/1.1\" 200 1234 0.000512\n");

  e = entry("POST", "/a");
  e.host = "2001:db8::1";
  e.minor_version = 0;
  e.status = 404;
  e.duration_ns = 1500000000ull; /* 1.5 s */
  expect_line(&e, "2001:db8::1 - - [22/Nov/2026:10:00:00 +0000] "
                  "\"POST /a HTTP/1.0\" 404 1234 1.500000\n");

  /* No host known, no body: CLF's "-"; sub-microsecond time is 0. */
  e = entry("HEAD", "/");
  e.host = "";
  e.bytes = 0;
  e.duration_ns = 999;
  expect_line(&e, "- - - [22/Nov/2026:10:00:00 +0000] "
                  "\"HEAD / HTTP/1.1\" 200 - 0.000000\n");

  /* A head that never parsed has no request line. */
  e = entry("", "");
  e.status = 400;
  expect_line(&e, "203.0.113.7 - - [22/Nov/2026:10:00:00 +0000] "
                  "\"-\" 400 1234 0.000512\n");

  e = entry("GET", "/");
  e.duration_ns = 3723000001000ull; /* 3723 s and 1 us */
  expect_line(&e, "203.0.113.7 - - [22/Nov/2026:10:00:00 +0000] "
                  "\"GET / HTTP/1.1\" 200 1234 3723.000001\n");
}

/* A hostile request line cannot end the line or the quoted field. */
static void test_access_line_escapes(void **state) {
  (void)state;
  tn__access_entry_t e = entry("GET", "/a\"b\\c\nd\re\x7f\xff\x01 f");
  expect_line(&e, "203.0.113.7 - - [22/Nov/2026:10:00:00 +0000] "
                  "\"GET /a\\x22b\\x5cc\\x0ad\\x0de\\x7f\\xff\\x01 f "
                  "HTTP/1.1\" 200 1234 0.000512\n");
  e = entry("G\"T", "/");
  expect_line(&e, "203.0.113.7 - - [22/Nov/2026:10:00:00 +0000] "
                  "\"G\\x22T / HTTP/1.1\" 200 1234 0.000512\n");
}

/* Every byte value, and the worst case for the size bound. */
static void test_access_line_all_bytes(void **state) {
  (void)state;
  char target[256];
  for (int i = 0; i < 256; i++)
    target[i] = (char)i;
  tn__access_entry_t e = entry("GET", "");
  e.target = (tn_str_t){target, sizeof target};
  e.method = (tn_str_t){"\"\"\"", 3};
  e.host = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
  e.bytes = UINT64_MAX;
  e.duration_ns = UINT64_MAX;
  e.status = 599;
  size_t max = tn__access_line_max(&e);
  char *out = malloc(max);
  assert_non_null(out);
  size_t n = tn__access_line(out, &e);
  assert_true(n <= max);
  /* One line; quotes only around the request; printable ASCII only. */
  assert_int_equal(out[n - 1], '\n');
  assert_null(memchr(out, '\n', n - 1));
  size_t quotes = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    assert_true(out[i] >= 0x20 && out[i] < 0x7f);
    quotes += out[i] == '"';
  }
  assert_int_equal(quotes, 2);
  free(out);
}

/* --- The access log file ------------------------------------------------- */

static struct {
  tn__worker_t worker;
  tn__conn_t conn;
  tn_options_t opts;
} server;

static char tmpdir[64];

static void path_in_tmp(char *out, size_t size, const char *name) {
  snprintf(out, size, "%s/%s", tmpdir, name);
}

static int make_tmpdir(void **state) {
  (void)state;
  strcpy(tmpdir, "/tmp/test_rt_log.XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static tn_req_t *new_req(const char *method, const char *target, int status) {
  tn_req_t *req = calloc(1, sizeof *req);
  assert_non_null(req);
  req->head.method = S(method);
  req->head.target = S(target);
  req->head.minor_version = 1;
  req->status = status;
  req->start_ns = uv_hrtime();
  /* The peer is not a socket here: the address comes from the cache. */
  strcpy(req->remote_ip, "192.0.2.1");
  return req;
}

static void log_requests(int n, const char *target) {
  for (int i = 0; i < n; i++) {
    tn_req_t *req = new_req("GET", target, 200);
    tn__access_log(&server.worker, req, 5);
    free(req);
  }
}

static const char *const line_re =
    "^192\\.0\\.2\\.1 - - \\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:"
    "[0-9]{2}:[0-9]{2} [-+][0-9]{4}\\] \"GET /x HTTP/1\\.1\" 200 5 "
    "[0-9]+\\.[0-9]{6}$";

static void test_access_log_buffered(void **state) {
  (void)state;
  char path[128];
  path_in_tmp(path, sizeof path, "access.log");
  memset(&server, 0, sizeof server);
  tn_options_init(&server.opts);
  server.opts.access_log = path;
  server.worker.opts = &server.opts;
  tn__clf_date(server.worker.log_date, 1795341600, 0);
  assert_int_equal(tn__access_open(path), 0);

  /* Lines wait in the worker's buffer until a flush. */
  log_requests(3, "/x");
  size_t len;
  char *text = slurp(path, &len);
  assert_int_equal(len, 0);
  free(text);
  tn__access_flush(&server.worker);
  text = slurp(path, &len);
  assert_int_equal(count_lines(text), 3);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
    assert_true(matches(line_re, line));
  free(text);

  /* A full buffer writes itself. */
  size_t line_len = len / 3, n = TN__ACCESS_FLUSH / line_len + 1;
  log_requests((int)n, "/x");
  text = slurp(path, &len);
  assert_int_equal(count_lines(text), 3 + n);
  free(text);
  assert_int_equal(server.worker.access.len, 0);

  /* Rotation: renamed, then reopened; the next lines go to the new file. */
  char rotated[128];
  path_in_tmp(rotated, sizeof rotated, "access.log.1");
  assert_int_equal(rename(path, rotated), 0);
  log_requests(2, "/x");
  assert_int_equal(tn__access_reopen(), 0);
  log_requests(1, "/x");
  tn__access_flush(&server.worker);
  text = slurp(path, NULL);
  assert_int_equal(count_lines(text), 3); /* buffered before and after */
  free(text);
  text = slurp(rotated, NULL);
  assert_int_equal(count_lines(text), 3 + n);
  free(text);

  tn__access_close();
  /* Closed: nothing is buffered any more. */
  log_requests(1, "/x");
  assert_int_equal(server.worker.access.len, 0);
  tn__buf_free(&server.worker.access);
}

/* Appending: what was in the file stays; a missing directory is an error. */
static void test_access_log_open(void **state) {
  (void)state;
  char path[128];
  path_in_tmp(path, sizeof path, "existing.log");
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("old line\n", f);
  fclose(f);
  memset(&server, 0, sizeof server);
  tn_options_init(&server.opts);
  server.worker.opts = &server.opts;
  tn__clf_date(server.worker.log_date, 0, 0);
  assert_int_equal(tn__access_open(path), 0);
  log_requests(1, "/x");
  tn__access_flush(&server.worker);
  tn__access_close();
  char *text = slurp(path, NULL);
  assert_true(!strncmp(text, "old line\n192.0.2.1 - - [01/Jan/1970", 35));
  free(text);
  tn__buf_free(&server.worker.access);

  path_in_tmp(path, sizeof path, "no/such/dir.log");
  int saved = dup(STDERR_FILENO), devnull = open("/dev/null", O_WRONLY);
  dup2(devnull, STDERR_FILENO); /* the error is logged */
  int err = tn__access_open(path);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(devnull);
  assert_int_equal(err, UV_ENOENT);
}

/* A pipe gets the lines whole, in order, even past PIPE_BUF. */
static void test_access_log_pipe(void **state) {
  (void)state;
  char path[128];
  path_in_tmp(path, sizeof path, "fifo");
  assert_int_equal(mkfifo(path, 0600), 0);
  int rd = open(path, O_RDONLY | O_NONBLOCK);
  assert_true(rd >= 0);
  memset(&server, 0, sizeof server);
  tn_options_init(&server.opts);
  server.worker.opts = &server.opts;
  tn__clf_date(server.worker.log_date, 0, 0);
  assert_int_equal(tn__access_open(path), 0);
  char target[300];
  memset(target, 'a', sizeof target - 1);
  target[0] = '/';
  target[sizeof target - 1] = '\0';
  log_requests(40, target); /* about 14 KB: more than PIPE_BUF */
  size_t want = server.worker.access.len;
  assert_true(want > PIPE_BUF && want < 65536); /* fits the pipe */
  tn__access_flush(&server.worker);
  tn__access_close();
  char *got = malloc(want + 1);
  assert_non_null(got);
  ssize_t n = read(rd, got, want + 1);
  close(rd);
  assert_int_equal(n, (ssize_t)want);
  got[n] = '\0';
  assert_int_equal(count_lines(got), 40);
  free(got);
  tn__buf_free(&server.worker.access);
}

/* --- Server log ---------------------------------------------------------- */

/* Runs fn with stderr going to a fresh file; returns what was written. */
static char *capture_stderr(void (*fn)(void)) {
  char path[128];
  path_in_tmp(path, sizeof path, "stderr");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  assert_true(fd >= 0);
  int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  close(fd);
  fn();
  dup2(saved, STDERR_FILENO);
  close(saved);
  return slurp(path, NULL);
}

static void log_some(void) {
  tn__log_set_level(TN_LOG_WARNING);
  tn_log(TN_LOG_INFO, "not shown %d", 1);
  tn_log(TN_LOG_DEBUG, "not shown %d", 2);
  tn_log(TN_LOG_WARNING, "shown %d: a\nb\x1b", 3);
  tn_log(TN_LOG_ERROR, "%s", "caf\xc3\xa9"); /* UTF-8 stays as it is */
  tn_log(TN_LOG_NONE, "never");
  tn_log(-1, "never");
  tn_log(99, "never");
  tn__log_set_level(TN_LOG_NONE);
  tn_log(TN_LOG_ERROR, "not shown either");
  tn__log_set_level(TN_LOG_INFO);
}

static void test_log_levels(void **state) {
  (void)state;
  char *text = capture_stderr(log_some);
  const char *ts = "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
                   "\\.[0-9]{3}";
  char re[256];
  snprintf(re, sizeof re,
           "^%s WARNING shown 3: a\\\\x0ab\\\\x1b\n%s ERROR caf\xc3\xa9\n$",
           ts, ts);
  if (!matches(re, text))
    fail_msg("got %s", text);
  free(text);
}

static void log_long(void) {
  char msg[3000];
  memset(msg, 'x', sizeof msg - 1);
  msg[sizeof msg - 1] = '\0';
  tn_log(TN_LOG_ERROR, "%s", msg);
  /* Escaping makes a message up to four times longer. */
  memset(msg, '\n', 1024);
  msg[1024] = '\0';
  tn_log(TN_LOG_ERROR, "%s", msg);
}

static void test_log_cut(void **state) {
  (void)state;
  char *text = capture_stderr(log_long);
  char *second = strchr(text, '\n');
  assert_non_null(second);
  *second++ = '\0';
  /* The message is cut at 1 KiB of text, the line within PIPE_BUF. */
  assert_true(matches(" ERROR x{1024}\\.\\.\\.$", text));
  assert_true(strlen(second) <= PIPE_BUF);
  assert_true(matches(" ERROR (\\\\x0a)+\\.\\.\\.\n$", second));
  assert_int_equal(count_lines(second), 1);
  free(text);
}

#define LOG_THREADS 8
#define LOG_LINES 500

static void *log_from_thread(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < LOG_LINES; i++)
    tn_log(TN_LOG_INFO, "thread %d line %d %0200d", id, i, 0);
  return NULL;
}

static void log_threads(void) {
  pthread_t t[LOG_THREADS];
  for (int i = 0; i < LOG_THREADS; i++)
    assert_int_equal(
        pthread_create(&t[i], NULL, log_from_thread, (void *)(intptr_t)i), 0);
  for (int i = 0; i < LOG_THREADS; i++)
    pthread_join(t[i], NULL);
}

/* Lines written at once by several threads come out whole. */
static void test_log_threads(void **state) {
  (void)state;
  char *text = capture_stderr(log_threads);
  assert_int_equal(count_lines(text), LOG_THREADS * LOG_LINES);
  int seen[LOG_THREADS] = {0};
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    int id, i;
    const char *p = strstr(line, " INFO thread ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, " INFO thread %d line %d", &id, &i), 2);
    assert_true(id >= 0 && id < LOG_THREADS);
    assert_int_equal(i, seen[id]++); /* each thread's lines in order */
    assert_true(matches(" 0{200}$", line));
  }
  free(text);
}

/* --- The client address behind a proxy (Tornado's xheaders rule) --------- */

/* Headers as NULL-terminated name, value pairs. */
static bool xheaders(const char *const *h, char *out) {
  static tn__http1_t head;
  memset(&head, 0, sizeof head);
  for (unsigned i = 0; h[i]; i += 2) {
    head.headers[i / 2] = (tn__header_t){S(h[i]), S(h[i + 1])};
    head.nheaders++;
  }
  strcpy(out, "untouched");
  return tn__xheaders_ip(out, &head);
}

static void expect_ip(const char *const *h, const char *want) {
  char out[INET6_ADDRSTRLEN];
  bool got = xheaders(h, out);
  if (want) {
    assert_true(got);
    assert_string_equal(out, want);
  } else {
    assert_false(got);
    assert_string_equal(out, "untouched"); /* the peer's stands */
  }
}

#define H(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_xheaders(void **state) {
  (void)state;
  expect_ip(H("Host", "x"), NULL);
  expect_ip(H("X-Real-IP", "203.0.113.9"), "203.0.113.9");
  expect_ip(H("x-real-ip", "2001:db8::7"), "2001:db8::7");
  expect_ip(H("X-Forwarded-For", "203.0.113.9"), "203.0.113.9");
  /* The last hop is the one our proxy added. */
  expect_ip(H("X-Forwarded-For", "10.0.0.1, 198.51.100.2"), "198.51.100.2");
  expect_ip(H("X-Forwarded-For", "10.0.0.1,\t2001:db8::1 "), "2001:db8::1");
  /* Several headers read as one joined by ','. */
  expect_ip(H("X-Forwarded-For", "10.0.0.1", "X-Forwarded-For", "10.0.0.2"),
            "10.0.0.2");
  /* X-Real-IP wins, even when it is not an address (Tornado: the peer). */
  expect_ip(H("X-Forwarded-For", "10.0.0.1", "X-Real-IP", "10.9.9.9"),
            "10.9.9.9");
  expect_ip(H("X-Real-IP", "unknown", "X-Forwarded-For", "10.0.0.1"), NULL);
  expect_ip(H("X-Real-IP", "10.0.0.1", "X-Real-IP", "10.0.0.2"), NULL);
  /* Not addresses: the peer's stands. */
  expect_ip(H("X-Forwarded-For", "10.0.0.1, unknown"), NULL);
  expect_ip(H("X-Forwarded-For", "10.0.0.1,"), NULL);
  expect_ip(H("X-Forwarded-For", ""), NULL);
  expect_ip(H("X-Real-IP", ""), NULL);
  expect_ip(H("X-Real-IP", "10.0.0.1:8080"), NULL);
  expect_ip(H("X-Real-IP", "[2001:db8::1]"), NULL);
  expect_ip(H("X-Real-IP", "256.0.0.1"), NULL);
  expect_ip(H("X-Real-IP", "127.1"), NULL); /* inet_pton's forms only */
  expect_ip(H("X-Real-IP", "1.2.3.4\"] \"GET / HTTP/1.1\" 200"), NULL);
  expect_ip(H("X-Real-IP", "0000:0000:0000:0000:0000:ffff:255.255.255.255"),
            "0000:0000:0000:0000:0000:ffff:255.255.255.255");
  expect_ip(H("X-Real-IP", "0000:0000:0000:0000:0000:ffff:255.255.255.2555"),
            NULL);
  expect_ip(H("X-Real-IP", "::ffff:192.0.2.1"), "::ffff:192.0.2.1");
}

/* A connected TCP pair on 127.0.0.1: the accepted end, in a libuv handle. */
static int accepted_socket(int *client) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int lst = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(lst >= 0);
  assert_int_equal(bind(lst, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(lst, 1), 0);
  assert_int_equal(getsockname(lst, (struct sockaddr *)&a, &len), 0);
  *client = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof a), 0);
  int fd = accept(lst, NULL, NULL);
  assert_true(fd >= 0);
  close(lst);
  return fd;
}

/* tn_req_remote_ip: the peer's address, or with --xheaders the headers';
 * found once per request. */
static void test_remote_ip(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  memset(&server, 0, sizeof server);
  tn_options_init(&server.opts);
  server.worker.opts = &server.opts;
  server.conn.worker = &server.worker;
  uv_tcp_init(&loop, &server.conn.tcp);
  tn_req_t *req = calloc(1, sizeof *req);
  assert_non_null(req);
  req->conn = &server.conn;
  req->head.headers[0] = (tn__header_t){S("X-Real-IP"), S("198.51.100.4")};
  req->head.nheaders = 1;

  /* Not connected: unknown, and asked again next time. */
  assert_string_equal(tn_req_remote_ip(req), "");
  int client, fd = accepted_socket(&client);
  assert_int_equal(uv_tcp_open(&server.conn.tcp, fd), 0);
  assert_string_equal(tn_req_remote_ip(req), "127.0.0.1");

  /* Kept for the request: a pooled one is emptied before reuse. */
  server.opts.xheaders = 1;
  assert_string_equal(tn_req_remote_ip(req), "127.0.0.1");
  req->remote_ip[0] = '\0';
  assert_string_equal(tn_req_remote_ip(req), "198.51.100.4");
  req->head.headers[0].value = S("198.51.100.5");
  assert_string_equal(tn_req_remote_ip(req), "198.51.100.4");

  /* A header that is no address: the peer's. */
  req->remote_ip[0] = '\0';
  req->head.headers[0].value = S("proxy.example");
  assert_string_equal(tn_req_remote_ip(req), "127.0.0.1");

  free(req);
  close(client);
  uv_close((uv_handle_t *)&server.conn.tcp, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clf_date),
      cmocka_unit_test(test_access_line),
      cmocka_unit_test(test_access_line_escapes),
      cmocka_unit_test(test_access_line_all_bytes),
      cmocka_unit_test(test_access_log_buffered),
      cmocka_unit_test(test_access_log_open),
      cmocka_unit_test(test_access_log_pipe),
      cmocka_unit_test(test_log_levels),
      cmocka_unit_test(test_log_cut),
      cmocka_unit_test(test_log_threads),
      cmocka_unit_test(test_xheaders),
      cmocka_unit_test(test_remote_ip),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
