/* check.c -- semantic checks: what the grammar cannot say.
 *
 * After these pass, the generators may assume: exactly one app; include
 * paths fit in #include "..."; route names unique (also once upper-cased,
 * as they become enum constants); patterns valid; no two routes accept the
 * same method on the same pattern; handlers are usable C names, and a
 * handler shared by routes gets the same parameters from each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

/* ---- app and include ---------------------------------------------------- */

/* Exactly one `app` across all the input files. */
static void check_app(const tc_program *prog, const tc_file *first,
                      tc_diags *d)
{
  if (prog->napps == 0) {
    tc_pos top = {first, 1, 1, 0};
    tc_error(d, top, "missing 'app' declaration (add 'app NAME;')");
    return;
  }
  for (int i = 1; i < prog->napps; i++) {
    tc_error(d, prog->apps[i].pos, "more than one 'app' declaration");
    tc_note(d, prog->apps[0].pos, "the first 'app' is here");
  }
  /* After other errors the routes may just have failed to parse. */
  if (prog->nroutes == 0 && d->errors == 0)
    tc_error(d, prog->apps[0].pos, "app '%s' has no routes",
             prog->apps[0].text);
}

/* include "FILE": FILE must fit between the quotes of a C #include. */
static void check_include(const tc_name *inc, tc_diags *d)
{
  const char *s = inc->text;
  if (!*s) {
    tc_error(d, inc->pos, "empty include path");
    return;
  }
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
      tc_error(d, inc->pos, "include path cannot contain '%s'",
               c == '"' ? "\"" : c == '\\' ? "\\" : "a control character");
      return;
    }
  }
}

/* ---- Routes ------------------------------------------------------------- */

/* Route names become enum constants APP_ROUTE_NAME: they must stay unique
 * once upper-cased, and COUNT is taken by the constant after the last. */
static void check_route_name(const tc_program *prog, int i, tc_diags *d)
{
  const tc_route *r = prog->routes[i];
  if (tc_strcasecmp(r->name, "count") == 0) {
    tc_error(d, r->name_pos, "route name '%s' is reserved", r->name);
    return;
  }
  for (int j = 0; j < i; j++) {
    const tc_route *o = prog->routes[j];
    if (tc_strcasecmp(r->name, o->name) != 0)
      continue;
    if (strcmp(r->name, o->name) == 0)
      tc_error(d, r->name_pos, "duplicate route name '%s'", r->name);
    else
      tc_error(d, r->name_pos,
               "route names '%s' and '%s' differ only in case", o->name,
               r->name);
    tc_note(d, o->name_pos, "'%s' first declared here", o->name);
    return;
  }
}

/* Two routes on the same pattern must not share a method: the second
 * could never be reached. */
static void check_route_methods(const tc_program *prog, int i, tc_diags *d)
{
  const tc_route *r = prog->routes[i];
  if (r->pattern->bad)
    return;
  for (int j = 0; j < i; j++) {
    const tc_route *o = prog->routes[j];
    unsigned common = r->methods & o->methods;
    if (o->pattern->bad || !common || strcmp(r->pattern->key, o->pattern->key))
      continue;
    tc_buf m = {0};
    tc_methods_text(&m, common);
    tc_error(d, r->pattern->pos,
             "route '%s' matches the same requests as route '%s' (%s \"%s\")",
             r->name, o->name, m.data, r->pattern->text);
    tc_note(d, o->pattern->pos, "route '%s' is here", o->name);
    tc_buf_free(&m);
    return;
  }
}

/* Whether two patterns hand the same parameters (names and types, in
 * order) to a handler. */
static bool same_params(const tc_pattern *a, const tc_pattern *b)
{
  if (a->nparams != b->nparams)
    return false;
  const tc_seg *x = a->segs, *y = b->segs;
  for (int n = 0; n < a->nparams; n++, x++, y++) {
    while (x->kind != TC_SEG_PARAM)
      x++;
    while (y->kind != TC_SEG_PARAM)
      y++;
    if (strcmp(x->text, y->text) != 0 || x->type != y->type)
      return false;
  }
  return true;
}

/* A handler is a C function: its name must be usable, and routes sharing
 * it must give it the same argument struct. */
static void check_route_handler(const tc_program *prog, int i, tc_diags *d)
{
  const tc_route *r = prog->routes[i];
  if (tc_is_c_keyword(r->handler)) {
    tc_error(d, r->handler_pos, "handler name '%s' is a C keyword",
             r->handler);
    return;
  }
  const tc_route *o = tc_gen_handler_owner(prog, r);
  if (o == r || o->pattern->bad || r->pattern->bad)
    return;
  if (!same_params(o->pattern, r->pattern)) {
    tc_error(d, r->handler_pos,
             "handler '%s' is shared with route '%s', which has different "
             "parameters",
             r->handler, o->name);
    tc_note(d, o->handler_pos, "route '%s' uses '%s' here", o->name,
            o->handler);
  }
}

/* ---- Shadowed patterns ---------------------------------------------------
 *
 * Rules are tried in declaration order (re2c picks the first of equally
 * long matches, and every rule matches the whole path). A pattern whose
 * every path is also matched by an earlier, different pattern can never be
 * reached. This is decided on small automata: each pattern becomes an NFA
 * over bytes, and the pair of subset states is explored until a path of the
 * later pattern leaves the earlier one (not shadowed) or no new pair is
 * found (shadowed).
 */

enum { NFA_MAX = 256, NFA_EDGES = 3 * NFA_MAX, PAIRS_MAX = 4096 };
enum { ON_DIGIT = -1, ON_SEGMENT_BYTE = -2 };

typedef struct {
  uint64_t w[NFA_MAX / 64];
} stateset;

typedef struct {
  struct {
    short from, to, on; /* a byte, or ON_DIGIT, or ON_SEGMENT_BYTE */
  } e[NFA_EDGES];
  int nedges, accept;
} nfa;

static bool nfa_edge(nfa *a, int from, int to, int on)
{
  if (a->nedges == NFA_EDGES || to >= NFA_MAX)
    return false;
  a->e[a->nedges].from = (short)from;
  a->e[a->nedges].to = (short)to;
  a->e[a->nedges++].on = (short)on;
  return true;
}

/* Builds the NFA of a pattern; false if it is too big to bother. A new
 * parameter type needs a case here (until then its patterns are not
 * checked for shadowing). */
static bool nfa_build(nfa *a, const tc_pattern *p)
{
  int s = 0;
  bool ok = true;
  a->nedges = 0;
  for (int i = 0; i < p->nsegs && ok; i++) {
    const tc_seg *g = &p->segs[i];
    if (g->kind == TC_SEG_LIT) {
      for (size_t j = 0; j < g->len && ok; j++, s++)
        ok = nfa_edge(a, s, s + 1, (unsigned char)g->text[j]);
    } else if (strcmp(g->type->name, "int") == 0) { /* "-"? [0-9]+ */
      ok = nfa_edge(a, s, s + 1, '-') && nfa_edge(a, s, s + 2, ON_DIGIT) &&
           nfa_edge(a, s + 1, s + 2, ON_DIGIT) &&
           nfa_edge(a, s + 2, s + 2, ON_DIGIT);
      s += 2;
    } else if (strcmp(g->type->name, "str") == 0) { /* [^/\x00]+ */
      ok = nfa_edge(a, s, s + 1, ON_SEGMENT_BYTE) &&
           nfa_edge(a, s + 1, s + 1, ON_SEGMENT_BYTE);
      s += 1;
    } else {
      ok = false;
    }
  }
  a->accept = s;
  return ok;
}

static bool has(const stateset *set, int s)
{
  return (set->w[s / 64] >> (s % 64)) & 1;
}

static bool edge_takes(int on, int c)
{
  if (on == ON_DIGIT)
    return c >= '0' && c <= '9';
  if (on == ON_SEGMENT_BYTE)
    return c != '/' && c != 0;
  return on == c;
}

/* The states reached from `set` on byte `c`; false if none. */
static bool step(const nfa *a, const stateset *set, int c, stateset *out)
{
  bool any = false;
  *out = (stateset){{0}};
  for (int i = 0; i < a->nedges; i++) {
    if (has(set, a->e[i].from) && edge_takes(a->e[i].on, c)) {
      out->w[a->e[i].to / 64] |= (uint64_t)1 << (a->e[i].to % 64);
      any = true;
    }
  }
  return any;
}

/* One byte of each class the two NFAs cannot tell apart. */
static int representatives(const nfa *a, const nfa *b, int reps[256])
{
  bool seen[256] = {false};
  int n = 0;
  const nfa *both[2] = {a, b};
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < both[k]->nedges; i++)
      if (both[k]->e[i].on >= 0 && !seen[both[k]->e[i].on])
        seen[both[k]->e[i].on] = true, reps[n++] = both[k]->e[i].on;
  const char *extra = "/-0123456789!$&'()*+,.:;=@_~abcdefghijklmnopqrstuvwxyz";
  bool digit = false, other = false;
  for (const char *c = extra; *c; c++) {
    bool is_digit = *c >= '0' && *c <= '9';
    if (seen[(unsigned char)*c] || (is_digit && digit) ||
        (!is_digit && *c != '/' && *c != '-' && other))
      continue;
    seen[(unsigned char)*c] = true;
    reps[n++] = (unsigned char)*c;
    digit |= is_digit;
    other |= !is_digit && *c != '/' && *c != '-';
  }
  return n;
}

typedef struct {
  stateset early, late;
} pair;

static bool pair_seen(const pair *pairs, int n, const pair *p)
{
  for (int i = 0; i < n; i++)
    if (memcmp(&pairs[i], p, sizeof *p) == 0)
      return true;
  return false;
}

/* Whether every path `late` matches is matched by `early`. */
static bool shadows(const tc_pattern *early, const tc_pattern *late)
{
  nfa *a = tc_xmalloc(sizeof *a), *b = tc_xmalloc(sizeof *b);
  pair *pairs = NULL;
  int reps[256], nreps, n = 0, cap = 0;
  bool result = false;
  if (!nfa_build(a, early) || !nfa_build(b, late))
    goto done;
  nreps = representatives(a, b, reps);
  pairs = tc_grow(pairs, n, &cap, sizeof *pairs);
  pairs[n++] = (pair){{{1}}, {{1}}}; /* both NFAs in their state 0 */
  result = true;
  for (int i = 0; i < n && result; i++) {
    if (has(&pairs[i].late, b->accept) && !has(&pairs[i].early, a->accept))
      result = false;
    for (int r = 0; r < nreps && result; r++) {
      pair next;
      if (!step(b, &pairs[i].late, reps[r], &next.late))
        continue;
      /* Every NFA state can still reach its accept state, so a path of
       * `late` that `early` cannot follow is a path only `late` matches. */
      if (!step(a, &pairs[i].early, reps[r], &next.early))
        result = false;
      else if (pair_seen(pairs, n, &next))
        continue;
      else if (n == PAIRS_MAX)
        result = false; /* too big to decide: assume it is reachable */
      else
        pairs = tc_grow(pairs, n, &cap, sizeof *pairs), pairs[n++] = next;
    }
  }
done:
  free(a);
  free(b);
  free(pairs);
  return result;
}

/* Whether the literal text before the first parameter of `a` and of `b`
 * disagree: then no path matches both, and no automaton is needed. */
static bool prefixes_differ(const tc_pattern *a, const tc_pattern *b)
{
  if (a->nsegs == 0 || b->nsegs == 0 || a->segs[0].kind != TC_SEG_LIT ||
      b->segs[0].kind != TC_SEG_LIT)
    return false;
  size_t n = a->segs[0].len < b->segs[0].len ? a->segs[0].len : b->segs[0].len;
  return memcmp(a->segs[0].text, b->segs[0].text, n) != 0;
}

/* Reports route `i` if an earlier rule takes all its paths. Only the first
 * route of each pattern is a rule; and only a pattern with a parameter can
 * take the paths of a different one. */
static void check_route_reachable(const tc_program *prog, int i, tc_diags *d)
{
  const tc_route *r = prog->routes[i];
  if (r->pattern->bad)
    return;
  for (int j = 0; j < i; j++)
    if (strcmp(prog->routes[j]->pattern->key, r->pattern->key) == 0)
      return; /* not a rule of its own */
  for (int j = 0; j < i; j++) {
    const tc_pattern *p = prog->routes[j]->pattern;
    if (p->bad || p->nparams == 0 || prefixes_differ(p, r->pattern) ||
        !shadows(p, r->pattern))
      continue;
    tc_error(d, r->pattern->pos,
             "route '%s' can never match: route '%s' comes first and "
             "matches all its paths",
             r->name, prog->routes[j]->name);
    tc_note(d, p->pos, "route '%s' is here (declare '%s' before it)",
            prog->routes[j]->name, r->name);
    return;
  }
}

void tc_check(const tc_program *prog, const tc_file *first, tc_diags *d)
{
  check_app(prog, first, d);
  for (int i = 0; i < prog->nincludes; i++)
    check_include(&prog->includes[i], d);
  for (int i = 0; i < prog->nroutes; i++) {
    check_route_name(prog, i, d);
    check_route_methods(prog, i, d);
    check_route_handler(prog, i, d);
    check_route_reachable(prog, i, d);
  }
}
