/* ws_utf8.c -- incremental UTF-8 validation for WebSocket text (RFC 6455
 * 8.1), strict as RFC 3629 is: no overlong form, no surrogate, nothing
 * past U+10FFFF.
 *
 * The state is the number of continuation bytes still expected and the
 * range the next one must fall in. Only a sequence's second byte has a
 * range narrower than 80..BF (E0 A0.., ED ..9F, F0 90.., F4 ..8F): that is
 * where overlongs, surrogates and code points past U+10FFFF show, so every
 * invalid text fails at the first byte that cannot continue it, however
 * it is split. */
#include "internal.h"

/* Whether the eight bytes at `s` are all ASCII. */
static bool ascii8(const uint8_t *s) {
  uint64_t w;
  memcpy(&w, s, 8);
  return !(w & 0x8080808080808080ull);
}

/* Sets up the continuation a lead byte asks for; false when `c` cannot
 * begin a character (a continuation byte, C0, C1, F5..FF). */
static bool lead(tn__utf8_t *u, uint8_t c) {
  u->lo = 0x80;
  u->hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    u->need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    u->need = 2;
    if (c == 0xE0)
      u->lo = 0xA0; /* below: an overlong form */
    else if (c == 0xED)
      u->hi = 0x9F; /* above: a surrogate */
  } else if (c >= 0xF0 && c <= 0xF4) {
    u->need = 3;
    if (c == 0xF0)
      u->lo = 0x90; /* below: an overlong form */
    else if (c == 0xF4)
      u->hi = 0x8F; /* above: past U+10FFFF */
  } else {
    return false;
  }
  return true;
}

bool tn__utf8_feed(tn__utf8_t *u, const void *data, size_t n) {
  const uint8_t *s = data, *end = s + n;
  while (s < end) {
    if (u->need) {
      if (*s < u->lo || *s > u->hi)
        return false;
      u->need--;
      u->lo = 0x80;
      u->hi = 0xBF;
      s++;
      continue;
    }
    /* Between characters: skip ASCII a word at a time. */
    while (end - s >= 8 && ascii8(s))
      s += 8;
    while (s < end && *s < 0x80)
      s++;
    if (s < end && !lead(u, *s++))
      return false;
  }
  return true;
}

bool tn__utf8_valid(const void *data, size_t n) {
  tn__utf8_t u;
  tn__utf8_init(&u);
  return tn__utf8_feed(&u, data, n) && tn__utf8_done(&u);
}
