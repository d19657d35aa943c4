/* test_gen_tpl.c -- golden tests of tornc's templates.
 *
 * The build runs tornc on tpl.troute (one `template` per case, the files
 * in tpl/), re2c on the router, and links this file with tpl_routes.c,
 * tpl_templates.c and libtorn. Each test renders one template with
 * tpl_render_string_NAME() and fixed arguments, and compares the bytes
 * with tpl/expected/NAME.out, read at run time.
 *
 * The goldens of the cases tpl/tornado_check.py lists are Tornado's own
 * output for the same template and the same values (that script checks
 * them against Tornado in `make test`): keep the arguments here and there
 * in step. The c_* goldens are written by hand from the template spec.
 * test_url_attributes checks the escaping of hostile URLs in URL
 * attributes against expectations built here, and test_url_control_flow
 * that none gets through whatever branch a render takes.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "tpl.h"

/* ---- The handlers the routes name (never called: no request) --------- */

void home(tn_req_t *req) { (void)req; }
void user(tn_req_t *req, const struct tpl_user_args *a)
{
  (void)req, (void)a;
}
void file(tn_req_t *req, const struct tpl_file_args *a)
{
  (void)req, (void)a;
}

/* ---- Goldens ------------------------------------------------------------ */

/* tpl/expected/, next to this source file (the build compiles it by a
 * path relative to the top of the tree, where the tests run), or under
 * $TORN_TPL_DIR when set. */
static char golden_dir[4096];

static void find_golden_dir(void)
{
  const char *env = getenv("TORN_TPL_DIR");
  if (env) {
    snprintf(golden_dir, sizeof golden_dir, "%s/expected/", env);
    return;
  }
  const char *src = __FILE__;
  const char *slash = strrchr(src, '/');
  int dir = slash ? (int)(slash - src) : 1;
  snprintf(golden_dir, sizeof golden_dir, "%.*s/tpl/expected/", dir,
           slash ? src : ".");
}

static char *read_golden(const char *name, size_t *len)
{
  char path[4200];
  snprintf(path, sizeof path, "%s%s.out", golden_dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    print_error("cannot open %s\n", path);
    fail();
  }
  size_t cap = 4096, n = 0;
  char *data = malloc(cap);
  assert_non_null(data);
  size_t got;
  while ((got = fread(data + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      cap *= 2;
      data = realloc(data, cap);
      assert_non_null(data);
    }
  }
  fclose(f);
  *len = n;
  return data;
}

/* `s` (n bytes) as a C string literal's contents, cut to fit `size`. */
static void show(char *out, size_t size, const char *s, size_t n)
{
  size_t o = 0;
  for (size_t i = 0; i < n && o + 8 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n')
      o += (size_t)snprintf(out + o, size - o, "\\n");
    else if (c == '\t')
      o += (size_t)snprintf(out + o, size - o, "\\t");
    else if (c == '\r')
      o += (size_t)snprintf(out + o, size - o, "\\r");
    else if (c == '\\' || c == '"')
      o += (size_t)snprintf(out + o, size - o, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    else
      out[o++] = (char)c;
  }
  out[o] = '\0';
}

/* Compares got[0..glen) with want[0..wlen). When they differ, prints
 * where, puts the excerpts around the first difference in `*e` (for
 * report(), called once the caller has freed what it holds: a failure
 * jumps out of the test) and returns true. */
typedef struct {
  char a[512], b[512];
} excerpt;

static bool differ(const char *what, const char *want, size_t wlen,
                   const char *got, size_t glen, excerpt *e)
{
  if (wlen == glen && (wlen == 0 || memcmp(want, got, wlen) == 0))
    return false;
  size_t i = 0;
  while (i < wlen && i < glen && want[i] == got[i])
    i++;
  size_t from = i > 40 ? i - 40 : 0;
  show(e->a, sizeof e->a, want + from,
       (wlen - from) < 120 ? wlen - from : 120);
  show(e->b, sizeof e->b, got + from, (glen - from) < 120 ? glen - from : 120);
  print_error("%s: %zu bytes expected, %zu rendered; first difference at "
              "byte %zu\n  expected: \"%s\"\n  rendered: \"%s\"\n",
              what, wlen, glen, i, e->a, e->b);
  return true;
}

/* Fails with the excerpts: cmocka's TAP output carries the message of a
 * failed assertion (not print_error's), so compare them. */
static void report(const excerpt *e)
{
  assert_string_equal(e->a, e->b);
  fail();
}

/* Checks a finished render: status 0, a NUL-terminated buffer, and the
 * bytes of expected/NAME.out; frees the buffer. */
static void expect_golden(const char *name, int rc, tn_buf_t *b)
{
  assert_int_equal(rc, 0);
  assert_non_null(b->data);
  assert_true(b->cap > b->len);
  assert_int_equal(b->data[b->len], '\0');
  size_t wlen;
  char *want = read_golden(name, &wlen);
  excerpt e;
  bool bad = differ(name, want, wlen, b->data, b->len, &e);
  free(want);
  tn_buf_free(b);
  if (bad)
    report(&e);
}

static json_t *json(const char *text)
{
  json_error_t err;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
  if (!j) {
    print_error("bad JSON in the test: %s\n", err.text);
    fail();
  }
  return j;
}

#define ITEMS                                                                \
  "[\"plain\", \"<script>alert('x')</script>\", \"a & b\", \"\\\"quoted\\\"\"]"

/* One test per case: RENDER is the call, with `b` the buffer. */
#define GOLDEN(NAME, ...)                                                    \
  static void test_##NAME(void **state)                                      \
  {                                                                          \
    (void)state;                                                             \
    tn_buf_t b = {0};                                                        \
    int rc = tpl_render_string_##NAME(&b, __VA_ARGS__);                      \
    expect_golden(#NAME, rc, &b);                                            \
  }
#define GOLDEN0(NAME)                                                        \
  static void test_##NAME(void **state)                                      \
  {                                                                          \
    (void)state;                                                             \
    tn_buf_t b = {0};                                                        \
    int rc = tpl_render_string_##NAME(&b);                                   \
    expect_golden(#NAME, rc, &b);                                            \
  }

/* ---- Tornado-comparable cases (same values as tpl/tornado_check.py) ---- */

GOLDEN(basic, "Ben <&> \"'", 40)
GOLDEN(escape, "<script>alert(\"x&y\")</script> 'q' &amp; \xc3\xa9")
GOLDEN(ws_single, 7)
GOLDEN(ws_all, 7)
GOLDEN(ws_js, 7)
GOLDEN(ws_directive, 99)
GOLDEN(ws_modes, 3)
GOLDEN(crlf, 2)
GOLDEN(pre, "<x>")
GOLDEN(ae_none, "Bobby <table>s")
GOLDEN(ae_last, "Bobby <table>s")
GOLDEN(raw, "<>&\"", 21)
GOLDEN(ae_url, "a b&c/\xc3\xa9?")
GOLDEN(ae_include, "Bobby <table>s")
GOLDEN(ae_block_esc, "<script>")
GOLDEN(ae_block_unesc, "<script>")
GOLDEN(ae_esc_ext_unesc, "<script>")
GOLDEN(ae_esc_over_unesc, "<script>")
GOLDEN(ae_unesc_ext_esc, "<script>")
GOLDEN(ae_unesc_over_esc, "<script>")
GOLDEN(comments, 5)
GOLDEN(bang, 40)
GOLDEN(braces, "X&")
GOLDEN0(brace_end)
GOLDEN(ifelse, 1, 2, 3, 7)
GOLDEN(while_loop, 100)
GOLDEN(set_param, 1)
GOLDEN(inherit_base, "T<1>", "N&1", 3)
GOLDEN(inherit_child, "T<1>", "N&1", 3)
GOLDEN(inherit_grandchild, "T<1>", "N&1", 3)
GOLDEN0(tornado_page)
GOLDEN(include_ws, 8)
GOLDEN(include_txt, 8)
GOLDEN(unicode, "Zo\xc3\xab <\xc3\xbc>")
GOLDEN0(empty)
GOLDEN0(blank)
GOLDEN0(literals)
GOLDEN(incblock_base, "N")
GOLDEN(incblock_child, "N")

static void loopblock(const char *name,
                      int (*render)(tn_buf_t *, const json_t *, int, int))
{
  json_t *items = json("[\"a\", \"<b>\"]");
  tn_buf_t b = {0};
  int rc = render(&b, items, 1, 0);
  json_decref(items);
  expect_golden(name, rc, &b);
}

static void test_loopblock_base(void **state)
{
  (void)state;
  loopblock("loopblock_base", tpl_render_string_loopblock_base);
}

static void test_loopblock_child(void **state)
{
  (void)state;
  loopblock("loopblock_child", tpl_render_string_loopblock_child);
}

static void test_loops(void **state)
{
  (void)state;
  json_t *items = json(ITEMS), *nums = json("[1, 2, 3]"), *empty = json("[]");
  tn_buf_t b = {0};
  int rc = tpl_render_string_loops(&b, items, nums, empty);
  json_decref(items), json_decref(nums), json_decref(empty);
  expect_golden("loops", rc, &b);
}

static void test_break_continue(void **state)
{
  (void)state;
  json_t *items = json("[\"a\", \"b\", \"c\", \"d\", \"e\"]");
  tn_buf_t b = {0};
  int rc = tpl_render_string_break_continue(&b, 0, items);
  json_decref(items);
  expect_golden("break_continue", rc, &b);
}

static void test_minimize(void **state)
{
  (void)state;
  json_t *items = json("[0, 1, 2, 3, 4]");
  tn_buf_t b = {0};
  int rc = tpl_render_string_minimize(&b, items, 9);
  json_decref(items);
  expect_golden("minimize", rc, &b);
}

static void test_include_vars(void **state)
{
  (void)state;
  json_t *items = json("[\"i1\", \"<i2>\"]");
  tn_buf_t b = {0};
  int rc = tpl_render_string_include_vars(&b, "Ann", 1, items);
  json_decref(items);
  expect_golden("include_vars", rc, &b);
}

/* ---- C-only cases (hand-written goldens) -------------------------------- */

GOLDEN(c_for, 4)
GOLDEN0(c_set)
GOLDEN(c_url, 42, "a b/c&d")
GOLDEN(c_chars, "a<&")

static void test_c_types(void **state)
{
  (void)state;
  static const double ds[] = {
      0.1,    1.0,     -2.5,     1e16,     1e15,
      123456789012345.6, 1.5e-7, 0.0001, 0.00001, -0.0,
      5e-324, 1.7976931348623157e308, 3.14159, 100.0};
  double all[sizeof ds / sizeof *ds + 3];
  size_t n = sizeof ds / sizeof *ds;
  memcpy(all, ds, sizeof ds);
  all[n++] = NAN;
  all[n++] = INFINITY;
  all[n++] = -INFINITY;
  tn_str_t str = {"tn<str>XYZ", 7};
  tn_buf_t b = {0};
  int rc = tpl_render_string_c_types(
      &b, all, (int)n, 2.25f, true, false, 'x', '<', NULL, str, LLONG_MIN,
      ULLONG_MAX, -32768, 200, -5, INT64_MAX, 42);
  expect_golden("c_types", rc, &b);
}

static void test_c_json(void **state)
{
  (void)state;
  json_t *str = json_string("a<b \xc3\xa9"), *num = json_integer(-42);
  json_t *real = json_real(2.5), *whole = json_real(3.0);
  json_t *t = json_true(), *f = json_false(), *nul = json_null();
  json_t *arr = json("[1, \"x<y\", null, true, 0.1, [], {}]");
  json_t *obj = json("{\"b\": 1, \"a\": \"q\\\"uote\", \"c\": [1, 2], "
                     "\"d\": null}");
  tn_buf_t b = {0};
  int rc = tpl_render_string_c_json(&b, str, num, real, whole, t, f, nul,
                                    NULL, arr, obj);
  json_t *all[] = {str, num, real, whole, t, f, nul, arr, obj};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    json_decref(all[i]);
  expect_golden("c_json", rc, &b);
}

static void test_c_helpers(void **state)
{
  (void)state;
  json_t *obj = json("{\"k\": \"</script><!--\", \"u\": \"\\u00e9\\n\", "
                     "\"n\": 1.5, \"l\": [true, null]}");
  tn_buf_t b = {0};
  int rc = tpl_render_string_c_helpers(&b, "a b&c/\xc3\xa9<'>?=+", obj,
                                       "  a \t\n b\x01" "c  ");
  json_decref(obj);
  expect_golden("c_helpers", rc, &b);
}

static void test_c_ae_url(void **state)
{
  (void)state;
  json_t *j = json_string("x/y");
  tn_buf_t b = {0};
  int rc = tpl_render_string_c_ae_url(&b, "a b", -5, j);
  json_decref(j);
  expect_golden("c_ae_url", rc, &b);
}

static void test_c_ae_json(void **state)
{
  (void)state;
  json_t *j = json_string("x</y");
  tn_buf_t b = {0};
  int rc = tpl_render_string_c_ae_json(&b, "\xc3\xa9\"</x>\n\x7f\x01", -5, j);
  json_decref(j);
  expect_golden("c_ae_json", rc, &b);
}

/* A render appends to what the buffer holds, and keeps it a C string. */
static void test_append(void **state)
{
  (void)state;
  tn_buf_t b = {0};
  assert_int_equal(tpl_render_string_brace_end(&b), 0);
  assert_int_equal(tpl_render_string_brace_end(&b), 0);
  size_t wlen;
  char *want = read_golden("brace_end", &wlen);
  char *twice = malloc(2 * wlen + 1);
  assert_non_null(twice);
  memcpy(twice, want, wlen);
  memcpy(twice + wlen, want, wlen);
  excerpt e;
  bool bad = differ("brace_end twice", twice, 2 * wlen, b.data, b.len, &e);
  bool nul = b.data[b.len] == '\0' && strlen(b.data) == b.len;
  free(twice);
  free(want);
  tn_buf_free(&b);
  if (bad)
    report(&e);
  assert_true(nul);
}

/* A long render grows the buffer from nothing (and from a small start). */
static void test_grow(void **state)
{
  (void)state;
  tn_buf_t b = {0};
  for (int i = 0; i < 500; i++)
    assert_int_equal(tpl_render_string_escape(&b, "<&>\"'"), 0);
  tn_buf_t one = {0};
  assert_int_equal(tpl_render_string_escape(&one, "<&>\"'"), 0);
  assert_int_equal(b.len, 500 * one.len);
  for (int i = 0; i < 500; i++)
    assert_memory_equal(b.data + (size_t)i * one.len, one.data, one.len);
  assert_int_equal(b.data[b.len], '\0');
  tn_buf_free(&one);
  tn_buf_free(&b);
}

/* ---- Hostile URLs in URL attributes ------------------------------------- */

/* urlattr.html renders one value in these contexts, in order:
 *   1 <a href="{{ u }}">        start of a quoted URL value: scheme check
 *   2 <a href='{{ u }}'>        the same, single-quoted
 *   3 <a href={{ u }}>          unquoted: scheme check, blanks = ` as refs
 *   4 <img src="{{ u }}">       another URL attribute
 *   5 <form action='{{ u }}'>   and another
 *   6 <a href="x{{ u }}">       after scheme characters: ':' as %3A
 *   7 <a href="/r?next={{ u }}"> after '/' and '?': plain escaping
 *   8 <a href=" {{ u }}">       after a blank only: still the start
 *   9 <p title="{{ u }}">{{ u }}</p>  not a URL: plain escaping */
static const char UNSAFE[] = "about:invalid#torn-unsafe-url";

typedef struct {
  char *p;
  size_t n, cap;
} sbuf;

static void put(sbuf *s, const char *t, size_t n)
{
  if (s->n + n + 1 > s->cap) {
    s->cap = (s->n + n + 1) * 2;
    s->p = realloc(s->p, s->cap);
    assert_non_null(s->p);
  }
  memcpy(s->p + s->n, t, n);
  s->n += n;
  s->p[s->n] = '\0';
}

static void puts_(sbuf *s, const char *t) { put(s, t, strlen(t)); }

enum { HTML = 1, UNQ = 2, COLON = 4 };

/* Tornado's xhtml_escape, plus the unquoted and URL modes. */
static void esc(sbuf *s, const char *v, int mode)
{
  char ref[8];
  for (; *v; v++) {
    unsigned char c = (unsigned char)*v;
    if (c == ':' && (mode & COLON))
      puts_(s, "%3A");
    else if (c == '&')
      puts_(s, "&amp;");
    else if (c == '<')
      puts_(s, "&lt;");
    else if (c == '>')
      puts_(s, "&gt;");
    else if (c == '"')
      puts_(s, "&quot;");
    else if (c == '\'')
      puts_(s, "&#39;");
    else if ((mode & UNQ) && strchr(" \t\n\r\f=`", c)) {
      snprintf(ref, sizeof ref, "&#%d;", c);
      puts_(s, ref);
    } else
      put(s, (const char *)&c, 1);
  }
}

static char *expected_urlattr(const char *u, int unsafe)
{
  const char *start = unsafe ? UNSAFE : u;
  sbuf s = {0};
  puts_(&s, "<a href=\"");
  esc(&s, start, HTML);
  puts_(&s, "\">|<a href='");
  esc(&s, start, HTML);
  puts_(&s, "'>|<a href=");
  esc(&s, start, HTML | UNQ);
  puts_(&s, ">|<img src=\"");
  esc(&s, start, HTML);
  puts_(&s, "\">|<form action='");
  esc(&s, start, HTML);
  puts_(&s, "'>|<a href=\"x");
  esc(&s, u, HTML | COLON);
  puts_(&s, "\">|<a href=\"/r?next=");
  esc(&s, u, HTML);
  puts_(&s, "\">|<a href=\" ");
  esc(&s, start, HTML);
  puts_(&s, "\">|<p title=\"");
  esc(&s, u, HTML);
  puts_(&s, "\">");
  esc(&s, u, HTML);
  puts_(&s, "</p>\n");
  return s.p;
}

static void test_url_attributes(void **state)
{
  (void)state;
  static const struct {
    const char *u;
    int unsafe;
  } cases[] = {
      {"javascript:alert(1)", 1},
      {"JaVaScRiPt:alert(1)", 1},
      {"JAVASCRIPT:alert(1)", 1},
      {" javascript:alert(1)", 1},
      {"\t\n javascript:alert(1)", 1},
      {"\x01\x02javascript:alert(1)", 1},
      {"java\tscript:alert(1)", 1},
      {"java\nscript:alert(1)", 1},
      {"java\rscript:alert(1)", 1},
      {"javascript\t:alert(1)", 1},
      {"data:text/html,<script>alert(1)</script>", 1},
      {"DATA:text/html;base64,PHNjcmlwdD4=", 1},
      {"vbscript:msgbox(1)", 1},
      {"about:blank", 1},
      {"httpx://evil.example", 1},
      {"file:///etc/passwd", 1},
      {"javascript&colon;alert(1)", 0},
      {"java script:alert(1)", 0},
      {"1javascript:alert(1)", 0},
      {"javascript", 0},
      {"/relative/path?a=1&b=2", 0},
      {"page.html#frag", 0},
      {"../up/one", 0},
      {"//cdn.example/x.js", 0},
      {"?q=a:b", 0},
      {"#top", 0},
      {"http://example.com/?q=\"'<>", 0},
      {"https://example.com/a b=c`d", 0},
      {"HTTPS://EXAMPLE.COM/", 0},
      {"Http://example.com", 0},
      {"mailto:a@b.example", 0},
      {"tel:+1-555-0100", 0},
      {"ftp://ftp.example/f", 0},
      {"", 0},
      {"<script>alert('x')</script>", 0},
      {"x=`y`", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tn_buf_t b = {0};
    assert_int_equal(tpl_render_string_urlattr(&b, cases[i].u), 0);
    char *want = expected_urlattr(cases[i].u, cases[i].unsafe);
    char what[160];
    char shown[120];
    show(shown, sizeof shown, cases[i].u, strlen(cases[i].u));
    snprintf(what, sizeof what, "urlattr(\"%s\")", shown);
    excerpt e;
    bool bad = differ(what, want, strlen(want), b.data, b.len, &e);
    free(want);
    tn_buf_free(&b);
    if (bad)
      report(&e);
  }
}

/* The same, written out in full for two values: the expectations above
 * are built by esc(), these are not. */
static void test_url_attributes_literal(void **state)
{
  (void)state;
  static const char ok[] =
      "<a href=\"/a?b=1&amp;c=&lt;2&gt;\">|"
      "<a href='/a?b=1&amp;c=&lt;2&gt;'>|"
      "<a href=/a?b&#61;1&amp;c&#61;&lt;2&gt;>|"
      "<img src=\"/a?b=1&amp;c=&lt;2&gt;\">|"
      "<form action='/a?b=1&amp;c=&lt;2&gt;'>|"
      "<a href=\"x/a?b=1&amp;c=&lt;2&gt;\">|"
      "<a href=\"/r?next=/a?b=1&amp;c=&lt;2&gt;\">|"
      "<a href=\" /a?b=1&amp;c=&lt;2&gt;\">|"
      "<p title=\"/a?b=1&amp;c=&lt;2&gt;\">/a?b=1&amp;c=&lt;2&gt;</p>\n";
  static const char bad[] =
      "<a href=\"about:invalid#torn-unsafe-url\">|"
      "<a href='about:invalid#torn-unsafe-url'>|"
      "<a href=about:invalid#torn-unsafe-url>|"
      "<img src=\"about:invalid#torn-unsafe-url\">|"
      "<form action='about:invalid#torn-unsafe-url'>|"
      "<a href=\"x\tjavascript%3Aalert(&#39;x&#39;)\">|"
      "<a href=\"/r?next=\tjavascript:alert(&#39;x&#39;)\">|"
      "<a href=\" about:invalid#torn-unsafe-url\">|"
      "<p title=\"\tjavascript:alert(&#39;x&#39;)\">"
      "\tjavascript:alert(&#39;x&#39;)</p>\n";
  excerpt e;
  tn_buf_t b = {0};
  assert_int_equal(tpl_render_string_urlattr(&b, "/a?b=1&c=<2>"), 0);
  bool differs = differ("urlattr(\"/a?b=1&c=<2>\")", ok, strlen(ok), b.data,
                        b.len, &e);
  tn_buf_free(&b);
  if (differs)
    report(&e);
  b = (tn_buf_t){0};
  assert_int_equal(
      tpl_render_string_urlattr(&b, "\tjavascript:alert('x')"), 0);
  differs = differ("urlattr(\"\\tjavascript:alert('x')\")", bad, strlen(bad),
                   b.data, b.len, &e);
  tn_buf_free(&b);
  if (differs)
    report(&e);
}

/* Where the expression stands decides: a URL attribute opened by an
 * included file, upper case, blanks around '=', a '>' or '"' inside
 * another attribute's value, raw text of <script>, a comment, {% raw %}. */
GOLDEN(urlctx, "javascript:alert(1)")

/* The first value of a URL attribute (href, src, action...) in `html`
 * that a browser would run as javascript:, or NULL. The value is read as
 * a browser does: blanks and control bytes before it skipped, tabs and
 * newlines inside it ignored, case folded. */
static const char *unsafe_url_in(const char *html)
{
  static const char *const attrs[] = {"href", "src", "action"};
  for (const char *p = html; *p; p++) {
    for (size_t a = 0; a < sizeof attrs / sizeof *attrs; a++) {
      size_t n = strlen(attrs[a]);
      if (strncasecmp(p, attrs[a], n) != 0 ||
          (p > html && (isalnum((unsigned char)p[-1]) || p[-1] == '-')))
        continue;
      const char *v = p + n;
      while (*v == ' ' || *v == '\t' || *v == '\n')
        v++;
      if (*v++ != '=')
        continue;
      while (*v == ' ' || *v == '\t' || *v == '\n')
        v++;
      if (*v == '"' || *v == '\'')
        v++;
      while (*v && (unsigned char)*v <= 0x20)
        v++;
      static const char js[] = "javascript:";
      size_t k = 0;
      for (const char *c = v; *c && k < sizeof js - 1; c++) {
        if (*c == '\t' || *c == '\n' || *c == '\r')
          continue;
        if (tolower((unsigned char)*c) != js[k])
          break;
        k++;
      }
      if (k == sizeof js - 1)
        return p;
    }
  }
  return NULL;
}

static void expect_safe(const char *what, tn_buf_t *b)
{
  const char *bad = b->data ? unsafe_url_in(b->data) : NULL;
  char line[200] = "";
  if (bad) {
    const char *start = bad, *end = strchr(bad, '\n');
    while (start > b->data && start[-1] != '\n')
      start--;
    show(line, sizeof line, start, end ? (size_t)(end - start) : strlen(start));
    print_error("%s: an unsafe URL got through: %s\n", what, line);
  }
  tn_buf_free(b);
  if (bad)
    assert_string_equal(what, line);
}

/* Whatever branch runs, however often a loop turns, whichever block body
 * a child puts in: an expression that starts a URL value at run time is
 * checked. */
static void test_url_control_flow(void **state)
{
  (void)state;
  static const char *const hostile[] = {
      "javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)"};
  for (size_t h = 0; h < sizeof hostile / sizeof *hostile; h++) {
    char what[80];
    for (int n = 0; n <= 1; n++) {
      tn_buf_t b = {0};
      assert_int_equal(tpl_render_string_urlflow(&b, n, hostile[h]), 0);
      snprintf(what, sizeof what, "urlflow n=%d u=#%zu", n, h);
      expect_safe(what, &b);
    }
    tn_buf_t b = {0};
    assert_int_equal(tpl_render_string_urlflow_base(&b, hostile[h]), 0);
    snprintf(what, sizeof what, "urlflow_base u=#%zu", h);
    expect_safe(what, &b);
    b = (tn_buf_t){0};
    assert_int_equal(tpl_render_string_urlflow_child(&b, hostile[h]), 0);
    snprintf(what, sizeof what, "urlflow_child u=#%zu", h);
    expect_safe(what, &b);
  }
}

int main(void)
{
  find_golden_dir();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_ws_single),
      cmocka_unit_test(test_ws_all),
      cmocka_unit_test(test_ws_js),
      cmocka_unit_test(test_ws_directive),
      cmocka_unit_test(test_ws_modes),
      cmocka_unit_test(test_crlf),
      cmocka_unit_test(test_pre),
      cmocka_unit_test(test_ae_none),
      cmocka_unit_test(test_ae_last),
      cmocka_unit_test(test_raw),
      cmocka_unit_test(test_ae_url),
      cmocka_unit_test(test_ae_include),
      cmocka_unit_test(test_ae_block_esc),
      cmocka_unit_test(test_ae_block_unesc),
      cmocka_unit_test(test_ae_esc_ext_unesc),
      cmocka_unit_test(test_ae_esc_over_unesc),
      cmocka_unit_test(test_ae_unesc_ext_esc),
      cmocka_unit_test(test_ae_unesc_over_esc),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_bang),
      cmocka_unit_test(test_braces),
      cmocka_unit_test(test_brace_end),
      cmocka_unit_test(test_ifelse),
      cmocka_unit_test(test_loops),
      cmocka_unit_test(test_while_loop),
      cmocka_unit_test(test_break_continue),
      cmocka_unit_test(test_set_param),
      cmocka_unit_test(test_minimize),
      cmocka_unit_test(test_inherit_base),
      cmocka_unit_test(test_inherit_child),
      cmocka_unit_test(test_inherit_grandchild),
      cmocka_unit_test(test_tornado_page),
      cmocka_unit_test(test_include_vars),
      cmocka_unit_test(test_include_ws),
      cmocka_unit_test(test_include_txt),
      cmocka_unit_test(test_unicode),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_blank),
      cmocka_unit_test(test_literals),
      cmocka_unit_test(test_incblock_base),
      cmocka_unit_test(test_incblock_child),
      cmocka_unit_test(test_loopblock_base),
      cmocka_unit_test(test_loopblock_child),
      cmocka_unit_test(test_c_for),
      cmocka_unit_test(test_c_set),
      cmocka_unit_test(test_c_types),
      cmocka_unit_test(test_c_json),
      cmocka_unit_test(test_c_helpers),
      cmocka_unit_test(test_c_url),
      cmocka_unit_test(test_c_chars),
      cmocka_unit_test(test_c_ae_url),
      cmocka_unit_test(test_c_ae_json),
      cmocka_unit_test(test_append),
      cmocka_unit_test(test_grow),
      cmocka_unit_test(test_url_attributes),
      cmocka_unit_test(test_url_attributes_literal),
      cmocka_unit_test(test_urlctx),
      cmocka_unit_test(test_url_control_flow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
