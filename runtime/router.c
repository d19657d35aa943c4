/* router.c -- from a parsed request to a response: path checks, the
 * generated dispatcher, and the answers when no handler runs (400 for a
 * malformed escape, 404, 405 with Allow, trailing-slash redirects). */
#include <ctype.h>
#include <stdlib.h>

#include "internal.h"

/* Every '%' must start a two-hex-digit escape; the check is done once here
 * so that decoding a captured parameter later cannot fail. */
static bool escapes_valid(tn_str_t path) {
  const char *p = path.ptr, *end = path.ptr + path.len;
  while ((p = memchr(p, '%', (size_t)(end - p)))) {
    if (end - p < 3 || !isxdigit((unsigned char)p[1]) ||
        !isxdigit((unsigned char)p[2]))
      return false;
    p += 3;
  }
  return true;
}

/* `trailing_slash redirect;`: when the path with its final '/' added or
 * removed would match, redirect there. Returns whether it answered. */
static bool redirect_slash(tn_req_t *req, const tn_app_t *app) {
  tn_str_t path = req->path, query = req->query;
  if (path.len <= 1 || path.len > SIZE_MAX / 2)
    return false;
  bool has_slash = path.ptr[path.len - 1] == '/';
  size_t len = has_slash ? path.len - 1 : path.len + 1;
  /* The new path, its query, and a NUL (which also ends the match). */
  size_t need = len + 1 + query.len + 1;
  char stack[TN__URL_STACK];
  char *url = need <= sizeof stack ? stack : tn_req_alloc(req, need);
  if (!url)
    return false;
  memcpy(url, path.ptr, has_slash ? len : path.len);
  if (!has_slash)
    url[len - 1] = '/';
  url[len] = '\0';
  tn_str_t caps[TN_MAX_PARAMS];
  unsigned allow = 0;
  if (app->match(req->head.method_bit, url, len, caps, &allow) < 0 && !allow)
    return false;
  if (query.len) {
    url[len] = '?';
    memcpy(url + len + 1, query.ptr, query.len);
    url[len + 1 + query.len] = '\0';
  }
  unsigned safe = TN_METHOD_GET | TN_METHOD_HEAD;
  /* 308 keeps the method and body, where 301 may turn a POST into a GET. */
  return tn_redirect(req, url, (req->head.method_bit & safe) ? 301 : 308) == 0;
}

void tn__route(tn_req_t *req) {
  const tn_app_t *app = req->conn->worker->app;
  if (!escapes_valid(req->path)) {
    tn__response_error(req, 400, 0);
    return;
  }
  unsigned allow = 0;
  int err = app->dispatch(req, &allow);
  if (err == TN_ENOTFOUND) {
    if ((app->flags & TN_APP_SLASH_REDIRECT) && redirect_slash(req, app))
      return;
    tn__response_error(req, 404, 0);
  } else if (err == TN_EMETHOD) {
    tn__response_error(req, 405, allow);
  } else if (err < 0) {
    tn__response_error(req, 500, 0);
  }
}
