/* data.c -- the bigtable page's data (bigtable.h), as C and as JSON. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bigtable.h"

const char bt_page_title[] = "mitsuhiko's benchmark";

const struct bt_nav bt_nav[BT_NNAV] = {
    {"index.html", "Index"},
    {"downloads.html", "Downloads"},
    {"products.html", "Products"},
};

/* Every row its own copy of dict(a=1, ..., j=10), as Python's 1,000 dicts
 * (a GNU range designator; gcc and clang accept it in -std=c11). */
#define BT_ROW                                                              \
  {{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5},                       \
    {"f", 6}, {"g", 7}, {"h", 8}, {"i", 9}, {"j", 10}},                     \
   BT_NCELLS}
const struct bt_row bt_rows[BT_NROWS] = {[0 ... BT_NROWS - 1] = BT_ROW};

static struct bt_json json_data;
static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void oom(void) {
  fputs("bigtable: out of memory building the JSON data\n", stderr);
  abort();
}

static void build_json(void) {
  json_t *nav = json_object(), *table = json_array();
  json_t *title = json_string(bt_page_title);
  if (!nav || !table || !title)
    oom();
  for (size_t i = 0; i < BT_NNAV; i++)
    if (json_object_set_new(nav, bt_nav[i].href, json_string(bt_nav[i].caption)))
      oom();
  for (size_t r = 0; r < BT_NROWS; r++) {
    json_t *row = json_object();
    if (!row)
      oom();
    for (size_t c = 0; c < bt_rows[r].ncells; c++)
      if (json_object_set_new(row, bt_rows[r].cells[c].key,
                              json_integer(bt_rows[r].cells[c].value)))
        oom();
    if (json_array_append_new(table, row))
      oom();
  }
  json_data.page_title = title;
  json_data.nav = nav;
  json_data.table = table;
}

const struct bt_json *bt_json(void) {
  pthread_once(&json_once, build_json);
  return &json_data;
}
