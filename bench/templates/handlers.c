/* handlers.c -- bench/templates' server: the bigtable page at / (typed C
 * data) and at /json (jansson data), as Tornado's self.render() does. */
#include "tplbench.h"

void page(tn_req_t *req) {
  if (tplbench_render_bigtable(req, bt_page_title, bt_nav, BT_NNAV, bt_rows,
                               BT_NROWS))
    tn_set_status(req, 500);
}

void page_json(tn_req_t *req) {
  const struct bt_json *j = bt_json();
  if (tplbench_render_bigtable_json(req, j->page_title, j->nav, j->table))
    tn_set_status(req, 500);
}
