/* json_body.c -- a request body read as JSON: what a Tornado handler does
 * with json.loads(self.request.body), parsed once per request by jansson.
 *
 * The value is kept in the request until it ends (tn__args_release drops
 * it), so every call of the handler and of its helpers shares one parse. */
#include <stdio.h>

#include "internal.h"

/* Answers 400 naming where the body stops being JSON. */
static void answer_invalid(tn_req_t *req, const json_error_t *e) {
  static const char empty[] = "Invalid JSON body: the body is empty";
  if (req->body.len == 0) {
    tn__response_error_detail(req, 400, empty);
    return;
  }
  char *detail = tn_req_alloc(req, 64 + sizeof e->text);
  if (detail)
    snprintf(detail, 64 + sizeof e->text,
             "Invalid JSON body: %s (line %d, column %d, byte %d)", e->text,
             e->line, e->column, e->position);
  tn__response_error_detail(req, 400, detail ? detail : "Invalid JSON body");
}

json_t *tn_get_json_body(tn_req_t *req) {
  if (req->json_body)
    return req->json_body;
  json_error_t e;
  /* Any value, as json.loads takes; a "\u0000" in a string is refused, so
   * json_string_value() is always the whole string. */
  json_t *v = req->body.len ? json_loadb(req->body.ptr, req->body.len,
                                         JSON_DECODE_ANY, &e)
                            : NULL;
  if (!v) {
    if (req->body.len && json_error_code(&e) == json_error_out_of_memory)
      tn__response_error(req, 500, 0);
    else
      answer_invalid(req, &e);
    return NULL;
  }
  req->json_body = v;
  return v;
}
