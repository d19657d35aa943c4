/* test_rt_signed_cookie.c -- signed values and signed cookies, against
 * the real Tornado: it must read what torn signs and torn what it signs,
 * byte for byte the same value, and both must refuse the same forgeries,
 * expired and mistaken values (tornado_oracle.py's sign and decode, with
 * a fixed clock). */
#include "cookie/harness.h"

#define T0 1700000000 /* the signing clock */
#define DAY 86400

static const char secret[] = "2f1b7e9c-torn-test-secret";

/* --- Creating ------------------------------------------------------------ */

/* Ours, NUL-terminated, to free. */
static char *create(const char *key, const char *name, const void *value,
                    size_t len, int64_t now) {
  int n = tn_create_signed_value(key, name, value, len, now, NULL, 0);
  assert_true(n > 0);
  char *out = malloc((size_t)n + 1);
  assert_non_null(out);
  assert_int_equal(tn_create_signed_value(key, name, value, len, now, out,
                                          (size_t)n + 1),
                   n);
  assert_int_equal(strlen(out), n);
  return out;
}

/* Decoded by us: the value (to free) or NULL. */
static char *decode(const char *key, const char *name, const char *v,
                    size_t len, double max_age_days, int64_t now,
                    size_t *out_len) {
  char *out = malloc(len + 1);
  assert_non_null(out);
  size_t n = 12345;
  int err = tn_decode_signed_value(key, name, v, len, max_age_days, now, out,
                                   &n);
  if (err) {
    assert_int_equal(err, TN_EINVAL);
    assert_int_equal(n, 0);
    free(out);
    return NULL;
  }
  assert_int_equal(out[n], '\0');
  if (out_len)
    *out_len = n;
  return out;
}

typedef struct {
  const char *key;
  const char *name;
  const char *value;
  size_t len;
  int64_t now;
} sign_case_t;

static unsigned char all_bytes[256];
static char big[3001];

static sign_case_t sign_cases[] = {
    {secret, "user", "bob", 3, T0},
    {secret, "user", "", 0, T0},
    {secret, "user", "a", 1, T0},
    {secret, "user", "ab", 2, T0},
    {secret, "session_id", "{\"id\": 42}", 10, 1},
    {secret, "n", "caf\xc3\xa9 \xe2\x82\xac", 9, 4102444800},
    {secret, "n", "with\0nul", 8, T0},
    {"k", "user", "bob", 3, T0},
    /* Longer than an HMAC block: the key is hashed first. */
    {"a secret much longer than the sixty-four bytes of a SHA-256 block, "
     "which HMAC hashes down first",
     "user", "bob", 3, T0},
    {"s\xc3\xa9" "cret", "user", "bob", 3, T0},
    {secret, "bin", (const char *)all_bytes, 256, T0},
    {secret, "big", big, 3000, T0},
};
enum { NSIGN = sizeof sign_cases / sizeof *sign_cases };

static int setup_bytes(void **state) {
  (void)state;
  for (int i = 0; i < 256; i++)
    all_bytes[i] = (unsigned char)i;
  for (int i = 0; i < 3000; i++)
    big[i] = (char)('a' + i % 26);
  server_init(secret);
  return 0;
}

/* The same bytes as Tornado's create_signed_value, and each side reads
 * the other's. */
static void test_sign_as_tornado(void **state) {
  (void)state;
  char nows[NSIGN][24];
  oracle_t *o = oracle_new();
  char *ours[NSIGN];
  for (size_t i = 0; i < NSIGN; i++) {
    const sign_case_t *c = &sign_cases[i];
    snprintf(nows[i], sizeof nows[i], "%lld", (long long)c->now);
    ours[i] = create(c->key, c->name, c->value, c->len, c->now);
    q_begin(o, "sign");
    q_word(o, "2");
    q_str(o, c->key);
    q_str(o, c->name);
    q_hex(o, c->value, c->len);
    q_word(o, nows[i]);
    q_end(o);
    q_begin(o, "decode"); /* ours, read by Tornado a minute later */
    q_str(o, c->key);
    q_str(o, c->name);
    q_str(o, ours[i]);
    snprintf(nows[i], sizeof nows[i], "%lld", (long long)c->now + 60);
    q_word(o, nows[i]);
    q_word(o, "31");
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < NSIGN; i++) {
    const sign_case_t *c = &sign_cases[i];
    size_t n;
    char *theirs = from_hex_str(o->answers[2 * i], &n);
    assert_string_equal(ours[i], theirs);
    char *back = from_hex_str(o->answers[2 * i + 1], &n);
    assert_non_null(back);
    assert_int_equal(n, c->len);
    assert_memory_equal(back, c->value, n);
    char *mine = decode(c->key, c->name, theirs, strlen(theirs), 31,
                        c->now + 60, &n);
    assert_non_null(mine);
    assert_int_equal(n, c->len);
    assert_memory_equal(mine, c->value, n);
    free(mine);
    free(back);
    free(theirs);
    free(ours[i]);
  }
  oracle_free(o);
}

/* Version 1, which only Tornado can write: torn reads it. */
static void test_read_tornado_v1(void **state) {
  (void)state;
  oracle_t *o = oracle_new();
  char now[24];
  for (size_t i = 0; i < NSIGN; i++) {
    const sign_case_t *c = &sign_cases[i];
    snprintf(now, sizeof now, "%lld", (long long)c->now);
    q_begin(o, "sign");
    q_word(o, "1");
    q_str(o, c->key);
    q_str(o, c->name);
    q_hex(o, c->value, c->len);
    q_word(o, now);
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < NSIGN; i++) {
    const sign_case_t *c = &sign_cases[i];
    size_t n;
    char *v1 = from_hex_str(o->answers[i], NULL);
    assert_int_not_equal(tn__signed_version(v1, strlen(v1)), 2);
    char *got = decode(c->key, c->name, v1, strlen(v1), 31, c->now + 60, &n);
    assert_non_null(got);
    assert_int_equal(n, c->len);
    assert_memory_equal(got, c->value, n);
    free(got);
    free(v1);
  }
  oracle_free(o);
}

static void test_create_sizes(void **state) {
  (void)state;
  char out[256];
  int n = tn_create_signed_value(secret, "user", "bob", 3, T0, NULL, 0);
  /* "2|1:0|10:1700000000|4:user|4:Ym9i|" and 64 hex digits. */
  assert_int_equal(n, 34 + 64);
  memset(out, '#', sizeof out);
  assert_int_equal(tn_create_signed_value(secret, "user", "bob", 3, T0, out,
                                          (size_t)n),
                   n);
  assert_int_equal(out[0], '#'); /* no room for the NUL: nothing written */
  assert_int_equal(tn_create_signed_value(secret, "user", "bob", 3, T0, out,
                                          (size_t)n + 1),
                   n);
  assert_memory_equal(out, "2|1:0|10:1700000000|4:user|4:Ym9i|", 34);
  assert_int_equal(out[n], '\0');
  assert_int_equal(tn_create_signed_value(NULL, "u", "b", 1, T0, out, 256),
                   TN_EINVAL);
  assert_int_equal(tn_create_signed_value("", "u", "b", 1, T0, out, 256),
                   TN_EINVAL);
  assert_int_equal(tn_create_signed_value(secret, "u", "b", 1, -1, out, 256),
                   TN_EINVAL);
}

/* --- Refusing ------------------------------------------------------------ */

/* One value put to both decoders. */
typedef struct {
  char *value;
  size_t len;
  const char *key;
  const char *name;
  int64_t now;
  double max_age_days;
  int accept; /* what both must say: 1, 0, or -1 for "whatever Tornado
                 says" (mutations) */
} verdict_t;

#define MAX_VERDICTS 2048

typedef struct {
  verdict_t v[MAX_VERDICTS];
  size_t n;
} verdicts_t;

static void add(verdicts_t *vs, const char *value, size_t len,
                const char *key, const char *name, int64_t now,
                double max_age_days, int accept) {
  assert_true(vs->n < MAX_VERDICTS);
  char *copy = malloc(len + 1);
  assert_non_null(copy);
  memcpy(copy, value, len);
  copy[len] = '\0';
  vs->v[vs->n++] = (verdict_t){copy, len, key, name, now, max_age_days,
                               accept};
}

/* Both decoders on every value: the same verdict, the expected one, and
 * the same bytes when accepted. */
static void judge(verdicts_t *vs) {
  oracle_t *o = oracle_new();
  char now[24], age[32];
  for (size_t i = 0; i < vs->n; i++) {
    const verdict_t *v = &vs->v[i];
    snprintf(now, sizeof now, "%lld", (long long)v->now);
    snprintf(age, sizeof age, "%.17g", v->max_age_days);
    q_begin(o, "decode");
    q_str(o, v->key);
    q_str(o, v->name);
    q_hex(o, v->value, v->len);
    q_word(o, now);
    q_word(o, age);
    q_end(o);
  }
  oracle_run(o);
  for (size_t i = 0; i < vs->n; i++) {
    const verdict_t *v = &vs->v[i];
    size_t their_len = 0, our_len = 0;
    char *theirs = from_hex_str(o->answers[i], &their_len);
    char *ours = decode(v->key, v->name, v->value, v->len, v->max_age_days,
                        v->now, &our_len);
    if (!theirs != !ours || (v->accept >= 0 && (ours != NULL) != v->accept))
      fail_msg("case %zu %s (name %s, now %lld, max age %g): torn %s, "
               "Tornado %s, expected %s",
               i, v->value, v->name, (long long)v->now, v->max_age_days,
               ours ? "accepts" : "refuses", theirs ? "accepts" : "refuses",
               v->accept < 0 ? "either" : v->accept ? "accept" : "refuse");
    if (ours) {
      assert_int_equal(our_len, their_len);
      assert_memory_equal(ours, theirs, our_len);
    }
    free(ours);
    free(theirs);
    free(v->value);
  }
  vs->n = 0;
  oracle_free(o);
}

static void test_refuse_as_tornado(void **state) {
  (void)state;
  static verdicts_t vs;
  char *v2 = create(secret, "user", "bob", 3, T0);
  size_t n2 = strlen(v2);
#define ADD(value, key, name, now, age, accept)                             \
  add(&vs, value, strlen(value), key, name, now, age, accept)
  ADD(v2, secret, "user", T0 + 60, 31, 1);
  /* Expiry: older than max_age_days, to the second. */
  ADD(v2, secret, "user", T0 + 31 * DAY, 31, 1);
  ADD(v2, secret, "user", T0 + 31 * DAY + 1, 31, 0);
  ADD(v2, secret, "user", T0 + DAY, 1, 1);
  ADD(v2, secret, "user", T0 + DAY + 1, 1, 0);
  ADD(v2, secret, "user", T0 + DAY / 2 + 1, 0.5, 0);
  ADD(v2, secret, "user", T0 + 400 * DAY, 365.25, 0);
  /* A version 2 timestamp is signed: ahead of the clock is accepted. */
  ADD(v2, secret, "user", T0 - 400 * DAY, 31, 1);
  /* Wrong name, wrong secret. */
  ADD(v2, secret, "User", T0, 31, 0);
  ADD(v2, secret, "use", T0, 31, 0);
  ADD(v2, secret, "users", T0, 31, 0);
  ADD(v2, "2f1b7e9c-torn-test-secreT", "user", T0, 31, 0);
  ADD(v2, "2f1b7e9c-torn-test-secre", "user", T0, 31, 0);
  /* Not signed values at all. */
  ADD("", secret, "user", T0, 31, 0);
  ADD("bob", secret, "user", T0, 31, 0);
  ADD("2|", secret, "user", T0, 31, 0);
  ADD("2|1:0|10:1700000000|4:user|4:Ym9i|", secret, "user", T0, 31, 0);
  /* Another version number. */
  char *other = strdup(v2);
  other[0] = '3';
  ADD(other, secret, "user", T0, 31, 0);
  free(other);
  /* The signature in capitals: Tornado compares the hex as text. */
  char *upper = strdup(v2);
  for (char *p = upper + n2 - 64; *p; p++)
    if (*p >= 'a' && *p <= 'f')
      *p = (char)(*p - 32);
  ADD(upper, secret, "user", T0, 31, 0);
  free(upper);
  /* Every byte changed, every prefix, and bytes added. */
  static const char subst[] = "0129|:aA=/+\n";
  for (size_t i = 0; i < n2; i++) {
    for (const char *s = subst; *s; s++) {
      if (*s == v2[i])
        continue;
      char *m = strdup(v2);
      m[i] = *s;
      ADD(m, secret, "user", T0, 31, 0);
      free(m);
    }
    add(&vs, v2, i, secret, "user", T0, 31, 0);
  }
  static const char *const tails[] = {"x", "0", "|", "\n", " "};
  for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
    char *m = malloc(n2 + 2);
    snprintf(m, n2 + 2, "%s%s", v2, tails[i]);
    ADD(m, secret, "user", T0, 31, 0);
    snprintf(m, n2 + 2, "%s%s", tails[i], v2);
    ADD(m, secret, "user", T0, 31, 0);
    free(m);
  }
  judge(&vs);
  free(v2);
#undef ADD
}

/* Version 1 is signed over name, value and timestamp run together, so
 * digits can be moved between value and timestamp without breaking the
 * signature: Tornado refuses a timestamp with a leading zero or more
 * than 31 days ahead, and so must torn. */
static void test_refuse_v1_as_tornado(void **state) {
  (void)state;
  static verdicts_t vs;
  oracle_t *o = oracle_new();
  /* "aa4" is "YWE0", "aa}" is "YWF9" and "abc\xd3\x4d\x34" "YWJj0000":
   * base64 ending in digits. */
  static const char *const values[] = {"bob", "aa4", "aa}",
                                       "abc\xd3\x4d\x34"};
  enum { NV = sizeof values / sizeof *values };
  char now[24];
  snprintf(now, sizeof now, "%d", T0);
  for (size_t i = 0; i < NV; i++) {
    q_begin(o, "sign");
    q_word(o, "1");
    q_str(o, secret);
    q_str(o, "user");
    q_str(o, values[i]);
    q_word(o, now);
    q_end(o);
  }
  oracle_run(o);
  char *v1[NV];
  for (size_t i = 0; i < NV; i++)
    v1[i] = from_hex_str(o->answers[i], NULL);
  oracle_free(o);
#define ADD(value, now, age, accept)                                        \
  add(&vs, value, strlen(value), secret, "user", now, age, accept)
  ADD(v1[0], T0 + 60, 31, 1);
  ADD(v1[0], T0 + 31 * DAY + 1, 31, 0);
  ADD(v1[0], T0 + 2 * DAY, 1, 0);
  /* Ahead of the clock: up to 31 days. */
  ADD(v1[0], T0 - 31 * DAY, 31, 1);
  ADD(v1[0], T0 - 31 * DAY - 1, 31, 0);
  ADD(v1[0], T0, 31, 1);
  add(&vs, v1[0], strlen(v1[0]), secret, "usr", T0, 31, 0);
  add(&vs, v1[0], strlen(v1[0]), "other", "user", T0, 31, 0);
  /* "YWE0|1700000000|sig" -> "YWE|01700000000|sig": same signature. */
  char moved[128];
  assert_memory_equal(v1[1], "YWE0|1700000000|", 16);
  snprintf(moved, sizeof moved, "YWE|0%s", v1[1] + 5);
  ADD(v1[1], T0, 31, 1);
  ADD(moved, T0, 31, 0);
  /* "YWF9|1700000000|sig" -> "YWF|91700000000|sig": far ahead. */
  assert_memory_equal(v1[2], "YWF9|1700000000|", 16);
  snprintf(moved, sizeof moved, "YWF|9%s", v1[2] + 5);
  ADD(v1[2], T0, 31, 1);
  ADD(moved, T0, 31, 0);
  /* And the other way: "YWF91|700000000|sig", long expired. */
  snprintf(moved, sizeof moved, "YWF91|%s", v1[2] + 6);
  ADD(moved, T0, 31, 0);
  /* "YWJj0000|1700000000|sig" -> "YWJj|00001700000000|sig": the same
   * time, the same signature, and only the leading zero to tell. */
  assert_memory_equal(v1[3], "YWJj0000|1700000000|", 20);
  snprintf(moved, sizeof moved, "YWJj|0000%s", v1[3] + 9);
  ADD(v1[3], T0, 31, 1);
  ADD(moved, T0, 31, 0);
  /* Every byte changed and every prefix. */
  size_t n = strlen(v1[0]);
  for (size_t i = 0; i < n; i++) {
    char *m = strdup(v1[0]);
    m[i] = m[i] == '1' ? '2' : '1';
    ADD(m, T0, 31, 0);
    free(m);
    add(&vs, v1[0], i, secret, "user", T0, 31, 0);
  }
  judge(&vs);
  for (size_t i = 0; i < NV; i++)
    free(v1[i]);
#undef ADD
}

/* --- Cookies ------------------------------------------------------------- */

/* The cookie part ("name=value") of a Set-Cookie line, as a browser sends
 * it back, to free. */
static char *sent_back(const char *line) {
  return strndup(line, strcspn(line, ";"));
}

static void test_signed_cookie_round_trip(void **state) {
  (void)state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  int64_t now = (int64_t)time(NULL);
  assert_int_equal(tn_set_signed_cookie(req, "user", "bob\0x", 5, NULL), 0);
  char *line = set_cookie_of(req);
  free_req(req);
  assert_memory_equal(line, "user=2|1:0|10:", 14);
  /* Tornado's default: 30 days. */
  const char *exp = strstr(line, "; expires=");
  assert_non_null(exp);
  int64_t t;
  assert_int_equal(tn__http_date_parse((tn_str_t){exp + 10, 29}, 0, &t), 0);
  assert_in_range(t, now + 30 * DAY, now + 30 * DAY + 5);
  assert_string_equal(exp + 10 + 29, "; Path=/");

  char *cookie = sent_back(line);
  req = req_with_cookie(cookie);
  size_t len = 99;
  const char *v = tn_get_signed_cookie(req, "user", 0, &len);
  assert_non_null(v);
  assert_int_equal(len, 5);
  assert_memory_equal(v, "bob\0x", 6);
  assert_non_null(tn_get_signed_cookie(req, "user", 31, NULL));
  /* Under another name it is not the same cookie. */
  assert_null(tn_get_signed_cookie(req, "other", 31, &len));
  assert_int_equal(len, 0);
  free_req(req);

  /* Tornado reads the cookie torn set. */
  oracle_t *o = oracle_new();
  char now_s[24];
  snprintf(now_s, sizeof now_s, "%lld", (long long)now + 5);
  q_begin(o, "decode");
  q_str(o, secret);
  q_str(o, "user");
  q_str(o, cookie + 5);
  q_word(o, now_s);
  q_word(o, "31");
  q_end(o);
  oracle_run(o);
  char *back = from_hex_str(o->answers[0], &len);
  assert_non_null(back);
  assert_int_equal(len, 5);
  assert_memory_equal(back, "bob\0x", 5);
  free(back);
  oracle_free(o);
  free(cookie);
  free(line);
}

/* A cookie Tornado set: its Set-Cookie quotes the value (base64 holds
 * '='), the browser sends the quotes back, torn reads through them. */
static void test_signed_cookie_from_tornado(void **state) {
  (void)state;
  oracle_t *o = oracle_new();
  char now[24];
  snprintf(now, sizeof now, "%lld", (long long)time(NULL));
  q_begin(o, "sign");
  q_word(o, "2");
  q_str(o, secret);
  q_str(o, "user");
  q_str(o, "bobby");
  q_word(o, now);
  q_end(o);
  oracle_run(o);
  char *signed_value = from_hex_str(o->answers[0], NULL);
  oracle_free(o);

  o = oracle_new();
  q_begin(o, "set_cookie");
  q_str(o, "user");
  q_str(o, signed_value);
  q_str(o, "{}");
  q_end(o);
  oracle_run(o);
  char *line = from_hex_str(o->answers[0], NULL);
  oracle_free(o);
  char *cookie = sent_back(line);
  assert_memory_equal(cookie, "user=\"2|1:0|", 12);

  tn_req_t *req = req_with_cookie(cookie);
  size_t len;
  const char *v = tn_get_signed_cookie(req, "user", 31, &len);
  assert_non_null(v);
  assert_int_equal(len, 5);
  assert_string_equal(v, "bobby");
  /* Read as a plain cookie, it is the signed value itself. */
  assert_string_equal(tn_get_cookie(req, "user", NULL), signed_value);
  free_req(req);
  free(cookie);
  free(line);
  free(signed_value);
}

static void test_signed_cookie_max_age(void **state) {
  (void)state;
  int64_t now = (int64_t)time(NULL);
  char *value = create(secret, "s", "v", 1, now - 2 * DAY - 60);
  char cookie[256];
  snprintf(cookie, sizeof cookie, "s=%s", value);
  tn_req_t *req = req_with_cookie(cookie);
  assert_null(tn_get_signed_cookie(req, "s", 1, NULL));
  assert_null(tn_get_signed_cookie(req, "s", 2, NULL));
  assert_string_equal(tn_get_signed_cookie(req, "s", 2.5, NULL), "v");
  assert_string_equal(tn_get_signed_cookie(req, "s", 0, NULL), "v");
  assert_string_equal(tn_get_signed_cookie(req, "s", -1, NULL), "v");
  free_req(req);
  free(value);

  /* The default is 31 days, not 30. */
  value = create(secret, "s", "v", 1, now - 30 * DAY - DAY / 2);
  snprintf(cookie, sizeof cookie, "s=%s", value);
  req = req_with_cookie(cookie);
  assert_string_equal(tn_get_signed_cookie(req, "s", 0, NULL), "v");
  free_req(req);
  free(value);

  value = create(secret, "s", "v", 1, now - 31 * DAY - 60);
  snprintf(cookie, sizeof cookie, "s=%s", value);
  req = req_with_cookie(cookie);
  assert_null(tn_get_signed_cookie(req, "s", 0, NULL)); /* default 31 */
  assert_string_equal(tn_get_signed_cookie(req, "s", 32, NULL), "v");
  free_req(req);
  free(value);
}

static void test_signed_cookie_options(void **state) {
  (void)state;
  tn_req_t *req = new_req(TN_METHOD_GET, NULL, NULL);
  tn_cookie_opts_t o = {.http_only = 1, .secure = 1, .path = "/app"};
  assert_int_equal(tn_set_signed_cookie(req, "s", "v", 1, &o), 0);
  char *line = set_cookie_of(req);
  /* Given options are used as they are: a session cookie here. */
  assert_null(strstr(line, "expires="));
  assert_string_equal(strchr(line, ';'), "; HttpOnly; Path=/app; Secure");
  free(line);
  /* The cookie name is checked as tn_set_cookie checks it. */
  assert_int_equal(tn_set_signed_cookie(req, "a b", "v", 1, NULL),
                   TN_EHEADER);
  free_req(req);
}

static void test_signed_cookie_without_secret(void **state) {
  (void)state;
  char *value = create(secret, "s", "v", 1, (int64_t)time(NULL));
  char cookie[256];
  snprintf(cookie, sizeof cookie, "s=%s", value);
  static const char *const none[] = {NULL, ""};
  for (size_t i = 0; i < 2; i++) {
    server_init(none[i]);
    tn_req_t *req = req_with_cookie(cookie);
    assert_int_equal(tn_set_signed_cookie(req, "s", "v", 1, NULL), TN_EINVAL);
    assert_int_equal(req->nout, 0);
    assert_null(tn_get_signed_cookie(req, "s", 31, NULL));
    free_req(req);
  }
  /* Another secret: refused. */
  server_init("another secret");
  tn_req_t *req = req_with_cookie(cookie);
  assert_null(tn_get_signed_cookie(req, "s", 31, NULL));
  free_req(req);
  server_init(secret);
  req = req_with_cookie(cookie);
  assert_string_equal(tn_get_signed_cookie(req, "s", 31, NULL), "v");
  free_req(req);
  free(value);
}

static void test_signed_version(void **state) {
  (void)state;
  assert_int_equal(tn__signed_version("2|x", 3), 2);
  assert_int_equal(tn__signed_version("2|", 2), 2);
  assert_int_equal(tn__signed_version("12|x", 4), 12);
  assert_int_equal(tn__signed_version("99999|x", 7), 1000);
  assert_int_equal(tn__signed_version("02|x", 4), 0);
  assert_int_equal(tn__signed_version("2x|", 3), 0);
  assert_int_equal(tn__signed_version("2", 1), 0);
  assert_int_equal(tn__signed_version("", 0), 0);
  assert_int_equal(tn__signed_version("2|a\n", 4), 2); /* `$` before a
                                                          last newline */
  assert_int_equal(tn__signed_version("2|a\nb", 5), 0);
  assert_int_equal(tn__signed_version("2|\n\n", 4), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_sign_as_tornado, setup_bytes),
      cmocka_unit_test_setup(test_read_tornado_v1, setup_bytes),
      cmocka_unit_test_setup(test_create_sizes, setup_bytes),
      cmocka_unit_test_setup(test_refuse_as_tornado, setup_bytes),
      cmocka_unit_test_setup(test_refuse_v1_as_tornado, setup_bytes),
      cmocka_unit_test_setup(test_signed_cookie_round_trip, setup_bytes),
      cmocka_unit_test_setup(test_signed_cookie_from_tornado, setup_bytes),
      cmocka_unit_test_setup(test_signed_cookie_max_age, setup_bytes),
      cmocka_unit_test_setup(test_signed_cookie_options, setup_bytes),
      cmocka_unit_test_setup(test_signed_cookie_without_secret, setup_bytes),
      cmocka_unit_test_setup(test_signed_version, setup_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
