/* template.c -- what compiled templates call at run time.
 *
 * tornc turns a template into one C function that writes literal text and
 * expressions straight into a tn_buf_t through a tn_tpl_t cursor. The hot
 * writers (literals, integers, HTML-escaped strings) are inline in torn.h;
 * this file has the rest: growing the buffer, the rarer escaping modes,
 * numbers as Python prints them, JSON values, loops over JSON containers,
 * and the helpers a template may call (json_encode, url_escape...).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Scratch memory for helper results: a list of chunks, bump-allocated. */
struct tn__tpl_chunk_s {
  tn__tpl_chunk_t *next;
  size_t used, size;
  max_align_t data[]; /* `size` bytes */
};

enum { SCRATCH_CHUNK = 4096, ESCAPE_BLOCK = 4096 };

void tn__tpl_begin(tn_tpl_t *t, tn_buf_t *buf)
{
  *t = (tn_tpl_t){buf->data + buf->len, buf->data + buf->cap, buf, 0, NULL};
}

void tn__tpl_begin_req(tn_tpl_t *t, tn_req_t *req)
{
  tn__tpl_begin(t, &req->body_out);
}

int tn__tpl_end(tn_tpl_t *t)
{
  tn_buf_t *b = t->buf;
  if (b->data)
    b->len = (size_t)(t->pos - b->data);
  /* Keep the buffer a C string; the NUL is not part of len. */
  if (b->cap == b->len && tn__tpl_grow(t, 1) == 0)
    b->len = (size_t)(t->pos - b->data);
  if (b->data && b->cap > b->len)
    b->data[b->len] = '\0';
  while (t->scratch) {
    tn__tpl_chunk_t *next = t->scratch->next;
    free(t->scratch);
    t->scratch = next;
  }
  return t->err;
}

void tn__tpl_fail(tn_tpl_t *t, int err)
{
  if (!t->err)
    t->err = err;
}

int tn__tpl_grow(tn_tpl_t *t, size_t n)
{
  tn_buf_t *b = t->buf;
  if (b->data)
    b->len = (size_t)(t->pos - b->data);
  if (tn__buf_reserve(b, n) != 0) {
    tn__tpl_fail(t, TN_ENOMEM);
    /* Leave no room, so every later write comes back here and is dropped. */
    t->end = t->pos;
    return -1;
  }
  t->pos = b->data + b->len;
  t->end = b->data + b->cap;
  return 0;
}

void *tn__tpl_alloc(tn_tpl_t *t, size_t n)
{
  n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
      sizeof(max_align_t);
  tn__tpl_chunk_t *c = t->scratch;
  if (!c || c->size - c->used < n) {
    size_t size = n > SCRATCH_CHUNK ? n : SCRATCH_CHUNK;
    c = malloc(sizeof *c + size);
    if (!c) {
      tn__tpl_fail(t, TN_ENOMEM);
      return NULL;
    }
    *c = (tn__tpl_chunk_t){t->scratch, 0, size};
    t->scratch = c;
  }
  void *p = (char *)c->data + c->used;
  c->used += n;
  return p;
}

tn__cur_t tn__tpl_more(tn_tpl_t *t, tn__cur_t c, size_t n)
{
  t->pos = c.p;
  tn__tpl_grow(t, n);
  return tn__tpl_cur(t);
}

/* The out-of-line writers below work on t->pos; the cursor functions
 * (tn__tpl_escape...) sync it on the way in and out. */
static void lit(tn_tpl_t *t, const char *s, size_t n)
{
  tn__tpl_sync(t, tn__tpl_lit(t, tn__tpl_cur(t), s, n));
}

/* ---- Escaping ------------------------------------------------------------ */

/* Is `s` (n bytes) a URL a browser would run or render as a document
 * rather than fetch? Only http, https, mailto, ftp and tel schemes and
 * relative URLs pass: an allow-list, since javascript: has many spellings
 * (case, leading blanks and control bytes, tabs and newlines inside the
 * scheme, which browsers all ignore). */
static bool url_is_unsafe(const char *s, size_t n)
{
  static const char *const safe[] = {"http", "https", "mailto", "ftp", "tel"};
  size_t i = 0;
  while (i < n && (unsigned char)s[i] <= 0x20)
    i++;
  char scheme[8];
  size_t len = 0;
  for (; i < n; i++) {
    char c = s[i];
    if (c == '\t' || c == '\n' || c == '\r')
      continue;
    if (c == ':')
      break;
    bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!alpha && !(other && len > 0))
      return false; /* not a scheme: a relative URL */
    /* Past the buffer only the length counts: no allowed scheme is that
     * long, and without a ':' it is no scheme at all. */
    if (len < sizeof scheme)
      scheme[len] = (char)(c | 0x20);
    len++;
  }
  if (i == n)
    return false; /* no ':' at all: relative */
  if (len > sizeof scheme)
    return true;
  for (size_t k = 0; k < sizeof safe / sizeof *safe; k++)
    if (strlen(safe[k]) == len && memcmp(safe[k], scheme, len) == 0)
      return false;
  return true;
}

/* The escapers write `n` bytes of `s` at `o`, which has room for the
 * worst case (`per` bytes for each byte: ESCAPE_URL, ESCAPE_HTML), and
 * return the end. The same code fills the render (put_escaped) and the
 * helpers' results (escaped_copy). */
typedef char *(*escape_fn)(char *o, unsigned esc, const char *s, size_t n);

enum { ESCAPE_URL = 3, ESCAPE_HTML = 6 };

/* Python's urllib.parse.quote_plus, as Tornado's url_escape. */
static char *url_escape_to(char *o, unsigned esc, const char *s, size_t n)
{
  static const char hex[] = "0123456789ABCDEF";
  (void)esc;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
        c == '~') {
      *o++ = (char)c;
    } else if (c == ' ') {
      *o++ = '+';
    } else {
      *o++ = '%', *o++ = hex[c >> 4], *o++ = hex[c & 15];
    }
  }
  return o;
}

/* Writes `s` as JSON text (a JSON string, as Python's json.dumps). */
static void put_json_string(tn_tpl_t *t, const char *s, size_t n)
{
  json_t *j = json_stringn_nocheck(s, n);
  if (!j) {
    tn__tpl_fail(t, TN_ENOMEM);
    return;
  }
  const char *text = tn__tpl_json_encode(t, j);
  json_decref(j);
  if (text)
    lit(t, text, strlen(text));
}

/* The bytes of an unquoted attribute value that would end it. */
static bool ends_unquoted(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '=' || c == '`';
}

/* HTML escaping with the attribute and URL modes. */
static char *html_escape_to(char *o, unsigned esc, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ':' && (esc & TN__ESC_URL_COLON)) {
      memcpy(o, "%3A", 3);
      o += 3;
    } else if ((esc & TN__ESC_HTML) && c < 64 && (TN__HTML_SPECIAL >> c) & 1) {
      o = tn__tpl_entity(o, c);
    } else if ((esc & TN__ESC_UNQUOTED) && ends_unquoted(c)) {
      o += sprintf(o, "&#%d;", c);
    } else {
      *o++ = (char)c;
    }
  }
  return o;
}

/* Escapes into the render in blocks, so that the room reserved stays
 * bounded whatever the length. */
static void put_escaped(tn_tpl_t *t, escape_fn fn, size_t per, unsigned esc,
                        const char *s, size_t n)
{
  while (n > 0) {
    size_t block = n < ESCAPE_BLOCK ? n : ESCAPE_BLOCK;
    if ((size_t)(t->end - t->pos) < block * per &&
        tn__tpl_grow(t, block * per))
      return;
    t->pos = fn(t->pos, esc, s, block);
    s += block;
    n -= block;
  }
}

static void escape(tn_tpl_t *t, unsigned esc, const char *s, size_t n)
{
  static const char unsafe_url[] = "about:invalid#torn-unsafe-url";
  if (esc & TN__ESC_URLENC) {
    put_escaped(t, url_escape_to, ESCAPE_URL, esc, s, n);
    return;
  }
  if (esc & TN__ESC_JSON) {
    put_json_string(t, s, n);
    return;
  }
  if ((esc & TN__ESC_URL_START) && url_is_unsafe(s, n)) {
    s = unsafe_url;
    n = sizeof unsafe_url - 1;
  }
  put_escaped(t, html_escape_to, ESCAPE_HTML, esc, s, n);
}

tn__cur_t tn__tpl_escape(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                         const char *s, size_t n)
{
  tn__tpl_sync(t, c);
  escape(t, esc, s, n);
  return tn__tpl_cur(t);
}

/* Text through `esc`, on t->pos. */
static void text(tn_tpl_t *t, unsigned esc, const char *s, size_t n)
{
  if (esc == TN__ESC_RAW)
    lit(t, s, n);
  else
    escape(t, esc, s, n);
}

/* ---- Numbers and JSON values ------------------------------------------- */

/* Python's repr(float): the fewest significant digits that read back as
 * `v`, in positional notation for exponents -4..15 (with ".0" when
 * integral), in scientific notation ("1e+16", "1.5e-07") otherwise. */
static void put_double(tn_tpl_t *t, double v)
{
  char out[40];
  if (isnan(v)) {
    lit(t, "nan", 3);
    return;
  }
  if (isinf(v)) {
    lit(t, v < 0 ? "-inf" : "inf", v < 0 ? 4 : 3);
    return;
  }
  char sci[32];
  for (int prec = 0; prec < 17; prec++) {
    snprintf(sci, sizeof sci, "%.*e", prec, v);
    if (strtod(sci, NULL) == v)
      break;
  }
  /* sci is [-]D[.DDD]e[+-]XX: take the digits and the exponent apart. */
  char digits[20];
  int nd = 0, exp;
  const char *p = sci;
  bool neg = *p == '-';
  p += neg;
  for (; *p != 'e'; p++)
    if (*p != '.')
      digits[nd++] = *p;
  exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  char *o = out;
  if (neg)
    *o++ = '-';
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      o += sprintf(o, "0.");
      for (int i = -1; i > exp; i--)
        *o++ = '0';
      memcpy(o, digits, (size_t)nd), o += nd;
    } else {
      for (int i = 0; i <= exp; i++)
        *o++ = i < nd ? digits[i] : '0';
      *o++ = '.';
      if (nd > exp + 1)
        memcpy(o, digits + exp + 1, (size_t)(nd - exp - 1)), o += nd - exp - 1;
      else
        *o++ = '0';
    }
  } else {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)(nd - 1)), o += nd - 1;
    }
    o += sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  }
  lit(t, out, (size_t)(o - out));
}

tn__cur_t tn__tpl_double(tn_tpl_t *t, tn__cur_t c, unsigned esc, double v)
{
  (void)esc; /* numbers need no escaping in any mode */
  tn__tpl_sync(t, c);
  put_double(t, v);
  return tn__tpl_cur(t);
}

static void put_json(tn_tpl_t *t, unsigned esc, const json_t *v)
{
  char digits[24];
  switch (json_typeof(v)) {
  case JSON_STRING:
    text(t, esc, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
    lit(t, digits, (size_t)snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT,
                                   json_integer_value(v)));
    break;
  case JSON_REAL:
    put_double(t, json_real_value(v));
    break;
  case JSON_TRUE:
    lit(t, "true", 4);
    break;
  case JSON_FALSE:
    lit(t, "false", 5);
    break;
  case JSON_ARRAY:
  case JSON_OBJECT: {
    const char *json = tn__tpl_json_encode(t, v);
    if (json)
      text(t, esc, json, strlen(json));
    break;
  }
  default: /* null, or no value at all */
    break;
  }
}

tn__cur_t tn__tpl_json(tn_tpl_t *t, tn__cur_t c, unsigned esc,
                       const json_t *v)
{
  tn__tpl_sync(t, c);
  if (v)
    put_json(t, esc, v);
  return tn__tpl_cur(t);
}

/* ---- Loops over JSON containers ----------------------------------------- */

tn__tpl_iter_t tn__tpl_iter(const json_t *c)
{
  tn__tpl_iter_t it = {0};
  if (json_is_array(c)) {
    it.c = c;
    it.n = json_array_size(c);
  } else if (json_is_object(c)) {
    it.c = c;
    it.it = json_object_iter((json_t *)c);
  }
  return it;
}

int tn__tpl_next(tn__tpl_iter_t *it)
{
  if (!it->c)
    return 0;
  if (json_is_array(it->c)) {
    if (it->i >= it->n)
      return 0;
    it->value = json_array_get(it->c, it->i++);
    return 1;
  }
  if (!it->it)
    return 0;
  it->key = json_object_iter_key(it->it);
  it->value = json_object_iter_value(it->it);
  it->it = json_object_iter_next((json_t *)it->c, it->it);
  return 1;
}

/* ---- Helpers ------------------------------------------------------------- */

/* `s` escaped by `fn` into scratch memory sized for the worst case. */
static const char *escaped_copy(tn_tpl_t *t, escape_fn fn, size_t per,
                                unsigned esc, const char *s)
{
  if (!s)
    return "";
  size_t n = strlen(s);
  if (n > (SIZE_MAX - 1) / per) {
    tn__tpl_fail(t, TN_ENOMEM);
    return "";
  }
  char *out = tn__tpl_alloc(t, n * per + 1);
  if (!out)
    return "";
  *fn(out, esc, s, n) = '\0';
  return out;
}

/* Tornado's json_encode: json.dumps(v).replace("</", "<\/"). */
const char *tn__tpl_json_encode(tn_tpl_t *t, const json_t *v)
{
  if (!v)
    return "null";
  char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
  if (!text) {
    tn__tpl_fail(t, TN_ENOMEM);
    return "";
  }
  /* Python writes \u escapes in lower case and escapes DEL, which
   * jansson does not; "</" becomes "<\/" (Tornado's json_encode). */
  size_t n = strlen(text), extra = 0;
  for (size_t i = 0; i < n; i++)
    extra += (text[i] == '/' && i > 0 && text[i - 1] == '<') +
             (text[i] == 0x7f) * 5;
  char *out = tn__tpl_alloc(t, n + extra + 1), *o = out;
  for (size_t i = 0; out && i < n; i++) {
    if (text[i] == '\\' && text[i + 1] == 'u') {
      *o++ = text[i++], *o++ = text[i];
      for (int k = 0; k < 4 && text[i + 1]; k++, i++)
        *o++ = (char)(text[i + 1] >= 'A' && text[i + 1] <= 'F'
                          ? text[i + 1] + 32 : text[i + 1]);
      continue;
    }
    if (text[i] == '\\') { /* any other escape: copy both bytes */
      *o++ = text[i++];
      *o++ = text[i];
      continue;
    }
    if (text[i] == 0x7f) {
      memcpy(o, "\\u007f", 6);
      o += 6;
      continue;
    }
    if (text[i] == '/' && i > 0 && text[i - 1] == '<')
      *o++ = '\\';
    *o++ = text[i];
  }
  if (out)
    *o = '\0';
  free(text);
  return out ? out : "";
}

const char *tn__tpl_url_escape(tn_tpl_t *t, const char *s)
{
  return escaped_copy(t, url_escape_to, ESCAPE_URL, 0, s);
}

const char *tn__tpl_xhtml_escape(tn_tpl_t *t, const char *s)
{
  return escaped_copy(t, html_escape_to, ESCAPE_HTML, TN__ESC_HTML, s);
}

/* Tornado's squeeze: runs of bytes 0x00-0x20 become one space, and the
 * ends are stripped. */
const char *tn__tpl_squeeze(tn_tpl_t *t, const char *s)
{
  if (!s)
    return "";
  char *out = tn__tpl_alloc(t, strlen(s) + 1), *o = out;
  if (!out)
    return "";
  for (const char *p = s; *p;) {
    if ((unsigned char)*p > 0x20) {
      *o++ = *p++;
      continue;
    }
    while (*p && (unsigned char)*p <= 0x20)
      p++;
    if (o > out && *p)
      *o++ = ' ';
  }
  *o = '\0';
  return out;
}

const char *tn__tpl_url_copy(tn_tpl_t *t, const char *url, int n)
{
  if (n < 0) {
    tn__tpl_fail(t, n);
    return "";
  }
  char *out = tn__tpl_alloc(t, (size_t)n + 1);
  if (!out)
    return "";
  memcpy(out, url, (size_t)n + 1);
  return out;
}

char *tn__tpl_url_room(tn_tpl_t *t, int n)
{
  if (n < 0) {
    tn__tpl_fail(t, n);
    return NULL;
  }
  return tn__tpl_alloc(t, (size_t)n + 1);
}
