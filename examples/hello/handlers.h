/* handlers.h -- what the handlers need; tornc declares the handlers. */
#include <torn.h>
