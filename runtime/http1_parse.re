/* http1_parse.re -- the HTTP/1.1 request head scanner (RFC 9112).
 *
 * An re2c push scanner (-f, storable state): bytes arrive in pieces, and
 * when the scanner reaches the end of what has arrived it saves its DFA
 * state and returns TN__PARSE_AGAIN. The next call resumes in that state,
 * so no byte is scanned twice however the request is split.
 *
 * One token is a request line (up to its version) or a whole header line;
 * the DFA validates its shape and the action only slices it and checks
 * what a DFA cannot (values, repeats, limits). The grammar is deliberately
 * strict: CRLF line ends, no whitespace before a header's colon, no
 * obs-fold, no control characters in names or values, one unambiguous
 * framing. Anything else is refused, because a lenient parser in front of
 * a strict one is how requests are smuggled.
 */
#include "internal.h"

/*!conditions:re2c*/

/* What the head has said so far that only matters once it has ended. */
enum {
  TE_OTHER = 1u << 0,     /* a transfer coding other than chunked -> 501 */
  EXPECT_OTHER = 1u << 1  /* an expectation other than 100-continue -> 417 */
};

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* ASCII case-insensitive comparison with a lower-case literal. */
static bool name_is(tn_str_t name, const char *lower, size_t len) {
  if (name.len != len)
    return false;
  for (size_t i = 0; i < len; i++)
    if ((name.ptr[i] | 0x20) != lower[i])
      return false;
  return true;
}

#define NAME_IS(s, lit) name_is((s), lit, sizeof lit - 1)

/* The next element of a comma-separated list (RFC 9110 5.6.1) at *s, with
 * the OWS around it removed; empty elements are returned as such and the
 * caller skips them. Returns false when the list is exhausted. */
static bool next_element(const char **s, const char *end, tn_str_t *el) {
  if (*s > end)
    return false;
  const char *e = memchr(*s, ',', (size_t)(end - *s));
  if (!e)
    e = end;
  const char *b = *s, *x = e;
  while (b < x && is_ows(*b))
    b++;
  while (x > b && is_ows(x[-1]))
    x--;
  *el = (tn_str_t){b, (size_t)(x - b)};
  *s = e + 1;
  return true;
}

static unsigned method_bit(tn_str_t m) {
  switch (m.len) {
  case 3:
    if (!memcmp(m.ptr, "GET", 3)) return TN_METHOD_GET;
    if (!memcmp(m.ptr, "PUT", 3)) return TN_METHOD_PUT;
    break;
  case 4:
    if (!memcmp(m.ptr, "HEAD", 4)) return TN_METHOD_HEAD;
    if (!memcmp(m.ptr, "POST", 4)) return TN_METHOD_POST;
    break;
  case 5:
    if (!memcmp(m.ptr, "PATCH", 5)) return TN_METHOD_PATCH;
    break;
  case 6:
    if (!memcmp(m.ptr, "DELETE", 6)) return TN_METHOD_DELETE;
    break;
  case 7:
    if (!memcmp(m.ptr, "OPTIONS", 7)) return TN_METHOD_OPTIONS;
    break;
  }
  return TN_METHOD_OTHER;
}

/* --- Targets and hosts (RFC 3986 3.2.2, RFC 9112 3.2) -------------------- */

static bool is_unreserved_or_sub_delim(unsigned char c) {
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
    return true;
  if (c >= '0' && c <= '9')
    return true;
  return c && strchr("-._~!$&'()*+,;=", c) != NULL;
}

/* The end of the IP-literal at p ("[" ... "]": IPv6 or IPvFuture, only
 * its characters checked), or NULL. */
static const char *ip_literal(const char *p, const char *end) {
  const char *start = ++p;
  while (p < end && *p != ']') {
    if (!is_unreserved_or_sub_delim((unsigned char)*p) && *p != ':')
      return NULL;
    p++;
  }
  return p < end && p > start ? p + 1 : NULL;
}

/* The end of the reg-name at p (unreserved, %XX, sub-delims), or NULL. */
static const char *reg_name(const char *p, const char *end) {
  while (p < end && *p != ':') {
    if (*p == '%') {
      if (end - p < 3 || tn__hex_value((unsigned char)p[1]) < 0 ||
          tn__hex_value((unsigned char)p[2]) < 0)
        return NULL;
      p += 3;
    } else if (is_unreserved_or_sub_delim((unsigned char)*p)) {
      p++;
    } else {
      return NULL;
    }
  }
  return p;
}

/* uri-host [":" port], the host not empty. No userinfo: RFC 9110 4.2.4
 * has a recipient treat one in a target as an error. */
static bool is_host_port(tn_str_t s) {
  const char *p = s.ptr, *end = s.ptr + s.len;
  const char *h = p < end && *p == '[' ? ip_literal(p, end) : reg_name(p, end);
  if (!h || h == p)
    return false;
  if (h < end && *h++ != ':')
    return false;
  for (; h < end; h++)
    if (*h < '0' || *h > '9')
      return false;
  return true;
}

/* "http://" or "https://", the scheme in any case: the prefix's length, or
 * 0 for any other target. */
static size_t http_scheme(tn_str_t t) {
  if (t.len < 7 || !NAME_IS(((tn_str_t){t.ptr, 4}), "http"))
    return 0;
  if (!memcmp(t.ptr + 4, "://", 3))
    return 7;
  if (t.len >= 8 && (t.ptr[4] | 0x20) == 's' && !memcmp(t.ptr + 5, "://", 3))
    return 8;
  return 0;
}

/* absolute-form: authority, then the path and query (RFC 9112 3.2.2). */
static int on_absolute_form(tn__http1_t *p, size_t scheme) {
  const char *a = p->target.ptr + scheme, *end = p->target.ptr + p->target.len;
  const char *e = a;
  while (e < end && *e != '/' && *e != '?' && *e != '#')
    e++;
  p->authority = (tn_str_t){a, (size_t)(e - a)};
  p->origin = (tn_str_t){e, (size_t)(end - e)};
  p->flags |= TN__HEAD_ABSOLUTE;
  return is_host_port(p->authority) ? 0 : 400;
}

/* Which of RFC 9112 3.2's four forms the target has. */
static int on_target(tn__http1_t *p) {
  tn_str_t t = p->target;
  p->origin = t;
  if (t.ptr[0] == '/')
    return 0;
  /* authority-form: torn is no proxy and opens no tunnels */
  if (p->method.len == 7 && !memcmp(p->method.ptr, "CONNECT", 7))
    return is_host_port(t) ? 501 : 400;
  if (t.len == 1 && t.ptr[0] == '*') {
    if (p->method_bit != TN_METHOD_OPTIONS)
      return 400;
    p->flags |= TN__HEAD_ASTERISK;
    return 0;
  }
  size_t scheme = http_scheme(t);
  return scheme ? on_absolute_form(p, scheme) : 400;
}

/* --- Lines ---------------------------------------------------------------- */

/* The DFA has checked "METHOD SP TARGET SP HTTP/d.d"; the CRLF follows. */
static int on_request_line(tn__http1_t *p) {
  const char *sp1 = memchr(p->tok, ' ', (size_t)(p->cur - p->tok));
  const char *t = sp1 + 1;
  const char *sp2 = memchr(t, ' ', (size_t)(p->cur - t));
  p->method = (tn_str_t){p->tok, (size_t)(sp1 - p->tok)};
  p->method_bit = method_bit(p->method);
  p->target = (tn_str_t){t, (size_t)(sp2 - t)};
  if (p->target.len > TN__MAX_TARGET ||
      (size_t)(p->cur - p->start) > p->max_head)
    return 414;
  if (p->cur[-3] != '1' || p->cur[-1] > '1')
    return 505;
  p->minor_version = p->cur[-1] - '0';
  return on_target(p);
}

/* Content-Length is 1*DIGIT, once. RFC 9110 8.6 lets a recipient accept a
 * repeat of the same value, but both the list and the repeat are shapes of
 * smuggling that no correct client sends: refused, as llhttp does. */
static int on_content_length(tn__http1_t *p, tn_str_t v) {
  uint64_t n = 0;
  if (p->flags & TN__HEAD_CONTENT_LENGTH || v.len == 0)
    return 400;
  for (size_t i = 0; i < v.len; i++) {
    unsigned d = (unsigned)(v.ptr[i] - '0');
    if (d > 9 || n > (UINT64_MAX - d) / 10)
      return 400;
    n = n * 10 + d;
  }
  p->flags |= TN__HEAD_CONTENT_LENGTH;
  p->content_length = n;
  return 0;
}

/* One transfer-coding: token *( OWS ";" OWS transfer-parameter ). */
static int on_coding(tn__http1_t *p, tn_str_t el) {
  size_t n = 0;
  while (n < el.len && tn__is_tchar((unsigned char)el.ptr[n]))
    n++;
  size_t rest = n;
  while (rest < el.len && is_ows(el.ptr[rest]))
    rest++;
  if (n == 0 || (rest < el.len && el.ptr[rest] != ';'))
    return 400;
  /* Whatever follows chunked, even another chunked, leaves the body's end
   * unknown (RFC 9112 6.3). */
  if (p->flags & TN__HEAD_CHUNKED)
    return 400;
  if (NAME_IS(((tn_str_t){el.ptr, n}), "chunked")) {
    if (n != el.len)
      return 400; /* chunked takes no parameters */
    p->flags |= TN__HEAD_CHUNKED;
  } else {
    p->pending |= TE_OTHER;
  }
  return 0;
}

/* The codings of every Transfer-Encoding line form one list. */
static int on_transfer_encoding(tn__http1_t *p, tn_str_t v) {
  const char *s = v.ptr, *end = v.ptr + v.len;
  tn_str_t el;
  p->flags |= TN__HEAD_TRANSFER_ENCODING;
  while (next_element(&s, end, &el)) {
    int status = el.len ? on_coding(p, el) : 0;
    if (status)
      return status;
  }
  return 0;
}

/* Only 100-continue is known; an HTTP/1.0 client cannot wait for a 100, so
 * it is ignored there (RFC 9110 10.1.1). */
static void on_expect(tn__http1_t *p, tn_str_t v) {
  const char *s = v.ptr, *end = v.ptr + v.len;
  tn_str_t el;
  while (next_element(&s, end, &el)) {
    if (NAME_IS(el, "100-continue")) {
      if (p->minor_version == 1)
        p->flags |= TN__HEAD_EXPECT_CONTINUE;
    } else if (el.len) {
      p->pending |= EXPECT_OTHER;
    }
  }
}

/* Connection is a comma-separated list of options; only two matter. */
static void on_connection(tn__http1_t *p, tn_str_t v) {
  const char *s = v.ptr, *end = v.ptr + v.len;
  tn_str_t el;
  while (next_element(&s, end, &el)) {
    if (NAME_IS(el, "close"))
      p->flags |= TN__HEAD_CLOSE;
    else if (NAME_IS(el, "keep-alive"))
      p->flags |= TN__HEAD_KEEP_ALIVE;
  }
}

/* RFC 9112 3.2: exactly one Host, empty or a valid uri-host[:port]. */
static int on_host(tn__http1_t *p, tn_str_t v) {
  if (p->flags & TN__HEAD_HOST)
    return 400;
  p->flags |= TN__HEAD_HOST;
  return v.len == 0 || is_host_port(v) ? 0 : 400;
}

/* The DFA has checked "NAME:" OWS [ VALUE ] OWS CRLF; slice and record. */
static int on_header(tn__http1_t *p) {
  const char *colon = memchr(p->tok, ':', (size_t)(p->cur - p->tok));
  const char *v = colon + 1, *e = p->cur - 2;
  while (v < e && is_ows(*v))
    v++;
  while (e > v && is_ows(e[-1]))
    e--;
  if (p->nheaders == TN__MAX_HEADERS ||
      (size_t)(p->cur - p->start) > p->max_head)
    return 431;
  tn__header_t *h = &p->headers[p->nheaders++];
  h->name = (tn_str_t){p->tok, (size_t)(colon - p->tok)};
  h->value = (tn_str_t){v, (size_t)(e - v)};

  switch (h->name.len) {
  case 4:
    if (NAME_IS(h->name, "host"))
      return on_host(p, h->value);
    break;
  case 6:
    if (NAME_IS(h->name, "expect"))
      on_expect(p, h->value);
    break;
  case 10:
    if (NAME_IS(h->name, "connection"))
      on_connection(p, h->value);
    break;
  case 14:
    if (NAME_IS(h->name, "content-length"))
      return on_content_length(p, h->value);
    break;
  case 17:
    if (NAME_IS(h->name, "transfer-encoding"))
      return on_transfer_encoding(p, h->value);
    break;
  }
  return 0;
}

/* The framing errors (400) come before what we merely do not implement
 * (501, 417): a request whose end is unknown must not be answered as if it
 * had been understood. */
static int on_head_end(tn__http1_t *p) {
  if ((size_t)(p->cur - p->start) > p->max_head)
    return 431;
  /* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400. */
  if (p->minor_version == 1 && !(p->flags & TN__HEAD_HOST))
    return 400;
  if (p->flags & TN__HEAD_TRANSFER_ENCODING) {
    /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; with
     * Content-Length too, which one an upstream believed is unknowable;
     * an empty list frames nothing. */
    if (p->minor_version == 0 || (p->flags & TN__HEAD_CONTENT_LENGTH) ||
        !(p->flags & TN__HEAD_CHUNKED || p->pending & TE_OTHER))
      return 400;
    if (p->pending & TE_OTHER)
      return 501;
  }
  if (p->pending & EXPECT_OTHER)
    return 417;
  return TN__PARSE_DONE;
}

void tn__http1_init(tn__http1_t *p, const char *start, const char *lim) {
  p->state = -1;
  p->cond = yycline;
  p->accept = 0;
  p->start = p->tok = p->cur = p->mar = start;
  p->lim = lim;
  p->max_head = TN__MAX_HEAD;
  p->pending = 0;
  p->method = p->target = p->origin = p->authority = (tn_str_t){start, 0};
  p->method_bit = 0;
  p->minor_version = 1;
  p->flags = 0;
  p->nheaders = 0;
  p->content_length = 0;
}

static int scan(tn__http1_t *p) {
  unsigned char yych;
  /*!getstate:re2c*/
  for (;;) {
    p->tok = p->cur;
    /*!re2c
      re2c:eof = 0;
      re2c:api:style = free-form;
      re2c:define:YYCTYPE = "unsigned char";
      re2c:define:YYCURSOR = "p->cur";
      re2c:define:YYMARKER = "p->mar";
      re2c:define:YYLIMIT = "p->lim";
      re2c:define:YYGETSTATE = "p->state";
      re2c:define:YYSETSTATE = "p->state = @@;";
      re2c:define:YYGETCONDITION = "p->cond";
      re2c:define:YYSETCONDITION = "p->cond = @@;";
      re2c:define:YYFILL = "return TN__PARSE_AGAIN;";
      re2c:variable:yyaccept = "p->accept";

      tchar  = [-!#$%&'*+.^_`|~0-9A-Za-z];
      vchar  = [\x21-\x7e\x80-\xff];
      ws     = [ \t];
      target = [\x21-\x7e\x80-\xff]+;
      value  = vchar (ws* vchar)*;

      // RFC 9112 2.2: empty lines before the request line are ignored.
      <line> "\r\n" { continue; }
      // The version is judged as soon as it has been read, so that a
      // version we cannot speak is refused before its line ends.
      <line> tchar+ " " target " HTTP/" [0-9] "." [0-9] => eol {
        int status = on_request_line(p);
        if (status)
          return status;
        continue;
      }
      <eol> "\r\n" => header { continue; }
      <header> tchar+ ":" ws* value? ws* "\r\n" {
        int status = on_header(p);
        if (status)
          return status;
        continue;
      }
      <header> "\r\n" { return on_head_end(p); }
      <*> $ { return TN__PARSE_AGAIN; }
      <*> * { return 400; }
    */
  }
}

int tn__http1_too_long(const tn__http1_t *p) {
  if (p->cond != yycheader || p->target.len > TN__MAX_TARGET)
    return 414;
  return 431;
}

int tn__http1_parse(tn__http1_t *p) {
  int status = scan(p);
  if (status == TN__PARSE_AGAIN && (size_t)(p->lim - p->start) > p->max_head)
    return tn__http1_too_long(p);
  return status;
}

void tn__http1_rebase(tn__http1_t *p, const char *from, const char *to) {
#define TN__SHIFT(ptr) ((ptr) = to + ((ptr) - from))
  TN__SHIFT(p->start);
  TN__SHIFT(p->tok);
  TN__SHIFT(p->cur);
  TN__SHIFT(p->mar);
  TN__SHIFT(p->lim);
  TN__SHIFT(p->method.ptr);
  TN__SHIFT(p->target.ptr);
  TN__SHIFT(p->origin.ptr);
  TN__SHIFT(p->authority.ptr);
  for (unsigned i = 0; i < p->nheaders; i++) {
    TN__SHIFT(p->headers[i].name.ptr);
    TN__SHIFT(p->headers[i].value.ptr);
  }
#undef TN__SHIFT
}
