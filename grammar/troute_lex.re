/* troute_lex.re -- the .troute lexer (re2c).
 *
 * The driver reads a whole file into memory and ends it with a NUL, so the
 * scanner needs no refilling (as ninja's lexer does): the NUL at the end of
 * the buffer is the end of input, a NUL anywhere else is a stray byte.
 *
 * Tokens: the keywords app, include, route, redirect, prefix, import,
 * trailing_slash, template, static and websocket; the words of settings,
 * hooks and attributes (xsrf_cookies, compress_response, login_url,
 * max_body_size, prepare, on_finish, current_user, write_error,
 * authenticated, async, max_message_size, websocket_max_message_size,
 * websocket_max_queue, websocket_ping_interval, websocket_ping_timeout,
 * websocket_compression), which the parser also takes as identifiers;
 * identifiers; numbers; sizes (digits then a unit: "8M", the unit checked
 * by the parser's action); "strings" with the escapes \" \\ \n \t; "->",
 * "=>", "=", "{", "}" and ";"; and a C parameter list "(...)" kept whole
 * as one PARAMS token, since its grammar is C's, checked by the C
 * compiler. Blanks and comments (from # or // to the end of the line)
 * separate tokens. Lines and columns are 1-based and
 * columns count bytes, so a tab is one column.
 *
 * The lexer reports bad input itself and skips it; the parser driver then
 * keeps quiet until the next ';' so one typo gives one error.
 */
#include <stdlib.h>
#include <string.h>

#include "tornc.h"
#include "troute_parse.h"

/*!re2c
  re2c:define:YYCTYPE = "unsigned char";
  re2c:define:YYCURSOR = "lx->cur";
  re2c:yyfill:enable = 0;

  nul      = "\x00";
  newline  = "\n";
  blank    = [ \t\r\v\f];
  letter   = [a-zA-Z_];
  digit    = [0-9];
  ident    = letter (letter | digit)*;
  comment  = ("#" | "//") [^\n\x00]*;
  nonascii = [\x80-\xff];
  strchar  = [^"\\\n\x00];
*/

void tc_lexer_init(tc_lexer *lx, const tc_file *file, tc_diags *diags)
{
  *lx = (tc_lexer){file, file->text, file->text, 1, diags, NULL};
}

static tc_pos pos_at(const tc_lexer *lx, const char *p)
{
  return (tc_pos){lx->file, lx->line, (int)(p - lx->line_start) + 1,
                  (size_t)(p - lx->file->text)};
}

void tc_token_free(tc_token *tok)
{
  free(tok->str);
  free(tok->str_cols);
  tok->str = NULL;
  tok->str_cols = NULL;
}

const char *tc_token_kind_name(int kind)
{
  switch (kind) {
  case 0: return "end of input";
  case TK_APP: return "'app'";
  case TK_INCLUDE: return "'include'";
  case TK_ROUTE: return "'route'";
  case TK_REDIRECT: return "'redirect'";
  case TK_PREFIX: return "'prefix'";
  case TK_IMPORT: return "'import'";
  case TK_TRAILING_SLASH: return "'trailing_slash'";
  case TK_TEMPLATE: return "'template'";
  case TK_STATIC: return "'static'";
  case TK_EQ: return "'='";
  case TK_PARAMS: return "parameter list";
  case TK_NUMBER: return "number";
  case TK_FATARROW: return "'=>'";
  case TK_LBRACE: return "'{'";
  case TK_RBRACE: return "'}'";
  case TK_ID: return "identifier";
  case TK_STRING: return "string";
  case TK_ARROW: return "'->'";
  case TK_XSRF_COOKIES: return "'xsrf_cookies'";
  case TK_COMPRESS_RESPONSE: return "'compress_response'";
  case TK_LOGIN_URL: return "'login_url'";
  case TK_MAX_BODY_SIZE: return "'max_body_size'";
  case TK_PREPARE: return "'prepare'";
  case TK_ON_FINISH: return "'on_finish'";
  case TK_CURRENT_USER: return "'current_user'";
  case TK_WRITE_ERROR: return "'write_error'";
  case TK_AUTHENTICATED: return "'authenticated'";
  case TK_ASYNC: return "'async'";
  case TK_WEBSOCKET: return "'websocket'";
  case TK_MAX_MESSAGE_SIZE: return "'max_message_size'";
  case TK_WEBSOCKET_MAX_MESSAGE_SIZE: return "'websocket_max_message_size'";
  case TK_WEBSOCKET_MAX_QUEUE: return "'websocket_max_queue'";
  case TK_WEBSOCKET_PING_INTERVAL: return "'websocket_ping_interval'";
  case TK_WEBSOCKET_PING_TIMEOUT: return "'websocket_ping_timeout'";
  case TK_WEBSOCKET_COMPRESSION: return "'websocket_compression'";
  case TK_SIZE: return "size";
  case TK_SEMI: return "';'";
  default: return "token";
  }
}

/* Appends one decoded byte and the column it came from to a string token. */
static void str_add(tc_token *tok, tc_buf *val, int *cap, char c, int col)
{
  tc_buf_putn(val, &c, 1);
  tok->str_cols = tc_grow(tok->str_cols, (int)val->len - 1, cap, sizeof(int));
  tok->str_cols[val->len - 1] = col;
}

/* string: '"' (strchar | '\' ["\\nt])* '"'
 * Called with the cursor after the opening quote. Returns TK_STRING, or 0
 * after reporting an unterminated string (the cursor is then left on the
 * end of the line, so the line count stays right). */
static int lex_string(tc_lexer *lx, tc_token *tok)
{
  tc_buf val = {0};
  int cap = 0;
  for (;;) {
    const char *s = lx->cur;
    int col = (int)(s - lx->line_start) + 1;
    /*!re2c
      ["] {
        str_add(tok, &val, &cap, '\0', col);
        tok->str = val.data;
        tok->str_len = val.len - 1;
        tok->len = (size_t)(lx->cur - tok->text);
        return TK_STRING;
      }
      "\\" ["\\] { str_add(tok, &val, &cap, s[1], col); continue; }
      "\\n"      { str_add(tok, &val, &cap, '\n', col); continue; }
      "\\t"      { str_add(tok, &val, &cap, '\t', col); continue; }
      "\\" [^\n\x00] {
        tc_error(lx->diags, pos_at(lx, s),
                 "unknown escape sequence '\\%c' (known: \\\" \\\\ \\n \\t)",
                 s[1]);
        str_add(tok, &val, &cap, s[1], col);
        continue;
      }
      strchar { str_add(tok, &val, &cap, *s, col); continue; }
      "\\"? (newline | nul) {
        lx->cur--;
        tc_error(lx->diags, tok->pos, "unterminated string");
        tc_buf_free(&val);
        tc_token_free(tok);
        return 0;
      }
    */
  }
}

/* params: '(' C text with balanced parentheses ')'
 * Called with the cursor after the '('. The text between the parentheses
 * becomes the token's string; parentheses inside C string and character
 * literals do not count. Returns TK_PARAMS, or 0 after reporting a list
 * that is never closed. */
static int lex_params(tc_lexer *lx, tc_token *tok)
{
  int depth = 1;
  char quote = 0;
  const char *p = lx->cur;
  for (; *p || p < lx->file->text + lx->file->len; p++) {
    if (*p == '\n') {
      lx->line++;
      lx->line_start = p + 1;
    }
    if (quote) {
      if (*p == '\\' && p[1] && p[1] != '\n')
        p++;
      else if (*p == quote || *p == '\n')
        quote = 0;
    } else if (*p == '"' || *p == '\'') {
      quote = *p;
    } else if (*p == '(') {
      depth++;
    } else if (*p == ')' && --depth == 0) {
      break;
    }
  }
  if (depth > 0) {
    lx->cur = p;
    tc_error(lx->diags, tok->pos, "'(' is never closed");
    return 0;
  }
  tok->str = tc_strndup(lx->cur, (size_t)(p - lx->cur));
  tok->str_len = (size_t)(p - lx->cur);
  lx->cur = p + 1;
  tok->len = (size_t)(lx->cur - tok->text);
  return TK_PARAMS;
}

/* Reports a byte no token starts with; a run of them ("=>") is reported
 * once, at its first byte. */
static void stray(tc_lexer *lx, const char *s)
{
  bool run = s == lx->stray_end;
  lx->stray_end = lx->cur;
  if (run)
    return;
  unsigned char c = (unsigned char)*s;
  if (c > 0x20 && c < 0x7f)
    tc_error(lx->diags, pos_at(lx, s), "unexpected character '%c'", c);
  else if (c >= 0x80)
    tc_error(lx->diags, pos_at(lx, s), "unexpected non-ASCII character");
  else
    tc_error(lx->diags, pos_at(lx, s), "unexpected byte 0x%02x", c);
}

int tc_lex(tc_lexer *lx, tc_token *tok)
{
  for (;;) {
    const char *s = lx->cur;
    *tok = (tc_token){.pos = pos_at(lx, s), .text = s};
#define TOKEN(k) (tok->len = (size_t)(lx->cur - s), tok->kind = (k))
    /*!re2c
      nul {
        if (s == lx->file->text + lx->file->len) {
          lx->cur = s; /* stay on the sentinel: the end repeats */
          return TOKEN(0);
        }
        stray(lx, s);
        continue;
      }
      newline {
        lx->line++;
        lx->line_start = lx->cur;
        continue;
      }
      blank+ | comment { continue; }

      "app"     { return TOKEN(TK_APP); }
      "include" { return TOKEN(TK_INCLUDE); }
      "route"   { return TOKEN(TK_ROUTE); }
      "redirect" { return TOKEN(TK_REDIRECT); }
      "prefix"  { return TOKEN(TK_PREFIX); }
      "import"  { return TOKEN(TK_IMPORT); }
      "trailing_slash" { return TOKEN(TK_TRAILING_SLASH); }
      "template" { return TOKEN(TK_TEMPLATE); }
      "static"  { return TOKEN(TK_STATIC); }
      "xsrf_cookies" { return TOKEN(TK_XSRF_COOKIES); }
      "compress_response" { return TOKEN(TK_COMPRESS_RESPONSE); }
      "login_url" { return TOKEN(TK_LOGIN_URL); }
      "max_body_size" { return TOKEN(TK_MAX_BODY_SIZE); }
      "prepare" { return TOKEN(TK_PREPARE); }
      "on_finish" { return TOKEN(TK_ON_FINISH); }
      "current_user" { return TOKEN(TK_CURRENT_USER); }
      "write_error" { return TOKEN(TK_WRITE_ERROR); }
      "authenticated" { return TOKEN(TK_AUTHENTICATED); }
      "async" { return TOKEN(TK_ASYNC); }
      "websocket" { return TOKEN(TK_WEBSOCKET); }
      "max_message_size" { return TOKEN(TK_MAX_MESSAGE_SIZE); }
      "websocket_max_message_size" {
        return TOKEN(TK_WEBSOCKET_MAX_MESSAGE_SIZE);
      }
      "websocket_max_queue" { return TOKEN(TK_WEBSOCKET_MAX_QUEUE); }
      "websocket_ping_interval" { return TOKEN(TK_WEBSOCKET_PING_INTERVAL); }
      "websocket_ping_timeout" { return TOKEN(TK_WEBSOCKET_PING_TIMEOUT); }
      "websocket_compression" { return TOKEN(TK_WEBSOCKET_COMPRESSION); }
      ident     { return TOKEN(TK_ID); }
      digit+    { return TOKEN(TK_NUMBER); }
      digit+ ident { return TOKEN(TK_SIZE); }
      "->"      { return TOKEN(TK_ARROW); }
      "=>"      { return TOKEN(TK_FATARROW); }
      "="       { return TOKEN(TK_EQ); }
      "(" {
        if (lex_params(lx, tok))
          return tok->kind = TK_PARAMS;
        continue;
      }
      "{"       { return TOKEN(TK_LBRACE); }
      "}"       { return TOKEN(TK_RBRACE); }
      ";"       { return TOKEN(TK_SEMI); }
      ["] {
        if (lex_string(lx, tok))
          return tok->kind = TK_STRING;
        continue;
      }

      nonascii+ { stray(lx, s); continue; }
      *         { stray(lx, s); continue; }
    */
#undef TOKEN
  }
}
