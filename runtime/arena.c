/* arena.c -- per-request memory: handed out by bumping a pointer, freed all
 * at once when the request ends.
 *
 * The first TN__ARENA_INLINE bytes live inside the pooled request, so the
 * common case (a few decoded parameters, a URL) never calls malloc. */
#include <stdlib.h>

#include "internal.h"

void tn__arena_reset(tn_req_t *req) {
  while (req->chunks) {
    tn__chunk_t *next = req->chunks->next;
    free(req->chunks);
    req->chunks = next;
  }
  req->arena_ptr = (char *)req->arena0;
  req->arena_left = sizeof req->arena0;
}

void *tn_req_alloc(tn_req_t *req, size_t size) {
  const size_t align = _Alignof(max_align_t);
  if (size > SIZE_MAX - align)
    return NULL;
  size = (size + align - 1) & ~(align - 1);
  if (size > req->arena_left) {
    size_t cap = size > TN__ARENA_CHUNK ? size : TN__ARENA_CHUNK;
    tn__chunk_t *c = malloc(sizeof *c + cap);
    if (!c)
      return NULL;
    c->next = req->chunks;
    req->chunks = c;
    req->arena_ptr = (char *)c->data;
    req->arena_left = cap;
  }
  void *p = req->arena_ptr;
  req->arena_ptr += size;
  req->arena_left -= size;
  return p;
}
