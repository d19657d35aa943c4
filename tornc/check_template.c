/* check_template.c -- the checks of `template` and `static` declarations,
 * and the loading of every template they name.
 *
 * After these pass, the template generator may assume: template names are
 * unique C names; each parameter list declares named parameters; static
 * prefixes are literal paths between slashes, each with a directory that
 * exists (its absolute path in `root`); every template file parsed, and
 * the helpers in its C code resolved.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tornc.h"

static void check_static(tc_program *prog, int i, tc_diags *d)
{
  tc_static *st = prog->statics[i];
  size_t n = strlen(st->prefix);
  bool ok = n >= 2 && st->prefix[0] == '/' && st->prefix[n - 1] == '/';
  for (size_t k = 0; ok && k < n; k++) {
    unsigned char c = (unsigned char)st->prefix[k];
    ok = c > 0x20 && c < 0x7f && !strchr("{}?#%\\\"", c);
  }
  if (!ok)
    tc_error(d, st->prefix_pos, "a static prefix is a literal path that "
             "starts and ends with '/', like \"/static/\"");
  for (int j = 0; j < i; j++)
    if (strcmp(prog->statics[j]->prefix, st->prefix) == 0) {
      tc_error(d, st->prefix_pos, "static prefix '%s' declared twice",
               st->prefix);
      tc_note(d, prog->statics[j]->prefix_pos, "first declared here");
    }
  struct stat sb;
  if (stat(st->dir, &sb) != 0)
    tc_error(d, st->dir_pos, "cannot use '%s' as the static directory: %s",
             st->dir, strerror(errno));
  else if (!S_ISDIR(sb.st_mode))
    tc_error(d, st->dir_pos, "'%s' is not a directory", st->dir);
  else
    st->root = realpath(st->dir, NULL);
  /* Static files are matched before routes, as Tornado's static handler
   * comes first: a route under the prefix could never be reached. */
  for (int r = 0; r < prog->nroutes; r++) {
    const tc_route *route = prog->routes[r];
    if (strncmp(route->pattern->text, st->prefix, n) == 0) {
      tc_buf what = {0};
      tc_describe(&what, route);
      tc_error(d, route->pattern->pos,
               "%s is under static prefix '%s', which takes every path "
               "there", what.data, st->prefix);
      tc_note(d, st->prefix_pos, "the static prefix is declared here");
      tc_buf_free(&what);
    }
  }
}

static void check_template_decl(tc_program *prog, int i, tc_diags *d)
{
  tc_template *t = prog->templates[i];
  if (!tc_is_c_ident(t->name, strlen(t->name)) || tc_is_c_keyword(t->name))
    tc_error(d, t->name_pos, "template name '%s' is not a C identifier",
             t->name);
  for (int j = 0; j < i; j++)
    if (strcmp(prog->templates[j]->name, t->name) == 0) {
      tc_error(d, t->name_pos, "template '%s' declared twice", t->name);
      tc_note(d, prog->templates[j]->name_pos, "first declared here");
    }
  int n = tc_c_param_names(t->params, &t->param_names);
  if (n < 0) {
    tc_error(d, t->params_pos,
             "parameter %d of template '%s' has no name (or is '...')", -n,
             t->name);
    n = 0;
  }
  t->nparams = n;
  for (int k = 0; k < n; k++)
    if (strncmp(t->param_names[k], "_tt", 3) == 0 ||
        strcmp(t->param_names[k], "req") == 0 ||
        strcmp(t->param_names[k], "out") == 0)
      tc_error(d, t->params_pos, "parameter name '%s' is reserved in "
               "templates", t->param_names[k]);
}

static void collect_blocks(tc_tnode *n, tc_tnode ***seen, int *nseen,
                           int *cap)
{
  for (int i = 0; i < n->nkids; i++) {
    tc_tnode *k = n->kids[i];
    if (k->kind == TC_T_BLOCK) {
      *seen = tc_grow(*seen, *nseen, cap, sizeof **seen);
      (*seen)[(*nseen)++] = k;
    }
    collect_blocks(k, seen, nseen, cap);
  }
}

/* Two blocks of one name in one file: Tornado keeps the last silently. */
static void check_file_blocks(tc_tfile *tf, tc_diags *d)
{
  tc_tnode **all = NULL;
  int n = 0, cap = 0;
  collect_blocks(&tf->root, &all, &n, &cap);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      if (strcmp(all[i]->text, all[j]->text) == 0) {
        tc_error(d, all[i]->pos, "block '%s' defined twice in this template",
                 all[i]->text);
        tc_note(d, all[j]->pos, "first defined here");
        break;
      }
  free(all);
}

/* Resolves the helpers in every piece of C code under `n`. */
static void rewrite_code(tc_program *prog, tc_tnode *n, tc_diags *d)
{
  switch (n->kind) {
  case TC_T_EXPR: case TC_T_RAW: case TC_T_IF: case TC_T_ELIF:
  case TC_T_FOR: case TC_T_EACH: case TC_T_WHILE: case TC_T_SET: {
    /* {{ xsrf_form_html() }} is markup, as Tornado's module writes it. */
    if (n->kind == TC_T_EXPR && tc_tpl_only_xsrf_form(n->text, n->len))
      n->kind = TC_T_RAW;
    char *code = tc_tpl_rewrite(prog, n, n->text, n->len, n->code_pos, d);
    free(n->text);
    n->text = code;
    n->len = strlen(code);
    break;
  }
  default:
    break;
  }
  for (int i = 0; i < n->nkids; i++)
    rewrite_code(prog, n->kids[i], d);
}

/* Whether a file included somewhere under `n` needs the request. */
static bool includes_need_req(const tc_tnode *n)
{
  for (int i = 0; i < n->nkids; i++) {
    const tc_tnode *k = n->kids[i];
    if ((k->kind == TC_T_INCLUDE && k->target && k->target->needs_req) ||
        includes_need_req(k))
      return true;
  }
  return false;
}

/* A file needs the request if its code calls xsrf_form_html() or a file
 * it includes or extends needs it: spread until nothing changes (no
 * recursion, so cycles, reported already, cost nothing). */
static void spread_needs_req(tc_program *prog)
{
  for (bool changed = true; changed;) {
    changed = false;
    for (int i = 0; i < prog->ntfiles; i++) {
      tc_tfile *f = prog->tfiles[i];
      const tc_tfile *parent = f->extends ? f->extends->target : NULL;
      if (!f->needs_req &&
          ((parent && parent->needs_req) || includes_need_req(&f->root)))
        f->needs_req = changed = true;
    }
  }
}

void tc_check_templates(tc_program *prog, tc_diags *d)
{
  prog->url_used = tc_xcalloc((size_t)prog->nroutes + 1, sizeof(bool));
  for (int i = 0; i < prog->nstatics; i++)
    check_static(prog, i, d);
  for (int i = 0; i < prog->ntemplates; i++) {
    tc_template *t = prog->templates[i];
    check_template_decl(prog, i, d);
    t->file = tc_tpl_load(prog, t->path, t->path_pos, t->pos.file, d);
  }
  for (int i = 0; i < prog->ntfiles; i++) {
    check_file_blocks(prog->tfiles[i], d);
    rewrite_code(prog, &prog->tfiles[i]->root, d);
  }
  spread_needs_req(prog);
}
