/* handlers.h -- what the shop's handlers need; tornc declares the
 * handlers themselves in the generated shop.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <torn.h>
