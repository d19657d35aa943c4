/* test_tornc_parse.c -- unit tests of the parser (AST built from sources
 * in memory), the pattern parser, the semantic checks, and the way syntax
 * and other errors are collected and printed. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tornc.h"
#include "troute_parse.h"

/* One or more sources in memory, parsed (and checked) as one program. */
typedef struct {
  tc_file files[2];
  int nfiles;
  tc_program prog;
  tc_diags diags;
} parsed;

static parsed *parse2(const char *src1, const char *src2, bool check)
{
  parsed *p = calloc(1, sizeof *p);
  assert_non_null(p);
  const char *srcs[2] = {src1, src2};
  for (int i = 0; i < 2 && srcs[i]; i++, p->nfiles++) {
    p->files[i] = (tc_file){.name = i ? "b.troute" : "a.troute",
                            .index = i,
                            .text = tc_strdup(srcs[i]),
                            .len = strlen(srcs[i])};
    tc_parse_file(&p->prog, &p->files[i], &p->diags);
  }
  if (check)
    tc_check(&p->prog, &p->files[0], &p->diags);
  return p;
}

static parsed *parse(const char *src) { return parse2(src, NULL, false); }
static parsed *check(const char *src) { return parse2(src, NULL, true); }

static void parsed_free(parsed *p)
{
  tc_program_free(&p->prog);
  tc_diags_free(&p->diags);
  for (int i = 0; i < p->nfiles; i++)
    free(p->files[i].text);
  free(p);
}

/* Checks diagnostic `i`: severity, position and message. */
static void expect_diag(const parsed *p, int i, tc_severity sev, int line,
                        int col, const char *msg)
{
  assert_true(i < p->diags.n);
  const tc_diag *d = &p->diags.items[i];
  assert_string_equal(d->msg, msg);
  assert_int_equal(d->severity, sev);
  assert_int_equal(d->pos.line, line);
  assert_int_equal(d->pos.col, col);
}

/* The diagnostics as tc_diags_print writes them. */
static char *printed(const parsed *p)
{
  FILE *f = tmpfile();
  assert_non_null(f);
  tc_diags_print(&p->diags, f);
  long n = ftell(f);
  char *s = calloc(1, (size_t)n + 1);
  rewind(f);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  return s;
}

/* ---- The AST ------------------------------------------------------------ */

static void test_program(void **state)
{
  (void)state;
  parsed *p = parse("app hello;\n"
                    "include \"a.h\";\n"
                    "include \"b/c.h\";\n"
                    "route home GET \"/\" -> home;\n"
                    "route user GET POST \"/users/{id:int}/x{n:str}\" -> show;\n");
  assert_int_equal(p->diags.n, 0);
  assert_int_equal(p->prog.napps, 1);
  assert_string_equal(p->prog.apps[0].text, "hello");
  assert_int_equal(p->prog.apps[0].pos.col, 5);
  assert_int_equal(p->prog.nincludes, 2);
  assert_string_equal(p->prog.includes[1].text, "b/c.h");
  assert_int_equal(p->prog.includes[1].pos.line, 3);
  assert_int_equal(p->prog.nroutes, 2);

  const tc_route *r = p->prog.routes[0];
  assert_string_equal(r->name, "home");
  assert_int_equal(r->methods, TC_GET | TC_HEAD);
  assert_string_equal(r->handler, "home");
  assert_int_equal(r->pos.line, 4);
  assert_int_equal(r->pattern->nsegs, 1);
  assert_int_equal(r->pattern->nparams, 0);

  r = p->prog.routes[1];
  assert_string_equal(r->name, "user");
  assert_int_equal(r->name_pos.col, 7);
  assert_int_equal(r->methods, TC_GET | TC_HEAD | TC_POST);
  assert_string_equal(r->handler, "show");
  assert_int_equal(r->handler_pos.col, 51);
  const tc_pattern *pt = r->pattern;
  assert_string_equal(pt->text, "/users/{id:int}/x{n:str}");
  assert_string_equal(pt->key, "/users/{:int}/x{:str}");
  assert_int_equal(pt->pos.col, 21);
  assert_int_equal(pt->nsegs, 4);
  assert_int_equal(pt->nparams, 2);
  assert_int_equal(pt->segs[0].kind, TC_SEG_LIT);
  assert_string_equal(pt->segs[0].text, "/users/");
  assert_int_equal(pt->segs[1].kind, TC_SEG_PARAM);
  assert_string_equal(pt->segs[1].text, "id");
  assert_string_equal(pt->segs[1].type->name, "int");
  assert_int_equal(pt->segs[1].pos.col, 29);
  assert_int_equal(pt->segs[1].name_pos.col, 30);
  assert_string_equal(pt->segs[2].text, "/x");
  assert_string_equal(pt->segs[3].type->name, "str");
  assert_false(pt->bad);
  parsed_free(p);
}

static void test_methods(void **state)
{
  (void)state;
  parsed *p = parse("route a ANY \"/\" -> a;\n"
                    "route b PUT PATCH DELETE OPTIONS \"/b\" -> b;\n"
                    "route GET GET \"/c\" -> c;\n");
  assert_int_equal(p->diags.n, 0);
  assert_int_equal(p->prog.routes[0]->methods, TC_ANY | TC_HEAD);
  assert_int_equal(p->prog.routes[1]->methods,
                   TC_PUT | TC_PATCH | TC_DELETE | TC_OPTIONS);
  /* A route may be named like a method. */
  assert_string_equal(p->prog.routes[2]->name, "GET");
  parsed_free(p);
}

static void test_method_errors(void **state)
{
  (void)state;
  parsed *p = parse("route a get HEAD GET GET \"/\" -> a;\n"
                    "route b POST ANY \"/\" -> b;\n");
  assert_int_equal(p->diags.n, 4);
  expect_diag(p, 0, TC_ERROR, 1, 9,
              "unknown method 'get' (known: GET, POST, PUT, PATCH, DELETE, "
              "OPTIONS, ANY)");
  expect_diag(p, 1, TC_ERROR, 1, 13,
              "'HEAD' is not written: a GET route serves HEAD");
  expect_diag(p, 2, TC_ERROR, 1, 22, "method 'GET' is already listed");
  expect_diag(p, 3, TC_ERROR, 2, 14, "method 'ANY' is already listed");
  /* The routes are still built, for the later checks. */
  assert_int_equal(p->prog.nroutes, 2);
  parsed_free(p);
}

static void test_two_files(void **state)
{
  (void)state;
  parsed *p = parse2("app x;\nroute a GET \"/a\" -> a;\n",
                     "route b GET \"/b\" -> b;\n", true);
  assert_int_equal(p->diags.n, 0);
  assert_int_equal(p->prog.nroutes, 2);
  assert_string_equal(p->prog.routes[1]->pos.file->name, "b.troute");
  parsed_free(p);
}

/* ---- Syntax errors ------------------------------------------------------ */

static void test_missing_semicolon(void **state)
{
  (void)state;
  parsed *p = parse("app x;\n"
                    "route a GET \"/a\" -> a\n"
                    "route b GET \"/b\" -> b;\n");
  assert_int_equal(p->diags.n, 1);
  /* Just after the last good token, where the ';' belongs. */
  expect_diag(p, 0, TC_ERROR, 2, 22, "expected ';' before 'route'");
  /* The broken declaration is lost, not the next one. */
  assert_int_equal(p->prog.nroutes, 1);
  assert_string_equal(p->prog.routes[0]->name, "b");
  parsed_free(p);
}

static void test_missing_arrow(void **state)
{
  (void)state;
  parsed *p = parse("route a GET \"/a\" a;\nroute b GET \"/b\" -> b;\n");
  assert_int_equal(p->diags.n, 1);
  expect_diag(p, 0, TC_ERROR, 1, 17, "expected '->' before 'a'");
  assert_int_equal(p->prog.nroutes, 1);
  parsed_free(p);
}

static void test_syntax_error_messages(void **state)
{
  (void)state;
  parsed *p = parse("hello;\n"
                    "app;\n"
                    "include x;\n"
                    "route a \"/\" -> a;\n"
                    "route b GET \"/\" ->");
  assert_int_equal(p->diags.n, 5);
  expect_diag(p, 0, TC_ERROR, 1, 1,
              "expected a declaration ('route', 'static', 'template', a "
              "setting, ...) before 'hello'");
  expect_diag(p, 1, TC_ERROR, 2, 4, "expected identifier before ';'");
  expect_diag(p, 2, TC_ERROR, 3, 8, "expected string before 'x'");
  expect_diag(p, 3, TC_ERROR, 4, 8, "expected identifier before string \"/\"");
  expect_diag(p, 4, TC_ERROR, 5, 19, "expected identifier at end of input");
  parsed_free(p);
}

/* After a lexical error the parser keeps quiet until the next ';'. */
static void test_lex_error_no_cascade(void **state)
{
  (void)state;
  parsed *p = parse("route a GET \"/a -> a;\n"
                    "route b GET \"/b\" -> b;\n"
                    "route c GET @ \"/c\" -> c;\n");
  assert_int_equal(p->diags.n, 2);
  expect_diag(p, 0, TC_ERROR, 1, 13, "unterminated string");
  expect_diag(p, 1, TC_ERROR, 3, 13, "unexpected character '@'");
  assert_int_equal(p->prog.nroutes, 2);
  parsed_free(p);
}

/* ---- Patterns ----------------------------------------------------------- */

/* Parses `route r GET PATTERN -> h;` and returns the diagnostics. */
static parsed *pattern(const char *pat)
{
  char src[256];
  snprintf(src, sizeof src, "route r GET %s -> h;", pat);
  return parse(src);
}

static void expect_pattern_error(const char *pat, int col, const char *msg)
{
  parsed *p = pattern(pat);
  assert_true(p->diags.n >= 1);
  expect_diag(p, 0, TC_ERROR, 1, col, msg);
  assert_true(p->prog.routes[0]->pattern->bad);
  parsed_free(p);
}

static void test_pattern_errors(void **state)
{
  (void)state;
  /* The string starts at column 13; its first byte is column 14. */
  expect_pattern_error("\"\"", 14, "a pattern must start with '/'");
  expect_pattern_error("\"users\"", 14, "a pattern must start with '/'");
  expect_pattern_error("\"/u/{id:integer}\"", 21,
                       "unknown parameter type 'integer' (known: int, uint, str, slug, uuid, path, or an inline pattern)");
  expect_pattern_error("\"/u/{id:int\"", 17, "unterminated '{' in pattern");
  expect_pattern_error("\"/u/{id:int/x\"", 17, "unterminated '{' in pattern");
  expect_pattern_error("\"/u/{:int}\"", 18, "empty parameter name");
  expect_pattern_error("\"/u/{id}\"", 20,
                       "missing type for parameter 'id' (known: int, uint, str, slug, uuid, path, or an inline pattern)");
  expect_pattern_error("\"/u/{id:}\"", 21,
                       "missing type for parameter 'id' (known: int, uint, str, slug, uuid, path, or an inline pattern)");
  expect_pattern_error("\"/u/{1d:int}\"", 18,
                       "parameter name '1d' is not a C identifier");
  expect_pattern_error("\"/u/{int:int}\"", 18,
                       "parameter name 'int' is a C keyword");
  expect_pattern_error("\"/u}\"", 16, "'}' without a matching '{' in pattern");
  expect_pattern_error("\"/u?x\"", 16, "'?' cannot be part of a path pattern");
  expect_pattern_error("\"/a b\"", 16, "space in pattern (write it as %20)");
  expect_pattern_error("\"/a\\tb\"", 16, "control character 0x09 in pattern");
  expect_pattern_error("\"/{p:path}/x\"", 23,
                       "'path' parameter 'p' must end the pattern");
  expect_pattern_error("\"/{p:path}{q:int}\"", 23,
                       "'path' parameter 'p' must end the pattern");
  /* Columns count source bytes, escapes included. */
  expect_pattern_error("\"/\\\"\\\\{x:float}\"", 22,
                       "unknown parameter type 'float' (known: int, uint, str, slug, uuid, path, or an inline pattern)");
}

/* Inline patterns: each error at its byte inside the pattern. The
 * pattern of "/u/{n:...}" starts at column 20. */
static void test_inline_pattern_errors(void **state)
{
  (void)state;
  expect_pattern_error("\"/u/{n:[a-z}\"", 20, "unclosed '[' in pattern");
  expect_pattern_error("\"/u/{n:(ab}\"", 20, "unclosed '(' in pattern");
  expect_pattern_error("\"/u/{n:ab)}\"", 22,
                       "')' without a matching '('");
  expect_pattern_error("\"/u/{n:a{3,1}}\"", 21,
                       "bad repetition: the maximum is below the minimum");
  expect_pattern_error("\"/u/{n:a{x}}\"", 21,
                       "bad repetition (write {n}, {n,} or {n,m})");
  expect_pattern_error("\"/u/{n:a**}\"", 22,
                       "bad repetition: a quantifier cannot follow another");
  expect_pattern_error("\"/u/{n:+a}\"", 20,
                       "nothing to repeat before this quantifier");
  expect_pattern_error("\"/u/{n:a{300}}\"", 21,
                       "repetition count too large (at most 255)");
  expect_pattern_error("\"/u/{n:[a-z]*}\"", 20,
                       "the pattern can match the empty string (a parameter "
                       "is never empty)");
  expect_pattern_error("\"/u/{n:a|}\"", 20,
                       "the pattern can match the empty string (a parameter "
                       "is never empty)");
  expect_pattern_error("\"/u/{n:a/b}\"", 21,
                       "character '/' never appears in a path segment as sent "
                       "(only A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ "
                       "do)");
  expect_pattern_error("\"/u/{n:a%b}\"", 21,
                       "character '%' never appears in a path segment as sent "
                       "(only A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ "
                       "do)");
  expect_pattern_error("\"/u/{n:[/%]}\"", 20,
                       "character class matches no byte allowed in a path "
                       "segment");
  expect_pattern_error("\"/u/{n:[z-a]}\"", 21,
                       "range out of order in character class");
  expect_pattern_error("\"/u/{n:\\\\q}\"", 20,
                       "unknown escape (only punctuation is escaped: '\\.')");
  expect_pattern_error("\"/u/{n:abc}\"", 20,
                       "unknown parameter type 'abc' (known: int, uint, str, "
                       "slug, uuid, path, or an inline pattern)");
}

/* Inline patterns that are fine, with their key (what makes two
 * patterns one rule). */
static void test_inline_pattern_ok(void **state)
{
  (void)state;
  static const char *const ok[] = {
      "\"/~{n:[a-z][a-z0-9_]{2,15}}\"", "\"/{n:(ab|cd)+x?}\"",
      "\"/{n:[^a]}\"", "\"/{n:\\\\.}\"", "\"/{n:[]a]}\"", "\"/{n:a{2,}}\"",
      "\"/{n:[a}]+}\"", "\"/{n:(a|b){3}}\"", "\"/{n:.+}.txt\""};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    parsed *p = pattern(ok[i]);
    if (p->diags.n)
      fail_msg("%s: %s", ok[i], p->diags.items[0].msg);
    parsed_free(p);
  }
  parsed *p = pattern("\"/~{n:[a-z]+}/{m:int}\"");
  assert_string_equal(p->prog.routes[0]->pattern->key,
                      "/~{:/[a-z]+/}/{:int}");
  parsed_free(p);
}

/* A pattern that splits one path into parameters in two ways is an
 * error; one where the split is forced is fine. */
static void test_check_ambiguous(void **state)
{
  (void)state;
  parsed *p = check("app x;\n"
                    "route a GET \"/a/{x:str}.{y:str}\" -> a;\n"
                    "route b GET \"/b/{x:int}{y:int}\" -> b;\n"
                    "route c GET \"/c/{x:str}.txt\" -> c;\n"
                    "route d GET \"/d/{x:int}0\" -> d;\n"
                    "route e GET \"/e/{x:int}-{y:int}\" -> e;\n"
                    "route f GET \"/f/{x:slug}{y:uuid}\" -> f;\n"
                    "route g GET \"/g/{x:[a-z]+}{y:[0-9]+}\" -> g;\n"
                    "route h GET \"/h/{x:[a-z]+}{y:[a-z0-9]+}\" -> h;\n");
  /* A slug may hold what a uuid does, but the uuid's fixed length forces
   * the split: not ambiguous. */
  assert_int_equal(p->diags.n, 3);
  expect_diag(p, 0, TC_ERROR, 2, 17,
              "ambiguous pattern: in \"/a/a..a\", parameter 'x' can be "
              "\"a.\" or \"a\"");
  expect_diag(p, 1, TC_ERROR, 3, 17,
              "ambiguous pattern: in \"/b/110\", parameter 'x' can be "
              "\"11\" or \"1\"");
  expect_diag(p, 2, TC_ERROR, 9, 17,
              "ambiguous pattern: in \"/h/aaa\", parameter 'x' can be "
              "\"aa\" or \"a\"");
  parsed_free(p);
}

static void test_pattern_duplicate_param(void **state)
{
  (void)state;
  parsed *p = pattern("\"/{id:int}/{id:str}\"");
  assert_int_equal(p->diags.n, 2);
  expect_diag(p, 0, TC_ERROR, 1, 25, "duplicate parameter name 'id'");
  expect_diag(p, 1, TC_NOTE, 1, 16, "'id' first declared here");
  parsed_free(p);
}

static void test_pattern_several_errors(void **state)
{
  (void)state;
  parsed *p = pattern("\"x/{a:t}/{b:int\"");
  assert_int_equal(p->diags.n, 3);
  expect_diag(p, 0, TC_ERROR, 1, 14, "a pattern must start with '/'");
  expect_diag(p, 1, TC_ERROR, 1, 19,
              "unknown parameter type 't' (known: int, uint, str, slug, uuid, path, or an inline pattern)");
  expect_diag(p, 2, TC_ERROR, 1, 22, "unterminated '{' in pattern");
  parsed_free(p);
}

/* ---- Semantic checks ---------------------------------------------------- */

static void test_check_ok(void **state)
{
  (void)state;
  parsed *p = check("app x;\n"
                    "route me GET \"/u/me\" -> me;\n"
                    "route u GET \"/u/{n:str}\" -> u;\n"
                    "route v GET \"/v/{n:int}\" -> v;\n"
                    "route w GET \"/v/{n:str}\" -> w;\n"
                    "route e POST \"/u/{name:str}\" -> e;\n"
                    "route f PUT \"/f/{n:str}\" -> u;\n");
  assert_int_equal(p->diags.n, 0);
  parsed_free(p);
}

static void test_check_app(void **state)
{
  (void)state;
  parsed *p = check("route a GET \"/\" -> a;\n");
  assert_int_equal(p->diags.n, 1);
  expect_diag(p, 0, TC_ERROR, 1, 1,
              "missing 'app' declaration (add 'app NAME;')");
  parsed_free(p);

  p = parse2("app x;\nroute a GET \"/\" -> a;\n", "\n  app y;\n", true);
  assert_int_equal(p->diags.n, 2);
  expect_diag(p, 0, TC_ERROR, 2, 7, "more than one 'app' declaration");
  assert_string_equal(p->diags.items[0].pos.file->name, "b.troute");
  expect_diag(p, 1, TC_NOTE, 1, 5, "the first 'app' is here");
  parsed_free(p);

  p = check("app x;\n");
  expect_diag(p, 0, TC_ERROR, 1, 5, "app 'x' has no routes");
  parsed_free(p);
}

static void test_check_names(void **state)
{
  (void)state;
  parsed *p = check("app x;\n"
                    "route a GET \"/a\" -> a;\n"
                    "route a GET \"/b\" -> b;\n"
                    "route A GET \"/c\" -> c;\n"
                    "route count GET \"/d\" -> d;\n"
                    "route e GET \"/e\" -> int;\n"
                    "include \"\";\n"
                    "include \"a\\\\b.h\";\n");
  assert_int_equal(p->diags.n, 8);
  expect_diag(p, 0, TC_ERROR, 7, 9, "empty include path");
  expect_diag(p, 1, TC_ERROR, 8, 9, "include path cannot contain '\\'");
  expect_diag(p, 2, TC_ERROR, 3, 7, "duplicate route name 'a'");
  expect_diag(p, 3, TC_NOTE, 2, 7, "'a' first declared here");
  expect_diag(p, 4, TC_ERROR, 4, 7,
              "route names 'a' and 'A' differ only in case");
  expect_diag(p, 5, TC_NOTE, 2, 7, "'a' first declared here");
  expect_diag(p, 6, TC_ERROR, 5, 7, "route name 'count' is reserved");
  expect_diag(p, 7, TC_ERROR, 6, 21, "handler name 'int' is a C keyword");
  parsed_free(p);
}

static void test_check_same_requests(void **state)
{
  (void)state;
  parsed *p = check("app x;\n"
                    "route a GET POST \"/u/{id:int}\" -> a;\n"
                    "route b PUT \"/u/{n:int}\" -> b;\n"
                    "route c ANY \"/u/{x:int}\" -> c;\n");
  assert_int_equal(p->diags.n, 2);
  expect_diag(p, 0, TC_ERROR, 4, 13,
              "route 'c' matches the same requests as route 'a' (GET POST "
              "\"/u/{x:int}\")");
  expect_diag(p, 1, TC_NOTE, 2, 18, "route 'a' is here");
  parsed_free(p);
}

static void test_check_shared_handler(void **state)
{
  (void)state;
  parsed *p = check("app x;\n"
                    "route a GET \"/a/{id:int}\" -> h;\n"
                    "route b GET \"/b/{id:int}\" -> h;\n"
                    "route c GET \"/c/{id:str}\" -> h;\n"
                    "route d GET \"/d\" -> h;\n");
  assert_int_equal(p->diags.n, 4);
  expect_diag(p, 0, TC_ERROR, 4, 30,
              "handler 'h' is shared with route 'a', which has different "
              "parameters");
  expect_diag(p, 1, TC_NOTE, 2, 30, "route 'a' uses 'h' here");
  expect_diag(p, 2, TC_ERROR, 5, 21,
              "handler 'h' is shared with route 'a', which has different "
              "parameters");
  parsed_free(p);
}

/* ---- WebSocket endpoints and settings ------------------------------------ */

static void test_websocket(void **state)
{
  (void)state;
  parsed *p = parse("app x;\n"
                    "route home GET \"/\" -> home;\n"
                    "prefix \"/api\" {\n"
                    "  websocket chat \"/chat/{room:slug}\" -> on_chat\n"
                    "      max_message_size 64K authenticated;\n"
                    "}\n"
                    "redirect \"/c/{room:slug}\" => chat;\n"
                    "websocket echo \"/echo\" -> echo;\n");
  assert_int_equal(p->diags.n, 0);
  assert_int_equal(p->prog.nroutes, 4);

  const tc_route *r = p->prog.routes[1];
  assert_true(r->websocket);
  assert_false(r->redirect);
  assert_string_equal(r->name, "chat");
  assert_int_equal(r->pos.line, 4);
  assert_int_equal(r->pos.col, 3);
  assert_int_equal(r->name_pos.col, 13);
  /* The upgrade is a GET; HEAD does not come with it. */
  assert_int_equal(r->methods, TC_GET);
  assert_string_equal(r->pattern->text, "/api/chat/{room:slug}");
  assert_int_equal(r->pattern->nparams, 1);
  assert_string_equal(r->handler, "on_chat");
  assert_int_equal(r->handler_pos.col, 41);
  assert_int_equal(r->attrs.max_message_size, 64 * 1024);
  assert_int_equal(r->attrs.message_pos.line, 5);
  assert_int_equal(r->attrs.message_pos.col, 7);
  assert_true(r->attrs.authenticated);
  assert_false(r->attrs.is_async);
  /* Route ids count routes and websockets together. */
  assert_int_equal(p->prog.routes[0]->id, 0);
  assert_int_equal(r->id, 1);
  assert_int_equal(p->prog.routes[3]->id, 2);
  assert_true(p->prog.routes[3]->websocket);
  assert_int_equal(p->prog.routes[3]->attrs.max_message_size, 0);
  assert_int_equal(p->prog.nnamed, 3);
  assert_int_equal(p->prog.nredirects, 1);
  assert_false(p->prog.routes[0]->websocket);
  parsed_free(p);
}

static void test_websocket_attr_errors(void **state)
{
  (void)state;
  parsed *p = parse("websocket a \"/a\" -> a async max_body_size 1M;\n"
                    "route b GET \"/b\" -> b max_message_size 1M;\n"
                    "websocket c \"/c\" -> c max_message_size 0;\n"
                    "websocket d \"/d\" -> d max_message_size 1K "
                    "max_message_size 2K;\n");
  assert_int_equal(p->diags.n, 6);
  expect_diag(p, 0, TC_ERROR, 1, 23,
              "'async' does not apply to a websocket (its connection lives "
              "on after the open callback; tn_ws_close ends it)");
  expect_diag(p, 1, TC_ERROR, 1, 29,
              "'max_body_size' does not apply to a websocket (the upgrade "
              "request has no body; its messages are limited by "
              "'max_message_size')");
  expect_diag(p, 2, TC_ERROR, 2, 23,
              "'max_message_size' applies to websockets only (a route's "
              "limit is 'max_body_size')");
  expect_diag(p, 3, TC_ERROR, 3, 40,
              "max_message_size cannot be 0 (it would refuse every message)");
  expect_diag(p, 4, TC_ERROR, 4, 43, "'max_message_size' is given more "
                                     "than once");
  expect_diag(p, 5, TC_NOTE, 4, 23, "it is first given here");
  /* The declarations are kept, without the attributes that do not
   * apply. */
  assert_int_equal(p->prog.nroutes, 4);
  assert_false(p->prog.routes[0]->attrs.is_async);
  assert_int_equal(p->prog.routes[0]->attrs.max_body_size, 0);
  assert_int_equal(p->prog.routes[1]->attrs.max_message_size, 0);
  assert_int_equal(p->prog.routes[3]->attrs.max_message_size, 1024);
  parsed_free(p);
}

/* `websocket` is reserved; the words of its settings and attribute are
 * not. */
static void test_websocket_words(void **state)
{
  (void)state;
  parsed *p = parse("route websocket GET \"/\" -> a;\n"
                    "route websocket_max_queue GET \"/q\" -> "
                    "websocket_compression;\n"
                    "websocket max_message_size \"/m\" -> "
                    "websocket_ping_interval max_message_size 1M;\n");
  assert_int_equal(p->diags.n, 1);
  expect_diag(p, 0, TC_ERROR, 1, 6, "expected identifier before 'websocket'");
  /* The keyword starts a declaration again after the error, as any
   * keyword does: `websocket GET "/" -> a;` is one. */
  assert_int_equal(p->prog.nroutes, 3);
  assert_true(p->prog.routes[0]->websocket);
  assert_string_equal(p->prog.routes[0]->name, "GET");
  assert_string_equal(p->prog.routes[1]->name, "websocket_max_queue");
  assert_string_equal(p->prog.routes[1]->handler, "websocket_compression");
  assert_string_equal(p->prog.routes[2]->name, "max_message_size");
  assert_string_equal(p->prog.routes[2]->handler, "websocket_ping_interval");
  assert_int_equal(p->prog.routes[2]->attrs.max_message_size, 1 << 20);
  parsed_free(p);
}

static void test_websocket_settings(void **state)
{
  (void)state;
  parsed *p = parse("websocket_max_message_size 16M;\n"
                    "websocket_max_queue 512K;\n"
                    "websocket_ping_interval 30;\n"
                    "websocket_ping_timeout 4294967;\n"
                    "websocket_compression off;\n");
  assert_int_equal(p->diags.n, 0);
  assert_int_equal(p->prog.ws_max_message_size, 16 << 20);
  assert_int_equal(p->prog.ws_max_queue, 512 << 10);
  assert_int_equal(p->prog.ws_ping_interval, 30);
  assert_int_equal(p->prog.ws_ping_timeout, 4294967);
  assert_true(p->prog.ws_no_compression);
  assert_true(p->prog.ws_compression_decl.set);
  assert_int_equal(p->prog.ws_interval_decl.pos.line, 3);
  parsed_free(p);

  /* Unset: zeros, the runtime's defaults; `on` is the default. */
  p = parse("websocket_compression on;\n");
  assert_int_equal(p->diags.n, 0);
  assert_false(p->prog.ws_no_compression);
  assert_int_equal(p->prog.ws_max_message_size, 0);
  assert_int_equal(p->prog.ws_ping_interval, 0);
  parsed_free(p);
}

static void test_websocket_setting_errors(void **state)
{
  (void)state;
  parsed *p = parse("websocket_ping_interval 30s;\n"
                    "websocket_ping_interval 4294968;\n"
                    "websocket_ping_interval 99999999999999999999999;\n"
                    "websocket_ping_timeout 0;\n"
                    "websocket_max_queue 0;\n"
                    "websocket_max_message_size 1T;\n"
                    "websocket_compression yes;\n"
                    "websocket_ping_interval 5;\n"
                    "websocket_ping_interval 6;\n");
  assert_int_equal(p->diags.n, 9);
  expect_diag(p, 0, TC_ERROR, 1, 25,
              "bad websocket_ping_interval '30s' (a whole number of "
              "seconds, without a unit)");
  expect_diag(p, 1, TC_ERROR, 2, 25,
              "websocket_ping_interval '4294968' is too large (at most "
              "4294967 seconds)");
  expect_diag(p, 2, TC_ERROR, 3, 25,
              "websocket_ping_interval '99999999999999999999999' is too "
              "large (at most 4294967 seconds)");
  expect_diag(p, 3, TC_ERROR, 4, 24,
              "websocket_ping_timeout cannot be 0 (leave it out for the "
              "default)");
  expect_diag(p, 4, TC_ERROR, 5, 21,
              "websocket_max_queue cannot be 0 (every message sent would "
              "overflow it)");
  expect_diag(p, 5, TC_ERROR, 6, 28,
              "bad size '1T' (digits, then K, M or G for KiB, MiB or GiB)");
  expect_diag(p, 6, TC_ERROR, 7, 23,
              "'websocket_compression' is 'on' or 'off', not 'yes'");
  expect_diag(p, 7, TC_ERROR, 9, 1,
              "'websocket_ping_interval' is set more than once");
  expect_diag(p, 8, TC_NOTE, 8, 1, "it is first set here");
  /* The one good value is kept. */
  assert_int_equal(p->prog.ws_ping_interval, 5);
  assert_int_equal(p->prog.ws_ping_timeout, 0);
  parsed_free(p);
}

static void test_check_websocket(void **state)
{
  (void)state;
  /* A POST route may share a websocket's pattern; a GET route may not. */
  parsed *p = check("app x;\n"
                    "websocket w \"/w/{id:int}\" -> w;\n"
                    "route post POST \"/w/{n:int}\" -> post;\n"
                    "route get GET \"/w/{n:int}\" -> get;\n"
                    "websocket_ping_timeout 10;\n");
  assert_int_equal(p->diags.n, 3);
  expect_diag(p, 0, TC_ERROR, 5, 1,
              "websocket_ping_timeout needs websocket_ping_interval: no "
              "pings are sent without it (add 'websocket_ping_interval "
              "SECONDS;')");
  expect_diag(p, 1, TC_ERROR, 4, 15,
              "route 'get' matches the same requests as websocket 'w' (GET "
              "\"/w/{n:int}\")");
  expect_diag(p, 2, TC_NOTE, 2, 13, "websocket 'w' is here");
  parsed_free(p);

  /* The interval may come from another file, after the timeout. */
  p = parse2("app x;\nwebsocket w \"/w\" -> w;\nwebsocket_ping_timeout 10;\n",
             "websocket_ping_interval 5;\n", true);
  assert_int_equal(p->diags.n, 0);
  parsed_free(p);
}

static void test_check_websocket_names(void **state)
{
  (void)state;
  parsed *p = check("app x;\n"
                    "route a GET \"/a\" -> ha;\n"
                    "websocket a \"/wa\" -> wa;\n"
                    "websocket B \"/wb\" -> wb;\n"
                    "websocket b \"/wc\" -> wc;\n"
                    "websocket COUNT \"/n\" -> wn;\n"
                    "websocket c \"/c\" -> ha;\n"
                    "websocket d \"/d\" -> wb;\n"
                    "route e GET \"/e\" -> wb;\n"
                    "websocket f \"/f\" -> auto;\n");
  assert_int_equal(p->diags.n, 12);
  expect_diag(p, 0, TC_ERROR, 3, 11,
              "duplicate name 'a' (routes and websockets share one set of "
              "names)");
  expect_diag(p, 1, TC_NOTE, 2, 7, "'a' first declared here");
  expect_diag(p, 2, TC_ERROR, 5, 11,
              "websocket names 'B' and 'b' differ only in case");
  expect_diag(p, 3, TC_NOTE, 4, 11, "'B' first declared here");
  expect_diag(p, 4, TC_ERROR, 6, 11, "websocket name 'COUNT' is reserved");
  expect_diag(p, 5, TC_ERROR, 7, 21,
              "handler 'ha' is the function of route 'a', not callbacks a "
              "websocket can use");
  expect_diag(p, 6, TC_NOTE, 2, 21, "route 'a' uses 'ha' here");
  expect_diag(p, 7, TC_ERROR, 8, 21,
              "handler 'wb' is already the callbacks of websocket 'B': each "
              "websocket needs an object of its own type");
  expect_diag(p, 8, TC_NOTE, 4, 22, "websocket 'B' uses 'wb' here");
  expect_diag(p, 9, TC_ERROR, 9, 21,
              "handler 'wb' is the callbacks of websocket 'B', not a function "
              "a route can call");
  expect_diag(p, 10, TC_NOTE, 4, 22, "websocket 'B' uses 'wb' here");
  expect_diag(p, 11, TC_ERROR, 10, 21, "handler name 'auto' is a C keyword");
  parsed_free(p);
}

/* Shadowing is decided by re2c on the generated automaton. */
static parsed *check_automaton(const char *src)
{
  parsed *p = check(src);
  assert_int_equal(p->diags.errors, 0);
  assert_true(tc_check_automaton(&p->prog, &p->diags));
  return p;
}

static void test_check_shadowed(void **state)
{
  (void)state;
  parsed *p = check_automaton("app x;\n"
                    "route a GET \"/u/{n:str}\" -> a;\n"
                    "route b POST \"/u/me\" -> b;\n"
                    "route c GET \"/u/{n:int}\" -> c;\n"
                    "route d GET \"/v/{n:int}-{m:int}\" -> d;\n"
                    "route e GET \"/v/-1--2\" -> e;\n"
                    "route f GET \"/v/1-x\" -> f;\n");
  assert_int_equal(p->diags.n, 6);
  expect_diag(p, 0, TC_ERROR, 3, 14,
              "route 'b' can never match: route 'a' comes first and matches "
              "all its paths");
  expect_diag(p, 1, TC_NOTE, 2, 13,
              "route 'a' is here (declare 'b' before it)");
  expect_diag(p, 2, TC_ERROR, 4, 13,
              "route 'c' can never match: route 'a' comes first and matches "
              "all its paths");
  expect_diag(p, 4, TC_ERROR, 6, 13,
              "route 'e' can never match: route 'd' comes first and matches "
              "all its paths");
  parsed_free(p);

  /* Shadowed by the union of two routes, and by a redirect. */
  p = check_automaton("app x;\n"
                      "route a GET \"/x/a\" -> a;\n"
                      "route b GET \"/x/b\" -> b;\n"
                      "route c GET \"/x/{s:[ab]}\" -> c;\n"
                      "redirect \"/y/{s:[ab]}\" => c;\n"
                      "route d GET \"/y/b\" -> d;\n");
  assert_int_equal(p->diags.n, 5);
  expect_diag(p, 0, TC_ERROR, 4, 13,
              "route 'c' can never match: route 'a' and route 'b' come first "
              "and match all its paths");
  expect_diag(p, 1, TC_NOTE, 2, 13, "route 'a' is here");
  expect_diag(p, 2, TC_NOTE, 3, 13, "route 'b' is here");
  expect_diag(p, 3, TC_ERROR, 6, 13,
              "route 'd' can never match: redirect \"/y/{s:[ab]}\" comes "
              "first and matches all its paths");
  parsed_free(p);

  /* A literal before a parameter that would take it is fine. */
  p = check_automaton("app x;\n"
                      "route n GET \"/users/new\" -> n;\n"
                      "route u GET \"/users/{id:int}\" -> u;\n"
                      "route s GET \"/users/{name:str}\" -> s;\n");
  assert_int_equal(p->diags.n, 0);
  parsed_free(p);
}

/* ---- Printing ----------------------------------------------------------- */

static void test_print_sorted_with_caret(void **state)
{
  (void)state;
  parsed *p = check("app x;\n"
                    "\troute a GET \"/a/{id:integer}\" -> a;\n"
                    "route a GET \"/b\" -> b\n");
  char *out = printed(p);
  assert_string_equal(
      out, "a.troute:2:22: error: unknown parameter type 'integer' (known: "
           "int, uint, str, slug, uuid, path, or an inline pattern)\n"
           "\troute a GET \"/a/{id:integer}\" -> a;\n"
           "\t                    ^\n"
           "a.troute:3:22: error: expected ';' at end of input\n"
           "route a GET \"/b\" -> b\n"
           "                     ^\n");
  free(out);
  parsed_free(p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_program),
      cmocka_unit_test(test_methods),
      cmocka_unit_test(test_method_errors),
      cmocka_unit_test(test_two_files),
      cmocka_unit_test(test_missing_semicolon),
      cmocka_unit_test(test_missing_arrow),
      cmocka_unit_test(test_syntax_error_messages),
      cmocka_unit_test(test_lex_error_no_cascade),
      cmocka_unit_test(test_pattern_errors),
      cmocka_unit_test(test_inline_pattern_errors),
      cmocka_unit_test(test_inline_pattern_ok),
      cmocka_unit_test(test_check_ambiguous),
      cmocka_unit_test(test_pattern_duplicate_param),
      cmocka_unit_test(test_pattern_several_errors),
      cmocka_unit_test(test_check_ok),
      cmocka_unit_test(test_check_app),
      cmocka_unit_test(test_check_names),
      cmocka_unit_test(test_check_same_requests),
      cmocka_unit_test(test_check_shared_handler),
      cmocka_unit_test(test_check_shadowed),
      cmocka_unit_test(test_websocket),
      cmocka_unit_test(test_websocket_attr_errors),
      cmocka_unit_test(test_websocket_words),
      cmocka_unit_test(test_websocket_settings),
      cmocka_unit_test(test_websocket_setting_errors),
      cmocka_unit_test(test_check_websocket),
      cmocka_unit_test(test_check_websocket_names),
      cmocka_unit_test(test_print_sorted_with_caret),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
