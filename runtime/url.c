/* url.c -- URLs: percent-decoding of path parameters, and the writer the
 * generated URL builders (APP_url_ROUTE, tn_reverse_url) use.
 *
 * Encoding leaves exactly the bytes a path segment may hold as they are
 * (RFC 3986 section 3.3: unreserved, sub-delims, ':' and '@') and escapes
 * every other byte, so that what a builder writes, the router matches and
 * decodes back to the same value. */
#include "internal.h"

int tn_percent_decode(char *out, const char *in, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (in[i] != '%') {
      out[o++] = in[i];
      continue;
    }
    int hi = i + 2 < n ? tn__hex_value((unsigned char)in[i + 1]) : -1;
    int lo = hi >= 0 ? tn__hex_value((unsigned char)in[i + 2]) : -1;
    if (lo < 0)
      return TN_EINVAL;
    out[o++] = (char)(hi << 4 | lo);
    i += 2;
  }
  return (int)o;
}

tn_str_t tn_req_decode(tn_req_t *req, tn_str_t s) {
  if (!memchr(s.ptr, '%', s.len))
    return s;
  char *out = tn_req_alloc(req, s.len);
  if (!out)
    return (tn_str_t){NULL, 0};
  int n = tn_percent_decode(out, s.ptr, s.len);
  return n < 0 ? (tn_str_t){NULL, 0} : (tn_str_t){out, (size_t)n};
}

size_t tn__query_escape(char *out, const char *in, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
        c == '~') {
      out[o++] = (char)c;
    } else if (c == ' ') {
      out[o++] = '+';
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  return o;
}

/* --- The URL writer ----------------------------------------------------- */

void tn_url_init(tn_url_t *u, char *out, size_t size) {
  u->out = out;
  u->size = size;
  u->len = 0;
  u->err = 0;
  if (size)
    out[0] = '\0';
}

/* Copies what fits (keeping a byte for the NUL) and counts it all. */
void tn_url_lit(tn_url_t *u, const char *s, size_t n) {
  if (u->size && u->len < u->size - 1) {
    size_t room = u->size - 1 - u->len;
    memcpy(u->out + u->len, s, n < room ? n : room);
  }
  u->len += n;
}

void tn_url_uint64(tn_url_t *u, uint64_t v) {
  char digits[20];
  size_t n = sizeof digits;
  do {
    digits[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  tn_url_lit(u, digits + n, sizeof digits - n);
}

void tn_url_int64(tn_url_t *u, int64_t v) {
  if (v < 0) {
    tn_url_lit(u, "-", 1);
    /* In unsigned arithmetic, so that INT64_MIN negates. */
    tn_url_uint64(u, 0 - (uint64_t)v);
  } else {
    tn_url_uint64(u, (uint64_t)v);
  }
}

static bool is_pchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("-._~!$&'()*+,;=:@", c));
}

/* Appends `s`, escaping every byte that is not a pchar (and '/' unless
 * `keep_slash`); runs of plain bytes are copied in one go. */
static void put_encoded(tn_url_t *u, tn_str_t s, bool keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  size_t run = 0;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    if (is_pchar(c) || (keep_slash && c == '/'))
      continue;
    tn_url_lit(u, s.ptr + run, i - run);
    char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
    tn_url_lit(u, esc, 3);
    run = i + 1;
  }
  tn_url_lit(u, s.ptr + run, s.len - run);
}

void tn_url_segment(tn_url_t *u, tn_str_t s) { put_encoded(u, s, false); }
void tn_url_path(tn_url_t *u, tn_str_t s) { put_encoded(u, s, true); }

void tn_url_fail(tn_url_t *u, int err) {
  if (!u->err)
    u->err = err;
}

int tn_url_finish(tn_url_t *u) {
  if (u->err)
    return u->err;
  if (u->size)
    u->out[u->len < u->size ? u->len : u->size - 1] = '\0';
  if (u->len > INT32_MAX)
    return TN_ERANGE;
  return (int)u->len;
}

/* --- Reversal by name --------------------------------------------------- */

int tn_reverse_url(const tn_app_t *app, char *out, size_t size,
                   const char *name, const char *const *args, size_t nargs) {
  for (size_t i = 0; i < app->nroutes; i++) {
    const tn_route_t *r = &app->routes[i];
    if (strcmp(r->name, name) != 0)
      continue;
    if (nargs != r->nparams || nargs > TN_MAX_PARAMS)
      return TN_EARITY;
    tn_str_t text[TN_MAX_PARAMS];
    for (size_t a = 0; a < nargs; a++) {
      if (!args[a])
        return TN_EINVAL;
      text[a] = (tn_str_t){args[a], strlen(args[a])};
    }
    return r->reverse(out, size, text);
  }
  return TN_ENOROUTE;
}
