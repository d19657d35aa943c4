/* handlers.c -- examples/crud: a JSON API over the store of store.c.
 *
 *   GET    /api/items?offset=0&limit=20   a page of items, in id order
 *   POST   /api/items                     create: 201, Location, the item
 *   GET    /api/items/{id}                one item
 *   PUT    /api/items/{id}                replace it (fields left out take
 *                                         their defaults)
 *   PATCH  /api/items/{id}                change the fields given
 *   DELETE /api/items/{id}                204
 *
 * An item is {"id": 1, "name": "apple", "quantity": 3, "url":
 * "/api/items/1"}; a client sends "name" (1 to 100 bytes) and "quantity"
 * (0 to 10^9, default 0). Every error is JSON too, written by json_error:
 * {"status": 404, "error": "Not Found", "detail": "no item 7"}.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crud.h"

enum { DEFAULT_LIMIT = 20, MAX_LIMIT = 100 };

/* ---- Errors -------------------------------------------------------------- */

static const char *reason(int status)
{
  switch (status) {
  case 400: return "Bad Request";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 507: return "Insufficient Storage";
  default: return status < 500 ? "Client Error" : "Server Error";
  }
}

/* The write_error hook: every error of the app -- its own, through
 * tn_send_error, and the runtime's (404, 405, a body that is not JSON,
 * 413...) -- as a JSON object, the reason given in `detail`. A detail
 * that is not UTF-8 (the runtime's may quote the request) is left out:
 * JSON strings must be. */
void json_error(tn_req_t *req, int status, const char *detail)
{
  json_t *d = detail ? json_string(detail) : NULL;
  tn_write_json_new(req, json_pack("{s:i, s:s, s:o}", "status", status,
                                   "error", reason(status), "detail",
                                   d ? d : json_null()));
}

/* ---- Items as JSON ------------------------------------------------------- */

static json_t *item_json(const struct item *it)
{
  char url[64];
  int n = crud_url_item(url, sizeof url, it->id);
  return json_pack("{s:I, s:s, s:I, s:s}", "id", (json_int_t)it->id, "name",
                   it->name, "quantity", (json_int_t)it->quantity, "url",
                   n >= 0 && (size_t)n < sizeof url ? url : "");
}

/* What a client sent: the fields present, checked. */
struct fields {
  const char *name;        /* NULL: not sent */
  bool has_quantity;
  int64_t quantity;
};

/* Reads and checks the JSON body. Returns NULL, or why it is refused
 * (in `why`, `size` bytes). `partial` (PATCH) lets "name" be left out. */
static const char *read_fields(json_t *body, bool partial, struct fields *f,
                               char *why, size_t size)
{
  const char *key;
  json_t *value;
  *f = (struct fields){NULL, false, 0};
  if (!json_is_object(body))
    return "the body must be a JSON object";
  json_object_foreach(body, key, value) {
    if (strcmp(key, "name") == 0) {
      size_t len = json_string_length(value);
      if (!json_is_string(value) || len == 0 || len > STORE_MAX_NAME)
        return "'name' must be a string of 1 to 100 bytes";
      f->name = json_string_value(value);
    } else if (strcmp(key, "quantity") == 0) {
      json_int_t q = json_integer_value(value);
      if (!json_is_integer(value) || q < 0 || q > STORE_MAX_QUANTITY)
        return "'quantity' must be an integer from 0 to 1000000000";
      f->has_quantity = true;
      f->quantity = q;
    } else if (strcmp(key, "id") != 0 && strcmp(key, "url") != 0) {
      /* id and url are the server's; sent back as they came, ignored. */
      snprintf(why, size, "unknown field '%.40s'", key);
      return why;
    }
  }
  if (!partial && f->name == NULL)
    return "missing field 'name'";
  return NULL;
}

/* The body's fields, or NULL after answering 400 (the runtime answers a
 * body that is not JSON). */
static bool get_fields(tn_req_t *req, bool partial, struct fields *f)
{
  char why[96];
  json_t *body = tn_get_json_body(req);
  if (body == NULL)
    return false; /* answered */
  const char *bad = read_fields(body, partial, f, why, sizeof why);
  if (bad != NULL) {
    tn_send_error(req, 400, bad);
    return false;
  }
  return true;
}

static void set_fields(struct item *it, const struct fields *f)
{
  strcpy(it->name, f->name); /* read_fields checked the length */
  it->quantity = f->has_quantity ? f->quantity : 0;
}

/* An argument (tn_get_argument: the query's, or a form body's) that must
 * be an integer from `min` to `max`, written as such ("007" is not);
 * `def` when absent. Returns false after answering 400. */
static bool int_argument(tn_req_t *req, const char *name, int64_t def,
                         int64_t min, int64_t max, int64_t *out)
{
  static const char absent[] = "";
  const char *s = tn_get_argument(req, name, absent);
  *out = def;
  if (s == NULL)
    return false; /* answered: no memory */
  if (s == absent)
    return true;
  if (tn_parse_int64((tn_str_t){s, strlen(s)}, out) || *out < min ||
      *out > max) {
    char why[96];
    snprintf(why, sizeof why, "'%s' must be an integer from %lld to %lld",
             name, (long long)min, (long long)max);
    tn_send_error(req, 400, why);
    return false;
  }
  return true;
}

/* ---- Routes -------------------------------------------------------------- */

/* GET / -- where things are. */
void home(tn_req_t *req)
{
  char url[64];
  int n = crud_url_items(url, sizeof url);
  tn_write_json_new(req, json_pack("{s:s}", "items", n > 0 ? url : ""));
}

/* GET /api/items?offset=&limit= -- a page of the items, and the URL of
 * the next page (null on the last). */
static void list(tn_req_t *req)
{
  int64_t offset, limit;
  if (!int_argument(req, "offset", 0, 0, STORE_MAX_ITEMS, &offset) ||
      !int_argument(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, &limit))
    return;
  struct item page[MAX_LIMIT];
  size_t total;
  size_t n = store_list((size_t)offset, page, (size_t)limit, &total);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, item_json(&page[i]));
  json_t *next = json_null();
  if ((size_t)offset + n < total) {
    char url[96];
    int len = crud_url_items(url, sizeof url);
    if (len > 0 && (size_t)len < sizeof url) {
      snprintf(url + len, sizeof url - (size_t)len,
               "?offset=%lld&limit=%lld", (long long)offset + (long long)n,
               (long long)limit);
      next = json_string(url);
    }
  }
  tn_write_json_new(req, json_pack("{s:o, s:I, s:I, s:I, s:o}", "items", arr,
                                   "total", (json_int_t)total, "offset",
                                   (json_int_t)offset, "limit",
                                   (json_int_t)limit, "next", next));
}

/* POST /api/items -- 201 with the new item and, in Location, its URL
 * built by the route's typed builder (Tornado's reverse_url). */
static void create(tn_req_t *req)
{
  struct fields f;
  struct item it;
  if (!get_fields(req, false, &f))
    return;
  set_fields(&it, &f);
  int err = store_add(&it);
  if (err == STORE_EFULL) {
    tn_send_error(req, 507, "the store is full (10000 items): delete some "
                            "first");
    return;
  }
  if (err) {
    tn_send_error(req, 500, NULL);
    return;
  }
  char url[64];
  int n = crud_url_item(url, sizeof url, it.id);
  if (n > 0 && (size_t)n < sizeof url)
    tn_set_header(req, "Location", url);
  tn_set_status(req, 201);
  tn_write_json_new(req, item_json(&it));
}

void items(tn_req_t *req)
{
  if (tn_req_method(req) == TN_METHOD_POST)
    create(req);
  else
    list(req); /* GET, HEAD */
}

/* The 404 of an id the store does not hold. */
static void no_item(tn_req_t *req, int64_t id)
{
  char why[48];
  snprintf(why, sizeof why, "no item %lld", (long long)id);
  tn_send_error(req, 404, why);
}

/* GET PUT PATCH DELETE /api/items/{id} */
void item(tn_req_t *req, const struct crud_item_args *args)
{
  struct fields f;
  struct item it = {.id = args->id};
  int err = 0;
  switch (tn_req_method(req)) {
  case TN_METHOD_PUT:
    if (!get_fields(req, false, &f))
      return;
    set_fields(&it, &f);
    err = store_replace(&it);
    break;
  case TN_METHOD_PATCH:
    if (!get_fields(req, true, &f))
      return;
    err = store_update(args->id, f.name,
                       f.has_quantity ? &f.quantity : NULL, &it);
    break;
  case TN_METHOD_DELETE:
    if ((err = store_delete(args->id)) == 0) {
      tn_set_status(req, 204);
      return;
    }
    break;
  default: /* GET, HEAD */
    err = store_get(args->id, &it);
  }
  if (err)
    no_item(req, args->id);
  else
    tn_write_json_new(req, item_json(&it));
}
