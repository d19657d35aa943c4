/* handlers.h -- what the crud example's handlers need; tornc declares the
 * handlers and the write_error hook in the generated crud.h. */
#ifndef CRUD_HANDLERS_H
#define CRUD_HANDLERS_H

#include <torn.h>

#include "store.h"

#endif
