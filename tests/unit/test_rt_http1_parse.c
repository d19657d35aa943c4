/* test_rt_http1_parse.c -- the HTTP/1.1 head scanner: every input is fed
 * whole, byte by byte and in 7-byte pieces, and must give the same result
 * each way; heads are moved between buffers mid-request; and every shape of
 * request smuggling we know of is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

/* A buffer that receives input piece by piece, as a connection does. */
typedef struct {
  char data[80 * 1024];
  size_t len;
} input_t;

static const char *append(input_t *in, const char *bytes, size_t n) {
  assert_true(in->len + n < sizeof in->data);
  memcpy(in->data + in->len, bytes, n);
  in->len += n;
  in->data[in->len] = '\0'; /* the scanner's sentinel */
  return in->data + in->len;
}

/* Feed `req` in pieces of at most `step` bytes (0: all at once) with a
 * head limit of `max_head` (0: the default); returns the final status. */
static int parse_in_steps(tn__http1_t *p, input_t *in, const char *req,
                          size_t len, size_t step, uint32_t max_head) {
  size_t off = 0;
  in->len = 0;
  in->data[0] = '\0';
  tn__http1_init(p, in->data, in->data);
  if (max_head)
    p->max_head = max_head;
  int status = TN__PARSE_AGAIN;
  while (status == TN__PARSE_AGAIN && off < len) {
    size_t n = step && len - off > step ? step : len - off;
    p->lim = append(in, req + off, n);
    off += n;
    status = tn__http1_parse(p);
  }
  return status;
}

static void assert_str(tn_str_t s, const char *want) {
  if (s.len != strlen(want) || memcmp(s.ptr, want, s.len))
    fail_msg("\"%.*s\" != \"%s\"", (int)s.len, s.ptr, want);
}

/* Two parses of the same bytes in two buffers found the same things. */
static void assert_same_str(tn_str_t a, const char *abase, tn_str_t b,
                            const char *bbase) {
  assert_int_equal(a.len, b.len);
  assert_int_equal(a.ptr - abase, b.ptr - bbase);
}

static void assert_same_result(const tn__http1_t *a, const tn__http1_t *b) {
  assert_same_str(a->method, a->start, b->method, b->start);
  assert_same_str(a->target, a->start, b->target, b->start);
  assert_same_str(a->origin, a->start, b->origin, b->start);
  assert_same_str(a->authority, a->start, b->authority, b->start);
  assert_int_equal(a->method_bit, b->method_bit);
  assert_int_equal(a->minor_version, b->minor_version);
  assert_int_equal(a->flags, b->flags);
  assert_true(a->content_length == b->content_length);
  assert_int_equal(a->nheaders, b->nheaders);
  for (unsigned i = 0; i < a->nheaders; i++) {
    assert_same_str(a->headers[i].name, a->start, b->headers[i].name, b->start);
    assert_same_str(a->headers[i].value, a->start, b->headers[i].value,
                    b->start);
  }
  assert_int_equal(a->cur - a->start, b->cur - b->start);
}

/* Parses `req` all three ways; they must agree. Returns the status; *p is
 * the whole parse, its pointers into a static buffer valid until the next
 * call. */
static int parse_all(tn__http1_t *p, const char *req, size_t len,
                     uint32_t max_head) {
  static input_t whole, bytes, pieces;
  tn__http1_t q, r;
  int status = parse_in_steps(p, &whole, req, len, 0, max_head);
  int s1 = parse_in_steps(&q, &bytes, req, len, 1, max_head);
  int s7 = parse_in_steps(&r, &pieces, req, len, 7, max_head);
  if (s1 != status || s7 != status)
    fail_msg("\"%.40s...\": whole %d, byte by byte %d, by 7 %d", req, status,
             s1, s7);
  if (status == TN__PARSE_DONE) {
    assert_same_result(p, &q);
    assert_same_result(p, &r);
  }
  return status;
}

#define PARSE(p, lit) parse_all((p), lit, sizeof lit - 1, 0)

typedef struct {
  const char *req;
  size_t len;
  int status;
} case_t;

/* String literals with their length, NUL bytes included. */
#define C(lit, status)                                                         \
  { lit, sizeof lit - 1, status }

static void expect_statuses(const case_t *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    tn__http1_t p;
    int got = parse_all(&p, cases[i].req, cases[i].len, 0);
    if (got != cases[i].status)
      fail_msg("case %zu (%.60s): got %d, want %d", i, cases[i].req, got,
               cases[i].status);
  }
}

#define EXPECT_STATUSES(cases)                                                 \
  expect_statuses(cases, sizeof cases / sizeof *cases)

/* --- Well-formed heads --------------------------------------------------- */

static const char simple[] = "GET /users/42?x=1 HTTP/1.1\r\n"
                             "Host: example.com\r\n"
                             "X-Spaces:   a  b \t \r\n"
                             "Empty:\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n";

static void check_simple(const tn__http1_t *p) {
  assert_str(p->method, "GET");
  assert_int_equal(p->method_bit, TN_METHOD_GET);
  assert_str(p->target, "/users/42?x=1");
  assert_true(p->origin.ptr == p->target.ptr && p->origin.len == p->target.len);
  assert_int_equal(p->authority.len, 0);
  assert_int_equal(p->minor_version, 1);
  assert_int_equal(p->nheaders, 4);
  assert_str(p->headers[0].name, "Host");
  assert_str(p->headers[0].value, "example.com");
  assert_str(p->headers[1].name, "X-Spaces");
  assert_str(p->headers[1].value, "a  b");
  assert_str(p->headers[2].name, "Empty");
  assert_str(p->headers[2].value, "");
  assert_int_equal(p->flags, TN__HEAD_CONTENT_LENGTH | TN__HEAD_HOST);
  assert_int_equal(p->content_length, 0);
}

static void test_whole_and_byte_by_byte(void **state) {
  (void)state;
  tn__http1_t p;
  assert_int_equal(PARSE(&p, simple), TN__PARSE_DONE);
  check_simple(&p);
  assert_int_equal(p.cur - p.start, sizeof simple - 1);
}

/* Every split point must give the same result as the whole request. */
static void test_split_everywhere(void **state) {
  (void)state;
  static input_t in;
  size_t len = sizeof simple - 1;
  for (size_t cut = 1; cut < len; cut++) {
    tn__http1_t p;
    in.len = 0;
    tn__http1_init(&p, in.data, in.data);
    p.lim = append(&in, simple, cut);
    assert_int_equal(tn__http1_parse(&p), TN__PARSE_AGAIN);
    p.lim = append(&in, simple + cut, len - cut);
    assert_int_equal(tn__http1_parse(&p), TN__PARSE_DONE);
    check_simple(&p);
  }
}

/* The connection moves a partial request to a buffer of its own; the
 * parser must carry on there as if nothing happened, every pointer moved
 * (the absolute-form ones too). */
static void test_rebase(void **state) {
  (void)state;
  static input_t a, b;
  static const char req[] = "POST HTTP://Example.com:8080/a/b?c=d HTTP/1.1\r\n"
                            "Host: example.com:8080\r\n"
                            "Transfer-Encoding: chunked\r\n"
                            "Expect: 100-continue\r\n\r\n";
  size_t len = sizeof req - 1;
  for (size_t cut = 1; cut < len; cut++) {
    tn__http1_t p;
    a.len = b.len = 0;
    tn__http1_init(&p, a.data, a.data);
    p.lim = append(&a, req, cut);
    assert_int_equal(tn__http1_parse(&p), TN__PARSE_AGAIN);
    append(&b, a.data, a.len);
    memset(a.data, 'X', a.len); /* the old bytes are gone */
    tn__http1_rebase(&p, a.data, b.data);
    p.lim = append(&b, req + cut, len - cut);
    assert_int_equal(tn__http1_parse(&p), TN__PARSE_DONE);
    assert_str(p.method, "POST");
    assert_str(p.target, "HTTP://Example.com:8080/a/b?c=d");
    assert_str(p.origin, "/a/b?c=d");
    assert_str(p.authority, "Example.com:8080");
    assert_str(p.headers[2].value, "100-continue");
    assert_int_equal(p.flags, TN__HEAD_HOST | TN__HEAD_TRANSFER_ENCODING |
                                  TN__HEAD_CHUNKED | TN__HEAD_ABSOLUTE |
                                  TN__HEAD_EXPECT_CONTINUE);
  }
}

static void test_pipelined(void **state) {
  (void)state;
  static input_t in;
  static const char two[] =
      "\r\nPOST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"
      "abcDELETE /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  tn__http1_t p;
  in.len = 0;
  const char *end = append(&in, two, sizeof two - 1);
  tn__http1_init(&p, in.data, end);
  assert_int_equal(tn__http1_parse(&p), TN__PARSE_DONE);
  assert_str(p.method, "POST");
  assert_int_equal(p.method_bit, TN_METHOD_POST);
  assert_int_equal(p.content_length, 3);
  assert_memory_equal(p.cur, "abc", 3);
  tn__http1_init(&p, p.cur + 3, end);
  assert_int_equal(tn__http1_parse(&p), TN__PARSE_DONE);
  assert_str(p.method, "DELETE");
  assert_int_equal(p.minor_version, 0);
  assert_true(p.flags & TN__HEAD_KEEP_ALIVE);
  assert_ptr_equal(p.cur, end);
}

static void test_methods(void **state) {
  (void)state;
  static const struct {
    const char *req;
    unsigned bit;
  } cases[] = {
      {"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_HEAD},
      {"PUT / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_PUT},
      {"PATCH / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_PATCH},
      {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_OPTIONS},
      {"PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_OTHER},
      {"get / HTTP/1.1\r\nHost: a\r\n\r\n",
       TN_METHOD_OTHER}, /* methods are case-sensitive */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tn__http1_t p;
    assert_int_equal(parse_all(&p, cases[i].req, strlen(cases[i].req), 0),
                     TN__PARSE_DONE);
    assert_int_equal(p.method_bit, cases[i].bit);
  }
}

static void test_connection_options(void **state) {
  (void)state;
  tn__http1_t p;
  assert_int_equal(PARSE(&p, "GET / HTTP/1.1\r\nHost: a\r\n"
                             "Connection: Upgrade, CLOSE\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_CLOSE);
  assert_false(p.flags & TN__HEAD_KEEP_ALIVE);
  assert_int_equal(PARSE(&p, "GET / HTTP/1.0\r\n"
                             "connection: ,, Keep-Alive ,\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_KEEP_ALIVE);
  assert_int_equal(PARSE(&p, "GET / HTTP/1.1\r\nHost: a\r\n"
                             "Connection: closed, keep-aliveX\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_false(p.flags & (TN__HEAD_CLOSE | TN__HEAD_KEEP_ALIVE));
}

/* Header names are case-insensitive everywhere. */
static void test_names_any_case(void **state) {
  (void)state;
  tn__http1_t p;
  assert_int_equal(PARSE(&p,
                         "POST / HTTP/1.1\r\nhOST: a\r\n"
                         "content-LENGTH: 12\r\nEXPECT: 100-CONTINUE\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_int_equal(p.flags, TN__HEAD_HOST | TN__HEAD_CONTENT_LENGTH |
                                TN__HEAD_EXPECT_CONTINUE);
  assert_int_equal(p.content_length, 12);
  assert_int_equal(PARSE(&p, "POST / HTTP/1.1\r\nHOST: a\r\n"
                             "TRANSFER-encoding: CHUNKED\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_CHUNKED);
  EXPECT_STATUSES(((const case_t[]){
      C("GET / HTTP/1.1\r\nhost: a\r\nHOST: a\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\ncontent-length: 1\r\n"
        "CONTENT-LENGTH: 1\r\n\r\n",
        400),
      C("GET / HTTP/1.1\r\nHost: a\r\ntransfer-ENCODING: gzip\r\n\r\n", 501),
      C("GET / HTTP/1.1\r\nHost: a\r\nexpect: Bogus\r\n\r\n", 417),
  }));
}

/* --- Framing: Content-Length and Transfer-Encoding ------------------------ */

static void test_content_length(void **state) {
  (void)state;
  static const struct {
    const char *value;
    uint64_t n;
  } ok[] = {
      {"0", 0},
      {"007", 7},
      {"00000000000000000000000000042", 42},
      {"18446744073709551615", UINT64_MAX},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    char req[256];
    int n = snprintf(req, sizeof req,
                     "POST / HTTP/1.1\r\nHost: a\r\n"
                     "Content-Length: \t%s \r\n\r\n",
                     ok[i].value);
    tn__http1_t p;
    assert_int_equal(parse_all(&p, req, (size_t)n, 0), TN__PARSE_DONE);
    assert_true(p.flags & TN__HEAD_CONTENT_LENGTH);
    assert_true(p.content_length == ok[i].n);
  }
  static const char *const bad[] = {
      "",
      "+1",
      "-1",
      "1 2",
      "0x10",
      "1.0",
      "1e3",
      "18446744073709551616",
      "99999999999999999999999",
      "1,1",
      "1, 1",
      "\"1\"",
      "١",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char req[256];
    int n = snprintf(req, sizeof req,
                     "POST / HTTP/1.1\r\nHost: a\r\n"
                     "Content-Length: %s\r\n\r\n",
                     bad[i]);
    tn__http1_t p;
    if (parse_all(&p, req, (size_t)n, 0) != 400)
      fail_msg("Content-Length: %s was not refused", bad[i]);
  }
}

/* Two lengths, or two framings: which one an upstream believed is
 * unknowable (RFC 9112 6.3), so every such head is refused. */
static void test_smuggling_framing(void **state) {
  (void)state;
  EXPECT_STATUSES(((const case_t[]){
      /* both framings, in either order */
      C("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
        "Content-Length: 3\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
        "Content-Length: 3\r\n\r\n",
        400),
      /* two Content-Lengths, equal or not, as lines or as a list */
      C("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
        "Content-Length: 2\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
        "Content-Length: 4\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 4\r\n\r\n", 400),
      /* chunked not last, or twice */
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
        "gzip\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
        "Transfer-Encoding: gzip\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
        "chunked\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked, "
        "gzip\r\n\r\n",
        400),
      /* not a coding at all */
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun ked\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n",
        400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n",
        400),
      /* an empty list frames nothing */
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , ,\r\n\r\n", 400),
      /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing */
      C("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
      C("POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
  }));
}

/* Transfer codings other than chunked are well-formed but not implemented
 * (RFC 9112 6.1): 501. */
static void test_other_codings(void **state) {
  (void)state;
  EXPECT_STATUSES(((const case_t[]){
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
        501),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: pigeons\r\n\r\n",
        501),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, "
        "chunked\r\n\r\n",
        501),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: deflate\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        501),
      C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=1, "
        "chunked\r\n\r\n",
        501),
  }));
}

static void test_chunked_flag(void **state) {
  (void)state;
  static const char *const values[] = {
      "chunked", "Chunked", "CHUNKED", " , chunked ,", ",,chunked", "chunked\t",
  };
  for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
    char req[256];
    int n = snprintf(req, sizeof req,
                     "POST / HTTP/1.1\r\nHost: a\r\n"
                     "Transfer-Encoding: %s\r\n\r\n",
                     values[i]);
    tn__http1_t p;
    assert_int_equal(parse_all(&p, req, (size_t)n, 0), TN__PARSE_DONE);
    assert_int_equal(p.flags, TN__HEAD_HOST | TN__HEAD_TRANSFER_ENCODING |
                                  TN__HEAD_CHUNKED);
  }
  /* empty lines of the list are tolerated around the coding */
  tn__http1_t p;
  assert_int_equal(PARSE(&p,
                         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_CHUNKED);
}

/* --- Expect -------------------------------------------------------------- */

static void test_expect(void **state) {
  (void)state;
  tn__http1_t p;
  assert_int_equal(PARSE(&p,
                         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                         "Expect: 100-continue\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_EXPECT_CONTINUE);
  assert_int_equal(PARSE(&p, "POST / HTTP/1.1\r\nHost: a\r\n"
                             "Expect: 100-Continue\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_EXPECT_CONTINUE);
  /* an HTTP/1.0 client cannot wait for a 100 (RFC 9110 10.1.1) */
  assert_int_equal(PARSE(&p, "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_false(p.flags & TN__HEAD_EXPECT_CONTINUE);
  assert_int_equal(PARSE(&p, "POST / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_false(p.flags & TN__HEAD_EXPECT_CONTINUE);
  EXPECT_STATUSES(((const case_t[]){
      C("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417),
      C("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n", 417),
      C("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
        "Expect: x=y\r\n\r\n",
        417),
      C("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continues\r\n\r\n", 417),
      /* framing errors come first: the request's end is unknown */
      C("POST / HTTP/1.1\r\nHost: a\r\nExpect: nope\r\nContent-Length: 1\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        400),
  }));
}

/* --- The request line ---------------------------------------------------- */

static void test_versions(void **state) {
  (void)state;
  tn__http1_t p;
  assert_int_equal(PARSE(&p, "GET / HTTP/1.0\r\n\r\n"), TN__PARSE_DONE);
  assert_int_equal(p.minor_version, 0);
  assert_int_equal(PARSE(&p, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_int_equal(p.minor_version, 1);
  EXPECT_STATUSES(((const case_t[]){
      C("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
      C("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
      C("GET / HTTP/0.9\r\n\r\n", 505),
      C("GET / HTTP/3.0", 505), /* known as soon as the version is read */
      C("GET / HTTP/9.9\r\n\r\n", 505), C("GET / http/1.1\r\n\r\n", 400),
      C("GET / HTTP/1.x\r\n\r\n", 400), C("GET / HTTP/1.10\r\n\r\n", 400),
      C("GET / HTTP/11.1\r\n\r\n", 400), C("GET / HTTP/1\r\n\r\n", 400),
      C("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
      C("GET / RTSP/1.0\r\n\r\n", 400), C("GET / ICE/1.0\r\n\r\n", 400),
      C("GET /\r\n\r\n", 400), /* HTTP/0.9 */
  }));
}

static void test_request_line_shape(void **state) {
  (void)state;
  /* Raw UTF-8 in a target is taken as it is (the corpus test says why). */
  tn__http1_t p;
  assert_int_equal(PARSE(&p, "GET /caf\xc3\xa9?q=\xe2\x80\x83 HTTP/1.1\r\n"
                             "Host: a\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_str(p.target, "/caf\xc3\xa9?q=\xe2\x80\x83");
  EXPECT_STATUSES(((const case_t[]){
      C("GARBAGE\r\n\r\n", 400),
      C("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("G\"T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
  }));
  /* RFC 9112 2.2: empty lines before the request line are ignored */
  assert_int_equal(PARSE(&p, "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_str(p.method, "GET");
}

/* --- Targets -------------------------------------------------------------- */

static void test_absolute_form(void **state) {
  (void)state;
  static const struct {
    const char *target, *origin, *authority;
  } ok[] = {
      {"http://h:8080/p?q", "/p?q", "h:8080"},
      {"HTTPS://Example.COM/x/y", "/x/y", "Example.COM"},
      {"hTtP://h", "", "h"},
      {"http://h?x=1", "?x=1", "h"},
      {"http://h:1234?hail=all", "?hail=all", "h:1234"},
      {"http://[::1]:80/", "/", "[::1]:80"},
      {"http://h%41b.c/", "/", "h%41b.c"},
      {"http://h:/", "/", "h:"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n",
                     ok[i].target);
    tn__http1_t p;
    assert_int_equal(parse_all(&p, req, (size_t)n, 0), TN__PARSE_DONE);
    assert_str(p.target, ok[i].target);
    assert_str(p.origin, ok[i].origin);
    assert_str(p.authority, ok[i].authority);
    assert_true(p.flags & TN__HEAD_ABSOLUTE);
  }
  static const char *const bad[] = {
      "http://",      "http:///p",    "http://u@h/", "http://u:p@h/",
      "ftp://h/",     "http:/h",      "http//h",     "h/p",
      "http://h:8a/", "http://[::1/", "http://[]/",  "http://h%4/",
      "http://h\"/",  "https:/",      "httpx://h/",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char req[256];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", bad[i]);
    tn__http1_t p;
    if (parse_all(&p, req, (size_t)n, 0) != 400)
      fail_msg("target %s was not refused", bad[i]);
  }
}

static void test_other_forms(void **state) {
  (void)state;
  tn__http1_t p;
  assert_int_equal(PARSE(&p, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_ASTERISK);
  assert_str(p.origin, "*");
  assert_int_equal(PARSE(&p, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_false(p.flags & (TN__HEAD_ASTERISK | TN__HEAD_ABSOLUTE));
  EXPECT_STATUSES(((const case_t[]){
      /* asterisk-form is OPTIONS' only (RFC 9112 3.2.4) */
      C("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("PRI * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      /* authority-form: CONNECT, which torn does not implement */
      C("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        501),
      C("CONNECT bad/x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
      C("GET ?x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
  }));
}

/* --- Host ----------------------------------------------------------------- */

static void test_host(void **state) {
  (void)state;
  static const char *const ok[] = {
      "",
      "a",
      "example.com:8080",
      "h:",
      "[::1]",
      "[::1]:8080",
      "0.0.0.0=5000",
      "%41b",
      "xn--bcher-kva.example",
      "a_b-c~d!$&'()*+,;=",
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    char req[256];
    int n =
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", ok[i]);
    tn__http1_t p;
    if (parse_all(&p, req, (size_t)n, 0) != TN__PARSE_DONE)
      fail_msg("Host: %s was refused", ok[i]);
  }
  static const char *const bad[] = {
      "a b",  "a/b", "a?b",    "u@h", "a#b", ":80",  "h:8a", "h:80:80",
      "[::1", "[]",  "[::1]x", "%zz", "%4",  "a\"b", "a<b",  "\xc3\xa9",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char req[256];
    int n =
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
    tn__http1_t p;
    if (parse_all(&p, req, (size_t)n, 0) != 400)
      fail_msg("Host: %s was not refused", bad[i]);
  }
  EXPECT_STATUSES(((const case_t[]){
      C("GET / HTTP/1.1\r\nX: a\r\n\r\n", 400),               /* none */
      C("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400), /* two */
      C("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
      C("GET http://h/ HTTP/1.1\r\n\r\n", 400), /* required in absolute-form */
      C("GET / HTTP/1.0\r\n\r\n", TN__PARSE_DONE), /* not in HTTP/1.0 */
      C("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
  }));
}

/* --- Header lines --------------------------------------------------------- */

static void test_header_lines(void **state) {
  (void)state;
  EXPECT_STATUSES(((const case_t[]){
      C("GET / HTTP/1.1\n\n", 400), /* bare LF */
      C("GET / HTTP/1.1\r\nHost: a\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\n\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX: 1\nY: 2\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX: a\rz\r\n\r\n", 400), /* bare CR */
      C("GET / HTTP/1.1\r\nHost: a\r\n\rZ\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400), /* space before colon */
      C("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400), /* obs-fold */
      C("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400), /* space after line */
      C("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 400), /* controls */
      C("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX: a\fz\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX: a\0z\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX\x7f: a\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX\0: a\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX\x01: a\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\nX@: a\r\n\r\n", 400), /* not a token */
      C("GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: a\r\n\r\n", 400),
      C("GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n", 400), /* empty name */
      C("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
  }));
  /* obs-text and inner whitespace are allowed in values */
  tn__http1_t p;
  assert_int_equal(PARSE(&p, "GET / HTTP/1.1\r\nHost: a\r\n"
                             "X: D\xc3\xbcsseldorf \t \xff end\r\n\r\n"),
                   TN__PARSE_DONE);
  assert_str(p.headers[1].value, "D\xc3\xbcsseldorf \t \xff end");
}

/* --- Limits: 414 and 431 -------------------------------------------------- */

static void test_too_many_headers(void **state) {
  (void)state;
  static char req[8192];
  size_t n = (size_t)sprintf(req, "GET / HTTP/1.1\r\n");
  for (int i = 0; i <= TN__MAX_HEADERS; i++)
    n += (size_t)sprintf(req + n, "X-%d: v\r\n", i);
  n += (size_t)sprintf(req + n, "\r\n");
  tn__http1_t p;
  assert_int_equal(parse_all(&p, req, n, 0), 431);
}

/* A request of `target_len` bytes of target and `field_len` bytes of one
 * field's value; complete unless `cut`. */
static size_t long_request(char *req, size_t target_len, size_t field_len,
                           bool cut) {
  size_t n = (size_t)sprintf(req, "GET /");
  memset(req + n, 'a', target_len - 1);
  n += target_len - 1;
  n += (size_t)sprintf(req + n, " HTTP/1.1\r\nHost: a\r\nX: ");
  memset(req + n, 'b', field_len);
  n += field_len;
  if (!cut)
    n += (size_t)sprintf(req + n, "\r\n\r\n");
  return n;
}

static void test_head_limits(void **state) {
  (void)state;
  static char req[70000];
  tn__http1_t p;
  /* a head over the default limit: the fields' fault */
  size_t n = long_request(req, 10, TN__MAX_HEAD, false);
  assert_int_equal(parse_all(&p, req, n, 0), 431);
  n = long_request(req, 10, TN__MAX_HEAD, true); /* still arriving */
  assert_int_equal(parse_all(&p, req, n, 0), 431);
  /* a request line over it: the target's */
  n = long_request(req, TN__MAX_HEAD, 1, false);
  assert_int_equal(parse_all(&p, req, n, 0), 414);
  n = (size_t)sprintf(req, "GET /");
  memset(req + n, 'a', TN__MAX_HEAD);
  n += TN__MAX_HEAD; /* no end of line yet */
  assert_int_equal(parse_all(&p, req, n, 0), 414);
  /* right at the limit, and one byte over it */
  n = long_request(req, 10, 0, false);
  size_t fill = TN__MAX_HEAD - n;
  n = long_request(req, 10, fill, false);
  assert_int_equal(n, TN__MAX_HEAD);
  assert_int_equal(parse_all(&p, req, n, 0), TN__PARSE_DONE);
  n = long_request(req, 10, fill + 1, false);
  assert_int_equal(parse_all(&p, req, n, 0), 431);
  /* a raised limit lets a larger head in, but not a target over
   * TN__MAX_TARGET */
  n = long_request(req, 100, 30000, false);
  assert_int_equal(parse_all(&p, req, n, 64 * 1024), TN__PARSE_DONE);
  n = long_request(req, TN__MAX_TARGET, 10, false);
  assert_int_equal(parse_all(&p, req, n, 64 * 1024), TN__PARSE_DONE);
  n = long_request(req, TN__MAX_TARGET + 1, 10, false);
  assert_int_equal(parse_all(&p, req, n, 64 * 1024), 414);
  /* a lowered one */
  n = long_request(req, 10, 100, false);
  assert_int_equal(parse_all(&p, req, n, 64), 431);
  n = long_request(req, 70, 0, false);
  assert_int_equal(parse_all(&p, req, n, 64), 414);
  /* empty lines before the request line count */
  n = 0;
  for (int i = 0; i < 40; i++)
    n += (size_t)sprintf(req + n, "\r\n");
  n += (size_t)sprintf(req + n, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert_int_equal(parse_all(&p, req, n, 64), 414);
}

/* What the connection asks when a head outgrows its buffer. */
static void test_too_long(void **state) {
  (void)state;
  static input_t in;
  tn__http1_t p;
  in.len = 0;
  tn__http1_init(&p, in.data, in.data);
  p.lim = append(&in, "\r\nGET /abc", 10);
  assert_int_equal(tn__http1_parse(&p), TN__PARSE_AGAIN);
  assert_int_equal(tn__http1_too_long(&p), 414);
  p.lim = append(&in, " HTTP/1.1\r", 10);
  assert_int_equal(tn__http1_parse(&p), TN__PARSE_AGAIN);
  assert_int_equal(tn__http1_too_long(&p), 414);
  p.lim = append(&in, "\nHost: a\r\nX: y", 14);
  assert_int_equal(tn__http1_parse(&p), TN__PARSE_AGAIN);
  assert_int_equal(tn__http1_too_long(&p), 431);
}

/* --- typed route parameters ------------------------------------------- */

static tn_str_t S(const char *s) { return (tn_str_t){s, strlen(s)}; }

static void test_parse_int64(void **state) {
  (void)state;
  int64_t v;
  assert_int_equal(tn_parse_int64(S("0"), &v), 0);
  assert_int_equal(v, 0);
  assert_int_equal(tn_parse_int64(S("-42"), &v), 0);
  assert_int_equal(v, -42);
  assert_int_equal(tn_parse_int64(S("9223372036854775807"), &v), 0);
  assert_true(v == INT64_MAX);
  assert_int_equal(tn_parse_int64(S("-9223372036854775808"), &v), 0);
  assert_true(v == INT64_MIN);
  assert_int_equal(tn_parse_int64(S("9223372036854775808"), &v), TN_ERANGE);
  assert_int_equal(tn_parse_int64(S("-9223372036854775809"), &v), TN_ERANGE);
  assert_int_equal(tn_parse_int64(S("99999999999999999999999"), &v), TN_ERANGE);
  assert_int_equal(tn_parse_int64(S(""), &v), TN_EINVAL);
  assert_int_equal(tn_parse_int64(S("-"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_int64(S("+1"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_int64(S("1a"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_int64(S(" 1"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_int64(S("007"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_int64(S("-0"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_int64(S("-01"), &v), TN_EINVAL);
}

static void test_parse_uint64(void **state) {
  (void)state;
  uint64_t v;
  assert_int_equal(tn_parse_uint64(S("18446744073709551615"), &v), 0);
  assert_true(v == UINT64_MAX);
  assert_int_equal(tn_parse_uint64(S("18446744073709551616"), &v), TN_ERANGE);
  assert_int_equal(tn_parse_uint64(S("-1"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_uint64(S("01"), &v), TN_EINVAL);
  assert_int_equal(tn_parse_uint64(S("0"), &v), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_whole_and_byte_by_byte),
      cmocka_unit_test(test_split_everywhere),
      cmocka_unit_test(test_rebase),
      cmocka_unit_test(test_pipelined),
      cmocka_unit_test(test_methods),
      cmocka_unit_test(test_connection_options),
      cmocka_unit_test(test_names_any_case),
      cmocka_unit_test(test_content_length),
      cmocka_unit_test(test_smuggling_framing),
      cmocka_unit_test(test_other_codings),
      cmocka_unit_test(test_chunked_flag),
      cmocka_unit_test(test_expect),
      cmocka_unit_test(test_versions),
      cmocka_unit_test(test_request_line_shape),
      cmocka_unit_test(test_absolute_form),
      cmocka_unit_test(test_other_forms),
      cmocka_unit_test(test_host),
      cmocka_unit_test(test_header_lines),
      cmocka_unit_test(test_too_many_headers),
      cmocka_unit_test(test_head_limits),
      cmocka_unit_test(test_too_long),
      cmocka_unit_test(test_parse_int64),
      cmocka_unit_test(test_parse_uint64),
  };
  return cmocka_run_group_tests_name("http1_parse", tests, NULL, NULL);
}
