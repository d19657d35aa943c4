/* pattern.c -- parses the "PATTERN" string of a route or redirect, and
 * the string of a `prefix` block.
 *
 *   pattern := '/' piece*
 *   piece   := litchar+ | '{' name ':' type '}' | '{' name ':' regex '}'
 *   litchar := any printable ASCII byte except space { } ? #
 *   name    := a C identifier, not a C keyword
 *   type    := int | uint | str | slug | uuid | path
 *   regex   := an inline pattern (regex.c); '}' inside a class, an escape
 *              or a {n,m} quantifier does not end it
 *
 * The pattern arrives as a decoded string together with the source column
 * of each byte, so an error inside it points at the exact character of the
 * .troute line even after an escape sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

/* ---- Parameter types ---------------------------------------------------- */

static const tc_type *find_type(const char *name, size_t len)
{
  for (int i = 0; i < tc_ntypes; i++)
    if (strlen(tc_types[i].name) == len &&
        memcmp(tc_types[i].name, name, len) == 0)
      return &tc_types[i];
  return NULL;
}

const tc_rx *tc_seg_rx(const tc_seg *s)
{
  return s->rx ? s->rx : tc_type_rx(s->type);
}

/* ---- Parser state ------------------------------------------------------- */

typedef struct {
  tc_diags *diags;
  tc_pattern *pat;
  const char *s;   /* the decoded pattern */
  size_t len;
  const int *cols; /* source column of each byte, and of the closing quote */
  tc_buf key;
  size_t rx_base;  /* where the inline pattern being parsed starts */
} pstate;

/* The source position of byte `i` of the pattern (i == len: the closing
 * quote). */
static tc_pos at(const pstate *st, size_t i)
{
  return tc_pos_add(st->pat->pos, st->cols[i] - st->pat->pos.col);
}

static void pat_error(pstate *st, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pat_error(pstate *st, size_t i, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  tc_verror(st->diags, at(st, i), fmt, ap);
  va_end(ap);
  st->pat->bad = true;
}

static tc_seg *add_seg(pstate *st, tc_seg_kind kind, size_t i)
{
  tc_pattern *p = st->pat;
  p->segs = tc_grow(p->segs, p->nsegs, &p->cap, sizeof *p->segs);
  tc_seg *seg = &p->segs[p->nsegs++];
  *seg = (tc_seg){.kind = kind, .pos = at(st, i)};
  return seg;
}

static bool is_litchar(int c)
{
  return c > 0x20 && c < 0x7f && !strchr("{}?#", c);
}

/* ---- Pieces ------------------------------------------------------------- */

/* litchar+ starting at byte `i`; returns the index after it. */
static size_t parse_literal(pstate *st, size_t i)
{
  size_t start = i;
  while (i < st->len && is_litchar((unsigned char)st->s[i]))
    i++;
  tc_seg *seg = add_seg(st, TC_SEG_LIT, start);
  seg->text = tc_strndup(st->s + start, i - start);
  seg->len = i - start;
  tc_buf_putn(&st->key, seg->text, seg->len);
  return i;
}

/* A byte no piece starts with: report it and skip it. */
static size_t bad_char(pstate *st, size_t i)
{
  unsigned char c = (unsigned char)st->s[i];
  if (c == '}')
    pat_error(st, i, "'}' without a matching '{' in pattern");
  else if (c == '?' || c == '#')
    pat_error(st, i, "'%c' cannot be part of a path pattern", c);
  else if (c == ' ')
    pat_error(st, i, "space in pattern (write it as %%20)");
  else if (c >= 0x80)
    pat_error(st, i, "non-ASCII byte in pattern (percent-encode it)");
  else
    pat_error(st, i, "control character 0x%02x in pattern", c);
  return i + 1;
}

/* Checks the name of parameter '{name:...}' at bytes [i, end). */
static bool check_param_name(pstate *st, size_t i, size_t end)
{
  const char *name = st->s + i;
  int len = (int)(end - i);
  if (len == 0) {
    pat_error(st, i, "empty parameter name");
    return false;
  }
  if (!tc_is_c_ident(name, (size_t)len)) {
    pat_error(st, i, "parameter name '%.*s' is not a C identifier", len, name);
    return false;
  }
  char *z = tc_strndup(name, (size_t)len);
  bool keyword = tc_is_c_keyword(z);
  free(z);
  if (keyword)
    pat_error(st, i, "parameter name '%.*s' is a C keyword", len, name);
  return !keyword;
}

/* Reports the first parameter before `seg` with the same name. */
static void check_param_unique(pstate *st, const tc_seg *seg)
{
  for (const tc_seg *o = st->pat->segs; o < seg; o++) {
    if (o->kind != TC_SEG_PARAM || strcmp(o->text, seg->text) != 0)
      continue;
    tc_error(st->diags, seg->name_pos, "duplicate parameter name '%s'",
             seg->text);
    tc_note(st->diags, o->name_pos, "'%s' first declared here", o->text);
    st->pat->bad = true;
    return;
  }
}

static void rx_error(void *ctx, size_t at, const char *msg)
{
  pstate *st = ctx;
  pat_error(st, st->rx_base + at, "%s", msg);
}

/* The index of the '}' closing a parameter whose type or pattern starts at
 * byte `i`: braces of quantifiers nest, and classes and escapes hide
 * braces. `len` if there is none -- unless a class is left open, which
 * may have hidden it: then the last '}' of the pattern, so that the open
 * '[' is reported where it is. */
static size_t param_end(const pstate *st, size_t i)
{
  int depth = 0;
  bool open_class = false;
  for (size_t j = i; j < st->len; j++) {
    char c = st->s[j];
    if (c == '\\') {
      j++;
    } else if (c == '[') {
      j += j + 1 < st->len && st->s[j + 1] == '^';
      j++; /* a ']' first in a class is a member */
      while (j < st->len && st->s[j] != ']')
        j += st->s[j] == '\\' ? 2 : 1;
      open_class = j >= st->len;
    } else if (c == '{') {
      depth++;
    } else if (c == '}' && depth-- == 0) {
      return j;
    }
  }
  for (size_t j = st->len; open_class && j > i; j--)
    if (st->s[j - 1] == '}')
      return j - 1;
  return st->len;
}

/* Whether bytes [i, end) are a type name rather than an inline pattern. */
static bool is_type_name(const pstate *st, size_t i, size_t end)
{
  return tc_is_c_ident(st->s + i, end - i);
}

/* The type, or inline pattern, of a parameter at bytes [i, end). */
static void param_type(pstate *st, tc_seg *seg, size_t i, size_t end)
{
  seg->type_pos = at(st, i);
  if (i == end) {
    pat_error(st, end, "missing type for parameter '%s' (known: %s, or an "
                       "inline pattern)",
              seg->text, tc_type_names);
    return;
  }
  if (is_type_name(st, i, end)) {
    seg->type = find_type(st->s + i, end - i);
    if (!seg->type)
      pat_error(st, i, "unknown parameter type '%.*s' (known: %s, or an "
                       "inline pattern)",
                (int)(end - i), st->s + i, tc_type_names);
    return;
  }
  st->rx_base = i;
  seg->rx_text = tc_strndup(st->s + i, end - i);
  seg->rx = tc_rx_parse(st->s + i, end - i, rx_error, st);
  if (seg->rx)
    seg->type = &tc_type_inline;
}

/* '{' name ':' type '}' starting at byte `i`; returns the index after it. */
static size_t parse_param(pstate *st, size_t i)
{
  size_t colon = i + 1;
  while (colon < st->len && !strchr(":}/{", st->s[colon]))
    colon++;
  if (colon == st->len || st->s[colon] == '/' || st->s[colon] == '{') {
    pat_error(st, i, "unterminated '{' in pattern");
    return colon;
  }
  size_t end = st->s[colon] == '}' ? colon : param_end(st, colon + 1);
  if (end == st->len) {
    pat_error(st, i, "unterminated '{' in pattern");
    return end;
  }

  tc_seg *seg = add_seg(st, TC_SEG_PARAM, i);
  seg->name_pos = at(st, i + 1);
  seg->text = tc_strndup(st->s + i + 1, colon - i - 1);
  seg->len = colon - i - 1;
  if (check_param_name(st, i + 1, colon))
    check_param_unique(st, seg);
  param_type(st, seg, colon == end ? end : colon + 1, end);
  st->pat->nparams++;
  if (seg->rx_text)
    tc_buf_printf(&st->key, "{:/%s/}", seg->rx_text);
  else
    tc_buf_printf(&st->key, "{:%s}", seg->type ? seg->type->name : "?");
  return end + 1;
}

/* A path parameter takes the rest of the path: nothing may follow it. */
static void check_path_last(pstate *st, const tc_seg *seg, size_t next)
{
  if (seg->type && seg->type->conv == TC_PATH && next < st->len)
    pat_error(st, next, "'path' parameter '%s' must end the pattern",
              seg->text);
}

/* ---- Entry point -------------------------------------------------------- */

/* Splits the pattern string into pieces. */
static void parse_pieces(pstate *st)
{
  size_t i = 0;
  while (i < st->len) {
    unsigned char c = (unsigned char)st->s[i];
    if (c == '{') {
      int nsegs = st->pat->nsegs;
      i = parse_param(st, i);
      if (st->pat->nsegs > nsegs)
        check_path_last(st, &st->pat->segs[st->pat->nsegs - 1], i);
    } else if (is_litchar(c)) {
      i = parse_literal(st, i);
    } else {
      i = bad_char(st, i);
    }
  }
}

/* Puts the prefix of the enclosing blocks before the pattern: into its
 * text, its key and its first literal (a pattern starts with '/', so it
 * starts with a literal). */
static void add_prefix(tc_pattern *p, const char *prefix)
{
  size_t n = strlen(prefix);
  if (n == 0)
    return;
  tc_buf b = {0};
  tc_buf_printf(&b, "%s%s", prefix, p->text);
  free(p->text);
  p->text = b.data;
  b = (tc_buf){0};
  tc_buf_printf(&b, "%s%s", prefix, p->key);
  free(p->key);
  p->key = b.data;
  if (p->nsegs > 0 && p->segs[0].kind == TC_SEG_LIT) {
    b = (tc_buf){0};
    tc_buf_printf(&b, "%s%s", prefix, p->segs[0].text);
    free(p->segs[0].text);
    p->segs[0].text = b.data;
    p->segs[0].len += n;
  }
}

tc_pattern *tc_pattern_parse(tc_diags *diags, tc_token *str,
                             const char *prefix)
{
  tc_pattern *p = tc_xcalloc(1, sizeof *p);
  p->pos = str->pos;
  p->text = str->str;
  pstate st = {diags, p, str->str, str->str_len, str->str_cols, {0}, 0};

  if (st.len == 0 || st.s[0] != '/')
    pat_error(&st, 0, "a pattern must start with '/'");
  parse_pieces(&st);
  p->key = st.key.data ? st.key.data : tc_strdup("");
  add_prefix(p, prefix ? prefix : "");
  str->str = NULL; /* the pattern owns the text now */
  tc_token_free(str);
  return p;
}

/* prefix "/api/v1": a pattern with no parameter that does not end in '/'
 * (the patterns inside start with one). */
bool tc_prefix_check(tc_diags *diags, const tc_token *str)
{
  tc_pattern p = {.pos = str->pos};
  pstate st = {diags, &p, str->str, str->str_len, str->str_cols, {0}, 0};
  if (st.len == 0 || st.s[0] != '/')
    pat_error(&st, 0, "a prefix must start with '/'");
  else if (st.s[st.len - 1] == '/')
    pat_error(&st, st.len - 1, "a prefix must not end with '/' (the "
                               "patterns inside start with one)");
  for (size_t i = 0; i < st.len && !p.bad; i++) {
    unsigned char c = (unsigned char)st.s[i];
    if (c == '{' || c == '}')
      pat_error(&st, i, "a prefix cannot hold parameters");
    else if (!is_litchar(c))
      bad_char(&st, i);
  }
  for (int i = 0; i < p.nsegs; i++)
    free(p.segs[i].text);
  free(p.segs);
  tc_buf_free(&st.key);
  return !p.bad;
}
