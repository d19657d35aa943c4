/* template_lex.re -- the template lexer (re2c, with conditions).
 *
 * Cuts a template file into the pieces Tornado's template reader finds:
 * text, {{ expressions }}, {% tags %} and {# comments #}. The rules are
 * Tornado's, so that a template reads the same in both:
 *
 *   - "{{", "{%" and "{#" open a piece; any other '{' is text;
 *   - in a run of braces the innermost pair counts: "{{{x}}" is the text
 *     "{" then the expression "x";
 *   - "{{!", "{%!" and "{#!" are the text "{{", "{%", "{#";
 *   - a piece ends at the first "}}", "%}" or "#}" after it (no nesting,
 *     no quoting: "{{ "}}" }}" ends early, as in Tornado).
 *
 * The file ends with a NUL sentinel (tc_read_file); a NUL before it is
 * text. Positions are counted lazily, up to each piece asked for.
 */
#include <string.h>

#include "tornc.h"

/*!types:re2c*/

/*!re2c
  re2c:define:YYCTYPE = "unsigned char";
  re2c:define:YYCURSOR = "cur";
  re2c:define:YYMARKER = "mar";
  re2c:define:YYCTXMARKER = "ctx";
  re2c:define:YYGETCONDITION = "lx->cond";
  re2c:define:YYGETCONDITION:naked = 1;
  re2c:define:YYSETCONDITION = "lx->cond = @@;";
  re2c:define:YYSETCONDITION:naked = 1;
  re2c:yyfill:enable = 0;
*/

void tc_tlexer_init(tc_tlexer *lx, const tc_file *file, tc_diags *diags)
{
  *lx = (tc_tlexer){file, file->text, yyctext, 1, file->text, file->text,
                    diags};
}

tc_pos tc_tlexer_pos(tc_tlexer *lx, const char *p)
{
  for (; lx->seen < p; lx->seen++)
    if (*lx->seen == '\n') {
      lx->line++;
      lx->line_start = lx->seen + 1;
    }
  return (tc_pos){lx->file, lx->line, (int)(p - lx->line_start) + 1,
                  (size_t)(p - lx->file->text)};
}

static bool at_end(const tc_tlexer *lx, const unsigned char *p)
{
  return (const char *)p == lx->file->text + lx->file->len;
}

/* A piece from `start` to `end`, its body from `body` to `body_end`. */
static tc_tpiece_kind piece(tc_tlexer *lx, tc_tpiece *out, tc_tpiece_kind k,
                            const unsigned char *start,
                            const unsigned char *body,
                            const unsigned char *body_end)
{
  out->kind = k;
  out->pos = tc_tlexer_pos(lx, (const char *)start);
  out->body_pos = tc_tlexer_pos(lx, (const char *)body);
  out->body = (const char *)body;
  out->len = (size_t)(body_end - body);
  return k;
}

/* A piece left open at the end of the file: reported at its brace. */
static tc_tpiece_kind unclosed(tc_tlexer *lx, tc_tpiece *out,
                               tc_tpiece_kind k, const unsigned char *start,
                               const unsigned char *end)
{
  static const char *const closer[] = {"", "}}", "%}", "#}"};
  static const char *const what[] = {"", "expression", "tag", "comment"};
  piece(lx, out, k, start, start + 2, end);
  tc_error(lx->diags, out->pos, "missing '%s' to end this %s", closer[k],
           what[k]);
  lx->cur = (const char *)end;
  lx->cond = yyctext;
  return k;
}

tc_tpiece_kind tc_tlex(tc_tlexer *lx, tc_tpiece *out)
{
  const unsigned char *cur = (const unsigned char *)lx->cur, *mar, *ctx;
  const unsigned char *start = cur; /* the piece's first byte */
  tc_tpiece_kind open = TC_TP_TEXT; /* the kind of piece being closed */
  (void)mar;
  (void)ctx;
  for (;;) {
    const unsigned char *tok = cur;
    /*!re2c
      <text> "\x00" {
        if (!at_end(lx, tok))
          goto text;
        if (tok > start) {
          cur = tok; /* the text first; the end comes next time */
          goto text_done;
        }
        lx->cur = (const char *)tok;
        return piece(lx, out, TC_TP_END, tok, tok, tok);
      }
      <text> [^{\x00]+ { goto text; }
      <text> "{" / [^{%#] { goto text; }
      // The innermost pair of a brace run opens the piece.
      <text> "{" / "{{" { goto text; }
      // {{! {%! {#! write the braces and drop the '!': text, but a piece
      // of its own so the '!' is left out.
      <text> "{" [{%#] "!" {
        if (tok > start) {
          cur = tok;
          goto text_done;
        }
        lx->cur = (const char *)cur;
        return piece(lx, out, TC_TP_TEXT, tok, tok, tok + 2);
      }
      <text> "{{" => expr { open = TC_TP_EXPR; goto opened; }
      <text> "{%" => tag  { open = TC_TP_TAG; goto opened; }
      <text> "{#" => comment { open = TC_TP_COMMENT; goto opened; }

      <expr> "}}" => text { goto closed; }
      <tag> "%}" => text { goto closed; }
      <comment> "#}" => text { goto closed; }
      <expr, tag, comment> "\x00" {
        if (at_end(lx, tok))
          return unclosed(lx, out, open, start, tok);
        continue;
      }
      <expr, tag, comment> [^] { continue; }
    */
  text:
    continue;
  opened:
    if (tok > start) {
      /* End the text before the brace; the piece is scanned next time. */
      lx->cond = yyctext;
      cur = tok;
      goto text_done;
    }
    continue;
  closed:
    lx->cur = (const char *)cur;
    return piece(lx, out, open, start, start + 2, cur - 2);
  text_done:
    lx->cur = (const char *)cur;
    return piece(lx, out, TC_TP_TEXT, start, start, cur);
  }
}
