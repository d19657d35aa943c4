/* test_rt_http1_parse.c -- the HTTP/1.1 head scanner, fed whole, split at
 * every byte, byte by byte, and moved between buffers mid-request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

/* A buffer that receives input piece by piece, as a connection does. */
typedef struct {
  char data[16384];
  size_t len;
} input_t;

static const char *append(input_t *in, const char *bytes, size_t n) {
  assert_true(in->len + n < sizeof in->data);
  memcpy(in->data + in->len, bytes, n);
  in->len += n;
  in->data[in->len] = '\0'; /* the scanner's sentinel */
  return in->data + in->len;
}

/* Feed `req` in pieces of at most `step` bytes (0: all at once); returns
 * the final status. */
static int parse_in_steps(tn__http1_t *p, input_t *in, const char *req,
                          size_t len, size_t step) {
  size_t off = 0;
  in->len = 0;
  in->data[0] = '\0';
  tn__http1_init(p, in->data, in->data);
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
  assert_int_equal(s.len, strlen(want));
  assert_memory_equal(s.ptr, want, s.len);
}

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
  assert_int_equal(p->minor_version, 1);
  assert_int_equal(p->nheaders, 4);
  assert_str(p->headers[0].name, "Host");
  assert_str(p->headers[0].value, "example.com");
  assert_str(p->headers[1].name, "X-Spaces");
  assert_str(p->headers[1].value, "a  b");
  assert_str(p->headers[2].name, "Empty");
  assert_str(p->headers[2].value, "");
  assert_true(p->flags & TN__HEAD_CONTENT_LENGTH);
  assert_true(p->flags & TN__HEAD_HOST);
  assert_int_equal(p->content_length, 0);
}

static void test_whole(void **state) {
  (void)state;
  static input_t in;
  tn__http1_t p;
  assert_int_equal(parse_in_steps(&p, &in, simple, sizeof simple - 1, 0),
                   TN__PARSE_DONE);
  check_simple(&p);
  assert_ptr_equal(p.cur, in.data + sizeof simple - 1);
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

static void test_byte_by_byte(void **state) {
  (void)state;
  static input_t in;
  tn__http1_t p;
  assert_int_equal(parse_in_steps(&p, &in, simple, sizeof simple - 1, 1),
                   TN__PARSE_DONE);
  check_simple(&p);
}

/* The connection moves a partial request to a buffer of its own; the
 * parser must carry on there as if nothing happened. */
static void test_rebase(void **state) {
  (void)state;
  static input_t a, b;
  size_t len = sizeof simple - 1;
  for (size_t cut = 1; cut < len; cut += 7) {
    tn__http1_t p;
    a.len = b.len = 0;
    tn__http1_init(&p, a.data, a.data);
    p.lim = append(&a, simple, cut);
    assert_int_equal(tn__http1_parse(&p), TN__PARSE_AGAIN);
    append(&b, a.data, a.len);
    memset(a.data, 'X', a.len); /* the old bytes are gone */
    tn__http1_rebase(&p, a.data, b.data);
    p.lim = append(&b, simple + cut, len - cut);
    assert_int_equal(tn__http1_parse(&p), TN__PARSE_DONE);
    check_simple(&p);
  }
}

static void test_pipelined(void **state) {
  (void)state;
  static input_t in;
  static const char two[] = "\r\nPOST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"
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
  static input_t in;
  static const struct {
    const char *req;
    unsigned bit;
  } cases[] = {
      {"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_HEAD},
      {"PUT / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_PUT},
      {"PATCH / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_PATCH},
      {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_OPTIONS},
      {"PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_OTHER},
      {"get / HTTP/1.1\r\nHost: a\r\n\r\n", TN_METHOD_OTHER}, /* methods are case-sensitive */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tn__http1_t p;
    assert_int_equal(parse_in_steps(&p, &in, cases[i].req,
                                    strlen(cases[i].req), 0),
                     TN__PARSE_DONE);
    assert_int_equal(p.method_bit, cases[i].bit);
  }
}

static void test_connection_options(void **state) {
  (void)state;
  static input_t in;
  static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n";
  tn__http1_t p;
  assert_int_equal(parse_in_steps(&p, &in, req, sizeof req - 1, 0),
                   TN__PARSE_DONE);
  assert_true(p.flags & TN__HEAD_CLOSE);
  assert_false(p.flags & TN__HEAD_KEEP_ALIVE);
}

/* Each bad request gives its status whether it arrives whole or byte by
 * byte. */
static void test_rejects(void **state) {
  (void)state;
  static input_t in;
  static const struct {
    const char *req;
    int status;
  } cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET / HTTP/1.1\n\n", 400},                       /* bare LF */
      {"GET  / HTTP/1.1\r\n\r\n", 400},                  /* two spaces */
      {"GET / HTTP/2.0\r\n\r\n", 400},
      {"GET / http/1.1\r\n\r\n", 400},
      {"GET /\r\n\r\n", 400},                            /* HTTP/0.9 */
      {"GET /a b HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},       /* space before colon */
      {"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400},     /* obs-fold */
      {"GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400},      /* control char */
      {"GET / HTTP/1.1\r\nX: a\rz\r\n\r\n", 400},        /* bare CR */
      {"GET / HTTP/1.1\r\nX\x7f: a\r\n\r\n", 400},       /* DEL in a name */
      {"GET / HTTP/1.1\r\n: a\r\n\r\n", 400},            /* empty name */
      {"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nX: a\r\n\r\n", 400},             /* no Host */
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nX\0: a\r\n\r\n", 400},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *req = cases[i].req;
    size_t len = strlen(req);
    if (i == sizeof cases / sizeof *cases - 1)
      len = sizeof "GET / HTTP/1.1\r\nX\0: a\r\n\r\n" - 1; /* a real NUL */
    for (size_t step = 0; step <= 1; step++) {
      tn__http1_t p;
      int got = parse_in_steps(&p, &in, req, len, step);
      if (got != cases[i].status)
        fail_msg("case %zu (step %zu): got %d, want %d", i, step, got,
                 cases[i].status);
    }
  }
}

static void test_repeated_content_length_same_value(void **state) {
  (void)state;
  static input_t in;
  static const char req[] =
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n";
  tn__http1_t p;
  assert_int_equal(parse_in_steps(&p, &in, req, sizeof req - 1, 0),
                   TN__PARSE_DONE);
  assert_int_equal(p.content_length, 4);
}

static void test_too_many_headers(void **state) {
  (void)state;
  static input_t in;
  static char req[8192];
  size_t n = (size_t)sprintf(req, "GET / HTTP/1.1\r\n");
  for (int i = 0; i <= TN__MAX_HEADERS; i++)
    n += (size_t)sprintf(req + n, "X-%d: v\r\n", i);
  n += (size_t)sprintf(req + n, "\r\n");
  tn__http1_t p;
  assert_int_equal(parse_in_steps(&p, &in, req, n, 0), 431);
}

static void test_head_too_large(void **state) {
  (void)state;
  static input_t in;
  static char req[TN__MAX_HEAD + 64];
  size_t n = (size_t)sprintf(req, "GET / HTTP/1.1\r\nX: ");
  memset(req + n, 'a', TN__MAX_HEAD);
  n += TN__MAX_HEAD;
  n += (size_t)sprintf(req + n, "\r\n\r\n");
  tn__http1_t p;
  assert_int_equal(parse_in_steps(&p, &in, req, n, 0), 431);
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
      cmocka_unit_test(test_whole),
      cmocka_unit_test(test_split_everywhere),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_rebase),
      cmocka_unit_test(test_pipelined),
      cmocka_unit_test(test_methods),
      cmocka_unit_test(test_connection_options),
      cmocka_unit_test(test_rejects),
      cmocka_unit_test(test_repeated_content_length_same_value),
      cmocka_unit_test(test_too_many_headers),
      cmocka_unit_test(test_head_too_large),
      cmocka_unit_test(test_parse_int64),
      cmocka_unit_test(test_parse_uint64),
  };
  return cmocka_run_group_tests_name("http1_parse", tests, NULL, NULL);
}
