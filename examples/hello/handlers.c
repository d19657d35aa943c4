/* handlers.c -- the handlers of examples/hello. */
#include "hello.h"

void home(tn_req_t *req) { tn_write(req, "Hello, world"); }

void api(tn_req_t *req) {
  tn_write_json_new(req, json_pack("{s:s}", "message", "hello world"));
}

void user(tn_req_t *req, const struct hello_user_args *args) {
  tn_write_json_new(req, json_pack("{s:I}", "id", (json_int_t)args->id));
}
