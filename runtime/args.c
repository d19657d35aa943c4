/* args.c -- request arguments with Tornado's semantics: get_argument,
 * get_arguments and their query-only and body-only variants, and the
 * uploaded files that come with them.
 *
 * Arguments come from the query string and, when the Content-Type says
 * application/x-www-form-urlencoded or multipart/form-data (multipart.c),
 * from the body. Each source is parsed once, on first use, into a list in
 * the request arena (most handlers never ask, and pay nothing). Parsing
 * follows what Tornado does, step by step, so that an app ported from it
 * sees the same values:
 *   - urllib's parse_qsl(keep_blank_values=True): split on '&' only, skip
 *     empty pieces, split each at its first '=' ("a" is a with value ""),
 *     '+' is a space, %XX is decoded and a malformed escape ("%zz", a lone
 *     '%') is kept as it is;
 *   - get_argument's cleaning of values: control characters but \t \n \v
 *     \f \r become spaces, then leading and trailing whitespace goes
 *     (strip=True), Unicode spaces encoded in UTF-8 included.
 * Tornado answers 400 to a value that is not UTF-8; here the bytes pass
 * through (see torn.h). It also answers 400 to a malformed multipart body
 * before the handler runs; here the first reader of the body's arguments
 * or files does, so a handler that never reads them is never failed by a
 * junk body. */
#include <limits.h>

#include "internal.h"

/* --- Parsing ------------------------------------------------------------- */

/* urllib's unquote_plus: '+' is a space, %XX a byte, and a '%' not
 * followed by two hex digits stays as it is. Never longer than `n`. */
static size_t form_decode(char *out, const char *in, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = in[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && i + 2 < n) {
      int hi = tn__hex_value((unsigned char)in[i + 1]);
      int lo = tn__hex_value((unsigned char)in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = (char)(hi << 4 | lo);
        i += 2;
      }
    }
    out[o++] = c;
  }
  return o;
}

/* The length of the whitespace character at p (0 if none), as Python's
 * str.isspace: ASCII \t \n \v \f \r, 0x1C-0x1F and space, and the Unicode
 * spaces U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
 * U+205F and U+3000 in UTF-8. */
size_t tn__space_at(const unsigned char *p, const unsigned char *end) {
  size_t left = (size_t)(end - p);
  if (left == 0)
    return 0;
  if ((p[0] >= 0x09 && p[0] <= 0x0d) || (p[0] >= 0x1c && p[0] <= 0x20))
    return 1;
  if (left >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
    return 2;
  if (left < 3)
    return 0;
  if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
      (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||
      (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f))
    return 3;
  if (p[0] == 0xe2 && p[1] == 0x80 &&
      ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 ||
       p[2] == 0xaf))
    return 3;
  return 0;
}

/* The length of the whitespace character that ends [start, end), or 0.
 * An ASCII byte never occurs inside a UTF-8 sequence, so the last byte
 * alone decides the one-byte case. */
size_t tn__space_before(const unsigned char *start,
                        const unsigned char *end) {
  size_t have = (size_t)(end - start);
  for (size_t k = 1; k <= 3 && k <= have; k++)
    if (tn__space_at(end - k, end) == k)
      return k;
  return 0;
}

/* A NUL becomes a space too, so a cleaned value is a whole C string. */
char *tn__arg_clean(char *v, size_t *len) {
  unsigned char *p = (unsigned char *)v, *end = p + *len;
  for (unsigned char *c = p; c < end; c++)
    if (*c <= 0x08 || (*c >= 0x0e && *c <= 0x1f))
      *c = ' ';
  size_t k;
  while ((k = tn__space_at(p, end)) > 0)
    p += k;
  while ((k = tn__space_before(p, end)) > 0)
    end -= k;
  *len = (size_t)(end - p);
  return (char *)p;
}

/* The next non-empty '&'-separated field of [*p, end) into *field,
 * advancing *p past it; false when none is left. */
static bool next_field(const char **p, const char *end, tn_str_t *field) {
  while (*p < end) {
    const char *start = *p;
    const char *amp = memchr(start, '&', (size_t)(end - start));
    const char *stop = amp ? amp : end;
    *p = amp ? amp + 1 : end;
    if (stop > start) {
      *field = (tn_str_t){start, (size_t)(stop - start)};
      return true;
    }
  }
  return false;
}

size_t tn__form_size(tn_str_t in, size_t *text_size) {
  size_t n = 0;
  const char *p = in.ptr, *end = in.ptr + in.len;
  tn_str_t f;
  while (next_field(&p, end, &f))
    n++;
  /* Decoding never lengthens; each argument adds two NULs. */
  *text_size = in.len + 2 * n;
  return n;
}

size_t tn__form_parse(tn_str_t in, tn__arg_t *items, char *text) {
  size_t n = 0;
  const char *p = in.ptr, *end = in.ptr + in.len;
  tn_str_t f;
  while (next_field(&p, end, &f)) {
    const char *stop = f.ptr + f.len;
    const char *eq = memchr(f.ptr, '=', f.len);
    const char *name_end = eq ? eq : stop;
    const char *value = eq ? eq + 1 : stop;
    tn__arg_t *a = &items[n++];

    size_t len = form_decode(text, f.ptr, (size_t)(name_end - f.ptr));
    a->name = text;
    a->name_len = (uint32_t)len;
    text[len] = '\0';
    text += len + 1;

    len = form_decode(text, value, (size_t)(stop - value));
    char *v = tn__arg_clean(text, &len);
    v[len] = '\0';
    a->value = v;
    a->value_len = (uint32_t)len;
    text += (size_t)(v - text) + len + 1;
  }
  return n;
}

/* --- The request's lists ------------------------------------------------- */

/* Parse `in` into `out` in request memory. */
static int parse_into(tn_req_t *req, tn_str_t in, tn__args_t *out) {
  size_t text_size;
  size_t n = tn__form_size(in, &text_size);
  out->items = NULL;
  out->n = 0;
  if (n == 0)
    return 0;
  tn__arg_t *items = tn_req_alloc(req, n * sizeof *items);
  char *text = tn_req_alloc(req, text_size);
  if (!items || !text)
    return TN_ENOMEM;
  out->items = items;
  out->n = tn__form_parse(in, items, text);
  return 0;
}

/* Whether header value `v` names media type `type` (lower case): compared
 * case-insensitively, and followed by nothing, parameters (";
 * charset=UTF-8") or blanks. */
static bool media_type_is(tn_str_t v, const char *type) {
  size_t i = 0, n = strlen(type);
  while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
    i++;
  if (v.len - i < n)
    return false;
  for (size_t j = 0; j < n; j++) {
    char c = v.ptr[i + j];
    if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != type[j])
      return false;
  }
  i += n;
  return i == v.len || v.ptr[i] == ';' || v.ptr[i] == ' ' || v.ptr[i] == '\t';
}

/* The body's arguments and files. Only a form body has any. A body with a
 * Content-Encoding is left alone: it would be compressed bytes, not a
 * form. A malformed multipart body is remembered in body_error and has
 * nothing; the readers answer 400 for it. */
static int parse_body(tn_req_t *req) {
  static const tn__args_t no_args;
  static const tn__files_t no_files;
  req->body_args = no_args;
  req->files = no_files;
  req->body_error = NULL;
  if (tn_req_header(req, "Content-Encoding").ptr)
    return 0;
  tn_str_t type = tn_req_header(req, "Content-Type");
  if (media_type_is(type, "application/x-www-form-urlencoded")) {
    /* The parser keeps 32-bit lengths; --max-body-size allows more. */
    if (req->body.len >= UINT32_MAX) {
      req->body_error = "form body over 4 GiB";
      return 0;
    }
    return parse_into(req, req->body, &req->body_args);
  }
  if (!media_type_is(type, "multipart/form-data"))
    return 0;
  int err = tn__multipart_parse(req, type, &req->body_args, &req->files,
                                &req->body_error);
  if (err == TN_EINVAL) {
    req->body_args = no_args; /* all or nothing, as Tornado */
    req->files = no_files;
    return 0;
  }
  return err;
}

/* Parse the sources in `which` (TN__ARGS_*) not parsed yet. After running
 * out of memory nothing is marked, so a later call tries again; a
 * malformed body is parsed once and is TN_EINVAL for every reader. */
static int ensure_parsed(tn_req_t *req, unsigned which) {
  unsigned todo = which & ~req->args_parsed;
  if (todo & TN__ARGS_QUERY) {
    int err = parse_into(req, req->query, &req->query_args);
    if (err)
      return err;
    req->args_parsed |= TN__ARGS_QUERY;
  }
  if (todo & TN__ARGS_BODY) {
    int err = parse_body(req);
    if (err)
      return err;
    req->args_parsed |= TN__ARGS_BODY;
  }
  if ((which & TN__ARGS_BODY) && req->body_error)
    return TN_EINVAL;
  return 0;
}

/* Answers the failure of a reader, as the exception Tornado would raise
 * there would: 400 naming what is wrong with the body, else 500. */
static int answer_failure(tn_req_t *req, int err) {
  if (err == TN_EINVAL)
    tn__response_error_detail(req, 400, req->body_error);
  else
    tn__response_error(req, 500, 0);
  return err;
}

static bool name_is(const tn__arg_t *a, const char *name, size_t len) {
  return a->name_len == len && memcmp(a->name, name, len) == 0;
}

static const char *last_in(const tn__args_t *args, const char *name,
                           size_t len) {
  for (size_t i = args->n; i-- > 0;)
    if (name_is(&args->items[i], name, len))
      return args->items[i].value;
  return NULL;
}

static size_t count_in(const tn__args_t *args, const char *name, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < args->n; i++)
    n += name_is(&args->items[i], name, len);
  return n;
}

static size_t collect(const tn__args_t *args, const char *name, size_t len,
                      const char **out) {
  size_t n = 0;
  for (size_t i = 0; i < args->n; i++)
    if (name_is(&args->items[i], name, len))
      out[n++] = args->items[i].value;
  return n;
}

/* The last value of `name` in the sources `which` (the body's come after
 * the query's), or NULL in *value. Fails only as ensure_parsed. */
static int find_last(tn_req_t *req, unsigned which, const char *name,
                     const char **value) {
  *value = NULL;
  int err = ensure_parsed(req, which);
  if (err)
    return err;
  size_t len = strlen(name);
  if (which & TN__ARGS_BODY)
    *value = last_in(&req->body_args, name, len);
  if (!*value && (which & TN__ARGS_QUERY))
    *value = last_in(&req->query_args, name, len);
  return 0;
}

/* get_argument and its variants. A failure is answered and NULL tells
 * the handler to return: Tornado's exception would end it the same way. */
static const char *get_one(tn_req_t *req, unsigned which, const char *name,
                           const char *def) {
  const char *value;
  int err = find_last(req, which, name, &value);
  if (err) {
    answer_failure(req, err);
    return NULL;
  }
  return value ? value : def;
}

static int collect_all(tn_req_t *req, unsigned which, const char *name,
                       const char ***values) {
  int err = ensure_parsed(req, which);
  if (err)
    return err;
  size_t len = strlen(name), n = 0;
  const tn__args_t *q = which & TN__ARGS_QUERY ? &req->query_args : NULL;
  const tn__args_t *b = which & TN__ARGS_BODY ? &req->body_args : NULL;
  if (q)
    n += count_in(q, name, len);
  if (b)
    n += count_in(b, name, len);
  if (n == 0)
    return 0;
  if (n > INT_MAX)
    return TN_ERANGE; /* needs a body of gigabytes, but the count must
                         fit the return value */
  const char **out = tn_req_alloc(req, n * sizeof *out);
  if (!out)
    return TN_ENOMEM;
  size_t k = 0;
  if (q)
    k += collect(q, name, len, out);
  if (b)
    k += collect(b, name, len, out + k);
  *values = out;
  return (int)k;
}

static int get_all(tn_req_t *req, unsigned which, const char *name,
                   const char ***values) {
  *values = NULL;
  int n = collect_all(req, which, name, values);
  return n < 0 ? answer_failure(req, n) : n;
}

/* --- The API ------------------------------------------------------------- */

const char *tn_get_argument(tn_req_t *req, const char *name, const char *def) {
  return get_one(req, TN__ARGS_QUERY | TN__ARGS_BODY, name, def);
}

const char *tn_get_query_argument(tn_req_t *req, const char *name,
                                  const char *def) {
  return get_one(req, TN__ARGS_QUERY, name, def);
}

const char *tn_get_body_argument(tn_req_t *req, const char *name,
                                 const char *def) {
  return get_one(req, TN__ARGS_BODY, name, def);
}

int tn_get_arguments(tn_req_t *req, const char *name, const char ***values) {
  return get_all(req, TN__ARGS_QUERY | TN__ARGS_BODY, name, values);
}

int tn_get_query_arguments(tn_req_t *req, const char *name,
                           const char ***values) {
  return get_all(req, TN__ARGS_QUERY, name, values);
}

int tn_get_body_arguments(tn_req_t *req, const char *name,
                          const char ***values) {
  return get_all(req, TN__ARGS_BODY, name, values);
}

const char *tn_require_argument(tn_req_t *req, const char *name) {
  static const char prefix[] = "Missing argument ";
  const char *value;
  int err = find_last(req, TN__ARGS_QUERY | TN__ARGS_BODY, name, &value);
  if (err) {
    answer_failure(req, err);
    return NULL;
  }
  if (value)
    return value;
  /* Tornado's MissingArgumentError: 400, naming the argument. */
  size_t len = strlen(name);
  char *detail = tn_req_alloc(req, sizeof prefix + len);
  if (detail) {
    memcpy(detail, prefix, sizeof prefix - 1);
    memcpy(detail + sizeof prefix - 1, name, len + 1);
  }
  tn__response_error_detail(req, 400, detail);
  return NULL;
}

/* --- Uploaded files ------------------------------------------------------ */

int tn_get_all_files(tn_req_t *req, const tn_file_t **files) {
  *files = NULL;
  int err = ensure_parsed(req, TN__ARGS_BODY);
  if (err)
    return answer_failure(req, err);
  if (req->files.n > INT_MAX)
    return answer_failure(req, TN_ERANGE);
  *files = req->files.n ? req->files.items : NULL;
  return (int)req->files.n;
}

/* The files of field `name`: a slice of the list when they were sent one
 * after the other (the usual case), else copies gathered in request
 * memory. */
static int files_named(tn_req_t *req, const char *name,
                       const tn_file_t **files) {
  const tn__files_t *f = &req->files;
  size_t len = strlen(name), n = 0, first = 0, last = 0;
  for (size_t i = 0; i < f->n; i++) {
    if (f->name_lens[i] != len || memcmp(f->items[i].name, name, len) != 0)
      continue;
    if (n++ == 0)
      first = i;
    last = i;
  }
  if (n == 0)
    return 0;
  if (n > INT_MAX)
    return TN_ERANGE;
  if (last - first + 1 == n) {
    *files = &f->items[first];
    return (int)n;
  }
  tn_file_t *out = tn_req_alloc(req, n * sizeof *out);
  if (!out)
    return TN_ENOMEM;
  size_t k = 0;
  for (size_t i = first; i <= last; i++)
    if (f->name_lens[i] == len && memcmp(f->items[i].name, name, len) == 0)
      out[k++] = f->items[i];
  *files = out;
  return (int)n;
}

int tn_get_files(tn_req_t *req, const char *name, const tn_file_t **files) {
  *files = NULL;
  int err = ensure_parsed(req, TN__ARGS_BODY);
  int n = err ? err : files_named(req, name, files);
  return n < 0 ? answer_failure(req, n) : n;
}

/* --- The end of a request ------------------------------------------------ */

void tn__args_release(tn_req_t *req) {
  /* The lists live in the arena and go with it; args_parsed is cleared
   * when the request object is used again. */
  json_decref(req->json_body);
  req->json_body = NULL;
}
