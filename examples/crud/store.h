/* store.h -- the items of examples/crud: in memory, shared by every worker
 * of the server, bounded. Safe to call from any thread. */
#ifndef CRUD_STORE_H
#define CRUD_STORE_H

#include <stddef.h>
#include <stdint.h>

enum {
  STORE_MAX_ITEMS = 10000,         /* then store_add fails: STORE_EFULL */
  STORE_MAX_NAME = 100,            /* bytes of a name, NUL not counted */
  STORE_MAX_QUANTITY = 1000000000
};

/* One item. Items are copied in and out whole: a caller never holds a
 * pointer into the store, so nothing it keeps can change under it. */
struct item {
  int64_t id; /* given by store_add: 1, 2, 3... never reused */
  char name[STORE_MAX_NAME + 1];
  int64_t quantity;
};

/* The errors, as negative returns. */
enum { STORE_ENOTFOUND = -1, STORE_EFULL = -2, STORE_ENOMEM = -3 };

/* Adds a copy of `it` with a new id, written back to it->id. */
int store_add(struct item *it);
/* Copies item `id` to *out. */
int store_get(int64_t id, struct item *out);
/* Replaces item it->id with a copy of `it`. */
int store_replace(const struct item *it);
/* Changes the fields of item `id` that are given (a NULL name or quantity
 * stays as it is) and copies the result to *out: in one step, so that two
 * PATCHes of different fields at once both take effect. */
int store_update(int64_t id, const char *name, const int64_t *quantity,
                 struct item *out);
/* Removes item `id`. */
int store_delete(int64_t id);
/* Copies up to `max` items, in id order, from the `offset`-th on, to
 * out[]; returns how many, and the number of items to *total. */
size_t store_list(size_t offset, struct item *out, size_t max,
                  size_t *total);

#endif
