/* request.c -- what a handler can read of its request, and the parsers of
 * typed route parameters. Everything returned points into the connection's
 * read buffer and is valid until the handler returns. */
#include "internal.h"

unsigned tn_req_method(const tn_req_t *req) { return req->head.method_bit; }
tn_str_t tn_req_method_str(const tn_req_t *req) { return req->head.method; }
tn_str_t tn_req_uri(const tn_req_t *req) { return req->head.target; }
tn_str_t tn_req_path(const tn_req_t *req) { return req->path; }
tn_str_t tn_req_query(const tn_req_t *req) { return req->query; }
tn_str_t tn_req_body(const tn_req_t *req) { return req->body; }
const tn_app_t *tn_req_app(const tn_req_t *req) {
  return req->conn->worker->app;
}

tn_str_t tn_req_header(const tn_req_t *req, const char *name) {
  size_t len = strlen(name); /* once, not per header: a hot path */
  for (unsigned i = 0; i < req->head.nheaders; i++) {
    tn_str_t n = req->head.headers[i].name;
    if (n.len == len && strncasecmp(n.ptr, name, len) == 0)
      return req->head.headers[i].value;
  }
  return (tn_str_t){NULL, 0};
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

bool tn__list_next(tn_str_t *list, tn_str_t *elem) {
  const char *p = list->ptr, *end = list->ptr + list->len;
  while (p < end && (*p == ',' || is_ows(*p)))
    p++;
  if (p == end)
    return false;
  const char *start = p;
  while (p < end && *p != ',')
    p++;
  const char *stop = p;
  while (stop > start && is_ows(stop[-1]))
    stop--;
  *elem = (tn_str_t){start, (size_t)(stop - start)};
  *list = (tn_str_t){p, (size_t)(end - p)};
  return true;
}

/* Shared by the signed and unsigned parsers: canonical digits only (no
 * sign, no leading zero, no whitespace), as the route types match them, so
 * one value has one spelling; overflow is TN_ERANGE, never a wrap. */
static int parse_digits(const char *p, size_t n, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0 || (n > 1 && p[0] == '0'))
    return TN_EINVAL;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)(p[i] - '0');
    if (d > 9)
      return TN_EINVAL;
    if (v > (max - d) / 10)
      return TN_ERANGE;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int tn_parse_uint64(tn_str_t s, uint64_t *out) {
  return parse_digits(s.ptr, s.len, UINT64_MAX, out);
}

int tn_parse_int64(tn_str_t s, int64_t *out) {
  bool neg = s.len > 0 && s.ptr[0] == '-';
  if (neg && s.len == 2 && s.ptr[1] == '0')
    return TN_EINVAL; /* "-0" is "0" spelled twice */
  uint64_t max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  uint64_t v;
  int err = parse_digits(s.ptr + neg, s.len - neg, max, &v);
  if (err)
    return err;
  /* -v computed in unsigned arithmetic: INT64_MIN has no positive twin. */
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}
