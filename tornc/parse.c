/* parse.c -- the parser driver and the grammar's actions.
 *
 * tc_parse_file() hands the lexer's tokens to the lemon parser generated
 * from grammar/troute_parse.y; the grammar's actions are the tc_act_*
 * functions below, each building or adding one AST node. Errors go to the
 * shared diagnostics and parsing goes on.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tornc.h"
#include "troute_parse.h"

/* The lemon-generated parser (troute_parse.c). */
void *tc_lemonAlloc(void *(*alloc)(size_t));
void tc_lemon(void *parser, int kind, tc_token tok, tc_parser *ps);
void tc_lemonFree(void *parser, void (*dealloc)(void *));

/* ---- AST lifetime ------------------------------------------------------ */

void tc_pattern_free(tc_pattern *p)
{
  if (!p)
    return;
  for (int i = 0; i < p->nsegs; i++) {
    free(p->segs[i].text);
    free(p->segs[i].rx_text);
    tc_rx_free(p->segs[i].rx);
  }
  free(p->segs);
  free(p->text);
  free(p->key);
  free(p);
}

void tc_route_free(tc_route *r)
{
  if (!r)
    return;
  free(r->name);
  free(r->handler);
  free(r->target);
  tc_pattern_free(r->pattern);
  free(r);
}

void tc_program_free(tc_program *prog)
{
  for (int i = 0; i < prog->napps; i++)
    free(prog->apps[i].text);
  for (int i = 0; i < prog->nincludes; i++)
    free(prog->includes[i].text);
  for (int i = 0; i < prog->nroutes; i++)
    tc_route_free(prog->routes[i]);
  for (int i = 0; i < prog->nfiles; i++) {
    free(prog->files[i]->text);
    free(prog->files[i]->id);
    free((char *)prog->files[i]->name);
    free(prog->files[i]);
  }
  for (int i = 0; i < prog->ntemplates; i++) {
    tc_template *t = prog->templates[i];
    free(t->name);
    free(t->params);
    for (int k = 0; k < t->nparams; k++)
      free(t->param_names[k]);
    free(t->param_names);
    free(t->path);
    free(t);
  }
  for (int i = 0; i < prog->nstatics; i++) {
    free(prog->statics[i]->prefix);
    free(prog->statics[i]->dir);
    free(prog->statics[i]->root);
    free(prog->statics[i]);
  }
  for (int i = 0; i < TC_NHOOKS; i++)
    free(prog->hooks[i].fn);
  free(prog->login_url);
  free(prog->login_route);
  tc_tfiles_free(prog);
  free(prog->templates);
  free(prog->statics);
  free(prog->url_used);
  free(prog->apps);
  free(prog->includes);
  free(prog->routes);
  free(prog->files);
  *prog = (tc_program){0};
}

const char *tc_program_app(const tc_program *prog)
{
  return prog->napps > 0 ? prog->apps[0].text : "app";
}

/* ---- Grammar actions ---------------------------------------------------- */

static char *token_text(const tc_token *tok)
{
  return tc_strndup(tok->text, tok->len);
}

/* A short token's text in a static buffer, for atoi(). */
static const char *token_text_tmp(const tc_token *tok)
{
  static char buf[16];
  size_t n = tok->len < sizeof buf - 1 ? tok->len : sizeof buf - 1;
  memcpy(buf, tok->text, n);
  buf[n] = '\0';
  return buf;
}

/* decl ::= APP ID SEMI */
void tc_act_app(tc_parser *ps, tc_token *name)
{
  tc_program *p = ps->prog;
  p->apps = tc_grow(p->apps, p->napps, &p->capps, sizeof *p->apps);
  p->apps[p->napps++] = (tc_name){token_text(name), name->pos};
}

/* decl ::= INCLUDE STRING SEMI */
void tc_act_include(tc_parser *ps, tc_token *path)
{
  tc_program *p = ps->prog;
  p->includes =
      tc_grow(p->includes, p->nincludes, &p->cincludes, sizeof *p->includes);
  p->includes[p->nincludes++] = (tc_name){path->str, path->pos};
  path->str = NULL;
  tc_token_free(path);
}

char *tc_path_relative(const tc_file *from, const char *name)
{
  const char *slash = strrchr(from->name, '/');
  if (name[0] == '/' || !slash)
    return tc_strdup(name);
  tc_buf b = {0};
  tc_buf_printf(&b, "%.*s/%s", (int)(slash - from->name), from->name, name);
  return b.data;
}

/* decl ::= TEMPLATE ID PARAMS EQ STRING SEMI */
void tc_act_template(tc_parser *ps, tc_token *kw, tc_token *name,
                     tc_token *params, tc_token *path)
{
  tc_program *p = ps->prog;
  tc_template *t = tc_xcalloc(1, sizeof *t);
  t->pos = kw->pos;
  t->name = token_text(name);
  t->name_pos = name->pos;
  t->params = params->str;
  t->params_pos = tc_pos_add(params->pos, 1);
  t->path = tc_path_relative(ps->file, path->str);
  t->path_pos = path->pos;
  params->str = NULL;
  p->templates = tc_grow(p->templates, p->ntemplates, &p->ctemplates,
                         sizeof *p->templates);
  p->templates[p->ntemplates++] = t;
  tc_token_free(params);
  tc_token_free(path);
}

/* decl ::= STATIC STRING EQ STRING SEMI */
void tc_act_static(tc_parser *ps, tc_token *kw, tc_token *prefix,
                   tc_token *dir)
{
  tc_program *p = ps->prog;
  tc_static *st = tc_xcalloc(1, sizeof *st);
  st->pos = kw->pos;
  st->prefix = prefix->str;
  st->prefix_pos = prefix->pos;
  st->dir = tc_path_relative(ps->file, dir->str);
  st->dir_pos = dir->pos;
  prefix->str = NULL;
  p->statics =
      tc_grow(p->statics, p->nstatics, &p->cstatics, sizeof *p->statics);
  p->statics[p->nstatics++] = st;
  tc_token_free(prefix);
  tc_token_free(dir);
}

/* item ::= route | redirect | websocket
 * Entries get their ids in declaration order, redirects counted apart
 * from routes and websockets (which share the route ids). */
void tc_act_add_route(tc_parser *ps, tc_route *route)
{
  tc_program *p = ps->prog;
  p->routes = tc_grow(p->routes, p->nroutes, &p->croutes, sizeof *p->routes);
  p->routes[p->nroutes++] = route;
  route->id = route->redirect ? p->nredirects++ : p->nnamed++;
}

/* A named route (a route or a websocket) of these parts. */
static tc_route *named_route(const tc_token *kw, const tc_token *name,
                             unsigned methods, tc_pattern *pattern,
                             const tc_token *handler, const tc_attrs *attrs)
{
  tc_route *r = tc_xcalloc(1, sizeof *r);
  r->attrs = *attrs;
  r->pos = kw->pos;
  r->name = token_text(name);
  r->name_pos = name->pos;
  r->methods = methods;
  r->pattern = pattern;
  r->handler = token_text(handler);
  r->handler_pos = handler->pos;
  return r;
}

/* route ::= ROUTE ID methods pattern ARROW ID attrs SEMI */
tc_route *tc_act_route(tc_parser *ps, tc_token *kw, tc_token *name,
                       unsigned methods, tc_pattern *pattern,
                       tc_token *handler, const tc_attrs *attrs)
{
  tc_route *r = named_route(kw, name, methods, pattern, handler, attrs);
  if (attrs->max_message_size) {
    tc_error(ps->diags, attrs->message_pos,
             "'max_message_size' applies to websockets only (a route's "
             "limit is 'max_body_size')");
    r->attrs.max_message_size = 0;
  }
  return r;
}

/* websocket ::= WEBSOCKET ID pattern ARROW ID attrs SEMI
 * A websocket takes GET alone: the upgrade is a GET, and a HEAD cannot
 * upgrade (it gets a 405 with Allow: GET). Of the attributes, those of
 * request handlers are refused with the reason. */
tc_route *tc_act_websocket(tc_parser *ps, tc_token *kw, tc_token *name,
                           tc_pattern *pattern, tc_token *handler,
                           const tc_attrs *attrs)
{
  tc_route *r = named_route(kw, name, TC_GET, pattern, handler, attrs);
  r->websocket = true;
  if (attrs->is_async)
    tc_error(ps->diags, attrs->async_pos,
             "'async' does not apply to a websocket (its connection lives "
             "on after the open callback; tn_ws_close ends it)");
  if (attrs->max_body_size)
    tc_error(ps->diags, attrs->body_pos,
             "'max_body_size' does not apply to a websocket (the upgrade "
             "request has no body; its messages are limited by "
             "'max_message_size')");
  r->attrs.is_async = false;
  r->attrs.max_body_size = 0;
  return r;
}

/* redirect ::= REDIRECT pattern FATARROW ID status SEMI */
tc_route *tc_act_redirect(tc_parser *ps, tc_token *kw, tc_pattern *pattern,
                          tc_token *target, tc_token *status)
{
  tc_route *r = tc_xcalloc(1, sizeof *r);
  r->pos = kw->pos;
  r->redirect = true;
  r->methods = TC_ANY | TC_HEAD | TC_OTHER;
  r->pattern = pattern;
  r->target = token_text(target);
  r->target_pos = target->pos;
  r->status = 301;
  if (status->kind) {
    r->status = status->len <= 3 ? atoi(token_text_tmp(status)) : 0;
    if (r->status != 301 && r->status != 302 && r->status != 303 &&
        r->status != 307 && r->status != 308)
      tc_error(ps->diags, status->pos,
               "bad redirect status '%.*s' (known: 301, 302, 303, 307, 308)",
               (int)status->len, status->text);
  }
  return r;
}

static bool token_is(const tc_token *tok, const char *word)
{
  return tok->len == strlen(word) && memcmp(tok->text, word, tok->len) == 0;
}

/* Marks the once-per-program declaration `s`, made by keyword `kw`; false
 * (reported, with a note at the first) if it was made already. */
static bool set_once(tc_parser *ps, tc_setting *s, const tc_token *kw)
{
  if (s->set) {
    tc_error(ps->diags, kw->pos, "'%.*s' is set more than once",
             (int)kw->len, kw->text);
    tc_note(ps->diags, s->pos, "it is first set here");
    return false;
  }
  *s = (tc_setting){true, kw->pos};
  return true;
}

/* decl ::= TRAILING_SLASH policy SEMI */
void tc_act_trailing_slash(tc_parser *ps, tc_token *kw, tc_token *policy)
{
  tc_program *p = ps->prog;
  bool redirect = token_is(policy, "redirect");
  if (!redirect && !token_is(policy, "strict")) {
    tc_error(ps->diags, policy->pos,
             "unknown trailing_slash policy '%.*s' (known: strict, redirect)",
             (int)policy->len, policy->text);
    return;
  }
  if (set_once(ps, &p->slash_decl, kw))
    p->slash_redirect = redirect;
}

/* decl ::= XSRF_COOKIES ID SEMI | COMPRESS_RESPONSE ID SEMI
 *        | WEBSOCKET_COMPRESSION ID SEMI */
void tc_act_switch(tc_parser *ps, tc_token *kw, tc_token *value)
{
  tc_program *p = ps->prog;
  bool on = token_is(value, "on");
  if (!on && !token_is(value, "off")) {
    tc_error(ps->diags, value->pos, "'%.*s' is 'on' or 'off', not '%.*s'",
             (int)kw->len, kw->text, (int)value->len, value->text);
    return;
  }
  switch (kw->kind) {
  case TK_XSRF_COOKIES:
    if (set_once(ps, &p->xsrf_decl, kw))
      p->xsrf_cookies = on;
    break;
  case TK_COMPRESS_RESPONSE:
    if (set_once(ps, &p->compress_decl, kw))
      p->compress_response = on;
    break;
  default: /* websocket_compression: on by default, so the flag says off */
    if (set_once(ps, &p->ws_compression_decl, kw))
      p->ws_no_compression = !on;
  }
}

/* A login URL goes into a Location header as it is: printable ASCII
 * without spaces. Reports the first byte that is not, at its column. */
static bool check_login_url(tc_parser *ps, const tc_token *url)
{
  if (url->str_len == 0) {
    tc_error(ps->diags, url->pos, "empty login_url");
    return false;
  }
  for (size_t i = 0; i < url->str_len; i++) {
    unsigned char c = (unsigned char)url->str[i];
    tc_pos at = tc_pos_add(url->pos, url->str_cols[i] - url->pos.col);
    if (c == ' ')
      tc_error(ps->diags, at, "space in login_url (write it as %%20)");
    else if (c >= 0x80)
      tc_error(ps->diags, at,
               "non-ASCII byte in login_url (percent-encode it)");
    else if (c < 0x20 || c == 0x7f)
      tc_error(ps->diags, at, "control character 0x%02x in login_url", c);
    else
      continue;
    return false;
  }
  return true;
}

/* decl ::= LOGIN_URL STRING SEMI | LOGIN_URL ID SEMI */
void tc_act_login_url(tc_parser *ps, tc_token *kw, tc_token *value)
{
  tc_program *p = ps->prog;
  bool url = value->kind == TK_STRING;
  if ((!url || check_login_url(ps, value)) &&
      set_once(ps, &p->login_decl, kw)) {
    p->login_pos = value->pos;
    if (url) {
      p->login_url = value->str;
      value->str = NULL;
    } else {
      p->login_route = token_text(value);
    }
  }
  tc_token_free(value);
}

/* The digits at the start of a NUMBER or SIZE token as a number: `*n`,
 * and `*big` set if it does not fit in 64 bits. Returns how many digits
 * there are. */
static size_t token_digits(const tc_token *tok, uint64_t *n, bool *big)
{
  size_t i = 0;
  *n = 0;
  *big = false;
  for (; i < tok->len && tok->text[i] >= '0' && tok->text[i] <= '9'; i++) {
    unsigned d = (unsigned)(tok->text[i] - '0');
    *big |= *n > (UINT64_MAX - d) / 10;
    *n = *n * 10 + d;
  }
  return i;
}

/* Why the size that keyword `kind` sets cannot be 0. */
static const char *zero_size_why(int kind)
{
  switch (kind) {
  case TK_MAX_BODY_SIZE:
    return "it would refuse every body";
  case TK_WEBSOCKET_MAX_QUEUE:
    return "every message sent would overflow it";
  default: /* max_message_size, websocket_max_message_size */
    return "it would refuse every message";
  }
}

/* The bytes of a size token, "8M" or "1024": digits, then K, M or G (or
 * k, m, g) for 2^10, 2^20, 2^30. Reports a bad unit, 0 or overflow. */
static bool parse_size(tc_parser *ps, const tc_token *kw,
                       const tc_token *tok, uint64_t *out)
{
  uint64_t n;
  bool big;
  size_t i = token_digits(tok, &n, &big);
  int shift = 0;
  if (i + 1 == tok->len)
    shift = strchr("Kk", tok->text[i])   ? 10
            : strchr("Mm", tok->text[i]) ? 20
            : strchr("Gg", tok->text[i]) ? 30
                                         : -1;
  else if (i < tok->len)
    shift = -1;
  if (shift < 0) {
    tc_error(ps->diags, tok->pos,
             "bad size '%.*s' (digits, then K, M or G for KiB, MiB or GiB)",
             (int)tok->len, tok->text);
    return false;
  }
  big |= shift && n > UINT64_MAX >> shift;
  if (big)
    tc_error(ps->diags, tok->pos, "%.*s '%.*s' is too large", (int)kw->len,
             kw->text, (int)tok->len, tok->text);
  else if (n == 0)
    tc_error(ps->diags, tok->pos, "%.*s cannot be 0 (%s)", (int)kw->len,
             kw->text, zero_size_why(kw->kind));
  if (big || n == 0)
    return false;
  *out = n << shift;
  return true;
}

/* decl ::= MAX_BODY_SIZE size SEMI | WEBSOCKET_MAX_MESSAGE_SIZE size SEMI
 *        | WEBSOCKET_MAX_QUEUE size SEMI */
void tc_act_size_setting(tc_parser *ps, tc_token *kw, tc_token *size)
{
  tc_program *p = ps->prog;
  tc_setting *decl = &p->body_decl;
  uint64_t *value = &p->max_body_size;
  if (kw->kind == TK_WEBSOCKET_MAX_MESSAGE_SIZE) {
    decl = &p->ws_message_decl;
    value = &p->ws_max_message_size;
  } else if (kw->kind == TK_WEBSOCKET_MAX_QUEUE) {
    decl = &p->ws_queue_decl;
    value = &p->ws_max_queue;
  }
  uint64_t n;
  if (parse_size(ps, kw, size, &n) && set_once(ps, decl, kw))
    *value = n;
}

/* The runtime keeps these durations in milliseconds, in 32 bits. */
enum { MAX_SECONDS = UINT32_MAX / 1000 };

/* decl ::= WEBSOCKET_PING_INTERVAL size SEMI
 *        | WEBSOCKET_PING_TIMEOUT size SEMI
 * Whole seconds: digits alone, at least 1. */
void tc_act_ws_seconds(tc_parser *ps, tc_token *kw, tc_token *seconds)
{
  tc_program *p = ps->prog;
  bool interval = kw->kind == TK_WEBSOCKET_PING_INTERVAL;
  uint64_t n;
  bool big;
  if (token_digits(seconds, &n, &big) != seconds->len)
    tc_error(ps->diags, seconds->pos,
             "bad %.*s '%.*s' (a whole number of seconds, without a unit)",
             (int)kw->len, kw->text, (int)seconds->len, seconds->text);
  else if (big || n > MAX_SECONDS)
    tc_error(ps->diags, seconds->pos,
             "%.*s '%.*s' is too large (at most %d seconds)", (int)kw->len,
             kw->text, (int)seconds->len, seconds->text, MAX_SECONDS);
  else if (n == 0)
    tc_error(ps->diags, seconds->pos, "%.*s cannot be 0 (%s)", (int)kw->len,
             kw->text,
             interval ? "leave it out for no pings"
                      : "leave it out for the default");
  else if (set_once(ps, interval ? &p->ws_interval_decl : &p->ws_timeout_decl,
                    kw))
    *(interval ? &p->ws_ping_interval : &p->ws_ping_timeout) = (uint32_t)n;
}

const tc_hook_type tc_hook_types[TC_NHOOKS] = {
    [TC_HOOK_PREPARE] = {"prepare", "int", "(tn_req_t *req)"},
    [TC_HOOK_ON_FINISH] = {"on_finish", "void", "(tn_req_t *req)"},
    [TC_HOOK_CURRENT_USER] = {"current_user", "void *", "(tn_req_t *req)"},
    [TC_HOOK_WRITE_ERROR] = {"write_error", "void",
                             "(tn_req_t *req, int status, const char *detail)"},
};

/* decl ::= hook ARROW ID SEMI */
void tc_act_hook(tc_parser *ps, tc_token *hook, tc_token *fn)
{
  int i = 0;
  while (i < TC_NHOOKS - 1 && !token_is(hook, tc_hook_types[i].name))
    i++;
  tc_hook *h = &ps->prog->hooks[i];
  if (!set_once(ps, &h->decl, hook))
    return;
  h->fn = token_text(fn);
  h->fn_pos = fn->pos;
}

/* attrs ::= attrs AUTHENTICATED | attrs ASYNC | attrs MAX_BODY_SIZE size
 *         | attrs MAX_MESSAGE_SIZE size */
void tc_act_attr(tc_parser *ps, tc_attrs *attrs, tc_token *word,
                 tc_token *size)
{
  bool given;
  tc_pos *at;
  uint64_t *bytes = NULL;
  switch (word->kind) {
  case TK_AUTHENTICATED:
    given = attrs->authenticated;
    at = &attrs->auth_pos;
    attrs->authenticated = true;
    break;
  case TK_ASYNC:
    given = attrs->is_async;
    at = &attrs->async_pos;
    attrs->is_async = true;
    break;
  case TK_MAX_MESSAGE_SIZE:
    bytes = &attrs->max_message_size;
    given = *bytes != 0;
    at = &attrs->message_pos;
    break;
  default:
    bytes = &attrs->max_body_size;
    given = *bytes != 0;
    at = &attrs->body_pos;
  }
  if (given) {
    tc_error(ps->diags, word->pos, "'%.*s' is given more than once",
             (int)word->len, word->text);
    tc_note(ps->diags, *at, "it is first given here");
    return;
  }
  if (size && !parse_size(ps, word, size, bytes))
    return;
  *at = word->pos;
}

/* prefix_open ::= PREFIX STRING LBRACE
 * A bad prefix is reported and then ignored inside its block, so that the
 * routes there are still checked. */
void tc_act_prefix_push(tc_parser *ps, tc_token *prefix)
{
  ps->prefix_lens =
      tc_grow(ps->prefix_lens, ps->nprefix, &ps->cprefix, sizeof(size_t));
  ps->prefix_lens[ps->nprefix++] = ps->prefix.len;
  if (tc_prefix_check(ps->diags, prefix))
    tc_buf_putn(&ps->prefix, prefix->str, prefix->str_len);
  tc_token_free(prefix);
}

/* item ::= prefix_open items RBRACE, or prefix_open thrown away */
void tc_act_prefix_pop(tc_parser *ps)
{
  if (ps->nprefix == 0)
    return;
  ps->prefix.len = ps->prefix_lens[--ps->nprefix];
  if (ps->prefix.data)
    ps->prefix.data[ps->prefix.len] = '\0';
}

/* ---- Files and imports -------------------------------------------------- */

/* What identifies a file whatever the path it is named by. */
static char *file_id(const char *name)
{
  char *real = realpath(name, NULL);
  return real ? real : tc_strdup(name);
}

tc_file *tc_find_file(const tc_program *prog, const char *name)
{
  char *id = file_id(name);
  tc_file *f = NULL;
  for (int i = 0; i < prog->nfiles && !f; i++)
    if (strcmp(prog->files[i]->id, id) == 0)
      f = prog->files[i];
  free(id);
  return f;
}

tc_file *tc_read_file(tc_program *prog, const char *name,
                      const tc_file *parent)
{
  FILE *in = fopen(name, "rb");
  if (!in)
    return NULL;
  tc_buf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
    tc_buf_putn(&b, chunk, n);
  int err = ferror(in) ? errno : 0;
  fclose(in);
  if (err) {
    tc_buf_free(&b);
    errno = err;
    return NULL;
  }
  tc_file *f = tc_xcalloc(1, sizeof *f);
  f->name = tc_strdup(name);
  f->index = prog->nfiles;
  f->text = b.data ? b.data : tc_strdup("");
  f->len = b.len;
  f->parent = parent;
  f->id = file_id(name);
  prog->files = tc_grow(prog->files, prog->nfiles, &prog->cfiles,
                        sizeof *prog->files);
  prog->files[prog->nfiles++] = f;
  return f;
}

/* "a.troute imports b.troute imports c.troute": the chain of imports
 * from the first file to `f`. */
static void import_chain(tc_buf *b, const tc_file *f)
{
  if (f->parent) {
    import_chain(b, f->parent);
    tc_buf_printf(b, " imports ");
  }
  tc_buf_printf(b, "%s", f->name);
}

/* Reports an import of a file already read: a cycle if it is still being
 * parsed, otherwise a second import. */
static void import_again(tc_parser *ps, const tc_token *path,
                         const tc_file *old, const char *name)
{
  tc_buf chain = {0};
  import_chain(&chain, ps->file);
  if (old->parsing)
    tc_error(ps->diags, path->pos, "import cycle: %s imports %s",
             chain.data, name);
  else if (old->parent)
    tc_error(ps->diags, path->pos,
             "'%s' is imported twice (%s imports it first)", name,
             old->parent->name);
  else
    tc_error(ps->diags, path->pos,
             "'%s' is imported, but it is an input file already", name);
  tc_buf_free(&chain);
}

/* item ::= IMPORT STRING SEMI */
void tc_act_import(tc_parser *ps, tc_token *path)
{
  tc_program *p = ps->prog;
  char *name = tc_path_relative(ps->file, path->str);
  const tc_file *old = tc_find_file(p, name);
  if (path->str_len == 0) {
    tc_error(ps->diags, path->pos, "empty import path");
  } else if (old) {
    import_again(ps, path, old, name);
  } else {
    tc_file *f = tc_read_file(p, name, ps->file);
    if (!f)
      tc_error(ps->diags, path->pos, "cannot read '%s': %s", name,
               strerror(errno));
    else
      tc_parse_file_prefixed(p, f, ps->diags, ps->prefix.data);
  }
  free(name);
  tc_token_free(path);
}

static const struct {
  const char *word;
  unsigned bits;
} method_words[] = {
    {"GET", TC_GET | TC_HEAD}, {"POST", TC_POST},
    {"PUT", TC_PUT},           {"PATCH", TC_PATCH},
    {"DELETE", TC_DELETE},     {"OPTIONS", TC_OPTIONS},
    {"ANY", TC_ANY | TC_HEAD},
};

/* methods ::= ID | methods ID
 * Adds the method `word` names to the set `methods`. HEAD is never
 * written: GET brings it along. */
unsigned tc_act_method(tc_parser *ps, unsigned methods, tc_token *word)
{
  for (size_t i = 0; i < sizeof method_words / sizeof method_words[0]; i++) {
    if (strlen(method_words[i].word) != word->len ||
        memcmp(method_words[i].word, word->text, word->len) != 0)
      continue;
    if (methods & method_words[i].bits & ~TC_HEAD)
      tc_error(ps->diags, word->pos, "method '%.*s' is already listed",
               (int)word->len, word->text);
    return methods | method_words[i].bits;
  }
  if (word->len == 4 && memcmp(word->text, "HEAD", 4) == 0)
    tc_error(ps->diags, word->pos,
             "'HEAD' is not written: a GET route serves HEAD");
  else
    tc_error(ps->diags, word->pos,
             "unknown method '%.*s' (known: GET, POST, PUT, PATCH, DELETE, "
             "OPTIONS, ANY)",
             (int)word->len, word->text);
  return methods;
}

static const char *const method_names[] = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

void tc_methods_c(tc_buf *b, unsigned mask)
{
  const char *sep = "";
  for (int i = 0; i < 7; i++) {
    if (mask & (1u << i)) {
      tc_buf_printf(b, "%sTN_METHOD_%s", sep, method_names[i]);
      sep = " | ";
    }
  }
}

void tc_methods_text(tc_buf *b, unsigned mask)
{
  if (mask & TC_GET)
    mask &= ~(unsigned)TC_HEAD;
  if (mask == TC_ANY) {
    tc_buf_printf(b, "ANY");
    return;
  }
  const char *sep = "";
  for (int i = 0; i < 7; i++) {
    if (mask & (1u << i)) {
      tc_buf_printf(b, "%s%s", sep, method_names[i]);
      sep = " ";
    }
  }
}

/* Writes "X", "X or Y", "X, Y or Z" for the token kinds in `set`. */
static void expected_list(tc_buf *b, uint64_t set)
{
  int total = 0, done = 0;
  for (int k = 1; k < 64; k++)
    total += (set >> k) & 1;
  for (int k = 1; k < 64; k++) {
    if (!((set >> k) & 1))
      continue;
    done++;
    const char *sep = done == 1 ? "" : done == total ? " or " : ", ";
    tc_buf_printf(b, "%s%s", sep, tc_token_kind_name(k));
  }
}

/* The %syntax_error of the grammar. Like a C compiler, it says what was
 * expected and what was found instead, and points just after the last good
 * token: where a missing ';' or '->' belongs. After a complete declaration
 * there is nothing to point after, so the unexpected token is shown. */
void tc_act_syntax_error(tc_parser *ps, const tc_token *tok,
                         uint64_t expected)
{
  ps->syntax_error = true;
  if (ps->recovering)
    return;
  ps->recovering = true;

  tc_buf msg = {0};
  if (expected >> TK_ROUTE & 1) {
    /* Every declaration keyword would fit here: naming them all would
     * bury the point. */
    tc_buf_printf(&msg, "expected a declaration ('route', 'static', "
                        "'template', a setting, ...)");
  } else if (expected) {
    tc_buf_printf(&msg, "expected ");
    expected_list(&msg, expected);
  } else {
    tc_buf_printf(&msg, "syntax error");
  }
  if (tok->kind == 0)
    tc_buf_printf(&msg, " at end of input");
  else if (tok->kind == TK_STRING)
    tc_buf_printf(&msg, " before string %.*s", (int)tok->len, tok->text);
  else
    tc_buf_printf(&msg, " before '%.*s'", (int)tok->len, tok->text);

  bool after_decl = ps->prev_kind == 0 || ps->prev_kind == TK_SEMI;
  tc_error(ps->diags, after_decl ? tok->pos : ps->prev_end, "%s", msg.data);
  tc_buf_free(&msg);
}

/* ---- Driver ------------------------------------------------------------- */

/* Hands one token to lemon, remembering where it ended. */
static void feed(void *lemon, tc_parser *ps, tc_token *tok)
{
  int kind = tok->kind;
  tc_pos end = tc_pos_add(tok->pos, (int)tok->len);
  tc_lemon(lemon, kind, *tok, ps);
  ps->prev_kind = kind;
  ps->prev_end = end;
  if (kind == TK_SEMI)
    ps->recovering = false;
}

static bool starts_decl(int kind)
{
  return kind == TK_APP || kind == TK_INCLUDE || kind == TK_ROUTE ||
         kind == TK_REDIRECT || kind == TK_PREFIX || kind == TK_IMPORT ||
         kind == TK_TRAILING_SLASH || kind == TK_TEMPLATE ||
         kind == TK_STATIC || kind == TK_WEBSOCKET;
}

/* A syntax error on a keyword left lemon skipping to the next ';' with
 * the keyword thrown away. Keywords are reserved, so one always starts a
 * new declaration: end the broken one with a ';' and hand the keyword
 * over again, so that one missing ';' does not lose the next declaration
 * too. */
static void resync(void *lemon, tc_parser *ps, tc_token *kw)
{
  tc_token semi = {.kind = TK_SEMI, .pos = kw->pos, .text = ";"};
  feed(lemon, ps, &semi);
  tc_token again = *kw;
  feed(lemon, ps, &again);
}

void tc_parse_file(tc_program *prog, tc_file *file, tc_diags *diags)
{
  tc_parse_file_prefixed(prog, file, diags, NULL);
}

void tc_parse_file_prefixed(tc_program *prog, tc_file *file,
                            tc_diags *diags, const char *prefix)
{
  tc_parser ps = {.prog = prog, .diags = diags, .file = file};
  if (prefix && *prefix)
    tc_buf_printf(&ps.prefix, "%s", prefix);
  file->parsing = true;
  tc_lexer lx;
  tc_lexer_init(&lx, file, diags);
  void *lemon = tc_lemonAlloc(malloc);
  tc_token tok;
  do {
    int errors = diags->errors;
    tc_lex(&lx, &tok);
    if (diags->errors != errors)
      ps.recovering = true;
    tc_token kw = tok;
    ps.syntax_error = false;
    feed(lemon, &ps, &tok);
    if (ps.syntax_error && starts_decl(kw.kind))
      resync(lemon, &ps, &kw);
  } while (tok.kind != 0);
  tc_lemonFree(lemon, free);
  file->parsing = false;
  tc_buf_free(&ps.prefix);
  free(ps.prefix_lens);
}
