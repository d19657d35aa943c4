/* history.c -- the recent messages of examples/chat: a ring of the newest
 * HISTORY_SIZE behind a mutex.
 *
 * Why a mutex: `--workers N` runs N event loops in threads of this one
 * process, and a message posted on one worker must be in the history a
 * connection opening on another worker gets. The runtime shares nothing
 * mutable between workers (its broadcasts cross them by message passing);
 * what an app keeps for all of them is the app's to protect. What runs
 * under the lock is a memcpy of at most HISTORY_SIZE fixed-size slots --
 * no allocation, no JSON, no I/O -- so a worker never waits long.
 *
 * The slots are fixed-size (about 1 KiB each, 100 KiB in all, allocated
 * once with the program): the history's memory is bounded whatever the
 * clients send. It lives and dies with the process. */
#include <pthread.h>
#include <string.h>

#include "history.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* ring[(first + i) % HISTORY_SIZE] is the i-th oldest of `count`
 * messages; last_id is the id given last (0: none yet). */
static struct chat_msg ring[HISTORY_SIZE];
static size_t first, count;
static uint64_t last_id;

void history_add(const char *body, size_t len, struct chat_msg *msg)
{
  msg->len = len;
  memcpy(msg->body, body, len);
  msg->body[len] = '\0';
  pthread_mutex_lock(&lock);
  msg->id = ++last_id;
  if (count < HISTORY_SIZE) {
    ring[(first + count++) % HISTORY_SIZE] = *msg;
  } else {
    ring[first] = *msg; /* the oldest makes room */
    first = (first + 1) % HISTORY_SIZE;
  }
  pthread_mutex_unlock(&lock);
}

size_t history_copy(struct chat_msg *out)
{
  pthread_mutex_lock(&lock);
  size_t n = count;
  for (size_t i = 0; i < n; i++)
    out[i] = ring[(first + i) % HISTORY_SIZE];
  pthread_mutex_unlock(&lock);
  return n;
}
