/* pattern.c -- parses the "PATTERN" string of a route.
 *
 *   pattern := '/' piece*
 *   piece   := litchar+ | '{' name ':' type '}'
 *   litchar := any printable ASCII byte except space { } ? #
 *   name    := a C identifier, not a C keyword
 *   type    := int | str
 *
 * The pattern arrives as a decoded string together with the source column
 * of each byte, so an error inside it points at the exact character of the
 * .troute line even after an escape sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

/* ---- Parameter types ---------------------------------------------------- */

/* An int ends at the first non-digit: anything but a digit may follow. */
static bool int_may_follow(int c)
{
  return !(c >= '0' && c <= '9') && c != '{';
}

/* A str takes a whole path segment, so only a '/' may follow it. */
static bool str_may_follow(int c)
{
  return c == '/';
}

const tc_type tc_types[] = {
    {"int", "int64_t", "\"-\"? [0-9]+", "tn_parse_int64", int_may_follow},
    {"str", "tn_str_t", "[^/\\x00]+", NULL, str_may_follow},
};
const int tc_ntypes = (int)(sizeof tc_types / sizeof tc_types[0]);

/* Why a type's parameter cannot be followed by some byte, for errors. */
static const char *follow_rule(const tc_type *t)
{
  return t->may_follow == str_may_follow
             ? "must be followed by '/' or the end of the pattern"
             : "cannot be followed by a digit or another parameter";
}

static const tc_type *find_type(const char *name, size_t len)
{
  for (int i = 0; i < tc_ntypes; i++)
    if (strlen(tc_types[i].name) == len &&
        memcmp(tc_types[i].name, name, len) == 0)
      return &tc_types[i];
  return NULL;
}

/* ---- Parser state ------------------------------------------------------- */

typedef struct {
  tc_diags *diags;
  tc_pattern *pat;
  const char *s;   /* the decoded pattern */
  size_t len;
  const int *cols; /* source column of each byte, and of the closing quote */
  tc_buf key;
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

/* Looks up the type of '{name:type}' at bytes [i, end), `colon` being the
 * index of the ':' or `end` if there is none. */
static const tc_type *param_type(pstate *st, const tc_seg *seg, size_t colon,
                                 size_t end)
{
  if (colon == end || colon + 1 == end) {
    pat_error(st, end, "missing type for parameter '%s' (known: int, str)",
              seg->text);
    return NULL;
  }
  const tc_type *t = find_type(st->s + colon + 1, end - colon - 1);
  if (!t)
    pat_error(st, colon + 1, "unknown parameter type '%.*s' (known: int, str)",
              (int)(end - colon - 1), st->s + colon + 1);
  return t;
}

/* '{' name ':' type '}' starting at byte `i`; returns the index after it.
 * An unclosed '{' ends at the next '/' or '{', where parsing resumes. */
static size_t parse_param(pstate *st, size_t i)
{
  size_t end = i + 1, colon = 0;
  while (end < st->len && !strchr("}/{", st->s[end])) {
    if (st->s[end] == ':' && !colon)
      colon = end;
    end++;
  }
  if (end == st->len || st->s[end] != '}') {
    pat_error(st, i, "unterminated '{' in pattern");
    return end;
  }
  if (!colon)
    colon = end;

  tc_seg *seg = add_seg(st, TC_SEG_PARAM, i);
  seg->name_pos = at(st, i + 1);
  seg->text = tc_strndup(st->s + i + 1, colon - i - 1);
  seg->len = colon - i - 1;
  if (check_param_name(st, i + 1, colon))
    check_param_unique(st, seg);
  seg->type = param_type(st, seg, colon, end);
  st->pat->nparams++;
  tc_buf_printf(&st->key, "{:%s}", seg->type ? seg->type->name : "?");
  return end + 1;
}

/* A parameter's text must end unambiguously where the next piece starts,
 * or re2c could not tell where to put the capture's end. */
static void check_follow(pstate *st, const tc_seg *seg, size_t next)
{
  if (!seg->type || next >= st->len)
    return;
  unsigned char c = (unsigned char)st->s[next];
  if (seg->type->may_follow(c))
    return;
  pat_error(st, next, "'%s' parameter '%s' %s", seg->type->name, seg->text,
            follow_rule(seg->type));
}

/* ---- Entry point -------------------------------------------------------- */

tc_pattern *tc_pattern_parse(tc_diags *diags, tc_token *str)
{
  tc_pattern *p = tc_xcalloc(1, sizeof *p);
  p->pos = str->pos;
  p->text = str->str;
  pstate st = {diags, p, str->str, str->str_len, str->str_cols, {0}};

  if (st.len == 0 || st.s[0] != '/')
    pat_error(&st, 0, "a pattern must start with '/'");
  size_t i = 0;
  while (i < st.len) {
    unsigned char c = (unsigned char)st.s[i];
    if (c == '{') {
      int nsegs = p->nsegs;
      i = parse_param(&st, i);
      if (p->nsegs > nsegs)
        check_follow(&st, &p->segs[p->nsegs - 1], i);
    } else if (is_litchar(c)) {
      i = parse_literal(&st, i);
    } else {
      i = bad_char(&st, i);
    }
  }

  p->key = st.key.data ? st.key.data : tc_strdup("");
  str->str = NULL; /* the pattern owns the text now */
  tc_token_free(str);
  return p;
}
