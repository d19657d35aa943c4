/* multipart.c -- multipart/form-data request bodies, read as Tornado 6.2's
 * parse_body_arguments and parse_multipart_form_data read them, so that an
 * app ported from it sees the same fields and files.
 *
 * The boundary B is the first "boundary=" field of the Content-Type (split
 * on ';' only), without the double quotes around it if any. The last
 * "--B--" of the body ends the parts (what follows is an epilogue, never
 * looked at); what precedes it is split on "--B\r\n", and every non-empty
 * piece -- a preamble too -- must be a part: header lines in UTF-8 (ended
 * by CRLF or a bare LF), CRLF CRLF, the content, and a CRLF. Its
 * Content-Disposition must be `form-data` with a non-empty `name`; a
 * non-empty `filename` makes it a file, anything else a field. Any fault
 * rejects the whole body.
 *
 * Only the bytes around the delimiters are read: a file's content is
 * found by memmem() and pointed to in the body, never copied or scanned
 * byte by byte, so a large upload costs one pass of a fast search. */
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

#define PREFIX "Invalid multipart/form-data: "
#define NO_BOUNDARY PREFIX "no boundary in the Content-Type"
#define NO_FINAL PREFIX "no final boundary"
#define NO_HEADERS PREFIX "a part has no header section"
#define BAD_HEADERS PREFIX "malformed part headers"
#define NOT_FORM_DATA PREFIX "a part is not form-data"
#define BAD_PARAMS PREFIX "malformed Content-Disposition parameters"
#define NO_CRLF PREFIX "a part does not end with CRLF"
#define NO_NAME PREFIX "a part has no name"
#define TOO_BIG PREFIX "a field of 4 GiB or more"

/* A parse in progress: the lists it appends to and their room. */
typedef struct {
  tn_req_t *req;
  tn__args_t *args;
  size_t args_room;
  tn__files_t *files;
  size_t files_room;
  const char *why; /* with TN_EINVAL */
} parse_t;

static int bad(parse_t *m, const char *why) {
  m->why = why;
  return TN_EINVAL;
}

/* Bytes that can be changed in place. */
typedef struct {
  char *ptr;
  size_t len;
} span_t;

/* --- Text ---------------------------------------------------------------- */

static char *dup_str(tn_req_t *req, const char *s, size_t n) {
  char *d = tn_req_alloc(req, n + 1);
  if (d) {
    if (n)
      memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* [s, e) without Python's whitespace at either end (str.strip). */
static span_t strip(char *s, char *e) {
  unsigned char *p = (unsigned char *)s, *q = (unsigned char *)e;
  size_t k;
  while ((k = tn__space_at(p, q)) > 0)
    p += k;
  while ((k = tn__space_before(p, q)) > 0)
    q -= k;
  return (span_t){(char *)p, (size_t)(q - p)};
}

static bool span_is(span_t s, const char *text) {
  return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

/* The UTF-8 sequence at p (n > 0 bytes) as Python's decoder reads it: its
 * length, with the code point in *cp; or minus the length of the maximal
 * invalid subpart, which errors="replace" turns into one U+FFFD. */
static int utf8_next(const unsigned char *p, size_t n, uint32_t *cp) {
  unsigned char c = p[0], lo = 0x80, hi = 0xbf;
  int len;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, v = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, v = c & 0x0f;
    lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong form */
    hi = c == 0xed ? 0x9f : 0xbf; /* no surrogate */
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, v = c & 0x07;
    lo = c == 0xf0 ? 0x90 : 0x80;
    hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing past U+10FFFF */
  } else {
    return -1;
  }
  for (int i = 1; i < len; i++, lo = 0x80, hi = 0xbf) {
    if ((size_t)i >= n || p[i] < lo || p[i] > hi)
      return -i;
    v = v << 6 | (p[i] & 0x3f);
  }
  *cp = v;
  return len;
}

static bool utf8_valid(const char *s, size_t n) {
  uint32_t cp;
  for (size_t i = 0; i < n;) {
    int k = utf8_next((const unsigned char *)s + i, n - i, &cp);
    if (k < 0)
      return false;
    i += (size_t)k;
  }
  return true;
}

/* Appends code point `cp` in UTF-8, into room the caller reserved. */
static void utf8_put(tn__buf_t *b, uint32_t cp) {
  unsigned char *o = (unsigned char *)b->data + b->len;
  if (cp < 0x80) {
    o[0] = (unsigned char)cp;
    b->len += 1;
  } else if (cp < 0x800) {
    o[0] = (unsigned char)(0xc0 | cp >> 6);
    o[1] = (unsigned char)(0x80 | (cp & 0x3f));
    b->len += 2;
  } else if (cp < 0x10000) {
    o[0] = (unsigned char)(0xe0 | cp >> 12);
    o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    o[2] = (unsigned char)(0x80 | (cp & 0x3f));
    b->len += 3;
  } else {
    o[0] = (unsigned char)(0xf0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    b->len += 4;
  }
}

/* Python's s.replace(a + b, out), in place; returns the new length. */
static size_t replace_pair(char *s, size_t n, char a, char b, char out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == a && i + 1 < n && s[i + 1] == b) {
      s[o++] = out;
      i++;
    } else {
      s[o++] = s[i];
    }
  }
  return o;
}

/* email.utils.unquote, in place: "..." loses its quotes, then \\ and \"
 * inside become \ and " (one replace after the other); <...> loses its
 * brackets. */
static span_t email_unquote(span_t v) {
  if (v.len > 1 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"') {
    size_t n = replace_pair(v.ptr + 1, v.len - 2, '\\', '\\', '\\');
    n = replace_pair(v.ptr + 1, n, '\\', '"', '"');
    return (span_t){v.ptr + 1, n};
  }
  if (v.len > 1 && v.ptr[0] == '<' && v.ptr[v.len - 1] == '>')
    return (span_t){v.ptr + 1, v.len - 2};
  return v;
}

/* _parse_header's last step: a value still in double quotes loses them. */
static span_t strip_quotes(span_t v) {
  if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
    return (span_t){v.ptr + 1, v.len - 2};
  return v;
}

/* --- Part headers -------------------------------------------------------- */

/* Whether header name [s, s+n) is `want`, ignoring ASCII case as
 * Tornado's normalised names do. */
static char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static bool header_is(const char *s, size_t n, const char *want) {
  if (n != strlen(want))
    return false;
  for (size_t i = 0; i < n; i++)
    if (ascii_lower(s[i]) != ascii_lower(want[i]))
      return false;
  return true;
}

/* The value of header `name` in a part's header section [h, h+n), valid
 * UTF-8, as Tornado's HTTPHeaders gives it: lines end at LF (a CR before
 * it dropped) and empty ones are skipped; a line starting with whitespace
 * continues the header before it (a space, then the line without that
 * whitespace); a value is stripped; several headers of one name are joined
 * by ','. Writes it to `out`, which has room for n bytes (it is never
 * longer), and returns 1; 0 when there is no such header; TN_EINVAL for a
 * line without a colon, or a continuation first. */
static int part_header(char *h, size_t n, const char *name, char *out,
                       size_t *len) {
  char *p = h, *end = h + n;
  bool seen = false, ours = false, found = false;
  size_t o = 0;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    char *ls = p, *le = nl ? nl : end;
    p = nl ? nl + 1 : end;
    if (le > ls && le[-1] == '\r')
      le--;
    if (le == ls)
      continue;
    span_t v;
    if (tn__space_at((unsigned char *)ls, (unsigned char *)le)) {
      if (!seen)
        return TN_EINVAL;
      if (!ours)
        continue;
      v = strip(ls, le); /* the end is kept: only lstrip() is Tornado's */
      v.len = (size_t)(le - v.ptr);
      out[o++] = ' ';
    } else {
      char *colon = memchr(ls, ':', (size_t)(le - ls));
      if (!colon)
        return TN_EINVAL;
      seen = true;
      ours = header_is(ls, (size_t)(colon - ls), name);
      if (!ours)
        continue;
      if (found)
        out[o++] = ',';
      found = true;
      v = strip(colon + 1, le);
    }
    if (v.len)
      memcpy(out + o, v.ptr, v.len);
    o += v.len;
  }
  *len = o;
  return found;
}

/* --- Content-Disposition parameters -------------------------------------- */

/* The piece of [*p, end) up to the next ';' that is not between double
 * quotes (a quote after a backslash does not count), stripped: Tornado's
 * _parseparam. *p is NULL after the last piece. */
static span_t next_piece(char **p, char *end) {
  char *s = *p, *q;
  bool quoted = false;
  for (q = s; q < end; q++) {
    if (*q == '"' && !(q > s && q[-1] == '\\'))
      quoted = !quoted;
    else if (*q == ';' && !quoted)
      break;
  }
  *p = q < end ? q + 1 : NULL;
  return strip(s, q);
}

/* A piece "name=value" as _parse_header splits it: both stripped, the
 * name in lower case. False for a piece without '=', which is ignored. */
static bool param_of(span_t piece, span_t *name, span_t *value) {
  char *eq = memchr(piece.ptr, '=', piece.len);
  if (!eq)
    return false;
  *name = strip(piece.ptr, eq);
  *value = strip(eq + 1, piece.ptr + piece.len);
  for (size_t i = 0; i < name->len; i++)
    name->ptr[i] = ascii_lower(name->ptr[i]);
  return true;
}

/* One piece of an RFC 2231 parameter: "filename*" (encoded), "filename*0"
 * (a continuation), "filename*1*" (both). */
typedef struct {
  span_t base;   /* the name before the '*' */
  span_t num;    /* its number without leading zeros; ptr NULL: none */
  span_t value;  /* unquoted */
  bool encoded;  /* the name ends with '*': %XX escapes */
} ext_t;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '_';
}

/* Whether `name` is such a piece, as email.utils matches it:
 * ^(\w+)\*(([0-9]+)\*?)?$ in ASCII. */
static bool ext_of(span_t name, ext_t *e) {
  size_t i = 0, n = name.len;
  while (i < n && is_word(name.ptr[i]))
    i++;
  if (i == 0 || i == n || name.ptr[i] != '*')
    return false;
  e->base = (span_t){name.ptr, i};
  size_t d = ++i;
  while (i < n && is_digit(name.ptr[i]))
    i++;
  if (i > d) {
    size_t digits_end = i;
    if (i < n && name.ptr[i] == '*')
      i++;
    while (d + 1 < digits_end && name.ptr[d] == '0')
      d++;
    e->num = (span_t){name.ptr + d, digits_end - d};
  } else {
    e->num = (span_t){NULL, 0};
  }
  e->encoded = name.ptr[n - 1] == '*';
  return i == n;
}

static int cmp_bytes(span_t a, span_t b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
  return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Groups the pieces by name, then orders each group as decode_params
 * sorts its (number, value, encoded) tuples; a piece without a number
 * first (Python cannot compare it with one that has: see ext_mixed). */
static int ext_cmp(const void *pa, const void *pb) {
  const ext_t *a = pa, *b = pb;
  int c = cmp_bytes(a->base, b->base);
  if (c)
    return c;
  if (!a->num.ptr || !b->num.ptr) {
    if ((c = (a->num.ptr != NULL) - (b->num.ptr != NULL)) != 0)
      return c;
  } else if (a->num.len != b->num.len) {
    return a->num.len < b->num.len ? -1 : 1;
  } else if ((c = memcmp(a->num.ptr, b->num.ptr, a->num.len)) != 0) {
    return c;
  }
  if ((c = cmp_bytes(a->value, b->value)) != 0)
    return c;
  return (int)a->encoded - (int)b->encoded;
}

/* Which charsets a filename*= value is decoded from: Python knows many
 * more; any other is read as Python reads a charset it does not know. */
enum { CS_UNKNOWN, CS_UTF8, CS_ASCII, CS_LATIN1 };

/* The charset named by [s, s+n), its name normalised as Python's codec
 * lookup does (lower case; runs of other characters than letters, digits
 * and '.' as one '_', none at either end). */
static int charset_of(const char *s, size_t n) {
  static const char *const utf8[] = {"utf_8", "utf8", "u8", "utf",
                                     "utf8_ucs2", "utf8_ucs4", "cp65001"};
  static const char *const ascii[] = {
      "ascii", "us_ascii", "us", "646", "cp367", "ibm367", "csascii",
      "iso646_us", "iso_ir_6", "ansi_x3.4_1968", "ansi_x3_4_1968",
      "ansi_x3.4_1986", "iso_646.irv_1991"};
  static const char *const latin1[] = {
      "latin_1", "latin1", "latin", "l1", "iso8859_1", "iso_8859_1",
      "iso8859", "8859", "cp819", "ibm819", "csisolatin1",
      "iso_8859_1_1987", "iso_ir_100"};
  char norm[24];
  size_t o = 0;
  bool gap = false;
  for (size_t i = 0; i < n; i++) {
    char c = ascii_lower(s[i]);
    if (c == '_' || (!is_word(c) && c != '.')) {
      gap = true;
      continue;
    }
    if (o + 2 >= sizeof norm)
      return CS_UNKNOWN;
    if (gap && o)
      norm[o++] = '_';
    norm[o++] = c;
    gap = false;
  }
  norm[o] = '\0';
#define CS_FIND(table, cs)                                                   \
  for (size_t i = 0; i < sizeof table / sizeof *table; i++)                  \
    if (strcmp(norm, table[i]) == 0)                                         \
      return cs;
  CS_FIND(utf8, CS_UTF8)
  CS_FIND(ascii, CS_ASCII)
  CS_FIND(latin1, CS_LATIN1)
#undef CS_FIND
  return CS_UNKNOWN;
}

/* Appends `s` with %XX decoded (urllib's unquote with latin-1: each byte
 * becomes the character of that code, kept here in UTF-8). */
static int percent_decode(tn__buf_t *b, span_t s) {
  if (tn__buf_reserve(b, 2 * s.len))
    return TN_ENOMEM;
  const unsigned char *v = (const unsigned char *)s.ptr;
  for (size_t i = 0; i < s.len; i++) {
    int hi = i + 2 < s.len && v[i] == '%' ? tn__hex_value(v[i + 1]) : -1;
    int lo = hi >= 0 ? tn__hex_value(v[i + 2]) : -1;
    if (lo >= 0) {
      utf8_put(b, (uint32_t)(hi << 4 | lo));
      i += 2;
    } else {
      b->data[b->len++] = (char)v[i]; /* other text is UTF-8 already */
    }
  }
  return 0;
}

/* email.utils.quote: \ and " get a backslash. */
static int email_quote(tn__buf_t *out, const char *s, size_t n) {
  if (tn__buf_reserve(out, 2 * n))
    return TN_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\' || s[i] == '"')
      out->data[out->len++] = '\\';
    out->data[out->len++] = s[i];
  }
  return 0;
}

/* bytes(text, 'raw-unicode-escape'): a character below U+0100 is that
 * byte, any other \uXXXX or \UXXXXXXXX. `s` is valid UTF-8. */
static int raw_unicode_escape(tn__buf_t *out, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (tn__buf_reserve(out, 3 * n))
    return TN_ENOMEM;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    i += (size_t)utf8_next((const unsigned char *)s + i, n - i, &cp);
    if (cp < 0x100) {
      out->data[out->len++] = (char)cp;
      continue;
    }
    int digits = cp < 0x10000 ? 4 : 8;
    out->data[out->len++] = '\\';
    out->data[out->len++] = digits == 4 ? 'u' : 'U';
    for (int d = digits - 1; d >= 0; d--)
      out->data[out->len++] = hex[cp >> (4 * d) & 0xf];
  }
  return 0;
}

/* str(bytes, charset, 'replace'), into UTF-8. */
static int decode_charset(tn__buf_t *out, int cs, const char *s, size_t n) {
  if (tn__buf_reserve(out, 3 * n))
    return TN_ENOMEM;
  for (size_t i = 0; i < n;) {
    const unsigned char *p = (const unsigned char *)s + i;
    uint32_t cp = *p;
    int k = 1;
    if (cp >= 0x80 && cs == CS_ASCII)
      cp = 0xfffd;
    else if (cp >= 0x80 && cs == CS_UTF8 && (k = utf8_next(p, n - i, &cp)) < 0)
      cp = 0xfffd, k = -k;
    utf8_put(out, cp);
    i += (size_t)k;
  }
  return 0;
}

/* The value of one RFC 2231 parameter from its pieces `e[0..n)`, sorted,
 * as email.utils's decode_params and collapse_rfc2231_value and then
 * _parse_header make it (quirks included: an encoded value keeps the
 * backslashes quote() gave its \ and "), into `out`. */
static int ext_value(const ext_t *e, size_t n, tn__buf_t *join,
                     tn__buf_t *tmp, tn__buf_t *out) {
  bool extended = false;
  for (size_t i = 0; i < n; i++) {
    extended |= e[i].encoded;
    int err = e[i].encoded ? percent_decode(join, e[i].value)
                           : tn__buf_append(join, e[i].value.ptr,
                                            e[i].value.len);
    if (err)
      return err;
  }
  if (!extended) {
    span_t v = strip_quotes((span_t){join->data, join->len});
    return tn__buf_append(out, v.ptr, v.len);
  }
  /* charset'language'text, after quote() */
  if (email_quote(tmp, join->data, join->len))
    return TN_ENOMEM;
  char *q = tmp->data, *end = q + tmp->len;
  char *t1 = tmp->len ? memchr(q, '\'', tmp->len) : NULL;
  char *t2 = t1 ? memchr(t1 + 1, '\'', (size_t)(end - t1 - 1)) : NULL;
  int cs = t2 ? charset_of(q, (size_t)(t1 - q)) : CS_ASCII;
  char *text = t2 ? t2 + 1 : q;
  size_t len = (size_t)(end - text);
  if (cs == CS_UNKNOWN) { /* LookupError: unquote('"' + text + '"') */
    len = replace_pair(text, len, '\\', '\\', '\\');
    len = replace_pair(text, len, '\\', '"', '"');
    span_t v = strip_quotes((span_t){text, len});
    return tn__buf_append(out, v.ptr, v.len);
  }
  join->len = 0;
  if (raw_unicode_escape(join, text, len))
    return TN_ENOMEM;
  return decode_charset(out, cs, join->data, join->len);
}

/* The value of the RFC 2231 parameter `base` when it has pieces in
 * `e[0..n)` (sorted); *v untouched when it has none. */
static int ext_lookup(tn_req_t *req, const ext_t *e, size_t n,
                      const char *base, span_t *v) {
  size_t i = 0;
  while (i < n && !span_is(e[i].base, base))
    i++;
  size_t j = i;
  while (j < n && span_is(e[j].base, base))
    j++;
  if (i == j)
    return 0;
  tn__buf_t join = {0}, tmp = {0}, out = {0};
  int err = ext_value(e + i, j - i, &join, &tmp, &out);
  if (!err) {
    v->ptr = dup_str(req, out.data, out.len);
    v->len = out.len;
    err = v->ptr ? 0 : TN_ENOMEM;
  }
  tn__buf_free(&join);
  tn__buf_free(&tmp);
  tn__buf_free(&out);
  return err;
}

/* Whether a group mixes pieces with and without a number: sorting them
 * is a TypeError in Python, which rejects the body. */
static bool ext_mixed(const ext_t *e, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (cmp_bytes(e[i - 1].base, e[i].base) == 0 && !e[i - 1].num.ptr &&
        e[i].num.ptr)
      return true;
  return false;
}

/* The RFC 2231 pieces of the parameters in [v, end), `n` of them: their
 * values for `name` and `filename` override the plain ones (decode_params
 * puts them last). */
static int ext_params(parse_t *m, char *v, char *end, size_t n, span_t *name,
                      span_t *filename) {
  ext_t *e = malloc(n * sizeof *e);
  if (!e)
    return TN_ENOMEM;
  size_t k = 0;
  char *p = v;
  next_piece(&p, end); /* the disposition */
  while (p) {
    span_t pn, pv;
    if (param_of(next_piece(&p, end), &pn, &pv) && k < n &&
        ext_of(pn, &e[k])) {
      e[k].value = email_unquote(pv);
      k++;
    }
  }
  qsort(e, k, sizeof *e, ext_cmp);
  int err = ext_mixed(e, k) ? bad(m, BAD_PARAMS) : 0;
  if (!err)
    err = ext_lookup(m->req, e, k, "name", name);
  if (!err)
    err = ext_lookup(m->req, e, k, "filename", filename);
  free(e);
  return err;
}

/* Reads a Content-Disposition value [v, v+n) (in request memory, changed
 * in place) as Tornado's _parse_header: `form-data` and the name and
 * filename parameters, NUL-terminated in request memory (ptr NULL when
 * absent). Quoted values are unquoted as email.utils does, RFC 2231 ones
 * (filename*=UTF-8''%E2%82%AC.txt, continuations) decoded. */
static int disposition(parse_t *m, char *v, size_t n, span_t *name,
                       span_t *filename) {
  char *p = v, *end = v + n;
  if (!span_is(next_piece(&p, end), "form-data"))
    return bad(m, NOT_FORM_DATA);
  span_t plain_name = {NULL, 0}, plain_file = {NULL, 0};
  size_t nexts = 0;
  while (p) {
    span_t pn, pv;
    ext_t e;
    if (!param_of(next_piece(&p, end), &pn, &pv))
      continue;
    if (ext_of(pn, &e))
      nexts++;
    else if (span_is(pn, "name"))
      plain_name = pv;
    else if (span_is(pn, "filename"))
      plain_file = pv;
  }
  *name = *filename = (span_t){NULL, 0};
  /* The RFC 2231 pieces first: unquoting the plain values in place would
   * change where the pieces split. */
  if (nexts) {
    int err = ext_params(m, v, end, nexts, name, filename);
    if (err)
      return err;
  }
  if (!name->ptr && plain_name.ptr) {
    span_t s = strip_quotes(email_unquote(plain_name));
    if (!(name->ptr = dup_str(m->req, s.ptr, s.len)))
      return TN_ENOMEM;
    name->len = s.len;
  }
  if (!filename->ptr && plain_file.ptr) {
    span_t s = strip_quotes(email_unquote(plain_file));
    if (!(filename->ptr = dup_str(m->req, s.ptr, s.len)))
      return TN_ENOMEM;
    filename->len = s.len;
  }
  return 0;
}

/* --- Parts --------------------------------------------------------------- */

/* Makes room for one more of `n` items of `size` bytes, doubling into new
 * request memory (the old block stays in the arena until the request
 * ends). NULL when out of memory. */
static void *room_for(tn_req_t *req, void *items, size_t n, size_t *room,
                      size_t size) {
  if (n < *room)
    return items;
  size_t cap = *room ? *room * 2 : 8;
  if (cap > SIZE_MAX / size)
    return NULL;
  void *more = tn_req_alloc(req, cap * size);
  if (more && n)
    memcpy(more, items, n * size);
  *room = more ? cap : *room;
  return more;
}

static int add_field(parse_t *m, span_t name, const char *body, size_t len) {
  if (len >= UINT32_MAX || name.len >= UINT32_MAX)
    return bad(m, TOO_BIG);
  tn__args_t *a = m->args;
  tn__arg_t *items = room_for(m->req, a->items, a->n, &m->args_room,
                              sizeof *items);
  char *text = dup_str(m->req, body, len);
  if (!items || !text)
    return TN_ENOMEM;
  a->items = items;
  char *value = tn__arg_clean(text, &len);
  value[len] = '\0';
  a->items[a->n++] = (tn__arg_t){name.ptr, value, (uint32_t)name.len,
                                 (uint32_t)len};
  return 0;
}

static int add_file(parse_t *m, span_t name, span_t filename,
                    const char *type, const char *body, size_t len) {
  tn__files_t *f = m->files;
  size_t room = m->files_room;
  tn_file_t *items = room_for(m->req, f->items, f->n, &room, sizeof *items);
  if (!items)
    return TN_ENOMEM;
  f->items = items;
  size_t *lens = room_for(m->req, f->name_lens, f->n, &m->files_room,
                          sizeof *lens);
  if (!lens)
    return TN_ENOMEM;
  f->name_lens = lens;
  f->items[f->n] = (tn_file_t){name.ptr, filename.ptr, type, {body, len}};
  f->name_lens[f->n++] = name.len;
  return 0;
}

/* One part, [p, p+n): its header section, then its content up to the
 * CRLF that ends it. */
static int add_part(parse_t *m, const char *p, size_t n) {
  const char *eoh = memmem(p, n, "\r\n\r\n", 4);
  if (!eoh)
    return bad(m, NO_HEADERS);
  size_t hn = (size_t)(eoh - p);
  if (!utf8_valid(p, hn))
    return bad(m, BAD_HEADERS);
  /* One copy of the header section to work in: its values are unquoted
   * and its lines joined in place. */
  char *head = dup_str(m->req, p, hn);
  char *value = tn_req_alloc(m->req, hn + 1);
  if (!head || !value)
    return TN_ENOMEM;
  size_t vn = 0;
  int found = part_header(head, hn, "Content-Disposition", value, &vn);
  if (found < 0)
    return bad(m, BAD_HEADERS);
  span_t name, filename;
  int err = disposition(m, value, vn, &name, &filename);
  if (err)
    return err;
  if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
    return bad(m, NO_CRLF);
  if (!name.len)
    return bad(m, NO_NAME);
  const char *body = eoh + 4;
  size_t len = body < p + n - 2 ? (size_t)(p + n - 2 - body) : 0;
  if (!filename.len)
    return add_field(m, name, body, len);
  const char *type = "application/unknown";
  if (part_header(head, hn, "Content-Type", value, &vn) > 0) {
    value[vn] = '\0';
    type = value;
  }
  return add_file(m, name, filename, type, body, len);
}

/* --- The body ------------------------------------------------------------ */

/* Python's str.isspace for a character of a header, which Tornado reads
 * as latin-1. */
static bool latin1_space(unsigned char c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 ||
         c == 0xa0;
}

/* The boundary as Tornado finds it in a Content-Type: the value of the
 * first of its ';'-separated fields, stripped, that reads "boundary=" and
 * something; double quotes around it removed. */
static bool boundary_of(tn_str_t type, tn_str_t *b) {
  const char *p = type.ptr, *end = type.ptr + type.len;
  while (p < end) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *s = p, *e = semi ? semi : end;
    p = semi ? semi + 1 : end;
    while (s < e && latin1_space((unsigned char)*s))
      s++;
    while (e > s && latin1_space((unsigned char)e[-1]))
      e--;
    if (e - s <= 9 || memcmp(s, "boundary=", 9) != 0)
      continue;
    s += 9;
    size_t n = (size_t)(e - s);
    if (s[0] == '"' && e[-1] == '"') {
      s++;
      n = n >= 2 ? n - 2 : 0;
    }
    *b = (tn_str_t){s, n};
    return true;
  }
  return false;
}

/* "--" + boundary + `tail`, the boundary's latin-1 characters in UTF-8
 * (Tornado's utf8() of the header's text), in request memory. */
static char *delimiter(tn_req_t *req, tn_str_t b, const char *tail,
                       size_t *len) {
  char *d = tn_req_alloc(req, 2 * b.len + 4);
  if (!d)
    return NULL;
  size_t n = 0;
  d[n++] = '-';
  d[n++] = '-';
  for (size_t i = 0; i < b.len; i++) {
    unsigned char c = (unsigned char)b.ptr[i];
    if (c < 0x80) {
      d[n++] = (char)c;
    } else {
      d[n++] = (char)(0xc0 | c >> 6);
      d[n++] = (char)(0x80 | (c & 0x3f));
    }
  }
  d[n++] = tail[0];
  d[n++] = tail[1];
  *len = n;
  return d;
}

/* The last occurrence of `nd` (m bytes) in `h` (n bytes), or NULL:
 * Knuth-Morris-Pratt run backwards from the end, where the final boundary
 * usually is, and linear however the bytes are chosen. `fail` has room
 * for m entries. */
static const char *find_last(const char *h, size_t n, const char *nd,
                             size_t m, size_t *fail) {
  if (m == 0 || m > n)
    return NULL;
  /* fail[i]: the longest proper border of the last i+1 bytes of nd. */
  fail[0] = 0;
  for (size_t i = 1, k = 0; i < m; i++) {
    while (k && nd[m - 1 - i] != nd[m - 1 - k])
      k = fail[k - 1];
    if (nd[m - 1 - i] == nd[m - 1 - k])
      k++;
    fail[i] = k;
  }
  for (size_t i = n, k = 0; i-- > 0;) {
    while (k && h[i] != nd[m - 1 - k])
      k = fail[k - 1];
    if (h[i] == nd[m - 1 - k] && ++k == m)
      return h + i;
  }
  return NULL;
}

static int parse(parse_t *m, tn_str_t type) {
  tn_str_t b;
  if (!boundary_of(type, &b))
    return bad(m, NO_BOUNDARY);
  size_t sep_len, last_len;
  char *sep = delimiter(m->req, b, "\r\n", &sep_len);
  char *last = delimiter(m->req, b, "--", &last_len);
  size_t *fail = tn_req_alloc(m->req, last_len * sizeof *fail);
  if (!sep || !last || !fail)
    return TN_ENOMEM;
  const char *p = m->req->body.ptr;
  const char *end = find_last(p, m->req->body.len, last, last_len, fail);
  if (!end)
    return bad(m, NO_FINAL);
  for (;;) {
    const char *next = memmem(p, (size_t)(end - p), sep, sep_len);
    const char *stop = next ? next : end;
    if (stop > p) {
      int err = add_part(m, p, (size_t)(stop - p));
      if (err)
        return err;
    }
    if (!next)
      return 0;
    p = next + sep_len;
  }
}

int tn__multipart_parse(tn_req_t *req, tn_str_t content_type,
                        tn__args_t *args, tn__files_t *files,
                        const char **why) {
  parse_t m = {.req = req, .args = args, .files = files};
  int err = parse(&m, content_type);
  if (err == TN_EINVAL)
    *why = m.why;
  return err;
}
