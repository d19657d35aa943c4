/* test_gen_types.c -- every parameter type through the code tornc
 * generates for types.troute: what each type's automaton accepts at its
 * boundaries, the typed and by-name URL builders, and the reversal
 * property: for random values of every type, the URL a builder makes is
 * matched by its own route, and each capture decodes back to the value.
 *
 * Paths are copied into heap blocks of exactly their length plus the
 * terminator, so AddressSanitizer catches a read past it.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "types.h"

/* ---- The handlers types.troute names (never called) -------------------- */

#define HANDLER(name, route)                                               \
  void name(tn_req_t *req, const struct types_##route##_args *a)           \
  {                                                                        \
    (void)req, (void)a;                                                    \
  }
HANDLER(h_int, int_r)
HANDLER(h_int_not, int_not)
HANDLER(h_uint, uint_r)
HANDLER(h_str, str_r)
HANDLER(h_slug, slug_r)
HANDLER(h_uuid, uuid_r)
HANDLER(h_path, path_r)
HANDLER(h_word, word_r)
HANDLER(h_txt, txt_r)
HANDLER(h_multi, multi)
HANDLER(h_api_user, api_user)

/* ---- Matching ----------------------------------------------------------- */

typedef struct {
  int route;
  unsigned allow;
  char caps[TYPES_MAX_PARAMS][512];
  size_t lens[TYPES_MAX_PARAMS];
} result;

/* Matches NUL-terminated `path` as GET, with the capture text copied. */
static result match(const char *path)
{
  size_t len = strlen(path);
  char *copy = malloc(len + 1);
  assert_non_null(copy);
  memcpy(copy, path, len + 1);
  result r = {0};
  tn_str_t caps[TYPES_MAX_PARAMS];
  r.route = types_match(TN_METHOD_GET, copy, len, caps, &r.allow);
  for (int i = 0; r.route >= 0 && i < TYPES_MAX_PARAMS; i++) {
    if (r.route < TYPES_ROUTE_COUNT &&
        i >= (int)types_routes[r.route].nparams)
      break;
    if (r.route >= TYPES_ROUTE_COUNT && i > 0)
      break;
    assert_true(caps[i].ptr >= copy && caps[i].ptr + caps[i].len <= copy + len);
    assert_true(caps[i].len < sizeof r.caps[i]);
    memcpy(r.caps[i], caps[i].ptr, caps[i].len);
    r.caps[i][caps[i].len] = '\0';
    r.lens[i] = caps[i].len;
  }
  free(copy);
  return r;
}

static void expect(const char *path, int route, const char *cap0)
{
  result r = match(path);
  if (r.route != route)
    fail_msg("%s: route %d, expected %d", path, r.route, route);
  if (cap0)
    assert_string_equal(r.caps[0], cap0);
}

static void expect_none(const char *path) { expect(path, -1, NULL); }

/* Canonical digits out of the type's range: the automaton takes them,
 * then the rule's range check refuses the match -- no route, and no
 * falling through to a later one either. */
static void expect_out_of_range(const char *path) { expect_none(path); }

/* ---- Boundaries of each type ------------------------------------------------ */

static void test_int(void **state)
{
  (void)state;
  expect("/i/0", TYPES_ROUTE_INT_R, "0");
  expect("/i/-1", TYPES_ROUTE_INT_R, "-1");
  expect("/i/42", TYPES_ROUTE_INT_R, "42");
  expect("/i/9223372036854775807", TYPES_ROUTE_INT_R, "9223372036854775807");
  expect("/i/-9223372036854775808", TYPES_ROUTE_INT_R,
         "-9223372036854775808");
  expect("/i/999999999999999999", TYPES_ROUTE_INT_R, NULL); /* 18 digits */
  expect("/i/1000000000000000000", TYPES_ROUTE_INT_R, NULL); /* 19 */
  expect("/i/9223372036854775799", TYPES_ROUTE_INT_R, NULL);
  expect("/i/9213372036854775808", TYPES_ROUTE_INT_R, NULL);
  expect_out_of_range("/i/9223372036854775808");
  expect_out_of_range("/i/-9223372036854775809");
  expect_out_of_range("/i/9300000000000000000");
  expect_out_of_range("/i/99999999999999999999999");
  /* Not an int at all: falls through to the str route after it. */
  expect("/i/+1", TYPES_ROUTE_INT_NOT, NULL);
  expect("/i/01", TYPES_ROUTE_INT_NOT, NULL);
  expect("/i/-0", TYPES_ROUTE_INT_NOT, NULL);
  expect("/i/00", TYPES_ROUTE_INT_NOT, NULL);
  expect("/i/-", TYPES_ROUTE_INT_NOT, NULL);
  expect("/i/1e3", TYPES_ROUTE_INT_NOT, NULL);
  expect_none("/i/");
  expect_none("/i//");
  expect_none("/i/1/");
}

static void test_uint(void **state)
{
  (void)state;
  expect("/n/0", TYPES_ROUTE_UINT_R, "0");
  expect("/n/18446744073709551615", TYPES_ROUTE_UINT_R, NULL);
  expect("/n/9999999999999999999", TYPES_ROUTE_UINT_R, NULL); /* 19 */
  expect("/n/18446744073709551609", TYPES_ROUTE_UINT_R, NULL);
  expect_out_of_range("/n/18446744073709551616");
  expect_out_of_range("/n/18446744073709551620");
  expect_out_of_range("/n/19000000000000000000");
  expect_out_of_range("/n/99999999999999999999");
  expect_none("/n/-1");
  expect_none("/n/+1");
  expect_none("/n/01");
  expect_none("/n/");
}

static void test_str(void **state)
{
  (void)state;
  /* The capture is the raw text: escapes are kept, %2F does not split. */
  expect("/s/a%20b", TYPES_ROUTE_STR_R, "a%20b");
  expect("/s/a%2Fb", TYPES_ROUTE_STR_R, "a%2Fb");
  expect("/s/%FF%00", TYPES_ROUTE_STR_R, "%FF%00");
  expect("/s/\xc3\xa9\xff\x01", TYPES_ROUTE_STR_R, "\xc3\xa9\xff\x01");
  expect("/s/.", TYPES_ROUTE_STR_R, ".");
  expect_none("/s/");
  expect_none("/s/a/b");
  expect_none("/s/a/");
  /* str then literal text in the same segment: the last ".txt" ends it. */
  expect("/f/a.txt", TYPES_ROUTE_TXT_R, "a");
  expect("/f/a.txt.txt", TYPES_ROUTE_TXT_R, "a.txt");
  expect("/f/.txt.txt", TYPES_ROUTE_TXT_R, ".txt");
  expect_none("/f/.txt");
  expect_none("/f/a.txt/");
  expect_none("/f/a.tx");
}

static void test_slug_uuid(void **state)
{
  (void)state;
  expect("/g/a", TYPES_ROUTE_SLUG_R, "a");
  expect("/g/Hello_World-2", TYPES_ROUTE_SLUG_R, "Hello_World-2");
  expect("/g/-_-", TYPES_ROUTE_SLUG_R, "-_-");
  expect_none("/g/");
  expect_none("/g/a.b");
  expect_none("/g/a%20b");
  expect_none("/g/caf\xc3\xa9");
  expect("/d/123e4567-e89b-12d3-a456-426614174000", TYPES_ROUTE_UUID_R, NULL);
  expect("/d/ABCDEF00-0000-0000-0000-abcdef000000", TYPES_ROUTE_UUID_R, NULL);
  expect_none("/d/123e4567-e89b-12d3-a456-42661417400");
  expect_none("/d/123e4567-e89b-12d3-a456-4266141740000");
  expect_none("/d/123e4567e89b-12d3-a456-426614174000-");
  expect_none("/d/g23e4567-e89b-12d3-a456-426614174000");
  expect_none("/d/{123e4567-e89b-12d3-a456-426614174000}");
}

static void test_path(void **state)
{
  (void)state;
  expect("/p/a", TYPES_ROUTE_PATH_R, "a");
  expect("/p/a/b/c.txt", TYPES_ROUTE_PATH_R, "a/b/c.txt");
  expect("/p//", TYPES_ROUTE_PATH_R, "/");
  expect("/p/a/", TYPES_ROUTE_PATH_R, "a/");
  expect("/p/%2F%3F", TYPES_ROUTE_PATH_R, "%2F%3F");
  expect_none("/p/");
  expect_none("/p");
}

static void test_inline(void **state)
{
  (void)state;
  expect("/~abc", TYPES_ROUTE_WORD_R, "abc");        /* 3 bytes: the least */
  expect("/~abcdefghijklmnop", TYPES_ROUTE_WORD_R, NULL); /* 16: the most */
  expect("/~a_9", TYPES_ROUTE_WORD_R, "a_9");
  expect_none("/~ab");
  expect_none("/~abcdefghijklmnopq"); /* 17 */
  expect_none("/~9ab");
  expect_none("/~Abc");
  expect_none("/~ab-c");
  expect_none("/~abc/");
}

static void test_multi_prefix_redirect(void **state)
{
  (void)state;
  result r = match("/m/-5/x%2Fy/a-b/7-123e4567-e89b-12d3-a456-426614174000"
                   "/r/e/s/t");
  assert_int_equal(r.route, TYPES_ROUTE_MULTI);
  assert_string_equal(r.caps[0], "-5");
  assert_string_equal(r.caps[1], "x%2Fy");
  assert_string_equal(r.caps[2], "a-b");
  assert_string_equal(r.caps[3], "7");
  assert_string_equal(r.caps[4], "123e4567-e89b-12d3-a456-426614174000");
  assert_string_equal(r.caps[5], "r/e/s/t");

  expect("/api/v1/users/7", TYPES_ROUTE_API_USER, "7");
  expect_none("/v1/users/7");
  expect_none("/api/users/7");
  /* Redirects come after the routes, in declaration order; any method. */
  expect("/api/user/7", TYPES_ROUTE_COUNT + 0, "7");
  expect("/old/-3", TYPES_ROUTE_COUNT + 1, "-3");
  expect("/w/abc/x", TYPES_ROUTE_COUNT + 2, "abc");
  unsigned allow;
  tn_str_t caps[TYPES_MAX_PARAMS];
  char post[] = "/old/1";
  assert_int_equal(types_match(TN_METHOD_POST, post, 6, caps, &allow),
                   TYPES_ROUTE_COUNT + 1);
  char other[] = "/old/1";
  assert_int_equal(types_match(TN_METHOD_OTHER, other, 6, caps, &allow),
                   TYPES_ROUTE_COUNT + 1);
  /* 405 lists exactly the path's methods, GET bringing HEAD. */
  char put[] = "/i/1";
  assert_int_equal(types_match(TN_METHOD_PUT, put, 4, caps, &allow), -1);
  assert_int_equal(allow, TN_METHOD_GET | TN_METHOD_HEAD);
  char del[] = "/api/v1/users/7";
  assert_int_equal(types_match(TN_METHOD_DELETE, del, 15, caps, &allow), -1);
  assert_int_equal(allow, TN_METHOD_GET | TN_METHOD_HEAD | TN_METHOD_PUT);
}

static void test_app(void **state)
{
  (void)state;
  assert_string_equal(types_app.name, "types");
  assert_true(types_app.match == types_match);
  assert_true(types_app.routes == types_routes);
  assert_int_equal(types_app.nroutes, TYPES_ROUTE_COUNT);
  assert_int_equal(types_app.flags, TN_APP_SLASH_REDIRECT);
  assert_int_equal(TYPES_MAX_PARAMS, 6);
  assert_string_equal(types_routes[TYPES_ROUTE_MULTI].name, "multi");
  assert_int_equal(types_routes[TYPES_ROUTE_MULTI].nparams, 6);
  assert_int_equal(types_routes[TYPES_ROUTE_INT_R].nparams, 1);
}

/* ---- URL building ------------------------------------------------------- */

static void test_builders(void **state)
{
  (void)state;
  char buf[256];
  assert_int_equal(types_url_int_r(buf, sizeof buf, INT64_MIN), 23);
  assert_string_equal(buf, "/i/-9223372036854775808");
  assert_int_equal(types_url_uint_r(buf, sizeof buf, UINT64_MAX), 23);
  assert_string_equal(buf, "/n/18446744073709551615");
  assert_int_equal(types_url_str_r(buf, sizeof buf, "a/b c%"), 15);
  assert_string_equal(buf, "/s/a%2Fb%20c%25");
  assert_int_equal(types_url_path_r(buf, sizeof buf, "a/b c"), 10);
  assert_string_equal(buf, "/p/a/b%20c");
  assert_int_equal(types_url_txt_r(buf, sizeof buf, "x.txt"), 12);
  assert_string_equal(buf, "/f/x.txt.txt");
  assert_int_equal(types_url_api_user(buf, sizeof buf, 9), 15);
  assert_string_equal(buf, "/api/v1/users/9");
  assert_true(types_url_multi(buf, sizeof buf, -1, "b", "c", 2,
                              "123e4567-e89b-12d3-a456-426614174000",
                              "f/g") > 0);
  assert_string_equal(
      buf, "/m/-1/b/c/2-123e4567-e89b-12d3-a456-426614174000/f/g");

  /* Values outside their type. */
  assert_int_equal(types_url_str_r(buf, sizeof buf, ""), TN_EINVAL);
  assert_int_equal(types_url_str_r(buf, sizeof buf, NULL), TN_EINVAL);
  assert_int_equal(types_url_path_r(buf, sizeof buf, ""), TN_EINVAL);
  assert_int_equal(types_url_slug_r(buf, sizeof buf, "a.b"), TN_EINVAL);
  assert_int_equal(types_url_slug_r(buf, sizeof buf, ""), TN_EINVAL);
  assert_int_equal(types_url_uuid_r(buf, sizeof buf, "123"), TN_EINVAL);
  assert_int_equal(types_url_word_r(buf, sizeof buf, "ab"), TN_EINVAL);
  assert_int_equal(types_url_word_r(buf, sizeof buf, "abcdefghijklmnopq"),
                   TN_EINVAL);
  assert_int_equal(types_url_word_r(buf, sizeof buf, "Abc"), TN_EINVAL);
  assert_int_equal(types_url_word_r(buf, sizeof buf, "abcdefghijklmnop"), 18);

  /* Truncation: the full length, and what fits NUL-terminated. */
  char small[5];
  assert_int_equal(types_url_str_r(small, sizeof small, "abc/def"), 12);
  assert_string_equal(small, "/s/a");
  assert_int_equal(types_url_int_r(NULL, 0, 5), 4);
}

static void test_by_name(void **state)
{
  (void)state;
  char a[256], b[256];
  const char *args[6] = {"-1", "b/c", "c", "2",
                         "123e4567-e89b-12d3-a456-426614174000", "f g"};
  int n = tn_reverse_url(&types_app, a, sizeof a, "multi", args, 6);
  assert_int_equal(n, types_url_multi(b, sizeof b, -1, "b/c", "c", 2, args[4],
                                      "f g"));
  assert_string_equal(a, b);
  assert_int_equal(tn_reverse_url(&types_app, a, sizeof a, "nope", args, 1),
                   TN_ENOROUTE);
  assert_int_equal(tn_reverse_url(&types_app, a, sizeof a, "multi", args, 5),
                   TN_EARITY);
  const char *bad_int[] = {"x"};
  assert_int_equal(tn_reverse_url(&types_app, a, sizeof a, "int_r", bad_int,
                                  1),
                   TN_EINVAL);
  const char *big[] = {"18446744073709551616"};
  assert_int_equal(tn_reverse_url(&types_app, a, sizeof a, "uint_r", big, 1),
                   TN_EINVAL);
  const char *bad_slug[] = {"a b"};
  assert_int_equal(tn_reverse_url(&types_app, a, sizeof a, "slug_r",
                                  bad_slug, 1),
                   TN_EINVAL);
  /* The route table's own builder refuses a NUL inside a value. */
  tn_str_t nul[] = {{"a\0b", 3}};
  assert_int_equal(types_routes[TYPES_ROUTE_STR_R].reverse(a, sizeof a, nul),
                   TN_EINVAL);
  assert_int_equal(types_routes[TYPES_ROUTE_SLUG_R].reverse(a, sizeof a, nul),
                   TN_EINVAL);
}

/* ---- The reversal property ---------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Random bytes, 1..40 of them, none NUL; '/', '%', '?', ' ' and high
 * bytes come often. */
static size_t random_bytes(char *out)
{
  static const char often[] = "/%? .~a9\x80\xff";
  size_t n = 1 + next() % 40;
  for (size_t i = 0; i < n; i++) {
    uint64_t x = next();
    out[i] = (x & 1) ? often[(x >> 1) % (sizeof often - 1)]
                     : (char)(1 + (x >> 1) % 255);
  }
  out[n] = '\0';
  return n;
}

static int64_t random_int(void)
{
  switch (next() % 4) {
  case 0: return (int64_t)next();
  case 1: return (int64_t)(next() % 2000) - 1000;
  case 2: return next() % 2 ? INT64_MAX - (int64_t)(next() % 3)
                            : INT64_MIN + (int64_t)(next() % 3);
  default: return (int64_t)(next() >> (next() % 64));
  }
}

static void random_word(char *out)
{
  static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
  size_t n = 3 + next() % 14;
  out[0] = (char)('a' + next() % 26);
  for (size_t i = 1; i < n; i++)
    out[i] = rest[next() % (sizeof rest - 1)];
  out[n] = '\0';
}

/* The capture `k` of `r`, percent-decoded, equals `want`. */
static void expect_decoded(const result *r, int k, const char *want)
{
  char buf[512];
  int n = tn_percent_decode(buf, r->caps[k], r->lens[k]);
  assert_true(n >= 0);
  if ((size_t)n != strlen(want) || memcmp(buf, want, (size_t)n) != 0)
    fail_msg("capture %d: \"%s\" does not decode to the value", k, r->caps[k]);
}

static void expect_int(const result *r, int k, int64_t want)
{
  int64_t v;
  assert_int_equal(tn_parse_int64((tn_str_t){r->caps[k], r->lens[k]}, &v), 0);
  assert_true(v == want);
}

/* One URL built by a typed builder, and by name with the same values as
 * text: the same bytes, matched back by `route`. */
static result round_trip(const char *url, int n, int route, const char *name,
                         const char *const *args, int nargs)
{
  assert_true(n > 0 && n < 1024);
  char by_name[1024];
  assert_int_equal(tn_reverse_url(&types_app, by_name, sizeof by_name, name,
                                  args, (size_t)nargs),
                   n);
  assert_string_equal(by_name, url);
  result r = match(url);
  if (r.route != route)
    fail_msg("%s: route %d, expected %d", url, r.route, route);
  return r;
}

static void test_reversal_property(void **state)
{
  (void)state;
  char url[1024], s[64], t[64], num[32], num2[32];
  for (int iter = 0; iter < 4000; iter++) {
    int64_t i = random_int();
    uint64_t u = next() >> (next() % 64);
    snprintf(num, sizeof num, "%lld", (long long)i);
    snprintf(num2, sizeof num2, "%llu", (unsigned long long)u);

    const char *a1[] = {num};
    result r = round_trip(url, types_url_int_r(url, sizeof url, i),
                          TYPES_ROUTE_INT_R, "int_r", a1, 1);
    expect_int(&r, 0, i);

    const char *a2[] = {num2};
    r = round_trip(url, types_url_uint_r(url, sizeof url, u),
                   TYPES_ROUTE_UINT_R, "uint_r", a2, 1);
    uint64_t v;
    assert_int_equal(tn_parse_uint64((tn_str_t){r.caps[0], r.lens[0]}, &v), 0);
    assert_true(v == u);

    random_bytes(s);
    const char *a3[] = {s};
    r = round_trip(url, types_url_str_r(url, sizeof url, s),
                   TYPES_ROUTE_STR_R, "str_r", a3, 1);
    expect_decoded(&r, 0, s);

    r = round_trip(url, types_url_txt_r(url, sizeof url, s),
                   TYPES_ROUTE_TXT_R, "txt_r", a3, 1);
    expect_decoded(&r, 0, s);

    r = round_trip(url, types_url_path_r(url, sizeof url, s),
                   TYPES_ROUTE_PATH_R, "path_r", a3, 1);
    expect_decoded(&r, 0, s);

    random_word(t);
    const char *a4[] = {t};
    r = round_trip(url, types_url_word_r(url, sizeof url, t),
                   TYPES_ROUTE_WORD_R, "word_r", a4, 1);
    assert_string_equal(r.caps[0], t);

    const char *a5[] = {num, s, t, num2,
                        "123e4567-e89b-12d3-a456-426614174000", s};
    r = round_trip(url,
                   types_url_multi(url, sizeof url, i, s, t, u, a5[4], s),
                   TYPES_ROUTE_MULTI, "multi", a5, 6);
    expect_int(&r, 0, i);
    expect_decoded(&r, 1, s);
    assert_string_equal(r.caps[2], t);
    expect_decoded(&r, 5, s);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_int),
      cmocka_unit_test(test_uint),
      cmocka_unit_test(test_str),
      cmocka_unit_test(test_slug_uuid),
      cmocka_unit_test(test_path),
      cmocka_unit_test(test_inline),
      cmocka_unit_test(test_multi_prefix_redirect),
      cmocka_unit_test(test_app),
      cmocka_unit_test(test_builders),
      cmocka_unit_test(test_by_name),
      cmocka_unit_test(test_reversal_property),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
