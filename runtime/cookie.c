/* cookie.c -- request cookies as Tornado reads them (get_cookie), and
 * Set-Cookie as it writes them (set_cookie, clear_cookie).
 *
 * Reading follows tornado.httputil.parse_cookie, which mimics browsers
 * rather than any RFC: split on ';', cut each piece at its first '=',
 * strip, unquote as Python's http.cookies does. get_cookie then only sees
 * the names Python's SimpleCookie accepts as keys. The Cookie headers are
 * parsed once, on first use, into the request arena. */
#include <stdio.h>
#include <time.h>

#include "internal.h"

/* --- Names --------------------------------------------------------------- */

/* Python's http.cookies._LegalChars: the RFC 7230 token characters plus
 * ':'. */
static bool legal_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~:", c));
}

static bool equal_nocase(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if ((*a | 0x20) != (*b | 0x20))
      return false;
  return *a == *b;
}

/* A name SimpleCookie takes as a key: legal characters, and not one of
 * the attribute names Morsel reserves. */
static bool legal_name(const char *name) {
  static const char *const reserved[] = {
      "expires", "path",     "comment", "domain",  "max-age",
      "secure",  "httponly", "version", "samesite"};
  if (!*name)
    return false;
  for (const char *p = name; *p; p++)
    if (!legal_char((unsigned char)*p))
      return false;
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    if (equal_nocase(name, reserved[i]))
      return false;
  return true;
}

/* --- Parsing ------------------------------------------------------------- */

/* str.strip()'s whitespace, ASCII only (see torn.h for the latin-1
 * bytes Tornado strips too). */
static bool is_space(unsigned char c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

static tn_str_t strip(const char *p, const char *end) {
  while (p < end && is_space((unsigned char)*p))
    p++;
  while (end > p && is_space((unsigned char)end[-1]))
    end--;
  return (tn_str_t){p, (size_t)(end - p)};
}

static bool is_octal(char c, char max) { return c >= '0' && c <= max; }

/* http.cookies' _unquote: a value in double quotes loses them, and inside
 * them \NNN (octal, up to \377) is that byte and a backslash before any
 * other character but a newline drops out. Never longer than `n`. */
static size_t unquote(char *out, const char *p, size_t n) {
  if (n < 2 || p[0] != '"' || p[n - 1] != '"') {
    memcpy(out, p, n);
    return n;
  }
  p++;
  n -= 2;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c == '\\' && i + 3 < n && is_octal(p[i + 1], '3') &&
        is_octal(p[i + 2], '7') &&
        is_octal(p[i + 3], '7')) {
      c = (char)((p[i + 1] - '0') << 6 | (p[i + 2] - '0') << 3 |
                 (p[i + 3] - '0'));
      i += 3;
    } else if (c == '\\' && i + 1 < n && p[i + 1] != '\n') {
      c = p[++i];
    }
    out[o++] = c;
  }
  return o;
}

size_t tn__cookie_room(tn_str_t header) {
  size_t n = 1;
  for (size_t i = 0; i < header.len; i++)
    n += header.ptr[i] == ';';
  return n;
}

size_t tn__cookie_parse(tn_str_t header, tn__cookie_t *items, char **text) {
  if (header.len == 0)
    return 0;
  const char *p = header.ptr, *end = header.ptr + header.len;
  size_t n = 0;
  for (;;) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    if (!semi)
      semi = end;
    const char *eq = memchr(p, '=', (size_t)(semi - p));
    /* No '=': a value with an empty name (Mozilla bug 169091). */
    tn_str_t name = eq ? strip(p, eq) : (tn_str_t){p, 0};
    tn_str_t value = strip(eq ? eq + 1 : p, semi);
    if (name.len || value.len) {
      char *t = *text;
      size_t len = unquote(t, value.ptr, value.len);
      t[len] = '\0';
      *text = t + len + 1;
      items[n++] = (tn__cookie_t){name, {t, len}};
    }
    if (semi == end)
      return n;
    p = semi + 1;
  }
}

static bool is_cookie_header(const tn__header_t *h) {
  return h->name.len == 6 && strncasecmp(h->name.ptr, "cookie", 6) == 0;
}

/* All the Cookie headers into one list in the arena, in the order sent:
 * as if joined by "; ". After a failure nothing is marked, so a later
 * call tries again. */
static int parse_all(tn_req_t *req) {
  size_t room = 0, text_size = 0;
  for (unsigned i = 0; i < req->head.nheaders; i++) {
    const tn__header_t *h = &req->head.headers[i];
    if (is_cookie_header(h)) {
      size_t r = tn__cookie_room(h->value);
      room += r;
      text_size += h->value.len + r;
    }
  }
  tn__cookie_t *items = NULL;
  char *text = NULL;
  if (room) {
    items = tn_req_alloc(req, room * sizeof *items);
    text = tn_req_alloc(req, text_size);
    if (!items || !text)
      return TN_ENOMEM;
  }
  size_t n = 0;
  for (unsigned i = 0; i < req->head.nheaders; i++)
    if (is_cookie_header(&req->head.headers[i]))
      n += tn__cookie_parse(req->head.headers[i].value, items + n, &text);
  req->cookies = items;
  req->ncookies = n;
  req->cookies_parsed = true;
  return 0;
}

int tn__cookie_value(tn_req_t *req, const char *name, tn_str_t *value) {
  *value = (tn_str_t){NULL, 0};
  if (!req->cookies_parsed) {
    int err = parse_all(req);
    if (err)
      return err;
  }
  if (!legal_name(name))
    return 0; /* SimpleCookie would have dropped it */
  size_t len = strlen(name);
  for (size_t i = req->ncookies; i-- > 0;) {
    const tn__cookie_t *c = &req->cookies[i];
    if (c->name.len == len && memcmp(c->name.ptr, name, len) == 0) {
      *value = c->value;
      return 0;
    }
  }
  return 0;
}

void tn__cookies_reset(tn_req_t *req) {
  req->cookies_parsed = false;
  req->cookies = NULL;
  req->ncookies = 0;
  req->xsrf_known = false;
  req->xsrf_token = NULL;
}

const char *tn_get_cookie(tn_req_t *req, const char *name, const char *def) {
  tn_str_t value;
  if (tn__cookie_value(req, name, &value)) {
    tn__response_error(req, 500, 0);
    return NULL;
  }
  return value.ptr ? value.ptr : def;
}

/* --- Set-Cookie ---------------------------------------------------------- */

/* RFC 6265's cookie-octet: printable ASCII but space, '"', ',', ';' and
 * '\\'. */
static bool value_ok(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' ||
        c == '\\')
      return false;
  }
  return true;
}

/* An attribute value (av-octet): no control character and no ';'. */
static bool attr_ok(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f || c == ';')
      return false;
  }
  return true;
}

static const char *same_site_name(const char *s) {
  static const char *const names[] = {"Strict", "Lax", "None"};
  for (size_t i = 0; i < 3; i++)
    if (equal_nocase(s, names[i]))
      return names[i];
  return NULL;
}

/* A Set-Cookie value being written into room counted beforehand. */
typedef struct {
  char *p;
} line_t;

static void put(line_t *l, const char *s) {
  size_t n = strlen(s);
  memcpy(l->p, s, n);
  l->p += n;
}

static void put_attr(line_t *l, const char *name, const char *value) {
  put(l, "; ");
  put(l, name);
  if (value) {
    put(l, "=");
    put(l, value);
  }
}

/* The expires= time of `o`, or 0 for none: `expires`, else now plus
 * expires_days (to the second, as the date is written). */
static int expiry(const tn_cookie_opts_t *o, int64_t *out) {
  *out = o->expires;
  if (o->expires || o->expires_days == 0)
    return 0;
  if (o->expires_days != o->expires_days)
    return TN_EINVAL; /* NaN */
  double d = o->expires_days * 86400.0;
  /* Far beyond year 9999 either way, where the date is clamped anyway. */
  if (d > 1e12)
    d = 1e12;
  if (d < -1e12)
    d = -1e12;
  *out = (int64_t)time(NULL) + (int64_t)d;
  if (*out == 0)
    *out = -1; /* the epoch itself is still a date to send */
  return 0;
}

/* Forget the Set-Cookie lines of `name` among the first `n` headers of
 * the response: Tornado keeps one cookie per name. The lines are laid out
 * by response.c ("Set-Cookie: name=value...\r\n"; len 0 once dropped). */
static void drop_earlier(tn_req_t *req, unsigned n, const char *name,
                         size_t len) {
  for (unsigned i = 0; i < n; i++) {
    tn__out_header_t *h = &req->out_headers[i];
    const char *line = req->out.data + h->off;
    if (h->len && h->name_len == 10 &&
        strncasecmp(line, "Set-Cookie", 10) == 0 && h->len > 12 + len &&
        memcmp(line + 12, name, len) == 0 && line[12 + len] == '=')
      h->len = 0;
  }
}

/* Writes the header value into `out` (room counted by the caller). */
static void format_line(char *out, const char *name, const char *value,
                        const tn_cookie_opts_t *o, const char *path,
                        int64_t expires, const char *same_site) {
  line_t l = {out};
  char date[TN__HTTP_DATE_SIZE], age[24];
  put(&l, name);
  put(&l, "=");
  put(&l, value);
  /* Python's Morsel writes its attributes sorted by key. */
  if (o->domain && *o->domain)
    put_attr(&l, "Domain", o->domain);
  if (expires) {
    tn__http_date_format(date, expires);
    put_attr(&l, "expires", date);
  }
  if (o->http_only)
    put_attr(&l, "HttpOnly", NULL);
  if (o->max_age) {
    snprintf(age, sizeof age, "%lld",
             o->max_age > 0 ? (long long)o->max_age : 0LL);
    put_attr(&l, "Max-Age", age);
  }
  if (*path)
    put_attr(&l, "Path", path);
  if (same_site)
    put_attr(&l, "SameSite", same_site);
  if (o->secure)
    put_attr(&l, "Secure", NULL);
  *l.p = '\0';
}

int tn_set_cookie(tn_req_t *req, const char *name, const char *value,
                  const tn_cookie_opts_t *opts) {
  static const tn_cookie_opts_t defaults = {0};
  const tn_cookie_opts_t *o = opts ? opts : &defaults;
  const char *path = o->path ? o->path : "/";
  const char *domain = o->domain ? o->domain : "";
  if (!legal_name(name) || !value_ok(value) || !attr_ok(path) ||
      !attr_ok(domain))
    return TN_EHEADER;
  const char *same_site = NULL;
  if (o->same_site && !(same_site = same_site_name(o->same_site)))
    return TN_EINVAL;
  int64_t expires;
  int err = expiry(o, &expires);
  if (err)
    return err;
  size_t name_len = strlen(name);
  /* The attributes' names, separators and numbers take under 100. */
  size_t room = name_len + 1 + strlen(value) + strlen(path) + strlen(domain) +
                TN__HTTP_DATE_SIZE + 128;
  char *line = tn_req_alloc(req, room);
  if (!line)
    return TN_ENOMEM;
  format_line(line, name, value, o, path, expires, same_site);
  unsigned before = req->nout;
  err = tn_add_header(req, "Set-Cookie", line);
  if (!err)
    drop_earlier(req, before, name, name_len);
  return err;
}

int tn_clear_cookie(tn_req_t *req, const char *name,
                    const tn_cookie_opts_t *opts) {
  tn_cookie_opts_t o = {0};
  if (opts)
    o = *opts;
  o.expires = (int64_t)time(NULL) - 365 * 86400;
  o.expires_days = 0;
  o.max_age = -1;
  return tn_set_cookie(req, name, "", &o);
}
