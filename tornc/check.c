/* check.c -- semantic checks: what the grammar cannot say.
 *
 * After these pass, the generators may assume: exactly one app; include
 * paths fit in #include "..."; route and websocket names unique together
 * (also once upper-cased, as they become enum constants); patterns valid
 * and unambiguous, with at most 32 parameters; no two routes, redirects or
 * websockets accept the same method on the same pattern; handlers are
 * usable C names, a handler shared by routes gets the same parameters from
 * each, and a websocket's handler is its own; every redirect leads to a
 * route with the same parameters; hook functions are usable C names; a
 * login_url naming a route names one without parameters; `authenticated`
 * routes have a current_user hook to ask; a ping timeout comes with a
 * ping interval.
 *
 * Whether a route can be reached at all is decided on the automaton
 * itself, by re2c (automaton.c), once these checks have passed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

/* ---- app and include ---------------------------------------------------- */

/* The app's header is APP.h, found on the include path ahead of the
 * system's: an app named like a header the C library, libuv, jansson or
 * torn include would replace that header in every file that includes it,
 * and the C compiler's errors would point deep inside libc. */
static const char *const shadowed_headers[] = {
    "assert", "complex", "ctype", "errno", "fenv", "float", "inttypes",
    "iso646", "limits", "locale", "math", "setjmp", "signal", "stdalign",
    "stdarg", "stdatomic", "stdbool", "stddef", "stdint", "stdio", "stdlib",
    "stdnoreturn", "string", "strings", "tgmath", "threads", "time", "uchar",
    "wchar", "wctype", "features", "alloca", "unistd", "fcntl", "pthread",
    "sched", "netdb", "poll", "termios", "dlfcn", "endian", "memory",
    "malloc", "uv", "jansson", "jansson_config", "zlib", "zconf", "torn",
};

static void check_app_name(const tc_name *app, tc_diags *d)
{
  for (size_t i = 0; i < sizeof shadowed_headers / sizeof *shadowed_headers;
       i++) {
    if (strcmp(app->text, shadowed_headers[i]) == 0) {
      tc_error(d, app->pos,
               "app name '%s' would generate %s.h, which hides the system "
               "header <%s.h>; choose another name",
               app->text, app->text, app->text);
      return;
    }
  }
}

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
  check_app_name(&prog->apps[0], d);
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

static const char *kind_word(const tc_route *r)
{
  return r->websocket ? "websocket" : "route";
}

/* Route and websocket names become enum constants APP_ROUTE_NAME: they
 * must stay unique together once upper-cased, and COUNT is taken by the
 * constant after the last. */
static void check_route_name(const tc_program *prog, int i, tc_diags *d)
{
  const tc_route *r = prog->routes[i];
  if (tc_strcasecmp(r->name, "count") == 0) {
    tc_error(d, r->name_pos, "%s name '%s' is reserved", kind_word(r),
             r->name);
    return;
  }
  for (int j = 0; j < i; j++) {
    const tc_route *o = prog->routes[j];
    if (o->redirect || tc_strcasecmp(r->name, o->name) != 0)
      continue;
    bool same_kind = o->websocket == r->websocket;
    if (strcmp(r->name, o->name) != 0)
      tc_error(d, r->name_pos, "%s%snames '%s' and '%s' differ only in case",
               same_kind ? kind_word(r) : "", same_kind ? " " : "", o->name,
               r->name);
    else if (same_kind)
      tc_error(d, r->name_pos, "duplicate %s name '%s'", kind_word(r),
               r->name);
    else
      tc_error(d, r->name_pos,
               "duplicate name '%s' (routes and websockets share one set of "
               "names)",
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
    tc_buf m = {0}, x = {0}, y = {0};
    tc_methods_text(&m, common & ~(unsigned)TC_OTHER);
    tc_describe(&x, r);
    tc_describe(&y, o);
    tc_error(d, r->pattern->pos,
             "%s matches the same requests as %s (%s \"%s\")", x.data,
             y.data, m.data, r->pattern->text);
    tc_note(d, o->pattern->pos, "%s is here", y.data);
    tc_buf_free(&m);
    tc_buf_free(&x);
    tc_buf_free(&y);
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

/* A websocket's handler is an object of a type of its own (struct
 * APP_NAME_ws), a route's a function: neither can be the other's, nor
 * another websocket's. `o` is the first route or websocket naming the
 * handler of `r`. */
static void check_ws_handler(const tc_route *r, const tc_route *o,
                             tc_diags *d)
{
  if (o->websocket && r->websocket)
    tc_error(d, r->handler_pos,
             "handler '%s' is already the callbacks of websocket '%s': each "
             "websocket needs an object of its own type",
             r->handler, o->name);
  else if (o->websocket)
    tc_error(d, r->handler_pos,
             "handler '%s' is the callbacks of websocket '%s', not a "
             "function a route can call",
             r->handler, o->name);
  else
    tc_error(d, r->handler_pos,
             "handler '%s' is the function of route '%s', not callbacks a "
             "websocket can use",
             r->handler, o->name);
  tc_buf who = {0};
  tc_describe(&who, o);
  tc_note(d, o->handler_pos, "%s uses '%s' here", who.data, o->handler);
  tc_buf_free(&who);
}

/* A handler is a C function, or a websocket's object of callbacks: its
 * name must be usable, and routes sharing a function must give it the same
 * argument struct. */
static void check_route_handler(const tc_program *prog, int i, tc_diags *d)
{
  const tc_route *r = prog->routes[i];
  if (tc_is_c_keyword(r->handler)) {
    tc_error(d, r->handler_pos, "handler name '%s' is a C keyword",
             r->handler);
    return;
  }
  if (tc_is_libc_name(r->handler)) {
    tc_error(d, r->handler_pos,
             "handler name '%s' is a C library function, which the static "
             "server binary would then call instead of the library's; "
             "choose another name", r->handler);
    return;
  }
  const tc_route *o = tc_gen_handler_owner(prog, r);
  if (o != r && (o->websocket || r->websocket)) {
    check_ws_handler(r, o, d);
    return;
  }
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

/* ---- Redirects ------------------------------------------------------------ */

const tc_route *tc_route_named(const tc_program *prog, const char *name)
{
  for (int i = 0; i < prog->nroutes; i++) {
    const tc_route *o = prog->routes[i];
    if (!o->redirect && strcmp(o->name, name) == 0)
      return o;
  }
  return NULL;
}

const tc_route *tc_redirect_target(const tc_program *prog, const tc_route *r)
{
  return tc_route_named(prog, r->target);
}

/* The parameter of `p` named `name`, or NULL. */
static const tc_seg *find_param(const tc_pattern *p, const char *name)
{
  for (int i = 0; i < p->nsegs; i++)
    if (p->segs[i].kind == TC_SEG_PARAM && strcmp(p->segs[i].text, name) == 0)
      return &p->segs[i];
  return NULL;
}

static bool same_type(const tc_seg *a, const tc_seg *b)
{
  if (a->type != b->type)
    return false;
  return !a->rx_text || strcmp(a->rx_text, b->rx_text) == 0;
}

/* "int", or "[a-z]+" for an inline pattern. */
static const char *type_text(const tc_seg *s)
{
  return s->rx_text ? s->rx_text : s->type->name;
}

/* A redirect must lead to a route, with the same parameters (names and
 * types, in any order) so that its URL can be built from the captures. */
static void check_redirect(const tc_program *prog, const tc_route *r,
                           tc_diags *d)
{
  const tc_route *t = tc_redirect_target(prog, r);
  if (!t) {
    tc_error(d, r->target_pos, "redirect to unknown route '%s'", r->target);
    return;
  }
  const tc_pattern *from = r->pattern, *to = t->pattern;
  if (from->bad || to->bad)
    return;
  for (int i = 0; i < from->nsegs; i++) {
    const tc_seg *s = &from->segs[i];
    if (s->kind != TC_SEG_PARAM)
      continue;
    const tc_seg *o = find_param(to, s->text);
    if (o && same_type(s, o))
      continue;
    if (o)
      tc_error(d, s->pos, "parameter '%s' is '%s' here but '%s' in %s '%s'",
               s->text, type_text(s), type_text(o), kind_word(t), t->name);
    else
      tc_error(d, s->pos, "%s '%s' has no parameter '%s' to redirect to",
               kind_word(t), t->name, s->text);
    tc_note(d, to->pos, "%s '%s' is here", kind_word(t), t->name);
    return;
  }
  for (int i = 0; i < to->nsegs; i++) {
    const tc_seg *o = &to->segs[i];
    if (o->kind == TC_SEG_PARAM && !find_param(from, o->text)) {
      tc_error(d, from->pos, "redirect to %s '%s' lacks its parameter '%s'",
               kind_word(t), t->name, o->text);
      tc_note(d, o->pos, "'%s' is here", o->text);
      return;
    }
  }
}

/* ---- Settings and hooks --------------------------------------------------- */

static void check_hooks(const tc_program *prog, tc_diags *d)
{
  for (int i = 0; i < TC_NHOOKS; i++) {
    const tc_hook *h = &prog->hooks[i];
    if (h->fn && tc_is_c_keyword(h->fn))
      tc_error(d, h->fn_pos, "hook function name '%s' is a C keyword", h->fn);
    else if (h->fn && tc_is_libc_name(h->fn))
      tc_error(d, h->fn_pos,
               "hook function name '%s' is a C library function, which the "
               "static server binary would then call instead of the "
               "library's; choose another name", h->fn);
  }
}

/* `login_url ROUTE;` becomes that route's path: it must have one fixed
 * path, and must not itself ask for a login (a redirect loop). */
static void check_login_route(const tc_program *prog, tc_diags *d)
{
  const char *name = prog->login_route;
  if (!name)
    return;
  const tc_route *r = tc_route_named(prog, name);
  if (!r) {
    tc_error(d, prog->login_pos, "login_url names unknown route '%s'", name);
  } else if (r->websocket) {
    tc_error(d, prog->login_pos,
             "login_url names websocket '%s', which is no page to log in on",
             name);
    tc_note(d, r->name_pos, "websocket '%s' is here", name);
  } else if (r->pattern->nparams > 0 && !r->pattern->bad) {
    tc_error(d, prog->login_pos,
             "login_url route '%s' has parameters: a login URL is one "
             "fixed path", name);
    tc_note(d, r->pattern->pos, "route '%s' is here", name);
  } else if (r->attrs.authenticated) {
    tc_error(d, prog->login_pos,
             "login_url route '%s' is 'authenticated': it would send a "
             "visitor without a user to itself", name);
    tc_note(d, r->attrs.auth_pos, "'authenticated' is here");
  }
}

/* Pings are what a ping timeout waits for an answer to. */
static void check_ws_settings(const tc_program *prog, tc_diags *d)
{
  if (prog->ws_timeout_decl.set && !prog->ws_interval_decl.set)
    tc_error(d, prog->ws_timeout_decl.pos,
             "websocket_ping_timeout needs websocket_ping_interval: no pings "
             "are sent without it (add 'websocket_ping_interval SECONDS;')");
}

/* Without a current_user hook no request has a user, so an authenticated
 * route could never be reached. */
static void check_authenticated(const tc_program *prog, const tc_route *r,
                                tc_diags *d)
{
  if (r->attrs.authenticated && !prog->hooks[TC_HOOK_CURRENT_USER].fn)
    tc_error(d, r->attrs.auth_pos,
             "'authenticated' needs a current_user hook to find the user "
             "(add 'current_user -> FUNCTION;')");
}

/* ---- Parameters ------------------------------------------------------------ */

/* The runtime's tables of captures have room for TN_MAX_PARAMS. */
enum { MAX_PARAMS = 32 };

static void check_param_count(const tc_route *r, tc_diags *d)
{
  if (r->pattern->nparams > MAX_PARAMS)
    tc_error(d, r->pattern->pos, "too many parameters (%d; at most %d)",
             r->pattern->nparams, MAX_PARAMS);
}

/* ---- Ambiguous patterns ---------------------------------------------------
 *
 * re2c resolves a pattern that can split one path into parameters in more
 * than one way ("/{a:str}.{b:str}" on "/x.y.z") by taking the longest
 * first parameter; the result would be arbitrary to the user and a built
 * URL might not match back, so such a pattern is an error. A pattern is
 * ambiguous if two runs of its NFA read the same path, both accept, and
 * somewhere read a byte as part of different segments. That is searched
 * for on pairs of NFA states, breadth first, so the path found is short.
 */

/* Every byte `r` can read, and the bytes it can start with. */
static void rx_alphabet(const tc_rx *r, tc_set *out)
{
  if (r->kind == TC_RX_SET) {
    for (int i = 0; i < 4; i++)
      out->w[i] |= r->set.w[i];
    return;
  }
  rx_alphabet(r->a, out);
  if (r->b)
    rx_alphabet(r->b, out);
}

static void rx_first(const tc_rx *r, tc_set *out)
{
  if (r->kind == TC_RX_SET) {
    for (int i = 0; i < 4; i++)
      out->w[i] |= r->set.w[i];
  } else if (r->kind == TC_RX_CAT) {
    rx_first(r->a, out);
    if (tc_rx_nullable(r->a))
      rx_first(r->b, out);
  } else {
    rx_first(r->a, out);
    if (r->b)
      rx_first(r->b, out);
  }
}

/* Whether every parameter ends unambiguously because what follows it
 * starts with a byte it never holds: then no search is needed. */
static bool clearly_unambiguous(const tc_pattern *p)
{
  for (int i = 0; i + 1 < p->nsegs; i++) {
    const tc_seg *s = &p->segs[i], *n = &p->segs[i + 1];
    if (s->kind != TC_SEG_PARAM)
      continue;
    tc_set alpha = {{0}}, first = {{0}};
    rx_alphabet(tc_seg_rx(s), &alpha);
    if (n->kind == TC_SEG_LIT)
      tc_set_add(&first, (unsigned char)n->text[0]);
    else
      rx_first(tc_seg_rx(n), &first);
    if (tc_set_meets(&alpha, &first))
      return false;
  }
  return true;
}

/* The NFA of a whole pattern, each state labelled with its segment. */
static int pattern_nfa(tc_nfa *a, const tc_pattern *p)
{
  int s = tc_nfa_start(a);
  for (int i = 0; i < p->nsegs; i++) {
    const tc_seg *g = &p->segs[i];
    if (g->kind == TC_SEG_PARAM) {
      s = tc_nfa_add(a, tc_seg_rx(g), s, i);
      continue;
    }
    for (size_t j = 0; j < g->len; j++) {
      tc_rx one = {.kind = TC_RX_SET};
      tc_set_add(&one.set, (unsigned char)g->text[j]);
      s = tc_nfa_add(a, &one, s, i);
    }
  }
  return s;
}

/* For each state, the byte edges its empty moves lead to (closure). */
typedef struct {
  int *edges; /* indexes into the NFA's edges */
  int n;
  bool accepts;
  bool done;
} closure;

/* The edges of the NFA grouped by their source state. */
typedef struct {
  int *start; /* edges of state s: order[start[s] .. start[s + 1]) */
  int *order;
} adjacency;

static adjacency adjacency_of(const tc_nfa *a)
{
  adjacency g = {tc_xcalloc((size_t)a->nstates + 1, sizeof(int)),
                 tc_xcalloc((size_t)a->nedges + 1, sizeof(int))};
  for (int e = 0; e < a->nedges; e++)
    g.start[a->edges[e].from + 1]++;
  for (int s = 0; s < a->nstates; s++)
    g.start[s + 1] += g.start[s];
  int *fill = tc_xcalloc((size_t)a->nstates + 1, sizeof(int));
  for (int e = 0; e < a->nedges; e++)
    g.order[g.start[a->edges[e].from] + fill[a->edges[e].from]++] = e;
  free(fill);
  return g;
}

static void close_state(const tc_nfa *a, const adjacency *g, closure *cl,
                        int s, int accept, int *stack, int *mark, int stamp)
{
  int cap = 0, top = 0;
  closure *c = &cl[s];
  c->done = true;
  stack[top++] = s;
  mark[s] = stamp;
  while (top > 0) {
    int x = stack[--top];
    c->accepts |= x == accept;
    for (int k = g->start[x]; k < g->start[x + 1]; k++) {
      int e = g->order[k];
      if (!a->edges[e].eps) {
        c->edges = tc_grow(c->edges, c->n, &cap, sizeof *c->edges);
        c->edges[c->n++] = e;
      } else if (mark[a->edges[e].to] != stamp) {
        mark[a->edges[e].to] = stamp;
        stack[top++] = a->edges[e].to;
      }
    }
  }
}

/* One step of the search: a pair of states, whether the runs have read a
 * byte as parts of different segments, and how it was reached. */
typedef struct {
  int p, q;
  bool diverged;
  int parent;     /* index of the previous step, -1 at the start */
  unsigned char c;
  int seg_p, seg_q; /* the segments the byte was read in */
} step;

static int pick_byte(const tc_set *a, const tc_set *b)
{
  static const char nice[] = "a0b1c2.-_~xyz";
  for (const char *s = nice; *s; s++)
    if (tc_set_has(a, (unsigned char)*s) && tc_set_has(b, (unsigned char)*s))
      return (unsigned char)*s;
  for (int c = 0; c < 256; c++)
    if (tc_set_has(a, c) && tc_set_has(b, c))
      return c;
  return -1;
}

/* Reports the first parameter the two runs ending at step `k` split
 * differently. */
static void report_ambiguity(const tc_pattern *pat, const step *steps, int k,
                             tc_diags *d)
{
  int n = 0;
  for (int i = k; steps[i].parent >= 0; i = steps[i].parent)
    n++;
  char *path = tc_xmalloc((size_t)n + 1);
  int *sp = tc_xmalloc(sizeof(int) * (size_t)(n + 1));
  int *sq = tc_xmalloc(sizeof(int) * (size_t)(n + 1));
  for (int i = k, j = n; steps[i].parent >= 0; i = steps[i].parent) {
    j--;
    path[j] = (char)steps[i].c;
    sp[j] = steps[i].seg_p;
    sq[j] = steps[i].seg_q;
  }
  for (int g = 0; g < pat->nsegs; g++) {
    if (pat->segs[g].kind != TC_SEG_PARAM)
      continue;
    int a0 = -1, a1 = -1, b0 = -1, b1 = -1;
    for (int j = 0; j < n; j++) {
      if (sp[j] == g)
        a1 = j + 1, a0 = a0 < 0 ? j : a0;
      if (sq[j] == g)
        b1 = j + 1, b0 = b0 < 0 ? j : b0;
    }
    if (a0 == b0 && a1 == b1)
      continue;
    tc_buf msg = {0};
    tc_buf_printf(&msg, "ambiguous pattern: in \"");
    for (int j = 0; j < n; j++) {
      unsigned char c = (unsigned char)path[j];
      tc_buf_printf(&msg, c > 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
    }
    tc_buf_printf(&msg, "\", parameter '%s' can be \"%.*s\" or \"%.*s\"",
                  pat->segs[g].text, a1 - a0, path + a0, b1 - b0, path + b0);
    tc_error(d, pat->segs[g].pos, "%s", msg.data);
    tc_buf_free(&msg);
    break;
  }
  free(path);
  free(sp);
  free(sq);
}

/* Searches pairs of runs of `a` for an ambiguity; returns the step where
 * both accept having diverged, or -1. */
static int search_pairs(const tc_nfa *a, closure *cl, int accept, step **out)
{
  adjacency g = adjacency_of(a);
  size_t n = (size_t)a->nstates;
  uint8_t *seen = tc_xcalloc(n * n * 2 / 8 + 1, 1);
  int *stack = tc_xmalloc(sizeof(int) * n), *mark = tc_xcalloc(n, sizeof(int));
  step *steps = NULL;
  int nsteps = 0, cap = 0, found = -1, stamp = 0;
  steps = tc_grow(steps, nsteps, &cap, sizeof *steps);
  steps[nsteps++] = (step){0, 0, false, -1, 0, 0, 0};
  for (int i = 0; i < nsteps && found < 0; i++) {
    step cur = steps[i];
    int two[2] = {cur.p, cur.q};
    for (int k = 0; k < 2; k++)
      if (!cl[two[k]].done)
        close_state(a, &g, cl, two[k], accept, stack, mark, ++stamp);
    if (cur.diverged && cl[cur.p].accepts && cl[cur.q].accepts) {
      found = i;
      break;
    }
    for (int x = 0; x < cl[cur.p].n; x++) {
      const tc_nfa_edge_t *e = &a->edges[cl[cur.p].edges[x]];
      for (int y = 0; y < cl[cur.q].n; y++) {
        const tc_nfa_edge_t *f = &a->edges[cl[cur.q].edges[y]];
        int c = pick_byte(&e->set, &f->set);
        if (c < 0)
          continue;
        int sp = a->seg[e->to], sq = a->seg[f->to];
        bool dv = cur.diverged || sp != sq;
        size_t bit = ((size_t)e->to * n + (size_t)f->to) * 2 + dv;
        if (seen[bit / 8] & (1u << (bit % 8)))
          continue;
        seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
        steps = tc_grow(steps, nsteps, &cap, sizeof *steps);
        steps[nsteps++] = (step){e->to, f->to, dv, i, (unsigned char)c, sp, sq};
      }
    }
  }
  free(seen);
  free(stack);
  free(mark);
  free(g.start);
  free(g.order);
  *out = steps;
  return found;
}

static void check_ambiguous(const tc_route *r, tc_diags *d)
{
  const tc_pattern *p = r->pattern;
  if (p->bad || p->nparams == 0 || clearly_unambiguous(p))
    return;
  tc_nfa a = {0};
  int accept = pattern_nfa(&a, p);
  if (a.full) { /* too big to search: re2c's longest-first rule holds */
    tc_nfa_free(&a);
    return;
  }
  closure *cl = tc_xcalloc((size_t)a.nstates, sizeof *cl);
  step *steps;
  int k = search_pairs(&a, cl, accept, &steps);
  if (k >= 0)
    report_ambiguity(p, steps, k, d);
  for (int i = 0; i < a.nstates; i++)
    free(cl[i].edges);
  free(cl);
  free(steps);
  tc_nfa_free(&a);
}

void tc_check(const tc_program *prog, const tc_file *first, tc_diags *d)
{
  check_app(prog, first, d);
  for (int i = 0; i < prog->nincludes; i++)
    check_include(&prog->includes[i], d);
  check_hooks(prog, d);
  check_login_route(prog, d);
  check_ws_settings(prog, d);
  for (int i = 0; i < prog->nroutes; i++) {
    const tc_route *r = prog->routes[i];
    if (r->redirect) {
      check_redirect(prog, r, d);
    } else {
      check_route_name(prog, i, d);
      check_route_handler(prog, i, d);
      check_authenticated(prog, r, d);
    }
    check_route_methods(prog, i, d);
    check_param_count(r, d);
    check_ambiguous(r, d);
  }
}
