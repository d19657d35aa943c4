/* remote.c -- the client's address: the peer's, or behind a proxy
 * (--xheaders) the one the proxy says it forwarded for. */
#include <arpa/inet.h>
#include <strings.h>

#include "internal.h"

static bool name_is(tn_str_t name, const char *want) {
  return name.len == strlen(want) && !strncasecmp(name.ptr, want, name.len);
}

static tn_str_t trim(tn_str_t s) {
  while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
    s.ptr++;
    s.len--;
  }
  while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
    s.len--;
  return s;
}

/* What follows the last ',' (the proxy nearest to us appended it). */
static tn_str_t last_item(tn_str_t s) {
  const char *comma = s.len ? memrchr(s.ptr, ',', s.len) : NULL;
  if (!comma)
    return s;
  size_t skip = (size_t)(comma - s.ptr) + 1;
  return (tn_str_t){s.ptr + skip, s.len - skip};
}

/* Copies `s` to `out` if it is an IPv4 or IPv6 address. */
static bool copy_ip(char out[INET6_ADDRSTRLEN], tn_str_t s) {
  char text[INET6_ADDRSTRLEN];
  unsigned char bin[sizeof(struct in6_addr)];
  if (s.len == 0 || s.len >= sizeof text || memchr(s.ptr, '\0', s.len))
    return false;
  memcpy(text, s.ptr, s.len);
  text[s.len] = '\0';
  if (inet_pton(AF_INET, text, bin) != 1 && inet_pton(AF_INET6, text, bin) != 1)
    return false;
  memcpy(out, text, s.len + 1);
  return true;
}

bool tn__xheaders_ip(char out[INET6_ADDRSTRLEN], const tn__http1_t *head) {
  tn_str_t real = {NULL, 0}, forwarded = {NULL, 0};
  unsigned nreal = 0, nforwarded = 0;
  for (unsigned i = 0; i < head->nheaders; i++) {
    const tn__header_t *h = &head->headers[i];
    if (name_is(h->name, "X-Real-IP")) {
      real = h->value;
      nreal++;
    } else if (name_is(h->name, "X-Forwarded-For")) {
      forwarded = h->value; /* Tornado joins them: the last one's end */
      nforwarded++;
    }
  }
  /* Tornado reads several X-Real-IP joined by ',': never an address. */
  if (nreal > 1)
    return false;
  if (nreal == 1)
    return copy_ip(out, trim(real));
  return nforwarded && copy_ip(out, trim(last_item(forwarded)));
}

/* The peer's address, or "" when the connection has gone. */
static void peer_ip(tn_req_t *req) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  char *out = req->remote_ip;
  out[0] = '\0';
  if (uv_tcp_getpeername(&req->conn->tcp, (struct sockaddr *)&ss, &len))
    return;
  if (ss.ss_family == AF_INET)
    uv_ip4_name((struct sockaddr_in *)&ss, out, INET6_ADDRSTRLEN);
  else if (ss.ss_family == AF_INET6)
    uv_ip6_name((struct sockaddr_in6 *)&ss, out, INET6_ADDRSTRLEN);
}

const char *tn_req_remote_ip(tn_req_t *req) {
  if (req->remote_ip[0] || !req->conn)
    return req->remote_ip;
  const tn_options_t *opts = req->conn->worker->opts;
  if (opts && opts->xheaders && tn__xheaders_ip(req->remote_ip, &req->head))
    return req->remote_ip;
  peer_ip(req);
  return req->remote_ip;
}
