/* gen_header.c -- writes APP.h, the C face of a .troute program: route
 * ids, one argument struct per route with parameters, one struct of
 * callbacks per websocket, the handler prototypes and websocket handler
 * declarations (with #line pointing at the .troute file, so a handler
 * defined with the wrong type is reported at its route) and the generated
 * symbols.
 */
#include <string.h>

#include "tornc.h"

/* ---- Helpers shared by the generators ----------------------------------- */

void tc_gen_upper(tc_buf *b, const char *name)
{
  for (const char *s = name; *s; s++) {
    char c = (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s;
    tc_buf_putn(b, &c, 1);
  }
}

const tc_route *tc_gen_handler_owner(const tc_program *prog,
                                     const tc_route *r)
{
  for (int i = 0; i < prog->nroutes; i++)
    if (!prog->routes[i]->redirect &&
        strcmp(prog->routes[i]->handler, r->handler) == 0)
      return prog->routes[i];
  return r;
}

void tc_describe(tc_buf *b, const tc_route *r)
{
  if (r->redirect)
    tc_buf_printf(b, "redirect \"%s\"", r->pattern->text);
  else
    tc_buf_printf(b, "%s '%s'", r->websocket ? "websocket" : "route",
                  r->name);
}

void tc_gen_comment_text(tc_buf *b, const char *text)
{
  /* A "*" then "/" in a pattern would close the comment early. */
  for (const char *s = text; *s; s++) {
    tc_buf_putn(b, s, 1);
    if (s[0] == '*' && s[1] == '/')
      tc_buf_putn(b, "\\", 1);
  }
}

void tc_gen_c_string(tc_buf *b, const char *text)
{
  tc_buf_putn(b, "\"", 1);
  for (const char *s = text; *s; s++) {
    if (*s == '"' || *s == '\\')
      tc_buf_putn(b, "\\", 1);
    tc_buf_putn(b, s, 1);
  }
  tc_buf_putn(b, "\"", 1);
}

/* ---- The header --------------------------------------------------------- */

/* The number of the next line `b` will get: what a #line must say to put
 * the numbering back in step with the file. */
static int next_line(const tc_buf *b)
{
  int line = 1;
  for (size_t i = 0; i < b->len; i++)
    line += b->data[i] == '\n';
  return line + 1;
}

static void gen_guard(tc_buf *out, const char *app, bool open)
{
  tc_buf_printf(out, open ? "#ifndef TORN_APP_" : "#endif /* TORN_APP_");
  tc_gen_upper(out, app);
  tc_buf_printf(out, open ? "_H\n#define TORN_APP_" : "_H */\n");
  if (open) {
    tc_gen_upper(out, app);
    tc_buf_printf(out, "_H\n\n#include <torn.h>\n");
  }
}

/* enum APP_route { APP_ROUTE_NAME, ..., APP_ROUTE_COUNT }; */
static void gen_route_enum(tc_buf *out, const tc_program *prog)
{
  const char *app = tc_program_app(prog);
  tc_buf_printf(out, "\n/* Route ids, in declaration order. */\nenum %s_route {\n",
                app);
  for (int i = 0; i < prog->nroutes; i++) {
    const tc_route *r = prog->routes[i];
    if (r->redirect)
      continue;
    tc_buf_printf(out, "  ");
    tc_gen_upper(out, app);
    tc_buf_printf(out, "_ROUTE_");
    tc_gen_upper(out, r->name);
    tc_buf_printf(out, ", /* ");
    if (r->websocket)
      tc_buf_printf(out, "WEBSOCKET");
    else
      tc_methods_text(out, r->methods);
    tc_buf_printf(out, " \"");
    tc_gen_comment_text(out, r->pattern->text);
    tc_buf_printf(out, "\" */\n");
  }
  tc_buf_printf(out, "  ");
  tc_gen_upper(out, app);
  tc_buf_printf(out, "_ROUTE_COUNT\n};\n");
}

/* struct APP_NAME_args { one member per parameter }; */
static void gen_args_struct(tc_buf *out, const char *app, const tc_route *r)
{
  tc_buf_printf(out,
                "\n/* The parameters of %s '%s'. */\nstruct %s_%s_args {\n",
                r->websocket ? "websocket" : "route", r->name, app, r->name);
  for (int i = 0; i < r->pattern->nsegs; i++) {
    const tc_seg *s = &r->pattern->segs[i];
    if (s->kind != TC_SEG_PARAM)
      continue;
    tc_buf_printf(out, "  %s %s; /* {%s:", s->type->ctype, s->text, s->text);
    tc_gen_comment_text(out, s->rx ? s->rx_text : s->type->name);
    tc_buf_printf(out, "}%s */\n",
                  s->type->conv == TC_STR || s->type->conv == TC_PATH
                      ? ", percent-decoded"
                      : s->type->conv == TC_CHECKED ? ", as sent" : "");
  }
  tc_buf_printf(out, "};\n");
}

/* struct APP_NAME_ws: the callbacks of websocket `r`, which the user
 * defines as an object (tn_ws_handler_t's members, `open` with the typed
 * arguments). */
static void gen_ws_struct(tc_buf *out, const char *app, const tc_route *r)
{
  tc_buf_printf(out,
                "\n/* The callbacks of websocket '%s', defined by the user "
                "as\n"
                " *   const struct %s_%s_ws %s = {.open = ..., .message = "
                "...};\n"
                " * Any member may be NULL. See torn.h's WebSocket section. "
                "*/\n"
                "struct %s_%s_ws {\n"
                "  /* Before the upgrade: 0 accepts it, an HTTP status "
                "(403...) refuses it. */\n"
                "  int (*open)(tn_ws_t *ws, tn_req_t *req",
                r->name, app, r->name, r->handler, app, r->name);
  if (r->pattern->nparams > 0)
    tc_buf_printf(out, ",\n              const struct %s_%s_args *args",
                  app, r->name);
  tc_buf_printf(
      out,
      ");\n"
      "  /* Each text or binary message, whole. */\n"
      "  void (*message)(tn_ws_t *ws, const tn_ws_msg_t *msg);\n"
      "  /* Once, however the connection ended (1005: no code, 1006: no "
      "close\n"
      "   * frame); `ws` is gone after it. */\n"
      "  void (*close)(tn_ws_t *ws, int code, tn_str_t reason);\n"
      "  /* The answer to a tn_ws_ping. */\n"
      "  void (*pong)(tn_ws_t *ws, tn_str_t data);\n"
      "  /* Whether a page of `origin` may connect (left NULL: "
      "tn_ws_same_origin). */\n"
      "  bool (*check_origin)(tn_req_t *req, tn_str_t origin);\n"
      "  /* The subprotocol chosen among those offered, or NULL for none. "
      "*/\n"
      "  const char *(*select_subprotocol)(tn_req_t *req, const tn_str_t "
      "*offered,\n"
      "                                    size_t n);\n"
      "};\n");
}

/* One prototype per hook, with tn_hooks_t's member type, at the line
 * naming the function: a function of another type is a C error there. */
static void gen_hook_prototypes(tc_buf *out, const tc_program *prog)
{
  const char *sep = "\n/* The hooks (tn_hooks_t), written by the user. */\n";
  for (int i = 0; i < TC_NHOOKS; i++) {
    const tc_hook *h = &prog->hooks[i];
    if (!h->fn)
      continue;
    tc_buf_printf(out, "%s#line %d ", sep, h->fn_pos.line);
    tc_gen_c_string(out, h->fn_pos.file->name);
    const char *ret = tc_hook_types[i].ret;
    tc_buf_printf(out, "\n%s%s%s%s;\n", ret,
                  ret[strlen(ret) - 1] == '*' ? "" : " ", h->fn,
                  tc_hook_types[i].params);
    sep = "";
  }
}

/* One prototype per handler, at the line of the first route naming it;
 * for a websocket, the declaration of its object of callbacks. */
static void gen_prototypes(tc_buf *out, const tc_program *prog,
                           const tc_gen_paths *paths)
{
  const char *app = tc_program_app(prog);
  tc_buf_printf(out, "\n/* The handlers and websocket callbacks, written by "
                     "the user. */\n");
  for (int i = 0; i < prog->nroutes; i++) {
    const tc_route *r = prog->routes[i];
    if (r->redirect || tc_gen_handler_owner(prog, r) != r)
      continue;
    tc_buf_printf(out, "#line %d ", r->handler_pos.line);
    tc_gen_c_string(out, r->handler_pos.file->name);
    if (r->websocket)
      tc_buf_printf(out, "\nextern const struct %s_%s_ws %s;\n", app,
                    r->name, r->handler);
    else if (r->pattern->nparams == 0)
      tc_buf_printf(out, "\nvoid %s(tn_req_t *req);\n", r->handler);
    else
      tc_buf_printf(out,
                    "\nvoid %s(tn_req_t *req, const struct %s_%s_args *args);\n",
                    r->handler, app, r->name);
  }
  gen_hook_prototypes(out, prog);
  tc_gen_template_protos(out, prog);
  tc_buf_printf(out, "#line %d ", next_line(out));
  tc_gen_c_string(out, paths->header);
  tc_buf_printf(out, "\n");
}

static int max_params(const tc_program *prog)
{
  int n = 1;
  for (int i = 0; i < prog->nroutes; i++)
    if (prog->routes[i]->pattern->nparams > n)
      n = prog->routes[i]->pattern->nparams;
  return n;
}

/* The matcher, the app and the tables (APP_routes.c defines them). */
static void gen_symbols(tc_buf *out, const tc_program *prog)
{
  const char *app = tc_program_app(prog);
  tc_buf_printf(out, "\n/* The most parameters of any route: the size of "
                     "%s_match()'s caps. */\n#define ",
                app);
  tc_gen_upper(out, app);
  tc_buf_printf(out, "_MAX_PARAMS %d\n", max_params(prog));
  tc_buf_printf(
      out,
      "\n/* Matches `path` (`len` bytes; path[len] is NUL, '?' or ' ', see\n"
      " * tn_match_cb) and `method` (one TN_METHOD_* bit). Returns the route "
      "id,\n"
      " * or ");
  tc_gen_upper(out, app);
  tc_buf_printf(
      out,
      "_ROUTE_COUNT + k for the k-th redirect (which takes any\n"
      " * method), with the parameters' text as sent in caps[0..]; or -1 "
      "with\n"
      " * *allow = the methods the path accepts (0 if none). */\n"
      "int %s_match(unsigned method, const char *path, size_t len,\n"
      "    tn_str_t *caps, unsigned *allow);\n\n"
      "/* The application, for tn_main() or tn_serve(). */\n"
      "extern const tn_app_t %s_app;\n\n"
      "/* The name, and the by-name URL builder, of each route (and "
      "websocket),\n * by id. */\n"
      "extern const char *const %s_route_names[",
      app, app, app);
  tc_gen_upper(out, app);
  tc_buf_printf(out, "_ROUTE_COUNT];\nextern const tn_route_t %s_routes[",
                app);
  tc_gen_upper(out, app);
  tc_buf_printf(out, "_ROUTE_COUNT];\n");
}

/* The name a typed builder's prototype gives parameter `s`: its own,
 * unless that is taken by the builder's first two parameters. */
static void gen_proto_param(tc_buf *out, const tc_seg *s)
{
  const char *t = s->type->argtype;
  bool taken = strcmp(s->text, "out") == 0 || strcmp(s->text, "size") == 0;
  tc_buf_printf(out, ", %s%s%s%s", t, t[strlen(t) - 1] == '*' ? "" : " ",
                taken ? "a_" : "", s->text);
}

/* int APP_url_ROUTE(char *out, size_t size, ARGS); for every route. */
static void gen_builders(tc_buf *out, const tc_program *prog)
{
  const char *app = tc_program_app(prog);
  tc_buf_printf(
      out,
      "\n/* URL builders, one per route: write the route's path for these\n"
      " * values into out (size bytes, NUL included) and return its length,\n"
      " * which is >= size when it did not fit (as snprintf), or TN_EINVAL "
      "for\n"
      " * a value its parameter does not accept (an empty str or path, a "
      "slug,\n"
      " * uuid or pattern value that does not match). Strings are values, "
      "not\n"
      " * URL text: str and path values are percent-encoded ('/' too in a "
      "str). */\n");
  for (int i = 0; i < prog->nroutes; i++) {
    const tc_route *r = prog->routes[i];
    if (r->redirect)
      continue;
    tc_buf_printf(out, "int %s_url_%s(char *out, size_t size", app, r->name);
    for (int j = 0; j < r->pattern->nsegs; j++)
      if (r->pattern->segs[j].kind == TC_SEG_PARAM)
        gen_proto_param(out, &r->pattern->segs[j]);
    tc_buf_printf(out, ");\n");
  }
  tc_buf_printf(out, "\n");
}

void tc_gen_header(tc_buf *out, const tc_program *prog,
                   const tc_gen_paths *paths)
{
  const char *app = tc_program_app(prog);
  tc_buf_printf(out, "/* %s.h -- generated by tornc %s. Do not edit: edit the "
                     ".troute file. */\n",
                app, TORNC_VERSION);
  gen_guard(out, app, true);
  for (int i = 0; i < prog->nincludes; i++)
    tc_buf_printf(out, "%s#include \"%s\"\n", i ? "" : "\n",
                  prog->includes[i].text);
  gen_route_enum(out, prog);
  for (int i = 0; i < prog->nroutes; i++) {
    const tc_route *r = prog->routes[i];
    if (!r->redirect && r->pattern->nparams > 0)
      gen_args_struct(out, app, r);
    if (r->websocket)
      gen_ws_struct(out, app, r);
  }
  gen_prototypes(out, prog, paths);
  gen_symbols(out, prog);
  gen_builders(out, prog);
  gen_guard(out, app, false);
}
