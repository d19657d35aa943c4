/* ws.c -- examples/tour: the WebSocket side of the runtime, each feature
 * as a user would reach for it, steered by tests/e2e/test_tour.py.
 *
 *   /ws/probe/TAG            a socket that obeys the commands below; what
 *                            its close callback is told is kept
 *   GET /ws/stats            {"closes": [{"tag", "code", "reason",
 *                            "flood_sent", "flood_error"}...]}, this
 *                            worker's, oldest first
 *   /ws/room/NAME            a chat room: each message goes to every member
 *                            on every worker
 *   POST /ws/room/NAME/say   the body, as text, to the room
 *
 * The probe's commands (text messages; anything else comes back as sent):
 *   close     tn_ws_close with 4000 "bye"
 *   flood N   N binary messages of FLOOD_SIZE bytes, sent from a timer a
 *             few per loop turn whether or not the peer reads, each filled
 *             with its number (the first 4 bytes, big-endian, then the
 *             number mod 251); "flood done N" after the last. A peer that
 *             does not read gets the slow-consumer policy: a send returns
 *             TN_ECLOSED and the flood stops there.
 *   pongs     "pongs N": the pongs the peer has sent (the keep-alive
 *             pings' answers)
 *
 * The room's: "leave" leaves the room (answered "left"), "echo TEXT"
 * answers TEXT to the sender alone, anything else is broadcast. Both
 * sockets greet with {"hello": TAG or NAME, "worker": ID}, ID naming the
 * worker's loop, so that a test can see its connections spread over the
 * workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "tour.h"

#define TAG_MAX 64
#define FLOOD_SIZE (64 * 1024)
#define FLOOD_BATCH 4 /* messages per timer tick */
#define FLOOD_MAX (1L << 20)
#define CLOSES_KEPT 128

/* What one close callback was told, and how its flood ended. */
typedef struct {
  char tag[TAG_MAX];
  int code;
  char reason[128];
  long flood_sent;
  int flood_error; /* what stopped the flood, 0 if nothing did */
} close_seen_t;

/* This worker's record (each worker is a thread with its own loop; the
 * tests that read it start the server with --workers 1). */
static _Thread_local struct {
  close_seen_t list[CLOSES_KEPT];
  int n;
} closes;

/* A probe connection's user data. */
typedef struct {
  char tag[TAG_MAX];
  long pongs;
  uv_timer_t *flood; /* NULL unless flooding */
  long flood_left, flood_sent;
  int flood_error;
  char *chunk; /* the message being sent, FLOOD_SIZE bytes */
} probe_t;

/* The greeting both sockets send from open: it leaves after the 101. */
static int greet(tn_ws_t *ws, tn_str_t name) {
  char worker[32];
  snprintf(worker, sizeof worker, "%p", (void *)tn_ws_loop(ws));
  json_t *hello =
      json_pack("{s:s%, s:s}", "hello", name.ptr, name.len, "worker", worker);
  int err = hello ? tn_ws_send_json(ws, hello) : TN_ENOMEM;
  json_decref(hello);
  return err;
}

static void copy_name(char *out, size_t size, tn_str_t s) {
  snprintf(out, size, "%.*s", (int)s.len, s.ptr);
}

/* --- The probe's flood --------------------------------------------------- */

static void free_handle(uv_handle_t *h) { free(h); }

static void flood_stop(probe_t *p) {
  if (!p->flood)
    return;
  uv_timer_stop(p->flood);
  uv_close((uv_handle_t *)p->flood, free_handle);
  p->flood = NULL;
  free(p->chunk);
  p->chunk = NULL;
}

/* A few messages per tick: the loop turns (and writes) in between, so the
 * queue is what the peer has not taken, not what one callback made. */
static void on_flood_tick(uv_timer_t *t) {
  tn_ws_t *ws = t->data;
  probe_t *p = tn_ws_data(ws);
  for (int i = 0; i < FLOOD_BATCH && p->flood_left; i++) {
    long seq = p->flood_sent;
    memset(p->chunk, (int)(seq % 251), FLOOD_SIZE);
    for (int b = 0; b < 4; b++)
      p->chunk[b] = (char)(seq >> (24 - 8 * b));
    int err = tn_ws_send(ws, TN_WS_BINARY, p->chunk, FLOOD_SIZE);
    if (err) {
      tn_log(TN_LOG_INFO, "tour: flood to %s stopped after %ld messages: %s",
             p->tag, p->flood_sent, tn_err_name(err));
      p->flood_error = err;
      flood_stop(p);
      return;
    }
    p->flood_sent++;
    p->flood_left--;
  }
  if (!p->flood_left) {
    char done[48];
    snprintf(done, sizeof done, "flood done %ld", p->flood_sent);
    tn_ws_send_text(ws, done);
    flood_stop(p);
  }
}

static void flood_start(tn_ws_t *ws, probe_t *p, long n) {
  if (p->flood || n < 1 || n > FLOOD_MAX) {
    tn_ws_send_text(ws, "flood refused");
    return;
  }
  p->chunk = malloc(FLOOD_SIZE);
  p->flood = malloc(sizeof *p->flood);
  if (!p->chunk || !p->flood) {
    free(p->chunk);
    free(p->flood);
    p->chunk = NULL;
    p->flood = NULL;
    tn_ws_send_text(ws, "flood refused");
    return;
  }
  p->flood_left = n;
  p->flood_sent = 0;
  p->flood_error = 0;
  uv_timer_init(tn_ws_loop(ws), p->flood);
  p->flood->data = ws;
  uv_timer_start(p->flood, on_flood_tick, 0, 1);
}

/* --- The probe socket ---------------------------------------------------- */

static bool is_command(const tn_ws_msg_t *msg, const char *word) {
  size_t n = strlen(word);
  return msg->opcode == TN_WS_TEXT && msg->len >= n &&
         memcmp(msg->data, word, n) == 0 &&
         (msg->len == n || msg->data[n] == ' ');
}

static int probe_open(tn_ws_t *ws, tn_req_t *req,
                      const struct tour_probe_args *args) {
  (void)req;
  probe_t *p = calloc(1, sizeof *p);
  if (!p)
    return 500;
  copy_name(p->tag, sizeof p->tag, args->tag);
  tn_ws_set_data(ws, p);
  if (greet(ws, args->tag)) {
    free(p); /* refused: no close callback follows */
    return 500;
  }
  return 0;
}

static void probe_message(tn_ws_t *ws, const tn_ws_msg_t *msg) {
  probe_t *p = tn_ws_data(ws);
  if (is_command(msg, "close")) {
    tn_ws_close(ws, 4000, "bye");
  } else if (is_command(msg, "flood")) {
    char n[24] = "";
    snprintf(n, sizeof n, "%.*s", (int)(msg->len - 5), msg->data + 5);
    flood_start(ws, p, strtol(n, NULL, 10));
  } else if (is_command(msg, "pongs")) {
    char out[32];
    snprintf(out, sizeof out, "pongs %ld", p->pongs);
    tn_ws_send_text(ws, out);
  } else {
    tn_ws_send(ws, msg->opcode, msg->data, msg->len);
  }
}

static void probe_pong(tn_ws_t *ws, tn_str_t data) {
  (void)data;
  ((probe_t *)tn_ws_data(ws))->pongs++;
}

static void remember_close(const probe_t *p, int code, tn_str_t reason) {
  if (closes.n == CLOSES_KEPT) /* the oldest goes */
    memmove(closes.list, closes.list + 1, --closes.n * sizeof *closes.list);
  close_seen_t *c = &closes.list[closes.n++];
  snprintf(c->tag, sizeof c->tag, "%s", p->tag);
  c->code = code;
  copy_name(c->reason, sizeof c->reason, reason);
  c->flood_sent = p->flood_sent;
  c->flood_error = p->flood_error;
}

static void probe_close(tn_ws_t *ws, int code, tn_str_t reason) {
  probe_t *p = tn_ws_data(ws);
  remember_close(p, code, reason);
  flood_stop(p); /* its timer must not outlive `ws` */
  free(p);
}

const struct tour_probe_ws ws_probe = {
    .open = probe_open,
    .message = probe_message,
    .pong = probe_pong,
    .close = probe_close,
};

void ws_stats(tn_req_t *req) {
  json_t *list = json_array();
  for (int i = 0; i < closes.n; i++) {
    const close_seen_t *c = &closes.list[i];
    json_array_append_new(
        list, json_pack("{s:s, s:i, s:s, s:I, s:s?}", "tag", c->tag, "code",
                        c->code, "reason", c->reason, "flood_sent",
                        (json_int_t)c->flood_sent, "flood_error",
                        c->flood_error ? tn_err_name(c->flood_error) : NULL));
  }
  tn_write_json_new(req, json_pack("{s:o}", "closes", list));
}

/* --- The room ------------------------------------------------------------ */

/* The group of room NAME. */
static void room_group(char *out, size_t size, tn_str_t name) {
  snprintf(out, size, "room:%.*s", (int)name.len, name.ptr);
}

static int room_open(tn_ws_t *ws, tn_req_t *req,
                     const struct tour_room_args *args) {
  (void)req;
  char *group = malloc(TAG_MAX + 8);
  if (!group)
    return 500;
  room_group(group, TAG_MAX + 8, args->name);
  tn_ws_set_data(ws, group);
  if (tn_ws_join(ws, group) || greet(ws, args->name)) {
    free(group);
    return 500;
  }
  return 0;
}

static void room_message(tn_ws_t *ws, const tn_ws_msg_t *msg) {
  const char *group = tn_ws_data(ws);
  if (is_command(msg, "leave")) {
    tn_ws_leave(ws, group);
    tn_ws_send_text(ws, "left");
  } else if (is_command(msg, "echo")) {
    size_t skip = msg->len > 4 ? 5 : 4;
    tn_ws_send(ws, TN_WS_TEXT, msg->data + skip, msg->len - skip);
  } else if (tn_ws_broadcast(ws, group, msg->opcode, msg->data, msg->len)) {
    tn_log(TN_LOG_ERROR, "tour: broadcast to %s failed", group);
  }
}

static void room_close(tn_ws_t *ws, int code, tn_str_t reason) {
  (void)code;
  (void)reason;
  free(tn_ws_data(ws));
}

const struct tour_room_ws ws_room = {
    .open = room_open,
    .message = room_message,
    .close = room_close,
};

void ws_say(tn_req_t *req, const struct tour_ws_say_args *args) {
  char group[TAG_MAX + 8];
  room_group(group, sizeof group, args->name);
  tn_str_t body = tn_req_body(req);
  int err = tn_req_broadcast(req, group, TN_WS_TEXT, body.ptr, body.len);
  if (err)
    tn_send_error(req, err == TN_EINVAL ? 400 : 500, tn_err_name(err));
  else
    tn_write(req, "sent");
}
