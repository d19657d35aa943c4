/* ws_handshake.c -- the opening handshake of a WebSocket (RFC 6455 4.2):
 * from an HTTP GET to a "101 Switching Protocols", or to the error that
 * refuses it.
 *
 * The order of the checks is the RFC's and Tornado's: a request that is
 * not an upgrade to WebSocket at all is a 400; one of another protocol
 * version a 426 naming ours; then the key, the origin, the subprotocol
 * and the extensions; last the handler's open callback, which may still
 * refuse. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <strings.h>

#include "internal.h"

/* RFC 6455 1.3: appended to the key before hashing. */
#define TN__WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define TN__WS_MAX_OFFERS 32 /* subprotocols and extension values read */

/* Whether some `name` header lists `token` (case-insensitive). */
static bool has_token(const tn_req_t *req, const char *name,
                      const char *token) {
  for (unsigned i = 0; i < req->head.nheaders; i++) {
    const tn__header_t *h = &req->head.headers[i];
    if (!tn__str_ieq(h->name, name))
      continue;
    tn_str_t list = h->value, e;
    while (tn__list_next(&list, &e))
      if (tn__str_ieq(e, token))
        return true;
  }
  return false;
}

/* Every value of the `name` headers, up to `max`, into `out`. */
static size_t header_values(const tn_req_t *req, const char *name,
                            tn_str_t *out, size_t max) {
  size_t n = 0;
  for (unsigned i = 0; i < req->head.nheaders && n < max; i++)
    if (tn__str_ieq(req->head.headers[i].name, name))
      out[n++] = req->head.headers[i].value;
  return n;
}

static bool is_base64(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* RFC 6455 4.1: a base64-encoded 16-byte value: 22 characters and "==". */
static bool key_valid(tn_str_t key) {
  if (key.len != 24 || key.ptr[22] != '=' || key.ptr[23] != '=')
    return false;
  for (size_t i = 0; i < 22; i++)
    if (!is_base64((unsigned char)key.ptr[i]))
      return false;
  return true;
}

/* Sec-WebSocket-Accept: base64(SHA-1(key + GUID)), 28 characters. */
static void accept_value(tn_str_t key, char out[29]) {
  unsigned char text[24 + sizeof TN__WS_GUID - 1];
  unsigned char digest[SHA_DIGEST_LENGTH];
  memcpy(text, key.ptr, 24);
  memcpy(text + 24, TN__WS_GUID, sizeof TN__WS_GUID - 1);
  SHA1(text, sizeof text, digest);
  EVP_EncodeBlock((unsigned char *)out, digest, sizeof digest);
}

/* What the request itself gets wrong: 0 with its *key, or the status to
 * answer. The router has already made it a GET. */
static int check_request(tn_req_t *req, tn_str_t *key, const char **why) {
  const tn__http1_t *h = &req->head;
  if (h->minor_version != 1 || !has_token(req, "upgrade", "websocket")) {
    *why = "Can \"Upgrade\" only to \"WebSocket\".";
    return 400;
  }
  if (!has_token(req, "connection", "upgrade")) {
    *why = "\"Connection\" must be \"Upgrade\".";
    return 400;
  }
  tn_str_t v[2];
  size_t nv = header_values(req, "sec-websocket-version", v, 2);
  if (nv != 1 || v[0].len != 2 || memcmp(v[0].ptr, "13", 2) != 0) {
    *why = NULL;
    return 426;
  }
  tn_str_t keys[2];
  if (header_values(req, "sec-websocket-key", keys, 2) != 1 ||
      !key_valid(keys[0])) {
    *why = "Missing or invalid Sec-WebSocket-Key.";
    return 400;
  }
  if (h->flags & (TN__HEAD_CONTENT_LENGTH | TN__HEAD_CHUNKED)) {
    *why = "An upgrade request has no body.";
    return 400;
  }
  *key = keys[0];
  return 0;
}

bool tn_ws_same_origin(tn_req_t *req, tn_str_t origin) {
  if (origin.len == 0)
    return true;
  /* The origin's host[:port]: what follows "scheme://", up to a path. */
  const char *p = origin.ptr, *end = origin.ptr + origin.len;
  const char *sep = NULL;
  for (const char *q = p; q + 2 < end; q++)
    if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
      sep = q + 3;
      break;
    }
  if (!sep)
    return false; /* "null", or not a URL */
  const char *stop = sep;
  while (stop < end && *stop != '/' && *stop != '?' && *stop != '#')
    stop++;
  tn_str_t host = tn_req_header(req, "Host");
  size_t n = (size_t)(stop - sep);
  return host.ptr && host.len == n && strncasecmp(host.ptr, sep, n) == 0;
}

/* Asks the handler which offered subprotocol to speak. Returns 0, or
 * TN_EINVAL when it names one that was not offered (a bug of the app's:
 * the client would have to fail the connection). */
static int choose_subprotocol(tn_req_t *req, const tn_ws_handler_t *h,
                              tn_ws_t *ws) {
  tn_str_t values[TN__WS_MAX_OFFERS], offered[TN__WS_MAX_OFFERS];
  size_t nv = header_values(req, "sec-websocket-protocol", values,
                            TN__WS_MAX_OFFERS);
  size_t n = 0;
  for (size_t i = 0; i < nv; i++) {
    tn_str_t list = values[i], e;
    while (n < TN__WS_MAX_OFFERS && tn__list_next(&list, &e))
      offered[n++] = e;
  }
  if (n == 0 || !h->select_subprotocol)
    return 0;
  const char *pick = h->select_subprotocol(req, offered, n);
  if (!pick)
    return 0;
  size_t len = strlen(pick);
  for (size_t i = 0; i < n; i++) {
    if (offered[i].len == len && memcmp(offered[i].ptr, pick, len) == 0) {
      if (!(ws->subprotocol = strdup(pick)))
        return TN_ENOMEM;
      return 0;
    }
  }
  tn_log(TN_LOG_ERROR, "websocket %s: select_subprotocol chose '%s', which "
         "the client did not offer", h->name, pick);
  return TN_EINVAL;
}

/* Queues the 101 with the handshake's header lines, made in request
 * memory (a subprotocol may be as long as a header). */
static int answer_switch(tn_req_t *req, const tn_ws_t *ws, tn_str_t key,
                         const char *extensions, size_t ext_len) {
  char accept[29];
  accept_value(key, accept);
  const char *proto = ws->subprotocol;
  /* The fixed text (names, Accept, CRLFs) is 147 bytes. */
  size_t size = 160 + (proto ? strlen(proto) : 0) + ext_len;
  char *lines = tn_req_alloc(req, size);
  if (!lines)
    return TN_ENOMEM;
  int n = snprintf(lines, size,
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n%s%s%s%s%.*s%s",
                   accept, proto ? "Sec-WebSocket-Protocol: " : "",
                   proto ? proto : "", proto ? "\r\n" : "",
                   ext_len ? "Sec-WebSocket-Extensions: " : "", (int)ext_len,
                   extensions, ext_len ? "\r\n" : "");
  return tn__response_switch(req, lines, (size_t)n);
}

/* Answers a refused handshake; open may have made a response of its own
 * (a redirect, tn_send_error), which then stands. */
static int refuse(tn_req_t *req, int status, const char *why) {
  tn__response_error_detail(req, status, why); /* resets the headers */
  if (status == 426) /* RFC 6455 4.4: the version we speak */
    tn_set_header(req, "Sec-WebSocket-Version", "13");
  return 0;
}

/* A subprotocol the handler picked may not be a valid header value. */
static bool subprotocol_ok(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!tn__is_tchar((unsigned char)*s))
      return false;
  return true;
}

int tn__ws_upgrade(tn_req_t *req, const tn_ws_handler_t *h, const void *args) {
  const char *why = NULL;
  tn_str_t key;
  int status = check_request(req, &key, &why);
  if (status)
    return refuse(req, status, why);
  tn_str_t origin[1];
  if ((header_values(req, "origin", origin, 1) ||
       header_values(req, "sec-websocket-origin", origin, 1)) &&
      !(h->check_origin ? h->check_origin(req, origin[0])
                        : tn_ws_same_origin(req, origin[0])))
    return refuse(req, 403, "Cross origin websockets not allowed");

  tn_ws_t *ws = tn__ws_new(req, h);
  if (!ws)
    return refuse(req, 500, NULL);
  int err = choose_subprotocol(req, h, ws);
  if (!err && ws->subprotocol && !subprotocol_ok(ws->subprotocol))
    err = TN_EINVAL;
  if (err) {
    tn__ws_free(ws);
    return refuse(req, 500, NULL);
  }
  char ext[128];
  size_t ext_len = 0;
  if (!(tn_req_app(req)->flags & TN_APP_WS_NO_COMPRESSION)) {
    tn_str_t values[TN__WS_MAX_OFFERS];
    size_t nv = header_values(req, "sec-websocket-extensions", values,
                              TN__WS_MAX_OFFERS);
    if (nv)
      ext_len = tn__ws_deflate_negotiate(values, nv, &ws->deflate, ext);
    ws->parser.allow_rsv1 = ws->deflate.on;
  }

  int refused = h->open ? h->open(ws, req, args) : 0;
  if (refused) {
    tn__ws_free(ws);
    /* A response open made itself stands; else the status it returned. */
    if (req->status == 200 && req->body_out.len == 0)
      return refuse(req, refused >= 400 && refused <= 599 ? refused : 500,
                    NULL);
    return 0;
  }
  if (answer_switch(req, ws, key, ext, ext_len)) {
    tn__ws_free(ws);
    return refuse(req, 500, NULL);
  }
  req->ws = ws;
  req->rflags |= TN__REQ_UPGRADE;
  return 0;
}
