/* ws_deflate.c -- permessage-deflate (RFC 7692): the offer negotiation and
 * the per-message raw DEFLATE streams, over zlib.
 *
 * Negotiation reads the Sec-WebSocket-Extensions lists with the syntax
 * of RFC 9110 5.6 (tokens, parameters, quoted strings, optional white
 * space) and takes the first permessage-deflate offer whose parameters
 * are all known, given once and well-formed (RFC 7692 7.1). torn always
 * answers server_no_context_takeover: its deflate streams are the
 * worker's, reset after each message, so a connection holds no
 * compressor.
 *
 * Inflating is bounded: the output buffer never grows past the message
 * size limit, so a small compressed message that would expand without
 * end (a compression bomb) costs at most the limit before it is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "internal.h"

/* The end of a DEFLATE block flushed with Z_SYNC_FLUSH: an empty stored
 * block. The sender strips it from each message and the receiver puts it
 * back (RFC 7692 7.2.1, 7.2.2). */
static const uint8_t sync_tail[4] = {0x00, 0x00, 0xff, 0xff};

#define ZCHUNK_MAX (1u << 30) /* bytes given to zlib per call (uInt) */
#define INFLATE_FIRST 4096    /* an output buffer's first size */
#define WINDOW_MAX (1u << 15) /* the largest LZ77 window */
#define RESP_MAX 128          /* the response value's room */

/* --- Negotiation --------------------------------------------------------- */

/* A position in one header value. */
typedef struct {
  const char *p, *end;
} cursor_t;

/* The parameters of RFC 7692 7.1. */
enum {
  P_SERVER_NO_CONTEXT = 1u << 0,
  P_CLIENT_NO_CONTEXT = 1u << 1,
  P_SERVER_BITS = 1u << 2,
  P_CLIENT_BITS = 1u << 3
};

/* One offer's parameters as they were read. */
typedef struct {
  unsigned seen;   /* P_* given */
  int server_bits; /* server_max_window_bits' value */
  int client_bits; /* client_max_window_bits' value, 0 if it had none */
} offer_t;

static void skip_ows(cursor_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
    c->p++;
}

/* The token at the cursor (empty when there is none). */
static tn_str_t take_token(cursor_t *c) {
  const char *s = c->p;
  while (c->p < c->end && tn__is_tchar((unsigned char)*c->p))
    c->p++;
  return (tn_str_t){s, (size_t)(c->p - s)};
}

/* The quoted-string at the cursor (on its '"'), unescaped into `buf`:
 * only its first `cap` bytes are kept, but *len counts them all. False
 * when it has no closing quote. (Which bytes it holds does not matter:
 * every value torn reads must be a number.) */
static bool take_quoted(cursor_t *c, char *buf, size_t cap, size_t *len) {
  *len = 0;
  for (c->p++; c->p < c->end; c->p++) {
    char ch = *c->p;
    if (ch == '"') {
      c->p++;
      return true;
    }
    if (ch == '\\' && c->p + 1 < c->end)
      ch = *++c->p;
    if (*len < cap)
      buf[*len] = ch;
    (*len)++;
  }
  return false;
}

/* A parameter's value, a token or a quoted-string (RFC 7692 7 makes the
 * two equivalent). False when neither is there. */
static bool take_value(cursor_t *c, char *buf, size_t cap, size_t *len) {
  if (c->p < c->end && *c->p == '"')
    return take_quoted(c, buf, cap, len);
  tn_str_t t = take_token(c);
  *len = t.len;
  memcpy(buf, t.ptr, t.len < cap ? t.len : cap);
  return t.len > 0;
}

/* A window size: a decimal 8..15 without leading zeros (RFC 7692
 * 7.1.2.1); 0 when `v` is anything else. */
static int window_bits(const char *v, size_t len) {
  if (len == 1 && (v[0] == '8' || v[0] == '9'))
    return v[0] - '0';
  if (len == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
    return 10 + v[1] - '0';
  return 0;
}

/* Records one parameter of a permessage-deflate offer; false when the
 * offer must be declined for it (unknown, repeated, a value where none
 * belongs or a bad one). `v` is NULL for a parameter without a value. */
static bool take_param(offer_t *o, tn_str_t name, const char *v, size_t len) {
  static const char *const names[] = {
      "server_no_context_takeover", "client_no_context_takeover",
      "server_max_window_bits", "client_max_window_bits"};
  unsigned which = 0;
  while (which < 4 && !tn__str_ieq(name, names[which]))
    which++;
  if (which == 4 || (o->seen & (1u << which)))
    return false;
  o->seen |= 1u << which;
  switch (1u << which) {
  case P_SERVER_BITS:
    return v && (o->server_bits = window_bits(v, len)) != 0;
  case P_CLIENT_BITS:
    return !v || (o->client_bits = window_bits(v, len)) != 0;
  default: /* the two no_context_takeover flags */
    return !v;
  }
}

/* Moves the cursor past the list element it is in, to its ',' or the
 * end, stepping over quoted strings (a ',' in one is not a separator). */
static void skip_element(cursor_t *c) {
  bool quoted = false;
  for (; c->p < c->end; c->p++) {
    if (quoted && *c->p == '\\' && c->p + 1 < c->end)
      c->p++;
    else if (*c->p == '"')
      quoted = !quoted;
    else if (!quoted && *c->p == ',')
      return;
  }
}

/* Reads the list element at the cursor,
 *   extension = token *( OWS ";" OWS [ token [ BWS "=" BWS value ] ] )
 * and leaves the cursor at its end. True when it is a permessage-deflate
 * offer that can be accepted, with its parameters in *o. */
static bool read_offer(cursor_t *c, offer_t *o) {
  memset(o, 0, sizeof *o);
  tn_str_t ext = take_token(c);
  bool ok = tn__str_ieq(ext, "permessage-deflate");
  for (;;) {
    skip_ows(c);
    if (c->p == c->end || *c->p == ',')
      return ok;
    if (*c->p != ';')
      break;
    c->p++;
    skip_ows(c);
    if (c->p == c->end || *c->p == ',' || *c->p == ';')
      continue; /* an empty parameter, which RFC 9110 allows */
    tn_str_t name = take_token(c);
    if (!name.len)
      break;
    char v[8];
    size_t len = 0;
    bool has_value = false;
    skip_ows(c);
    if (c->p < c->end && *c->p == '=') {
      c->p++;
      skip_ows(c);
      if (!take_value(c, v, sizeof v, &len))
        break;
      has_value = true;
    }
    ok = ok && take_param(o, name, has_value ? v : NULL, len);
  }
  skip_element(c); /* a syntax error: this element is declined */
  return false;
}

/* The answer to an accepted offer, in `resp`; its length. */
static size_t write_response(const offer_t *o, char *resp) {
  int n = snprintf(
      resp, RESP_MAX,
      "permessage-deflate; "
      "server_no_context_takeover%s",
      (o->seen & P_CLIENT_NO_CONTEXT) ? "; client_no_context_takeover" : "");
  if (o->seen & P_SERVER_BITS)
    n += snprintf(resp + n, RESP_MAX - (size_t)n, "; server_max_window_bits=%d",
                  o->server_bits);
  return (size_t)n;
}

size_t tn__ws_deflate_negotiate(const tn_str_t *values, size_t n,
                                tn__ws_deflate_t *out, char *resp) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    cursor_t c = {values[i].ptr, values[i].ptr + values[i].len};
    for (;;) {
      while (c.p < c.end && (*c.p == ',' || *c.p == ' ' || *c.p == '\t'))
        c.p++; /* empty list elements are allowed */
      if (c.p == c.end)
        break;
      offer_t o;
      if (!read_offer(&c, &o))
        continue;
      out->on = true;
      out->client_no_context_takeover = o.seen & P_CLIENT_NO_CONTEXT;
      out->server_max_window_bits =
          (uint8_t)(o.server_bits ? o.server_bits : 15);
      out->client_max_window_bits =
          (uint8_t)(o.client_bits ? o.client_bits : 15);
      return write_response(&o, resp);
    }
  }
  return 0;
}

/* --- Inflating ------------------------------------------------------------ */

struct z_stream_s *tn__ws_inflate_new(void) {
  z_stream *z = calloc(1, sizeof *z);
  if (z && inflateInit2(z, -15) != Z_OK) {
    free(z);
    return NULL;
  }
  return z;
}

void tn__ws_inflate_reset(struct z_stream_s *z) { inflateReset(z); }

void tn__ws_inflate_free(struct z_stream_s *z) {
  if (z) {
    inflateEnd(z);
    free(z);
  }
}

/* Room for more output: grows `b` by doubling, but never past `limit`
 * bytes, so a bomb cannot make it allocate more. Returns the bytes free
 * below the limit (0 when it is reached) or 0 with *err set. */
static size_t make_room(tn__buf_t *b, uint64_t limit, int *err) {
  if (b->len >= limit)
    return 0;
  if (b->cap == b->len) {
    uint64_t cap = b->cap ? (uint64_t)b->cap * 2 : INFLATE_FIRST;
    if (cap > limit)
      cap = limit;
    if (cap > SIZE_MAX / 2) {
      *err = TN_ENOMEM;
      return 0;
    }
    char *data = realloc(b->data, (size_t)cap);
    if (!data) {
      *err = TN_ENOMEM;
      return 0;
    }
    b->data = data;
    b->cap = (size_t)cap;
  }
  uint64_t room = (uint64_t)b->cap - b->len;
  if (room > limit - b->len)
    room = limit - b->len;
  return room > ZCHUNK_MAX ? ZCHUNK_MAX : (size_t)room;
}

/* The peer ended its DEFLATE stream (a block with BFINAL set, RFC 7692
 * 7.2.3.4): what follows starts a new stream, which may still refer back
 * to the old one's window. */
static int restart(z_stream *z) {
  uint8_t *window = malloc(WINDOW_MAX);
  if (!window)
    return TN_ENOMEM;
  uInt n = WINDOW_MAX;
  int ret = inflateGetDictionary(z, window, &n);
  if (ret == Z_OK)
    ret = inflateReset(z);
  if (ret == Z_OK && n)
    ret = inflateSetDictionary(z, window, n);
  free(window);
  return ret == Z_OK ? 0 : TN_ENOMEM;
}

/* Inflates all of [in, in+n) into `out`. At the limit, inflate is given
 * one byte of scratch space: if it fills it, the message is too big. */
static int inflate_all(z_stream *z, const uint8_t *in, size_t n, tn__buf_t *out,
                       uint64_t limit) {
  while (n) {
    uInt chunk = n > ZCHUNK_MAX ? ZCHUNK_MAX : (uInt)n;
    z->next_in = (Bytef *)in;
    z->avail_in = chunk;
    in += chunk;
    n -= chunk;
    for (;;) {
      int err = 0;
      uint8_t probe;
      size_t room = make_room(out, limit, &err);
      if (err)
        return err;
      z->next_out = room ? (Bytef *)out->data + out->len : &probe;
      z->avail_out = room ? (uInt)room : 1;
      int ret = inflate(z, Z_SYNC_FLUSH);
      size_t made = (room ? room : 1) - z->avail_out;
      if (!room && made)
        return TN_ERANGE;
      out->len += made;
      if (ret == Z_STREAM_END && (err = restart(z)))
        return err;
      if (ret == Z_MEM_ERROR)
        return TN_ENOMEM;
      if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
        return TN_EINVAL; /* Z_DATA_ERROR: not DEFLATE data */
      if (ret == Z_BUF_ERROR && z->avail_in)
        return TN_EINVAL; /* stuck: never loop forever */
      if (!z->avail_in && (z->avail_out || ret == Z_BUF_ERROR))
        break; /* all consumed, all output out */
    }
  }
  return 0;
}

int tn__ws_inflate(struct z_stream_s *z, const void *in, size_t n, bool last,
                   tn__buf_t *out, uint64_t limit) {
  int err = inflate_all(z, in, n, out, limit);
  if (!err && last)
    err = inflate_all(z, sync_tail, sizeof sync_tail, out, limit);
  return err;
}

/* --- Deflating ------------------------------------------------------------ */

struct z_stream_s *tn__ws_deflate_new(int window_bits) {
  if (window_bits < 9 || window_bits > 15)
    return NULL; /* zlib's raw deflate has no 256-byte window */
  z_stream *z = calloc(1, sizeof *z);
  if (z && deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8,
                        Z_DEFAULT_STRATEGY) != Z_OK) {
    free(z);
    return NULL;
  }
  return z;
}

void tn__ws_deflate_free(struct z_stream_s *z) {
  if (z) {
    deflateEnd(z);
    free(z);
  }
}

/* Runs deflate on the input set in `z` until it has all been taken and,
 * with Z_SYNC_FLUSH, all output is out. */
static int deflate_chunk(z_stream *z, int flush, tn__buf_t *out) {
  do {
    size_t want = deflateBound(z, z->avail_in) + 16;
    if (tn__buf_reserve(out, want))
      return TN_ENOMEM;
    size_t room = out->cap - out->len;
    if (room > ZCHUNK_MAX)
      room = ZCHUNK_MAX;
    z->next_out = (Bytef *)out->data + out->len;
    z->avail_out = (uInt)room;
    int ret = deflate(z, flush);
    out->len += room - z->avail_out;
    if (ret != Z_OK && ret != Z_BUF_ERROR)
      return TN_ENOMEM;
  } while (z->avail_in || !z->avail_out);
  return 0;
}

int tn__ws_deflate(struct z_stream_s *z, const void *in, size_t n,
                   tn__buf_t *out) {
  static const uint8_t none[1];
  size_t start = out->len;
  const uint8_t *p = n ? in : none;
  int err = 0;
  do {
    uInt chunk = n > ZCHUNK_MAX ? ZCHUNK_MAX : (uInt)n;
    z->next_in = (Bytef *)p;
    z->avail_in = chunk;
    p += chunk;
    n -= chunk;
    err = deflate_chunk(z, n ? Z_NO_FLUSH : Z_SYNC_FLUSH, out);
  } while (!err && n);
  deflateReset(z);
  if (err) {
    out->len = start; /* nothing half-written stays */
    return err;
  }
  /* The flush ends in the empty stored block the receiver adds back. */
  if (out->len - start >= 4 &&
      !memcmp(out->data + out->len - 4, sync_tail, sizeof sync_tail))
    out->len -= 4;
  return 0;
}
