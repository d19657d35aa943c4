/* handlers.c -- the handlers of examples/shop.
 *
 * Every handler answers JSON saying exactly what it received: typed values
 * as JSON numbers (a uint64 as a decimal string, as JSON numbers stop at
 * int64), text parameters as the decoded text (null when it is not UTF-8),
 * its length and its bytes in hex. `self` is the request's own URL built
 * back with the typed builders tornc generated, so it shows the canonical
 * spelling of what was matched (null for a value holding a NUL byte: the
 * builders take C strings).
 */
#include <stdlib.h>

#include "shop.h"

/* ---- Helpers -------------------------------------------------------------- */

/* Text for JSON: the bytes as a string, or null when they are not UTF-8
 * (jansson only holds valid UTF-8). */
static json_t *text(tn_str_t s)
{
  json_t *v = json_stringn(s.ptr, s.len);
  return v ? v : json_null();
}

/* The bytes of `s` in lower-case hex: "a/b" -> "612f62". */
static json_t *hex(tn_req_t *req, tn_str_t s)
{
  static const char digits[] = "0123456789abcdef";
  char *out = tn_req_alloc(req, 2 * s.len + 1);
  if (out == NULL)
    return json_null();
  for (size_t i = 0; i < s.len; i++) {
    out[2 * i] = digits[(unsigned char)s.ptr[i] >> 4];
    out[2 * i + 1] = digits[(unsigned char)s.ptr[i] & 15];
  }
  return json_stringn(out, 2 * s.len);
}

/* A decoded text parameter as three fields: NAME, "len" and "hex". */
static void describe(tn_req_t *req, json_t *obj, const char *name,
                     tn_str_t s)
{
  json_object_set_new(obj, name, text(s));
  json_object_set_new(obj, "len", json_integer((json_int_t)s.len));
  json_object_set_new(obj, "hex", hex(req, s));
}

/* The result of a URL builder as JSON: the URL, or null when the builder
 * refused the value (a negative TN_E* code). URLs here are short; the
 * builders of text values measure first (see url_of_text). */
static json_t *url(int n, const char *buf, size_t size)
{
  if (n < 0 || (size_t)n >= size)
    return json_null();
  return json_stringn(buf, (size_t)n);
}

/* The builders take text parameters as C strings: `s` copied into
 * request memory and NUL-terminated, or NULL when it holds a NUL byte
 * (a decoded "%00"), which no C string can carry. */
static const char *cstr(tn_req_t *req, tn_str_t s)
{
  if (memchr(s.ptr, '\0', s.len) != NULL)
    return NULL;
  char *out = tn_req_alloc(req, s.len + 1);
  if (out != NULL) {
    memcpy(out, s.ptr, s.len);
    out[s.len] = '\0';
  }
  return out;
}

/* The URL a builder makes of a text value (percent-encoding can make it
 * three times longer): measured with a zero-size call, then built in
 * request memory. null when the builder refuses the value. */
static json_t *url_of_text(tn_req_t *req,
                           int (*builder)(char *, size_t, const char *),
                           tn_str_t value)
{
  const char *v = cstr(req, value);
  int n = v ? builder(NULL, 0, v) : -1;
  if (n < 0)
    return json_null();
  char *buf = tn_req_alloc(req, (size_t)n + 1);
  if (buf == NULL)
    return json_null();
  return url(builder(buf, (size_t)n + 1, v), buf, (size_t)n + 1);
}

/* The body, as text when it is UTF-8. */
static void add_body(json_t *obj, tn_req_t *req)
{
  tn_str_t body = tn_req_body(req);
  json_object_set_new(obj, "body", text(body));
  json_object_set_new(obj, "body_len", json_integer((json_int_t)body.len));
}

static const char *method(tn_req_t *req)
{
  return tn_method_name(tn_req_method(req));
}

/* ---- Routes --------------------------------------------------------------- */

/* GET / -- where the API is. */
void home(tn_req_t *req)
{
  char books[64];
  int n = shop_url_books(books, sizeof books);
  tn_write_json_new(req, json_pack("{s:s,s:o}", "shop", "torn books",
                                   "books", url(n, books, sizeof books)));
}

/* GET POST OPTIONS /api/v1/books -- the catalogue; POST adds a book. */
void books(tn_req_t *req)
{
  char self[64], first[64], second[64];
  int n = shop_url_books(self, sizeof self);
  json_t *obj = json_pack("{s:s,s:o}", "method", method(req), "self",
                          url(n, self, sizeof self));
  switch (tn_req_method(req)) {
  case TN_METHOD_POST: {
    /* A real shop would store the body; this one pretends it became
     * book 1001 and says where it lives. */
    int m = shop_url_book(first, sizeof first, 1001);
    if (m >= 0 && (size_t)m < sizeof first)
      tn_set_header(req, "Location", first);
    tn_set_status(req, 201);
    json_object_set_new(obj, "created", url(m, first, sizeof first));
    add_body(obj, req);
    break;
  }
  case TN_METHOD_OPTIONS:
    tn_set_header(req, "Allow", "GET, HEAD, POST, OPTIONS");
    break;
  default: /* GET, HEAD */
    json_object_set_new(
        obj, "books",
        json_pack("[o,o]",
                  url(shop_url_book(first, sizeof first, 1), first,
                      sizeof first),
                  url(shop_url_book(second, sizeof second, 2), second,
                      sizeof second)));
  }
  tn_write_json_new(req, obj);
}

/* GET PUT PATCH DELETE /api/v1/books/{id:int} */
void book(tn_req_t *req, const struct shop_book_args *args)
{
  char self[64];
  int n = shop_url_book(self, sizeof self, args->id);
  json_t *obj = json_pack("{s:s,s:I,s:o}", "method", method(req), "id",
                          (json_int_t)args->id, "self",
                          url(n, self, sizeof self));
  unsigned m = tn_req_method(req);
  if (m == TN_METHOD_PUT || m == TN_METHOD_PATCH)
    add_body(obj, req);
  tn_write_json_new(req, obj);
}

/* GET /api/v1/books/isbn/{isbn:[0-9]{13}} */
void by_isbn(tn_req_t *req, const struct shop_by_isbn_args *args)
{
  json_t *obj = json_object();
  describe(req, obj, "isbn", args->isbn);
  json_object_set_new(obj, "self",
                      url_of_text(req, shop_url_by_isbn, args->isbn));
  tn_write_json_new(req, obj);
}

/* GET /api/v1/authors/{name:slug} */
void author(tn_req_t *req, const struct shop_author_args *args)
{
  json_t *obj = json_object();
  describe(req, obj, "name", args->name);
  json_object_set_new(obj, "self",
                      url_of_text(req, shop_url_author, args->name));
  json_object_set_new(obj, "shelf",
                      url_of_text(req, shop_url_shelf, args->name));
  tn_write_json_new(req, obj);
}

/* GET /api/v1/shelves/{name:slug}/ -- a pattern with a trailing slash. */
void shelf(tn_req_t *req, const struct shop_shelf_args *args)
{
  json_t *obj = json_object();
  describe(req, obj, "name", args->name);
  json_object_set_new(obj, "self",
                      url_of_text(req, shop_url_shelf, args->name));
  tn_write_json_new(req, obj);
}

/* GET DELETE /api/v1/orders/{id:uuid} */
void order(tn_req_t *req, const struct shop_order_args *args)
{
  json_t *obj = json_pack("{s:s}", "method", method(req));
  describe(req, obj, "id", args->id);
  json_object_set_new(obj, "self", url_of_text(req, shop_url_order, args->id));
  tn_write_json_new(req, obj);
}

/* GET /api/v1/stock/{n:uint} -- a uint64 goes out as a decimal string. */
void stock(tn_req_t *req, const struct shop_stock_args *args)
{
  char self[64], n[24];
  int len = shop_url_stock(self, sizeof self, args->n);
  snprintf(n, sizeof n, "%" PRIu64, args->n);
  tn_write_json_new(req, json_pack("{s:s,s:o}", "n", n, "self",
                                   url(len, self, sizeof self)));
}

/* GET /api/v1/search/{q:str} -- `q` arrives percent-decoded: "%2F" is a
 * '/' inside the one segment. When the query is also a valid slug the
 * answer links to that author; the typed builder refuses anything else. */
void search(tn_req_t *req, const struct shop_search_args *args)
{
  json_t *obj = json_object();
  describe(req, obj, "q", args->q);
  json_object_set_new(obj, "self", url_of_text(req, shop_url_search, args->q));
  json_object_set_new(obj, "author",
                      url_of_text(req, shop_url_author, args->q));
  tn_write_json_new(req, obj);
}

/* GET /api/v1/files/{rest:path} -- the rest of the path, '/' included. */
void file(tn_req_t *req, const struct shop_file_args *args)
{
  json_t *obj = json_object();
  describe(req, obj, "rest", args->rest);
  json_object_set_new(obj, "self", url_of_text(req, shop_url_file, args->rest));
  tn_write_json_new(req, obj);
}

/* ANY /api/v1/cart -- every method, as sent. */
void cart(tn_req_t *req)
{
  json_t *obj = json_object();
  json_object_set_new(obj, "method", text(tn_req_method_str(req)));
  add_body(obj, req);
  tn_write_json_new(req, obj);
}

/* GET /api/v1/reverse/{name:str}?arg=A&arg=B&size=N -- tn_reverse_url:
 * the URL of the route called `name`, built from the `arg` values of the
 * query (percent-decoded) into a buffer of N bytes (default 256). */
void reverse(tn_req_t *req, const struct shop_reverse_args *args)
{
  enum { MAXARGS = 8, MAXSIZE = 256 };
  const char *argv[MAXARGS];
  size_t argc = 0, size = MAXSIZE;
  char *name = tn_req_alloc(req, args->name.len + 1);
  tn_str_t q = tn_req_query(req);
  char *query = tn_req_alloc(req, q.len + 1);
  if (name == NULL || query == NULL)
    return;
  memcpy(name, args->name.ptr, args->name.len);
  name[args->name.len] = '\0';
  memcpy(query, q.ptr, q.len);
  query[q.len] = '\0';

  /* Split the query into key=value pairs; decode values in place. */
  for (char *kv = query, *next; kv != NULL; kv = next) {
    next = strchr(kv, '&');
    if (next != NULL)
      *next++ = '\0';
    char *eq = strchr(kv, '=');
    char *value = eq ? eq + 1 : kv + strlen(kv);
    if (eq)
      *eq = '\0';
    int len = tn_percent_decode(value, value, strlen(value));
    if (len < 0 || memchr(value, '\0', (size_t)len) != NULL) {
      tn_set_status(req, 400);
      tn_write_json_new(req, json_pack("{s:s}", "error", "bad query"));
      return;
    }
    value[len] = '\0';
    if (strcmp(kv, "arg") == 0 && argc < MAXARGS)
      argv[argc++] = value;
    else if (strcmp(kv, "size") == 0 && atoi(value) >= 0 &&
             atoi(value) <= MAXSIZE)
      size = (size_t)atoi(value);
  }

  char out[MAXSIZE];
  int n = tn_reverse_url(tn_req_app(req), out, size, name, argv, argc);
  json_t *obj = json_object();
  json_object_set_new(obj, "name", text(args->name));
  if (n < 0) {
    tn_set_status(req, n == TN_ENOROUTE ? 404 : 400);
    json_object_set_new(obj, "error", json_string(tn_err_name(n)));
  } else {
    /* snprintf-like: the full length, the URL cut to size - 1 bytes. */
    size_t kept = size == 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
    json_object_set_new(obj, "url", json_stringn(out, kept));
    json_object_set_new(obj, "len", json_integer(n));
    json_object_set_new(obj, "truncated", json_boolean((size_t)n >= size));
  }
  tn_write_json_new(req, obj);
}

/* ---- Request arguments ---------------------------------------------------- */

/* A C string for JSON: null when it is NULL or not UTF-8 (argument values
 * are bytes as sent; jansson only holds valid UTF-8). */
static json_t *ctext(const char *s)
{
  json_t *v = s ? json_string(s) : NULL;
  return v ? v : json_null();
}

/* What tn_get_arguments and its variants return, as a JSON array; NULL
 * when they failed. */
static json_t *values(int n, const char **v)
{
  if (n < 0)
    return NULL;
  json_t *arr = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(arr, ctext(v[i]));
  return arr;
}

/* GET POST /search?q=...&tag=...&sort=... (or the same as a form body) --
 * every way of reading an argument, side by side: the last value with a
 * default, all the values (the query's, then the body's), and each source
 * on its own. */
void search_form(tn_req_t *req)
{
  const char **v;
  const char *q = tn_get_argument(req, "q", "");
  const char *sort = tn_get_argument(req, "sort", "relevance");
  if (q == NULL || sort == NULL)
    return; /* out of memory: answered 500 */
  /* One statement each: `v` is set by the call, then read. */
  int n = tn_get_arguments(req, "tag", &v);
  json_t *tags = values(n, v);
  n = tn_get_query_arguments(req, "tag", &v);
  json_t *query_tags = values(n, v);
  n = tn_get_body_arguments(req, "tag", &v);
  json_t *body_tags = values(n, v);
  if (tags == NULL || query_tags == NULL || body_tags == NULL) {
    json_decref(tags);
    json_decref(query_tags);
    json_decref(body_tags);
    tn_set_status(req, 500);
    return;
  }
  json_t *obj = json_object();
  json_object_set_new(obj, "q", ctext(q));
  json_object_set_new(obj, "sort", ctext(sort));
  json_object_set_new(obj, "tags", tags);
  json_object_set_new(obj, "query_tags", query_tags);
  json_object_set_new(obj, "body_tags", body_tags);
  /* NULL as the default: null when the source has no q. */
  json_object_set_new(obj, "query_q", ctext(tn_get_query_argument(req, "q", NULL)));
  json_object_set_new(obj, "body_q", ctext(tn_get_body_argument(req, "q", NULL)));
  tn_write_json_new(req, obj);
}

/* GET POST /buy?book=...&qty=...[&gift=yes] -- required arguments: a
 * missing one is answered 400 "Missing argument NAME" by
 * tn_require_argument, and the handler just returns. */
void buy(tn_req_t *req)
{
  const char *book = tn_require_argument(req, "book");
  if (book == NULL)
    return;
  const char *qty = tn_require_argument(req, "qty");
  if (qty == NULL)
    return;
  const char *gift = tn_get_argument(req, "gift", "no");
  if (gift == NULL)
    return;
  json_t *obj = json_object();
  json_object_set_new(obj, "book", ctext(book));
  json_object_set_new(obj, "qty", ctext(qty));
  json_object_set_new(obj, "gift", ctext(gift));
  tn_write_json_new(req, obj);
}
