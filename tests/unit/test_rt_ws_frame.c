/* test_rt_ws_frame.c -- the WebSocket frame parser (RFC 6455 5.2-5.5) fed
 * whole, byte by byte and split at every offset, each piece in a buffer
 * of its own that is wiped and freed once parsed; every framing error;
 * the 7-, 16- and 64-bit lengths at their edges; fragmentation with
 * control frames in between; and the server's frame header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

/* --- Building client frames ---------------------------------------------- */

typedef struct {
  uint8_t *data;
  size_t len, cap;
  uint8_t *plain; /* the payloads unmasked, one after another */
  size_t plain_len;
} wire_t;

static void wire_put(wire_t *w, const void *p, size_t n) {
  if (w->len + n > w->cap) {
    w->cap = (w->len + n) * 2;
    w->data = realloc(w->data, w->cap);
    assert_non_null(w->data);
  }
  memcpy(w->data + w->len, p, n);
  w->len += n;
}

static void wire_raw(wire_t *w, const char *bytes, size_t n) {
  wire_put(w, bytes, n);
}

static void wire_free(wire_t *w) {
  free(w->data);
  free(w->plain);
}

/* Appends a masked client frame: first byte `b0`, the length in the
 * fewest bytes, the mask, the payload masked. */
static void wire_frame(wire_t *w, uint8_t b0, const void *payload, size_t n,
                       uint32_t mask) {
  uint8_t head[14], m[4] = {(uint8_t)(mask >> 24), (uint8_t)(mask >> 16),
                            (uint8_t)(mask >> 8), (uint8_t)mask};
  size_t h = 0;
  head[h++] = b0;
  if (n < 126) {
    head[h++] = (uint8_t)(0x80 | n);
  } else if (n <= 0xFFFF) {
    head[h++] = 0x80 | 126;
    head[h++] = (uint8_t)(n >> 8);
    head[h++] = (uint8_t)n;
  } else {
    head[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--)
      head[h++] = (uint8_t)((uint64_t)n >> (8 * i));
  }
  memcpy(head + h, m, 4);
  wire_put(w, head, h + 4);
  size_t at = w->len;
  wire_put(w, payload, n);
  for (size_t i = 0; i < n; i++)
    w->data[at + i] ^= m[i & 3];
  w->plain = realloc(w->plain, w->plain_len + n + 1);
  assert_non_null(w->plain);
  if (n)
    memcpy(w->plain + w->plain_len, payload, n);
  w->plain_len += n;
}

static void wire_text(wire_t *w, uint8_t b0, const char *s, uint32_t mask) {
  wire_frame(w, b0, s, strlen(s), mask);
}

/* --- Feeding -------------------------------------------------------------- */

/* What a parse produced: the events as text ("H1F-:5" a header with its
 * opcode, FIN, RSV1 and length; "D" one or more pieces of payload; "E"
 * the frame's end; "X1002:why" an error), the payload, and how many bytes
 * had been consumed when an error came. */
typedef struct {
  char log[8192];
  size_t log_len;
  uint8_t *payload;
  size_t payload_len;
  size_t err_at;
  bool in_data;
} result_t;

static void log_event(result_t *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(r->log + r->log_len, sizeof r->log - r->log_len, fmt, ap);
  va_end(ap);
  assert_true(n > 0 && (size_t)n < sizeof r->log - r->log_len);
  r->log_len += (size_t)n;
}

static void result_reset(result_t *r, size_t cap) {
  free(r->payload);
  memset(r, 0, sizeof *r);
  r->payload = malloc(cap + 1);
  assert_non_null(r->payload);
}

/* Runs the parser over one piece until it asks for more or fails.
 * Returns false after an error. */
static bool feed_piece(tn__ws_parser_t *p, uint8_t *buf, size_t n, size_t base,
                       result_t *r) {
  uint8_t *in = buf, *end = buf + n;
  for (;;) {
    tn_str_t piece = {NULL, 0};
    uint8_t *before = in;
    int ev = tn__ws_parse(p, &in, end, &piece);
    assert_true(in >= before && in <= end);
    switch (ev) {
    case TN__WS_NEED:
      assert_ptr_equal(in, end); /* every byte was consumed */
      return true;
    case TN__WS_HEAD:
      log_event(r, "H%x%c%c:%llu ", p->frame.opcode, p->frame.fin ? 'F' : '-',
                p->frame.rsv1 ? 'R' : '-', (unsigned long long)p->frame.len);
      r->in_data = false;
      break;
    case TN__WS_DATA:
      /* a piece is never empty and is where the input was */
      assert_true(piece.len > 0);
      assert_ptr_equal(piece.ptr, before);
      assert_ptr_equal(in, before + piece.len);
      memcpy(r->payload + r->payload_len, piece.ptr, piece.len);
      r->payload_len += piece.len;
      if (!r->in_data)
        log_event(r, "D ");
      r->in_data = true;
      break;
    case TN__WS_END:
      log_event(r, "E ");
      r->in_data = false;
      break;
    case TN__WS_ERROR:
      assert_non_null(p->why);
      log_event(r, "X%u:%s ", p->close_code, p->why);
      r->err_at = base + (size_t)(in - buf);
      return false;
    default:
      fail_msg("unknown event %d", ev);
    }
  }
}

/* Feeds `w` cut at the offsets `cuts` (ascending, each in (0, len)), each
 * piece copied into a buffer of its own that is wiped and freed after
 * parsing: the parser may keep no pointer into its input. */
static void feed(const wire_t *w, const size_t *cuts, size_t ncuts,
                 bool allow_rsv1, result_t *r) {
  result_reset(r, w->len);
  tn__ws_parser_t p;
  tn__ws_parser_init(&p);
  p.allow_rsv1 = allow_rsv1;
  size_t from = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t to = i < ncuts ? cuts[i] : w->len;
    size_t n = to - from;
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    memcpy(buf, w->data + from, n);
    bool ok = feed_piece(&p, buf, n, from, r);
    memset(buf, 0xA5, n);
    free(buf);
    if (!ok)
      return;
    from = to;
  }
}

static void feed_whole(const wire_t *w, bool allow_rsv1, result_t *r) {
  feed(w, NULL, 0, allow_rsv1, r);
}

static void same_result(const result_t *a, const result_t *b, const char *how) {
  if (strcmp(a->log, b->log) != 0)
    fail_msg("%s: events \"%s\", whole \"%s\"", how, b->log, a->log);
  assert_int_equal(a->payload_len, b->payload_len);
  assert_memory_equal(a->payload, b->payload, a->payload_len);
  assert_int_equal(a->err_at, b->err_at);
}

/* Every way of feeding `w` gives the events `want` and (unless an error
 * ends it) the unmasked payloads; an error comes after `err_at` bytes. */
static void expect(const wire_t *w, bool allow_rsv1, const char *want,
                   size_t err_at) {
  static result_t whole, other;
  feed_whole(w, allow_rsv1, &whole);
  if (strcmp(whole.log, want) != 0)
    fail_msg("events \"%s\", want \"%s\"", whole.log, want);
  assert_int_equal(whole.err_at, err_at);
  if (!err_at) {
    assert_int_equal(whole.payload_len, w->plain_len);
    if (w->plain_len)
      assert_memory_equal(whole.payload, w->plain, w->plain_len);
  }

  /* byte by byte */
  size_t *cuts = malloc((w->len + 1) * sizeof *cuts);
  assert_non_null(cuts);
  for (size_t i = 1; i < w->len; i++)
    cuts[i - 1] = i;
  feed(w, cuts, w->len ? w->len - 1 : 0, allow_rsv1, &other);
  same_result(&whole, &other, "byte by byte");

  /* in two pieces, cut at every offset (long frames: the offsets in and
   * near the headers, and a sample of the rest) */
  char how[64];
  for (size_t k = 1; k < w->len; k++) {
    if (w->len > 4096 && k > 64 && k < w->len - 64 && k % 9973)
      continue;
    feed(w, &k, 1, allow_rsv1, &other);
    snprintf(how, sizeof how, "cut at %zu", k);
    same_result(&whole, &other, how);
  }
  /* in pieces of every size up to 16 */
  for (size_t step = 2; step <= 16 && w->len <= 4096; step++) {
    size_t n = 0;
    for (size_t k = step; k < w->len; k += step)
      cuts[n++] = k;
    feed(w, cuts, n, allow_rsv1, &other);
    snprintf(how, sizeof how, "pieces of %zu", step);
    same_result(&whole, &other, how);
  }
  free(cuts);
}

static uint8_t *pattern(size_t n, uint32_t seed) {
  uint8_t *b = malloc(n ? n : 1);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    b[i] = (uint8_t)(seed >> 16);
  }
  return b;
}

/* --- Valid frames ----------------------------------------------------------
 */

/* RFC 6455 5.7: "Hello" in a masked text frame, byte for byte. */
static void test_rfc_examples(void **state) {
  (void)state;
  wire_t w = {0};
  wire_raw(&w, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  w.plain = (uint8_t *)strdup("Hello");
  w.plain_len = 5;
  expect(&w, false, "H1F-:5 D E ", 0);
  wire_free(&w);

  /* a fragmented "Hello" and a masked ping, built the same way */
  wire_t f = {0};
  wire_text(&f, 0x01, "Hel", 0x37fa213d);
  wire_text(&f, 0x80, "lo", 0x37fa213d);
  wire_text(&f, 0x89, "Hello", 0x37fa213d);
  assert_memory_equal(f.data + 17,
                      "\x89\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  expect(&f, false, "H1--:3 D E H0F-:2 D E H9F-:5 D E ", 0);
  wire_free(&f);
}

/* Lengths at the edges of the 7-, 16- and 64-bit forms, for each opcode
 * that allows them, with different masks so the unmasking starts at every
 * phase of a piece. */
static void test_lengths(void **state) {
  (void)state;
  static const size_t lens[] = {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536};
  for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
    uint8_t *data = pattern(lens[i], (uint32_t)i);
    wire_t w = {0};
    wire_frame(&w, 0x82, data, lens[i], 0x01020304u * (uint32_t)(i + 1));
    wire_frame(&w, 0x81, data, 0, 0xdeadbeef);
    char want[128];
    snprintf(want, sizeof want, "H2F-:%zu %sE H1F-:0 E ", lens[i],
             lens[i] ? "D " : "");
    expect(&w, false, want, 0);
    wire_free(&w);
    free(data);
  }
  /* control frames of 0 and 125 bytes */
  for (int op = 0x8; op <= 0xA; op++) {
    uint8_t *data = pattern(125, (uint32_t)op);
    wire_t w = {0};
    wire_frame(&w, (uint8_t)(0x80 | op), data, 0, 0x11223344);
    wire_frame(&w, (uint8_t)(0x80 | op), data, 125, 0x55667788);
    char want[64];
    snprintf(want, sizeof want, "H%xF-:0 E H%xF-:125 D E ", op, op);
    expect(&w, false, want, 0);
    wire_free(&w);
    free(data);
  }
}

/* A megabyte frame between small ones. */
static void test_big_frame(void **state) {
  (void)state;
  size_t n = (1u << 20) + 7;
  uint8_t *data = pattern(n, 99);
  wire_t w = {0};
  wire_text(&w, 0x89, "before", 0x0badf00d);
  wire_frame(&w, 0x82, data, n, 0x9e3779b9);
  wire_text(&w, 0x8A, "after", 0x7f4a7c15);
  expect(&w, false, "H9F-:6 D E H2F-:1048583 D E HaF-:5 D E ", 0);
  wire_free(&w);
  free(data);
}

/* A 64-bit length too large to send is still parsed: its header, then
 * payload as it comes. */
static void test_huge_length(void **state) {
  (void)state;
  uint8_t buf[14 + 100] = {0x82, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x00,
                           0x00, 0x00, 0x05, 1,    2,    3,    4};
  for (size_t i = 0; i < 100; i++)
    buf[14 + i] = (uint8_t)(i ^ (1 + (i & 3)));
  tn__ws_parser_t p;
  tn__ws_parser_init(&p);
  uint8_t *in = buf, *end = buf + sizeof buf;
  tn_str_t piece;
  assert_int_equal(tn__ws_parse(&p, &in, end, &piece), TN__WS_HEAD);
  assert_true(p.frame.len == (1ull << 40) + 5);
  assert_int_equal(tn__ws_parse(&p, &in, end, &piece), TN__WS_DATA);
  assert_int_equal(piece.len, 100);
  for (size_t i = 0; i < 100; i++)
    assert_int_equal((uint8_t)piece.ptr[i], (uint8_t)i);
  assert_int_equal(tn__ws_parse(&p, &in, end, &piece), TN__WS_NEED);
}

/* Fragmented messages with pings, pongs and a close in between. */
static void test_fragmentation(void **state) {
  (void)state;
  wire_t w = {0};
  wire_text(&w, 0x01, "frag", 0x12345678);
  wire_text(&w, 0x89, "ping 1", 0x87654321);
  wire_text(&w, 0x00, "ment", 0x0);
  wire_text(&w, 0x8A, "", 0xffffffff);
  wire_text(&w, 0x00, "", 0xabcdef01);
  wire_text(&w, 0x89, "ping 2", 0x13579bdf);
  wire_text(&w, 0x80, "ed", 0x2468ace0);
  wire_text(&w, 0x02, "bin", 0x11111111);
  wire_text(&w, 0x80, "ary", 0x22222222);
  wire_text(&w, 0x81, "whole", 0x33333333);
  wire_frame(&w, 0x88,
             "\x03\xe8"
             "bye",
             5, 0x44444444);
  expect(&w, false,
         "H1--:4 D E H9F-:6 D E H0--:4 D E HaF-:0 E H0--:0 E H9F-:6 D E "
         "H0F-:2 D E H2--:3 D E H0F-:3 D E H1F-:5 D E H8F-:5 D E ",
         0);
  wire_free(&w);
}

/* With deflate agreed, RSV1 marks a message's first frame. */
static void test_rsv1_allowed(void **state) {
  (void)state;
  wire_t w = {0};
  wire_text(&w, 0xC1, "compressed", 0x01010101);
  wire_text(&w, 0x42, "first", 0x02020202);
  wire_text(&w, 0x89, "", 0x03030303);
  wire_text(&w, 0x80, "last", 0x04040404);
  wire_text(&w, 0x81, "plain", 0x05050505);
  expect(&w, true, "H1FR:10 D E H2-R:5 D E H9F-:0 E H0F-:4 D E H1F-:5 D E ", 0);
  wire_free(&w);
}

/* --- Errors -----------------------------------------------------------------
 */

/* One frame of raw bytes: an error after `err_at` bytes. */
static void expect_error(const char *bytes, size_t n, bool allow_rsv1,
                         const char *want, size_t err_at) {
  wire_t w = {0};
  wire_raw(&w, bytes, n);
  expect(&w, allow_rsv1, want, err_at);
  wire_free(&w);
}

#define RAW(s) s, sizeof s - 1
#define MASK "\x01\x02\x03\x04"

static void test_error_unmasked(void **state) {
  (void)state;
  expect_error(RAW("\x81\x05Hello"), false, "X1002:unmasked frame ", 2);
  expect_error(RAW("\x89\x00"), false, "X1002:unmasked frame ", 2);
  /* after a good frame, the events before the error stand */
  wire_t w = {0};
  wire_text(&w, 0x81, "ok", 0xcafebabe);
  wire_raw(&w, RAW("\x82\x7e\x01\x00"));
  expect(&w, false, "H1F-:2 D E X1002:unmasked frame ", 10);
  wire_free(&w);
}

static void test_error_reserved_bits(void **state) {
  (void)state;
  const char *bit = "X1002:reserved bit set ";
  const char *ctl = "X1002:reserved bit set on a control frame ";
  expect_error(RAW("\xa1\x80" MASK), false, bit, 1); /* RSV2 */
  expect_error(RAW("\x91\x80" MASK), false, bit, 1); /* RSV3 */
  expect_error(RAW("\xf1\x80" MASK), true, bit, 1);  /* all three */
  expect_error(RAW("\xc1\x80" MASK), false, bit, 1); /* RSV1 unagreed */
  expect_error(RAW("\xc2\x80" MASK), false, bit, 1);
  expect_error(RAW("\xc9\x80" MASK), true, ctl, 1); /* on a ping */
  expect_error(RAW("\xc8\x80" MASK), true, ctl, 1); /* on a close */
  expect_error(RAW("\xca\x80" MASK), true, ctl, 1); /* on a pong */
  /* on a continuation, even with deflate agreed */
  wire_t w = {0};
  wire_text(&w, 0x41, "a", 0x01020304);
  wire_raw(&w, RAW("\xc0\x81" MASK "b"));
  expect(&w, true, "H1-R:1 D E X1002:reserved bit set ", 8);
  wire_free(&w);
}

static void test_error_opcodes(void **state) {
  (void)state;
  for (int op = 0; op < 16; op++) {
    if (op <= 2 || (op >= 8 && op <= 10))
      continue;
    char b[6] = {(char)(0x80 | op), (char)0x80, 1, 2, 3, 4};
    expect_error(b, sizeof b, false, "X1002:reserved opcode ", 1);
    b[0] = (char)op; /* not final either: the opcode is judged first */
    expect_error(b, sizeof b, true, "X1002:reserved opcode ", 1);
  }
}

static void test_error_control_frames(void **state) {
  (void)state;
  const char *frag = "X1002:fragmented control frame ";
  expect_error(RAW("\x09\x80" MASK), false, frag, 1);
  expect_error(RAW("\x08\x80" MASK), false, frag, 1);
  expect_error(RAW("\x0a\x80" MASK), false, frag, 1);
  /* 126 and more: judged on the length byte, before its extension */
  const char *big = "X1002:control frame too long ";
  expect_error(RAW("\x89\xfe\x00\x7e"), false, big, 2);
  expect_error(RAW("\x88\xfe\x00\x7e"), false, big, 2);
  expect_error(RAW("\x8a\xff\x00\x00\x00\x00\x00\x00\x00\x7e"), false, big, 2);
}

static void test_error_lengths(void **state) {
  (void)state;
  const char *minimal = "X1002:frame length not minimally encoded ";
  expect_error(RAW("\x82\xfe\x00\x00" MASK), false, minimal, 4);
  expect_error(RAW("\x82\xfe\x00\x7d" MASK), false, minimal, 4);
  expect_error(RAW("\x82\xff\x00\x00\x00\x00\x00\x00\x00\x7d" MASK), false,
               minimal, 10);
  expect_error(RAW("\x82\xff\x00\x00\x00\x00\x00\x00\xff\xff" MASK), false,
               minimal, 10);
  expect_error(RAW("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00" MASK), false,
               "X1002:frame length has its top bit set ", 10);
  expect_error(RAW("\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff" MASK), false,
               "X1002:frame length has its top bit set ", 10);
  /* the smallest and largest of each form are fine */
  static const struct {
    const char *bytes;
    const char *want;
  } ok[] = {
      {"\x82\xfe\x00\x7e" MASK, "H2F-:126 "},
      {"\x82\xfe\xff\xff" MASK, "H2F-:65535 "},
      {"\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00" MASK, "H2F-:65536 "},
      {"\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff" MASK,
       "H2F-:9223372036854775807 "},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    size_t n = ok[i].bytes[1] == '\xfe' ? 8 : 14;
    expect_error(ok[i].bytes, n, false, ok[i].want, 0);
  }
}

static void test_error_fragmentation(void **state) {
  (void)state;
  const char *orphan = "X1002:continuation without a message ";
  expect_error(RAW("\x80\x80" MASK), false, orphan, 1);
  expect_error(RAW("\x00\x80" MASK), false, orphan, 1);

  const char *nested = "X1002:new message inside a fragmented one ";
  static const uint8_t second[] = {0x81, 0x01, 0x82, 0x02};
  for (size_t i = 0; i < sizeof second; i++) {
    wire_t w = {0};
    wire_text(&w, 0x01, "a", 0x0f0f0f0f);
    wire_text(&w, 0x89, "p", 0x0e0e0e0e); /* a control frame changes nothing */
    wire_frame(&w, second[i], "b", 1, 0x0d0d0d0d);
    char want[128];
    snprintf(want, sizeof want, "H1--:1 D E H9F-:1 D E %s", nested);
    expect(&w, false, want, 15);
    wire_free(&w);
  }

  /* a finished message ends fragmentation: a continuation is an error */
  wire_t w = {0};
  wire_text(&w, 0x02, "a", 0x01010101);
  wire_text(&w, 0x80, "b", 0x02020202);
  wire_raw(&w, RAW("\x80\x80" MASK));
  expect(&w, false,
         "H2--:1 D E H0F-:1 D E X1002:continuation without a message ", 15);
  wire_free(&w);
}

/* --- The server's frame header -----------------------------------------------
 */

static void test_frame_header(void **state) {
  (void)state;
  uint8_t h[10];
  assert_int_equal(tn__ws_frame_header(h, true, false, TN__WS_TEXT, 0), 2);
  assert_memory_equal(h, "\x81\x00", 2);
  assert_int_equal(tn__ws_frame_header(h, false, true, TN__WS_BINARY, 125), 2);
  assert_memory_equal(h, "\x42\x7d", 2);
  assert_int_equal(tn__ws_frame_header(h, true, false, TN__WS_PONG, 126), 4);
  assert_memory_equal(h, "\x8a\x7e\x00\x7e", 4);
  assert_int_equal(tn__ws_frame_header(h, true, true, TN__WS_TEXT, 65535), 4);
  assert_memory_equal(h, "\xc1\x7e\xff\xff", 4);
  assert_int_equal(tn__ws_frame_header(h, false, false, TN__WS_CONT, 65536),
                   10);
  assert_memory_equal(h, "\x00\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
  assert_int_equal(
      tn__ws_frame_header(h, true, false, TN__WS_CLOSE, 0x0123456789abcdefull),
      10);
  assert_memory_equal(h, "\x88\x7f\x01\x23\x45\x67\x89\xab\xcd\xef", 10);
}

/* Every header the writer makes, given a mask, is one the parser takes
 * back unchanged. */
static void test_frame_header_round_trip(void **state) {
  (void)state;
  static const uint64_t lens[] = {
      0,     1,     125,           126,        127,
      65535, 65536, 0xffffffffull, 1ull << 40, (1ull << 63) - 1};
  static const int ops[] = {TN__WS_CONT, TN__WS_TEXT, TN__WS_BINARY};
  for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
    for (size_t o = 0; o < 3; o++)
      for (int bits = 0; bits < 4; bits++) {
        bool fin = bits & 1, rsv1 = (bits & 2) && ops[o] != TN__WS_CONT;
        uint8_t buf[14];
        size_t n = tn__ws_frame_header(buf, fin, rsv1, ops[o], lens[i]);
        assert_int_equal(n, lens[i] < 126 ? 2 : lens[i] < 65536 ? 4 : 10);
        buf[1] |= 0x80;
        memcpy(buf + n, MASK, 4);
        tn__ws_parser_t p;
        tn__ws_parser_init(&p);
        p.allow_rsv1 = true;
        p.in_message = ops[o] == TN__WS_CONT; /* as a fragment would leave */
        uint8_t *in = buf;
        tn_str_t piece;
        assert_int_equal(tn__ws_parse(&p, &in, buf + n + 4, &piece),
                         TN__WS_HEAD);
        assert_true(p.frame.len == lens[i]);
        assert_int_equal(p.frame.fin, fin);
        assert_int_equal(p.frame.rsv1, rsv1);
        assert_int_equal(p.frame.opcode, ops[o]);
        assert_memory_equal(p.frame.mask, MASK, 4);
      }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_examples),
      cmocka_unit_test(test_lengths),
      cmocka_unit_test(test_big_frame),
      cmocka_unit_test(test_huge_length),
      cmocka_unit_test(test_fragmentation),
      cmocka_unit_test(test_rsv1_allowed),
      cmocka_unit_test(test_error_unmasked),
      cmocka_unit_test(test_error_reserved_bits),
      cmocka_unit_test(test_error_opcodes),
      cmocka_unit_test(test_error_control_frames),
      cmocka_unit_test(test_error_lengths),
      cmocka_unit_test(test_error_fragmentation),
      cmocka_unit_test(test_frame_header),
      cmocka_unit_test(test_frame_header_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
