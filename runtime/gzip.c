/* gzip.c -- Tornado's compress_response: text bodies gzipped for clients
 * that take them.
 *
 * The rules are Tornado's GZipContentEncoding: a compressible type (text/...
 * and the text-like application types), no Content-Encoding of the
 * handler's own, at least 1 KiB of body (smaller ones gain nothing), and
 * Vary: Accept-Encoding on every response of the app so that caches keep
 * the two versions apart. Unlike Tornado, Accept-Encoding is parsed, so
 * "gzip;q=0" is a refusal. */
#include <zlib.h>

#include "internal.h"

#define TN__GZIP_MIN 1024

static tn_str_t trim(const char *s, const char *e) {
  while (s < e && (*s == ' ' || *s == '\t'))
    s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  return (tn_str_t){s, (size_t)(e - s)};
}

/* Whether a q-value ("q=0.000") is zero. */
static bool q_zero(tn_str_t params) {
  const char *q = memchr(params.ptr, '=', params.len);
  if (!q)
    return false;
  tn_str_t name = trim(params.ptr, q);
  if (!tn__str_ieq(name, "q"))
    return false;
  tn_str_t v = trim(q + 1, params.ptr + params.len);
  for (size_t i = 0; i < v.len; i++)
    if (v.ptr[i] != '0' && v.ptr[i] != '.')
      return false;
  return v.len > 0;
}

/* Whether Accept-Encoding lists gzip (or *) with a nonzero weight. */
static bool accepts_gzip(tn_str_t field) {
  tn_str_t e;
  while (tn__list_next(&field, &e)) {
    const char *end = e.ptr + e.len;
    const char *semi = memchr(e.ptr, ';', e.len);
    tn_str_t coding = trim(e.ptr, semi ? semi : end);
    if (tn__str_ieq(coding, "gzip") || tn__str_ieq(coding, "*"))
      return !semi || !q_zero(trim(semi + 1, end));
  }
  return false;
}

static bool compressible(tn_str_t type) {
  static const char *const types[] = {
      "application/javascript", "application/x-javascript",
      "application/xml",        "application/atom+xml",
      "application/json",       "application/xhtml+xml",
      "image/svg+xml"};
  const char *semi = memchr(type.ptr, ';', type.len);
  tn_str_t media = trim(type.ptr, semi ? semi : type.ptr + type.len);
  if (media.len > 5 && tn__str_ieq((tn_str_t){media.ptr, 5}, "text/"))
    return true;
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (tn__str_ieq(media, types[i]))
      return true;
  return false;
}

/* The Content-Type the handler set, or the default one. */
static tn_str_t content_type(const tn_req_t *req) {
  for (unsigned i = 0; req->has_content_type && i < req->nout; i++) {
    const tn__out_header_t *h = &req->out_headers[i];
    tn_str_t name = {req->out.data + h->off, h->name_len};
    if (h->len && tn__str_ieq(name, "content-type"))
      return (tn_str_t){name.ptr + h->name_len + 2, h->len - h->name_len - 4};
  }
  return (tn_str_t){"text/html", 9};
}

bool tn__gzip_wanted(tn_req_t *req) {
  if (!(req->conn->worker->app->flags & TN_APP_COMPRESS))
    return false;
  /* Added to any Vary of the handler's: a second field line is the same
   * as one listing both (RFC 9110 5.3). */
  tn__put_header_late(req, "Vary", "Accept-Encoding", false);
  return req->body_out.len >= TN__GZIP_MIN && req->body_out.len < UINT32_MAX &&
         !req->has_content_encoding &&
         accepts_gzip(tn_req_header(req, "Accept-Encoding")) &&
         compressible(content_type(req));
}

int tn__gzip_body(tn_req_t *req, tn__buf_t *out) {
  z_stream z = {0};
  /* 16 + 15 window bits: a gzip wrapper. Level 6 is zlib's (and
   * Tornado's) balance of speed and size. */
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return TN_ENOMEM;
  out->len = 0;
  size_t bound = deflateBound(&z, req->body_out.len);
  int err = tn__buf_reserve(out, bound);
  if (!err) {
    z.next_in = (Bytef *)req->body_out.data;
    z.avail_in = (uInt)req->body_out.len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)bound;
    err = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : TN_ENOMEM;
    out->len = bound - z.avail_out;
  }
  deflateEnd(&z);
  if (!err)
    err = tn__put_header_late(req, "Content-Encoding", "gzip", true);
  return err;
}
