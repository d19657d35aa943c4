/* etag.c -- the ETag of a response body.
 *
 * Tornado hashes every complete 200 answer to GET/HEAD with SHA-1. An ETag
 * only has to change when the body does, and a cryptographic hash of a
 * 130 KB page costs more than rendering it, so this is a plain 64-bit
 * multiply-rotate hash over four independent lanes (the multiplies of one
 * lane overlap the others'), about 8 bytes a cycle. It is not meant to
 * resist a chosen collision: a client can only confuse its own cache. */
#include "internal.h"

#define K1 0x9e3779b97f4a7c15ull
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static uint64_t lane(uint64_t acc, uint64_t v) {
  return rotl(acc + v * K2, 31) * K1;
}

static uint64_t hash64(const unsigned char *p, size_t n) {
  uint64_t a = K1, b = K2, c = K3, d = K1 ^ K2;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = lane(a, load64(p + i));
    b = lane(b, load64(p + i + 8));
    c = lane(c, load64(p + i + 16));
    d = lane(d, load64(p + i + 24));
  }
  uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + n;
  for (; i + 8 <= n; i += 8)
    h = rotl(h ^ lane(0, load64(p + i)), 27) * K1 + K3;
  for (; i < n; i++)
    h = rotl(h ^ (p[i] * K3), 11) * K1;
  /* Spread every input bit over the whole result. */
  h ^= h >> 33;
  h *= K2;
  h ^= h >> 29;
  h *= K3;
  return h ^ (h >> 32);
}

/* Written by hand: snprintf's format parsing cost a tenth of a hello
 * world's CPU time. */
int tn__body_etag(char out[TN__ETAG_SIZE], const void *data, size_t len,
                  bool weak) {
  static const char hex[] = "0123456789abcdef";
  uint64_t h = hash64(data, len);
  char *p = out;
  if (weak) {
    *p++ = 'W';
    *p++ = '/';
  }
  *p++ = '"';
  for (int shift = 60; shift >= 0; shift -= 4)
    *p++ = hex[(h >> shift) & 0xf];
  *p++ = '"';
  *p = '\0';
  return (int)(p - out);
}
