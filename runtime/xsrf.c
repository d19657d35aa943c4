/* xsrf.c -- Tornado's XSRF protection: the `_xsrf` cookie, the masked
 * token pages embed (xsrf_token, xsrf_form_html), and the check of
 * unsafe requests (check_xsrf_cookie).
 *
 * The cookie holds a random 16-byte token. What a page embeds, and what
 * the cookie itself holds when torn or Tornado sets it, is version 2:
 *   2|<4-byte mask, hex>|<token XOR mask repeated, hex>|<timestamp>
 * so the bytes sent differ on every page while the token stays the same.
 * Version 1 is the token as bare hex, or when that is not hex, the text
 * itself. The token is random rather than signed: no secret is needed. */
#include <stdio.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "internal.h"

#define TOKEN_LEN 16
#define MASK_LEN 4

/* --- Decoding tokens ----------------------------------------------------- */

static bool is_space(unsigned char c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Python's int() of a string: spaces around, a sign, digits with single
 * '_' between them (up to 18 digits here). */
static bool py_int(const char *p, size_t n, int64_t *out) {
  while (n && is_space((unsigned char)*p))
    p++, n--;
  while (n && is_space((unsigned char)p[n - 1]))
    n--;
  size_t i = 0, digits = 0;
  bool neg = n && p[0] == '-';
  if (n && (p[0] == '-' || p[0] == '+'))
    i++;
  int64_t v = 0;
  for (; i < n; i++) {
    if (p[i] == '_' && digits && i + 1 < n && is_digit(p[i + 1]))
      continue;
    if (!is_digit(p[i]) || ++digits > 18)
      return false;
    v = v * 10 + (p[i] - '0');
  }
  if (!digits)
    return false;
  *out = neg ? -v : v;
  return true;
}

/* binascii.a2b_hex: an even number of hex digits, either case. */
static bool unhex(const char *p, size_t n, unsigned char *out) {
  if (n % 2)
    return false;
  for (size_t i = 0; i < n; i += 2) {
    int hi = tn__hex_value((unsigned char)p[i]);
    int lo = tn__hex_value((unsigned char)p[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i / 2] = (unsigned char)(hi << 4 | lo);
  }
  return true;
}

/* A decoded token: version 0 when it is malformed. */
typedef struct {
  int version;
  tn_str_t raw; /* the unmasked token, in request memory */
  int64_t time;
} token_t;

/* "2|mask|masked|timestamp": exactly four parts. A mask under 4 bytes
 * over a token is malformed (Tornado's pure-Python unmasking fails on it;
 * its C one reads past the mask). */
static int decode_v2(tn_req_t *req, tn_str_t s, token_t *t) {
  const char *part[4], *end = s.ptr + s.len, *p = s.ptr;
  size_t len[4];
  for (int i = 0; i < 4; i++) {
    const char *bar = memchr(p, '|', (size_t)(end - p));
    if ((i < 3) != (bar != NULL))
      return 0;
    part[i] = p;
    len[i] = (size_t)((bar ? bar : end) - p);
    if (bar)
      p = bar + 1;
  }
  unsigned char *buf = tn_req_alloc(req, len[1] / 2 + len[2] / 2 + 1);
  if (!buf)
    return TN_ENOMEM;
  unsigned char *mask = buf, *token = buf + len[1] / 2;
  size_t mask_len = len[1] / 2, n = len[2] / 2;
  if (!unhex(part[1], len[1], mask) || !unhex(part[2], len[2], token) ||
      (n && mask_len < MASK_LEN) || !py_int(part[3], len[3], &t->time))
    return 0;
  for (size_t i = 0; i < n; i++)
    token[i] ^= mask[i % MASK_LEN];
  t->raw = (tn_str_t){(const char *)token, n};
  t->version = 2;
  return 0;
}

/* Tornado's _decode_xsrf_token. Returns 0 (t->version 0 when `s` is
 * malformed) or TN_ENOMEM. */
static int decode_token(tn_req_t *req, tn_str_t s, token_t *t) {
  *t = (token_t){0, {NULL, 0}, 0};
  int version = tn__signed_version(s.ptr, s.len);
  if (version == 2)
    return decode_v2(req, s, t);
  if (version)
    return 0; /* a version it does not know */
  unsigned char *token = tn_req_alloc(req, s.len / 2 + 1);
  if (!token)
    return TN_ENOMEM;
  t->raw = unhex(s.ptr, s.len, token)
               ? (tn_str_t){(const char *)token, s.len / 2}
               : s; /* not hex: the text is the token */
  t->time = (int64_t)time(NULL); /* version 1 has no timestamp */
  t->version = 1;
  return 0;
}

/* --- The request's token ------------------------------------------------- */

/* Tornado's _get_raw_xsrf_token, once per request: the `_xsrf` cookie's
 * token, or a new one when there is none. An empty token is new too:
 * Tornado would keep it, and no form could ever match it. */
static int load_token(tn_req_t *req) {
  if (req->xsrf_known)
    return 0;
  tn_str_t cookie;
  token_t t = {0, {NULL, 0}, 0};
  int err = tn__cookie_value(req, "_xsrf", &cookie);
  if (!err && cookie.len)
    err = decode_token(req, cookie, &t);
  if (err)
    return err;
  if (!t.version || !t.raw.len) {
    unsigned char *token = tn_req_alloc(req, TOKEN_LEN);
    if (!token || RAND_bytes(token, TOKEN_LEN) != 1)
      return TN_ENOMEM; /* RAND_bytes cannot fail once seeded */
    t = (token_t){0, {(const char *)token, TOKEN_LEN}, (int64_t)time(NULL)};
  }
  req->xsrf_version = t.version;
  req->xsrf_raw = t.raw;
  req->xsrf_time = t.time;
  req->xsrf_known = true;
  return 0;
}

static char *put_hex(char *p, unsigned char b) {
  static const char digits[] = "0123456789abcdef";
  *p++ = digits[b >> 4];
  *p++ = digits[b & 15];
  return p;
}

/* "2|mask|masked|timestamp" of the request's token under a new mask. */
static char *mask_token(tn_req_t *req) {
  unsigned char mask[MASK_LEN];
  const unsigned char *raw = (const unsigned char *)req->xsrf_raw.ptr;
  size_t n = req->xsrf_raw.len;
  char *out = tn_req_alloc(req, 2 + 2 * MASK_LEN + 1 + 2 * n + 1 + 24);
  if (!out || RAND_bytes(mask, MASK_LEN) != 1)
    return NULL;
  char *p = out;
  *p++ = '2';
  *p++ = '|';
  for (size_t i = 0; i < MASK_LEN; i++)
    p = put_hex(p, mask[i]);
  *p++ = '|';
  for (size_t i = 0; i < n; i++)
    p = put_hex(p, raw[i] ^ mask[i % MASK_LEN]);
  sprintf(p, "|%lld", (long long)req->xsrf_time);
  return out;
}

const char *tn_xsrf_token(tn_req_t *req) {
  if (req->xsrf_token)
    return req->xsrf_token;
  char *token = NULL;
  if (load_token(req) || !(token = mask_token(req)))
    goto fail;
  if (!req->xsrf_version) {
    /* A logged-in user keeps the token for 30 days, as Tornado does. */
    tn_cookie_opts_t o = {.expires_days = tn_current_user(req) ? 30 : 0};
    if (tn_set_cookie(req, "_xsrf", token, &o))
      goto fail;
  }
  req->xsrf_token = token;
  return token;
fail:
  tn__response_error(req, 500, 0);
  return NULL;
}

const char *tn_xsrf_form_html(tn_req_t *req) {
  static const char head[] = "<input type=\"hidden\" name=\"_xsrf\" value=\"";
  const char *token = tn_xsrf_token(req);
  if (!token)
    return NULL;
  size_t n = strlen(token);
  char *html = tn_req_alloc(req, sizeof head - 1 + n + 4);
  if (!html) {
    tn__response_error(req, 500, 0);
    return NULL;
  }
  /* Hex, '|', '-' and digits: nothing xhtml_escape would change. */
  memcpy(html, head, sizeof head - 1);
  memcpy(html + sizeof head - 1, token, n);
  memcpy(html + sizeof head - 1 + n, "\"/>", 4);
  return html;
}

/* --- The check ----------------------------------------------------------- */

/* The token the request sends: its last `_xsrf` argument, else the
 * X-XSRFToken header, else X-CSRFToken; empty ones do not count. */
static int sent_token(tn_req_t *req, tn_str_t *out) {
  const char **values;
  int n = tn_get_arguments(req, "_xsrf", &values);
  if (n < 0)
    return n;
  *out = (tn_str_t){NULL, 0};
  if (n > 0 && *values[n - 1])
    *out = (tn_str_t){values[n - 1], strlen(values[n - 1])};
  if (!out->len)
    *out = tn_req_header(req, "X-Xsrftoken");
  if (!out->len)
    *out = tn_req_header(req, "X-Csrftoken");
  return 0;
}

static int refuse(tn_req_t *req, const char *why) {
  tn__response_error_detail(req, 403, why);
  return 1;
}

int tn__xsrf_check(tn_req_t *req) {
  if (req->head.method_bit &
      (TN_METHOD_GET | TN_METHOD_HEAD | TN_METHOD_OPTIONS))
    return 0;
  tn_str_t sent;
  token_t t = {0, {NULL, 0}, 0};
  if (sent_token(req, &sent))
    return 1; /* a malformed body: the argument parser has answered 400 */
  if ((sent.len && decode_token(req, sent, &t)) || load_token(req)) {
    tn__response_error(req, 500, 0);
    return 1;
  }
  if (!sent.len)
    return refuse(req, "'_xsrf' argument missing from POST");
  if (!t.version || !t.raw.len)
    return refuse(req, "'_xsrf' argument has invalid format");
  if (t.raw.len != req->xsrf_raw.len ||
      CRYPTO_memcmp(t.raw.ptr, req->xsrf_raw.ptr, t.raw.len) != 0)
    return refuse(req, "XSRF cookie does not match POST argument");
  return 0;
}
