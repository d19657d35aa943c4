/* handlers.h -- what the chat example's handlers and templates need;
 * tornc declares the handlers, the socket's callbacks struct and the
 * render function in the generated chat.h. */
#ifndef CHAT_HANDLERS_H
#define CHAT_HANDLERS_H

#include <stddef.h>

#include <torn.h>

#include "history.h"

#endif
