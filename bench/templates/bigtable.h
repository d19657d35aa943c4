/* bigtable.h -- the data of Tornado's template benchmark page (Tornado's
 * demos/benchmark/template_benchmark.py, after Jinja2's bench.py), for the
 * torn side of bench/run_templates.
 *
 * Python passes page_title, a list of (href, caption) tuples and a list of
 * 1,000 dicts dict(a=1, ..., j=10); the template iterates each dict, which
 * yields its keys 'a'..'j'. C has no dicts: a row is its (key, value)
 * pairs in order, and the template writes the keys. The same data as JSON
 * (jansson) feeds the second variant. */
#ifndef BIGTABLE_H
#define BIGTABLE_H

#include <stddef.h>

#include <jansson.h>

struct bt_nav {
  const char *href;
  const char *caption;
};

struct bt_cell {
  const char *key;
  int value;
};

#define BT_NCELLS 10
struct bt_row {
  struct bt_cell cells[BT_NCELLS];
  size_t ncells;
};

#define BT_NNAV 3
#define BT_NROWS 1000

extern const char bt_page_title[];            /* "mitsuhiko's benchmark" */
extern const struct bt_nav bt_nav[BT_NNAV];   /* index, downloads, products */
extern const struct bt_row bt_rows[BT_NROWS]; /* 1,000 × a=1 .. j=10 */

/* The same as JSON, built on first use (thread-safe) and kept: page_title
 * a string, nav an object {"index.html": "Index", ...} (jansson keeps
 * insertion order), table an array of 1,000 objects {"a": 1, ..., "j": 10}. */
struct bt_json {
  json_t *page_title;
  json_t *nav;
  json_t *table;
};
const struct bt_json *bt_json(void);

#endif
