/* test_rt_url.c -- percent-decoding, the URL writer, reversal by name and
 * the request arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

static tn_str_t S(const char *s) { return (tn_str_t){s, strlen(s)}; }

/* --- decoding ----------------------------------------------------------- */

static void expect_decoded(const char *in, const char *want, size_t want_len) {
  char out[64];
  int n = tn_percent_decode(out, in, strlen(in));
  assert_int_equal(n, (int)want_len);
  assert_memory_equal(out, want, want_len);
}

static void test_decode(void **state) {
  (void)state;
  expect_decoded("plain", "plain", 5);
  expect_decoded("a%20b", "a b", 3);
  expect_decoded("%2F%2f", "//", 2);
  expect_decoded("%41%7a", "Az", 2);
  expect_decoded("%FF%00x", "\xff\0x", 3);
  expect_decoded("a+b", "a+b", 3); /* a path: '+' is not a space */
  expect_decoded("", "", 0);
}

static void test_decode_rejects(void **state) {
  (void)state;
  static const char *const bad[] = {"%", "%4", "a%", "%zz", "%4g", "%%41", "%-1"};
  char out[16];
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(tn_percent_decode(out, bad[i], strlen(bad[i])), TN_EINVAL);
}

static void test_decode_in_place(void **state) {
  (void)state;
  char buf[] = "x%2Fy%20z";
  int n = tn_percent_decode(buf, buf, strlen(buf));
  assert_int_equal(n, 5);
  assert_memory_equal(buf, "x/y z", 5);
}

/* --- the URL writer ------------------------------------------------------ */

static void test_url_pieces(void **state) {
  (void)state;
  char out[128];
  tn_url_t u;
  tn_url_init(&u, out, sizeof out);
  tn_url_lit(&u, "/a/", 3);
  tn_url_int64(&u, INT64_MIN);
  tn_url_lit(&u, "/", 1);
  tn_url_uint64(&u, UINT64_MAX);
  tn_url_lit(&u, "/", 1);
  tn_url_segment(&u, S("a b/c%d~é"));
  tn_url_lit(&u, "/", 1);
  tn_url_path(&u, S("x/y z/:@!"));
  int n = tn_url_finish(&u);
  const char *want = "/a/-9223372036854775808/18446744073709551615/"
                     "a%20b%2Fc%25d~%C3%A9/x/y%20z/:@!";
  assert_string_equal(out, want);
  assert_int_equal(n, (int)strlen(want));
}

static void test_url_int_extremes(void **state) {
  (void)state;
  static const struct {
    int64_t v;
    const char *s;
  } cases[] = {{0, "0"}, {-1, "-1"}, {INT64_MAX, "9223372036854775807"},
               {INT64_MIN, "-9223372036854775808"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[32];
    tn_url_t u;
    tn_url_init(&u, out, sizeof out);
    tn_url_int64(&u, cases[i].v);
    assert_int_equal(tn_url_finish(&u), (int)strlen(cases[i].s));
    assert_string_equal(out, cases[i].s);
  }
}

/* Like snprintf: what fits, NUL-terminated, and the full length. */
static void test_url_truncation(void **state) {
  (void)state;
  char out[8];
  memset(out, 'Z', sizeof out);
  tn_url_t u;
  tn_url_init(&u, out, 5);
  tn_url_lit(&u, "/posts/", 7);
  tn_url_int64(&u, 42);
  assert_int_equal(tn_url_finish(&u), 9);
  assert_string_equal(out, "/pos");
  assert_int_equal(out[5], 'Z'); /* nothing written past size */

  tn_url_init(&u, NULL, 0);
  tn_url_lit(&u, "/posts/", 7);
  assert_int_equal(tn_url_finish(&u), 7);
}

static void test_url_error_wins(void **state) {
  (void)state;
  char out[16];
  tn_url_t u;
  tn_url_init(&u, out, sizeof out);
  tn_url_lit(&u, "/a", 2);
  tn_url_fail(&u, TN_EINVAL);
  tn_url_fail(&u, TN_ERANGE); /* the first error is the one reported */
  tn_url_lit(&u, "/b", 2);
  assert_int_equal(tn_url_finish(&u), TN_EINVAL);
}

/* Every byte survives encode-then-decode, as a segment and as a path. */
static void test_url_round_trip_all_bytes(void **state) {
  (void)state;
  char value[255], out[1024], back[1024];
  for (int i = 0; i < 255; i++)
    value[i] = (char)(i + 1);
  for (int keep = 0; keep <= 1; keep++) {
    tn_url_t u;
    tn_url_init(&u, out, sizeof out);
    if (keep)
      tn_url_path(&u, (tn_str_t){value, sizeof value});
    else
      tn_url_segment(&u, (tn_str_t){value, sizeof value});
    int n = tn_url_finish(&u);
    assert_true(n > 0 && n < (int)sizeof out);
    for (int i = 0; i < n; i++) {
      unsigned char c = (unsigned char)out[i];
      assert_true(c > 0x20 && c < 0x7f && c != '?' && c != '#');
      if (!keep)
        assert_true(c != '/');
    }
    assert_int_equal(tn_percent_decode(back, out, (size_t)n), 255);
    assert_memory_equal(back, value, 255);
  }
}

/* --- reversal by name ---------------------------------------------------- */

static int reverse_post(char *out, size_t size, const tn_str_t *args) {
  int64_t id;
  tn_url_t u;
  tn_url_init(&u, out, size);
  tn_url_lit(&u, "/posts/", 7);
  if (tn_parse_int64(args[0], &id))
    tn_url_fail(&u, TN_EINVAL);
  else
    tn_url_int64(&u, id);
  return tn_url_finish(&u);
}

static int reverse_home(char *out, size_t size, const tn_str_t *args) {
  (void)args;
  tn_url_t u;
  tn_url_init(&u, out, size);
  tn_url_lit(&u, "/", 1);
  return tn_url_finish(&u);
}

static const tn_route_t routes[] = {{"home", 0, reverse_home},
                                    {"post", 1, reverse_post}};
static const tn_app_t app = {
    .name = "blog", .routes = routes, .nroutes = 2};

static void test_reverse_by_name(void **state) {
  (void)state;
  char out[64];
  const char *args[] = {"42", "x"};
  assert_int_equal(tn_reverse_url(&app, out, sizeof out, "post", args, 1), 9);
  assert_string_equal(out, "/posts/42");
  assert_int_equal(tn_reverse_url(&app, out, sizeof out, "home", NULL, 0), 1);
  assert_string_equal(out, "/");
  assert_int_equal(tn_reverse_url(&app, out, sizeof out, "nope", args, 1),
                   TN_ENOROUTE);
  assert_int_equal(tn_reverse_url(&app, out, sizeof out, "post", args, 2),
                   TN_EARITY);
  assert_int_equal(tn_reverse_url(&app, out, sizeof out, "post", args, 0),
                   TN_EARITY);
  const char *bad[] = {"4x2"};
  assert_int_equal(tn_reverse_url(&app, out, sizeof out, "post", bad, 1),
                   TN_EINVAL);
  const char *null_arg[] = {NULL};
  assert_int_equal(tn_reverse_url(&app, out, sizeof out, "post", null_arg, 1),
                   TN_EINVAL);
}

/* --- the request arena --------------------------------------------------- */

static void test_arena(void **state) {
  (void)state;
  tn_req_t *req = calloc(1, sizeof *req);
  assert_non_null(req);
  for (int round = 0; round < 3; round++) {
    tn__arena_reset(req);
    size_t sizes[] = {1, 7, 16, 100, 500, 4000, 5000, 3, 70000, 9};
    unsigned char *blocks[sizeof sizes / sizeof *sizes];
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
      blocks[i] = tn_req_alloc(req, sizes[i]);
      assert_non_null(blocks[i]);
      assert_int_equal((uintptr_t)blocks[i] % _Alignof(max_align_t), 0);
      memset(blocks[i], (int)i, sizes[i]); /* ASan checks the bounds */
    }
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
      for (size_t j = 0; j < sizes[i]; j++)
        assert_int_equal(blocks[i][j], (unsigned char)i);
  }
  tn__arena_reset(req); /* frees the chunks: LeakSanitizer would tell */
  free(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode),
      cmocka_unit_test(test_decode_rejects),
      cmocka_unit_test(test_decode_in_place),
      cmocka_unit_test(test_url_pieces),
      cmocka_unit_test(test_url_int_extremes),
      cmocka_unit_test(test_url_truncation),
      cmocka_unit_test(test_url_error_wins),
      cmocka_unit_test(test_url_round_trip_all_bytes),
      cmocka_unit_test(test_reverse_by_name),
      cmocka_unit_test(test_arena),
  };
  return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
