/* ws_frame.c -- WebSocket framing (RFC 6455 5.2-5.5): the incremental
 * parser of the frames a client sends, and the header of the frames the
 * server sends.
 *
 * The parser never buffers payload. A header is gathered in the parser
 * (it may arrive a byte at a time); payload is unmasked where it lies in
 * the caller's buffer and handed out piece by piece as it arrives. Every
 * check the framing alone allows is made as soon as the byte that decides
 * it is there, so a bad frame fails before its payload is awaited. */
#include "internal.h"

/* Where the parser is (tn__ws_parser_t.state). */
enum {
  ST_HEADER = 0, /* gathering a header in p->hdr */
  ST_PAYLOAD,    /* handing out p->left payload bytes */
  ST_END,        /* the payload is complete: TN__WS_END is due */
  ST_ERROR       /* a protocol error was reported */
};

/* RFC 6455 5.2, the first two bytes. */
#define B0_FIN 0x80
#define B0_RSV1 0x40
#define B0_RSV23 0x30
#define B0_OPCODE 0x0F
#define B1_MASK 0x80
#define B1_LEN 0x7F

void tn__ws_parser_init(tn__ws_parser_t *p) { memset(p, 0, sizeof *p); }

static int fail(tn__ws_parser_t *p, const char *why) {
  p->state = ST_ERROR;
  p->close_code = 1002;
  p->why = why;
  return TN__WS_ERROR;
}

static bool is_control(unsigned opcode) { return opcode & 0x8; }

/* The first byte alone: reserved bits and opcodes, fragmentation. NULL
 * when it may begin a frame. */
static const char *check_byte0(const tn__ws_parser_t *p, uint8_t b) {
  unsigned op = b & B0_OPCODE;
  if (b & B0_RSV23)
    return "reserved bit set";
  if (op > TN__WS_PONG || (op > TN__WS_BINARY && op < TN__WS_CLOSE))
    return "reserved opcode";
  if (is_control(op)) {
    if (b & B0_RSV1)
      return "reserved bit set on a control frame";
    if (!(b & B0_FIN))
      return "fragmented control frame";
    return NULL;
  }
  /* RSV1 marks a compressed message, so only its first frame has it. */
  if ((b & B0_RSV1) && (!p->allow_rsv1 || op == TN__WS_CONT))
    return "reserved bit set";
  if (op == TN__WS_CONT && !p->in_message)
    return "continuation without a message";
  if (op != TN__WS_CONT && p->in_message)
    return "new message inside a fragmented one";
  return NULL;
}

/* The second byte: the mask bit and a control frame's length. */
static const char *check_byte1(const tn__ws_parser_t *p, uint8_t b) {
  if (!(b & B1_MASK))
    return "unmasked frame";
  if (is_control(p->hdr[0] & B0_OPCODE) && (b & B1_LEN) > TN__WS_MAX_CONTROL)
    return "control frame too long";
  return NULL;
}

/* The bytes of the extended length (0, 2 or 8), known once the second
 * byte is in. */
static unsigned ext_size(const tn__ws_parser_t *p) {
  unsigned len7 = p->hdr[1] & B1_LEN;
  return len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
}

static uint64_t read_be(const uint8_t *b, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v = v << 8 | b[i];
  return v;
}

/* The extended length, once its last byte is in. */
static const char *check_length(const tn__ws_parser_t *p, unsigned ext) {
  uint64_t len = read_be(p->hdr + 2, ext);
  if (ext == 8 && (len >> 63))
    return "frame length has its top bit set";
  if ((ext == 2 && len < 126) || (ext == 8 && len <= 0xFFFF))
    return "frame length not minimally encoded";
  return NULL;
}

/* The header is complete (checked): decode it into p->frame. */
static int on_header(tn__ws_parser_t *p) {
  tn__ws_frame_t *f = &p->frame;
  unsigned ext = ext_size(p);
  f->fin = p->hdr[0] & B0_FIN;
  f->rsv1 = p->hdr[0] & B0_RSV1;
  f->opcode = p->hdr[0] & B0_OPCODE;
  f->len = ext ? read_be(p->hdr + 2, ext) : (p->hdr[1] & B1_LEN);
  memcpy(f->mask, p->hdr + 2 + ext, 4);
  if (!is_control(f->opcode))
    p->in_message = !f->fin;
  p->have = 0;
  p->mask_at = 0;
  p->left = f->len;
  p->state = f->len ? ST_PAYLOAD : ST_END;
  return TN__WS_HEAD;
}

/* Takes header bytes from [*in, end) until the header is complete (then
 * TN__WS_HEAD), the input is used up (TN__WS_NEED) or a byte is wrong.
 * Bytes are checked as the ones that decide arrive, so the outcome is the
 * same however the input is split. */
static int gather_header(tn__ws_parser_t *p, uint8_t **in, uint8_t *end) {
  while (*in < end) {
    uint8_t b = *(*in)++;
    p->hdr[p->have++] = b;
    const char *why = NULL;
    if (p->have == 1)
      why = check_byte0(p, b);
    else if (p->have == 2)
      why = check_byte1(p, b);
    else if (p->have == 2 + ext_size(p))
      why = check_length(p, ext_size(p));
    if (why)
      return fail(p, why);
    if (p->have >= 2 && p->have == 2 + ext_size(p) + 4)
      return on_header(p);
  }
  return TN__WS_NEED;
}

/* XORs `n` bytes with the mask, starting at mask byte `at`: eight bytes
 * at a time with the mask repeated in a word (any byte order: the word is
 * built in memory as the bytes are), then the tail. */
static void unmask(uint8_t *b, size_t n, const uint8_t mask[4], unsigned at) {
  uint8_t m[8];
  for (unsigned i = 0; i < 8; i++)
    m[i] = mask[(at + i) & 3];
  uint64_t m64, w;
  memcpy(&m64, m, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    memcpy(&w, b + i, 8);
    w ^= m64;
    memcpy(b + i, &w, 8);
  }
  for (; i < n; i++)
    b[i] ^= m[i & 3]; /* i is a multiple of 8 past the loop: phase kept */
}

int tn__ws_parse(tn__ws_parser_t *p, uint8_t **in, uint8_t *end,
                 tn_str_t *piece) {
  switch (p->state) {
  case ST_HEADER:
    return gather_header(p, in, end);
  case ST_PAYLOAD: {
    if (*in >= end)
      return TN__WS_NEED;
    size_t avail = (size_t)(end - *in);
    size_t n = p->left < avail ? (size_t)p->left : avail;
    unmask(*in, n, p->frame.mask, p->mask_at);
    *piece = (tn_str_t){(const char *)*in, n};
    *in += n;
    p->mask_at = (uint8_t)((p->mask_at + n) & 3);
    p->left -= n;
    if (!p->left)
      p->state = ST_END;
    return TN__WS_DATA;
  }
  case ST_END:
    p->state = ST_HEADER;
    return TN__WS_END;
  default:
    return TN__WS_ERROR;
  }
}

size_t tn__ws_frame_header(uint8_t out[10], bool fin, bool rsv1, int opcode,
                           uint64_t len) {
  out[0] = (uint8_t)((fin ? B0_FIN : 0) | (rsv1 ? B0_RSV1 : 0) |
                     (opcode & B0_OPCODE));
  if (len < 126) {
    out[1] = (uint8_t)len;
    return 2;
  }
  unsigned ext = len <= 0xFFFF ? 2 : 8;
  out[1] = ext == 2 ? 126 : 127;
  for (unsigned i = 0; i < ext; i++)
    out[2 + i] = (uint8_t)(len >> (8 * (ext - 1 - i)));
  return 2 + ext;
}
