/* test_rt_range.c -- Range and If-Range for static files, and the body
 * ETag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

static tn_str_t S(const char *s) { return (tn_str_t){s, strlen(s)}; }

static void expect_part(const char *field, uint64_t size, uint64_t start,
                        uint64_t len) {
  uint64_t s = 0, l = 0;
  int r = tn__range_parse(S(field), size, &s, &l);
  if (r != TN__RANGE_PART)
    fail_msg("'%s' of %llu: result %d, wanted a part", field,
             (unsigned long long)size, r);
  assert_int_equal(s, start);
  assert_int_equal(l, len);
}

static void expect(const char *field, uint64_t size, int want) {
  uint64_t s, l;
  int r = tn__range_parse(S(field), size, &s, &l);
  if (r != want)
    fail_msg("'%s' of %llu: result %d, wanted %d", field,
             (unsigned long long)size, r, want);
}

static void test_single_ranges(void **state) {
  (void)state;
  expect_part("bytes=0-99", 1000, 0, 100);
  expect_part("bytes=100-", 1000, 100, 900);
  expect_part("bytes=-100", 1000, 900, 100);
  expect_part("bytes=-5000", 1000, 0, 1000);  /* suffix longer: all */
  expect_part("bytes=990-5000", 1000, 990, 10); /* clipped to the end */
  expect_part("bytes=999-999", 1000, 999, 1);
  expect_part("BYTES=1-2", 1000, 1, 2);
  expect_part(" bytes= 1-2 ", 1000, 1, 2);
  expect_part("bytes=0-18446744073709551615", 10, 0, 10);
}

static void test_unsatisfiable(void **state) {
  (void)state;
  expect("bytes=1000-", 1000, TN__RANGE_UNSATISFIABLE);
  expect("bytes=5000-6000", 1000, TN__RANGE_UNSATISFIABLE);
  expect("bytes=-0", 1000, TN__RANGE_UNSATISFIABLE);
  expect("bytes=0-", 0, TN__RANGE_UNSATISFIABLE);
  expect("bytes=-10", 0, TN__RANGE_UNSATISFIABLE);
}

static void test_ignored(void **state) {
  (void)state;
  expect("bytes=0-1,5-6", 1000, TN__RANGE_WHOLE); /* a list: the whole */
  expect("bytes=5-1", 1000, TN__RANGE_WHOLE);     /* last < first */
  expect("items=0-1", 1000, TN__RANGE_WHOLE);
  expect("bytes=", 1000, TN__RANGE_WHOLE);
  expect("bytes=-", 1000, TN__RANGE_WHOLE);
  expect("bytes=a-b", 1000, TN__RANGE_WHOLE);
  expect("bytes=1-2x", 1000, TN__RANGE_WHOLE);
  expect("bytes=+1-2", 1000, TN__RANGE_WHOLE);
  expect("bytes=99999999999999999999-", 1000, TN__RANGE_WHOLE);
}

static void test_if_range(void **state) {
  (void)state;
  tn_str_t etag = S("\"abc\""), date = S("Sun, 06 Nov 1994 08:49:37 GMT");
  assert_true(tn__if_range_ok((tn_str_t){NULL, 0}, etag, date));
  assert_true(tn__if_range_ok(S("\"abc\""), etag, date));
  assert_false(tn__if_range_ok(S("\"abd\""), etag, date));
  assert_false(tn__if_range_ok(S("W/\"abc\""), etag, date)); /* weak */
  assert_true(tn__if_range_ok(S("Sun, 06 Nov 1994 08:49:37 GMT"), etag,
                              date));
  assert_false(tn__if_range_ok(S("Sun, 06 Nov 1994 08:49:38 GMT"), etag,
                               date));
}

static void test_body_etag(void **state) {
  (void)state;
  char a[TN__ETAG_SIZE], b[TN__ETAG_SIZE];
  /* Every length through the lanes and the tails, and one flipped bit at
   * every position, changes the tag. */
  unsigned char data[100];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (unsigned char)(i * 7);
  for (size_t n = 0; n < sizeof data; n++) {
    tn__body_etag(a, data, n, false);
    tn__body_etag(b, data, n + 1, false);
    assert_string_not_equal(a, b);
  }
  tn__body_etag(a, data, sizeof data, false);
  for (size_t i = 0; i < sizeof data * 8; i++) {
    data[i / 8] ^= (unsigned char)(1u << (i % 8));
    tn__body_etag(b, data, sizeof data, false);
    assert_string_not_equal(a, b);
    data[i / 8] ^= (unsigned char)(1u << (i % 8));
  }
  tn__body_etag(b, data, sizeof data, false);
  assert_string_equal(a, b); /* and the same bytes, the same tag */
  assert_int_equal(strlen(a), 18);
  assert_int_equal(a[0], '"');
  int n = tn__body_etag(b, data, sizeof data, true);
  assert_int_equal(n, 20);
  assert_memory_equal(b, "W/", 2);
  assert_string_equal(b + 2, a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_ranges),
      cmocka_unit_test(test_unsatisfiable),
      cmocka_unit_test(test_ignored),
      cmocka_unit_test(test_if_range),
      cmocka_unit_test(test_body_etag),
  };
  return cmocka_run_group_tests_name("range", tests, NULL, NULL);
}
