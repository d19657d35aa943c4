/* ws_group.c -- named groups of WebSocket connections, and broadcast to
 * them across workers.
 *
 * Each worker keeps its own members of each group, in a hash table of its
 * own: joining, leaving and sending to them never leave the worker's
 * thread. A broadcast is delivered to the worker's members at once and
 * posted, as one reference-counted copy, to every other worker's inbox: a
 * list under a mutex, drained on that worker's loop when its async handle
 * wakes it. The inboxes are the only thing workers share. */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

/* One group with members on this worker. */
struct tn__ws_group_s {
  tn__ws_group_t *next;     /* in its hash bucket */
  tn__ws_member_t *members; /* the worker's connections in it */
  uint64_t hash;
  char name[];
};

/* One connection's membership of one group: on the group's list and on
 * the connection's. */
struct tn__ws_member_s {
  tn__ws_group_t *group;
  tn_ws_t *ws;
  tn__ws_member_t *prev, *next; /* the group's members */
  tn__ws_member_t *next_of_ws;  /* the connection's groups */
};

/* A broadcast on its way to the other workers, shared by them all. */
typedef struct {
  atomic_uint refs; /* workers that have not delivered it yet */
  int opcode;
  size_t len;
  char *group;      /* in the same allocation, after the data */
  char data[];
} tn__ws_bcast_t;

struct tn__ws_post_s {
  tn__ws_post_t *next;
  tn__ws_bcast_t *msg;
};

/* --- The worker's table ------------------------------------------------ */

/* FNV-1a: group names are short and few. */
static uint64_t hash_name(const char *s) {
  uint64_t h = 14695981039346656037u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static tn__ws_group_t **bucket(tn__ws_groups_t *t, uint64_t h) {
  return &t->buckets[h & (t->nbuckets - 1)];
}

static tn__ws_group_t *find(tn__ws_groups_t *t, const char *name) {
  if (!t->nbuckets)
    return NULL;
  uint64_t h = hash_name(name);
  for (tn__ws_group_t *g = *bucket(t, h); g; g = g->next)
    if (g->hash == h && strcmp(g->name, name) == 0)
      return g;
  return NULL;
}

/* Doubles the buckets once there are as many groups as buckets. */
static int grow(tn__ws_groups_t *t) {
  if (t->n < t->nbuckets)
    return 0;
  size_t n = t->nbuckets ? 2 * t->nbuckets : 16;
  tn__ws_group_t **b = calloc(n, sizeof *b);
  if (!b)
    return TN_ENOMEM;
  for (size_t i = 0; i < t->nbuckets; i++) {
    tn__ws_group_t *g, *next;
    for (g = t->buckets[i]; g; g = next) {
      next = g->next;
      g->next = b[g->hash & (n - 1)];
      b[g->hash & (n - 1)] = g;
    }
  }
  free(t->buckets);
  t->buckets = b;
  t->nbuckets = n;
  return 0;
}

static tn__ws_group_t *add_group(tn__ws_groups_t *t, const char *name) {
  size_t len = strlen(name);
  if (grow(t))
    return NULL;
  tn__ws_group_t *g = malloc(sizeof *g + len + 1);
  if (!g)
    return NULL;
  g->members = NULL;
  g->hash = hash_name(name);
  memcpy(g->name, name, len + 1);
  tn__ws_group_t **b = bucket(t, g->hash);
  g->next = *b;
  *b = g;
  t->n++;
  return g;
}

static void remove_group(tn__ws_groups_t *t, tn__ws_group_t *g) {
  tn__ws_group_t **p = bucket(t, g->hash);
  while (*p != g)
    p = &(*p)->next;
  *p = g->next;
  t->n--;
  free(g);
}

/* --- Joining and leaving ----------------------------------------------- */

int tn_ws_join(tn_ws_t *ws, const char *group) {
  if (ws->state == TN__WS_CLOSED)
    return TN_ECLOSED;
  tn__ws_groups_t *t = &ws->conn->worker->groups;
  for (tn__ws_member_t *m = ws->groups; m; m = m->next_of_ws)
    if (strcmp(m->group->name, group) == 0)
      return 0; /* already a member */
  tn__ws_member_t *m = malloc(sizeof *m);
  tn__ws_group_t *g = m ? find(t, group) : NULL;
  if (m && !g)
    g = add_group(t, group);
  if (!g) {
    free(m);
    return TN_ENOMEM;
  }
  m->group = g;
  m->ws = ws;
  m->prev = NULL;
  m->next = g->members;
  if (g->members)
    g->members->prev = m;
  g->members = m;
  m->next_of_ws = ws->groups;
  ws->groups = m;
  return 0;
}

/* Takes membership `*link` (on the connection's list) away. */
static void drop(tn_ws_t *ws, tn__ws_member_t **link) {
  tn__ws_member_t *m = *link;
  tn__ws_group_t *g = m->group;
  *link = m->next_of_ws;
  if (m->prev)
    m->prev->next = m->next;
  else
    g->members = m->next;
  if (m->next)
    m->next->prev = m->prev;
  free(m);
  if (!g->members)
    remove_group(&ws->conn->worker->groups, g);
}

int tn_ws_leave(tn_ws_t *ws, const char *group) {
  for (tn__ws_member_t **p = &ws->groups; *p; p = &(*p)->next_of_ws) {
    if (strcmp((*p)->group->name, group) == 0) {
      drop(ws, p);
      return 0;
    }
  }
  return 0; /* not a member: nothing to leave */
}

void tn__ws_leave_all(tn_ws_t *ws) {
  while (ws->groups)
    drop(ws, &ws->groups);
}

/* --- Broadcast --------------------------------------------------------- */

/* To this worker's members. A member whose queue overflows is closed by
 * tn__ws_send_msg and stays on the list until its connection ends, so the
 * list does not change under the loop. */
static void deliver_local(tn__worker_t *w, const char *group, int opcode,
                          const void *data, size_t len) {
  tn__ws_group_t *g = find(&w->groups, group);
  if (!g)
    return;
  tn__ws_msg_t msg = {.opcode = opcode, .data = data, .len = len};
  for (tn__ws_member_t *m = g->members; m; m = m->next)
    tn__ws_send_msg(m->ws, &msg);
  tn__ws_msg_done(&msg);
}

static void release(tn__ws_bcast_t *msg) {
  if (atomic_fetch_sub(&msg->refs, 1) == 1)
    free(msg);
}

/* Posts `msg` to worker `o`'s inbox, or lets it go if `o` has stopped. */
static void post(tn__worker_t *o, tn__ws_bcast_t *msg) {
  tn__ws_post_t *p = malloc(sizeof *p);
  bool posted = false;
  if (p) {
    p->msg = msg;
    uv_mutex_lock(&o->inbox_lock);
    if (!o->inbox_closed) {
      p->next = o->inbox;
      o->inbox = p;
      posted = true;
      /* Under the lock: a closed inbox's handle is never woken. */
      uv_async_send(&o->inbox_async);
    }
    uv_mutex_unlock(&o->inbox_lock);
  }
  if (!posted) {
    free(p);
    release(msg);
  }
}

static int broadcast(tn__worker_t *w, const char *group, int opcode,
                     const void *data, size_t len) {
  int err = tn__ws_check_msg(opcode, data, len);
  if (err)
    return err;
  deliver_local(w, group, opcode, data, len);
  tn__hub_t *hub = w->hub;
  if (!hub || hub->n < 2)
    return 0;
  size_t glen = strlen(group);
  tn__ws_bcast_t *msg = malloc(sizeof *msg + len + glen + 1);
  if (!msg)
    return TN_ENOMEM;
  atomic_init(&msg->refs, hub->n - 1);
  msg->opcode = opcode;
  msg->len = len;
  if (len)
    memcpy(msg->data, data, len);
  msg->group = msg->data + len;
  memcpy(msg->group, group, glen + 1);
  for (unsigned i = 0; i < hub->n; i++)
    if (hub->workers[i] != w)
      post(hub->workers[i], msg);
  return 0;
}

int tn_ws_broadcast(tn_ws_t *ws, const char *group, int opcode,
                    const void *data, size_t len) {
  return broadcast(ws->conn->worker, group, opcode, data, len);
}

int tn_req_broadcast(tn_req_t *req, const char *group, int opcode,
                     const void *data, size_t len) {
  return broadcast(req->conn->worker, group, opcode, data, len);
}

/* Takes the inbox's posts, oldest first. */
static tn__ws_post_t *take_inbox(tn__worker_t *w) {
  uv_mutex_lock(&w->inbox_lock);
  tn__ws_post_t *p = w->inbox, *oldest = NULL;
  w->inbox = NULL;
  uv_mutex_unlock(&w->inbox_lock);
  while (p) { /* posted newest first: reverse */
    tn__ws_post_t *next = p->next;
    p->next = oldest;
    oldest = p;
    p = next;
  }
  return oldest;
}

void tn__ws_on_inbox(uv_async_t *handle) {
  tn__worker_t *w = handle->data;
  tn__ws_post_t *p = take_inbox(w), *next;
  for (; p; p = next) {
    next = p->next;
    deliver_local(w, p->msg->group, p->msg->opcode, p->msg->data,
                  p->msg->len);
    release(p->msg);
    free(p);
  }
}

void tn__ws_inbox_seal(tn__worker_t *w) {
  /* Under the lock: a post checks it before waking the handle. */
  uv_mutex_lock(&w->inbox_lock);
  w->inbox_closed = true;
  uv_mutex_unlock(&w->inbox_lock);
}

void tn__ws_worker_free(tn__worker_t *w) {
  tn__ws_post_t *p = take_inbox(w), *next;
  for (; p; p = next) {
    next = p->next;
    release(p->msg);
    free(p);
  }
  /* Every connection has left its groups when it closed; what could
   * remain is the table itself. */
  free(w->groups.buckets);
  w->groups = (tn__ws_groups_t){NULL, 0, 0};
  for (size_t i = 0; i < sizeof w->ws_deflate / sizeof *w->ws_deflate; i++)
    tn__ws_deflate_free(w->ws_deflate[i]);
}
