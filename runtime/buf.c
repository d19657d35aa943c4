/* buf.c -- growable byte buffers.
 *
 * Buffers are reused across requests (they live in pooled objects), so
 * after warm-up the hot path appends without allocating. */
#include <stdlib.h>

#include "internal.h"

/* Make room for `extra` more bytes, doubling so that appends stay
 * amortised O(1). */
int tn__buf_reserve(tn__buf_t *b, size_t extra) {
  if (b->cap - b->len >= extra)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) {
    if (cap > SIZE_MAX / 2)
      return TN_ENOMEM;
    cap *= 2;
  }
  char *data = realloc(b->data, cap);
  if (!data)
    return TN_ENOMEM;
  b->data = data;
  b->cap = cap;
  return 0;
}

int tn__buf_append(tn__buf_t *b, const void *data, size_t len) {
  if (len == 0)
    return 0; /* an empty buffer has no data to copy into, not even 0 bytes */
  int err = tn__buf_reserve(b, len);
  if (err)
    return err;
  tn__buf_put(b, data, len);
  return 0;
}

void tn__buf_free(tn__buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void tn_buf_free(tn_buf_t *b) {
  tn__buf_free(b);
}
