/* regex.c -- the regular expressions of parameters: the built-in types
 * and the inline {name:REGEX} patterns, as one small AST.
 *
 * tornc never hands a user's regex text to re2c. It parses it here,
 * checks it (balanced, no empty match, only bytes a path segment may hold
 * as sent), and writes the re2c text itself from the AST. The same AST
 * also becomes an NFA for the ambiguity check (check.c). The built-in
 * types are ASTs too, built by code (`int` and `uint` as canonical
 * decimals; their range is checked when dispatching, see rx_int).
 *
 *   alt    := cat ('|' cat)*
 *   cat    := repeat*
 *   repeat := atom ('*' | '+' | '?' | '{' n '}' | '{' n ',' '}' | '{' n ',' m '}')?
 *   atom   := byte | '\' punct | '.' | '[' '^'? range+ ']' | '(' alt ')'
 */
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

/* ---- Byte sets ---------------------------------------------------------- */

void tc_set_add(tc_set *s, int c) { s->w[c >> 6] |= (uint64_t)1 << (c & 63); }

bool tc_set_has(const tc_set *s, int c)
{
  return (s->w[c >> 6] >> (c & 63)) & 1;
}

static void set_range(tc_set *s, int lo, int hi)
{
  for (int c = lo; c <= hi; c++)
    tc_set_add(s, c);
}

static bool set_empty(const tc_set *s)
{
  return !(s->w[0] | s->w[1] | s->w[2] | s->w[3]);
}

bool tc_set_meets(const tc_set *a, const tc_set *b)
{
  for (int i = 0; i < 4; i++)
    if (a->w[i] & b->w[i])
      return true;
  return false;
}

/* The bytes a path segment holds as sent, RFC 3986's pchar without '%':
 * unreserved, sub-delims, ':' and '@'. What an inline pattern may match,
 * so its values need no encoding and no decoding. */
static tc_set url_safe(void)
{
  tc_set s = {{0}};
  set_range(&s, 'a', 'z');
  set_range(&s, 'A', 'Z');
  set_range(&s, '0', '9');
  for (const char *p = "-._~!$&'()*+,;=:@"; *p; p++)
    tc_set_add(&s, (unsigned char)*p);
  return s;
}

static void set_and(tc_set *s, const tc_set *m)
{
  for (int i = 0; i < 4; i++)
    s->w[i] &= m->w[i];
}

/* ---- Building the AST --------------------------------------------------- */

static tc_rx *rx_new(int kind, tc_rx *a, tc_rx *b)
{
  tc_rx *r = tc_xcalloc(1, sizeof *r);
  r->kind = kind;
  r->a = a;
  r->b = b;
  return r;
}

static tc_rx *rx_set(tc_set s)
{
  tc_rx *r = rx_new(TC_RX_SET, NULL, NULL);
  r->set = s;
  return r;
}

static tc_rx *rx_byte_range(int lo, int hi)
{
  tc_set s = {{0}};
  set_range(&s, lo, hi);
  return rx_set(s);
}

/* a b, where either may be NULL (nothing) */
static tc_rx *rx_cat(tc_rx *a, tc_rx *b)
{
  return !a ? b : !b ? a : rx_new(TC_RX_CAT, a, b);
}

static tc_rx *rx_alt(tc_rx *a, tc_rx *b)
{
  return !a ? b : !b ? a : rx_new(TC_RX_ALT, a, b);
}

/* a{min,max}; max < 0 for no bound */
static tc_rx *rx_rep(tc_rx *a, int min, int max)
{
  tc_rx *r = rx_new(TC_RX_REP, a, NULL);
  r->min = min;
  r->max = max;
  return r;
}

static tc_rx *rx_lit(const char *s)
{
  tc_rx *r = NULL;
  for (; *s; s++)
    r = rx_cat(r, rx_byte_range((unsigned char)*s, (unsigned char)*s));
  return r;
}

void tc_rx_free(tc_rx *r)
{
  if (!r)
    return;
  tc_rx_free(r->a);
  tc_rx_free(r->b);
  free(r);
}

/* ---- The built-in types -------------------------------------------------- */

/* [1-9] [0-9]*: a canonical positive number. */
static tc_rx *rx_positive(void)
{
  return rx_cat(rx_byte_range('1', '9'), rx_rep(rx_byte_range('0', '9'), 0,
                                                -1));
}

/* `int` in canonical decimal, "0" | "-"? [1-9][0-9]*: one value, one
 * spelling. The range is not in the automaton: bounding 19 digits against
 * INT64_MAX costs some 50 DFA states wherever an int can appear, which made
 * a 1,000-route table take minutes to compile (and re2c stops at 100,000
 * states). The generated dispatcher checks the range instead, so an
 * out-of-range number is a 404, never a wrapped value. */
static tc_rx *rx_int(void)
{
  return rx_alt(rx_lit("0"), rx_cat(rx_rep(rx_lit("-"), 0, 1), rx_positive()));
}

/* `uint`: "0" | [1-9][0-9]*, the range checked likewise. */
static tc_rx *rx_uint(void)
{
  return rx_alt(rx_lit("0"), rx_positive());
}

/* One or more bytes but NUL, '?', ' ' (what ends a path) and `also`. */
static tc_rx *rx_run_but(const char *also)
{
  tc_set s = {{0}};
  set_range(&s, 1, 255);
  for (const char *p = also; *p; p++)
    s.w[(unsigned char)*p >> 6] &= ~((uint64_t)1 << (*p & 63));
  s.w[0] &= ~((uint64_t)1 << '?' | (uint64_t)1 << ' ');
  return rx_rep(rx_set(s), 1, -1);
}

static tc_rx *rx_slug(void)
{
  tc_set s = {{0}};
  set_range(&s, 'a', 'z');
  set_range(&s, 'A', 'Z');
  set_range(&s, '0', '9');
  tc_set_add(&s, '_');
  tc_set_add(&s, '-');
  return rx_rep(rx_set(s), 1, -1);
}

static tc_rx *rx_uuid(void)
{
  tc_set hex = {{0}};
  set_range(&hex, '0', '9');
  set_range(&hex, 'a', 'f');
  set_range(&hex, 'A', 'F');
  static const int groups[] = {8, 4, 4, 4, 12};
  tc_rx *r = NULL;
  for (int i = 0; i < 5; i++) {
    if (i)
      r = rx_cat(r, rx_lit("-"));
    r = rx_cat(r, rx_rep(rx_set(hex), groups[i], groups[i]));
  }
  return r;
}

const tc_type tc_types[] = {
    {"int", "int64_t", "int64_t", TC_INT},
    {"uint", "uint64_t", "uint64_t", TC_UINT},
    {"str", "tn_str_t", "const char *", TC_STR},
    {"slug", "tn_str_t", "const char *", TC_CHECKED},
    {"uuid", "tn_str_t", "const char *", TC_CHECKED},
    {"path", "tn_str_t", "const char *", TC_PATH},
};
const int tc_ntypes = (int)(sizeof tc_types / sizeof tc_types[0]);
const tc_type tc_type_inline = {"inline", "tn_str_t", "const char *",
                                TC_CHECKED};

const char *const tc_type_names = "int, uint, str, slug, uuid, path";

/* The AST of built-in type `t`, built on first use and kept. */
const tc_rx *tc_type_rx(const tc_type *t)
{
  static tc_rx *cache[sizeof tc_types / sizeof tc_types[0]];
  int i = (int)(t - tc_types);
  if (!cache[i]) {
    switch (i) {
    case 0: cache[i] = rx_int(); break;
    case 1: cache[i] = rx_uint(); break;
    case 2: cache[i] = rx_run_but("/"); break;
    case 3: cache[i] = rx_slug(); break;
    case 4: cache[i] = rx_uuid(); break;
    default: cache[i] = rx_run_but(""); break;
    }
  }
  return cache[i];
}

/* ---- Parsing inline patterns -------------------------------------------- */

typedef struct {
  const char *s;
  size_t n, i;
  tc_rx_error_fn err;
  void *ctx;
  bool bad;
  tc_set safe;
} rxp;

static void rx_error(rxp *p, size_t at, const char *msg)
{
  if (!p->bad)
    p->err(p->ctx, at, msg);
  p->bad = true;
}

static bool more(const rxp *p) { return p->i < p->n && !p->bad; }

static tc_rx *parse_alt(rxp *p);

/* A byte outside the URL-safe set, described for an error. */
static void unsafe_msg(char *out, size_t size, int c, const char *what)
{
  if (c > 0x20 && c < 0x7f)
    snprintf(out, size, "%s '%c' never appears in a path segment as sent "
                        "(only A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ do)",
             what, c);
  else
    snprintf(out, size, "%s byte 0x%02x never appears in a path segment as "
                        "sent", what, c);
}

/* A set from the pattern, made URL-safe; an error if nothing is left. */
static tc_rx *safe_set(rxp *p, tc_set s, size_t at, int single)
{
  set_and(&s, &p->safe);
  if (set_empty(&s)) {
    char msg[200];
    if (single >= 0)
      unsafe_msg(msg, sizeof msg, single, "character");
    else
      snprintf(msg, sizeof msg, "character class matches no byte allowed in "
                                "a path segment");
    rx_error(p, at, msg);
  }
  return rx_set(s);
}

/* '\' punct: the punctuation byte itself. Returns the byte or -1. */
static int parse_escape(rxp *p)
{
  size_t at = p->i++;
  if (p->i == p->n) {
    rx_error(p, at, "'\\' at the end of the pattern");
    return -1;
  }
  unsigned char c = (unsigned char)p->s[p->i++];
  if (!(c > 0x20 && c < 0x7f) || (c >= '0' && c <= '9') ||
      ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
    rx_error(p, at, "unknown escape (only punctuation is escaped: '\\.')");
    return -1;
  }
  return c;
}

/* One member of a class: a byte or an escape. */
static int class_byte(rxp *p)
{
  if (p->s[p->i] == '\\')
    return parse_escape(p);
  return (unsigned char)p->s[p->i++];
}

/* '[' '^'? (byte | byte '-' byte)+ ']' */
static tc_rx *parse_class(rxp *p)
{
  size_t open = p->i++;
  bool negate = p->i < p->n && p->s[p->i] == '^';
  p->i += negate;
  tc_set s = {{0}};
  bool first = true;
  while (more(p) && (p->s[p->i] != ']' || first)) {
    first = false;
    size_t at = p->i;
    int lo = class_byte(p), hi = lo;
    if (more(p) && p->s[p->i] == '-' && p->i + 1 < p->n &&
        p->s[p->i + 1] != ']') {
      p->i++;
      hi = class_byte(p);
      if (hi >= 0 && hi < lo)
        rx_error(p, at, "range out of order in character class");
    }
    if (lo >= 0 && hi >= 0)
      set_range(&s, lo, hi);
  }
  if (p->bad)
    return NULL;
  if (p->i == p->n) {
    rx_error(p, open, "unclosed '[' in pattern");
    return NULL;
  }
  p->i++;
  if (negate)
    for (int i = 0; i < 4; i++)
      s.w[i] = ~s.w[i];
  return safe_set(p, s, open, -1);
}

static tc_rx *parse_atom(rxp *p)
{
  size_t at = p->i;
  unsigned char c = (unsigned char)p->s[p->i];
  if (c == '(') {
    p->i++;
    tc_rx *r = parse_alt(p);
    if (!p->bad && (p->i == p->n || p->s[p->i] != ')'))
      rx_error(p, at, "unclosed '(' in pattern");
    p->i++;
    return r;
  }
  if (c == '[')
    return parse_class(p);
  if (c == '.') {
    p->i++;
    return rx_set(p->safe);
  }
  if (c == '*' || c == '+' || c == '?' || c == '{') {
    rx_error(p, at, "nothing to repeat before this quantifier");
    return NULL;
  }
  if (c == ']' || c == '}') {
    rx_error(p, at, c == ']' ? "']' without a matching '['"
                             : "'}' without a matching '{'");
    return NULL;
  }
  int b = c == '\\' ? parse_escape(p) : (p->i++, c);
  if (b < 0)
    return NULL;
  tc_set s = {{0}};
  tc_set_add(&s, b);
  return safe_set(p, s, at, b);
}

/* A decimal number of a {n,m} quantifier; -1 if there is none. */
static int parse_count(rxp *p)
{
  if (p->i == p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
    return -1;
  long v = 0;
  while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
    v = v * 10 + (p->s[p->i++] - '0');
    if (v > 100000)
      v = 100000;
  }
  return (int)v;
}

enum { RX_MAX_COUNT = 255 };

/* '{' n (',' m?)? '}' after an atom. */
static tc_rx *parse_braces(rxp *p, tc_rx *atom)
{
  size_t open = p->i++;
  int min = parse_count(p), max = min;
  if (min >= 0 && p->i < p->n && p->s[p->i] == ',') {
    p->i++;
    max = parse_count(p);
  }
  if (min < 0 || p->i == p->n || p->s[p->i] != '}') {
    rx_error(p, open, "bad repetition (write {n}, {n,} or {n,m})");
    return atom;
  }
  p->i++;
  if (min > RX_MAX_COUNT || max > RX_MAX_COUNT)
    rx_error(p, open, "repetition count too large (at most 255)");
  else if (max >= 0 && max < min)
    rx_error(p, open, "bad repetition: the maximum is below the minimum");
  else if (max == 0)
    rx_error(p, open, "bad repetition: {0} matches nothing");
  return rx_rep(atom, min, max);
}

static tc_rx *parse_repeat(rxp *p)
{
  tc_rx *r = parse_atom(p);
  if (!more(p))
    return r;
  char c = p->s[p->i];
  if (c == '*' || c == '+' || c == '?') {
    p->i++;
    r = rx_rep(r, c == '+', c == '?' ? 1 : -1);
  } else if (c == '{') {
    r = parse_braces(p, r);
  } else {
    return r;
  }
  if (more(p) && strchr("*+?{", p->s[p->i]))
    rx_error(p, p->i, "bad repetition: a quantifier cannot follow another");
  return r;
}

static tc_rx *parse_cat(rxp *p)
{
  tc_rx *r = NULL;
  while (more(p) && p->s[p->i] != '|' && p->s[p->i] != ')')
    r = rx_cat(r, parse_repeat(p));
  return r;
}

/* An empty alternative or group is a match of nothing. */
static tc_rx *empty(void) { return rx_rep(rx_byte_range(0, 0), 0, 0); }

static tc_rx *parse_alt(rxp *p)
{
  tc_rx *r = parse_cat(p);
  if (!r)
    r = empty();
  while (more(p) && p->s[p->i] == '|') {
    p->i++;
    tc_rx *b = parse_cat(p);
    r = rx_alt(r, b ? b : empty());
  }
  return r;
}

bool tc_rx_nullable(const tc_rx *r)
{
  switch (r->kind) {
  case TC_RX_SET: return false;
  case TC_RX_CAT: return tc_rx_nullable(r->a) && tc_rx_nullable(r->b);
  case TC_RX_ALT: return tc_rx_nullable(r->a) || tc_rx_nullable(r->b);
  default: return r->min == 0 || tc_rx_nullable(r->a);
  }
}

tc_rx *tc_rx_parse(const char *s, size_t n, tc_rx_error_fn err, void *ctx)
{
  rxp p = {s, n, 0, err, ctx, false, url_safe()};
  tc_rx *r = parse_alt(&p);
  if (!p.bad && p.i < n)
    rx_error(&p, p.i, "')' without a matching '('");
  if (!p.bad && tc_rx_nullable(r))
    rx_error(&p, 0, "the pattern can match the empty string (a parameter "
                    "is never empty)");
  if (p.bad) {
    tc_rx_free(r);
    return NULL;
  }
  return r;
}

/* ---- re2c text ----------------------------------------------------------- */

static void put_class_byte(tc_buf *b, int c)
{
  if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
    tc_buf_printf(b, "%c", c);
  else
    tc_buf_printf(b, "\\x%02X", c);
}

static void put_set(tc_buf *b, const tc_set *s)
{
  tc_buf_printf(b, "[");
  for (int c = 0; c < 256; c++) {
    if (!tc_set_has(s, c))
      continue;
    int hi = c;
    while (hi < 255 && tc_set_has(s, hi + 1))
      hi++;
    put_class_byte(b, c);
    if (hi > c) {
      tc_buf_printf(b, "-");
      put_class_byte(b, hi);
    }
    c = hi;
  }
  tc_buf_printf(b, "]");
}

/* The one byte of a set, or -1 if it has none or several. */
static int single_byte(const tc_set *s)
{
  int found = -1;
  for (int c = 0; c < 256; c++) {
    if (!tc_set_has(s, c))
      continue;
    if (found >= 0)
      return -1;
    found = c;
  }
  return found;
}

/* Writes `r`; `tight` is how tightly its context binds: 0 at the top or in
 * an alternative, 1 in a concatenation, 2 under a repetition. */
static void rx_out(tc_buf *b, const tc_rx *r, int tight)
{
  int own = r->kind == TC_RX_ALT ? 0 : r->kind == TC_RX_CAT ? 1
          : r->kind == TC_RX_REP ? 2 : 3;
  bool paren = own < tight;
  tc_buf_printf(b, paren ? "(" : "");
  switch (r->kind) {
  case TC_RX_SET: {
    int c = single_byte(&r->set);
    if (c >= 0 && ((c >= '0' && c <= '9') ||
                   ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
      tc_buf_printf(b, "\"%c\"", c);
    else
      put_set(b, &r->set);
    break;
  }
  case TC_RX_CAT:
  case TC_RX_ALT:
    rx_out(b, r->a, own);
    tc_buf_printf(b, r->kind == TC_RX_CAT ? " " : " | ");
    rx_out(b, r->b, own);
    break;
  default:
    rx_out(b, r->a, 3);
    if (r->max < 0)
      tc_buf_printf(b, r->min == 0 ? "*" : r->min == 1 ? "+" : "{%d,}", r->min);
    else if (r->min == r->max)
      tc_buf_printf(b, "{%d}", r->min);
    else
      tc_buf_printf(b, "{%d,%d}", r->min, r->max);
  }
  tc_buf_printf(b, paren ? ")" : "");
}

void tc_rx_re2c(tc_buf *b, const tc_rx *r) { rx_out(b, r, 0); }

/* ---- NFA ------------------------------------------------------------------
 *
 * Thompson's construction, with counted repetitions unrolled. Each state
 * carries the number of the pattern segment it belongs to, which is what
 * the ambiguity check compares.
 */

static int nfa_state(tc_nfa *a, int seg)
{
  if (a->nstates >= TC_NFA_MAX) {
    a->full = true;
    return 0;
  }
  a->seg = tc_grow(a->seg, a->nstates, &a->cstates, sizeof *a->seg);
  a->seg[a->nstates] = seg;
  return a->nstates++;
}

void tc_nfa_edge(tc_nfa *a, int from, int to, const tc_set *set)
{
  a->edges = tc_grow(a->edges, a->nedges, &a->cedges, sizeof *a->edges);
  a->edges[a->nedges++] = (tc_nfa_edge_t){from, to, set ? *set : (tc_set){{0}},
                                          set == NULL};
}

/* Adds `r` from state `from`; returns its end state. */
int tc_nfa_add(tc_nfa *a, const tc_rx *r, int from, int seg)
{
  if (a->full)
    return from;
  switch (r->kind) {
  case TC_RX_SET: {
    int to = nfa_state(a, seg);
    tc_nfa_edge(a, from, to, &r->set);
    return to;
  }
  case TC_RX_CAT:
    return tc_nfa_add(a, r->b, tc_nfa_add(a, r->a, from, seg), seg);
  case TC_RX_ALT: {
    int to = nfa_state(a, seg);
    tc_nfa_edge(a, tc_nfa_add(a, r->a, from, seg), to, NULL);
    tc_nfa_edge(a, tc_nfa_add(a, r->b, from, seg), to, NULL);
    return to;
  }
  default: {
    int s = from;
    for (int i = 0; i < r->min; i++)
      s = tc_nfa_add(a, r->a, s, seg);
    if (r->max < 0) { /* s (a)* : loop back through a fresh state */
      int loop = nfa_state(a, seg);
      tc_nfa_edge(a, s, loop, NULL);
      tc_nfa_edge(a, tc_nfa_add(a, r->a, loop, seg), loop, NULL);
      return loop;
    }
    int end = nfa_state(a, seg);
    for (int i = r->min; i < r->max && !a->full; i++) {
      tc_nfa_edge(a, s, end, NULL);
      s = tc_nfa_add(a, r->a, s, seg);
    }
    tc_nfa_edge(a, s, end, NULL);
    return end;
  }
  }
}

int tc_nfa_start(tc_nfa *a) { return nfa_state(a, 0); }

void tc_nfa_free(tc_nfa *a)
{
  free(a->seg);
  free(a->edges);
  *a = (tc_nfa){0};
}
