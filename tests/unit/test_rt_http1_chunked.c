/* test_rt_http1_chunked.c -- the chunked body decoder: fed whole, byte by
 * byte and split at every point, moved to another buffer between calls,
 * decoding in place; strict about every CRLF, size and extension; bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

typedef struct {
  int status;
  size_t consumed; /* raw bytes up to where decoding stopped */
  size_t len;      /* decoded bytes */
  char body[8192];
} result_t;

/* Decodes `raw` given in pieces of `step` bytes (0: whole). Between calls
 * the bytes not consumed yet and the body decoded so far are moved to a
 * fresh buffer, as a connection moving its buffer would, so nothing may
 * point into the old one. */
static void decode(const char *raw, size_t n, size_t step, result_t *r) {
  char *buf = malloc(n + 1);
  assert_non_null(buf);
  tn__chunked_t d;
  tn__chunked_init(&d);
  size_t out = 0, in = 0, have = 0;
  r->status = TN__PARSE_AGAIN;
  while (r->status == TN__PARSE_AGAIN && have < n) {
    size_t k = step && n - have > step ? step : n - have;
    memcpy(buf + have, raw + have, k);
    have += k;
    char *o = buf + out;
    const char *i = buf + in;
    r->status = tn__chunked_decode(&d, &o, &i, buf + have);
    assert_true(o <= i && i <= buf + have && o >= buf);
    out = (size_t)(o - buf);
    in = (size_t)(i - buf);
    if (r->status == TN__PARSE_AGAIN)
      assert_int_equal(in, have); /* everything given was consumed */
    char *moved = malloc(n + 1);
    assert_non_null(moved);
    memcpy(moved, buf, have);
    memset(buf, 'X', have);
    free(buf);
    buf = moved;
  }
  assert_true(out <= sizeof r->body);
  memcpy(r->body, buf, out);
  r->len = out;
  r->consumed = in;
  free(buf);
}

/* Every way of feeding `raw` gives `status`, and for TN__PARSE_DONE the
 * body `want` and `consumed` raw bytes. */
static void expect(const char *raw, size_t n, int status, const char *want,
                   size_t want_len, size_t consumed) {
  static result_t whole, other;
  decode(raw, n, 0, &whole);
  if (whole.status != status)
    fail_msg("\"%.60s\": got %d, want %d", raw, whole.status, status);
  if (status == TN__PARSE_DONE) {
    assert_int_equal(whole.len, want_len);
    assert_memory_equal(whole.body, want, want_len);
    assert_int_equal(whole.consumed, consumed);
  }
  for (size_t step = 1; step < n; step++) {
    decode(raw, n, step, &other);
    if (other.status != whole.status)
      fail_msg("\"%.60s\" by %zu: got %d, whole %d", raw, step, other.status,
               whole.status);
    if (status == TN__PARSE_DONE) {
      assert_int_equal(other.len, whole.len);
      assert_memory_equal(other.body, whole.body, whole.len);
      assert_int_equal(other.consumed, whole.consumed);
    }
  }
  /* split once at every point, the two halves in two calls */
  for (size_t cut = 1; cut < n; cut++) {
    result_t *r = &other;
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    memcpy(buf, raw, n);
    tn__chunked_t d;
    tn__chunked_init(&d);
    char *o = buf;
    const char *i = buf;
    r->status = tn__chunked_decode(&d, &o, &i, buf + cut);
    if (r->status == TN__PARSE_AGAIN)
      r->status = tn__chunked_decode(&d, &o, &i, buf + n);
    if (r->status != whole.status)
      fail_msg("\"%.60s\" cut at %zu: got %d, whole %d", raw, cut, r->status,
               whole.status);
    if (status == TN__PARSE_DONE) {
      assert_int_equal(o - buf, whole.len);
      assert_memory_equal(buf, whole.body, whole.len);
      assert_int_equal(i - buf, whole.consumed);
    }
    free(buf);
  }
}

#define EXPECT_BODY(raw, body)                                                 \
  expect(raw, sizeof raw - 1, TN__PARSE_DONE, body, sizeof body - 1,           \
         sizeof raw - 1)
#define EXPECT_STATUS(raw, status)                                             \
  expect(raw, sizeof raw - 1, status, NULL, 0, 0)

static void test_bodies(void **state) {
  (void)state;
  EXPECT_BODY("0\r\n\r\n", "");
  EXPECT_BODY("5\r\nhello\r\n0\r\n\r\n", "hello");
  EXPECT_BODY("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
  EXPECT_BODY("a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n",
              "0123456789abcdefghij");
  EXPECT_BODY("1e\r\nall your base are belong to us\r\n0\r\n\r\n",
              "all your base are belong to us");
  /* leading zeros are not significant digits */
  EXPECT_BODY("00000000000000000000003\r\nabc\r\n000\r\n\r\n", "abc");
  /* chunk data may hold anything, CRLFs and NULs included */
  EXPECT_BODY("4\r\n\r\n\0\n\r\n0\r\n\r\n", "\r\n\0\n");
}

static void test_extensions(void **state) {
  (void)state;
  EXPECT_BODY("5;a\r\nhello\r\n0;b\r\n\r\n", "hello");
  EXPECT_BODY("5;a=b;c;d=e\r\nhello\r\n0\r\n\r\n", "hello");
  EXPECT_BODY("5 ;a\r\nhello\r\n0\r\n\r\n", "hello"); /* BWS */
  EXPECT_BODY("5 \t; \ta \t= \tb \t;c\r\nhello\r\n0\r\n\r\n", "hello");
  EXPECT_BODY("5;a=\"q\"\r\nhello\r\n0\r\n\r\n", "hello");
  EXPECT_BODY("5;a=\"I \\\"love\\\"; \\\\x\";b=\"\"\r\nhello\r\n0\r\n\r\n",
              "hello");
  EXPECT_BODY("5;a=\"\t\xff\"\r\nhello\r\n0\r\n\r\n", "hello"); /* obs-text */
}

static void test_trailers(void **state) {
  (void)state;
  EXPECT_BODY("5\r\nhello\r\n0\r\nVary: *\r\nContent-Type: text/plain\r\n\r\n",
              "hello");
  EXPECT_BODY("0\r\nX:\r\n\r\n", "");
  EXPECT_BODY("0\r\nX: a \t b \xff\r\n\r\n", "");
  /* the same strictness as header fields */
  EXPECT_STATUS("0\r\nX : a\r\n\r\n", 400);      /* space before colon */
  EXPECT_STATUS("0\r\nX: a\r\n b\r\n\r\n", 400); /* obs-fold */
  EXPECT_STATUS("0\r\n X: a\r\n\r\n", 400);
  EXPECT_STATUS("0\r\n: a\r\n\r\n", 400);
  EXPECT_STATUS("0\r\nX@: a\r\n\r\n", 400);
  EXPECT_STATUS("0\r\nNoColon\r\n\r\n", 400);
  EXPECT_STATUS("0\r\nX: a\x01\r\n\r\n", 400);
  EXPECT_STATUS("0\r\nX: a\x7f\r\n\r\n", 400);
  EXPECT_STATUS("0\r\nX: a\0\r\n\r\n", 400);
  EXPECT_STATUS("0\r\nX: a\rb\r\n\r\n", 400);
  EXPECT_STATUS("0\r\nX: a\n\r\n", 400);
  EXPECT_STATUS("0\r\nX: a\r\n\n", 400);
  EXPECT_STATUS("0\r\n\n", 400);
  EXPECT_STATUS("0\r\n\rX", 400);
}

static void test_bad_framing(void **state) {
  (void)state;
  EXPECT_STATUS("\r\n", 400); /* no size */
  EXPECT_STATUS("x\r\n", 400);
  EXPECT_STATUS("-1\r\n", 400);
  EXPECT_STATUS("+1\r\nx\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("0x5\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS(" 5\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5\nhello\r\n0\r\n\r\n", 400);    /* bare LF */
  EXPECT_STATUS("5\rhello\r\n0\r\n\r\n", 400);    /* bare CR */
  EXPECT_STATUS("5\r\nhelloX\r\n0\r\n\r\n", 400); /* data too long */
  EXPECT_STATUS("5\r\nhello\n0\r\n\r\n", 400);    /* bare LF after data */
  EXPECT_STATUS("5\r\nhello\r0\r\n\r\n", 400);
  EXPECT_STATUS("5\r\nhello\rX0\r\n\r\n", 400);
  EXPECT_STATUS("5\r\nhello\r\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("1\rXa\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("0\rX\r\n", 400);
  EXPECT_STATUS("0\r\n\rX", 400);
  EXPECT_STATUS("5\r\nhello0\r\n\r\n", 400);  /* no CRLF after data */
  EXPECT_STATUS("3\r\nfoo\r\n\r\n\r\n", 400); /* no last chunk */
  EXPECT_STATUS("0\r\n\r\r", 400);
  EXPECT_STATUS("0\n\n", 400);
  /* whitespace where BWS is not allowed */
  EXPECT_STATUS("5 \r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5 x\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a \r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a= \r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=b \r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=\"b\" \r\nhello\r\n0\r\n\r\n", 400);
  /* malformed extensions */
  EXPECT_STATUS("5;\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;;a\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;=b\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=b=c\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a@=b\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=\"b\r\nhello\r\n0\r\n\r\n", 400); /* unbalanced */
  EXPECT_STATUS("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n", 400);
  EXPECT_STATUS("2 erfrferferf\r\naa\r\n0 rrrr\r\n\r\n", 400);
}

/* Sizes up to 16 significant hex digits; beyond, 400 before any overflow. */
static void test_sizes(void **state) {
  (void)state;
  static const struct {
    const char *line;
    uint64_t size;
  } ok[] = {
      {"ffffffffffffffff\r\n", UINT64_MAX},
      {"0000ffffffffffffffff\r\n", UINT64_MAX},
      {"7FFFFFFFFFFFFFFF\r\n", INT64_MAX},
      {"1000000000000000\r\n", 1ull << 60},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    tn__chunked_t d;
    tn__chunked_init(&d);
    char out[64];
    char *o = out;
    const char *in = ok[i].line, *end = in + strlen(in);
    assert_int_equal(tn__chunked_decode(&d, &o, &in, end), TN__PARSE_AGAIN);
    assert_true(d.left == ok[i].size); /* announced, for the caller's 413 */
    assert_ptr_equal(o, out);
  }
  EXPECT_STATUS("10000000000000000\r\n", 400);
  EXPECT_STATUS("ffffffffffffffff0\r\n", 400);
  /* a huge chunk is only waited for: the caller's limit refuses it */
  EXPECT_STATUS("ffffffff\r\nabc", TN__PARSE_AGAIN);
}

/* No endless scanning: a size line and a trailer section are bounded. */
static void test_limits(void **state) {
  (void)state;
  static char raw[3 * TN__MAX_CHUNK_LINE];
  size_t n = (size_t)sprintf(raw, "5;a=\"");
  memset(raw + n, 'x', TN__MAX_CHUNK_LINE);
  n += TN__MAX_CHUNK_LINE;
  result_t *r = malloc(sizeof *r);
  assert_non_null(r);
  decode(raw, n, 0, r);
  assert_int_equal(r->status, 400);
  decode(raw, n, 1000, r);
  assert_int_equal(r->status, 400);
  /* zeros are counted too */
  memset(raw, '0', TN__MAX_CHUNK_LINE + 1);
  decode(raw, TN__MAX_CHUNK_LINE + 1, 0, r);
  assert_int_equal(r->status, 400);
  /* a line just under the limit is fine */
  n = (size_t)sprintf(raw, "1;a=");
  memset(raw + n, 'x', TN__MAX_CHUNK_LINE - n - 2);
  n = TN__MAX_CHUNK_LINE - 2;
  n += (size_t)sprintf(raw + n, "\r\nz\r\n0\r\n\r\n");
  decode(raw, n, 0, r);
  assert_int_equal(r->status, TN__PARSE_DONE);
  assert_int_equal(r->len, 1);
  /* the trailer section: max_trailer, then 431 */
  tn__chunked_t d;
  n = (size_t)sprintf(raw, "0\r\n");
  for (int i = 0; i < 20; i++)
    n += (size_t)sprintf(raw + n, "X-%02d: 0123456789\r\n", i);
  n += (size_t)sprintf(raw + n, "\r\n");
  size_t trailer = n - 3; /* the section, its final CRLF included */
  for (int over = 0; over <= 1; over++) {
    tn__chunked_init(&d);
    d.max_trailer = (uint32_t)trailer - (uint32_t)over;
    char *o = raw;
    const char *in = raw;
    int status = tn__chunked_decode(&d, &o, &in, raw + n);
    assert_int_equal(status, over ? 431 : TN__PARSE_DONE);
  }
  free(r);
}

/* The decoder stops at the body's end: what follows is the next request. */
static void test_pipelined(void **state) {
  (void)state;
  static const char raw[] = "3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.1\r\n";
  expect(raw, sizeof raw - 1, TN__PARSE_DONE, "abc", 3,
         sizeof "3\r\nabc\r\n0\r\nT: 1\r\n\r\n" - 1);
  /* and, called again, stays done without consuming it */
  char buf[sizeof raw];
  memcpy(buf, raw, sizeof raw);
  tn__chunked_t d;
  tn__chunked_init(&d);
  char *o = buf;
  const char *in = buf;
  assert_int_equal(tn__chunked_decode(&d, &o, &in, buf + sizeof raw - 1),
                   TN__PARSE_DONE);
  const char *next = in;
  assert_memory_equal(next, "GET / ", 6);
  assert_int_equal(tn__chunked_decode(&d, &o, &in, buf + sizeof raw - 1),
                   TN__PARSE_DONE);
  assert_ptr_equal(in, next);
  assert_int_equal(o - buf, 3);
  assert_memory_equal(buf, "abc", 3);
}

/* A whole request: the head parser, then the decoder where it stopped. */
static void test_after_head(void **state) {
  (void)state;
  static const char req[] = "POST /up HTTP/1.1\r\nHost: a\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n"
                            "4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"
                            "POST";
  char buf[sizeof req];
  memcpy(buf, req, sizeof req);
  tn__http1_t h;
  tn__http1_init(&h, buf, buf + sizeof req - 1);
  assert_int_equal(tn__http1_parse(&h), TN__PARSE_DONE);
  assert_true(h.flags & TN__HEAD_CHUNKED);
  tn__chunked_t d;
  tn__chunked_init(&d);
  char *body = (char *)h.cur, *o = body;
  const char *in = h.cur;
  assert_int_equal(tn__chunked_decode(&d, &o, &in, buf + sizeof req - 1),
                   TN__PARSE_DONE);
  assert_int_equal(o - body, 9);
  assert_memory_equal(body, "Wikipedia", 9);
  assert_string_equal(in, "POST");
  /* the head is untouched by decoding in place */
  assert_int_equal(h.nheaders, 2);
  assert_memory_equal(h.headers[1].value.ptr, "chunked", 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bodies),    cmocka_unit_test(test_extensions),
      cmocka_unit_test(test_trailers),  cmocka_unit_test(test_bad_framing),
      cmocka_unit_test(test_sizes),     cmocka_unit_test(test_limits),
      cmocka_unit_test(test_pipelined), cmocka_unit_test(test_after_head),
  };
  return cmocka_run_group_tests_name("http1_chunked", tests, NULL, NULL);
}
