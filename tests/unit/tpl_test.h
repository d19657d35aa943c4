/* tpl_test.h -- what tests/unit/tpl.troute's templates need beyond torn.h:
 * bool for the writers' test (c_types). Included by the generated tpl.h. */
#ifndef TPL_TEST_H
#define TPL_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#endif
