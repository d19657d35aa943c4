/* handler.c -- what runs around a handler: the checks and hooks of
 * Tornado's RequestHandler._execute (XSRF, prepare, @authenticated), and
 * the current user they share. */
#include <stdlib.h>

#include "internal.h"

void *tn_current_user(tn_req_t *req) {
  if (!req->current_user_known) {
    const tn_hooks_t *hooks = tn_req_app(req)->hooks;
    req->current_user =
        hooks && hooks->current_user ? hooks->current_user(req) : NULL;
    req->current_user_known = true;
  }
  return req->current_user;
}

/* Tornado's @authenticated without a user: a GET or HEAD goes to the login
 * page with ?next= naming where it came from; anything else is refused,
 * since a redirect would lose its body. */
static void refuse_anonymous(tn_req_t *req) {
  const char *login = tn_req_app(req)->login_url;
  if (!login || !(req->head.method_bit & (TN_METHOD_GET | TN_METHOD_HEAD))) {
    tn__response_error(req, 403, 0);
    return;
  }
  tn_str_t uri = tn_req_uri(req);
  size_t login_len = strlen(login);
  /* "?next=" plus the URI, every byte of it %XX at worst, and a NUL. */
  size_t need = login_len + 6 + 3 * uri.len + 1;
  char *url = tn_req_alloc(req, need);
  if (!url) {
    tn__response_error(req, 500, 0);
    return;
  }
  memcpy(url, login, login_len);
  size_t n = login_len;
  if (!memchr(login, '?', login_len)) {
    memcpy(url + n, "?next=", 6);
    n += 6;
    n += tn__query_escape(url + n, uri.ptr, uri.len);
  }
  url[n] = '\0';
  if (tn_redirect(req, url, 302))
    tn__response_error(req, 500, 0);
}

int tn__before_handler(tn_req_t *req, unsigned route_flags) {
  const tn_app_t *app = tn_req_app(req);
  /* First, so that whatever the hooks read stays valid. */
  if ((route_flags & TN_ROUTE_ASYNC) && tn__req_own_bytes(req)) {
    tn__response_error(req, 500, 0);
    return 1;
  }
  if ((app->flags & TN_APP_XSRF_COOKIES) && tn__xsrf_check(req))
    return 1;
  if (app->hooks && app->hooks->prepare && app->hooks->prepare(req))
    return 1;
  if ((route_flags & TN_ROUTE_AUTHENTICATED) && !tn_current_user(req)) {
    refuse_anonymous(req);
    return 1;
  }
  if (route_flags & TN_ROUTE_ASYNC)
    req->rflags |= TN__REQ_IS_ASYNC;
  return 0;
}
