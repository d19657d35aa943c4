/* http1_chunked.c -- the chunked transfer coding of request bodies
 * (RFC 9112 7.1), decoded in place.
 *
 * A byte-at-a-time state machine for the framing (size lines, extensions,
 * CRLFs, trailer fields) and one memmove per run of chunk data. It keeps
 * no pointer between calls, so the connection may move its buffer while a
 * body is arriving. It is as strict as the head scanner: exactly CRLF
 * after every line, no whitespace where the grammar has none, no control
 * characters, bounded lines; a body that two parsers could frame
 * differently is refused.
 */
#include "internal.h"

enum {
  S_SIZE_FIRST,   /* the first hex digit of a chunk size */
  S_SIZE,         /* more hex digits, an extension, or CR */
  S_EXT_BWS,      /* BWS, then ';' */
  S_EXT_NAME0,    /* after ';': BWS, then a name */
  S_EXT_NAME,     /* the name's tchars */
  S_EXT_NAME_BWS, /* BWS after the name, then '=' or ';' */
  S_EXT_VALUE0,   /* after '=': BWS, then a token or a quoted-string */
  S_EXT_TOKEN,    /* a token value */
  S_EXT_QUOTED,   /* inside a quoted-string */
  S_EXT_QPAIR,    /* after a backslash in one */
  S_EXT_QEND,     /* after the closing quote */
  S_SIZE_LF,      /* the LF of the size line */
  S_DATA,         /* chunk data */
  S_DATA_CR,      /* the CRLF after the data */
  S_DATA_LF,
  S_TRAILER, /* the start of a trailer line, or the final CRLF */
  S_TRAILER_NAME,
  S_TRAILER_VALUE,
  S_TRAILER_LF,
  S_END_LF, /* the LF that ends the body */
  S_DONE,
  S_ERROR
};

void tn__chunked_init(tn__chunked_t *d) {
  *d = (tn__chunked_t){.state = S_SIZE_FIRST, .max_trailer = TN__MAX_HEAD};
}

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t'; }

/* VCHAR / obs-text / SP / HTAB: what a field value or quoted-pair holds. */
static bool is_text(unsigned char c) {
  return (c > 0x20 && c != 0x7f) || is_ws(c);
}

/* One hex digit of the size; 16 significant ones fill 64 bits. */
static int size_digit(tn__chunked_t *d, int v) {
  if (d->digits == 16)
    return 400;
  d->left = d->left << 4 | (uint64_t)v;
  d->digits += d->left != 0;
  d->state = S_SIZE;
  return 0;
}

/* After an extension, a token or quoted value: more, or the line's end. */
static int ext_next(tn__chunked_t *d, unsigned char c) {
  if (c == ';')
    d->state = S_EXT_NAME0;
  else if (is_ws(c))
    d->state = S_EXT_BWS;
  else if (c == '\r')
    d->state = S_SIZE_LF;
  else
    return 400;
  return 0;
}

/* The size line: chunk-size [ chunk-ext ] CRLF, at most
 * TN__MAX_CHUNK_LINE bytes. */
static int size_line(tn__chunked_t *d, unsigned char c) {
  int v;
  if (++d->line > TN__MAX_CHUNK_LINE)
    return 400;
  switch (d->state) {
  case S_SIZE_FIRST:
    return (v = tn__hex_value(c)) < 0 ? 400 : size_digit(d, v);
  case S_SIZE:
    if ((v = tn__hex_value(c)) >= 0)
      return size_digit(d, v);
    return ext_next(d, c);
  case S_EXT_BWS:
    if (c == ';')
      d->state = S_EXT_NAME0;
    else if (!is_ws(c))
      return 400;
    return 0;
  case S_EXT_NAME0:
    if (tn__is_tchar(c))
      d->state = S_EXT_NAME;
    else if (!is_ws(c))
      return 400;
    return 0;
  case S_EXT_NAME:
    if (tn__is_tchar(c))
      return 0;
    if (c == '=')
      d->state = S_EXT_VALUE0;
    else if (is_ws(c))
      d->state = S_EXT_NAME_BWS;
    else
      return ext_next(d, c);
    return 0;
  case S_EXT_NAME_BWS:
    if (c == '=')
      d->state = S_EXT_VALUE0;
    else if (c == ';')
      d->state = S_EXT_NAME0;
    else if (!is_ws(c))
      return 400;
    return 0;
  case S_EXT_VALUE0:
    if (c == '"')
      d->state = S_EXT_QUOTED;
    else if (tn__is_tchar(c))
      d->state = S_EXT_TOKEN;
    else if (!is_ws(c))
      return 400;
    return 0;
  case S_EXT_TOKEN:
    return tn__is_tchar(c) ? 0 : ext_next(d, c);
  case S_EXT_QUOTED:
    if (c == '"')
      d->state = S_EXT_QEND;
    else if (c == '\\')
      d->state = S_EXT_QPAIR;
    else if (!is_text(c))
      return 400;
    return 0;
  case S_EXT_QPAIR:
    d->state = S_EXT_QUOTED;
    return is_text(c) ? 0 : 400;
  case S_EXT_QEND:
    return ext_next(d, c);
  case S_SIZE_LF:
    if (c != '\n')
      return 400;
    d->line = 0;
    d->state = d->left ? S_DATA : S_TRAILER;
    return 0;
  }
  return 400;
}

/* The trailer section: field lines as strict as the head's, then CRLF;
 * at most max_trailer bytes. */
static int trailer(tn__chunked_t *d, unsigned char c) {
  if (++d->line > d->max_trailer)
    return 431;
  switch (d->state) {
  case S_TRAILER:
    if (c == '\r')
      d->state = S_END_LF;
    else if (tn__is_tchar(c))
      d->state = S_TRAILER_NAME;
    else
      return 400; /* obs-fold, or no name */
    return 0;
  case S_TRAILER_NAME:
    if (c == ':')
      d->state = S_TRAILER_VALUE;
    else if (!tn__is_tchar(c))
      return 400;
    return 0;
  case S_TRAILER_VALUE:
    if (c == '\r')
      d->state = S_TRAILER_LF;
    else if (!is_text(c))
      return 400;
    return 0;
  case S_TRAILER_LF:
    if (c != '\n')
      return 400;
    d->state = S_TRAILER;
    return 0;
  case S_END_LF:
    if (c != '\n')
      return 400;
    d->state = S_DONE;
    return 0;
  }
  return 400;
}

/* One framing byte. */
static int step(tn__chunked_t *d, unsigned char c) {
  switch (d->state) {
  case S_DATA_CR:
    if (c != '\r')
      return 400;
    d->state = S_DATA_LF;
    return 0;
  case S_DATA_LF:
    if (c != '\n')
      return 400;
    d->state = S_SIZE_FIRST;
    d->digits = 0;
    return 0;
  case S_TRAILER:
  case S_TRAILER_NAME:
  case S_TRAILER_VALUE:
  case S_TRAILER_LF:
  case S_END_LF:
    return trailer(d, c);
  }
  return size_line(d, c);
}

int tn__chunked_decode(tn__chunked_t *d, char **out, const char **in,
                       const char *end) {
  const char *p = *in;
  char *o = *out;
  int status = 0;
  while (p < end && d->state != S_DONE && d->state != S_ERROR) {
    if (d->state == S_DATA) {
      size_t n = (size_t)(end - p);
      if (n > d->left)
        n = (size_t)d->left;
      if (o != p)
        memmove(o, p, n);
      o += n;
      p += n;
      d->left -= n;
      if (!d->left)
        d->state = S_DATA_CR;
      continue;
    }
    if ((status = step(d, (unsigned char)*p)) != 0) {
      d->state = S_ERROR;
      break;
    }
    p++;
  }
  *in = p;
  *out = o;
  if (status)
    return status;
  if (d->state == S_ERROR)
    return 400;
  return d->state == S_DONE ? TN__PARSE_DONE : TN__PARSE_AGAIN;
}
