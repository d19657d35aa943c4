/* test_rt_xsrf.c -- XSRF tokens and the check of unsafe requests, against
 * the real Tornado: each side must unmask the other's tokens, and for
 * every pairing of an `_xsrf` cookie with a token sent (as an argument
 * or a header), torn's check must say what Tornado's check_xsrf_cookie
 * says (tornado_oracle.py's xsrf_decode, xsrf_token and xsrf_check). */
#include <ctype.h>

#include "cookie/harness.h"

static int setup(void **state) {
  (void)state;
  server_init(NULL); /* XSRF needs no secret */
  return 0;
}

/* The 16 raw bytes under a "2|mask|masked|time" token, checked for form. */
static void unmask(const char *token, unsigned char raw[16],
                   long long *time) {
  assert_int_equal(strncmp(token, "2|", 2), 0);
  const char *p = token + 2;
  unsigned char mask[4];
  for (int i = 0; i < 4; i++, p += 2)
    mask[i] = (unsigned char)(tn__hex_value((unsigned char)p[0]) << 4 |
                              tn__hex_value((unsigned char)p[1]));
  assert_int_equal(*p++, '|');
  for (int i = 0; i < 16; i++, p += 2) {
    assert_true(isxdigit((unsigned char)p[0]) && !isupper((unsigned char)p[0]));
    assert_true(isxdigit((unsigned char)p[1]) && !isupper((unsigned char)p[1]));
    raw[i] = (unsigned char)(tn__hex_value((unsigned char)p[0]) << 4 |
                             tn__hex_value((unsigned char)p[1])) ^
             mask[i % 4];
  }
  assert_int_equal(*p++, '|');
  char *end;
  *time = strtoll(p, &end, 10);
  assert_true(end > p && *end == '\0');
}

/* --- Tokens -------------------------------------------------------------- */

static void test_token_new(void **state) {
  (void)state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  long long before = (long long)time(NULL);
  const char *token = tn_xsrf_token(req);
  assert_non_null(token);
  assert_int_equal(strlen(token), 2 + 8 + 1 + 32 + 1 + 10);
  unsigned char raw[16];
  long long t;
  unmask(token, raw, &t);
  assert_in_range(t, before, (long long)time(NULL));
  assert_int_equal(req->xsrf_raw.len, 16);
  assert_memory_equal(raw, req->xsrf_raw.ptr, 16);
  /* Once per request. */
  assert_ptr_equal(tn_xsrf_token(req), token);
  /* The cookie: the token itself, Path=/, readable by JavaScript. */
  char *line = set_cookie_of(req);
  char want[128];
  snprintf(want, sizeof want, "_xsrf=%s; Path=/", token);
  assert_string_equal(line, want);
  free(line);

  /* Another request without a cookie: another token, another mask. */
  tn_req_t *other = new_req(TN_METHOD_GET, NULL, NULL);
  const char *token2 = tn_xsrf_token(other);
  unsigned char raw2[16];
  unmask(token2, raw2, &t);
  assert_memory_not_equal(raw, raw2, 16);
  assert_memory_not_equal(token + 2, token2 + 2, 8);
  free_req(other);

  /* A pooled request starts over. */
  tn__cookies_reset(req);
  tn__response_reset(req);
  token2 = tn_xsrf_token(req);
  assert_ptr_not_equal(token2, token);
  unmask(token2, raw2, &t);
  assert_memory_not_equal(raw, raw2, 16);
  free_req(req);
}

/* With the cookie, the same token under a new mask, and no Set-Cookie. */
static void test_token_from_cookie(void **state) {
  (void)state;
  tn_req_t *first = new_req(TN_METHOD_GET, NULL, NULL);
  char cookie[128];
  snprintf(cookie, sizeof cookie, "_xsrf=%s", tn_xsrf_token(first));
  tn_req_t *req = req_with_cookie(cookie);
  const char *token = tn_xsrf_token(req);
  unsigned char raw[16], raw1[16];
  long long t, t1;
  unmask(token, raw, &t);
  unmask(cookie + 6, raw1, &t1);
  assert_memory_equal(raw, raw1, 16);
  assert_int_equal(t, t1); /* the cookie's time is kept */
  assert_string_not_equal(token, cookie + 6);
  assert_int_equal(req->nout, 0);
  free_req(req);
  free_req(first);

  /* A version 1 cookie (bare hex) is kept as it is too; it has no time,
   * so the token's is now, as in Tornado. */
  req = req_with_cookie("_xsrf=000102030405060708090a0b0c0d0e0f");
  long long before = (long long)time(NULL);
  token = tn_xsrf_token(req);
  unmask(token, raw, &t);
  for (int i = 0; i < 16; i++)
    assert_int_equal(raw[i], i);
  assert_in_range(t, before, (long long)time(NULL));
  assert_int_equal(req->nout, 0);
  free_req(req);

  /* A malformed or empty one is replaced. */
  static const char *const bad[] = {"_xsrf=2|zz|00|1", "_xsrf=3|00|00|1",
                                    "_xsrf=2|00000000||1", "_xsrf=",
                                    "_xsrf=2|0011|aabb|1"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    req = req_with_cookie(bad[i]);
    assert_non_null(tn_xsrf_token(req));
    char *line = set_cookie_of(req);
    assert_non_null(line);
    assert_memory_equal(line, "_xsrf=2|", 8);
    free(line);
    free_req(req);
  }
}

static void test_token_logged_in(void **state) {
  (void)state;
  static int someone;
  server.user = &someone;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  long long now = (long long)time(NULL);
  const char *token = tn_xsrf_token(req);
  char *line = set_cookie_of(req);
  char want[128];
  int n = snprintf(want, sizeof want, "_xsrf=%s; expires=", token);
  assert_memory_equal(line, want, (size_t)n);
  int64_t t;
  assert_int_equal(tn__http_date_parse((tn_str_t){line + n, 29}, 0, &t), 0);
  assert_in_range(t, now + 30 * 86400, now + 30 * 86400 + 5);
  assert_string_equal(line + n + 29, "; Path=/");
  free(line);
  free_req(req);
  server.user = NULL;
}

static void test_form_html(void **state) {
  (void)state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  const char *html = tn_xsrf_form_html(req);
  char want[160];
  snprintf(want, sizeof want,
           "<input type=\"hidden\" name=\"_xsrf\" value=\"%s\"/>",
           tn_xsrf_token(req));
  assert_string_equal(html, want);
  free_req(req);
}

/* Each side unmasks the other's tokens to the same bytes. */
static void test_tokens_vs_tornado(void **state) {
  (void)state;
  enum { N = 8 };
  tn_req_t *reqs[N];
  oracle_t *o = oracle_new();
  for (size_t i = 0; i < N; i++) {
    reqs[i] = new_req(TN_METHOD_GET, NULL, NULL);
    q_begin(o, "xsrf_decode");
    q_str(o, tn_xsrf_token(reqs[i]));
    q_end(o);
    q_begin(o, "xsrf_token");
    q_word(o, "-");
    q_word(o, "0");
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < N; i++) {
    /* Tornado reads ours: version 2, our raw token, our time. */
    char want[128];
    int n = snprintf(want, sizeof want, "2 ");
    for (size_t j = 0; j < 16; j++)
      n += snprintf(want + n, sizeof want - (size_t)n, "%02x",
                    (unsigned char)reqs[i]->xsrf_raw.ptr[j]);
    snprintf(want + n, sizeof want - (size_t)n, " %lld",
             (long long)reqs[i]->xsrf_time);
    assert_string_equal(o->answers[2 * i], want);
    free_req(reqs[i]);

    /* We read Tornado's: its cookie holds its token; ours from that
     * cookie unmasks to the same bytes and keeps its time. */
    char *answer = o->answers[2 * i + 1];
    char *sp = strchr(answer, ' ');
    *sp = '\0';
    char *theirs = from_hex_str(answer, NULL);
    char *line = from_hex_str(sp + 1, NULL);
    char expect[128];
    snprintf(expect, sizeof expect, "_xsrf=%s; Path=/", theirs);
    assert_string_equal(line, expect);
    char cookie[128];
    snprintf(cookie, sizeof cookie, "_xsrf=%s", theirs);
    tn_req_t *req = req_with_cookie(cookie);
    unsigned char raw[16], raw_theirs[16];
    long long t, t_theirs;
    unmask(tn_xsrf_token(req), raw, &t);
    unmask(theirs, raw_theirs, &t_theirs);
    assert_memory_equal(raw, raw_theirs, 16);
    assert_int_equal(t, t_theirs);
    assert_int_equal(req->nout, 0);
    free_req(req);
    free(theirs);
    free(line);
  }
  oracle_free(o);
}

/* --- The check ----------------------------------------------------------- */

/* An unsafe request carrying `cookie` (the _xsrf value, NULL none), the
 * `_xsrf` query argument `arg` and the X-XSRFToken and X-CSRFToken
 * headers (NULL: none). Returns tn__xsrf_check's result; the body (to
 * free) in *page. */
static int check(unsigned method, const char *cookie, const char *arg,
                 const char *xsrf, const char *csrf, char **page) {
  char cookie_h[256], query[512];
  const char *h[9];
  int n = 0;
  if (cookie) {
    snprintf(cookie_h, sizeof cookie_h, "_xsrf=%s", cookie);
    h[n++] = "Cookie", h[n++] = cookie_h;
  }
  if (xsrf)
    h[n++] = "X-XSRFToken", h[n++] = xsrf;
  if (csrf)
    h[n++] = "X-CSRFToken", h[n++] = csrf;
  h[n] = NULL;
  query[0] = '\0';
  if (arg) {
    size_t q = (size_t)snprintf(query, sizeof query, "_xsrf=");
    for (const char *p = arg; *p; p++)
      q += (size_t)snprintf(query + q, sizeof query - q,
                            isalnum((unsigned char)*p) ? "%c" : "%%%02X",
                            (unsigned char)*p);
  }
  tn_req_t *req = new_req(method, query, h);
  int result = tn__xsrf_check(req);
  *page = body_of(req);
  if (result)
    assert_int_equal(req->status, 403);
  else
    assert_int_equal(req->nout + req->body_out.len, 0); /* nothing said */
  free_req(req);
  return result;
}

/* What Tornado's message becomes in torn's error page. */
static char *page_for(const char *message) {
  char *out = malloc(strlen(message) * 5 + 64), *o = out;
  o += sprintf(o, "403: Forbidden (");
  for (const char *p = message; *p; p++)
    o += *p == '\'' ? sprintf(o, "&#39;") : sprintf(o, "%c", *p);
  sprintf(o, ")");
  return out;
}

/* One request to both checks. */
typedef struct {
  const char *method;
  const char *cookie, *arg, *xsrf, *csrf;
} check_case_t;

static void q_opt(oracle_t *o, const char *s) {
  if (s)
    q_str(o, s);
  else
    q_word(o, "-");
}

static unsigned method_bit(const char *name) {
  for (unsigned bit = TN_METHOD_GET; bit < TN_METHOD_OTHER; bit <<= 1)
    if (!strcmp(tn_method_name(bit), name))
      return bit;
  fail_msg("no method %s", name);
  return 0;
}

static void judge(const check_case_t *cases, size_t n) {
  oracle_t *o = oracle_new();
  for (size_t i = 0; i < n; i++) {
    q_begin(o, "xsrf_check");
    q_word(o, cases[i].method);
    q_opt(o, cases[i].cookie);
    q_opt(o, cases[i].arg);
    q_opt(o, cases[i].xsrf);
    q_opt(o, cases[i].csrf);
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < n; i++) {
    const check_case_t *c = &cases[i];
    char *page;
    int ours = check(method_bit(c->method), c->cookie, c->arg, c->xsrf,
                     c->csrf, &page);
    const char *theirs = o->answers[i];
    bool ok = !strcmp(theirs, "ok");
    char *want = ok ? NULL : page_for(theirs + 4);
    if (ok != !ours || (!ok && !strstr(page, want)))
      fail_msg("%s cookie %s arg %s X-XSRFToken %s X-CSRFToken %s: torn "
               "%s, Tornado %s",
               c->method, c->cookie ? c->cookie : "-", c->arg ? c->arg : "-",
               c->xsrf ? c->xsrf : "-", c->csrf ? c->csrf : "-",
               ours ? page : "ok", theirs);
    free(want);
    free(page);
  }
  oracle_free(o);
}

/* Tokens of one raw token in every form either side reads, and others. */
typedef struct {
  char torn[64];     /* torn's masked token, with a cookie of its own */
  char torn2[64];    /* torn's, another mask, from that cookie */
  char tornado[64];  /* Tornado's, and its cookie */
  char tornado2[64]; /* Tornado's, another mask, from that cookie */
  char v1[40];       /* torn's raw token as version 1 hex */
  char v1_upper[40];
  char times[6][64]; /* torn's token with odd timestamps */
} tokens_t;

static void make_tokens(tokens_t *t) {
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  snprintf(t->torn, sizeof t->torn, "%s", tn_xsrf_token(req));
  char cookie[96];
  snprintf(cookie, sizeof cookie, "_xsrf=%s", t->torn);
  tn_req_t *again = req_with_cookie(cookie);
  snprintf(t->torn2, sizeof t->torn2, "%s", tn_xsrf_token(again));
  free_req(again);
  for (size_t i = 0; i < 16; i++) {
    unsigned char b = (unsigned char)req->xsrf_raw.ptr[i];
    sprintf(t->v1 + 2 * i, "%02x", b);
    sprintf(t->v1_upper + 2 * i, "%02X", b);
  }
  /* Masked by 00000000, with timestamps Python's int() may or may not
   * read. */
  static const char *const times[] = {" 12 ", "+5", "1_000", "-3", "1__0",
                                      ""};
  for (size_t i = 0; i < 6; i++)
    snprintf(t->times[i], sizeof t->times[i], "2|00000000|%s|%s", t->v1,
             times[i]);
  free_req(req);

  oracle_t *o = oracle_new();
  q_begin(o, "xsrf_token");
  q_word(o, "-");
  q_word(o, "0");
  q_end(o);
  oracle_run(o);
  *strchr(o->answers[0], ' ') = '\0';
  char *theirs = from_hex_str(o->answers[0], NULL);
  snprintf(t->tornado, sizeof t->tornado, "%s", theirs);
  free(theirs);
  oracle_free(o);
  o = oracle_new();
  q_begin(o, "xsrf_token");
  q_str(o, t->tornado);
  q_word(o, "0");
  q_end(o);
  oracle_run(o);
  assert_string_equal(strchr(o->answers[0], ' '), " -"); /* no new cookie */
  *strchr(o->answers[0], ' ') = '\0';
  theirs = from_hex_str(o->answers[0], NULL);
  snprintf(t->tornado2, sizeof t->tornado2, "%s", theirs);
  free(theirs);
  oracle_free(o);
}

static void test_check_vs_tornado(void **state) {
  (void)state;
  static tokens_t t;
  make_tokens(&t);
  const char *cookies[] = {NULL,      t.torn,      t.tornado,
                           t.v1,      "not-hex",   "2|zz|zz|1",
                           "3|00|00|1", "2|||5",   t.times[0],
                           "abc"};
  const char *sent[] = {NULL,       "",         t.torn,     t.torn2,
                        t.tornado,  t.tornado2, t.v1,       t.v1_upper,
                        "not-hex",  "2|zz|zz|1", "3|00|00|1", "2|||5",
                        "2|00|00",  "x",        "abc",      "616263",
                        t.times[0], t.times[1],
                        t.times[2], t.times[3], t.times[4], t.times[5]};
  enum { NC = sizeof cookies / sizeof *cookies,
         NS = sizeof sent / sizeof *sent };
  static check_case_t cases[NC * NS * 3 + 16];
  size_t n = 0;
  for (size_t i = 0; i < NC; i++)
    for (size_t j = 0; j < NS; j++) {
      cases[n++] = (check_case_t){"POST", cookies[i], sent[j], NULL, NULL};
      cases[n++] = (check_case_t){"PUT", cookies[i], NULL, sent[j], NULL};
      cases[n++] = (check_case_t){"DELETE", cookies[i], NULL, NULL, sent[j]};
    }
  /* The argument wins over the headers, X-XSRFToken over X-CSRFToken; an
   * empty one does not count. */
  cases[n++] = (check_case_t){"POST", t.torn, t.torn2, "bad", "bad"};
  cases[n++] = (check_case_t){"POST", t.torn, "bad", t.torn2, t.torn2};
  cases[n++] = (check_case_t){"POST", t.torn, "", t.torn2, "bad"};
  cases[n++] = (check_case_t){"POST", t.torn, NULL, "bad", t.torn2};
  cases[n++] = (check_case_t){"PATCH", t.torn, NULL, "", t.torn2};
  cases[n++] = (check_case_t){"PATCH", t.tornado, NULL, NULL, t.torn};
  judge(cases, n);
}

/* A mask shorter than 4 bytes: Tornado's C unmasking reads past it, so
 * there is no answer to compare with; torn refuses it. */
static void test_check_short_mask(void **state) {
  (void)state;
  static tokens_t t;
  make_tokens(&t);
  char *page;
  char token[80];
  snprintf(token, sizeof token, "2|0011|%s|5", t.v1);
  assert_int_equal(check(TN_METHOD_POST, t.torn, token, NULL, NULL, &page),
                   1);
  assert_non_null(strstr(page, "(&#39;_xsrf&#39; argument has invalid "
                               "format)"));
  free(page);
  /* 4 bytes or more: the first 4 are the mask, as Tornado. */
  snprintf(token, sizeof token, "2|00000000ff|%s|5", t.v1);
  assert_int_equal(check(TN_METHOD_POST, t.torn, token, NULL, NULL, &page),
                   0);
  free(page);
}

static void test_check_methods(void **state) {
  (void)state;
  char *page;
  static const unsigned safe[] = {TN_METHOD_GET, TN_METHOD_HEAD,
                                  TN_METHOD_OPTIONS};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(check(safe[i], NULL, NULL, NULL, NULL, &page), 0);
    free(page);
  }
  static const unsigned unsafe[] = {TN_METHOD_POST, TN_METHOD_PUT,
                                    TN_METHOD_PATCH, TN_METHOD_DELETE,
                                    TN_METHOD_OTHER};
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(check(unsafe[i], NULL, NULL, NULL, NULL, &page), 1);
    assert_string_equal(page, "<html><title>403: Forbidden</title><body>403: "
                              "Forbidden (&#39;_xsrf&#39; argument missing "
                              "from POST)</body></html>");
    free(page);
  }
}

/* The token in a form body, as a browser posts it. */
static void test_check_form_body(void **state) {
  (void)state;
  static tokens_t t;
  make_tokens(&t);
  char cookie[96], body[256];
  snprintf(cookie, sizeof cookie, "_xsrf=%s", t.torn);
  const char *h[] = {"Cookie", cookie, "Content-Type",
                     "application/x-www-form-urlencoded", NULL};
  static const struct {
    const char *fmt;
    int result;
  } bodies[] = {
      {"name=x&_xsrf=%s", 0},
      {"_xsrf=bad&_xsrf=%s", 0}, /* the last one */
      {"_xsrf=&_xsrf=%s", 0},
      {"_xsrf=%s&_xsrf=", 1},    /* the last is empty: none sent */
      {"_xsrf=%s&_xsrf=bad", 1},
      {"_xsrf=+%s+", 0},         /* stripped as get_argument strips */
  };
  for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
    char token[96];
    size_t q = 0;
    for (const char *p = t.torn2; *p; p++)
      q += (size_t)sprintf(token + q, *p == '|' ? "%%7C" : "%c", *p);
    snprintf(body, sizeof body, bodies[i].fmt, token);
    tn_req_t *req = new_req(TN_METHOD_POST, NULL, h);
    req->body = S(body);
    assert_int_equal(tn__xsrf_check(req), bodies[i].result);
    free_req(req);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_token_new, setup),
      cmocka_unit_test_setup(test_token_from_cookie, setup),
      cmocka_unit_test_setup(test_token_logged_in, setup),
      cmocka_unit_test_setup(test_form_html, setup),
      cmocka_unit_test_setup(test_tokens_vs_tornado, setup),
      cmocka_unit_test_setup(test_check_vs_tornado, setup),
      cmocka_unit_test_setup(test_check_short_mask, setup),
      cmocka_unit_test_setup(test_check_methods, setup),
      cmocka_unit_test_setup(test_check_form_body, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
