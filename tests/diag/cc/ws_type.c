/* Compiled against the APP.h of ws_type.troute: `chat` written as a
 * function, as if it were a route's handler, and `echo` as the struct of
 * another endpoint. */
#include "wsapp.h"

void chat(tn_req_t *req) { (void)req; }

const struct wsapp_chat_ws echo = {0};
