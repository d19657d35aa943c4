/* html_context.c -- where in the HTML a template expression stands.
 *
 * HTML escaping makes a value safe as text and inside a quoted attribute,
 * but not everywhere: in an attribute that takes a URL, "javascript:..."
 * needs no special character at all, and an unquoted attribute value ends
 * at a blank. So the generator feeds this scanner the template's literal
 * text in the order the render writes it, and asks it, at each {{ }},
 * which escaping to add:
 *
 *   - at the start of a URL attribute's value: the scheme check
 *     (TC_ESC_URL_START), which replaces javascript:, data: and every
 *     other scheme but http, https, mailto, ftp and tel;
 *   - later in a URL value whose scheme may still be forming ("java{{x}}",
 *     or after another expression): ':' percent-encoded (TC_ESC_URL_COLON);
 *   - in an unquoted value: blanks, '=' and '`' as references.
 *
 * It is a scanner of the tokenizer states that matter here, not a full
 * HTML parser: text, tags and their attributes, comments, and the raw text
 * of <script> and <style> (where a '<' opens no tag).
 */
#include <string.h>

#include "tornc.h"

enum {
  H_TEXT,
  H_TAG_OPEN,    /* after '<' */
  H_BANG,        /* after "<!", counting '-' */
  H_COMMENT,     /* inside <!-- -->, `nlen` counts '-' seen */
  H_END_TAG,     /* inside </...> or <!...>, up to '>' */
  H_TAG_NAME,
  H_IN_TAG,      /* between attributes */
  H_ATTR_NAME,
  H_AFTER_NAME,  /* after a name, before a possible '=' */
  H_BEFORE_VALUE,
  H_VAL_DQ,
  H_VAL_SQ,
  H_VAL_UNQ,
  H_RAW          /* the text of <script> or <style> */
};

/* Attributes whose value is a URL a browser may load or navigate to. */
static bool is_url_attr(const char *name)
{
  static const char *const attrs[] = {
      "href", "src", "action", "formaction", "cite", "poster", "background",
      "data", "codebase", "longdesc", "usemap", "manifest", "ping", "icon",
      "xlink:href", "srcset", "profile", "lowsrc", "dynsrc"};
  for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
    if (strcmp(name, attrs[i]) == 0)
      return true;
  return false;
}

static bool blank(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static char lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

void tc_html_init(tc_html *h)
{
  memset(h, 0, sizeof *h);
}

static void name_add(tc_html *h, char c)
{
  if (h->nlen < (int)sizeof h->name - 1)
    h->name[h->nlen++] = lower(c);
  else
    h->nlen = (int)sizeof h->name; /* too long for any name we look for */
  h->name[h->nlen < (int)sizeof h->name ? h->nlen : 0] = '\0';
}

static void name_start(tc_html *h, char c)
{
  h->name_unsure = false;
  h->nlen = 0;
  h->name[0] = '\0';
  name_add(h, c);
}

static void value_start(tc_html *h, int state)
{
  h->state = state;
  h->url_attr = h->name_unsure ||
                (h->nlen < (int)sizeof h->name && is_url_attr(h->name));
  h->value_fixed = h->value_text = h->value_expr = false;
  h->name_unsure = h->value_unsure = false;
}

void tc_html_branch(tc_html *h)
{
  switch (h->state) {
  case H_ATTR_NAME:
  case H_AFTER_NAME:
  case H_BEFORE_VALUE:
    h->name_unsure = true;
    break;
  case H_VAL_DQ:
  case H_VAL_SQ:
  case H_VAL_UNQ:
    h->value_unsure = true;
    break;
  default:
    break;
  }
}

static void value_char(tc_html *h, char c)
{
  if (c == '/' || c == '?' || c == '#' || c == ':')
    h->value_fixed = true;
  if (!blank(c))
    h->value_text = true;
}

/* The '>' that ends a start tag: <script> and <style> hold raw text. */
static void tag_end(tc_html *h)
{
  bool raw = strcmp(h->tag, "script") == 0 || strcmp(h->tag, "style") == 0;
  h->state = raw ? H_RAW : H_TEXT;
  h->raw_end = 0;
}

/* Inside <script> or <style>: only "</script" (or "</style") ends it. */
static void raw_char(tc_html *h, char c)
{
  int want = 2 + (int)strlen(h->tag);
  char expect = h->raw_end == 0   ? '<'
                : h->raw_end == 1 ? '/'
                                  : h->tag[h->raw_end - 2];
  if (lower(c) == expect)
    h->raw_end++;
  else
    h->raw_end = c == '<';
  if (h->raw_end == want)
    h->state = H_END_TAG;
}

static void feed(tc_html *h, char c)
{
  switch (h->state) {
  case H_TEXT:
    if (c == '<')
      h->state = H_TAG_OPEN;
    break;
  case H_TAG_OPEN:
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      h->state = H_TAG_NAME;
      name_start(h, c);
    } else {
      h->state = c == '!' ? H_BANG : c == '/' ? H_END_TAG
                 : c == '<' ? H_TAG_OPEN : H_TEXT;
      h->nlen = 0;
    }
    break;
  case H_BANG:
    if (c == '-' && ++h->nlen == 2)
      h->state = H_COMMENT, h->nlen = 0;
    else if (c != '-')
      h->state = c == '>' ? H_TEXT : H_END_TAG;
    break;
  case H_COMMENT:
    if (c == '>' && h->nlen >= 2)
      h->state = H_TEXT;
    h->nlen = c == '-' ? h->nlen + 1 : 0;
    break;
  case H_END_TAG:
    if (c == '>')
      h->state = H_TEXT;
    break;
  case H_TAG_NAME:
    if (blank(c) || c == '/' || c == '>') {
      /* Only names that fit are ones the scanner cares about. */
      size_t len = h->nlen < (int)sizeof h->tag ? (size_t)h->nlen : 0;
      memcpy(h->tag, h->name, len);
      h->tag[len] = '\0';
      if (c == '>')
        tag_end(h);
      else
        h->state = H_IN_TAG;
    } else {
      name_add(h, c);
    }
    break;
  case H_IN_TAG:
    if (c == '>')
      tag_end(h);
    else if (!blank(c) && c != '/')
      h->state = H_ATTR_NAME, name_start(h, c);
    break;
  case H_ATTR_NAME:
  case H_AFTER_NAME:
    if (c == '=')
      h->state = H_BEFORE_VALUE;
    else if (c == '>')
      tag_end(h);
    else if (blank(c) || c == '/')
      h->state = c == '/' ? H_IN_TAG : H_AFTER_NAME;
    else if (h->state == H_ATTR_NAME)
      name_add(h, c);
    else
      h->state = H_ATTR_NAME, name_start(h, c);
    break;
  case H_BEFORE_VALUE:
    if (c == '"')
      value_start(h, H_VAL_DQ);
    else if (c == '\'')
      value_start(h, H_VAL_SQ);
    else if (c == '>')
      tag_end(h);
    else if (!blank(c))
      value_start(h, H_VAL_UNQ), value_char(h, c);
    break;
  case H_VAL_DQ:
  case H_VAL_SQ:
    if (c == (h->state == H_VAL_DQ ? '"' : '\''))
      h->state = H_IN_TAG;
    else
      value_char(h, c);
    break;
  case H_VAL_UNQ:
    if (blank(c))
      h->state = H_IN_TAG;
    else if (c == '>')
      tag_end(h);
    else
      value_char(h, c);
    break;
  case H_RAW:
    raw_char(h, c);
    break;
  }
}

void tc_html_feed(tc_html *h, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    feed(h, s[i]);
}

unsigned tc_html_expr(tc_html *h)
{
  if (h->state == H_BEFORE_VALUE)
    value_start(h, H_VAL_UNQ); /* href={{ x }}: the value starts here */
  if (h->state == H_ATTR_NAME || h->state == H_AFTER_NAME)
    h->state = H_IN_TAG; /* <a {{ attrs }}>: not part of a name */
  if (h->state != H_VAL_DQ && h->state != H_VAL_SQ && h->state != H_VAL_UNQ)
    return 0;
  unsigned esc = h->state == H_VAL_UNQ ? TC_ESC_UNQUOTED : 0;
  if (h->url_attr && h->value_unsure)
    esc |= TC_ESC_URL_START;
  else if (h->url_attr && !h->value_fixed)
    esc |= h->value_expr || h->value_text ? TC_ESC_URL_COLON
                                          : TC_ESC_URL_START;
  h->value_expr = true;
  return esc;
}
