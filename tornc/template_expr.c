/* template_expr.c -- the C inside templates: what tornc must understand of
 * it, and no more.
 *
 * Expressions, conditions and statements in templates are C, compiled by
 * the C compiler where they stand (with #line pointing back at the
 * template). tornc reads them only to find the helpers it resolves itself:
 *
 *   url(ROUTE, args...)   the route must exist (checked here); the typed
 *                         builder behind it checks the arguments in C
 *   static_url("file")    replaced by "/prefix/file?v=HASH", the hash of
 *                         the file's content computed now
 *   json_encode(v) url_escape(s) squeeze(s) xhtml_escape(s)
 *                         runtime calls given the render's scratch memory
 *   xsrf_form_html()      tn_xsrf_form_html() given the render's request
 *
 * A helper name after '.' or '->' is a member, not a helper. String and
 * character literals are skipped whole. It also reads the template's C
 * parameter list for the names to pass along.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tornc.h"

static bool ident_start(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
  return ident_start(c) || (c >= '0' && c <= '9');
}

/* The end of the C string or character literal starting at s[i]. */
static size_t skip_literal(const char *s, size_t n, size_t i)
{
  char q = s[i++];
  while (i < n && s[i] != q) {
    if (s[i] == '\\' && i + 1 < n)
      i++;
    i++;
  }
  return i < n ? i + 1 : n;
}

static size_t skip_blanks(const char *s, size_t n, size_t i)
{
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                   s[i] == '\r'))
    i++;
  return i;
}

/* The position of s[i], `s` starting at `base`. */
static tc_pos pos_in(const char *s, size_t i, tc_pos base)
{
  tc_pos p = base;
  for (size_t k = 0; k < i; k++) {
    if (s[k] == '\n') {
      p.line++;
      p.col = 1;
    } else {
      p.col++;
    }
    p.off++;
  }
  return p;
}

/* ---- static_url ------------------------------------------------------------ */

/* The first 16 hex digits of the SHA-256 of the file's content. */
static void content_hash(const tc_file *f, char out[17])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(f->text, f->len, md, &len, EVP_sha256(), NULL);
  for (int i = 0; i < 8; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Writes the C string literal of the URL of static file `rel`, or
 * reports why there is none. */
static void static_url(tc_program *prog, tc_buf *out, const char *rel,
                       const tc_tnode *n, tc_pos at, tc_diags *d)
{
  if (prog->nstatics == 0) {
    tc_error(d, at, "static_url() needs a 'static' declaration in the "
             ".troute file");
    return;
  }
  if (rel[0] == '/' || strstr(rel, "..") || !*rel) {
    tc_error(d, at, "static_url() takes a path inside the static directory");
    return;
  }
  for (int i = 0; i < prog->nstatics; i++) {
    const tc_static *st = prog->statics[i];
    tc_buf path = {0};
    tc_buf_printf(&path, "%s%s%s", st->dir,
                  st->dir[strlen(st->dir) - 1] == '/' ? "" : "/", rel);
    const tc_file *f = tc_find_file(prog, path.data);
    if (!f)
      f = tc_read_file(prog, path.data, n->file->src);
    tc_buf_free(&path);
    if (!f)
      continue;
    char hash[17];
    content_hash(f, hash);
    tc_buf url = {0};
    tc_buf_printf(&url, "%s%s?v=%s", st->prefix, rel, hash);
    tc_gen_c_string(out, url.data);
    tc_buf_free(&url);
    return;
  }
  tc_buf dirs = {0};
  for (int i = 0; i < prog->nstatics; i++)
    tc_buf_printf(&dirs, "%s'%s'", i ? ", " : "", prog->statics[i]->dir);
  tc_error(d, at, "static file '%s' not found in %s", rel, dirs.data);
  tc_buf_free(&dirs);
}

/* ---- Rewriting ------------------------------------------------------------- */

static const tc_route *find_route(const tc_program *prog, const char *name,
                                  size_t len, int *index)
{
  for (int i = 0; i < prog->nroutes; i++) {
    const tc_route *r = prog->routes[i];
    if (!r->redirect && strlen(r->name) == len &&
        memcmp(r->name, name, len) == 0) {
      *index = i;
      return r;
    }
  }
  return NULL;
}

/* url(NAME ...: writes the call of the generated helper, without the
 * arguments after NAME, and returns the index just after NAME. */
static size_t rewrite_url(tc_program *prog, tc_buf *out, const char *s,
                          size_t n, size_t i, tc_pos base, tc_diags *d)
{
  size_t w = skip_blanks(s, n, i);
  size_t e = w;
  while (e < n && ident_char(s[e]))
    e++;
  int index;
  if (e == w || !ident_start(s[w])) {
    tc_error(d, pos_in(s, w, base), "url() takes a route name first");
  } else if (!find_route(prog, s + w, e - w, &index)) {
    tc_error(d, pos_in(s, w, base), "url() of unknown route '%.*s'",
             (int)(e - w), s + w);
  } else {
    prog->url_used[index] = true;
  }
  tc_buf_printf(out, "%s__tpl_url_%.*s(_tt", tc_program_app(prog),
                (int)(e - w), s + w);
  return e;
}

/* static_url("file"): the whole call becomes a string literal. */
static size_t rewrite_static(tc_program *prog, tc_buf *out, const char *s,
                             size_t n, size_t i, const tc_tnode *node,
                             tc_pos base, tc_diags *d)
{
  size_t q = skip_blanks(s, n, i);
  size_t e = q < n && s[q] == '"' ? skip_literal(s, n, q) : q;
  size_t close = skip_blanks(s, n, e);
  if (e == q || close >= n || s[close] != ')' ||
      memchr(s + q, '\\', e - q)) {
    tc_error(d, pos_in(s, q, base),
             "static_url() takes one string literal, without escapes");
    tc_buf_printf(out, "\"\"");
    return close < n && s[close] == ')' ? close + 1 : e;
  }
  char *rel = tc_strndup(s + q + 1, e - q - 2);
  static_url(prog, out, rel, node, pos_in(s, q, base), d);
  free(rel);
  return close + 1;
}

/* xsrf_form_html(): the runtime's call, given the request the render was
 * given; returns the index of the ')' (copied as it is). */
static size_t rewrite_xsrf(tc_buf *out, const char *s, size_t n, size_t i,
                           const tc_tnode *node, tc_pos base, tc_diags *d)
{
  size_t close = skip_blanks(s, n, i);
  if (close >= n || s[close] != ')')
    tc_error(d, pos_in(s, close, base), "xsrf_form_html() takes no argument");
  tc_buf_printf(out, "tn_xsrf_form_html(_tt_req");
  node->file->needs_req = true;
  return close < n && s[close] == ')' ? close : i;
}

bool tc_tpl_only_xsrf_form(const char *s, size_t n)
{
  static const char name[] = "xsrf_form_html";
  size_t i = skip_blanks(s, n, 0);
  if (n - i < sizeof name - 1 || memcmp(s + i, name, sizeof name - 1) != 0)
    return false;
  i = skip_blanks(s, n, i + sizeof name - 1);
  if (i >= n || s[i] != '(')
    return false;
  i = skip_blanks(s, n, i + 1);
  return i < n && s[i] == ')' && skip_blanks(s, n, i + 1) == n;
}

char *tc_tpl_rewrite(tc_program *prog, const tc_tnode *node, const char *s,
                     size_t n, tc_pos base, tc_diags *d)
{
  static const char *const calls[] = {"json_encode", "url_escape", "squeeze",
                                      "xhtml_escape"};
  tc_buf out = {0};
  char prev = 0; /* the last significant byte copied */
  for (size_t i = 0; i < n;) {
    if (s[i] == '"' || s[i] == '\'') {
      size_t e = skip_literal(s, n, i);
      tc_buf_putn(&out, s + i, e - i);
      prev = s[i], i = e;
      continue;
    }
    if (!ident_start(s[i]) || (i > 0 && ident_char(s[i - 1]))) {
      if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
        prev = s[i];
      tc_buf_putn(&out, s + i++, 1);
      continue;
    }
    size_t e = i;
    while (e < n && ident_char(s[e]))
      e++;
    size_t paren = skip_blanks(s, n, e);
    bool member = prev == '.' || (prev == '>' && out.len >= 2 &&
                                  out.data[out.len - 2] == '-');
    bool call = paren < n && s[paren] == '(' && !member;
    size_t len = e - i;
    prev = 'a';
    if (call && len == 3 && memcmp(s + i, "url", 3) == 0) {
      i = rewrite_url(prog, &out, s, n, paren + 1, base, d);
      continue;
    }
    if (call && len == 10 && memcmp(s + i, "static_url", 10) == 0) {
      i = rewrite_static(prog, &out, s, n, paren + 1, node, base, d);
      continue;
    }
    if (call && len == 14 && memcmp(s + i, "xsrf_form_html", 14) == 0) {
      i = rewrite_xsrf(&out, s, n, paren + 1, node, base, d);
      continue;
    }
    bool helper = false;
    for (size_t k = 0; call && k < sizeof calls / sizeof *calls; k++)
      if (strlen(calls[k]) == len && memcmp(calls[k], s + i, len) == 0) {
        size_t arg = skip_blanks(s, n, paren + 1);
        tc_buf_printf(&out, "tn__tpl_%s(_tt%s", calls[k],
                      arg < n && s[arg] == ')' ? "" : ", ");
        i = paren + 1;
        helper = true;
      }
    if (!helper) {
      tc_buf_putn(&out, s + i, len);
      i = e;
    }
  }
  return out.data ? out.data : tc_strdup("");
}

/* ---- Parameter lists ------------------------------------------------------- */

/* The name one parameter declaration declares: the last identifier outside
 * brackets, or the one in "(*name)" for a function pointer. */
static char *param_name(const char *s, size_t n)
{
  const char *last = NULL, *fn = NULL;
  size_t last_len = 0, fn_len = 0;
  int depth = 0;
  for (size_t i = 0; i < n;) {
    char c = s[i];
    if (c == '(' || c == '[') {
      depth++, i++;
    } else if (c == ')' || c == ']') {
      depth--, i++;
    } else if (ident_start(c)) {
      size_t e = i;
      while (e < n && ident_char(s[e]))
        e++;
      char *w = tc_strndup(s + i, e - i);
      bool kw = tc_is_c_keyword(w);
      free(w);
      if (depth == 0 && !kw)
        last = s + i, last_len = e - i;
      else if (depth == 1 && !fn && i > 0 && s[i - 1] == '*' && !kw)
        fn = s + i, fn_len = e - i;
      i = e;
    } else {
      i++;
    }
  }
  if (fn)
    return tc_strndup(fn, fn_len);
  return last ? tc_strndup(last, last_len) : NULL;
}

int tc_c_param_names(const char *params, char ***names)
{
  *names = NULL;
  size_t n = strlen(params);
  size_t a = skip_blanks(params, n, 0);
  if (a == n || (n - a >= 4 && strncmp(params + a, "void", 4) == 0 &&
                 skip_blanks(params, n, a + 4) == n))
    return 0;
  int count = 0, cap = 0, depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    char c = i < n ? params[i] : ',';
    if (c == '"' || c == '\'') {
      i = skip_literal(params, n, i) - 1;
      continue;
    }
    depth += (c == '(' || c == '[' || c == '{') - (c == ')' || c == ']' ||
                                                   c == '}');
    if (c != ',' || depth > 0)
      continue;
    char *name = param_name(params + start, i - start);
    if (!name || memmem(params + start, i - start, "...", 3)) {
      for (int k = 0; k < count; k++)
        free((*names)[k]);
      free(*names);
      free(name);
      *names = NULL;
      return -(count + 1);
    }
    *names = tc_grow(*names, count, &cap, sizeof **names);
    (*names)[count++] = name;
    start = i + 1;
  }
  return count;
}
