/* range.c -- the Range and If-Range request headers (RFC 9110 14.2, 13.1.5)
 * for static files: one byte range, or the whole file.
 *
 * Only a single range is served as 206. A list of ranges gets the whole
 * file (200), as Tornado does and RFC 9110 allows: a server may ignore
 * Range, and multipart/byteranges buys a client little over separate
 * requests while costing the server a second framing. A header that is
 * not a valid byte range is ignored likewise. */
#include <strings.h>

#include "internal.h"

static const char *skip_ows(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

/* Digits into *v; returns the first byte after them, or NULL when there
 * are none or they overflow. */
static const char *digits(const char *p, const char *end, uint64_t *v) {
  const char *start = p;
  uint64_t n = 0;
  for (; p < end && *p >= '0' && *p <= '9'; p++) {
    unsigned d = (unsigned)(*p - '0');
    if (n > (UINT64_MAX - d) / 10)
      return NULL;
    n = n * 10 + d;
  }
  *v = n;
  return p > start ? p : NULL;
}

int tn__range_parse(tn_str_t field, uint64_t size, uint64_t *start,
                    uint64_t *len) {
  const char *p = field.ptr, *end = field.ptr + field.len;
  p = skip_ows(p, end);
  if (end - p < 6 || strncasecmp(p, "bytes=", 6) != 0)
    return TN__RANGE_WHOLE;
  p = skip_ows(p + 6, end);
  uint64_t first = 0, last = 0;
  bool suffix = p < end && *p == '-';
  if (suffix) {
    if (!(p = digits(p + 1, end, &last)))
      return TN__RANGE_WHOLE;
  } else {
    if (!(p = digits(p, end, &first)) || p == end || *p != '-')
      return TN__RANGE_WHOLE;
    p++;
    last = UINT64_MAX;
    if (p < end && *p >= '0' && *p <= '9' && !(p = digits(p, end, &last)))
      return TN__RANGE_WHOLE;
    if (last < first)
      return TN__RANGE_WHOLE; /* invalid: as if there were no Range */
  }
  if (skip_ows(p, end) != end)
    return TN__RANGE_WHOLE; /* a list, or junk */
  if (suffix) {
    if (last == 0 || size == 0)
      return TN__RANGE_UNSATISFIABLE;
    *len = last < size ? last : size;
    *start = size - *len;
    return TN__RANGE_PART;
  }
  if (first >= size)
    return TN__RANGE_UNSATISFIABLE;
  *start = first;
  *len = (last >= size - 1 ? size - 1 : last) - first + 1;
  return TN__RANGE_PART;
}

bool tn__if_range_ok(tn_str_t field, tn_str_t etag, tn_str_t modified) {
  if (!field.ptr)
    return true;
  if (field.len && (field.ptr[0] == '"' || field.ptr[0] == 'W'))
    /* An entity tag: only a strong match counts (RFC 9110 13.1.5). */
    return field.len == etag.len && field.ptr[0] == '"' &&
           memcmp(field.ptr, etag.ptr, etag.len) == 0;
  return field.len == modified.len &&
         memcmp(field.ptr, modified.ptr, modified.len) == 0;
}
