/* test_rt_cookie.c -- request cookies read as Tornado reads them, and the
 * Set-Cookie headers tn_set_cookie writes.
 *
 * The literal expectations below are what Tornado 6.2 gives; every
 * header of them, many generated ones and a random sample are also put to
 * the real Tornado (tornado_oracle.py) and must come out the same, but
 * for the documented difference (latin-1 whitespace). */
#include <math.h>

#include "cookie/harness.h"

/* --- Parsing one header -------------------------------------------------- */

typedef struct {
  tn__cookie_t *items;
  char *text;
  size_t n;
} parsed_t;

/* Parses `n` bytes at `in` with exactly the room the parser asks for, in
 * heap blocks of that size (ASan catches a byte past them). */
static parsed_t parse_n(const char *in, size_t n) {
  tn_str_t h = {in, n};
  size_t room = tn__cookie_room(h);
  parsed_t p = {malloc(room * sizeof *p.items), malloc(n + room), 0};
  assert_non_null(p.items);
  assert_non_null(p.text);
  char *text = p.text;
  p.n = tn__cookie_parse(h, p.items, &text);
  assert_true(p.n <= room);
  assert_true(text <= p.text + n + room);
  for (size_t i = 0; i < p.n; i++)
    assert_int_equal(p.items[i].value.ptr[p.items[i].value.len], '\0');
  return p;
}

static void parsed_free(parsed_t *p) {
  free(p->items);
  free(p->text);
}

typedef struct {
  const char *name;
  const char *value;
  size_t value_len; /* 0: strlen(value) */
} want_t;

static void expect_n(const char *in, size_t n, const want_t *want,
                     size_t nwant) {
  parsed_t p = parse_n(in, n);
  assert_int_equal(p.n, nwant);
  for (size_t i = 0; i < nwant; i++) {
    size_t vl = want[i].value_len ? want[i].value_len : strlen(want[i].value);
    assert_int_equal(p.items[i].name.len, strlen(want[i].name));
    assert_memory_equal(p.items[i].name.ptr, want[i].name,
                        p.items[i].name.len);
    assert_int_equal(p.items[i].value.len, vl);
    assert_memory_equal(p.items[i].value.ptr, want[i].value, vl);
  }
  parsed_free(&p);
}

#define EXPECT(in, ...)                                                     \
  do {                                                                      \
    static const want_t w_[] = {__VA_ARGS__};                              \
    expect_n(in, strlen(in), w_, sizeof w_ / sizeof *w_);                   \
  } while (0)
#define EXPECT_NONE(in) expect_n(in, strlen(in), NULL, 0)

static void test_parse_pairs(void **state) {
  (void)state;
  EXPECT_NONE("");
  EXPECT_NONE(";");
  EXPECT_NONE(" ; ;; ");
  EXPECT("a=1", {"a", "1", 0});
  EXPECT("a=1; b=2", {"a", "1", 0}, {"b", "2", 0});
  EXPECT("a=1;b=2;", {"a", "1", 0}, {"b", "2", 0});
  EXPECT("  a  =  1  ;\tb\t=\t2\t", {"a", "1", 0}, {"b", "2", 0});
  /* Cut at the first '='; ',' and spaces inside are data. */
  EXPECT("a=b=c", {"a", "b=c", 0});
  EXPECT("a=1, b=2", {"a", "1, b=2", 0});
  EXPECT("a b=c d", {"a b", "c d", 0});
  /* Kept in order, repeats too: a lookup takes the last. */
  EXPECT("a=1; a=2", {"a", "1", 0}, {"a", "2", 0});
  /* Names and values are bytes. */
  EXPECT("\xc3\xa9=\xe2\x82\xac", {"\xc3\xa9", "\xe2\x82\xac", 0});
}

static void test_parse_empty_parts(void **state) {
  (void)state;
  /* No '=': a value with an empty name. */
  EXPECT("a", {"", "a", 0});
  EXPECT("a; b=1", {"", "a", 0}, {"b", "1", 0});
  EXPECT("=b", {"", "b", 0});
  EXPECT("a=", {"a", "", 0});
  EXPECT("a= ; =", {"a", "", 0}); /* "=" alone: both empty, skipped */
  EXPECT_NONE(" = ");
  EXPECT("==", {"", "=", 0});
}

static void test_parse_quotes(void **state) {
  (void)state;
  EXPECT("a=\"x y\"", {"a", "x y", 0});
  EXPECT("a=\"\"", {"a", "", 0});
  EXPECT("a=\"x;y\"", {"a", "\"x", 0}, {"", "y\"", 0}); /* ';' splits */
  /* Only a value both starting and ending with a quote is unquoted. */
  EXPECT("a=\"", {"a", "\"", 0});
  EXPECT("a=\"x", {"a", "\"x", 0});
  EXPECT("a=x\"", {"a", "x\"", 0});
  EXPECT("a=x\\101", {"a", "x\\101", 0}); /* no quotes: no escapes */
  EXPECT("a= \"x\" ", {"a", "x", 0});     /* stripped first */
}

static void test_parse_escapes(void **state) {
  (void)state;
  EXPECT("a=\"\\101\\102C\"", {"a", "ABC", 0});
  EXPECT("a=\"\\377\"", {"a", "\xff", 0});
  EXPECT("a=\"x\\000y\"", {"a", "x\0y", 3}); /* a NUL byte inside */
  EXPECT("a=\"\\0123\"", {"a", "\n3", 0});   /* three digits only */
  EXPECT("a=\"\\400\"", {"a", "400", 0});    /* past \377: the '4' itself */
  EXPECT("a=\"\\12\"", {"a", "12", 0});      /* two digits: not octal */
  EXPECT("a=\"\\18\"", {"a", "18", 0});
  EXPECT("a=\"\\\"q\\\"\"", {"a", "\"q\"", 0});
  EXPECT("a=\"\\\\\"", {"a", "\\", 0});
  EXPECT("a=\"\\x\\;\"", {"a", "\"\\x\\", 0}, {"", "\"", 0});
  EXPECT("a=\"\\\\101\"", {"a", "\\101", 0}); /* an escaped backslash */
  /* A backslash at the end, or before a newline, stays. */
  EXPECT("a=\"x\\\"", {"a", "x\\", 0});
  EXPECT("a=\"\\\"", {"a", "\\", 0}); /* the quotes are the 1st and 3rd */
  expect_n("a=\"\\\nz\"", 7, (const want_t[]){{"a", "\\\nz", 0}}, 1);
}

/* Python strips str.isspace() characters: ASCII \t \n \v \f \r, 0x1C to
 * 0x1F and space. Tornado's latin-1 reading makes 0x85 and 0xA0 spaces
 * too; torn keeps them, not to cut a UTF-8 character such as "à". */
static void test_parse_whitespace(void **state) {
  (void)state;
  EXPECT("\x0b\x0c\r\n\x1c\x1d\x1e\x1f a=1 \x1f", {"a", "1", 0});
  EXPECT("a=\xc3\xa0", {"a", "\xc3\xa0", 0});
  EXPECT("a=\xa0x\x85", {"a", "\xa0x\x85", 0});
}

static void test_parse_many(void **state) {
  (void)state;
  char header[8192];
  size_t len = 0;
  for (int i = 0; i < 500; i++)
    len += (size_t)snprintf(header + len, sizeof header - len, "c%d=v%d; ", i,
                            i * 7);
  parsed_t p = parse_n(header, len);
  assert_int_equal(p.n, 500);
  for (int i = 0; i < 500; i++) {
    char name[16], value[16];
    snprintf(name, sizeof name, "c%d", i);
    snprintf(value, sizeof value, "v%d", i * 7);
    assert_int_equal(p.items[i].name.len, strlen(name));
    assert_memory_equal(p.items[i].name.ptr, name, strlen(name));
    assert_string_equal(p.items[i].value.ptr, value);
  }
  parsed_free(&p);
}

/* --- The same headers through Tornado ------------------------------------ */

/* Tornado's parse_cookie returns a dict: the names in the order first
 * seen, each with its last value. The same from our list, written as the
 * oracle writes it. */
static char *as_dict(const parsed_t *p) {
  size_t cap = 64;
  for (size_t i = 0; i < p->n; i++)
    cap += 2 * (p->items[i].name.len + p->items[i].value.len) + 4;
  char *out = malloc(cap), *o = out;
  assert_non_null(out);
  for (size_t i = 0; i < p->n; i++) {
    const tn_str_t *name = &p->items[i].name;
    size_t j = 0;
    while (j < i && !(p->items[j].name.len == name->len &&
                      !memcmp(p->items[j].name.ptr, name->ptr, name->len)))
      j++;
    if (j < i)
      continue; /* written at its first place, with its last value */
    const tn_str_t *value = &p->items[i].value;
    for (size_t k = i + 1; k < p->n; k++)
      if (p->items[k].name.len == name->len &&
          !memcmp(p->items[k].name.ptr, name->ptr, name->len))
        value = &p->items[k].value;
    o += sprintf(o, "%sx", o == out ? "" : " ");
    for (size_t k = 0; k < name->len; k++)
      o += sprintf(o, "%02x", (unsigned char)name->ptr[k]);
    o += sprintf(o, ":x");
    for (size_t k = 0; k < value->len; k++)
      o += sprintf(o, "%02x", (unsigned char)value->ptr[k]);
  }
  *o = '\0';
  return out;
}

static const char *const oracle_headers[] = {
    "", ";", "a=1", "a=1; b=2", "a=1;b=2;", "  a  =  1  ;\tb\t=\t2\t",
    "a=b=c", "a=1, b=2", "a b=c d", "a=1; a=2", "a", "a; b=1", "=b", "a=",
    "a= ; =", " = ", "==", "x; =y", "a=\"x y\"", "a=\"\"", "a=\"x;y\"",
    "a=\"", "a=\"x", "a=x\"", "a=x\\101", "a= \"x\" ", "a=\"\\101\\102C\"",
    "a=\"\\377\"", "a=\"x\\000y\"", "a=\"\\0123\"", "a=\"\\400\"",
    "a=\"\\12\"", "a=\"\\18\"", "a=\"\\\"q\\\"\"", "a=\"\\\\\"",
    "a=\"\\x\\;\"", "a=\"\\\\101\"", "a=\"x\\\"", "a=\"\\\"", "a=\"\\\nz\"",
    "\x0b\x0c\r\n\x1c\x1d\x1e\x1f a=1 \x1f", "\xc3\xa9=\xe2\x82\xac",
    "sess=\"2|1:0|10:1700000000|4:sess|4:Ym9i|abc\"; _xsrf=2|aa|bb|1",
};

/* Random headers over the bytes that matter to the parser. */
static size_t random_header(char *out, size_t size, uint32_t *seed) {
  static const char alphabet[] = "ab==;;  \"\"\\\\0137\t\x1c\n,x";
  *seed = *seed * 1103515245u + 12345u;
  size_t n = (*seed >> 16) % (size - 1);
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1103515245u + 12345u;
    out[i] = alphabet[(*seed >> 16) % (sizeof alphabet - 1)];
  }
  return n;
}

static void test_parse_vs_tornado(void **state) {
  (void)state;
  enum { NFIXED = sizeof oracle_headers / sizeof *oracle_headers, NRAND = 400 };
  static char rand_headers[NRAND][24];
  size_t rand_len[NRAND];
  uint32_t seed = 2024;
  oracle_t *o = oracle_new();
  for (size_t i = 0; i < NFIXED; i++) {
    q_begin(o, "parse");
    q_str(o, oracle_headers[i]);
    q_end(o);
  }
  for (size_t i = 0; i < NRAND; i++) {
    rand_len[i] = random_header(rand_headers[i], sizeof rand_headers[i], &seed);
    q_begin(o, "parse");
    q_hex(o, rand_headers[i], rand_len[i]);
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < NFIXED + NRAND; i++) {
    const char *in = i < NFIXED ? oracle_headers[i] : rand_headers[i - NFIXED];
    size_t len = i < NFIXED ? strlen(in) : rand_len[i - NFIXED];
    parsed_t p = parse_n(in, len);
    char *ours = as_dict(&p);
    if (strcmp(ours, o->answers[i]) != 0)
      fail_msg("header %zu %.*s: torn %s, Tornado %s", i, (int)len, in, ours,
               o->answers[i]);
    free(ours);
    parsed_free(&p);
  }
  oracle_free(o);
}

/* --- tn_get_cookie ------------------------------------------------------- */

static int setup(void **state) {
  (void)state;
  server_init(NULL);
  return 0;
}

static void test_get_cookie(void **state) {
  (void)state;
  tn_req_t *req = req_with_cookie("a=1; b=\"x\\073y\"; a=2; e=; "
                                  "sp=\" s \"");
  assert_string_equal(tn_get_cookie(req, "a", NULL), "2"); /* the last */
  assert_string_equal(tn_get_cookie(req, "b", NULL), "x;y");
  assert_string_equal(tn_get_cookie(req, "e", "def"), ""); /* present */
  assert_string_equal(tn_get_cookie(req, "sp", NULL), " s ");
  assert_string_equal(tn_get_cookie(req, "missing", "def"), "def");
  assert_null(tn_get_cookie(req, "missing", NULL));
  assert_null(tn_get_cookie(req, "A", NULL)); /* case sensitive */
  free_req(req);

  req = req_with_cookie(NULL);
  assert_string_equal(tn_get_cookie(req, "a", "none"), "none");
  free_req(req);
}

/* Names Python's SimpleCookie refuses are dropped by Tornado's
 * request.cookies, so get_cookie never finds them. */
static void test_get_cookie_refused_names(void **state) {
  (void)state;
  tn_req_t *req = req_with_cookie("lone; a b=1; path=2; Max-Age=3; "
                                  "SAMESITE=4; \xc3\xa9=5; a:b=6; "
                                  "!#$%&'*+-.^_`|~=7; a\"b=8");
  assert_null(tn_get_cookie(req, "", NULL));
  assert_null(tn_get_cookie(req, "a b", NULL));
  assert_null(tn_get_cookie(req, "path", NULL));
  assert_null(tn_get_cookie(req, "Max-Age", NULL));
  assert_null(tn_get_cookie(req, "SAMESITE", NULL));
  assert_null(tn_get_cookie(req, "\xc3\xa9", NULL));
  assert_null(tn_get_cookie(req, "a\"b", NULL));
  assert_string_equal(tn_get_cookie(req, "a:b", NULL), "6");
  assert_string_equal(tn_get_cookie(req, "!#$%&'*+-.^_`|~", NULL), "7");
  free_req(req);
}

/* Every Cookie header counts, in order, as if joined by "; ". */
static void test_get_cookie_several_headers(void **state) {
  (void)state;
  const char *h[] = {"Cookie", "a=1; b=2", "X-Other", "a=9", "cookie",
                     "a=3", "COOKIE", "c=4", NULL};
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, h);
  assert_string_equal(tn_get_cookie(req, "a", NULL), "3");
  assert_string_equal(tn_get_cookie(req, "b", NULL), "2");
  assert_string_equal(tn_get_cookie(req, "c", NULL), "4");
  assert_int_equal(req->ncookies, 4);
  free_req(req);
}

/* Parsed once; tn__cookies_reset makes a pooled request parse again. */
static void test_get_cookie_parsed_once(void **state) {
  (void)state;
  tn_req_t *req = req_with_cookie("a=\"1\"");
  const char *first = tn_get_cookie(req, "a", NULL);
  assert_true(req->cookies_parsed);
  assert_ptr_equal(tn_get_cookie(req, "a", NULL), first);
  /* The request is reused for another with other headers. */
  tn__cookies_reset(req);
  tn__arena_reset(req);
  assert_false(req->cookies_parsed);
  req->head.headers[0].value = S("a=2");
  assert_string_equal(tn_get_cookie(req, "a", NULL), "2");
  free_req(req);
}

static void test_get_cookie_vs_tornado(void **state) {
  (void)state;
  static const char *const headers[] = {
      "a=1; b=\"x\\073y\"; a=2; e=; sp=\" s \"",
      "lone; a b=1; path=2; Max-Age=3; SAMESITE=4; \xc3\xa9=5; a:b=6; "
      "!#$%&'*+-.^_`|~=7; a\"b=8",
      "x; =y", "=", "version=1; Version=2; comment=3; secure=4; expires=5",
  };
  static const char *const names[] = {
      "a", "b", "e", "sp", "missing", "", "a b", "path", "Max-Age",
      "SAMESITE", "\xc3\xa9", "a:b", "!#$%&'*+-.^_`|~", "a\"b", "x",
      "version", "Version", "comment", "secure", "expires"};
  enum { NH = sizeof headers / sizeof *headers,
         NN = sizeof names / sizeof *names };
  oracle_t *o = oracle_new();
  for (size_t i = 0; i < NH; i++)
    for (size_t j = 0; j < NN; j++) {
      q_begin(o, "get");
      q_str(o, headers[i]);
      q_str(o, names[j]);
      q_end(o);
    }
  oracle_run(o);
  for (size_t i = 0; i < NH; i++) {
    tn_req_t *req = req_with_cookie(headers[i]);
    for (size_t j = 0; j < NN; j++) {
      char *want = from_hex_str(o->answers[i * NN + j], NULL);
      const char *got = tn_get_cookie(req, names[j], NULL);
      if (!want != !got || (want && strcmp(want, got)))
        fail_msg("%s in %s: torn %s, Tornado %s", names[j], headers[i],
                 got ? got : "(none)", want ? want : "(none)");
      free(want);
    }
    free_req(req);
  }
  oracle_free(o);
}

/* --- Set-Cookie ---------------------------------------------------------- */

/* The one Set-Cookie `req` sends after tn_set_cookie(name, value, opts)
 * succeeded, to free. */
static char *set_one(const char *name, const char *value,
                     const tn_cookie_opts_t *opts) {
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_set_cookie(req, name, value, opts), 0);
  char *line = set_cookie_of(req);
  assert_non_null(line);
  free_req(req);
  return line;
}

#define EXPECT_SET(want, name, value, ...)                                  \
  do {                                                                      \
    tn_cookie_opts_t o_ = {__VA_ARGS__};                                    \
    char *line_ = set_one(name, value, &o_);                                \
    assert_string_equal(line_, want);                                       \
    free(line_);                                                            \
  } while (0)

static void test_set_cookie_attributes(void **state) {
  (void)state;
  char *line = set_one("a", "b", NULL);
  assert_string_equal(line, "a=b; Path=/");
  free(line);
  EXPECT_SET("a=b; Path=/", "a", "b", 0);
  EXPECT_SET("a=b", "a", "b", .path = "");
  EXPECT_SET("a=; Path=/x/y", "a", "", .path = "/x/y");
  EXPECT_SET("a=b; Domain=example.com; Path=/", "a", "b",
             .domain = "example.com");
  EXPECT_SET("a=b; Path=/", "a", "b", .domain = "");
  EXPECT_SET("a=b; expires=Tue, 14 Nov 2023 22:13:20 GMT; Path=/", "a", "b",
             .expires = 1700000000);
  EXPECT_SET("a=b; HttpOnly; Path=/", "a", "b", .http_only = 1);
  EXPECT_SET("a=b; Max-Age=3600; Path=/", "a", "b", .max_age = 3600);
  EXPECT_SET("a=b; Max-Age=0; Path=/", "a", "b", .max_age = -5);
  EXPECT_SET("a=b; Path=/; SameSite=Lax", "a", "b", .same_site = "lax");
  EXPECT_SET("a=b; Path=/; SameSite=Strict", "a", "b", .same_site = "Strict");
  EXPECT_SET("a=b; Path=/; SameSite=None; Secure", "a", "b",
             .same_site = "NONE", .secure = 1);
  EXPECT_SET("a=b; Path=/; Secure", "a", "b", .secure = 1);
  EXPECT_SET("id=2|1:0|x==; Domain=d.org; expires=Thu, 01 Jan 1970 00:00:01 "
             "GMT; HttpOnly; Max-Age=1; Path=/p; SameSite=Strict; Secure",
             "id", "2|1:0|x==", .domain = "d.org", .expires = 1,
             .http_only = 1, .max_age = 1, .path = "/p",
             .same_site = "strict", .secure = 1);
}

/* The expires= date of a Set-Cookie line. */
static int64_t expires_of(const char *line) {
  const char *p = strstr(line, "; expires=");
  assert_non_null(p);
  int64_t t;
  assert_int_equal(tn__http_date_parse((tn_str_t){p + 10, 29}, 0, &t), 0);
  return t;
}

static void test_set_cookie_expires_days(void **state) {
  (void)state;
  static const double days[] = {1, 30, 0.5, -1, 365.25};
  for (size_t i = 0; i < sizeof days / sizeof *days; i++) {
    tn_cookie_opts_t o = {.expires_days = days[i]};
    int64_t before = (int64_t)time(NULL);
    char *line = set_one("a", "b", &o);
    int64_t after = (int64_t)time(NULL);
    int64_t t = expires_of(line);
    assert_in_range(t, before + (int64_t)(days[i] * 86400),
                    after + (int64_t)(days[i] * 86400));
    assert_string_equal(strstr(line, " GMT") + 4, "; Path=/");
    free(line);
  }
  /* `expires` wins over expires_days, as in Tornado. */
  EXPECT_SET("a=b; expires=Tue, 14 Nov 2023 22:13:20 GMT; Path=/", "a", "b",
             .expires = 1700000000, .expires_days = 3);
  /* Clamped, not overflowed. */
  tn_cookie_opts_t far = {.expires_days = 1e300};
  char *line = set_one("a", "b", &far);
  assert_non_null(strstr(line, "9999 23:59:59 GMT"));
  free(line);
}

static void test_set_cookie_vs_tornado(void **state) {
  (void)state;
  /* kwargs for Tornado's set_cookie, and the same as options. */
  static const struct {
    const char *kwargs;
    tn_cookie_opts_t opts;
  } cases[] = {
      {"{}", {0}},
      {"{\"path\": \"/a/b\"}", {.path = "/a/b"}},
      {"{\"path\": \"\"}", {.path = ""}},
      {"{\"domain\": \"ex.com\"}", {.domain = "ex.com"}},
      {"{\"expires\": 1700000000}", {.expires = 1700000000}},
      {"{\"expires\": 4102444800}", {.expires = 4102444800}},
      {"{\"httponly\": true}", {.http_only = 1}},
      {"{\"secure\": true}", {.secure = 1}},
      {"{\"max_age\": 86400}", {.max_age = 86400}},
      {"{\"samesite\": \"Lax\"}", {.same_site = "Lax"}},
      {"{\"samesite\": \"None\", \"secure\": true}",
       {.same_site = "None", .secure = 1}},
      {"{\"domain\": \"d.org\", \"expires\": 86400, \"httponly\": true, "
       "\"max_age\": 1, \"path\": \"/p\", \"samesite\": \"Strict\", "
       "\"secure\": true}",
       {.domain = "d.org", .expires = 86400, .http_only = 1, .max_age = 1,
        .path = "/p", .same_site = "Strict", .secure = 1}},
  };
  static const char *const values[] = {"b", "", "abc123",
                                       "x-y.z_~!#$%&'*+^`|:"};
  enum { NC = sizeof cases / sizeof *cases,
         NV = sizeof values / sizeof *values };
  oracle_t *o = oracle_new();
  for (size_t i = 0; i < NC; i++)
    for (size_t j = 0; j < NV; j++) {
      q_begin(o, "set_cookie");
      q_str(o, "name");
      q_str(o, values[j]);
      q_str(o, cases[i].kwargs);
      q_end(o);
    }
  oracle_run(o);
  for (size_t i = 0; i < NC; i++)
    for (size_t j = 0; j < NV; j++) {
      char *want = from_hex_str(o->answers[i * NV + j], NULL);
      char *got = set_one("name", values[j], &cases[i].opts);
      /* Python quotes an empty value (name=""), torn writes name=. */
      if (!*values[j]) {
        assert_memory_equal(want, "name=\"\"", 7);
        memmove(want + 5, want + 7, strlen(want + 7) + 1);
      }
      if (strcmp(want, got))
        fail_msg("%s %s: torn %s, Tornado %s", values[j], cases[i].kwargs,
                 got, want);
      free(want);
      free(got);
    }
  oracle_free(o);
}

/* What torn accepts, Tornado reads back as it was set: the value a
 * browser returns from our Set-Cookie is the value. */
static void test_set_cookie_read_back_by_tornado(void **state) {
  (void)state;
  static const char *const values[] = {
      "2|1:0|10:1700000000|4:user|8:Ym9iYnk=|0123abcdef", "a=b", "/x/y?q",
      "{[<>]}", "@()", "ab==", ""};
  enum { NV = sizeof values / sizeof *values };
  char *lines[NV];
  oracle_t *o = oracle_new();
  for (size_t i = 0; i < NV; i++) {
    lines[i] = set_one("n", values[i], NULL);
    *strchr(lines[i], ';') = '\0'; /* what the browser sends back */
    q_begin(o, "get");
    q_str(o, lines[i]);
    q_str(o, "n");
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < NV; i++) {
    char *got = from_hex_str(o->answers[i], NULL);
    assert_non_null(got);
    assert_string_equal(got, values[i]);
    free(got);
    free(lines[i]);
  }
  oracle_free(o);
}

static void expect_refused(int err, const char *name, const char *value,
                           const tn_cookie_opts_t *opts) {
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_set_cookie(req, name, value, opts), err);
  assert_int_equal(req->nout, 0);
  free_req(req);
}

static void test_set_cookie_refused(void **state) {
  (void)state;
  static const char *const names[] = {
      "", "a b", "a;b", "a=b", "a,b", "a\"b", "a\\b", "a\tb", "a\r\nX: y",
      "\xc3\xa9", "a/b", "a@b", "a(b", "path", "Expires", "MAX-AGE",
      "domain", "secure", "HttpOnly", "version", "comment", "samesite"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    expect_refused(TN_EHEADER, names[i], "v", NULL);
  static const char *const values[] = {
      "a b", "a;b", "a,b", "a\"b", "\"ab\"", "a\\b", "a\tb", "a\r\nX: y",
      "a\nb", "\x7f", "\x01", "\xc3\xa9", "\xff"};
  for (size_t i = 0; i < sizeof values / sizeof *values; i++)
    expect_refused(TN_EHEADER, "n", values[i], NULL);
  static const char *const attrs[] = {"a;b", "a\r\nX: y", "a\nb", "\x7f",
                                      "a\x01"};
  for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++) {
    tn_cookie_opts_t path = {.path = attrs[i]};
    tn_cookie_opts_t domain = {.domain = attrs[i]};
    expect_refused(TN_EHEADER, "n", "v", &path);
    expect_refused(TN_EHEADER, "n", "v", &domain);
  }
  tn_cookie_opts_t bad_site = {.same_site = "Sometimes"};
  expect_refused(TN_EINVAL, "n", "v", &bad_site);
  tn_cookie_opts_t empty_site = {.same_site = ""};
  expect_refused(TN_EINVAL, "n", "v", &empty_site);
  tn_cookie_opts_t nan_days = {.expires_days = NAN};
  expect_refused(TN_EINVAL, "n", "v", &nan_days);
  /* What is allowed around them. */
  char *line = set_one("a:b", "!#$%&'()*+-./:<=>?@[]^_`{|}~", NULL);
  assert_string_equal(line, "a:b=!#$%&'()*+-./:<=>?@[]^_`{|}~; Path=/");
  free(line);
}

/* Tornado refuses what torn refuses among names, and any byte up to the
 * space in a value; it quotes the other values torn refuses. */
static void test_set_cookie_refused_by_tornado(void **state) {
  (void)state;
  static const char *const names[] = {"", "a b", "a;b", "a=b", "a,b",
                                      "a\"b", "\xc3\xa9", "path", "Expires"};
  static const char *const values[] = {"a b", "a\tb", "a\r\nX: y", "\x01"};
  enum { NN = sizeof names / sizeof *names,
         NV = sizeof values / sizeof *values };
  oracle_t *o = oracle_new();
  for (size_t i = 0; i < NN + NV; i++) {
    q_begin(o, "set_cookie");
    q_str(o, i < NN ? names[i] : "n");
    q_str(o, i < NN ? "v" : values[i - NN]);
    q_str(o, "{}");
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < NN + NV; i++)
    assert_string_equal(o->answers[i], "-");
  oracle_free(o);
}

/* One cookie per name in a response, the last set (Tornado's dict). */
static void test_set_cookie_replaces(void **state) {
  (void)state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  assert_int_equal(tn_set_cookie(req, "a", "1", NULL), 0);
  assert_int_equal(tn_set_cookie(req, "ab", "2", NULL), 0);
  assert_int_equal(tn_add_header(req, "X-Keep", "a=1"), 0);
  assert_int_equal(tn_set_cookie(req, "a", "3", NULL), 0);
  assert_int_equal(tn_set_cookie(req, "b", "4", NULL), 0);
  /* A refused one leaves the earlier in place. */
  assert_int_equal(tn_set_cookie(req, "b", "x y", NULL), TN_EHEADER);
  char *lines[8];
  size_t n = set_cookies(req, lines, 8);
  assert_int_equal(n, 3);
  assert_string_equal(lines[0], "ab=2; Path=/");
  assert_string_equal(lines[1], "a=3; Path=/");
  assert_string_equal(lines[2], "b=4; Path=/");
  for (size_t i = 0; i < n; i++)
    free(lines[i]);
  free_req(req);
}

static void test_set_cookie_header_limit(void **state) {
  (void)state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  int err = 0;
  char name[16];
  for (int i = 0; i <= TN__MAX_OUT_HEADERS && !err; i++) {
    snprintf(name, sizeof name, "c%d", i);
    err = tn_set_cookie(req, name, "v", NULL);
  }
  assert_int_equal(err, TN_ENOMEM);
  free_req(req);
}

static void test_clear_cookie(void **state) {
  (void)state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  int64_t now = (int64_t)time(NULL);
  assert_int_equal(tn_clear_cookie(req, "a", NULL), 0);
  char *line = set_cookie_of(req);
  assert_memory_equal(line, "a=; expires=", 12);
  assert_in_range(expires_of(line), now - 365 * 86400 - 1,
                  now - 365 * 86400 + 1);
  assert_string_equal(strstr(line, " GMT") + 4, "; Max-Age=0; Path=/");
  free(line);
  free_req(req);

  /* Path and Domain say which cookie; the expiry options are ignored. */
  req = new_req(TN_METHOD_GET, NULL, NULL);
  tn_cookie_opts_t o = {.path = "/app", .domain = "ex.com", .secure = 1,
                        .same_site = "None", .max_age = 99,
                        .expires_days = 30};
  assert_int_equal(tn_set_cookie(req, "a", "1", &o), 0);
  assert_int_equal(tn_clear_cookie(req, "a", &o), 0);
  line = set_cookie_of(req); /* the clear replaced the set */
  assert_memory_equal(line, "a=; Domain=ex.com; expires=", 27);
  assert_string_equal(strstr(line, " GMT") + 4,
                      "; Max-Age=0; Path=/app; SameSite=None; Secure");
  free(line);
  assert_int_equal(tn_clear_cookie(req, "a b", NULL), TN_EHEADER);
  free_req(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_pairs),
      cmocka_unit_test(test_parse_empty_parts),
      cmocka_unit_test(test_parse_quotes),
      cmocka_unit_test(test_parse_escapes),
      cmocka_unit_test(test_parse_whitespace),
      cmocka_unit_test(test_parse_many),
      cmocka_unit_test(test_parse_vs_tornado),
      cmocka_unit_test_setup(test_get_cookie, setup),
      cmocka_unit_test_setup(test_get_cookie_refused_names, setup),
      cmocka_unit_test_setup(test_get_cookie_several_headers, setup),
      cmocka_unit_test_setup(test_get_cookie_parsed_once, setup),
      cmocka_unit_test_setup(test_get_cookie_vs_tornado, setup),
      cmocka_unit_test_setup(test_set_cookie_attributes, setup),
      cmocka_unit_test_setup(test_set_cookie_expires_days, setup),
      cmocka_unit_test_setup(test_set_cookie_vs_tornado, setup),
      cmocka_unit_test_setup(test_set_cookie_read_back_by_tornado, setup),
      cmocka_unit_test_setup(test_set_cookie_refused, setup),
      cmocka_unit_test_setup(test_set_cookie_refused_by_tornado, setup),
      cmocka_unit_test_setup(test_set_cookie_replaces, setup),
      cmocka_unit_test_setup(test_set_cookie_header_limit, setup),
      cmocka_unit_test_setup(test_clear_cookie, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
