/* test_rt_ws_utf8.c -- the incremental UTF-8 validator: the Autobahn
 * testsuite's case group 6 (valid text, boundaries, overlong forms,
 * surrogates, code points past U+10FFFF, truncated sequences) with the
 * exact byte at which each invalid text must fail when fed byte by byte;
 * the same texts fed whole and split at every offset; the ASCII word path
 * at every alignment; and every 1-, 2- and 3-byte string (and a sample of
 * 4-byte ones) against an oracle built from the encodings of all code
 * points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

/* The index of the byte at which feeding `s` one byte at a time fails,
 * or -1; *done says whether it ended on a character boundary. */
static long fail_index_bytes(const uint8_t *s, size_t n, bool *done) {
  tn__utf8_t u;
  tn__utf8_init(&u);
  for (size_t i = 0; i < n; i++)
    if (!tn__utf8_feed(&u, s + i, 1))
      return (long)i;
  if (done)
    *done = tn__utf8_done(&u);
  return -1;
}

/* The same index found by feeding ever longer prefixes whole, so that
 * the word-at-a-time path decides: the first prefix that fails ends at
 * the bad byte. */
static long fail_index_prefixes(const uint8_t *s, size_t n) {
  for (size_t k = 1; k <= n; k++) {
    tn__utf8_t u;
    tn__utf8_init(&u);
    if (!tn__utf8_feed(&u, s, k))
      return (long)k - 1;
  }
  return -1;
}

/* Feeding `s` whole, byte by byte, by prefixes and in two pieces cut at
 * every offset agrees: fails at byte `want_fail` (-1: never), and else
 * ends on a character boundary or not (`want_done`). */
static void expect_text(const char *label, const uint8_t *s, size_t n,
                        long want_fail, bool want_done) {
  bool done = false;
  long at = fail_index_bytes(s, n, &done);
  if (at != want_fail)
    fail_msg("%s: byte by byte fails at %ld, want %ld", label, at, want_fail);
  if (want_fail < 0 && done != want_done)
    fail_msg("%s: done %d, want %d", label, done, want_done);
  at = fail_index_prefixes(s, n);
  if (at != want_fail)
    fail_msg("%s: by prefixes fails at %ld, want %ld", label, at, want_fail);
  bool valid = want_fail < 0 && want_done;
  if (tn__utf8_valid(s, n) != valid)
    fail_msg("%s: tn__utf8_valid says %d", label, !valid);
  for (size_t k = 0; k <= n; k++) {
    tn__utf8_t u;
    tn__utf8_init(&u);
    bool first = tn__utf8_feed(&u, s, k);
    /* the first piece fails exactly when it holds the bad byte */
    if (first != !(want_fail >= 0 && (size_t)want_fail < k))
      fail_msg("%s: cut at %zu: first piece %d", label, k, first);
    if (!first)
      continue;
    bool second = tn__utf8_feed(&u, s + k, n - k);
    if (second != (want_fail < 0) || (second && tn__utf8_done(&u) != want_done))
      fail_msg("%s: cut at %zu: second piece %d", label, k, second);
  }
}

/* --- Autobahn case group 6 --------------------------------------------------
 */

typedef struct {
  const char *label;
  const char *bytes;
  size_t len;
  long fail; /* the byte it fails at, -1 for none */
  bool done; /* with fail -1: ends on a boundary */
} text_case_t;

#define T(label, s, fail, done)                                                \
  { label, s, sizeof s - 1, fail, done }
#define KOSME "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" /* κόσμε */

static const text_case_t cases[] = {
    /* 6.1-6.2: empty and valid multilingual text */
    T("6.1.1 empty", "", -1, true),
    T("6.2.1 mixed",
      "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0"
      "\xc3\xa1-UTF-8!!",
      -1, true),
    T("6.2 multilingual",
      "Gr\xc3\xbc\xc3\x9f Gott, \xce\xba\xce\xb1\xce\xbb"
      "\xce\xb7\xce\xbc\xce\xad\xcf\x81\xce\xb1, \xe3\x81\x93\xe3\x82\x93"
      "\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf, \xf0\x9f\x98\x80 "
      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
      -1, true),
    /* 6.3: a surrogate inside otherwise good text */
    T("6.3.1 kosme", KOSME, -1, true),
    T("6.3.2 kosme+surrogate",
      KOSME "\xed\xa0\x80"
            "edited",
      12, false),
    /* 6.4: fail fast, at the first byte that cannot continue */
    T("6.4.1 past U+10FFFF",
      KOSME "\xf4\x90\x80\x80"
            "edited",
      12, false),
    T("6.4.2 F4 then 90",
      KOSME "\xf4"
            "\x90\x80\x80"
            "edited",
      12, false),
    T("6.4.3 lone F4 90", "\xf4\x90", 1, false),
    T("6.4.4 F4 90 80 80", "\xf4\x90\x80\x80", 1, false),
    /* 6.5-6.6: κόσμε and each of its prefixes */
    T("6.6.1", "\xce", -1, false),
    T("6.6.2", "\xce\xba", -1, true),
    T("6.6.3", "\xce\xba\xe1", -1, false),
    T("6.6.4", "\xce\xba\xe1\xbd", -1, false),
    T("6.6.5", "\xce\xba\xe1\xbd\xb9", -1, true),
    T("6.6.8", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce", -1, false),
    /* 6.7: the first code point of each length */
    T("6.7.1 U+0000", "\x00", -1, true),
    T("6.7.2 U+0080", "\xc2\x80", -1, true),
    T("6.7.3 U+0800", "\xe0\xa0\x80", -1, true),
    T("6.7.4 U+10000", "\xf0\x90\x80\x80", -1, true),
    /* 6.8: five- and six-byte forms do not exist */
    T("6.8.1 5 bytes", "\xf8\x88\x80\x80\x80", 0, false),
    T("6.8.2 6 bytes", "\xfc\x84\x80\x80\x80\x80", 0, false),
    /* 6.9: the last code point of each length */
    T("6.9.1 U+007F", "\x7f", -1, true),
    T("6.9.2 U+07FF", "\xdf\xbf", -1, true),
    T("6.9.3 U+FFFF", "\xef\xbf\xbf", -1, true),
    T("6.9.4 U+10FFFF", "\xf4\x8f\xbf\xbf", -1, true),
    /* 6.10: past the last */
    T("6.10.1 U+1FFFFF", "\xf7\xbf\xbf\xbf", 0, false),
    T("6.10.2 5 bytes", "\xfb\xbf\xbf\xbf\xbf", 0, false),
    T("6.10.3 6 bytes", "\xfd\xbf\xbf\xbf\xbf\xbf", 0, false),
    /* 6.11: other boundaries */
    T("6.11.1 U+D7FF", "\xed\x9f\xbf", -1, true),
    T("6.11.2 U+E000", "\xee\x80\x80", -1, true),
    T("6.11.3 U+FFFD", "\xef\xbf\xbd", -1, true),
    T("6.11.4 U+10FFFF", "\xf4\x8f\xbf\xbf", -1, true),
    T("6.11.5 U+110000", "\xf4\x90\x80\x80", 1, false),
    /* 6.12: continuation bytes with nothing to continue */
    T("6.12.1 80", "\x80", 0, false),
    T("6.12.2 BF", "\xbf", 0, false),
    T("6.12.3 80 BF", "\x80\xbf", 0, false),
    T("6.12.8 after ASCII", "abc\x80", 3, false),
    T("6.12.9 after a character", "\xc2\xa9\xbf", 2, false),
    T("6.12.10 one too many", "\xe2\x82\xac\x80", 3, false),
    /* 6.13: lonely start bytes followed by a space */
    T("6.13.1 C0", "\xc0\x20", 0, false),
    T("6.13.2 C2", "\xc2\x20", 1, false),
    T("6.13.3 E0", "\xe0\x20", 1, false),
    T("6.13.4 F0", "\xf0\x20", 1, false),
    T("6.13.5 F8", "\xf8\x20", 0, false),
    T("6.13.6 FC", "\xfc\x20", 0, false),
    /* 6.14-6.15: the last byte missing, alone and one after another */
    T("6.14.1 C2", "\xc2", -1, false),
    T("6.14.2 E0 A0", "\xe0\xa0", -1, false),
    T("6.14.3 F0 90 80", "\xf0\x90\x80", -1, false),
    T("6.14.4 DF", "\xdf", -1, false),
    T("6.14.5 EF BF", "\xef\xbf", -1, false),
    T("6.14.6 F4 8F BF", "\xf4\x8f\xbf", -1, false),
    T("6.15.1 concatenated", "\xc2\xe0\xa0\xf0\x90\x80", 1, false),
    /* 6.16: bytes that never appear */
    T("6.16.1 FE", "\xfe", 0, false),
    T("6.16.2 FF", "\xff", 0, false),
    T("6.16.3 FE FE FF FF", "\xfe\xfe\xff\xff", 0, false),
    T("6.16 F5", "\xf5\x80\x80\x80", 0, false),
    /* 6.17-6.19: overlong forms, of '/', of the largest and of NUL */
    T("6.17.1 C0 AF", "\xc0\xaf", 0, false),
    T("6.17.2 E0 80 AF", "\xe0\x80\xaf", 1, false),
    T("6.17.3 F0 80 80 AF", "\xf0\x80\x80\xaf", 1, false),
    T("6.17.4 F8 ...", "\xf8\x80\x80\x80\xaf", 0, false),
    T("6.18.1 C1 BF", "\xc1\xbf", 0, false),
    T("6.18.2 E0 9F BF", "\xe0\x9f\xbf", 1, false),
    T("6.18.3 F0 8F BF BF", "\xf0\x8f\xbf\xbf", 1, false),
    T("6.19.1 C0 80", "\xc0\x80", 0, false),
    T("6.19.2 E0 80 80", "\xe0\x80\x80", 1, false),
    T("6.19.3 F0 80 80 80", "\xf0\x80\x80\x80", 1, false),
    /* 6.20-6.21: surrogates, single and paired */
    T("6.20.1 U+D800", "\xed\xa0\x80", 1, false),
    T("6.20.2 U+DB7F", "\xed\xad\xbf", 1, false),
    T("6.20.3 U+DB80", "\xed\xae\x80", 1, false),
    T("6.20.4 U+DBFF", "\xed\xaf\xbf", 1, false),
    T("6.20.5 U+DC00", "\xed\xb0\x80", 1, false),
    T("6.20.6 U+DF80", "\xed\xbe\x80", 1, false),
    T("6.20.7 U+DFFF", "\xed\xbf\xbf", 1, false),
    T("6.21.1 U+D800 U+DC00", "\xed\xa0\x80\xed\xb0\x80", 1, false),
    T("6.21.8 U+DBFF U+DFFF", "\xed\xaf\xbf\xed\xbf\xbf", 1, false),
    /* 6.22-6.23: noncharacters and the replacement character are text */
    T("6.22.1 U+FFFE", "\xef\xbf\xbe", -1, true),
    T("6.22.3 U+1FFFE", "\xf0\x9f\xbf\xbe", -1, true),
    T("6.22.34 U+10FFFE", "\xf4\x8f\xbf\xbe", -1, true),
    T("6.23.1 U+FFFD", "\xef\xbf\xbd", -1, true),
};

static void test_autobahn_cases(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    expect_text(cases[i].label, (const uint8_t *)cases[i].bytes, cases[i].len,
                cases[i].fail, cases[i].done);
}

/* --- The ASCII word path
 * ------------------------------------------------------- */

/* ASCII runs of every length before and after a bad byte, a character
 * and a truncated one, at every alignment of the buffer. */
static void test_ascii_runs(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t len;
    long fail; /* within s */
    bool done;
  } mids[] = {{"\xff", 1, 0, false},
              {"\x80", 1, 0, false},
              {"\xc2\xa9", 2, -1, true},
              {"\xe2\x82\xac", 3, -1, true},
              {"\xf0\x9f\x98\x80", 4, -1, true},
              {"\xed\xa0\x80", 3, 1, false},
              {"\xe2\x82", 2, -1, false}};
  uint8_t *buf = malloc(64 + 8);
  assert_non_null(buf);
  char label[64];
  for (size_t m = 0; m < sizeof mids / sizeof *mids; m++)
    for (size_t before = 0; before <= 20; before++)
      for (size_t after = 0; after <= 20; after += 5)
        for (size_t align = 0; align < 8; align++) {
          uint8_t *s = buf + align;
          size_t n = 0;
          for (size_t i = 0; i < before; i++)
            s[n++] = (uint8_t)('a' + i % 26);
          memcpy(s + n, mids[m].s, mids[m].len);
          n += mids[m].len;
          bool truncated = !mids[m].done && mids[m].fail < 0;
          /* ASCII after a truncated sequence is where it fails */
          long fail = mids[m].fail >= 0    ? (long)before + mids[m].fail
                      : truncated && after ? (long)n
                                           : -1;
          for (size_t i = 0; i < after; i++)
            s[n++] = (uint8_t)('A' + i % 26);
          snprintf(label, sizeof label, "mid %zu before %zu after %zu", m,
                   before, after);
          expect_text(label, s, n, fail, mids[m].done || (truncated && after));
        }
  free(buf);
}

/* Long pure ASCII and long valid text of every width pass. */
static void test_long_texts(void **state) {
  (void)state;
  static const char *const chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80"};
  for (size_t c = 0; c < 4; c++) {
    size_t w = strlen(chars[c]), n = 0;
    uint8_t *s = malloc(100000 * w);
    assert_non_null(s);
    for (size_t i = 0; i < 100000; i++, n += w)
      memcpy(s + n, chars[c], w);
    assert_true(tn__utf8_valid(s, n));
    if (w > 1) /* the last character cut short */
      assert_false(tn__utf8_valid(s, n - 1));
    s[n / 2 + (w > 1)] = 0xff; /* a bad byte in the middle */
    assert_false(tn__utf8_valid(s, n));
    free(s);
  }
}

/* --- Every short string, against an oracle -----------------------------------
 */

/* The oracle knows UTF-8 only through its encoder: a string of L bytes
 * is a character when it is the encoding of a scalar value, and a
 * proper prefix of one when some scalar's encoding starts with it. */
typedef struct {
  uint8_t prefix1[256 / 8];
  uint8_t prefix2[65536 / 8];
  uint8_t *prefix3; /* 2^24 bits */
} oracle_t;

static size_t encode(uint32_t cp, uint8_t out[4]) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xC0 | cp >> 6);
    out[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xE0 | cp >> 12);
    out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (uint8_t)(0xF0 | cp >> 18);
  out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

static bool is_scalar(uint32_t cp) {
  return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
}

#define BIT_SET(map, i) ((map)[(i) >> 3] |= (uint8_t)(1u << ((i)&7)))
#define BIT_GET(map, i) (((map)[(i) >> 3] >> ((i)&7)) & 1)

static oracle_t *oracle_new(void) {
  oracle_t *o = calloc(1, sizeof *o);
  assert_non_null(o);
  o->prefix3 = calloc(1, (1u << 24) / 8);
  assert_non_null(o->prefix3);
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
    if (!is_scalar(cp))
      continue;
    uint8_t e[4];
    size_t len = encode(cp, e);
    if (len > 1)
      BIT_SET(o->prefix1, e[0]);
    if (len > 2)
      BIT_SET(o->prefix2, (uint32_t)e[0] << 8 | e[1]);
    if (len > 3)
      BIT_SET(o->prefix3, (uint32_t)e[0] << 16 | (uint32_t)e[1] << 8 | e[2]);
  }
  return o;
}

static void oracle_free(oracle_t *o) {
  free(o->prefix3);
  free(o);
}

/* Whether s[0..len) is the encoding of a scalar value: decoded by the
 * length alone, then encoded again and compared. */
static bool is_char(const uint8_t *s, size_t len) {
  static const uint8_t lead_bits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = s[0] & lead_bits[len];
  for (size_t i = 1; i < len; i++)
    cp = cp << 6 | (s[i] & 0x3F);
  uint8_t e[4];
  return is_scalar(cp) && encode(cp, e) == len && !memcmp(e, s, len);
}

static bool is_prefix(const oracle_t *o, const uint8_t *s, size_t len) {
  if (len == 1)
    return BIT_GET(o->prefix1, s[0]);
  if (len == 2)
    return BIT_GET(o->prefix2, (uint32_t)s[0] << 8 | s[1]);
  if (len == 3)
    return BIT_GET(o->prefix3,
                   (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2]);
  return false;
}

/* The oracle's answer for a string: the byte it fails at (-1: none) and
 * whether it ends on a boundary. */
static long oracle_fail(const oracle_t *o, const uint8_t *s, size_t n,
                        bool *done) {
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = i + 1 - start;
    if (is_char(s + start, len))
      start = i + 1;
    else if (!is_prefix(o, s + start, len))
      return (long)i;
  }
  *done = start == n;
  return -1;
}

/* One string: byte by byte and whole, the validator and the oracle agree. */
static void check_against(const oracle_t *o, const uint8_t *s, size_t n) {
  bool want_done = false, done = false;
  long want = oracle_fail(o, s, n, &want_done);
  long got = fail_index_bytes(s, n, &done);
  if (got != want || (want < 0 && done != want_done))
    fail_msg("%02x %02x %02x %02x (%zu bytes): fails at %ld done %d, oracle "
             "%ld done %d",
             s[0], n > 1 ? s[1] : 0, n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, got,
             done, want, want_done);
  tn__utf8_t u;
  tn__utf8_init(&u);
  assert_int_equal(tn__utf8_feed(&u, s, n), want < 0);
  assert_int_equal(tn__utf8_valid(s, n), want < 0 && want_done);
}

static void test_every_short_string(void **state) {
  (void)state;
  oracle_t *o = oracle_new();
  uint8_t s[4];
  for (uint32_t v = 0; v < 256; v++) {
    s[0] = (uint8_t)v;
    check_against(o, s, 1);
  }
  for (uint32_t v = 0; v < 65536; v++) {
    s[0] = (uint8_t)(v >> 8), s[1] = (uint8_t)v;
    check_against(o, s, 2);
  }
  for (uint32_t v = 0; v < (1u << 24); v++) {
    s[0] = (uint8_t)(v >> 16), s[1] = (uint8_t)(v >> 8), s[2] = (uint8_t)v;
    check_against(o, s, 3);
  }
  /* Four bytes: a fixed-seed sample, each byte drawn mostly from the
   * lead and continuation bytes where the boundaries are. */
  static const uint8_t edges[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                  0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                  0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5};
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 2000000; i++) {
    for (int k = 0; k < 4; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      unsigned r = (unsigned)(x >> 32);
      s[k] = (r & 3) == 0   ? (uint8_t)(r >> 8)
             : (r & 3) == 1 ? edges[(r >> 8) % sizeof edges]
                            : (uint8_t)(0x80 | ((r >> 8) & 0x3F));
    }
    if (i & 1)
      s[0] = (uint8_t)(0xF0 | ((x >> 20) % 5)); /* a four-byte lead */
    check_against(o, s, 4);
  }
  oracle_free(o);
}

/* Every scalar value, encoded, is valid; every surrogate, encoded as if
 * it were one, fails at its second byte. */
static void test_every_code_point(void **state) {
  (void)state;
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
    uint8_t e[4];
    size_t len = encode(cp, e);
    tn__utf8_t u;
    tn__utf8_init(&u);
    bool ok = tn__utf8_feed(&u, e, len);
    if (is_scalar(cp)) {
      if (!ok || !tn__utf8_done(&u))
        fail_msg("U+%04X refused", cp);
    } else if (fail_index_bytes(e, len, NULL) != 1) {
      fail_msg("surrogate U+%04X not refused at its second byte", cp);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_autobahn_cases),
      cmocka_unit_test(test_ascii_runs),
      cmocka_unit_test(test_long_texts),
      cmocka_unit_test(test_every_short_string),
      cmocka_unit_test(test_every_code_point),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
