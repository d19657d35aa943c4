/* handlers.c -- the handlers of examples/hello. */
#include "hello.h"

void home(tn_req_t *req) { tn_write(req, "Hello, world"); }

void api(tn_req_t *req) {
  tn_write_json_new(req, json_pack("{s:s}", "message", "hello world"));
}

void user(tn_req_t *req, const struct hello_user_args *args) {
  tn_write_json_new(req, json_pack("{s:I}", "id", (json_int_t)args->id));
}

/* Text comes back as text, binary as binary: the runtime has already
 * reassembled, inflated and (for text) checked the message. */
static void echo_message(tn_ws_t *ws, const tn_ws_msg_t *msg) {
  tn_ws_send(ws, msg->opcode, msg->data, msg->len);
}

const struct hello_echo_ws echo = {.message = echo_message};
