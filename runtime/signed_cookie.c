/* signed_cookie.c -- Tornado's signed values (create_signed_value,
 * decode_signed_value) and the signed cookies made of them.
 *
 * Version 2, the one written:
 *   2|1:0|10:1700000000|4:user|8:Ym9iYnk=|<hex HMAC-SHA256>
 * fields "<decimal length>:<bytes>" for the key version, the timestamp,
 * the name and the base64 value, each followed by '|', then the HMAC of
 * everything before it (the last '|' included) under the cookie secret.
 * Version 1, read only: "<base64>|<timestamp>|<hex HMAC-SHA1 of name,
 * base64 and timestamp run together>".
 *
 * Tornado parses numbers with Python's int(), which also takes signs,
 * spaces and '_'; torn takes digits only. Only a signer could write
 * anything else, and neither Tornado nor torn does. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"

#define SHA256_HEX 64
#define SHA1_HEX 40
#define DEFAULT_MAX_AGE_DAYS 31.0 /* get_secure_cookie's default */
#define V1_MAX_AHEAD (31 * 86400) /* v1's timestamp is not delimited */

/* The server's cookie_secret; NULL when none is configured. Tornado
 * refuses an empty one too (require_setting). */
static const char *cookie_secret(const tn_req_t *req) {
  const char *s = req->conn && req->conn->worker && req->conn->worker->opts
                      ? req->conn->worker->opts->cookie_secret
                      : NULL;
  return s && *s ? s : NULL;
}

int tn__signed_version(const char *s, size_t n) {
  if (n == 0 || s[0] < '1' || s[0] > '9')
    return 0;
  int v = 0;
  size_t i = 0;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
    if (v < 1000)
      v = v * 10 + (s[i] - '0');
  if (i == n || s[i] != '|')
    return 0;
  i++;
  /* The pattern ends in "(.*)$": no newline but a last one. */
  if (n - i > 1 && memchr(s + i, '\n', n - i - 1))
    return 0;
  return v > 1000 ? 1000 : v;
}

/* --- Encodings ----------------------------------------------------------- */

static void hex_encode(char *out, const unsigned char *in, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Python's base64.b64encode: the standard alphabet, '=' padded. */
static size_t b64_encode(char *out, const unsigned char *in, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    out[o++] = b64_alphabet[v >> 18];
    out[o++] = b64_alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
  }
  return o;
}

static int b64_value(unsigned char c) {
  const char *p = c ? strchr(b64_alphabet, c) : NULL;
  return p ? (int)(p - b64_alphabet) : -1;
}

/* Decodes padded standard base64 (what every signer writes; Python's
 * decoder also skips stray characters). Returns the length or -1. */
static long b64_decode(char *out, const char *in, size_t n) {
  if (n % 4)
    return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    bool last = i + 4 == n;
    size_t pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' &&
                                              in[i + 3] == '=')
                      : 0;
    uint32_t v = 0;
    for (size_t j = 0; j < 4 - pad; j++) {
      int d = b64_value((unsigned char)in[i + j]);
      if (d < 0)
        return -1;
      v = v << 6 | (uint32_t)d;
    }
    v <<= 6 * pad;
    out[o++] = (char)(v >> 16);
    if (pad < 2)
      out[o++] = (char)(v >> 8);
    if (pad < 1)
      out[o++] = (char)v;
  }
  return (long)o;
}

/* `n` decimal digits (at most 18: past any real timestamp or length). */
static bool parse_digits(const char *p, size_t n, int64_t *out) {
  if (n == 0 || n > 18)
    return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return false;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return true;
}

/* The hex HMAC of `n` bytes under the secret: 2 * digest size digits. */
static int hmac_hex(const EVP_MD *md, const char *secret, const void *data,
                    size_t n, char *out) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  size_t key_len = strlen(secret);
  if (key_len > INT_MAX ||
      !HMAC(md, secret, (int)key_len, data, n, mac, &len))
    return TN_ENOMEM;
  hex_encode(out, mac, len);
  return 0;
}

/* --- Creating ------------------------------------------------------------ */

static size_t count_digits(size_t n) {
  size_t d = 1;
  while (n >= 10) {
    n /= 10;
    d++;
  }
  return d;
}

int tn_create_signed_value(const char *secret, const char *name,
                           const void *value, size_t len, int64_t now,
                           char *out, size_t size) {
  if (!secret || !*secret || now < 0)
    return TN_EINVAL;
  if (len > INT_MAX / 2)
    return TN_ERANGE;
  char ts[24];
  size_t ts_len = (size_t)snprintf(ts, sizeof ts, "%lld", (long long)now);
  size_t name_len = strlen(name), b64_len = 4 * ((len + 2) / 3);
  size_t total = 6 + count_digits(ts_len) + ts_len + 2 +
                 count_digits(name_len) + name_len + 2 +
                 count_digits(b64_len) + b64_len + 2 + SHA256_HEX;
  if (total > INT_MAX)
    return TN_ERANGE;
  if (total >= size)
    return (int)total;
  char *p = out;
  p += sprintf(p, "2|1:0|%zu:%s|%zu:%s|%zu:", ts_len, ts, name_len, name,
               b64_len);
  p += b64_encode(p, value, len);
  *p++ = '|';
  int err = hmac_hex(EVP_sha256(), secret, out, (size_t)(p - out), p);
  if (err)
    return err;
  p[SHA256_HEX] = '\0';
  return (int)total;
}

/* --- Decoding ------------------------------------------------------------ */

static bool expired(int64_t ts, double max_age_days, int64_t now) {
  return (double)ts < (double)now - max_age_days * 86400.0;
}

static int finish(const char *b64, size_t n, char *out, size_t *out_len) {
  long len = b64_decode(out, b64, n);
  if (len < 0)
    return TN_EINVAL;
  out[len] = '\0';
  *out_len = (size_t)len;
  return 0;
}

/* Tornado's _decode_fields_v2 and _decode_signed_value_v2. */
static int decode_v2(const char *secret, const char *name, const char *s,
                     size_t n, double max_age_days, int64_t now, char *out,
                     size_t *out_len) {
  const char *p = s + 2, *end = s + n;
  tn_str_t field[4]; /* key version, timestamp, name, value */
  for (int i = 0; i < 4; i++) {
    const char *colon = memchr(p, ':', (size_t)(end - p));
    int64_t flen;
    if (!colon || !parse_digits(p, (size_t)(colon - p), &flen))
      return TN_EINVAL;
    p = colon + 1;
    if ((uint64_t)flen >= (uint64_t)(end - p) || p[flen] != '|')
      return TN_EINVAL;
    field[i] = (tn_str_t){p, (size_t)flen};
    p += flen + 1;
  }
  char want[SHA256_HEX];
  int64_t key_version, ts;
  if (end - p != SHA256_HEX ||
      hmac_hex(EVP_sha256(), secret, s, (size_t)(p - s), want) ||
      CRYPTO_memcmp(want, p, SHA256_HEX) != 0)
    return TN_EINVAL;
  if (field[2].len != strlen(name) ||
      memcmp(field[2].ptr, name, field[2].len) != 0 ||
      !parse_digits(field[0].ptr, field[0].len, &key_version) ||
      !parse_digits(field[1].ptr, field[1].len, &ts) ||
      expired(ts, max_age_days, now))
    return TN_EINVAL;
  return finish(field[3].ptr, field[3].len, out, out_len);
}

/* Tornado's _decode_signed_value_v1: its signature runs the parts
 * together, so digits could move between the value and the timestamp;
 * hence the checks on the timestamp's future and leading zero. */
static int decode_v1(const char *secret, const char *name, const char *s,
                     size_t n, double max_age_days, int64_t now, char *out,
                     size_t *out_len) {
  const char *end = s + n;
  const char *bar1 = memchr(s, '|', n);
  const char *bar2 = bar1 ? memchr(bar1 + 1, '|', (size_t)(end - bar1 - 1))
                          : NULL;
  /* A third '|' would be in the signature, which is hex. */
  if (!bar2 || end - (bar2 + 1) != SHA1_HEX)
    return TN_EINVAL;
  size_t name_len = strlen(name), b64_len = (size_t)(bar1 - s);
  size_t ts_len = (size_t)(bar2 - bar1 - 1);
  size_t msg_len = name_len + b64_len + ts_len;
  char *msg = malloc(msg_len ? msg_len : 1);
  if (!msg)
    return TN_ENOMEM;
  memcpy(msg, name, name_len);
  memcpy(msg + name_len, s, b64_len);
  memcpy(msg + name_len + b64_len, bar1 + 1, ts_len);
  char want[SHA1_HEX];
  int err = hmac_hex(EVP_sha1(), secret, msg, msg_len, want);
  free(msg);
  if (err)
    return err;
  int64_t ts;
  if (CRYPTO_memcmp(want, bar2 + 1, SHA1_HEX) != 0 ||
      !parse_digits(bar1 + 1, ts_len, &ts) ||
      expired(ts, max_age_days, now) || ts > now + V1_MAX_AHEAD ||
      bar1[1] == '0')
    return TN_EINVAL;
  return finish(s, b64_len, out, out_len);
}

int tn_decode_signed_value(const char *secret, const char *name,
                           const char *value, size_t len,
                           double max_age_days, int64_t now, char *out,
                           size_t *out_len) {
  *out_len = 0;
  if (!secret || !*secret || len == 0)
    return TN_EINVAL;
  if (!(max_age_days > 0)) /* 0, negative or NaN */
    max_age_days = DEFAULT_MAX_AGE_DAYS;
  int version = tn__signed_version(value, len);
  if (version == 0 || version > 999)
    version = 1; /* no version: v1 starts with base64 */
  if (version == 2)
    return decode_v2(secret, name, value, len, max_age_days, now, out,
                     out_len);
  if (version == 1)
    return decode_v1(secret, name, value, len, max_age_days, now, out,
                     out_len);
  return TN_EINVAL;
}

/* --- Cookies ------------------------------------------------------------- */

int tn_set_signed_cookie(tn_req_t *req, const char *name, const void *value,
                         size_t len, const tn_cookie_opts_t *opts) {
  const char *secret = cookie_secret(req);
  int64_t now = (int64_t)time(NULL);
  int n = tn_create_signed_value(secret, name, value, len, now, NULL, 0);
  if (n < 0)
    return n;
  char *signed_value = tn_req_alloc(req, (size_t)n + 1);
  if (!signed_value)
    return TN_ENOMEM;
  n = tn_create_signed_value(secret, name, value, len, now, signed_value,
                             (size_t)n + 1);
  if (n < 0)
    return n;
  tn_cookie_opts_t o = {.expires_days = 30}; /* set_secure_cookie's */
  return tn_set_cookie(req, name, signed_value, opts ? opts : &o);
}

const char *tn_get_signed_cookie(tn_req_t *req, const char *name,
                                 double max_age_days, size_t *len) {
  const char *secret = cookie_secret(req);
  tn_str_t raw;
  char *out = NULL;
  size_t n;
  if (len)
    *len = 0;
  if (tn__cookie_value(req, name, &raw))
    goto oom;
  if (!raw.ptr || !secret)
    return NULL;
  if (!(out = tn_req_alloc(req, raw.len + 1)))
    goto oom;
  int err = tn_decode_signed_value(secret, name, raw.ptr, raw.len,
                                   max_age_days, (int64_t)time(NULL), out, &n);
  if (err == TN_ENOMEM)
    goto oom;
  if (err)
    return NULL;
  if (len)
    *len = n;
  return out;
oom:
  tn__response_error(req, 500, 0);
  return NULL;
}
