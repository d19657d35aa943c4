/* test_rt_ws_deflate.c -- permessage-deflate (RFC 7692): the negotiation
 * of offers into a response; messages compressed by torn and inflated
 * back, whole and in pieces, at every window size; messages compressed
 * by Python's zlib and by the RFC's own examples; the size limit against
 * a compression bomb; corrupt data; context takeover across messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include <cmocka.h>

#include "internal.h"

/* --- Negotiation -------------------------------------------------------------
 */

typedef struct {
  const char *offers[3]; /* header values; NULL ends the list */
  const char *response;  /* NULL: declined */
  bool client_no_context_takeover;
  int server_bits, client_bits;
} nego_case_t;

#define PMD "permessage-deflate; server_no_context_takeover"
#define CNCT "; client_no_context_takeover"
#define SMWB "; server_max_window_bits="
/* One header value: accepted with this response and these parameters,
 * or declined. */
#define ACCEPT(offer, resp, cnct, sbits, cbits)                                \
  { {offer}, resp, cnct, sbits, cbits }
#define DECLINE(offer)                                                         \
  { {offer}, NULL, false, 0, 0 }

static const nego_case_t nego_cases[] = {
    /* plain offers, as browsers and Python's websockets make them */
    ACCEPT("permessage-deflate", PMD, false, 15, 15),
    ACCEPT("permessage-deflate; client_max_window_bits", PMD, false, 15, 15),
    ACCEPT("permessage-deflate; client_no_context_takeover", PMD CNCT, true, 15,
           15),
    ACCEPT("permessage-deflate; server_max_window_bits=10", PMD SMWB "10",
           false, 10, 15),
    ACCEPT("permessage-deflate; client_max_window_bits=9; "
           "server_max_window_bits=12; client_no_context_takeover; "
           "server_no_context_takeover",
           PMD CNCT SMWB "12", true, 12, 9),
    ACCEPT("permessage-deflate; server_max_window_bits=8", PMD SMWB "8", false,
           8, 15),
    ACCEPT("permessage-deflate; client_max_window_bits=15", PMD, false, 15, 15),
    /* names are case-insensitive; values may be quoted; white space */
    ACCEPT("PerMessage-Deflate; Client_No_Context_Takeover", PMD CNCT, true, 15,
           15),
    ACCEPT("permessage-deflate; server_max_window_bits=\"11\"", PMD SMWB "11",
           false, 11, 15),
    ACCEPT("permessage-deflate; client_max_window_bits=\"1\\3\"", PMD, false,
           15, 13),
    ACCEPT("  permessage-deflate\t;server_max_window_bits = 9 ;\t"
           "client_max_window_bits ,x",
           PMD SMWB "9", false, 9, 15),
    /* list syntax: empty elements and parameters, several header values */
    ACCEPT(", ,permessage-deflate,,", PMD, false, 15, 15),
    ACCEPT("permessage-deflate;; client_no_context_takeover;", PMD CNCT, true,
           15, 15),
    {{"x-webkit-deflate-frame",
      "foo; a=1, permessage-deflate; server_max_window_bits=13"},
     PMD SMWB "13",
     false,
     13,
     15},
    /* a ',' inside a quoted string does not end an element */
    ACCEPT("foo; bar=\"a, permessage-deflate\", permessage-deflate; "
           "server_max_window_bits=14",
           PMD SMWB "14", false, 14, 15),
    /* a declined offer gives way to the next one */
    ACCEPT("permessage-deflate; server_max_window_bits=16, "
           "permessage-deflate; client_no_context_takeover",
           PMD CNCT, true, 15, 15),
    ACCEPT("permessage-deflate; unknown, permessage-deflate", PMD, false, 15,
           15),
    {{"permessage-deflate; mystery=1", "permessage-deflate"},
     PMD,
     false,
     15,
     15},
    /* declined: unknown, repeated, values where none belong, bad sizes */
    DECLINE("permessage-deflate; foo"),
    DECLINE("permessage-deflate; client_no_context_takeover; "
            "client_no_context_takeover"),
    DECLINE("permessage-deflate; server_max_window_bits=10; "
            "Server_Max_Window_Bits=10"),
    DECLINE("permessage-deflate; client_max_window_bits; "
            "client_max_window_bits=9"),
    DECLINE("permessage-deflate; server_no_context_takeover=1"),
    DECLINE("permessage-deflate; client_no_context_takeover=\"\""),
    DECLINE("permessage-deflate; server_max_window_bits"),
    DECLINE("permessage-deflate; server_max_window_bits=7"),
    DECLINE("permessage-deflate; server_max_window_bits=16"),
    DECLINE("permessage-deflate; server_max_window_bits=08"),
    DECLINE("permessage-deflate; server_max_window_bits=010"),
    DECLINE("permessage-deflate; server_max_window_bits=1x"),
    DECLINE("permessage-deflate; client_max_window_bits=7"),
    DECLINE("permessage-deflate; client_max_window_bits=\"16\""),
    /* declined: malformed */
    DECLINE("permessage-deflate client_no_context_takeover"),
    DECLINE("permessage-deflate; =5"),
    DECLINE("permessage-deflate; server_max_window_bits="),
    DECLINE("permessage-deflate; server_max_window_bits=\"10"),
    DECLINE("permessage-deflate; x=\"unclosed, permessage-deflate"),
    ACCEPT("permessage-deflate; server_max_window_bits=\"1\x01\", "
           "permessage-deflate; server_max_window_bits=10",
           PMD SMWB "10", false, 10, 15),
    /* after a syntax error, a quoted ',' still does not end the element,
     * nor does an escaped quote end the quoted string */
    ACCEPT("permessage-deflate; a b=\"x, permessage-deflate; "
           "server_max_window_bits=9, y\", permessage-deflate; "
           "server_max_window_bits=10",
           PMD SMWB "10", false, 10, 15),
    ACCEPT("permessage-deflate; a b=\"x\\\", permessage-deflate; "
           "server_max_window_bits=9, y\", permessage-deflate; "
           "server_max_window_bits=10",
           PMD SMWB "10", false, 10, 15),
    ACCEPT("permessage-deflate; a=\"\\\"\\\\\", permessage-deflate; "
           "server_max_window_bits=11",
           PMD SMWB "11", false, 11, 15),
    /* other extensions, nothing at all */
    DECLINE("permessage-deflatex"),
    DECLINE("x-webkit-deflate-frame; no_context_takeover"),
    DECLINE(""),
    DECLINE(" , , "),
};

static void test_negotiate(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof nego_cases / sizeof *nego_cases; i++) {
    const nego_case_t *c = &nego_cases[i];
    tn_str_t values[3];
    size_t n = 0;
    while (n < 3 && c->offers[n]) {
      values[n] = (tn_str_t){c->offers[n], strlen(c->offers[n])};
      n++;
    }
    tn__ws_deflate_t d;
    memset(&d, 0x5a, sizeof d); /* whatever was there is replaced */
    char resp[128];
    size_t len = tn__ws_deflate_negotiate(values, n, &d, resp);
    if (!c->response) {
      if (len || d.on)
        fail_msg("case %zu \"%s\": accepted as \"%.*s\"", i, c->offers[0],
                 (int)len, resp);
      continue;
    }
    if (len != strlen(c->response) || memcmp(resp, c->response, len))
      fail_msg("case %zu \"%s\": response \"%.*s\", want \"%s\"", i,
               c->offers[0], (int)len, resp, c->response);
    assert_true(d.on);
    assert_int_equal(d.client_no_context_takeover,
                     c->client_no_context_takeover);
    assert_int_equal(d.server_max_window_bits, c->server_bits);
    assert_int_equal(d.client_max_window_bits, c->client_bits);
  }
}

/* No header values at all: nothing agreed. */
static void test_negotiate_none(void **state) {
  (void)state;
  tn__ws_deflate_t d = {.on = true};
  char resp[128];
  assert_int_equal(tn__ws_deflate_negotiate(NULL, 0, &d, resp), 0);
  assert_false(d.on);
}

/* --- Helpers
 * ------------------------------------------------------------------ */

/* Inflates `n` compressed bytes with a new stream, given in pieces of
 * `step` bytes (0: whole), then the final call with no bytes and `last`
 * as a connection makes it when the message's last frame ends. */
static int inflate_msg(struct z_stream_s *z, const void *in, size_t n,
                       size_t step, tn__buf_t *out, uint64_t limit) {
  const uint8_t *p = in;
  size_t done = 0;
  while (done < n) {
    size_t k = step && n - done > step ? step : n - done;
    int err = tn__ws_inflate(z, p + done, k, false, out, limit);
    if (err)
      return err;
    done += k;
  }
  return tn__ws_inflate(z, NULL, 0, true, out, limit);
}

/* Inflates a whole message (in one call with `last`) with a fresh stream
 * and checks it gives `want`. */
static void expect_inflate(const void *in, size_t n, const void *want,
                           size_t want_len) {
  static const size_t steps[] = {0, 1, 2, 3, 7, 64};
  for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
    struct z_stream_s *z = tn__ws_inflate_new();
    assert_non_null(z);
    tn__buf_t out = {0};
    int err;
    if (steps[s] == 0) /* whole, with `last` on the same call */
      err = tn__ws_inflate(z, in, n, true, &out, 1u << 30);
    else
      err = inflate_msg(z, in, n, steps[s], &out, 1u << 30);
    assert_int_equal(err, 0);
    assert_int_equal(out.len, want_len);
    if (want_len)
      assert_memory_equal(out.data, want, want_len);
    tn__buf_free(&out);
    tn__ws_inflate_free(z);
  }
}

static uint8_t *random_bytes(size_t n, uint64_t seed) {
  uint8_t *b = malloc(n ? n : 1);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    b[i] = (uint8_t)(seed >> 24);
  }
  return b;
}

/* Text of words from a small vocabulary: compressible, with repeats at
 * every distance. */
static uint8_t *text_bytes(size_t n, uint64_t seed) {
  static const char *const words[] = {"torn ",
                                      "websocket ",
                                      "frame ",
                                      "deflate ",
                                      "\xce\xba\xcf\x8c\xcf\x83"
                                      "\xce\xbc\xce\xb5 ",
                                      "message\n",
                                      "the ",
                                      "of "};
  uint8_t *b = malloc(n + 16);
  assert_non_null(b);
  size_t len = 0;
  while (len < n) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    const char *w = words[(seed >> 32) % 8];
    size_t k = strlen(w);
    memcpy(b + len, w, k);
    len += k;
  }
  return b;
}

/* --- Vectors made elsewhere
 * ---------------------------------------------------- */

/* RFC 7692 7.2.3: its examples, all of which carry "Hello". */
static void test_rfc_examples(void **state) {
  (void)state;
  /* 7.2.3.1: one compressed block */
  expect_inflate("\xf2\x48\xcd\xc9\xc9\x07\x00", 7, "Hello", 5);
  /* 7.2.3.3: an uncompressed (stored) block */
  expect_inflate("\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00", 11, "Hello",
                 5);
  /* 7.2.3.4: a block with BFINAL set, then the byte the RFC adds */
  expect_inflate("\xf3\x48\xcd\xc9\xc9\x07\x00\x00", 8, "Hello", 5);
  /* 7.2.3.5: two blocks in one message */
  expect_inflate("\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00", 13,
                 "Hello", 5);
  /* 7.2.3.6: an empty message */
  expect_inflate("\x00", 1, "", 0);
}

/* Messages compressed by Python's zlib, made once with /usr/bin/python3:
 *
 *   import zlib
 *   c = zlib.compressobj(LEVEL, zlib.DEFLATED, -WBITS, 8, STRATEGY)
 *   for m in messages:
 *       b = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
 *       assert b.endswith(b"\0\0\xff\xff"); print(b[:-4].hex())
 *
 * PY_TEXT: level 6, wbits 15, ("Grüße, κόσμε! The quick brown fox jumps
 * over the lazy dog. " * 3).encode(); PY_WIN9: level 9, wbits 9, the
 * lines "line %d: torn answers\n" for 0..29; PY_FIXED: level 6, wbits 15,
 * strategy Z_FIXED, b"abracadabra abracadabra abracadabra". */
static const char PY_TEXT[] =
    "\x72\x2f\x3a\xbc\xe7\xf0\xfc\x54\x1d\x85\x73\xbb\xce\xf7\x9c\x6f\x3e\xb7"
    "\xe7\xdc\x56\x45\x85\x90\x8c\x54\x85\xc2\xd2\xcc\xe4\x6c\x85\xa4\xa2\xfc"
    "\xf2\x3c\x85\xb4\xfc\x0a\x85\xac\xd2\xdc\x82\x62\x85\xfc\xb2\xd4\x22\x85"
    "\x12\xa0\x74\x4e\x62\x55\xa5\x42\x4a\x7e\xba\x9e\x82\xfb\x20\x30\x01\x00";
static const char PY_WIN9[] =
    "\x6c\xcf\x3b\x0a\x80\x30\x14\x05\xd1\xde\x55\xbc\x25\x78\xaf\x7f\x77\x63"
    "\x91\x42\x08\x11\x12\xc1\xed\x8b\xad\x4c\x3b\xd5\x9c\x7c\x96\x14\xfd\x1e"
    "\xf7\x55\x4b\x1c\xa5\x3d\xa9\xb6\x2e\x7f\x51\x14\x4d\x71\xa0\x38\x52\x9c"
    "\x28\xce\x14\x17\x8a\x2b\xc5\x0d\xe7\x99\x84\x26\x21\x4a\xa8\x12\xb2\x84"
    "\x2e\x21\x4c\x28\x13\xd2\x84\x36\xa3\xcd\x68\x33\xda\x8c\x36\xa3\xcd\x68"
    "\x33\xda\x8c\x36\xa3\xcd\x7f\xdb\x0b";
static const char PY_FIXED[] =
    "\x4a\x4c\x2a\x4a\x4c\x4e\x4c\x49\x04\x52\x0a\x89\xd8\xd9\x00\x00";
/* Two messages of one stream (context takeover): the second refers back
 * to the first ("torn speaks WebSocket with permessage-deflate", then the
 * same followed by ", twice"). */
static const char PY_M1[] =
    "\x2a\xc9\x2f\xca\x53\x28\x2e\x48\x4d\xcc\x2e\x56\x08\x4f\x4d\x0a\xce\x4f"
    "\xce\x4e\x2d\x51\x28\xcf\x2c\xc9\x50\x28\x48\x2d\xca\x4d\x2d\x2e\x4e\x4c"
    "\x4f\xd5\x4d\x49\x4d\xcb\x49\x2c\x49\x05\x00";
static const char PY_M2[] = "\x2a\x21\x45\xb1\x8e\x42\x49\x79\x66\x72\x2a\x00";
static const char M1[] = "torn speaks WebSocket with permessage-deflate";
static const char M2[] = "torn speaks WebSocket with permessage-deflate, twice";

static void test_python_vectors(void **state) {
  (void)state;
  char text[1024];
  size_t n = 0;
  for (int i = 0; i < 3; i++)
    n += (size_t)sprintf(text + n, "Gr\xc3\xbc\xc3\x9f"
                                   "e, \xce\xba\xcf\x8c"
                                   "\xcf\x83\xce\xbc\xce\xb5! The quick brown "
                                   "fox jumps over the lazy dog. ");
  expect_inflate(PY_TEXT, sizeof PY_TEXT - 1, text, n);

  n = 0;
  for (int i = 0; i < 30; i++)
    n += (size_t)sprintf(text + n, "line %d: torn answers\n", i);
  expect_inflate(PY_WIN9, sizeof PY_WIN9 - 1, text, n);

  static const char abra[] = "abracadabra abracadabra abracadabra";
  expect_inflate(PY_FIXED, sizeof PY_FIXED - 1, abra, sizeof abra - 1);
}

/* Without a reset, the second message decodes from the first's window;
 * reset in between, the reference back is corrupt data. */
static void test_context_takeover(void **state) {
  (void)state;
  struct z_stream_s *z = tn__ws_inflate_new();
  assert_non_null(z);
  tn__buf_t out = {0};
  assert_int_equal(inflate_msg(z, PY_M1, sizeof PY_M1 - 1, 5, &out, 1000), 0);
  assert_int_equal(out.len, sizeof M1 - 1);
  assert_memory_equal(out.data, M1, out.len);
  out.len = 0;
  assert_int_equal(inflate_msg(z, PY_M2, sizeof PY_M2 - 1, 0, &out, 1000), 0);
  assert_int_equal(out.len, sizeof M2 - 1);
  assert_memory_equal(out.data, M2, out.len);

  tn__ws_inflate_reset(z);
  out.len = 0;
  assert_int_equal(inflate_msg(z, PY_M1, sizeof PY_M1 - 1, 0, &out, 1000), 0);
  tn__ws_inflate_reset(z);
  out.len = 0;
  assert_int_equal(inflate_msg(z, PY_M2, sizeof PY_M2 - 1, 0, &out, 1000),
                   TN_EINVAL);
  tn__buf_free(&out);
  tn__ws_inflate_free(z);
}

/* A message that ends its DEFLATE stream (BFINAL, RFC 7692 7.2.3.4) does
 * not end the connection's: the next message still decodes, and may
 * refer back to it (RFC 7692 7.2.3.2's second "Hello"). */
static void test_after_final_block(void **state) {
  (void)state;
  struct z_stream_s *z = tn__ws_inflate_new();
  assert_non_null(z);
  tn__buf_t out = {0};
  assert_int_equal(
      inflate_msg(z, "\xf3\x48\xcd\xc9\xc9\x07\x00\x00", 8, 0, &out, 100), 0);
  assert_int_equal(out.len, 5);
  out.len = 0;
  assert_int_equal(inflate_msg(z, "\xf2\x00\x11\x00\x00", 5, 1, &out, 100), 0);
  assert_int_equal(out.len, 5);
  assert_memory_equal(out.data, "Hello", 5);
  tn__buf_free(&out);
  tn__ws_inflate_free(z);
}

/* --- torn's own deflate
 * ---------------------------------------------------------- */

/* Every window size, random and text data of several sizes: compressed
 * without the 00 00 ff ff tail, inflated back whole and in pieces. */
static void test_round_trip(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 63, 64, 1000, 65536, 300001};
  for (int bits = 9; bits <= 15; bits++) {
    struct z_stream_s *d = tn__ws_deflate_new(bits);
    assert_non_null(d);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
      for (int kind = 0; kind < 2; kind++) {
        size_t n = sizes[s];
        uint8_t *data = kind ? text_bytes(n, n + 1) : random_bytes(n, n + 7);
        tn__buf_t c = {0};
        assert_int_equal(tn__ws_deflate(d, data, n, &c), 0);
        assert_true(c.len >= 1);
        assert_false(c.len >= 4 &&
                     !memcmp(c.data + c.len - 4, "\x00\x00\xff\xff", 4));
        if (kind && n >= 1000) /* text shrinks */
          assert_true(c.len < n / 2);
        if (n <= 1000 || bits == 15 || bits == 9)
          expect_inflate(c.data, c.len, data, n);
        tn__buf_free(&c);
        free(data);
      }
    tn__ws_deflate_free(d);
  }
}

/* An empty message is the single byte 00 (RFC 7692 7.2.3.6). */
static void test_deflate_empty(void **state) {
  (void)state;
  struct z_stream_s *d = tn__ws_deflate_new(15);
  assert_non_null(d);
  tn__buf_t c = {0};
  assert_int_equal(tn__ws_deflate(d, NULL, 0, &c), 0);
  assert_int_equal(c.len, 1);
  assert_int_equal((uint8_t)c.data[0], 0);
  tn__buf_free(&c);
  tn__ws_deflate_free(d);
}

/* Each message is compressed on its own (the stream is reset after it):
 * the same message compresses to the same bytes again, and each inflates
 * with a fresh stream. Output is appended to what the buffer holds. */
static void test_no_context_takeover(void **state) {
  (void)state;
  struct z_stream_s *d = tn__ws_deflate_new(15);
  assert_non_null(d);
  uint8_t *data = text_bytes(5000, 3);
  tn__buf_t a = {0}, b = {0};
  assert_int_equal(tn__ws_deflate(d, data, 5000, &a), 0);
  assert_int_equal(tn__buf_append(&b, "prefix", 6), 0);
  assert_int_equal(tn__ws_deflate(d, data, 5000, &b), 0);
  assert_int_equal(b.len, 6 + a.len);
  assert_memory_equal(b.data, "prefix", 6);
  assert_memory_equal(b.data + 6, a.data, a.len);
  expect_inflate(b.data + 6, a.len, data, 5000);
  tn__buf_free(&a);
  tn__buf_free(&b);
  free(data);
  tn__ws_deflate_free(d);
}

/* Whether zlib inflates `c` with a window of 2^bits bytes. Output goes
 * out 64 bytes per call: inflate may copy a match from the output of the
 * same call, whatever its window, so only a small output makes every
 * reference back come from the window. */
static bool inflates_with_window(const tn__buf_t *c, int bits, size_t n) {
  z_stream z = {0};
  assert_int_equal(inflateInit2(&z, -bits), Z_OK);
  uint8_t *out = malloc(n + 64);
  assert_non_null(out);
  z.next_in = (Bytef *)c->data;
  z.avail_in = (uInt)c->len;
  int ret = Z_OK;
  while (ret == Z_OK && z.total_out <= n) {
    z.next_out = out + z.total_out;
    z.avail_out = 64;
    ret = inflate(&z, Z_SYNC_FLUSH);
  }
  bool ok = ret == Z_BUF_ERROR && z.total_out == n;
  inflateEnd(&z);
  free(out);
  return ok;
}

/* server_max_window_bits is kept: the output of a 2^bits window never
 * refers back further, so a decoder with only that window reads it. */
static void test_window_bits(void **state) {
  (void)state;
  /* a 4 KiB block of random bytes, three times: its repeats are 4 KiB
   * back, beyond the small windows */
  size_t n = 3 * 4096;
  uint8_t *data = malloc(n);
  uint8_t *block = random_bytes(4096, 11);
  assert_non_null(data);
  for (int i = 0; i < 3; i++)
    memcpy(data + i * 4096, block, 4096);
  for (int bits = 9; bits <= 15; bits++) {
    struct z_stream_s *d = tn__ws_deflate_new(bits);
    assert_non_null(d);
    tn__buf_t c = {0};
    assert_int_equal(tn__ws_deflate(d, data, n, &c), 0);
    assert_true(inflates_with_window(&c, bits, n));
    if (bits >= 13) /* the repeats found: a third of the size */
      assert_true(c.len < n / 2 && !inflates_with_window(&c, 9, n));
    tn__buf_free(&c);
    tn__ws_deflate_free(d);
  }
  /* zlib's raw deflate has no 256-byte window */
  assert_null(tn__ws_deflate_new(8));
  assert_null(tn__ws_deflate_new(16));
  free(block);
  free(data);
}

/* --- Limits and corrupt data
 * ------------------------------------------------------ */

/* A megabyte of zeros in about a kilobyte is refused at a 64 KiB limit,
 * whole or in small pieces, and its buffer never grows past the limit. */
static void test_bomb(void **state) {
  (void)state;
  size_t n = 1u << 20, limit = 64u << 10;
  uint8_t *zeros = calloc(1, n);
  assert_non_null(zeros);
  struct z_stream_s *d = tn__ws_deflate_new(15);
  assert_non_null(d);
  tn__buf_t bomb = {0};
  assert_int_equal(tn__ws_deflate(d, zeros, n, &bomb), 0);
  assert_true(bomb.len < 2048);
  static const size_t steps[] = {0, 1, 100};
  for (size_t s = 0; s < 3; s++) {
    struct z_stream_s *z = tn__ws_inflate_new();
    assert_non_null(z);
    tn__buf_t out = {0};
    assert_int_equal(inflate_msg(z, bomb.data, bomb.len, steps[s], &out, limit),
                     TN_ERANGE);
    assert_true(out.len <= limit);
    assert_true(out.cap <= limit);
    tn__buf_free(&out);
    tn__ws_inflate_free(z);
  }
  tn__buf_free(&bomb);
  tn__ws_deflate_free(d);
  free(zeros);
}

/* A message of exactly the limit passes; one byte more does not. */
static void test_limit_edge(void **state) {
  (void)state;
  size_t limit = 10000;
  uint8_t *data = text_bytes(limit + 1, 5);
  struct z_stream_s *d = tn__ws_deflate_new(15);
  assert_non_null(d);
  for (size_t extra = 0; extra <= 1; extra++) {
    tn__buf_t c = {0};
    assert_int_equal(tn__ws_deflate(d, data, limit + extra, &c), 0);
    for (size_t step = 0; step <= 3; step += 3) {
      struct z_stream_s *z = tn__ws_inflate_new();
      assert_non_null(z);
      tn__buf_t out = {0};
      int err = inflate_msg(z, c.data, c.len, step, &out, limit);
      assert_int_equal(err, extra ? TN_ERANGE : 0);
      assert_true(out.len <= limit && out.cap <= limit);
      if (!extra)
        assert_memory_equal(out.data, data, limit);
      tn__buf_free(&out);
      tn__ws_inflate_free(z);
    }
    tn__buf_free(&c);
  }
  /* the limit counts what the buffer held before */
  tn__buf_t c = {0}, out = {0};
  assert_int_equal(tn__ws_deflate(d, "12345", 5, &c), 0);
  assert_int_equal(tn__buf_append(&out, "abc", 3), 0);
  struct z_stream_s *z = tn__ws_inflate_new();
  assert_non_null(z);
  assert_int_equal(tn__ws_inflate(z, c.data, c.len, true, &out, 7), TN_ERANGE);
  tn__ws_inflate_reset(z);
  out.len = 3;
  assert_int_equal(tn__ws_inflate(z, c.data, c.len, true, &out, 8), 0);
  assert_int_equal(out.len, 8);
  assert_memory_equal(out.data, "abc12345", 8);
  tn__ws_inflate_free(z);
  tn__buf_free(&out);
  tn__buf_free(&c);
  tn__ws_deflate_free(d);
  free(data);
}

static void test_corrupt(void **state) {
  (void)state;
  static const struct {
    const char *bytes;
    size_t len;
  } bad[] = {
      {"\xff", 1},                       /* block type 3 is reserved */
      {"\x07", 1},                       /* BFINAL, type 3 */
      {"\x00\x05\x00\x00\x00Hello", 10}, /* stored: NLEN is not ~LEN */
      {"\xf2\x00\x11\x00\x00", 5},       /* a reference with no history */
      /* a final stored block cut short: the tail reads as its data, and
       * the byte after it is no block */
      {"\x01\x05\x00\xfa\xff"
       "He",
       7},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct z_stream_s *z = tn__ws_inflate_new();
    assert_non_null(z);
    tn__buf_t out = {0};
    int err = inflate_msg(z, bad[i].bytes, bad[i].len, 0, &out, 1000);
    if (err != TN_EINVAL)
      fail_msg("bad %zu: %d", i, err);
    /* good data after bad does not help: the stream stays failed */
    out.len = 0;
    assert_int_equal(tn__ws_inflate(z, "\x00", 1, true, &out, 1000), TN_EINVAL);
    tn__buf_free(&out);
    tn__ws_inflate_free(z);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_negotiate),
      cmocka_unit_test(test_negotiate_none),
      cmocka_unit_test(test_rfc_examples),
      cmocka_unit_test(test_python_vectors),
      cmocka_unit_test(test_context_takeover),
      cmocka_unit_test(test_after_final_block),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_deflate_empty),
      cmocka_unit_test(test_no_context_takeover),
      cmocka_unit_test(test_window_bits),
      cmocka_unit_test(test_bomb),
      cmocka_unit_test(test_limit_edge),
      cmocka_unit_test(test_corrupt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
