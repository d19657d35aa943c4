/* test_tornc_lexer.c -- unit tests of the .troute lexer: token kinds,
 * positions, string decoding, and the errors it reports. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tornc.h"
#include "troute_parse.h"

/* A source in memory, lexed whole; tokens and diagnostics kept. */
typedef struct {
  tc_file file;
  tc_diags diags;
  tc_token toks[64];
  int n;
} lexed;

static lexed *lex(const char *src)
{
  lexed *l = calloc(1, sizeof *l);
  assert_non_null(l);
  l->file.name = "t.troute";
  l->file.len = strlen(src);
  l->file.text = tc_strdup(src);
  tc_lexer lx;
  tc_lexer_init(&lx, &l->file, &l->diags);
  do {
    assert_true(l->n < 64);
    tc_lex(&lx, &l->toks[l->n]);
  } while (l->toks[l->n++].kind != 0);
  return l;
}

static void lexed_free(lexed *l)
{
  for (int i = 0; i < l->n; i++)
    tc_token_free(&l->toks[i]);
  tc_diags_free(&l->diags);
  free(l->file.text);
  free(l);
}

/* Checks token `i`: kind, line, column and source text. */
static void expect_tok(const lexed *l, int i, int kind, int line, int col,
                       const char *text)
{
  assert_true(i < l->n);
  const tc_token *t = &l->toks[i];
  assert_int_equal(t->kind, kind);
  assert_int_equal(t->pos.line, line);
  assert_int_equal(t->pos.col, col);
  assert_int_equal(t->len, strlen(text));
  assert_memory_equal(t->text, text, t->len);
}

static void expect_diag(const lexed *l, int i, int line, int col,
                        const char *msg)
{
  assert_true(i < l->diags.n);
  assert_int_equal(l->diags.items[i].severity, TC_ERROR);
  assert_int_equal(l->diags.items[i].pos.line, line);
  assert_int_equal(l->diags.items[i].pos.col, col);
  assert_string_equal(l->diags.items[i].msg, msg);
}

static void test_declaration(void **state)
{
  (void)state;
  lexed *l = lex("route user GET \"/u\" -> show;");
  assert_int_equal(l->n, 8);
  expect_tok(l, 0, TK_ROUTE, 1, 1, "route");
  expect_tok(l, 1, TK_ID, 1, 7, "user");
  expect_tok(l, 2, TK_ID, 1, 12, "GET");
  expect_tok(l, 3, TK_STRING, 1, 16, "\"/u\"");
  expect_tok(l, 4, TK_ARROW, 1, 21, "->");
  expect_tok(l, 5, TK_ID, 1, 24, "show");
  expect_tok(l, 6, TK_SEMI, 1, 28, ";");
  expect_tok(l, 7, 0, 1, 29, "");
  assert_int_equal(l->diags.n, 0);
  lexed_free(l);
}

static void test_keywords_and_identifiers(void **state)
{
  (void)state;
  lexed *l = lex("app include route apps _route route2 Route x_1");
  int kinds[] = {TK_APP, TK_INCLUDE, TK_ROUTE, TK_ID, TK_ID,
                 TK_ID,  TK_ID,      TK_ID,    0};
  assert_int_equal(l->n, 9);
  for (int i = 0; i < 9; i++)
    assert_int_equal(l->toks[i].kind, kinds[i]);
  lexed_free(l);
}

/* The words of settings, hooks and attributes are tokens of their own
 * (the parser takes them as identifiers where no keyword fits), longer
 * words are identifiers; digits then letters are one size token. */
static void test_setting_words_and_sizes(void **state)
{
  (void)state;
  lexed *l = lex("xsrf_cookies compress_response login_url max_body_size\n"
                 "prepare on_finish current_user write_error authenticated\n"
                 "prepared xsrf_cookie 8M 64 16k 2fast 7");
  int kinds[] = {TK_XSRF_COOKIES, TK_COMPRESS_RESPONSE, TK_LOGIN_URL,
                 TK_MAX_BODY_SIZE, TK_PREPARE, TK_ON_FINISH,
                 TK_CURRENT_USER, TK_WRITE_ERROR, TK_AUTHENTICATED,
                 TK_ID, TK_ID, TK_SIZE, TK_NUMBER, TK_SIZE, TK_SIZE,
                 TK_NUMBER, 0};
  assert_int_equal(l->n, 17);
  for (int i = 0; i < 17; i++)
    assert_int_equal(l->toks[i].kind, kinds[i]);
  expect_tok(l, 11, TK_SIZE, 3, 22, "8M");
  expect_tok(l, 14, TK_SIZE, 3, 32, "2fast");
  assert_int_equal(l->diags.n, 0);
  lexed_free(l);
}

/* The websocket keyword, its attribute and its settings; a word that
 * only starts like one is an identifier. */
static void test_websocket_words(void **state)
{
  (void)state;
  lexed *l = lex("websocket max_message_size websocket_max_message_size\n"
                 "websocket_max_queue websocket_ping_interval\n"
                 "websocket_ping_timeout websocket_compression\n"
                 "websockets websocket_ max_message websocket_ping 30s");
  int kinds[] = {TK_WEBSOCKET, TK_MAX_MESSAGE_SIZE,
                 TK_WEBSOCKET_MAX_MESSAGE_SIZE, TK_WEBSOCKET_MAX_QUEUE,
                 TK_WEBSOCKET_PING_INTERVAL, TK_WEBSOCKET_PING_TIMEOUT,
                 TK_WEBSOCKET_COMPRESSION, TK_ID, TK_ID, TK_ID, TK_ID,
                 TK_SIZE, 0};
  assert_int_equal(l->n, 13);
  for (int i = 0; i < 13; i++)
    assert_int_equal(l->toks[i].kind, kinds[i]);
  expect_tok(l, 5, TK_WEBSOCKET_PING_TIMEOUT, 3, 1, "websocket_ping_timeout");
  assert_int_equal(l->diags.n, 0);
  assert_string_equal(tc_token_kind_name(TK_WEBSOCKET), "'websocket'");
  assert_string_equal(tc_token_kind_name(TK_WEBSOCKET_PING_TIMEOUT),
                      "'websocket_ping_timeout'");
  lexed_free(l);
}

static void test_lines_columns_comments(void **state)
{
  (void)state;
  lexed *l = lex("# a comment ; -> \"x\n"
                 "app a; // another\n"
                 "\n"
                 "\t  include\t\"h.h\";\r\n"
                 "#");
  expect_tok(l, 0, TK_APP, 2, 1, "app");
  expect_tok(l, 1, TK_ID, 2, 5, "a");
  expect_tok(l, 2, TK_SEMI, 2, 6, ";");
  expect_tok(l, 3, TK_INCLUDE, 4, 4, "include"); /* a tab is one column */
  expect_tok(l, 4, TK_STRING, 4, 12, "\"h.h\"");
  expect_tok(l, 5, TK_SEMI, 4, 17, ";");
  expect_tok(l, 6, 0, 5, 2, "");
  assert_int_equal(l->toks[4].pos.off, 50);
  assert_int_equal(l->diags.n, 0);
  lexed_free(l);
}

static void test_string_escapes(void **state)
{
  (void)state;
  lexed *l = lex("  \"a\\\"b\\\\c\\nd\\te\"");
  const tc_token *t = &l->toks[0];
  assert_int_equal(t->kind, TK_STRING);
  assert_int_equal(t->str_len, 9);
  assert_memory_equal(t->str, "a\"b\\c\nd\te", 10);
  /* Each decoded byte knows its source column; escapes start at '\'. */
  int cols[] = {4, 5, 7, 8, 10, 11, 13, 14, 16, 17};
  for (int i = 0; i < 10; i++)
    assert_int_equal(t->str_cols[i], cols[i]);
  assert_int_equal(l->diags.n, 0);
  lexed_free(l);
}

static void test_empty_string(void **state)
{
  (void)state;
  lexed *l = lex("\"\"");
  assert_int_equal(l->toks[0].kind, TK_STRING);
  assert_int_equal(l->toks[0].str_len, 0);
  assert_string_equal(l->toks[0].str, "");
  assert_int_equal(l->toks[0].str_cols[0], 2); /* the closing quote */
  lexed_free(l);
}

static void test_unterminated_string(void **state)
{
  (void)state;
  lexed *l = lex("route a GET \"/a -> a;\nroute");
  assert_int_equal(l->diags.n, 1);
  expect_diag(l, 0, 1, 13, "unterminated string");
  /* The bad string is dropped and the next line lexes normally. */
  expect_tok(l, 2, TK_ID, 1, 9, "GET");
  expect_tok(l, 3, TK_ROUTE, 2, 1, "route");
  lexed_free(l);

  l = lex("x \"abc\\");
  expect_diag(l, 0, 1, 3, "unterminated string");
  expect_tok(l, 1, 0, 1, 8, "");
  lexed_free(l);
}

static void test_unknown_escape(void **state)
{
  (void)state;
  lexed *l = lex("\"a\\qb\"");
  expect_diag(l, 0, 1, 3,
              "unknown escape sequence '\\q' (known: \\\" \\\\ \\n \\t)");
  assert_int_equal(l->toks[0].kind, TK_STRING);
  lexed_free(l);
}

static void test_stray_characters(void **state)
{
  (void)state;
  lexed *l = lex("app @x; - \xc3\xa9 /");
  assert_int_equal(l->diags.n, 4);
  expect_diag(l, 0, 1, 5, "unexpected character '@'");
  expect_diag(l, 1, 1, 9, "unexpected character '-'");
  expect_diag(l, 2, 1, 11, "unexpected non-ASCII character");
  expect_diag(l, 3, 1, 14, "unexpected character '/'");
  expect_tok(l, 1, TK_ID, 1, 6, "x");
  expect_tok(l, 2, TK_SEMI, 1, 7, ";");
  lexed_free(l);
}

/* The NUL at the end of the buffer ends the input; one before it is a
 * stray byte. The end repeats if asked for again. */
static void test_nul_bytes(void **state)
{
  (void)state;
  tc_file f = {.name = "n.troute", .text = tc_strndup("a\0b", 3), .len = 3};
  tc_diags d = {0};
  tc_lexer lx;
  tc_token t;
  tc_lexer_init(&lx, &f, &d);
  assert_int_equal(tc_lex(&lx, &t), TK_ID);
  assert_int_equal(tc_lex(&lx, &t), TK_ID);
  assert_int_equal(t.pos.col, 3);
  assert_int_equal(tc_lex(&lx, &t), 0);
  assert_int_equal(tc_lex(&lx, &t), 0);
  assert_int_equal(d.n, 1);
  assert_string_equal(d.items[0].msg, "unexpected byte 0x00");
  tc_diags_free(&d);
  free(f.text);
}

static void test_kind_names(void **state)
{
  (void)state;
  assert_string_equal(tc_token_kind_name(TK_SEMI), "';'");
  assert_string_equal(tc_token_kind_name(TK_ARROW), "'->'");
  assert_string_equal(tc_token_kind_name(TK_ID), "identifier");
  assert_string_equal(tc_token_kind_name(TK_AUTHENTICATED),
                      "'authenticated'");
  assert_string_equal(tc_token_kind_name(TK_SIZE), "size");
  assert_string_equal(tc_token_kind_name(0), "end of input");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_declaration),
      cmocka_unit_test(test_keywords_and_identifiers),
      cmocka_unit_test(test_setting_words_and_sizes),
      cmocka_unit_test(test_websocket_words),
      cmocka_unit_test(test_lines_columns_comments),
      cmocka_unit_test(test_string_escapes),
      cmocka_unit_test(test_empty_string),
      cmocka_unit_test(test_unterminated_string),
      cmocka_unit_test(test_unknown_escape),
      cmocka_unit_test(test_stray_characters),
      cmocka_unit_test(test_nul_bytes),
      cmocka_unit_test(test_kind_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
