/* history.h -- the recent messages of examples/chat: the newest
 * HISTORY_SIZE, in memory, shared by every worker of the server. Safe to
 * call from any thread. */
#ifndef CHAT_HISTORY_H
#define CHAT_HISTORY_H

#include <stddef.h>
#include <stdint.h>

enum {
  HISTORY_SIZE = 100,  /* messages kept; the oldest goes when one more comes */
  CHAT_MAX_BODY = 1024 /* bytes of a message's text, NUL not counted */
};

/* One message. Copied in and out whole: nobody holds a pointer into the
 * history, so nothing a caller keeps changes under it. */
struct chat_msg {
  uint64_t id; /* 1, 2, 3... in the order the history took them */
  size_t len;  /* bytes of body, at most CHAT_MAX_BODY */
  char body[CHAT_MAX_BODY + 1]; /* UTF-8, NUL-terminated, no NUL inside */
};

/* Adds a copy of the `len` bytes of `body` (len <= CHAT_MAX_BODY, checked
 * by the caller) as the newest message, with the next id, which is
 * written to *msg along with the copy. */
void history_add(const char *body, size_t len, struct chat_msg *msg);

/* Copies the messages kept, oldest first, to out[] (room for HISTORY_SIZE)
 * and returns how many. */
size_t history_copy(struct chat_msg *out);

#endif
