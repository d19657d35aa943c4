/* test_gen_fixture.c -- behavioural test of tornc's generated router.
 *
 * The build runs tornc on fixture.troute, re2c on fixture_routes.re, and
 * links this file with fixture_routes.c and libtorn. The tests call
 * fixture_match() on many paths and methods and check the route id, the
 * captures and the allow mask. Each path is copied into a heap block of
 * exactly its length plus the byte that ends it (NUL, '?' or ' ', as
 * tn_match_cb promises), so AddressSanitizer catches a read past that
 * byte. Every path is tried with each of the three.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* ---- The handlers the fixture names (never called: no request) -------- */

void home(tn_req_t *req) { (void)req; }
void api(tn_req_t *req) { (void)req; }
void users(tn_req_t *req) { (void)req; }
void user_show(tn_req_t *req, const struct fixture_user_args *a)
{
  (void)req, (void)a;
}
void user_edit(tn_req_t *req, const struct fixture_user_edit_args *a)
{
  (void)req, (void)a;
}
void archive(tn_req_t *req, const struct fixture_archive_args *a)
{
  (void)req, (void)a;
}
void file_raw(tn_req_t *req, const struct fixture_file_args *a)
{
  (void)req, (void)a;
}
void tag(tn_req_t *req, const struct fixture_tag_args *a)
{
  (void)req, (void)a;
}
void odd(tn_req_t *req, const struct fixture_odd_args *a)
{
  (void)req, (void)a;
}
void range(tn_req_t *req, const struct fixture_range_args *a)
{
  (void)req, (void)a;
}

/* ---- Helpers ------------------------------------------------------------ */

#define GET_HEAD (TN_METHOD_GET | TN_METHOD_HEAD)
#define ALL_METHODS                                                        \
  (TN_METHOD_GET | TN_METHOD_HEAD | TN_METHOD_POST | TN_METHOD_PUT |       \
   TN_METHOD_PATCH | TN_METHOD_DELETE | TN_METHOD_OPTIONS)

/* The result of one fixture_match() call. */
typedef struct {
  int route;
  unsigned allow;
  int ncaps;
  char caps[FIXTURE_MAX_PARAMS][64];
} result;

/* Matches `len` bytes of `path`, copied into a block of exactly that
 * size plus the terminator `end`. Captures are copied out before the
 * block is freed; `ncaps` captures are kept. */
static result match_end(unsigned method, const char *path, size_t len,
                        char end, int ncaps)
{
  result r = {.ncaps = ncaps};
  char *copy = malloc(len + 1);
  assert_non_null(copy);
  memcpy(copy, path, len);
  copy[len] = end;
  tn_str_t caps[FIXTURE_MAX_PARAMS];
  r.allow = 0xdead;
  r.route = fixture_match(method, copy, len, caps, &r.allow);
  for (int i = 0; r.route >= 0 && i < ncaps; i++) {
    assert_true(caps[i].ptr >= copy && caps[i].ptr + caps[i].len <= copy + len);
    assert_true(caps[i].len < sizeof r.caps[i]);
    memcpy(r.caps[i], caps[i].ptr, caps[i].len);
    r.caps[i][caps[i].len] = '\0';
  }
  free(copy);
  return r;
}

/* As match_end, with each of the three terminators: all must agree. */
static result match_n(unsigned method, const char *path, size_t len,
                      int ncaps)
{
  result r = match_end(method, path, len, '\0', ncaps);
  static const char ends[] = {'?', ' '};
  for (int e = 0; e < 2; e++) {
    result o = match_end(method, path, len, ends[e], ncaps);
    assert_int_equal(o.route, r.route);
    assert_int_equal(o.allow, r.allow);
    for (int i = 0; r.route >= 0 && i < ncaps; i++)
      assert_string_equal(o.caps[i], r.caps[i]);
  }
  return r;
}

static result match(unsigned method, const char *path, int ncaps)
{
  return match_n(method, path, strlen(path), ncaps);
}

static void expect_route(unsigned method, const char *path, int route)
{
  result r = match(method, path, 0);
  assert_int_equal(r.route, route);
}

static void expect_none(unsigned method, const char *path, unsigned allow)
{
  result r = match(method, path, 0);
  assert_int_equal(r.route, -1);
  assert_int_equal(r.allow, allow);
}

/* ---- Tests -------------------------------------------------------------- */

static void test_app(void **state)
{
  (void)state;
  assert_string_equal(fixture_app.name, "fixture");
  assert_non_null(fixture_app.dispatch);
  assert_int_equal(FIXTURE_ROUTE_COUNT, 11);
  assert_int_equal(FIXTURE_MAX_PARAMS, 2);
  assert_string_equal(fixture_route_names[FIXTURE_ROUTE_HOME], "home");
  assert_string_equal(fixture_route_names[FIXTURE_ROUTE_USER_DELETE],
                      "user_delete");
  assert_string_equal(fixture_route_names[FIXTURE_ROUTE_RANGE], "range");
  /* Route ids follow declaration order. */
  assert_int_equal(FIXTURE_ROUTE_HOME, 0);
  assert_int_equal(FIXTURE_ROUTE_API, 1);
  assert_int_equal(FIXTURE_ROUTE_USERS, 5);
}

static void test_root(void **state)
{
  (void)state;
  expect_route(TN_METHOD_GET, "/", FIXTURE_ROUTE_HOME);
  expect_route(TN_METHOD_HEAD, "/", FIXTURE_ROUTE_HOME);
  expect_none(TN_METHOD_POST, "/", GET_HEAD);
  expect_none(TN_METHOD_OTHER, "/", GET_HEAD);
  expect_none(TN_METHOD_GET, "", 0);
  expect_none(TN_METHOD_GET, "//", 0);
}

static void test_literal(void **state)
{
  (void)state;
  expect_route(TN_METHOD_GET, "/api", FIXTURE_ROUTE_API);
  expect_route(TN_METHOD_POST, "/api", FIXTURE_ROUTE_API);
  expect_route(TN_METHOD_HEAD, "/api", FIXTURE_ROUTE_API);
  expect_none(TN_METHOD_PUT, "/api", GET_HEAD | TN_METHOD_POST);
  expect_none(TN_METHOD_GET, "/api/", 0);
  expect_none(TN_METHOD_GET, "/ap", 0);
  expect_none(TN_METHOD_GET, "/apix", 0);
  expect_none(TN_METHOD_GET, "/API", 0);
}

static void test_methods_share_pattern(void **state)
{
  (void)state;
  unsigned all = GET_HEAD | TN_METHOD_POST | TN_METHOD_PUT | TN_METHOD_DELETE;
  result r = match(TN_METHOD_GET, "/users/42", 1);
  assert_int_equal(r.route, FIXTURE_ROUTE_USER);
  assert_string_equal(r.caps[0], "42");
  expect_route(TN_METHOD_HEAD, "/users/42", FIXTURE_ROUTE_USER);
  expect_route(TN_METHOD_POST, "/users/42", FIXTURE_ROUTE_USER_EDIT);
  expect_route(TN_METHOD_PUT, "/users/42", FIXTURE_ROUTE_USER_EDIT);
  expect_route(TN_METHOD_DELETE, "/users/42", FIXTURE_ROUTE_USER_DELETE);
  expect_none(TN_METHOD_PATCH, "/users/42", all);
  expect_none(TN_METHOD_OPTIONS, "/users/42", all);
  expect_route(TN_METHOD_GET, "/users", FIXTURE_ROUTE_USERS);
  expect_none(TN_METHOD_POST, "/users", GET_HEAD);
}

static void test_int(void **state)
{
  (void)state;
  result r = match(TN_METHOD_GET, "/users/-7", 1);
  assert_int_equal(r.route, FIXTURE_ROUTE_USER);
  assert_string_equal(r.caps[0], "-7");
  /* Out of range, or not canonical: not an int at all. */
  expect_none(TN_METHOD_GET, "/users/99999999999999999999999", 0);
  expect_none(TN_METHOD_GET, "/users/9223372036854775808", 0);
  expect_none(TN_METHOD_GET, "/users/007", 0);
  expect_none(TN_METHOD_GET, "/users/-0", 0);
  expect_none(TN_METHOD_GET, "/users/", 0);
  expect_none(TN_METHOD_GET, "/users/-", 0);
  expect_none(TN_METHOD_GET, "/users/4x", 0);
  expect_none(TN_METHOD_GET, "/users/+4", 0);
  expect_none(TN_METHOD_GET, "/users/--4", 0);
  expect_none(TN_METHOD_GET, "/users/42/", 0);
  expect_none(TN_METHOD_GET, "/users/4 2", 0);
}

static void test_two_params(void **state)
{
  (void)state;
  result r = match(TN_METHOD_GET, "/archive/2024/3", 2);
  assert_int_equal(r.route, FIXTURE_ROUTE_ARCHIVE);
  assert_string_equal(r.caps[0], "2024");
  assert_string_equal(r.caps[1], "3");
  expect_none(TN_METHOD_GET, "/archive/2024/03", 0);
  expect_none(TN_METHOD_GET, "/archive/2024", 0);
  expect_none(TN_METHOD_GET, "/archive/2024/", 0);
  expect_none(TN_METHOD_GET, "/archive//03", 0);
  expect_none(TN_METHOD_POST, "/archive/1/2", GET_HEAD);

  r = match(TN_METHOD_GET, "/range/v10-20", 2);
  assert_int_equal(r.route, FIXTURE_ROUTE_RANGE);
  assert_string_equal(r.caps[0], "10");
  assert_string_equal(r.caps[1], "20");
  r = match(TN_METHOD_GET, "/range/v-1--2", 2);
  assert_int_equal(r.route, FIXTURE_ROUTE_RANGE);
  assert_string_equal(r.caps[0], "-1");
  assert_string_equal(r.caps[1], "-2");
  expect_none(TN_METHOD_GET, "/range/v10", 0);
  expect_none(TN_METHOD_GET, "/range/10-20", 0);
}

static void test_str(void **state)
{
  (void)state;
  result r = match(TN_METHOD_DELETE, "/files/a.tar.gz/raw", 1);
  assert_int_equal(r.route, FIXTURE_ROUTE_FILE);
  assert_string_equal(r.caps[0], "a.tar.gz");
  r = match(TN_METHOD_GET, "/files/%2F%20x/raw", 1);
  assert_int_equal(r.route, FIXTURE_ROUTE_FILE);
  assert_string_equal(r.caps[0], "%2F%20x");
  expect_none(TN_METHOD_GET, "/files//raw", 0);
  expect_none(TN_METHOD_GET, "/files/a/b/raw", 0);
  expect_none(TN_METHOD_GET, "/files/a/raw/", 0);
  /* ANY: every method but HEAD written, and HEAD through GET. */
  expect_route(TN_METHOD_OPTIONS, "/files/a/raw", FIXTURE_ROUTE_FILE);
  expect_route(TN_METHOD_HEAD, "/files/a/raw", FIXTURE_ROUTE_FILE);
  expect_none(TN_METHOD_OTHER, "/files/a/raw", ALL_METHODS);

  r = match(TN_METHOD_GET, "/tags/c/12", 2);
  assert_int_equal(r.route, FIXTURE_ROUTE_TAG);
  assert_string_equal(r.caps[0], "c");
  assert_string_equal(r.caps[1], "12");
  expect_none(TN_METHOD_GET, "/tags/c/x", 0);
}

static void test_quoted_bytes(void **state)
{
  (void)state;
  result r = match(TN_METHOD_OPTIONS, "/odd/q\"u\\o.te-5", 1);
  assert_int_equal(r.route, FIXTURE_ROUTE_ODD);
  assert_string_equal(r.caps[0], "5");
  expect_none(TN_METHOD_GET, "/odd/q\"u\\o.te-5", TN_METHOD_OPTIONS);
  expect_none(TN_METHOD_OPTIONS, "/odd/q\"u\\oxte-5", 0);
}

/* The path ends at `len`, where one of the three terminators is: what
 * follows it (a query, the HTTP version) is never read. */
static void test_terminators(void **state)
{
  (void)state;
  result r = match_end(TN_METHOD_GET, "/api?x=1", 4, '?', 0);
  assert_int_equal(r.route, FIXTURE_ROUTE_API);
  r = match_end(TN_METHOD_GET, "/users/12 HTTP/1.1", 9, ' ', 1);
  assert_int_equal(r.route, FIXTURE_ROUTE_USER);
  assert_string_equal(r.caps[0], "12");
  r = match_end(TN_METHOD_GET, "/files/a?/raw", 8, '?', 0);
  assert_int_equal(r.route, -1);
  assert_int_equal(r.allow, 0);
  /* A terminator inside the first `len` bytes ends the match early: it is
   * not a route's path, whatever follows. */
  r = match_end(TN_METHOD_GET, "/api\0/x", 7, '\0', 0);
  assert_int_equal(r.route, -1);
  r = match_end(TN_METHOD_GET, "/files/a b/raw", 14, '\0', 0);
  assert_int_equal(r.route, -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_app),
      cmocka_unit_test(test_root),
      cmocka_unit_test(test_literal),
      cmocka_unit_test(test_methods_share_pattern),
      cmocka_unit_test(test_int),
      cmocka_unit_test(test_two_params),
      cmocka_unit_test(test_str),
      cmocka_unit_test(test_quoted_bytes),
      cmocka_unit_test(test_terminators),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
