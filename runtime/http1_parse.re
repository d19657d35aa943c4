/* http1_parse.re -- the HTTP/1.1 request head scanner (RFC 9112).
 *
 * An re2c push scanner (-f, storable state): bytes arrive in pieces, and
 * when the scanner reaches the end of what has arrived it saves its DFA
 * state and returns TN__PARSE_AGAIN. The next call resumes in that state,
 * so no byte is scanned twice however the request is split.
 *
 * One token is a whole request line or a whole header line; the DFA
 * validates it and the action only slices it. The grammar is deliberately
 * strict: CRLF line ends, no whitespace before a header's colon, no
 * obs-fold, no control characters in names or values. Anything else is a
 * 400, because a lenient parser in front of a strict one is how requests
 * are smuggled.
 */
#include "internal.h"

/*!conditions:re2c*/

/* ASCII case-insensitive comparison of a header name with a lower-case
 * literal. */
static bool name_is(tn_str_t name, const char *lower, size_t len) {
  if (name.len != len)
    return false;
  for (size_t i = 0; i < len; i++)
    if ((name.ptr[i] | 0x20) != lower[i])
      return false;
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

/* The DFA has checked the shape "METHOD SP TARGET SP HTTP/1.x CRLF". */
static void on_request_line(tn__http1_t *p) {
  const char *sp1 = memchr(p->tok, ' ', (size_t)(p->cur - p->tok));
  const char *t = sp1 + 1;
  const char *sp2 = memchr(t, ' ', (size_t)(p->cur - t));
  p->method = (tn_str_t){p->tok, (size_t)(sp1 - p->tok)};
  p->method_bit = method_bit(p->method);
  p->target = (tn_str_t){t, (size_t)(sp2 - t)};
  p->minor_version = p->cur[-3] - '0';
}

/* Content-Length is 1*DIGIT. A repeat must carry the same value: two
 * different lengths are the classic smuggling shape. */
static int on_content_length(tn__http1_t *p, tn_str_t v) {
  uint64_t n = 0;
  if (v.len == 0 || v.len > 18)
    return 400;
  for (size_t i = 0; i < v.len; i++) {
    if (v.ptr[i] < '0' || v.ptr[i] > '9')
      return 400;
    n = n * 10 + (uint64_t)(v.ptr[i] - '0');
  }
  if ((p->flags & TN__HEAD_CONTENT_LENGTH) && p->content_length != n)
    return 400;
  p->flags |= TN__HEAD_CONTENT_LENGTH;
  p->content_length = n;
  return 0;
}

/* Connection is a comma-separated list of options; only two matter. */
static void on_connection(tn__http1_t *p, tn_str_t v) {
  const char *s = v.ptr, *end = v.ptr + v.len;
  while (s < end) {
    while (s < end && (*s == ' ' || *s == '\t' || *s == ','))
      s++;
    const char *e = s;
    while (e < end && *e != ',' && *e != ' ' && *e != '\t')
      e++;
    tn_str_t opt = {s, (size_t)(e - s)};
    if (name_is(opt, "close", 5))
      p->flags |= TN__HEAD_CLOSE;
    else if (name_is(opt, "keep-alive", 10))
      p->flags |= TN__HEAD_KEEP_ALIVE;
    s = e;
  }
}

/* The DFA has checked "NAME:" OWS [ VALUE ] OWS CRLF; slice and record. */
static int on_header(tn__http1_t *p) {
  const char *colon = memchr(p->tok, ':', (size_t)(p->cur - p->tok));
  const char *v = colon + 1, *e = p->cur - 2;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  if (p->nheaders == TN__MAX_HEADERS)
    return 431;
  tn__header_t *h = &p->headers[p->nheaders++];
  h->name = (tn_str_t){p->tok, (size_t)(colon - p->tok)};
  h->value = (tn_str_t){v, (size_t)(e - v)};

  switch (h->name.len) {
  case 4:
    if (name_is(h->name, "host", 4)) {
      if (p->flags & TN__HEAD_HOST)
        return 400; /* RFC 9112 3.2: exactly one Host */
      p->flags |= TN__HEAD_HOST;
    }
    break;
  case 10:
    if (name_is(h->name, "connection", 10))
      on_connection(p, h->value);
    break;
  case 14:
    if (name_is(h->name, "content-length", 14))
      return on_content_length(p, h->value);
    break;
  case 17:
    if (name_is(h->name, "transfer-encoding", 17))
      p->flags |= TN__HEAD_TRANSFER_ENCODING;
    break;
  }
  return 0;
}

static int on_head_end(tn__http1_t *p) {
  if (p->cur - p->start > TN__MAX_HEAD)
    return 431;
  /* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400. */
  if (p->minor_version == 1 && !(p->flags & TN__HEAD_HOST))
    return 400;
  /* A request carrying both framings is refused: which one an upstream
   * believed cannot be known (RFC 9112 6.1). */
  if ((p->flags & TN__HEAD_TRANSFER_ENCODING) &&
      (p->flags & TN__HEAD_CONTENT_LENGTH))
    return 400;
  return TN__PARSE_DONE;
}

void tn__http1_init(tn__http1_t *p, const char *start, const char *lim) {
  p->state = -1;
  p->cond = yycline;
  p->accept = 0;
  p->start = p->tok = p->cur = p->mar = start;
  p->lim = lim;
  p->method = p->target = (tn_str_t){start, 0};
  p->method_bit = 0;
  p->minor_version = 1;
  p->flags = 0;
  p->nheaders = 0;
  p->content_length = 0;
}

int tn__http1_parse(tn__http1_t *p) {
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
      <line> tchar+ " " target " HTTP/1." [01] "\r\n" => header {
        on_request_line(p);
        continue;
      }
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

void tn__http1_rebase(tn__http1_t *p, const char *from, const char *to) {
#define TN__SHIFT(ptr) ((ptr) = to + ((ptr) - from))
  TN__SHIFT(p->start);
  TN__SHIFT(p->tok);
  TN__SHIFT(p->cur);
  TN__SHIFT(p->mar);
  TN__SHIFT(p->lim);
  TN__SHIFT(p->method.ptr);
  TN__SHIFT(p->target.ptr);
  for (unsigned i = 0; i < p->nheaders; i++) {
    TN__SHIFT(p->headers[i].name.ptr);
    TN__SHIFT(p->headers[i].value.ptr);
  }
#undef TN__SHIFT
}
