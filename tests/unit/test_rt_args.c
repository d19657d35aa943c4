/* test_rt_args.c -- parsing application/x-www-form-urlencoded (query
 * strings and form bodies) as Tornado does: urllib's parse_qsl with
 * keep_blank_values=True, then get_argument's cleaning of each value.
 * The expected values are what Python gives for the same input:
 *   [(k.encode('latin1'), v.strip()) for k, v in parse_qsl(qs, True,
 *    encoding='latin1')] (with control characters as spaces first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

/* One expected argument; lengths given when a NUL is part of the bytes. */
typedef struct {
  const char *name;
  const char *value;
  size_t name_len; /* 0: strlen(name) */
} want_t;

/* Parses `in` (n bytes) with exactly the memory tn__form_size asks for,
 * in heap blocks of that size so ASan catches a byte written past them,
 * and compares with `want`. */
static void expect_n(const char *in, size_t n, const want_t *want,
                     size_t nwant) {
  tn_str_t s = {in, n};
  size_t text_size = 12345;
  size_t count = tn__form_size(s, &text_size);
  assert_int_equal(count, nwant);
  tn__arg_t *items = malloc(count ? count * sizeof *items : 1);
  char *text = malloc(text_size ? text_size : 1);
  assert_non_null(items);
  assert_non_null(text);
  assert_int_equal(tn__form_parse(s, items, text), nwant);
  for (size_t i = 0; i < nwant; i++) {
    size_t nl = want[i].name_len ? want[i].name_len : strlen(want[i].name);
    size_t vl = strlen(want[i].value);
    assert_int_equal(items[i].name_len, nl);
    assert_memory_equal(items[i].name, want[i].name, nl);
    assert_int_equal(items[i].name[nl], '\0');
    assert_int_equal(items[i].value_len, vl);
    assert_string_equal(items[i].value, want[i].value);
    /* Both live in the text block. */
    assert_true(items[i].name >= text && items[i].name + nl < text + text_size);
    assert_true(items[i].value >= text &&
                items[i].value + vl < text + text_size);
  }
  free(items);
  free(text);
}

#define EXPECT(in, ...)                                                     \
  do {                                                                      \
    static const want_t w_[] = {__VA_ARGS__};                              \
    expect_n(in, strlen(in), w_, sizeof w_ / sizeof *w_);                   \
  } while (0)
#define EXPECT_NONE(in) expect_n(in, strlen(in), NULL, 0)

static void test_empty(void **state) {
  (void)state;
  EXPECT_NONE("");
  EXPECT_NONE("&");
  EXPECT_NONE("&&&");
  size_t text_size = 99;
  assert_int_equal(tn__form_size((tn_str_t){NULL, 0}, &text_size), 0);
  assert_int_equal(text_size, 0);
  assert_int_equal(tn__form_parse((tn_str_t){NULL, 0}, NULL, NULL), 0);
}

static void test_pairs_in_order(void **state) {
  (void)state;
  EXPECT("a=1", {"a", "1", 0});
  EXPECT("a=1&a=2", {"a", "1", 0}, {"a", "2", 0});
  EXPECT("a=1&b=2&a=3", {"a", "1", 0}, {"b", "2", 0}, {"a", "3", 0});
  EXPECT("&&a=1&&b=2&&", {"a", "1", 0}, {"b", "2", 0});
  /* Only '&' separates: ';' is data (Python >= 3.9.2 / 3.10). */
  EXPECT("a=1;b=2", {"a", "1;b=2", 0});
  /* The first '=' splits; the others belong to the value. */
  EXPECT("a==b=c", {"a", "=b=c", 0});
}

static void test_blank_values(void **state) {
  (void)state;
  EXPECT("a=", {"a", "", 0});
  EXPECT("a", {"a", "", 0});           /* a name only */
  EXPECT("a&b=&c", {"a", "", 0}, {"b", "", 0}, {"c", "", 0});
  EXPECT("=x", {"", "x", 0});          /* an empty name is a name */
  EXPECT("=", {"", "", 0});
  EXPECT("==", {"", "=", 0});
}

static void test_plus_and_escapes(void **state) {
  (void)state;
  EXPECT("q=a+b", {"q", "a b", 0});
  EXPECT("q=a%20b", {"q", "a b", 0});
  EXPECT("q=a%2Bb", {"q", "a+b", 0});  /* an escaped '+' stays a '+' */
  EXPECT("q=%26%3D%25", {"q", "&=%", 0}); /* decoded after splitting */
  EXPECT("q=caf%C3%A9", {"q", "caf\xc3\xa9", 0});
  EXPECT("q=%ff%FE", {"q", "\xff\xfe", 0}); /* bytes as sent, not UTF-8 */
  EXPECT("first+name=x", {"first name", "x", 0}); /* names decode too */
  EXPECT("a%3Db=c", {"a=b", "c", 0});
  EXPECT("a%26b=c", {"a&b", "c", 0});
}

static void test_malformed_escapes(void **state) {
  (void)state;
  EXPECT("q=%zz", {"q", "%zz", 0});
  EXPECT("q=%", {"q", "%", 0});
  EXPECT("q=a%", {"q", "a%", 0});
  EXPECT("q=%4", {"q", "%4", 0});
  EXPECT("q=%4g%41", {"q", "%4gA", 0});
  EXPECT("q=%%41", {"q", "%A", 0});
  EXPECT("q=100%", {"q", "100%", 0});
  EXPECT("%zz=1&%=2", {"%zz", "1", 0}, {"%", "2", 0});
  EXPECT("q=%+1", {"q", "% 1", 0}); /* '+' is not a hex digit */
}

static void test_strip(void **state) {
  (void)state;
  EXPECT("q=+a+", {"q", "a", 0});
  EXPECT("q=%20%20a%20b%20", {"q", "a b", 0});
  EXPECT("q=%09%0A%0B%0C%0Da%0D%0A", {"q", "a", 0});
  EXPECT("q=+++", {"q", "", 0});
  /* Inside a value whitespace stays, and \t \n \v \f \r are kept. */
  EXPECT("q=a%09b%0Ac", {"q", "a\tb\nc", 0});
  /* Unicode spaces in UTF-8: NBSP, U+2003, U+3000, U+0085, U+202F. */
  EXPECT("q=%C2%A0a%E2%80%83", {"q", "a", 0});
  EXPECT("q=%E3%80%80a%C2%85%E2%80%AF", {"q", "a", 0});
  /* A lone 0xA0 or 0x85 byte is not a space (it is not UTF-8 at all). */
  EXPECT("q=%A0a%85", {"q", "\xa0" "a\x85", 0});
  EXPECT("q=a%C2%A0b", {"q", "a\xc2\xa0" "b", 0});
  /* Names are not stripped. */
  EXPECT("+a+=1", {" a ", "1", 0});
  EXPECT("&+&", {" ", "", 0});
  EXPECT("& &", {" ", "", 0});
}

static void test_control_characters(void **state) {
  (void)state;
  /* Tornado turns [\x00-\x08\x0e-\x1f] into spaces before stripping. */
  EXPECT("q=a%00b", {"q", "a b", 0});
  EXPECT("q=%00a%1F", {"q", "a", 0});
  EXPECT("q=a%01%08%0E%1Fb", {"q", "a    b", 0});
  EXPECT("q=a%7Fb", {"q", "a\x7f" "b", 0}); /* DEL is left alone */
  /* A name keeps its NUL; lookups compare lengths. */
  EXPECT("a%00b=1", {"a\0b", "1", 3});
}

static void test_text_size_is_enough(void **state) {
  (void)state;
  /* The worst cases for the text block: no '=' at all, nothing to decode,
   * many tiny pieces. The exact-size heap blocks of expect_n let ASan
   * check every write. */
  EXPECT("a&b&c", {"a", "", 0}, {"b", "", 0}, {"c", "", 0});
  EXPECT("=&=&=", {"", "", 0}, {"", "", 0}, {"", "", 0});
  size_t text_size;
  assert_int_equal(tn__form_size((tn_str_t){"a&b", 3}, &text_size), 2);
  assert_int_equal(text_size, 3 + 2 * 2);
}

static void test_every_byte(void **state) {
  (void)state;
  /* Every byte escaped as the value, in a long input: decodes to itself,
   * but for the cleaning rules. */
  char in[2 + 256 * 3 + 1];
  char want[257];
  size_t n = 0;
  in[n++] = 'v';
  in[n++] = '=';
  for (int b = 0; b < 256; b++) {
    n += (size_t)snprintf(in + n, sizeof in - n, "%%%02X", b);
    want[b] = (char)(b <= 0x08 || (b >= 0x0e && b <= 0x1f) ? ' ' : b);
  }
  want[256] = '\0';
  /* Stripped at the start: bytes 0x00-0x20 are all spaces by then; at the
   * end, 0xFF is not a space. */
  const want_t w = {"v", want + 0x21, 0};
  expect_n(in, n, &w, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_pairs_in_order),
      cmocka_unit_test(test_blank_values),
      cmocka_unit_test(test_plus_and_escapes),
      cmocka_unit_test(test_malformed_escapes),
      cmocka_unit_test(test_strip),
      cmocka_unit_test(test_control_characters),
      cmocka_unit_test(test_text_size_is_enough),
      cmocka_unit_test(test_every_byte),
  };
  return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
