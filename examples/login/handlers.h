/* handlers.h -- what the login example's handlers need; tornc declares
 * the handlers, the hook and the templates' render functions in the
 * generated login.h. */
#ifndef LOGIN_HANDLERS_H
#define LOGIN_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>

#include <torn.h>

#endif
