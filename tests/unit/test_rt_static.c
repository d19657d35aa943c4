/* test_rt_static.c -- static files: the path check, content types, ETags
 * and If-None-Match, HTTP dates, versioned URLs, and tn_static_file itself
 * on a request built by hand over a scratch directory (no sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <ftw.h>

#include <cmocka.h>

#include "internal.h"

static tn_str_t S(const char *s) { return (tn_str_t){s, strlen(s)}; }

/* --- the path check ------------------------------------------------------ */

static void test_path_ok(void **state) {
  (void)state;
  static const char *const good[] = {"a.txt", "css/site.css", "a/b/c.d",
                                     ".hidden", "..a", "a..", "...",
                                     "a/.b/c", "sp ace", "%2e%2e"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    assert_true(tn__static_path_ok(S(good[i])));
  static const char *const bad[] = {
      "",     "/",      "/a",    "/etc/passwd", "a/",    "a//b", ".",
      "..",   "./a",    "../a",  "a/.",         "a/..",  "a/./b", "a/../b",
      "a\\b", "..\\a",  "a/b/",  "//a"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (tn__static_path_ok(S(bad[i])))
      fail_msg("accepted \"%s\"", bad[i]);
  }
  assert_false(tn__static_path_ok((tn_str_t){"a\0b", 3}));
  assert_false(tn__static_path_ok((tn_str_t){"\0", 1}));
}

/* --- content types ------------------------------------------------------- */

static void test_mime_type(void **state) {
  (void)state;
  static const struct {
    const char *name, *type;
  } cases[] = {
      {"index.html", "text/html; charset=UTF-8"},
      {"a/b.htm", "text/html; charset=UTF-8"},
      {"css/site.css", "text/css; charset=UTF-8"},
      {"app.js", "text/javascript; charset=UTF-8"},
      {"mod.mjs", "text/javascript; charset=UTF-8"},
      {"data.json", "application/json; charset=UTF-8"},
      {"app.js.map", "application/json; charset=UTF-8"},
      {"README.txt", "text/plain; charset=UTF-8"},
      {"feed.xml", "text/xml; charset=UTF-8"},
      {"logo.svg", "image/svg+xml"},
      {"IMG.PNG", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.JpEg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.webp", "image/webp"},
      {"favicon.ico", "image/vnd.microsoft.icon"},
      {"f.woff", "font/woff"},
      {"f.woff2", "font/woff2"},
      {"f.ttf", "font/ttf"},
      {"f.otf", "font/otf"},
      {"doc.pdf", "application/pdf"},
      {"m.wasm", "application/wasm"},
      {"v.mp4", "video/mp4"},
      {"v.webm", "video/webm"},
      {"s.mp3", "audio/mpeg"},
      {"s.ogg", "audio/ogg"},
      {"s.wav", "audio/wav"},
      {"a.zip", "application/zip"},
      {"a.tar.gz", "application/gzip"},
      /* no extension, or one torn does not know */
      {"Makefile", "application/octet-stream"},
      {".htaccess", "application/octet-stream"},
      {"dir/.html", "application/octet-stream"},
      {"a.", "application/octet-stream"},
      {"dir.html/file", "application/octet-stream"},
      {"a.exe", "application/octet-stream"},
      {"a.htmlx", "application/octet-stream"},
      {"a.ht", "application/octet-stream"},
      {"", "application/octet-stream"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    assert_string_equal(tn__mime_type(S(cases[i].name)), cases[i].type);
}

/* --- ETags --------------------------------------------------------------- */

static void test_etag_format(void **state) {
  (void)state;
  char out[TN__ETAG_SIZE];
  int n = tn__static_etag(out, sizeof out, 5, 1700000000123456789, 42);
  assert_string_equal(out, "\"5-17979cfe3d85cd15-2a\"");
  assert_int_equal(n, (int)strlen(out));
  /* The largest values still fit. */
  n = tn__static_etag(out, sizeof out, UINT64_MAX, UINT64_MAX, UINT64_MAX);
  assert_true(n > 0 && n < (int)sizeof out);
  assert_string_equal(out, "\"ffffffffffffffff-ffffffffffffffff-"
                           "ffffffffffffffff\"");
  /* Each of the three inputs changes it. */
  char a[TN__ETAG_SIZE], b[TN__ETAG_SIZE], c[TN__ETAG_SIZE];
  tn__static_etag(out, sizeof out, 5, 1000, 7);
  tn__static_etag(a, sizeof a, 6, 1000, 7);
  tn__static_etag(b, sizeof b, 5, 1001, 7);
  tn__static_etag(c, sizeof c, 5, 1000, 8);
  assert_string_not_equal(out, a);
  assert_string_not_equal(out, b);
  assert_string_not_equal(out, c);
}

static void test_etag_match(void **state) {
  (void)state;
  tn_str_t tag = S("\"5-abc-2a\"");
  static const char *const match[] = {
      "\"5-abc-2a\"",
      "W/\"5-abc-2a\"", /* weak comparison */
      "*",
      " * ",
      "\"x\", \"5-abc-2a\"",
      "\"x\",W/\"5-abc-2a\" ,\"y\"",
      "\"a,b\", \"5-abc-2a\"", /* a comma inside a tag */
      "garbage, \"5-abc-2a\"",
      ",,\"5-abc-2a\",",
      "\t\"5-abc-2a\"\t",
  };
  for (size_t i = 0; i < sizeof match / sizeof *match; i++)
    if (!tn__etag_match(S(match[i]), tag))
      fail_msg("no match for %s", match[i]);
  static const char *const no_match[] = {
      "",
      "\"5-abc-2b\"",
      "5-abc-2a", /* unquoted */
      "\"5-abc-2a",
      "w/\"5-abc-2a\"",
      "\"5-ABC-2A\"",
      "\"5-abc\"",
      "\"a,\"5-abc-2a\"\"",
      "**",
      "*x",
      "\"x\"\"5-abc-2a\"",
      "W/",
      "W",
  };
  for (size_t i = 0; i < sizeof no_match / sizeof *no_match; i++)
    if (tn__etag_match(S(no_match[i]), tag))
      fail_msg("matched %s", no_match[i]);
  assert_false(tn__etag_match((tn_str_t){NULL, 0}, tag));
  /* A weak tag of ours would compare weakly too. */
  assert_true(tn__etag_match(S("\"t\""), S("W/\"t\"")));
}

/* --- HTTP dates ---------------------------------------------------------- */

static void expect_format(int64_t t, const char *want) {
  char out[TN__HTTP_DATE_SIZE];
  tn__http_date_format(out, t);
  assert_string_equal(out, want);
}

static void test_date_format(void **state) {
  (void)state;
  expect_format(0, "Thu, 01 Jan 1970 00:00:00 GMT");
  expect_format(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
  expect_format(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
  expect_format(4107542399, "Sun, 28 Feb 2100 23:59:59 GMT");
  expect_format(4107542400, "Mon, 01 Mar 2100 00:00:00 GMT");
  expect_format(-1, "Thu, 01 Jan 1970 00:00:00 GMT");
  expect_format(INT64_MIN, "Thu, 01 Jan 1970 00:00:00 GMT");
  expect_format(253402300799, "Fri, 31 Dec 9999 23:59:59 GMT");
  expect_format(INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
}

/* The format agrees with gmtime_r (C locale names) over many instants. */
static void test_date_format_matches_libc(void **state) {
  (void)state;
  static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed",
                                   "Thu", "Fri", "Sat"};
  static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int64_t t = 0; t <= INT64_C(253402300799); t += 3000017) {
    time_t tt = (time_t)t;
    struct tm tm;
    assert_non_null(gmtime_r(&tt, &tm));
    char want[64], got[TN__HTTP_DATE_SIZE];
    snprintf(want, sizeof want, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    tn__http_date_format(got, t);
    assert_string_equal(got, want);
    int64_t back;
    assert_int_equal(tn__http_date_parse(S(got), 0, &back), 0);
    assert_int_equal(back, t);
  }
}

/* 2025-06-01 00:00:00 UTC, for the RFC 850 two-digit years. */
#define NOW_2025 INT64_C(1748736000)

static void expect_parse(const char *s, int64_t now, int64_t want) {
  int64_t got = -12345;
  int err = tn__http_date_parse(S(s), now, &got);
  if (err)
    fail_msg("refused \"%s\"", s);
  if (got != want)
    fail_msg("\"%s\": %lld, want %lld", s, (long long)got, (long long)want);
}

static void test_date_parse(void **state) {
  (void)state;
  /* RFC 9110 section 5.6.7's example in its three formats. */
  expect_parse("Sun, 06 Nov 1994 08:49:37 GMT", NOW_2025, 784111777);
  expect_parse("Sunday, 06-Nov-94 08:49:37 GMT", NOW_2025, 784111777);
  expect_parse("Sun Nov  6 08:49:37 1994", NOW_2025, 784111777);
  expect_parse("Sun Nov 06 08:49:37 1994", NOW_2025, 784111777);
  expect_parse("Thu Nov 16 08:49:37 1994", NOW_2025, 784111777 + 10 * 86400);
  expect_parse("Thu, 01 Jan 1970 00:00:00 GMT", NOW_2025, 0);
  expect_parse("Tue, 29 Feb 2000 00:00:00 GMT", NOW_2025, 951782400);
  expect_parse("Wed, 31 Dec 1969 23:59:59 GMT", NOW_2025, -1);
  expect_parse("Fri, 31 Dec 9999 23:59:59 GMT", NOW_2025, 253402300799);
  /* The day name is checked to be one, not to be the right one. */
  expect_parse("Mon, 06 Nov 1994 08:49:37 GMT", NOW_2025, 784111777);
  /* A leap second is allowed by the grammar and counts as the next one. */
  expect_parse("Sat, 31 Dec 2016 23:59:60 GMT", NOW_2025, 1483228800);
  /* RFC 850 years: never more than 50 years after now, and within 50
   * years before it. */
  expect_parse("Tuesday, 01-Jan-75 00:00:00 GMT", NOW_2025, 3313526400);
  expect_parse("Thursday, 01-Jan-76 00:00:00 GMT", NOW_2025, 189302400);
  expect_parse("Tuesday, 01-Jan-30 00:00:00 GMT", NOW_2025, 1893456000);
  expect_parse("Wednesday, 01-Jan-75 00:00:00 GMT", 0, 157766400);
  expect_parse("Saturday, 01-Jan-21 00:00:00 GMT", 0, -1546300800);
  expect_parse("Wednesday, 01-Jan-20 00:00:00 GMT", 0, 1577836800);
}

static void test_date_parse_rejects(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "Sun, 06 Nov 1994 08:49:37",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 06 Nov 1994 08:49:37 GMT ",
      " Sun, 06 Nov 1994 08:49:37 GMT",
      "sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 nov 1994 08:49:37 GMT",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 94 08:49:37 GMT",
      "Sun, 06 Nov 1994 8:49:37 GMT",
      "Sun, 06-Nov-1994 08:49:37 GMT",
      "Sun,06 Nov 1994 08:49:37 GMT",
      "Xyz, 06 Nov 1994 08:49:37 GMT",
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 31 Nov 1994 08:49:37 GMT",
      "Sun, 29 Feb 1900 08:49:37 GMT",
      "Sun, 29 Feb 2001 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Sun, 06 Xyz 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37",
      "Sunday, 06 Nov 1994 08:49:37 GMT",
      "Someday, 06-Nov-94 08:49:37 GMT",
      "Sunday, 06-Nov-994 08:49:37 GMT",
      "Sun Nov  6 08:49:37 94",
      "Sun Nov 6 08:49:37 1994",
      "Sun Nov  6 08:49:37 1994 GMT",
      "Sun  Nov 6 08:49:37 1994",
      "1994-11-06T08:49:37Z",
      "784111777",
      "Sun",
      "Sun,",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int64_t t;
    if (tn__http_date_parse(S(bad[i]), NOW_2025, &t) == 0)
      fail_msg("accepted \"%s\"", bad[i]);
  }
  int64_t t;
  assert_int_equal(tn__http_date_parse((tn_str_t){NULL, 0}, NOW_2025, &t),
                   TN_EINVAL);
  /* A NUL inside is not the end of the value. */
  assert_int_equal(
      tn__http_date_parse((tn_str_t){"Sun, 06 Nov 1994 08:49:37 GMT\0", 30},
                          NOW_2025, &t),
      TN_EINVAL);
}

/* --- versioned URLs ------------------------------------------------------ */

static void test_versioned(void **state) {
  (void)state;
  static const char *const yes[] = {"v=0123abcd", "v=", "v", "a=1&v=2",
                                    "v=1&a=2", "a&v", "&v=x&"};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    if (!tn__static_versioned(S(yes[i])))
      fail_msg("not versioned: %s", yes[i]);
  static const char *const no[] = {"", "vv=1", "av=1", "x=v", "V=1", "a=v=1",
                                   "&", "version=1", "%76=1"};
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    if (tn__static_versioned(S(no[i])))
      fail_msg("versioned: %s", no[i]);
  assert_false(tn__static_versioned((tn_str_t){NULL, 0}));
}

/* --- tn_static_file on a hand-built request ------------------------------ */

/* A scratch tree:
 *   TOP/secret.txt            outside the root
 *   TOP/root/a.txt            "hello"
 *   TOP/root/css/site.css
 *   TOP/root/sp ace.txt
 *   TOP/root/sub/             a directory
 *   TOP/root/in_link          -> a.txt
 *   TOP/root/out_link         -> ../secret.txt
 *   TOP/root/up               -> ..
 *   TOP/root/abs_link         -> TOP/secret.txt
 *   TOP/root/fifo             a named pipe
 *   TOP/root/noperm.txt       mode 000
 *   TOP/root/empty.txt        0 bytes */
typedef struct {
  char top[64];
  char root[96];
  struct stat a_st;
} tree_t;

static void put_file(const char *dir, const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static int setup_tree(void **state) {
  tree_t *t = calloc(1, sizeof *t);
  if (!t)
    return -1;
  strcpy(t->top, "/tmp/torn_static_XXXXXX");
  if (!mkdtemp(t->top) || chmod(t->top, 0755))
    return -1;
  snprintf(t->root, sizeof t->root, "%s/root", t->top);
  char path[256];
  put_file(t->top, "secret.txt", "secret");
  if (mkdir(t->root, 0755))
    return -1;
  put_file(t->root, "a.txt", "hello");
  put_file(t->root, "sp ace.txt", "space");
  put_file(t->root, "empty.txt", "");
  put_file(t->root, "noperm.txt", "nope");
  snprintf(path, sizeof path, "%s/noperm.txt", t->root);
  assert_int_equal(chmod(path, 0), 0);
  snprintf(path, sizeof path, "%s/css", t->root);
  assert_int_equal(mkdir(path, 0755), 0);
  put_file(path, "site.css", "body{}");
  snprintf(path, sizeof path, "%s/sub", t->root);
  assert_int_equal(mkdir(path, 0755), 0);
  snprintf(path, sizeof path, "%s/in_link", t->root);
  assert_int_equal(symlink("a.txt", path), 0);
  snprintf(path, sizeof path, "%s/out_link", t->root);
  assert_int_equal(symlink("../secret.txt", path), 0);
  snprintf(path, sizeof path, "%s/up", t->root);
  assert_int_equal(symlink("..", path), 0);
  char target[256];
  snprintf(target, sizeof target, "%s/secret.txt", t->top);
  snprintf(path, sizeof path, "%s/abs_link", t->root);
  assert_int_equal(symlink(target, path), 0);
  snprintf(path, sizeof path, "%s/fifo", t->root);
  assert_int_equal(mkfifo(path, 0644), 0);
  snprintf(path, sizeof path, "%s/a.txt", t->root);
  if (stat(path, &t->a_st))
    return -1;
  *state = t;
  return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static int teardown_tree(void **state) {
  tree_t *t = *state;
  nftw(t->top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  free(t);
  return 0;
}

/* The app, worker and connection a request belongs to: the error pages
 * ask the app for its write_error hook. */
static const tn_app_t test_app = {.name = "test"};
static tn__worker_t test_worker = {.app = &test_app};
static tn__conn_t test_conn = {.worker = &test_worker};

/* A request as conn.c would hand it over: method, query, and headers
 * given as NULL-terminated name, value pairs. */
static tn_req_t *new_req(unsigned method, const char *query,
                         const char *const *headers) {
  tn_req_t *req = calloc(1, sizeof *req);
  assert_non_null(req);
  tn__arena_reset(req);
  tn__response_reset(req);
  req->file_fd = -1;
  req->conn = &test_conn;
  req->head.method_bit = method;
  req->head.method = S(tn_method_name(method) ? tn_method_name(method) : "X");
  req->head.minor_version = 1;
  req->query = S(query ? query : "");
  for (unsigned i = 0; headers && headers[i]; i += 2) {
    req->head.headers[i / 2].name = S(headers[i]);
    req->head.headers[i / 2].value = S(headers[i + 1]);
    req->head.nheaders++;
  }
  return req;
}

static void free_req(tn_req_t *req) {
  tn__buf_free(&req->out);
  tn__buf_free(&req->body_out);
  tn__arena_reset(req);
  free(req);
}

/* The value of a response header the request set, or NULL. */
static const char *out_header(tn_req_t *req, const char *name) {
  static char value[256];
  size_t n = strlen(name);
  for (unsigned i = 0; i < req->nout; i++) {
    const tn__out_header_t *h = &req->out_headers[i];
    const char *line = req->out.data + h->off;
    if (!h->len || h->name_len != n || strncasecmp(line, name, n) != 0)
      continue;
    size_t vlen = h->len - n - 4; /* ": " and CRLF */
    assert_true(vlen < sizeof value);
    memcpy(value, line + n + 2, vlen);
    value[vlen] = '\0';
    return value;
  }
  return NULL;
}

static const char *body(tn_req_t *req) {
  static char text[256];
  assert_true(req->body_out.len < sizeof text);
  memcpy(text, req->body_out.data ? req->body_out.data : "",
         req->body_out.len);
  text[req->body_out.len] = '\0';
  return text;
}

/* Serve `rel` with `method` and the given headers; returns the request for
 * inspection (free_req it). */
static tn_req_t *serve(const tree_t *t, unsigned method, const char *rel,
                       const char *query, const char *const *headers) {
  tn_req_t *req = new_req(method, query, headers);
  assert_int_equal(tn_static_file(req, t->root, S(rel)), 0);
  return req;
}

static int status_of(const tree_t *t, const char *rel) {
  tn_req_t *req = serve(t, TN_METHOD_GET, rel, NULL, NULL);
  int status = req->status;
  free_req(req);
  return status;
}

static void test_serve_get(void **state) {
  tree_t *t = *state;
  tn_req_t *req = serve(t, TN_METHOD_GET, "a.txt", NULL, NULL);
  assert_int_equal(req->status, 200);
  assert_string_equal(body(req), "hello");
  assert_string_equal(out_header(req, "Content-Type"),
                      "text/plain; charset=UTF-8");
  char etag[TN__ETAG_SIZE], date[TN__HTTP_DATE_SIZE];
  tn__static_etag(etag, sizeof etag, 5,
                  (uint64_t)t->a_st.st_mtim.tv_sec * 1000000000u +
                      (uint64_t)t->a_st.st_mtim.tv_nsec,
                  (uint64_t)t->a_st.st_ino);
  tn__http_date_format(date, t->a_st.st_mtim.tv_sec);
  assert_string_equal(out_header(req, "ETag"), etag);
  assert_string_equal(out_header(req, "Last-Modified"), date);
  assert_null(out_header(req, "Cache-Control"));
  assert_string_equal(out_header(req, "Accept-Ranges"), "bytes");
  free_req(req);

  req = serve(t, TN_METHOD_GET, "css/site.css", NULL, NULL);
  assert_int_equal(req->status, 200);
  assert_string_equal(body(req), "body{}");
  assert_string_equal(out_header(req, "Content-Type"),
                      "text/css; charset=UTF-8");
  free_req(req);

  req = serve(t, TN_METHOD_GET, "sp%20ace.txt", NULL, NULL);
  assert_int_equal(req->status, 200);
  assert_string_equal(body(req), "space");
  free_req(req);

  req = serve(t, TN_METHOD_GET, "empty.txt", NULL, NULL);
  assert_int_equal(req->status, 200);
  assert_int_equal(req->body_out.len, 0);
  free_req(req);

  /* %-encoded letters are the same file. */
  assert_int_equal(status_of(t, "%61.txt"), 200);
}

/* The root given with a trailing slash, as `static "/s/" = "dir/";`. */
static void test_serve_root_slash(void **state) {
  tree_t *t = *state;
  char root[128];
  snprintf(root, sizeof root, "%s/", t->root);
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_static_file(req, root, S("css/site.css")), 0);
  assert_int_equal(req->status, 200);
  assert_string_equal(body(req), "body{}");
  free_req(req);
}

/* What reaches the wire: HEAD has the real Content-Length and no body. */
static void test_serve_head(void **state) {
  tree_t *t = *state;
  tn__worker_t *w = calloc(1, sizeof *w);
  tn__conn_t *c = calloc(1, sizeof *c);
  assert_non_null(w);
  assert_non_null(c);
  c->worker = w;
  w->app = &test_app;
  strcpy(w->date, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
  w->date_len = strlen(w->date);
  for (int head = 0; head <= 1; head++) {
    tn_req_t *req =
        serve(t, head ? TN_METHOD_HEAD : TN_METHOD_GET, "a.txt", NULL, NULL);
    req->conn = c;
    assert_int_equal(tn__response_finish(req, true), 0);
    char *wire = strndup(w->wbuf.data, w->wbuf.len);
    assert_non_null(wire);
    assert_non_null(strstr(wire, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(wire, "\r\nContent-Length: 5\r\n"));
    assert_non_null(strstr(wire, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    char *end = strstr(wire, "\r\n\r\n");
    assert_non_null(end);
    assert_string_equal(end + 4, head ? "" : "hello");
    free(wire);
    w->wbuf.len = 0;
    free_req(req);
  }
  tn__buf_free(&w->wbuf);
  free(c);
  free(w);
}

static void test_serve_method(void **state) {
  tree_t *t = *state;
  static const unsigned methods[] = {TN_METHOD_POST, TN_METHOD_PUT,
                                     TN_METHOD_DELETE, TN_METHOD_OPTIONS,
                                     TN_METHOD_PATCH, TN_METHOD_OTHER};
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
    tn_req_t *req = serve(t, methods[i], "a.txt", NULL, NULL);
    assert_int_equal(req->status, 405);
    assert_string_equal(out_header(req, "Allow"), "GET, HEAD");
    assert_null(out_header(req, "ETag"));
    assert_null(strstr(body(req), "hello"));
    free_req(req);
  }
}

static void test_serve_refused(void **state) {
  tree_t *t = *state;
  static const char *const not_found[] = {
      "",                /* the root itself */
      "missing.txt",
      "sub",             /* a directory: no listing */
      "sub/",
      "css",
      "a.txt/",          /* not a directory */
      "a.txt/x",
      "../secret.txt",   /* climbing out, spelled every way */
      "%2e%2e/secret.txt",
      "%2E%2E/secret.txt",
      ".%2e/secret.txt",
      "css/../../secret.txt",
      "css/%2e%2e/%2e%2e/secret.txt",
      "..%2fsecret.txt",
      "%2e%2e%2fsecret.txt",
      "css%2f..%2f..%2fsecret.txt",
      "..%5csecret.txt",
      "css\\..\\a.txt",
      "./a.txt",
      "css/./site.css",
      "css//site.css",
      "/a.txt",
      "%2fetc%2fpasswd",
      "%2Fetc/passwd",
      "a.txt%00",
      "a.txt%00.png",
      "out_link",        /* symlinks leading out of the root */
      "abs_link",
      "up/secret.txt",
      "fifo",            /* not a regular file, and open() must not block */
  };
  for (size_t i = 0; i < sizeof not_found / sizeof *not_found; i++) {
    tn_req_t *req = serve(t, TN_METHOD_GET, not_found[i], NULL, NULL);
    if (req->status != 404)
      fail_msg("%s: %d, want 404", not_found[i], req->status);
    assert_null(strstr(body(req), "secret"));
    assert_null(out_header(req, "ETag"));
    free_req(req);
  }
  /* A malformed escape is the router's 400, when called from a handler. */
  assert_int_equal(status_of(t, "a%2"), 400);
  assert_int_equal(status_of(t, "%zz.txt"), 400);
  /* A root that does not exist serves nothing. */
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_static_file(req, "/nonexistent/torn/root", S("a.txt")),
                   0);
  assert_int_equal(req->status, 404);
  free_req(req);
  req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_static_file(req, "", S("etc/passwd")), 0);
  assert_int_equal(req->status, 404);
  free_req(req);
}

static void test_serve_symlink_inside(void **state) {
  tree_t *t = *state;
  tn_req_t *req = serve(t, TN_METHOD_GET, "in_link", NULL, NULL);
  assert_int_equal(req->status, 200);
  assert_string_equal(body(req), "hello");
  /* The type comes from the name asked for. */
  assert_string_equal(out_header(req, "Content-Type"),
                      "application/octet-stream");
  free_req(req);
  /* Where the file really is decides: out through a link and back in is
   * inside. */
  assert_int_equal(status_of(t, "up/root/a.txt"), 200);
}

/* The status of GET `rel` under `root` spelled as given. */
static int status_under(const char *root, const char *rel) {
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_static_file(req, root, (tn_str_t){rel, strlen(rel)}), 0);
  int status = req->status;
  free_req(req);
  return status;
}

/* However the root is spelled (resolved, relative, with a trailing slash,
 * through a symlink), the same files are inside it; and a root that is a
 * text prefix of another directory's name does not take it in. */
static void test_serve_root_spellings(void **state) {
  tree_t *t = *state;
  char real[PATH_MAX], spelled[PATH_MAX + 8], link[160], cwd[PATH_MAX];
  assert_non_null(realpath(t->root, real));
  snprintf(link, sizeof link, "%s/root_link", t->top);
  assert_int_equal(symlink(real, link), 0);
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(t->top), 0);
  const char *roots[] = {real, spelled, "root", "root/", "./root", link};
  snprintf(spelled, sizeof spelled, "%s//", real);
  for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
    if (status_under(roots[i], "a.txt") != 200 ||
        status_under(roots[i], "in_link") != 200 ||
        status_under(roots[i], "out_link") != 404)
      fail_msg("root '%s'", roots[i]);
  }
  /* TOP/ro is a prefix of TOP/root as text only: its link into TOP/root
   * leads out of it. */
  char peek[PATH_MAX + 16];
  snprintf(spelled, sizeof spelled, "%s/ro", t->top);
  assert_int_equal(mkdir(spelled, 0755), 0);
  snprintf(peek, sizeof peek, "%s/peek", spelled);
  assert_int_equal(symlink("../root/a.txt", peek), 0);
  assert_int_equal(status_under(spelled, "peek"), 404);
  assert_int_equal(status_under("ro", "peek"), 404);
  assert_int_equal(unlink(peek), 0);
  assert_int_equal(rmdir(spelled), 0);
  /* A one-letter relative root is no "/". */
  assert_int_equal(mkdir("q", 0755), 0);
  assert_int_equal(symlink("../root/a.txt", "q/peek"), 0);
  assert_int_equal(status_under("q", "peek"), 404);
  assert_int_equal(unlink("q/peek"), 0);
  assert_int_equal(rmdir("q"), 0);
  assert_int_equal(chdir(cwd), 0);
  assert_int_equal(unlink(link), 0);
}

static void test_serve_forbidden(void **state) {
  tree_t *t = *state;
  /* Root reads a mode-000 file: ask as nobody. (tests/run counts a
   * cmocka skip as a failure, so there is no skipping.) */
  bool as_root = geteuid() == 0;
  if (as_root)
    assert_int_equal(seteuid(65534), 0);
  int status = status_of(t, "noperm.txt");
  int other = status_of(t, "a.txt");
  if (as_root)
    assert_int_equal(seteuid(0), 0);
  assert_int_equal(status, 403);
  assert_int_equal(other, 200);
}

static void test_serve_if_none_match(void **state) {
  tree_t *t = *state;
  tn_req_t *req = serve(t, TN_METHOD_GET, "a.txt", NULL, NULL);
  char etag[TN__ETAG_SIZE], weak[TN__ETAG_SIZE + 2], list[3 * TN__ETAG_SIZE];
  strcpy(etag, out_header(req, "ETag"));
  free_req(req);
  snprintf(weak, sizeof weak, "W/%s", etag);
  snprintf(list, sizeof list, "\"nope\", %s", etag);

  const char *const fresh[] = {etag, weak, list, "*"};
  for (size_t i = 0; i < sizeof fresh / sizeof *fresh; i++) {
    for (int head = 0; head <= 1; head++) {
      const char *const hdrs[] = {"If-None-Match", fresh[i], NULL};
      req = serve(t, head ? TN_METHOD_HEAD : TN_METHOD_GET, "a.txt", NULL,
                  hdrs);
      assert_int_equal(req->status, 304);
      assert_int_equal(req->body_out.len, 0);
      assert_string_equal(out_header(req, "ETag"), etag);
      assert_non_null(out_header(req, "Last-Modified"));
      assert_null(out_header(req, "Content-Type"));
      free_req(req);
    }
  }
  /* Header names are case-insensitive. */
  const char *const lower[] = {"if-none-match", etag, NULL};
  req = serve(t, TN_METHOD_GET, "a.txt", NULL, lower);
  assert_int_equal(req->status, 304);
  free_req(req);

  const char *const stale[] = {"\"nope\"", "", "garbage"};
  for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
    const char *const hdrs[] = {"If-None-Match", stale[i], NULL};
    req = serve(t, TN_METHOD_GET, "a.txt", NULL, hdrs);
    assert_int_equal(req->status, 200);
    assert_string_equal(body(req), "hello");
    free_req(req);
  }
  /* If-None-Match wins: If-Modified-Since is not looked at. */
  const char *const both[] = {"If-None-Match", "\"nope\"",
                              "If-Modified-Since",
                              "Fri, 31 Dec 9999 23:59:59 GMT", NULL};
  req = serve(t, TN_METHOD_GET, "a.txt", NULL, both);
  assert_int_equal(req->status, 200);
  free_req(req);
}

static void test_serve_if_modified_since(void **state) {
  tree_t *t = *state;
  char same[TN__HTTP_DATE_SIZE], before[TN__HTTP_DATE_SIZE];
  tn__http_date_format(same, t->a_st.st_mtim.tv_sec);
  tn__http_date_format(before, t->a_st.st_mtim.tv_sec - 1);
  static const struct {
    const char *date;
    int status;
  } cases[] = {
      {NULL, 304},                               /* same second as mtime */
      {"Fri, 31 Dec 9999 23:59:59 GMT", 304},    /* later */
      {"Sunday, 06-Nov-94 08:49:37 GMT", 200},   /* earlier, RFC 850 */
      {"Sun Nov  6 08:49:37 1994", 200},         /* earlier, asctime */
      {"Thu, 01 Jan 1970 00:00:00 GMT", 200},
      {"not a date", 200},                       /* ignored */
      {"", 200},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *const hdrs[] = {"If-Modified-Since",
                                cases[i].date ? cases[i].date : same, NULL};
    tn_req_t *req = serve(t, TN_METHOD_GET, "a.txt", NULL, hdrs);
    if (req->status != cases[i].status)
      fail_msg("%s: %d", hdrs[1], req->status);
    assert_int_equal(req->body_out.len, req->status == 200 ? 5 : 0);
    free_req(req);
  }
  const char *const hdrs[] = {"If-Modified-Since", before, NULL};
  tn_req_t *req = serve(t, TN_METHOD_GET, "a.txt", NULL, hdrs);
  assert_int_equal(req->status, 200);
  free_req(req);
}

static void test_serve_versioned(void **state) {
  tree_t *t = *state;
  const char *immutable = "public, max-age=31536000, immutable";
  tn_req_t *req = serve(t, TN_METHOD_GET, "css/site.css", "v=0123abcd", NULL);
  assert_int_equal(req->status, 200);
  assert_string_equal(out_header(req, "Cache-Control"), immutable);
  char etag[TN__ETAG_SIZE];
  strcpy(etag, out_header(req, "ETag"));
  free_req(req);

  const char *const hdrs[] = {"If-None-Match", etag, NULL};
  req = serve(t, TN_METHOD_GET, "css/site.css", "x=1&v=0123abcd", hdrs);
  assert_int_equal(req->status, 304);
  assert_string_equal(out_header(req, "Cache-Control"), immutable);
  free_req(req);

  req = serve(t, TN_METHOD_GET, "css/site.css", "x=1", NULL);
  assert_null(out_header(req, "Cache-Control"));
  free_req(req);
}

/* Called from a handler: its headers stay, its Content-Type wins, its
 * body and status are replaced. */
static void test_serve_from_handler(void **state) {
  tree_t *t = *state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_set_header(req, "Content-Type", "text/x-special"), 0);
  assert_int_equal(tn_set_header(req, "X-Mine", "1"), 0);
  assert_int_equal(tn_write(req, "junk"), 0);
  assert_int_equal(tn_set_status(req, 201), 0);
  assert_int_equal(tn_static_file(req, t->root, S("a.txt")), 0);
  assert_int_equal(req->status, 200);
  assert_string_equal(body(req), "hello");
  assert_string_equal(out_header(req, "Content-Type"), "text/x-special");
  assert_string_equal(out_header(req, "X-Mine"), "1");
  free_req(req);

  /* An error answer replaces everything. */
  req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_set_header(req, "X-Mine", "1"), 0);
  assert_int_equal(tn_write(req, "junk"), 0);
  assert_int_equal(tn_static_file(req, t->root, S("missing")), 0);
  assert_int_equal(req->status, 404);
  assert_null(out_header(req, "X-Mine"));
  assert_null(strstr(body(req), "junk"));
  free_req(req);
}

/* A file that changes between two requests gets a new ETag. */
static void test_serve_etag_changes(void **state) {
  tree_t *t = *state;
  put_file(t->root, "changing.txt", "one");
  tn_req_t *req = serve(t, TN_METHOD_GET, "changing.txt", NULL, NULL);
  char first[TN__ETAG_SIZE];
  strcpy(first, out_header(req, "ETag"));
  free_req(req);
  put_file(t->root, "changing.txt", "three");
  req = serve(t, TN_METHOD_GET, "changing.txt", NULL, NULL);
  assert_string_not_equal(out_header(req, "ETag"), first);
  assert_string_equal(body(req), "three");
  free_req(req);

  /* An mtime whose nanoseconds overflow 64 bits (past 2262; UBSan
   * watches the ETag's arithmetic). The file system may cap it (ext4 at
   * 2446), so Last-Modified is checked against what it kept. */
  char path[256], date[TN__HTTP_DATE_SIZE];
  snprintf(path, sizeof path, "%s/changing.txt", t->root);
  struct timespec times[2] = {{INT64_C(400000000000), 0},
                              {INT64_C(400000000000), 999999999}};
  assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  tn__http_date_format(date, st.st_mtim.tv_sec);
  req = serve(t, TN_METHOD_GET, "changing.txt", NULL, NULL);
  assert_int_equal(req->status, 200);
  assert_string_equal(out_header(req, "Last-Modified"), date);
  free_req(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_ok),
      cmocka_unit_test(test_mime_type),
      cmocka_unit_test(test_etag_format),
      cmocka_unit_test(test_etag_match),
      cmocka_unit_test(test_date_format),
      cmocka_unit_test(test_date_format_matches_libc),
      cmocka_unit_test(test_date_parse),
      cmocka_unit_test(test_date_parse_rejects),
      cmocka_unit_test(test_versioned),
      cmocka_unit_test_setup_teardown(test_serve_get, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_root_slash, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_head, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_method, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_refused, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_symlink_inside, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_root_spellings, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_forbidden, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_if_none_match, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_if_modified_since,
                                      setup_tree, teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_versioned, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_from_handler, setup_tree,
                                      teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_etag_changes, setup_tree,
                                      teardown_tree),
  };
  return cmocka_run_group_tests_name("static", tests, NULL, NULL);
}
