/* json.c -- writing jansson values as a JSON response body. */
#include "internal.h"

/* jansson hands the text over in pieces. "</" is written "<\/" so that a
 * JSON body pasted into a <script> cannot close it (as Tornado does); the
 * check looks at the last byte already in the buffer because '<' and '/'
 * may arrive in different pieces. */
static int on_json_chunk(const char *chunk, size_t size, void *data) {
  tn__buf_t *b = data;
  if (tn__buf_reserve(b, size * 2))
    return -1;
  for (size_t i = 0; i < size; i++) {
    if (chunk[i] == '/' && b->len && b->data[b->len - 1] == '<')
      b->data[b->len++] = '\\';
    b->data[b->len++] = chunk[i];
  }
  return 0;
}

int tn_write_json(tn_req_t *req, const json_t *value) {
  if (!value)
    return TN_EINVAL;
  if (json_dump_callback(value, on_json_chunk, &req->body_out,
                         JSON_ENCODE_ANY) != 0)
    return TN_ENOMEM;
  if (!req->has_content_type)
    tn_set_header(req, "Content-Type", "application/json; charset=UTF-8");
  return 0;
}

int tn_write_json_new(tn_req_t *req, json_t *value) {
  int err = tn_write_json(req, value);
  json_decref(value);
  return err;
}
