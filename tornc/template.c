/* template.c -- parses template files into trees, as Tornado's _parse().
 *
 * The lexer (grammar/template_lex.re) cuts a file into text, expressions,
 * tags and comments; this file gives the tags their meaning and nests the
 * blocks. What Tornado does, torn does, so that a template renders the
 * same bytes in both: whitespace is filtered per text piece by the mode in
 * force where the piece starts (with Tornado's "<pre>" heuristic and
 * Python's idea of whitespace), {% autoescape %} holds for its whole file,
 * a child's content outside its blocks is dropped.
 *
 * Where Tornado fails at run time or silently does something surprising,
 * torn reports an error here: an unclosed block (at the tag that opened
 * it), an `else` after an `else`, an `extends` that is not at the top
 * level or comes twice, an include or extends cycle, and the tags C has no
 * meaning for (try, except, finally, apply, module, import, from).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

typedef struct {
  tc_program *prog;
  tc_tfile *tf;
  tc_tlexer lx;
  tc_diags *d;
  tc_whitespace ws; /* the mode in force */
} tparser;

/* ---- Python's whitespace -------------------------------------------------
 *
 * Tornado filters text with Python's \s and str.strip(), which know
 * Unicode: NBSP, U+2028 and the like are whitespace too. */

/* The length of the whitespace character at `s` (`n` bytes left), or 0. */
static size_t py_space(const unsigned char *s, size_t n)
{
  if (n == 0)
    return 0;
  if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r') ||
      (s[0] >= 0x1c && s[0] <= 0x1f))
    return 1;
  if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
    return 2;
  if (n < 3)
    return 0;
  if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
    return 3;
  if (s[0] == 0xe2 && s[1] == 0x80 &&
      (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
    return s[2] >= 0x80 ? 3 : 0;
  if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
    return 3;
  if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
    return 3;
  return 0;
}

/* The length of the whitespace run at `s`, and whether it holds a '\n'. */
static size_t space_run(const char *s, size_t n, bool *newline)
{
  size_t i = 0, k;
  *newline = false;
  while ((k = py_space((const unsigned char *)s + i, n - i)) > 0) {
    *newline |= s[i] == '\n';
    i += k;
  }
  return i;
}

/* str.strip(): `*s`/`*n` without whitespace at either end. */
static void py_strip(const char **s, size_t *n)
{
  bool nl;
  size_t k = space_run(*s, *n, &nl);
  *s += k, *n -= k;
  /* From the end: find the last non-space character by walking forward. */
  size_t last = 0;
  for (size_t i = 0; i < *n;) {
    size_t w = space_run(*s + i, *n - i, &nl);
    if (w == 0) {
      i++;
      last = i;
    } else {
      i += w;
    }
  }
  *n = last;
}

/* Tornado's filter_whitespace(): "single" turns runs of spaces and tabs
 * into one space, then runs of whitespace holding a newline into one
 * newline; "oneline" turns every run of whitespace into one space. */
static char *filter_whitespace(tc_whitespace mode, const char *s, size_t n,
                               size_t *out_len)
{
  tc_buf step = {0}, out = {0};
  if (mode == TC_WS_SINGLE) {
    for (size_t i = 0; i < n;) {
      if (s[i] == ' ' || s[i] == '\t') {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
          i++;
        tc_buf_putn(&step, " ", 1);
      } else {
        tc_buf_putn(&step, s + i++, 1);
      }
    }
    s = step.data ? step.data : "", n = step.len;
  }
  for (size_t i = 0; i < n;) {
    bool nl;
    size_t k = space_run(s + i, n - i, &nl);
    if (k == 0) {
      tc_buf_putn(&out, s + i++, 1);
    } else if (mode == TC_WS_ONELINE || nl) {
      tc_buf_putn(&out, mode == TC_WS_ONELINE ? " " : "\n", 1);
      i += k;
    } else {
      tc_buf_putn(&out, s + i, k);
      i += k;
    }
  }
  tc_buf_free(&step);
  *out_len = out.len;
  return out.data ? out.data : tc_strdup("");
}

/* ---- Nodes ---------------------------------------------------------------- */

static tc_tnode *add_node(tparser *p, tc_tnode *parent, tc_tnode_kind kind,
                          tc_pos pos)
{
  tc_tnode *n = tc_xcalloc(1, sizeof *n);
  n->kind = kind;
  n->pos = pos;
  n->file = p->tf;
  parent->kids = tc_grow(parent->kids, parent->nkids, &parent->ckids,
                         sizeof *parent->kids);
  parent->kids[parent->nkids++] = n;
  return n;
}

static void node_free(tc_tnode *n)
{
  for (int i = 0; i < n->nkids; i++) {
    node_free(n->kids[i]);
    free(n->kids[i]);
  }
  free(n->kids);
  free(n->text);
  free(n->var);
  free(n->var2);
}

void tc_tfiles_free(tc_program *prog)
{
  for (int i = 0; i < prog->ntfiles; i++) {
    node_free(&prog->tfiles[i]->root);
    free(prog->tfiles[i]);
  }
  free(prog->tfiles);
  prog->tfiles = NULL;
  prog->ntfiles = prog->ctfiles = 0;
}

/* ---- Tags ------------------------------------------------------------------ */

/* A piece's contents, stripped as Tornado strips them. */
typedef struct {
  const char *s;
  size_t n;
  tc_pos pos;
} span;

static span piece_span(tparser *p, const tc_tpiece *pc)
{
  span sp = {pc->body, pc->len, pc->body_pos};
  py_strip(&sp.s, &sp.n);
  sp.pos = tc_tlexer_pos(&p->lx, sp.s);
  return sp;
}

static bool word_is(span w, const char *s)
{
  return w.n == strlen(s) && memcmp(w.s, s, w.n) == 0;
}

/* The tag's operator (up to the first blank) and the rest, stripped. */
static void split_tag(tparser *p, span c, span *op, span *rest)
{
  size_t i = 0;
  while (i < c.n && c.s[i] != ' ' && c.s[i] != '\t' && c.s[i] != '\n' &&
         c.s[i] != '\r')
    i++;
  *op = (span){c.s, i, c.pos};
  *rest = (span){c.s + i, c.n - i, c.pos};
  py_strip(&rest->s, &rest->n);
  rest->pos = tc_tlexer_pos(&p->lx, rest->s);
}

/* A node holding the C code (or name, path) `c`. */
static tc_tnode *code_node(tparser *p, tc_tnode *parent, tc_tnode_kind kind,
                           tc_pos pos, span c)
{
  tc_tnode *n = add_node(p, parent, kind, pos);
  n->text = tc_strndup(c.s, c.n);
  n->len = c.n;
  n->code_pos = c.pos;
  return n;
}

/* "path" or 'path' as Tornado takes it: quotes stripped from both ends. */
static span unquote(span s)
{
  while (s.n && (s.s[0] == '"' || s.s[0] == '\'')) {
    s.s++, s.n--;
    s.pos = tc_pos_add(s.pos, 1);
  }
  while (s.n && (s.s[s.n - 1] == '"' || s.s[s.n - 1] == '\''))
    s.n--;
  return s;
}

static bool is_ident_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/* for NAME [, NAME] in EXPR: a loop over a JSON container. Anything else
 * is a C for-header (which has ';' where this has 'in'). */
static bool parse_each(span c, tc_tnode *n)
{
  const char *s = c.s, *end = c.s + c.n;
  const char *names[2] = {0};
  size_t lens[2] = {0};
  int k = 0;
  for (;;) {
    while (s < end && (*s == ' ' || *s == '\t'))
      s++;
    const char *w = s;
    while (s < end && is_ident_char(*s))
      s++;
    if (s == w || (*w >= '0' && *w <= '9'))
      return false;
    names[k] = w, lens[k] = (size_t)(s - w), k++;
    while (s < end && (*s == ' ' || *s == '\t'))
      s++;
    if (s < end && *s == ',' && k == 1) {
      s++;
      continue;
    }
    break;
  }
  if (end - s < 3 || memcmp(s, "in", 2) != 0 || (s[2] != ' ' && s[2] != '\t'))
    return false;
  s += 3;
  while (s < end && (*s == ' ' || *s == '\t'))
    s++;
  if (s == end)
    return false;
  n->var = tc_strndup(names[0], lens[0]);
  n->var2 = k == 2 ? tc_strndup(names[1], lens[1]) : NULL;
  n->code_pos = tc_pos_add(c.pos, (int)(s - c.s));
  n->text = tc_strndup(s, (size_t)(end - s));
  n->len = (size_t)(end - s);
  return true;
}

/* {% include "x" %} and {% extends "x" %}: the file named, relative to
 * this one's directory; a cycle is an error. */
static void link_file(tparser *p, tc_tnode *n, const char *what)
{
  char *path = tc_path_relative(p->tf->src, n->text);
  tc_tfile *t = tc_tpl_load(p->prog, path, n->code_pos, p->tf->src, p->d);
  free(path);
  if (t && t->loading) {
    tc_error(p->d, n->code_pos, "%s cycle: '%s' %s itself", what,
             n->text, strcmp(what, "include") == 0 ? "includes" : "extends");
    t = NULL;
  }
  n->target = t;
}

static void parse_body(tparser *p, tc_tnode *body, const char *block,
                       const tc_tnode *opener, bool in_loop);

/* {% if %} {% for %} {% while %} {% block %}: a node whose body runs to
 * the matching {% end %}. */
static void parse_block_tag(tparser *p, tc_tnode *parent, span op, span rest,
                            tc_pos pos, bool in_loop)
{
  char kw[8];
  snprintf(kw, sizeof kw, "%.*s", (int)op.n, op.s);
  tc_tnode *n;
  if (rest.n == 0) {
    tc_error(p->d, pos, "'{%% %s %%}' needs %s", kw,
             strcmp(kw, "block") == 0 ? "a name"
             : strcmp(kw, "for") == 0 ? "a loop header"
                                      : "a condition");
    rest = (span){"0", 1, rest.pos};
  }
  if (strcmp(kw, "for") == 0) {
    n = add_node(p, parent, TC_T_FOR, pos);
    if (parse_each(rest, n)) {
      n->kind = TC_T_EACH;
    } else {
      n->text = tc_strndup(rest.s, rest.n);
      n->len = rest.n;
      n->code_pos = rest.pos;
    }
    in_loop = true;
  } else {
    tc_tnode_kind k = strcmp(kw, "if") == 0      ? TC_T_IF
                      : strcmp(kw, "while") == 0 ? TC_T_WHILE
                                                 : TC_T_BLOCK;
    n = code_node(p, parent, k, pos, rest);
    in_loop |= k == TC_T_WHILE;
  }
  parse_body(p, n, n->kind == TC_T_EACH ? "for" : kw, n, in_loop);
}

/* {% else %} {% elif %}: markers inside an if's body. */
static void parse_else(tparser *p, tc_tnode *body, const char *block,
                       span op, span rest, tc_pos pos)
{
  bool elif = word_is(op, "elif");
  if (!block || strcmp(block, "if") != 0) {
    if (block && (strcmp(block, "for") == 0 || strcmp(block, "while") == 0))
      tc_error(p->d, pos, "'{%% %s %%}' is only for 'if' here: C loops have "
               "no else", elif ? "elif" : "else");
    else
      tc_error(p->d, pos, "'{%% %s %%}' outside '{%% if %%}'",
               elif ? "elif" : "else");
    return;
  }
  for (int i = 0; i < body->nkids; i++)
    if (body->kids[i]->kind == TC_T_ELSE) {
      tc_error(p->d, pos, "'{%% %s %%}' after '{%% else %%}'",
               elif ? "elif" : "else");
      tc_note(p->d, body->kids[i]->pos, "the 'else' is here");
      return;
    }
  if (elif && rest.n == 0)
    tc_error(p->d, pos, "'{%% elif %%}' needs a condition");
  code_node(p, body, elif ? TC_T_ELIF : TC_T_ELSE, pos, rest);
}

/* {% autoescape X %} and {% whitespace X %}: settings, not nodes. */
static void parse_setting(tparser *p, span op, span rest, tc_pos pos)
{
  if (word_is(op, "autoescape")) {
    if (word_is(rest, "None"))
      p->tf->autoescape = TC_AUTO_NONE;
    else if (word_is(rest, "xhtml_escape"))
      p->tf->autoescape = TC_AUTO_HTML;
    else if (word_is(rest, "url_escape"))
      p->tf->autoescape = TC_AUTO_URL;
    else if (word_is(rest, "json_encode"))
      p->tf->autoescape = TC_AUTO_JSON;
    else
      tc_error(p->d, rest.n ? rest.pos : pos,
               "unknown autoescape function '%.*s' (known: xhtml_escape, "
               "url_escape, json_encode, None)",
               (int)rest.n, rest.s);
    return;
  }
  if (word_is(rest, "all"))
    p->ws = TC_WS_ALL;
  else if (word_is(rest, "single"))
    p->ws = TC_WS_SINGLE;
  else if (word_is(rest, "oneline"))
    p->ws = TC_WS_ONELINE;
  else
    tc_error(p->d, rest.n ? rest.pos : pos,
             "unknown whitespace mode '%.*s' (known: all, single, oneline)",
             (int)rest.n, rest.s);
}

/* One {% tag %}. Returns true at the {% end %} that closes `block`. */
static bool parse_tag(tparser *p, tc_tnode *body, const char *block,
                      bool in_loop, const tc_tpiece *pc)
{
  span c = piece_span(p, pc), op, rest;
  if (c.n == 0) {
    tc_error(p->d, pc->pos, "empty tag '{%% %%}'");
    return false;
  }
  split_tag(p, c, &op, &rest);
  tc_pos pos = pc->pos;
  if (word_is(op, "end")) {
    if (block)
      return true;
    tc_error(p->d, pos, "'{%% end %%}' with no block open");
  } else if (word_is(op, "else") || word_is(op, "elif")) {
    parse_else(p, body, block, op, rest, pos);
  } else if (word_is(op, "if") || word_is(op, "for") ||
             word_is(op, "while") || word_is(op, "block")) {
    parse_block_tag(p, body, op, rest, pos, in_loop);
  } else if (word_is(op, "break") || word_is(op, "continue")) {
    if (!in_loop)
      tc_error(p->d, pos, "'{%% %.*s %%}' outside a loop", (int)op.n, op.s);
    add_node(p, body, word_is(op, "break") ? TC_T_BREAK : TC_T_CONTINUE,
             pos);
  } else if (word_is(op, "set") || word_is(op, "raw")) {
    if (rest.n == 0)
      tc_error(p->d, pos, "'{%% %.*s %%}' needs %s", (int)op.n, op.s,
               word_is(op, "set") ? "a statement" : "an expression");
    else
      code_node(p, body, word_is(op, "set") ? TC_T_SET : TC_T_RAW, pos, rest);
  } else if (word_is(op, "include") || word_is(op, "extends")) {
    bool inc = word_is(op, "include");
    span path = unquote(rest);
    if (path.n == 0) {
      tc_error(p->d, pos, "'{%% %s %%}' needs a file name",
               inc ? "include" : "extends");
    } else if (!inc && (body != &p->tf->root || p->tf->extends)) {
      tc_error(p->d, pos, p->tf->extends
                              ? "a template extends only one other"
                              : "'{%% extends %%}' must be at the top level "
                                "of the template, outside any block");
    } else {
      tc_tnode *n =
          code_node(p, body, inc ? TC_T_INCLUDE : TC_T_EXTENDS, pos, path);
      if (!inc)
        p->tf->extends = n;
      link_file(p, n, inc ? "include" : "extends");
    }
  } else if (word_is(op, "autoescape") || word_is(op, "whitespace")) {
    parse_setting(p, op, rest, pos);
  } else if (word_is(op, "comment")) {
    /* Its text is the comment. */
  } else if (word_is(op, "try") || word_is(op, "except") ||
             word_is(op, "finally") || word_is(op, "apply") ||
             word_is(op, "module") || word_is(op, "import") ||
             word_is(op, "from")) {
    tc_error(p->d, pos, "'{%% %.*s %%}' is Python's; torn templates are C "
             "and have no such tag",
             (int)op.n, op.s);
  } else {
    tc_error(p->d, op.pos, "unknown tag '%.*s'", (int)op.n, op.s);
  }
  return false;
}

/* Text: filtered by the mode in force, unless it holds "<pre>". */
static void parse_text(tparser *p, tc_tnode *body, const tc_tpiece *pc)
{
  size_t n = pc->len;
  char *text;
  if (p->ws == TC_WS_ALL || memmem(pc->body, pc->len, "<pre>", 5))
    text = tc_strndup(pc->body, n);
  else
    text = filter_whitespace(p->ws, pc->body, pc->len, &n);
  if (n == 0) {
    free(text);
    return;
  }
  tc_tnode *t = add_node(p, body, TC_T_TEXT, pc->pos);
  t->text = text;
  t->len = n;
}

/* Parses pieces into `body` up to the {% end %} of `block` (NULL at the
 * top level, where the end of the file ends it). */
static void parse_body(tparser *p, tc_tnode *body, const char *block,
                       const tc_tnode *opener, bool in_loop)
{
  for (;;) {
    tc_tpiece pc;
    switch (tc_tlex(&p->lx, &pc)) {
    case TC_TP_END:
      if (block)
        tc_error(p->d, opener->pos,
                 "'{%% %s %%}' is never closed: missing '{%% end %%}' "
                 "before the end of the file", block);
      return;
    case TC_TP_TEXT:
      parse_text(p, body, &pc);
      break;
    case TC_TP_COMMENT:
      break;
    case TC_TP_EXPR: {
      span c = piece_span(p, &pc);
      if (c.n == 0)
        tc_error(p->d, pc.pos, "empty expression '{{ }}'");
      else
        code_node(p, body, TC_T_EXPR, pc.pos, c);
      break;
    }
    case TC_TP_TAG:
      if (parse_tag(p, body, block, in_loop, &pc))
        return;
      break;
    }
  }
}

/* ---- Files -------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

tc_tfile *tc_tpl_load(tc_program *prog, const char *path, tc_pos at,
                      const tc_file *from, tc_diags *d)
{
  tc_file *src = tc_find_file(prog, path);
  for (int i = 0; src && i < prog->ntfiles; i++)
    if (prog->tfiles[i]->src == src)
      return prog->tfiles[i];
  if (!src)
    src = tc_read_file(prog, path, from);
  if (!src) {
    tc_error(d, at, "cannot read template '%s': %s", path, strerror(errno));
    return NULL;
  }
  tc_tfile *tf = tc_xcalloc(1, sizeof *tf);
  tf->src = src;
  tf->root.kind = TC_T_ROOT;
  tf->root.file = tf;
  tf->root.pos = (tc_pos){src, 1, 1, 0};
  prog->tfiles =
      tc_grow(prog->tfiles, prog->ntfiles, &prog->ctfiles, sizeof *prog->tfiles);
  prog->tfiles[prog->ntfiles++] = tf;

  int errors = d->errors;
  tparser p = {prog, tf, {0}, d, TC_WS_ALL};
  /* Tornado's default: "single" for .html and .js, "all" otherwise. */
  if (ends_with(path, ".html") || ends_with(path, ".js"))
    p.ws = TC_WS_SINGLE;
  tc_tlexer_init(&p.lx, src, d);
  tf->loading = true;
  parse_body(&p, &tf->root, NULL, NULL, false);
  tf->loading = false;
  tf->bad = d->errors > errors;
  return tf;
}

int tc_tpl_ancestors(tc_tfile *t, tc_tfile **out, int max)
{
  int n = 0;
  for (; t && n < max; t = t->extends ? t->extends->target : NULL)
    out[n++] = t;
  return n;
}
