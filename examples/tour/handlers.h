/* handlers.h -- examples/tour: one route per runtime feature. */
#ifndef FEATURES_HANDLERS_H
#define FEATURES_HANDLERS_H

#include <torn.h>

#endif
