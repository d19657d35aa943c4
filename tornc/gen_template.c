/* gen_template.c -- writes APP_templates.c: each template as C functions.
 *
 * A template becomes one static function that writes into a tn_tpl_t,
 * with the whole inheritance chain inlined into it, as Tornado generates
 * one Python function per template: the root ancestor's body is written
 * out, each {% block %} taking the body of the most derived template that
 * defines it, and each {% include %} the included file's body, in the
 * same C scope so it sees the includer's variables. Two public functions
 * wrap it: APP_render_NAME (into the response) and APP_render_string_NAME
 * (into a tn_buf_t).
 *
 * Literal text is gathered and written with one tn__tpl_lit() per run.
 * Every piece of the user's C code is preceded by a #line naming the
 * template's file and line, so the C compiler's errors point there. The
 * escaping of each {{ }} is decided here: its file's {% autoescape %},
 * plus what the HTML around it needs (html_context.c).
 */
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

enum { MAX_DEPTH = 64 };

typedef struct {
  const char *name;
  tc_tnode *node;
} named_block;

typedef struct {
  tc_buf *out;
  tc_html html;
  tc_buf pending;        /* literal text not yet written */
  named_block *blocks;   /* the render's blocks: the most derived wins */
  int nblocks, cblocks;
  const tc_tnode *stack[MAX_DEPTH]; /* blocks and includes being written */
  int depth;
  int loops;             /* JSON loops so far: names their iterators */
  int indent;
} gen;

static void indent(gen *g)
{
  for (int i = 0; i < g->indent; i++)
    tc_buf_putn(g->out, "  ", 2);
}

/* A C string literal of `n` bytes: printable ASCII as it is (but '?', so
 * no trigraph can form), the rest as three-digit octal escapes; a new
 * literal after each newline so the generated file stays readable. */
static void c_literal(tc_buf *b, const char *s, size_t n, int ind)
{
  tc_buf_putn(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\' || c == '?') {
      tc_buf_printf(b, "\\%c", c);
    } else if (c == '\n') {
      tc_buf_printf(b, "\\n\"");
      if (i + 1 < n) {
        tc_buf_printf(b, "\n%*s\"", ind * 2 + 4, "");
      } else {
        return;
      }
    } else if (c >= 0x20 && c < 0x7f) {
      tc_buf_putn(b, (const char *)&c, 1);
    } else {
      tc_buf_printf(b, "\\%03o", c);
    }
  }
  tc_buf_putn(b, "\"", 1);
}

static void flush(gen *g)
{
  if (g->pending.len == 0)
    return;
  indent(g);
  tc_buf_printf(g->out, "_tt_c = tn__tpl_lit(_tt, _tt_c, ");
  c_literal(g->out, g->pending.data, g->pending.len, g->indent);
  tc_buf_printf(g->out, ", %zu);\n", g->pending.len);
  g->pending.len = 0;
}

/* #line for code at `pos`, then the line itself, indented. */
static void line_at(gen *g, tc_pos pos)
{
  tc_buf_printf(g->out, "#line %d ", pos.line);
  tc_gen_c_string(g->out, pos.file->name);
  tc_buf_putn(g->out, "\n", 1);
  indent(g);
}

/* The TN__ESC_* expression of `esc`. */
static void esc_name(tc_buf *b, unsigned esc)
{
  static const char *const names[] = {"HTML", "UNQUOTED", "URL_START",
                                      "URL_COLON", "URLENC", "JSON"};
  if (esc == 0) {
    tc_buf_printf(b, "TN__ESC_RAW");
    return;
  }
  const char *sep = "";
  for (int i = 0; i < 6; i++)
    if (esc & (1u << i)) {
      tc_buf_printf(b, "%sTN__ESC_%s", sep, names[i]);
      sep = " | ";
    }
}

/* The escaping of {{ }} `n`: its file's autoescape and the HTML around. */
static unsigned expr_escape(gen *g, const tc_tnode *n)
{
  switch (n->file->autoescape) {
  case TC_AUTO_NONE:
    return 0;
  case TC_AUTO_URL:
    return TC_ESC_URLENC;
  case TC_AUTO_JSON:
    return TC_ESC_JSON;
  default:
    return TC_ESC_HTML | tc_html_expr(&g->html);
  }
}

/* A C for-header: "(init; cond; step)" as written, or with parentheses
 * added. */
static bool parenthesized(const char *s, size_t n)
{
  if (n < 2 || s[0] != '(' || s[n - 1] != ')')
    return false;
  int depth = 0;
  for (size_t i = 0; i < n; i++) {
    depth += (s[i] == '(') - (s[i] == ')');
    if (depth == 0 && i + 1 < n)
      return false;
  }
  return true;
}

static void gen_nodes(gen *g, const tc_tnode *body);

static bool enter(gen *g, const tc_tnode *n)
{
  for (int i = 0; i < g->depth; i++)
    if (g->stack[i] == n)
      return false;
  if (g->depth == MAX_DEPTH)
    return false;
  g->stack[g->depth++] = n;
  return true;
}

static tc_tnode *find_block(gen *g, const char *name)
{
  for (int i = g->nblocks - 1; i >= 0; i--)
    if (strcmp(g->blocks[i].name, name) == 0)
      return g->blocks[i].node;
  return NULL;
}

/* Tornado's find_named_blocks: every block of `n`, inside other blocks,
 * control blocks and included files too; later ones win. */
static void collect_blocks(gen *g, const tc_tnode *n, int depth)
{
  for (int i = 0; i < n->nkids && depth < MAX_DEPTH; i++) {
    tc_tnode *k = n->kids[i];
    if (k->kind == TC_T_BLOCK) {
      g->blocks = tc_grow(g->blocks, g->nblocks, &g->cblocks,
                          sizeof *g->blocks);
      g->blocks[g->nblocks++] = (named_block){k->text, k};
    }
    if (k->kind == TC_T_INCLUDE && k->target)
      collect_blocks(g, &k->target->root, depth + 1);
    collect_blocks(g, k, depth + 1);
  }
}

/* A control block: the opening line, the body, the closing brace. */
static void gen_control(gen *g, const tc_tnode *n)
{
  flush(g);
  line_at(g, n->code_pos);
  switch (n->kind) {
  case TC_T_IF:
    tc_buf_printf(g->out, "if (%s) {\n", n->text);
    break;
  case TC_T_WHILE:
    tc_buf_printf(g->out, "while (%s) {\n", n->text);
    break;
  case TC_T_FOR:
    tc_buf_printf(g->out, parenthesized(n->text, n->len) ? "for %s {\n"
                                                          : "for (%s) {\n",
                  n->text);
    break;
  default: { /* TC_T_EACH */
    int k = g->loops++;
    tc_buf_printf(g->out, "for (tn__tpl_iter_t _tt_it%d = tn__tpl_iter(%s);\n",
                  k, n->text);
    indent(g);
    tc_buf_printf(g->out, "     tn__tpl_next(&_tt_it%d);) {\n", k);
    indent(g);
    if (n->var2)
      tc_buf_printf(g->out,
                    "  const char *%s = _tt_it%d.key;\n", n->var, k);
    indent(g);
    tc_buf_printf(g->out, "  json_t *%s = _tt_it%d.value;\n",
                  n->var2 ? n->var2 : n->var, k);
    indent(g);
    tc_buf_printf(g->out, "  (void)%s;%s%s%s\n", n->var,
                  n->var2 ? " (void)" : "", n->var2 ? n->var2 : "",
                  n->var2 ? ";" : "");
    break;
  }
  }
  g->indent++;
  tc_html_branch(&g->html);
  gen_nodes(g, n);
  flush(g);
  tc_html_branch(&g->html);
  g->indent--;
  indent(g);
  tc_buf_printf(g->out, "}\n");
}

static void gen_node(gen *g, const tc_tnode *n)
{
  switch (n->kind) {
  case TC_T_TEXT:
    tc_html_feed(&g->html, n->text, n->len);
    tc_buf_putn(&g->pending, n->text, n->len);
    break;
  case TC_T_EXPR:
  case TC_T_RAW: {
    unsigned esc = n->kind == TC_T_RAW ? 0 : expr_escape(g, n);
    flush(g);
    line_at(g, n->code_pos);
    tc_buf_printf(g->out, "_tt_c = tn__tpl_put(_tt, _tt_c, ");
    esc_name(g->out, esc);
    tc_buf_printf(g->out, ", (%s));\n", n->text);
    break;
  }
  case TC_T_ELIF:
  case TC_T_ELSE:
    tc_html_branch(&g->html);
    flush(g);
    g->indent--;
    line_at(g, n->kind == TC_T_ELIF ? n->code_pos : n->pos);
    if (n->kind == TC_T_ELIF)
      tc_buf_printf(g->out, "} else if (%s) {\n", n->text);
    else
      tc_buf_printf(g->out, "} else {\n");
    g->indent++;
    break;
  case TC_T_IF:
  case TC_T_FOR:
  case TC_T_EACH:
  case TC_T_WHILE:
    gen_control(g, n);
    break;
  case TC_T_SET: {
    size_t len = n->len;
    while (len > 0 && (n->text[len - 1] == ';' || n->text[len - 1] == ' '))
      len--;
    flush(g);
    line_at(g, n->code_pos);
    tc_buf_printf(g->out, "%.*s;\n", (int)len, n->text);
    break;
  }
  case TC_T_BREAK:
  case TC_T_CONTINUE:
    flush(g);
    line_at(g, n->pos);
    tc_buf_printf(g->out, n->kind == TC_T_BREAK ? "break;\n" : "continue;\n");
    break;
  case TC_T_BLOCK: {
    tc_tnode *b = find_block(g, n->text);
    if (b && enter(g, b)) {
      gen_nodes(g, b);
      g->depth--;
    }
    break;
  }
  case TC_T_INCLUDE:
    if (n->target && enter(g, &n->target->root)) {
      gen_nodes(g, &n->target->root);
      g->depth--;
    }
    break;
  default: /* EXTENDS, ROOT */
    break;
  }
}

static void gen_nodes(gen *g, const tc_tnode *body)
{
  for (int i = 0; i < body->nkids; i++)
    gen_node(g, body->kids[i]);
}

/* ---- Functions --------------------------------------------------------- */

static void gen_params_line(tc_buf *out, const tc_template *t)
{
  tc_buf_printf(out, "#line %d ", t->params_pos.line);
  tc_gen_c_string(out, t->params_pos.file->name);
  tc_buf_printf(out, "\n");
}

/* The two public functions of a template: where they write, and how a
 * render starts there. A template that needs the request (it calls
 * xsrf_form_html()) gets it in render_string too, after `out`. */
static const struct {
  const char *suffix; /* APP_render<suffix>_NAME */
  const char *first;  /* the first parameter */
  const char *first_req; /* ... when the template needs the request */
  const char *begin;  /* the call that starts the render */
} entries[] = {
    {"", "tn_req_t *req", "tn_req_t *req", "tn__tpl_begin_req(&tt, req)"},
    {"_string", "tn_buf_t *out", "tn_buf_t *out, tn_req_t *req",
     "tn__tpl_begin(&tt, out)"},
};

/* #line, then "RET NAME(FIRST, PARAMS)" with the params as declared. */
static void gen_signature(tc_buf *out, const tc_template *t, const char *ret,
                          const char *name, const char *first)
{
  gen_params_line(out, t);
  tc_buf_printf(out, "%s%s(%s%s%s)", ret, name, first,
                t->nparams ? ", " : "", t->nparams ? t->params : "");
}

/* The prototype (`body` false) or definition of public function `e`. */
static void gen_entry(tc_buf *out, const char *app, const tc_template *t,
                      int e, bool body)
{
  tc_buf name = {0};
  bool req = t->file && t->file->needs_req;
  tc_buf_printf(&name, "%s_render%s_%s", app, entries[e].suffix, t->name);
  gen_signature(out, t, "int ", name.data,
                req ? entries[e].first_req : entries[e].first);
  tc_buf_free(&name);
  if (!body) {
    tc_buf_printf(out, ";\n");
    return;
  }
  tc_buf_printf(out, "\n{\n  tn_tpl_t tt;\n  %s;\n  %s__tpl_%s(&tt%s",
                entries[e].begin, app, t->name, req ? ", req" : "");
  for (int i = 0; i < t->nparams; i++)
    tc_buf_printf(out, ", %s", t->param_names[i]);
  tc_buf_printf(out, ");\n  return tn__tpl_end(&tt);\n}\n");
}

static void gen_template(tc_buf *out, const tc_program *prog,
                         const tc_template *t)
{
  const char *app = tc_program_app(prog);
  gen g = {.out = out, .indent = 1};
  tc_html_init(&g.html);
  tc_tfile *chain[MAX_DEPTH];
  int n = tc_tpl_ancestors(t->file, chain, MAX_DEPTH);
  for (int i = n - 1; i >= 0; i--)
    collect_blocks(&g, &chain[i]->root, 0);

  tc_buf fn = {0};
  tc_buf_printf(&fn, "%s__tpl_%s", app, t->name);
  tc_buf_printf(out, "\n/* template %s: %s */\n", t->name, t->path);
  gen_signature(out, t, "static void ", fn.data,
                t->file->needs_req ? "tn_tpl_t *_tt, tn_req_t *_tt_req"
                                   : "tn_tpl_t *_tt");
  tc_buf_printf(out, "\n{\n");
  for (int i = 0; i < t->nparams; i++)
    tc_buf_printf(out, "  (void)%s;\n", t->param_names[i]);
  tc_buf_printf(out, "  tn__cur_t _tt_c = tn__tpl_cur(_tt);\n");
  gen_nodes(&g, &chain[n - 1]->root);
  flush(&g);
  tc_buf_printf(out, "  tn__tpl_sync(_tt, _tt_c);\n}\n");
  for (int e = 0; e < 2; e++)
    gen_entry(out, app, t, e, true);
  tc_buf_free(&fn);
  tc_buf_free(&g.pending);
  free(g.blocks);
}

/* url(ROUTE, ...) in a template: the URL in the render's scratch memory,
 * built by the route's typed builder (which checks the argument types). */
static void gen_url_helper(tc_buf *out, const char *app, const tc_route *r)
{
  tc_buf params = {0}, args = {0};
  int k = 0;
  for (int i = 0; i < r->pattern->nsegs; i++) {
    const tc_seg *s = &r->pattern->segs[i];
    if (s->kind != TC_SEG_PARAM)
      continue;
    const char *t = s->type->argtype;
    tc_buf_printf(&params, ", %s%s_tt_a%d", t,
                  t[strlen(t) - 1] == '*' ? "" : " ", k);
    tc_buf_printf(&args, ", _tt_a%d", k++);
  }
  const char *a = args.data ? args.data : "";
  tc_buf_printf(out,
                "\nstatic const char *%s__tpl_url_%s(tn_tpl_t *_tt%s)\n{\n"
                "  char url[TN__TPL_URL_STACK];\n"
                "  int n = %s_url_%s(url, sizeof url%s);\n"
                "  if (n < 0 || (size_t)n < sizeof url)\n"
                "    return tn__tpl_url_copy(_tt, url, n);\n"
                "  char *big = tn__tpl_url_room(_tt, n);\n"
                "  if (!big)\n    return \"\";\n"
                "  %s_url_%s(big, (size_t)n + 1%s);\n"
                "  return big;\n}\n",
                app, r->name, params.data ? params.data : "", app, r->name, a,
                app, r->name, a);
  tc_buf_free(&params);
  tc_buf_free(&args);
}

void tc_gen_templates(tc_buf *out, const tc_program *prog, const char *path)
{
  const char *app = tc_program_app(prog);
  tc_buf_printf(out,
                "/* %s -- generated by tornc %s. Do not edit: edit the "
                "templates.\n * The templates of app '%s' as C functions. */\n"
                "#include <string.h>\n\n#include \"%s.h\"\n",
                path, TORNC_VERSION, app, app);
  for (int i = 0; i < prog->nroutes; i++)
    if (prog->url_used && prog->url_used[i])
      gen_url_helper(out, app, prog->routes[i]);
  for (int i = 0; i < prog->ntemplates; i++)
    if (prog->templates[i]->file)
      gen_template(out, prog, prog->templates[i]);
  if (prog->ntemplates == 0)
    tc_buf_printf(out, "\n/* (no templates) */\ntypedef int %s__no_templates;\n",
                  app);
}

void tc_gen_template_protos(tc_buf *out, const tc_program *prog)
{
  const char *app = tc_program_app(prog);
  if (prog->ntemplates == 0)
    return;
  tc_buf_printf(out, "\n/* The templates: render into the response, or append "
                     "to a buffer (kept\n * NUL-terminated). Return 0, "
                     "TN_ENOMEM, or TN_EINVAL when a url() got a\n * value "
                     "its route does not accept. */\n");
  for (int i = 0; i < prog->ntemplates; i++)
    for (int e = 0; e < 2; e++)
      gen_entry(out, app, prog->templates[i], e, false);
}
