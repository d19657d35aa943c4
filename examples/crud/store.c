/* store.c -- the items of examples/crud, in memory.
 *
 * Why a mutex: `--workers N` runs N event loops, each in a thread of this
 * one process (the kernel spreads connections over their SO_REUSEPORT
 * listeners), so two requests can reach the store at the same instant on
 * two cores. The runtime shares nothing mutable between its workers; state
 * an app keeps in memory for all of them is the app's to protect. One
 * lock around a small table is plenty here: what runs under it is a
 * binary search, a struct copy or a memmove of pointers -- no allocation,
 * no JSON, no I/O -- so a worker never waits long for another, and the
 * loops stay free to serve. (State each worker may keep for itself needs
 * no lock: _Thread_local, as examples/tour's long polling does.)
 *
 * The store lives and dies with the process: a second server process, or
 * a restart, starts empty. A real app keeps its data in a database. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The items in id order (ids only grow, so adding appends), and the last
 * id given. */
static struct item *items[STORE_MAX_ITEMS];
static size_t count;
static int64_t last_id;

/* The index of item `id` in items[], or -1. Call with the lock held. */
static long find(int64_t id)
{
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (items[mid]->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < count && items[lo]->id == id ? (long)lo : -1;
}

int store_add(struct item *it)
{
  struct item *copy = malloc(sizeof *copy); /* before locking */
  if (copy == NULL)
    return STORE_ENOMEM;
  *copy = *it;
  pthread_mutex_lock(&lock);
  if (count == STORE_MAX_ITEMS) {
    pthread_mutex_unlock(&lock);
    free(copy);
    return STORE_EFULL;
  }
  copy->id = it->id = ++last_id;
  items[count++] = copy;
  pthread_mutex_unlock(&lock);
  return 0;
}

int store_get(int64_t id, struct item *out)
{
  pthread_mutex_lock(&lock);
  long i = find(id);
  if (i >= 0)
    *out = *items[i];
  pthread_mutex_unlock(&lock);
  return i >= 0 ? 0 : STORE_ENOTFOUND;
}

int store_replace(const struct item *it)
{
  pthread_mutex_lock(&lock);
  long i = find(it->id);
  if (i >= 0)
    *items[i] = *it;
  pthread_mutex_unlock(&lock);
  return i >= 0 ? 0 : STORE_ENOTFOUND;
}

int store_update(int64_t id, const char *name, const int64_t *quantity,
                 struct item *out)
{
  pthread_mutex_lock(&lock);
  long i = find(id);
  if (i >= 0) {
    if (name != NULL)
      strcpy(items[i]->name, name); /* checked by the caller: it fits */
    if (quantity != NULL)
      items[i]->quantity = *quantity;
    *out = *items[i];
  }
  pthread_mutex_unlock(&lock);
  return i >= 0 ? 0 : STORE_ENOTFOUND;
}

int store_delete(int64_t id)
{
  struct item *gone = NULL;
  pthread_mutex_lock(&lock);
  long i = find(id);
  if (i >= 0) {
    gone = items[i];
    memmove(&items[i], &items[i + 1],
            (count - (size_t)i - 1) * sizeof *items);
    count--;
  }
  pthread_mutex_unlock(&lock);
  free(gone); /* after unlocking */
  return gone ? 0 : STORE_ENOTFOUND;
}

size_t store_list(size_t offset, struct item *out, size_t max,
                  size_t *total)
{
  size_t n = 0;
  pthread_mutex_lock(&lock);
  for (size_t i = offset; i < count && n < max; i++)
    out[n++] = *items[i];
  *total = count;
  pthread_mutex_unlock(&lock);
  return n;
}
