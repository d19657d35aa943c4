/* test_gen_sockets.c -- behavioural test of what tornc generates for
 * websocket declarations (sockets.troute).
 *
 * The first tests use the generated code directly: the route ids and
 * tables, the URL builders (typed, by name, and url() in a template), the
 * matcher (a websocket takes GET alone: HEAD gets the 405 of the path's
 * other methods) and the websocket_* settings in sockets_app.
 *
 * The others run sockets_app in a real server (a child process on a
 * loopback port) and talk to it over raw sockets, as a WebSocket client
 * does: every callback of the user's objects below is reached through the
 * generated dispatcher and trampolines, with its typed arguments, and each
 * NULL member gets its default. Reads have a time limit only so that a
 * broken server fails the test rather than hanging it.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sockets.h"

/* ---- The app's handlers and websocket callbacks ----------------------- */

void home(tn_req_t *req) { tn_write(req, "home"); }

void say(tn_req_t *req, const struct sockets_say_args *args)
{
  (void)args;
  tn_write(req, "said");
}

/* A user is whoever names one in X-User. */
void *who(tn_req_t *req)
{
  tn_str_t user = tn_req_header(req, "X-User");
  return user.len ? (void *)"someone" : NULL;
}

static void echo_message(tn_ws_t *ws, const tn_ws_msg_t *msg)
{
  tn_ws_send(ws, msg->opcode, msg->data, msg->len);
}

/* Only message: every other member is left to its default. */
const struct sockets_echo_ws echo = {.message = echo_message};

/* Refuses room "closed"; greets the others by their room's name. */
static int room_open(tn_ws_t *ws, tn_req_t *req,
                     const struct sockets_room_args *args)
{
  (void)req;
  if (args->room.len == 6 && memcmp(args->room.ptr, "closed", 6) == 0)
    return 403;
  char text[128];
  snprintf(text, sizeof text, "joined %.*s", (int)args->room.len,
           args->room.ptr);
  return tn_ws_send_text(ws, text) ? 500 : 0;
}

static void room_pong(tn_ws_t *ws, tn_str_t data)
{
  char text[160];
  snprintf(text, sizeof text, "pong %.*s", (int)data.len, data.ptr);
  tn_ws_send_text(ws, text);
}

static const char *room_protocol(tn_req_t *req, const tn_str_t *offered,
                                 size_t n)
{
  (void)req;
  for (size_t i = 0; i < n; i++)
    if (offered[i].len == 7 && memcmp(offered[i].ptr, "chat.v2", 7) == 0)
      return "chat.v2";
  return NULL;
}

const struct sockets_room_ws room = {
    .open = room_open,
    .message = echo_message,
    .pong = room_pong,
    .select_subprotocol = room_protocol,
};

static int feed_open(tn_ws_t *ws, tn_req_t *req,
                     const struct sockets_feed_args *args)
{
  (void)req;
  char text[160];
  snprintf(text, sizeof text, "feed %llu %.*s",
           (unsigned long long)args->id, (int)args->tag.len, args->tag.ptr);
  return tn_ws_send_text(ws, text) ? 500 : 0;
}

/* Pages of one other site only: not even the server's own. */
static bool feed_origin(tn_req_t *req, tn_str_t origin)
{
  (void)req;
  return origin.len == 19 && memcmp(origin.ptr, "http://good.example", 19) == 0;
}

const struct sockets_feed_ws feed = {.open = feed_open,
                                     .check_origin = feed_origin};

/* ---- The generated code, called directly ------------------------------ */

/* sockets_match() on `path`, ended by a NUL as tn_match_cb wants. */
static int match(unsigned method, const char *path, unsigned *allow,
                 char *cap0)
{
  tn_str_t caps[SOCKETS_MAX_PARAMS];
  *allow = 0xdead;
  int route = sockets_match(method, path, strlen(path), caps, allow);
  if (route >= 0 && cap0)
    snprintf(cap0, 64, "%.*s", (int)caps[0].len, caps[0].ptr);
  return route;
}

static void test_tables(void **state)
{
  (void)state;
  assert_int_equal(SOCKETS_ROUTE_COUNT, 5);
  assert_int_equal(SOCKETS_MAX_PARAMS, 2);
  assert_string_equal(sockets_route_names[SOCKETS_ROUTE_ECHO], "echo");
  assert_string_equal(sockets_route_names[SOCKETS_ROUTE_ROOM], "room");
  assert_string_equal(sockets_route_names[SOCKETS_ROUTE_FEED], "feed");
  assert_string_equal(sockets_routes[SOCKETS_ROUTE_FEED].name, "feed");
  assert_int_equal(sockets_routes[SOCKETS_ROUTE_ECHO].nparams, 0);
  assert_int_equal(sockets_routes[SOCKETS_ROUTE_ROOM].nparams, 1);
  assert_int_equal(sockets_routes[SOCKETS_ROUTE_FEED].nparams, 2);
  assert_true(sockets_app.routes == sockets_routes);
  assert_int_equal(sockets_app.nroutes, SOCKETS_ROUTE_COUNT);
}

/* The websocket_* settings, in tn_app_t's units. */
static void test_settings(void **state)
{
  (void)state;
  assert_int_equal(sockets_app.flags, TN_APP_WS_NO_COMPRESSION);
  assert_int_equal(sockets_app.ws_max_message_size, 1u << 20);
  assert_int_equal(sockets_app.ws_max_queue, 4u << 20);
  assert_int_equal(sockets_app.ws_ping_interval_ms, 30000);
  assert_int_equal(sockets_app.ws_ping_timeout_ms, 90000);
  assert_string_equal(sockets_app.login_url, "/login");
}

static void test_builders(void **state)
{
  (void)state;
  char buf[128];
  assert_int_equal(sockets_url_echo(buf, sizeof buf), 5);
  assert_string_equal(buf, "/echo");
  assert_int_equal(sockets_url_room(buf, sizeof buf, "lobby-2"), 14);
  assert_string_equal(buf, "/rooms/lobby-2");
  assert_int_equal(sockets_url_room(buf, sizeof buf, "no slug"), TN_EINVAL);
  assert_int_equal(sockets_url_feed(buf, sizeof buf, 42, "a b/c"), 22);
  assert_string_equal(buf, "/api/feed/42/a%20b%2Fc");

  /* By name, as Tornado's reverse_url. */
  const char *args[] = {"7", "x y"};
  assert_int_equal(tn_reverse_url(&sockets_app, buf, sizeof buf, "feed",
                                  args, 2),
                   17);
  assert_string_equal(buf, "/api/feed/7/x%20y");
  const char *room_args[] = {"kitchen"};
  assert_int_equal(tn_reverse_url(&sockets_app, buf, sizeof buf, "room",
                                  room_args, 1),
                   14);
  assert_string_equal(buf, "/rooms/kitchen");
  assert_int_equal(tn_reverse_url(&sockets_app, buf, sizeof buf, "echo",
                                  NULL, 0),
                   5);
  assert_string_equal(buf, "/echo");
  assert_int_equal(tn_reverse_url(&sockets_app, buf, sizeof buf, "room",
                                  args, 2),
                   TN_EARITY);
  const char *minus[] = {"-1", "t"};
  assert_int_equal(tn_reverse_url(&sockets_app, buf, sizeof buf, "feed",
                                  minus, 2),
                   TN_EINVAL);

  /* url() in a template. */
  tn_buf_t b = {0};
  assert_int_equal(sockets_render_string_links(&b, "hall"), 0);
  assert_int_equal(b.len, strlen("<a href=\"/rooms/hall\">/echo</a>\n"));
  assert_memory_equal(b.data, "<a href=\"/rooms/hall\">/echo</a>\n", b.len);
  tn_buf_free(&b);
}

/* A URL each builder makes is matched by its own websocket, and GET
 * alone reaches it. */
static void test_match(void **state)
{
  (void)state;
  unsigned allow;
  char cap[64];
  assert_int_equal(match(TN_METHOD_GET, "/echo", &allow, NULL),
                   SOCKETS_ROUTE_ECHO);
  assert_int_equal(match(TN_METHOD_HEAD, "/echo", &allow, NULL), -1);
  assert_int_equal(allow, TN_METHOD_GET);
  assert_int_equal(match(TN_METHOD_POST, "/echo", &allow, NULL), -1);
  assert_int_equal(allow, TN_METHOD_GET);

  assert_int_equal(match(TN_METHOD_GET, "/rooms/hall", &allow, cap),
                   SOCKETS_ROUTE_ROOM);
  assert_string_equal(cap, "hall");
  assert_int_equal(match(TN_METHOD_POST, "/rooms/hall", &allow, cap),
                   SOCKETS_ROUTE_SAY);
  assert_int_equal(match(TN_METHOD_HEAD, "/rooms/hall", &allow, NULL), -1);
  assert_int_equal(allow, TN_METHOD_GET | TN_METHOD_POST);
  assert_int_equal(match(TN_METHOD_PUT, "/rooms/hall", &allow, NULL), -1);
  assert_int_equal(allow, TN_METHOD_GET | TN_METHOD_POST);

  char url[128];
  assert_true(sockets_url_feed(url, sizeof url, UINT64_MAX, "t") > 0);
  assert_int_equal(match(TN_METHOD_GET, url, &allow, cap),
                   SOCKETS_ROUTE_FEED);
  assert_string_equal(cap, "18446744073709551615");
  assert_int_equal(match(TN_METHOD_GET, "/api/feed/x/t", &allow, NULL), -1);
  assert_int_equal(allow, 0);
}

/* ---- Through a real server --------------------------------------------- */

static int port;
static pid_t server;

/* A free loopback port: the kernel's pick for a socket closed at once. */
static int free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    return -1;
  close(fd);
  return ntohs(a.sin_port);
}

/* A connection to the server, or -1 while it is not listening yet. */
static int dial(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0)
    return -1;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  struct timeval limit = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return fd;
}

static int start_server(void **state)
{
  (void)state;
  port = free_port();
  if (port < 0)
    return -1;
  server = fork();
  if (server < 0)
    return -1;
  if (server == 0) {
    tn_options_t opts;
    tn_options_init(&opts);
    opts.port = port;
    opts.workers = 1;
    opts.log_level = TN_LOG_ERROR;
    _exit(tn_serve(&sockets_app, &opts) ? 1 : 0);
  }
  /* Until it listens; a bound on the tries, not a timing. */
  for (int i = 0; i < 1000; i++) {
    int fd = dial();
    if (fd >= 0) {
      close(fd);
      return 0;
    }
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
  }
  return -1;
}

static int stop_server(void **state)
{
  (void)state;
  int status;
  kill(server, SIGTERM);
  if (waitpid(server, &status, 0) != server)
    return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void send_all(int fd, const void *data, size_t n)
{
  const char *p = data;
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    assert_true(k > 0);
    p += k;
    n -= (size_t)k;
  }
}

static void recv_all(int fd, void *data, size_t n)
{
  char *p = data;
  while (n > 0) {
    ssize_t k = recv(fd, p, n, 0);
    assert_true(k > 0);
    p += k;
    n -= (size_t)k;
  }
}

/* The response head, read a byte at a time so that no frame after it is
 * taken; returns its status. */
static int read_head(int fd, char *head, size_t size)
{
  size_t n = 0;
  while (n < 4 || memcmp(head + n - 4, "\r\n\r\n", 4) != 0) {
    assert_true(n + 1 < size);
    recv_all(fd, head + n++, 1);
  }
  head[n] = '\0';
  assert_memory_equal(head, "HTTP/1.1 ", 9);
  return atoi(head + 9);
}

/* Sends `method path` as a WebSocket upgrade (RFC 6455 4.1's example
 * key) with `extra` header lines, and reads the answer's head. */
static int upgrade(int fd, const char *method, const char *path,
                   const char *extra, char *head, size_t size)
{
  char req[1024];
  int n = snprintf(req, sizeof req,
                   "%s %s HTTP/1.1\r\n"
                   "Host: 127.0.0.1:%d\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n"
                   "%s\r\n",
                   method, path, port, extra);
  send_all(fd, req, (size_t)n);
  return read_head(fd, head, size);
}

/* One masked client frame, FIN set, of fewer than 126 bytes. */
static void send_frame(int fd, int opcode, const char *payload)
{
  static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  unsigned char frame[2 + 4 + 125];
  size_t len = strlen(payload);
  assert_true(len < 126);
  frame[0] = (unsigned char)(0x80 | opcode);
  frame[1] = (unsigned char)(0x80 | len);
  memcpy(frame + 2, key, 4);
  for (size_t i = 0; i < len; i++)
    frame[6 + i] = (unsigned char)payload[i] ^ key[i % 4];
  send_all(fd, frame, 6 + len);
}

/* Reads one unmasked server frame of fewer than 126 bytes and checks it
 * is a whole text message `want`. */
static void expect_text(int fd, const char *want)
{
  unsigned char h[2];
  char payload[126];
  recv_all(fd, h, 2);
  assert_int_equal(h[0], 0x81);
  assert_true(h[1] < 126);
  recv_all(fd, payload, h[1]);
  payload[h[1]] = '\0';
  assert_string_equal(payload, want);
}

/* The value of header `name` in `head` ("" when absent). */
static const char *header(const char *head, const char *name, char *out)
{
  out[0] = '\0';
  char line[128];
  snprintf(line, sizeof line, "\r\n%s: ", name);
  const char *p = strcasestr(head, line);
  if (p) {
    p += strlen(line);
    size_t n = strcspn(p, "\r");
    snprintf(out, 128, "%.*s", (int)n, p);
  }
  return out;
}

/* The trampoline of a struct with message alone: the echo comes back,
 * and websocket_compression off leaves a deflate offer unanswered. */
static void test_echo(void **state)
{
  (void)state;
  char head[2048], v[128];
  int fd = dial();
  assert_true(fd >= 0);
  char origin[128];
  snprintf(origin, sizeof origin,
           "Origin: http://127.0.0.1:%d\r\n"
           "Sec-WebSocket-Extensions: permessage-deflate\r\n",
           port);
  assert_int_equal(upgrade(fd, "GET", "/echo", origin, head, sizeof head),
                   101);
  assert_string_equal(header(head, "Sec-WebSocket-Accept", v),
                      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assert_string_equal(header(head, "Sec-WebSocket-Extensions", v), "");
  assert_string_equal(header(head, "Sec-WebSocket-Protocol", v), "");
  send_frame(fd, 0x1, "hello, echo");
  expect_text(fd, "hello, echo");
  close(fd);
}

/* Not GET: the matcher's 405, with GET the one method allowed. */
static void test_head_is_405(void **state)
{
  (void)state;
  char head[2048], v[128];
  int fd = dial();
  assert_true(fd >= 0);
  assert_int_equal(upgrade(fd, "HEAD", "/echo", "", head, sizeof head), 405);
  assert_string_equal(header(head, "Allow", v), "GET");
  close(fd);
}

/* With no check_origin, a page of another site is refused (tn_ws_same_
 * origin); with one, its answer alone counts. */
static void test_origin(void **state)
{
  (void)state;
  char head[2048];
  int fd = dial();
  assert_true(fd >= 0);
  assert_int_equal(upgrade(fd, "GET", "/echo",
                           "Origin: http://evil.example\r\n", head,
                           sizeof head),
                   403);
  close(fd);

  char own[64];
  snprintf(own, sizeof own, "Origin: http://127.0.0.1:%d\r\n", port);
  fd = dial();
  assert_int_equal(upgrade(fd, "GET", "/api/feed/9/a%20b", own, head,
                           sizeof head),
                   403);
  close(fd);

  fd = dial();
  assert_int_equal(upgrade(fd, "GET", "/api/feed/9/a%20b",
                           "Origin: http://good.example\r\n", head,
                           sizeof head),
                   101);
  /* open got the parameters converted: a uint, a decoded str. */
  expect_text(fd, "feed 9 a b");
  close(fd);
}

/* open with the typed arguments, select_subprotocol and pong, behind an
 * `authenticated` endpoint. */
static void test_room(void **state)
{
  (void)state;
  char head[2048], v[128];
  int fd = dial();
  assert_true(fd >= 0);
  assert_int_equal(upgrade(fd, "GET", "/rooms/hall",
                           "X-User: ann\r\n"
                           "Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n",
                           head, sizeof head),
                   101);
  assert_string_equal(header(head, "Sec-WebSocket-Protocol", v), "chat.v2");
  expect_text(fd, "joined hall");
  send_frame(fd, 0xA, "beat");
  expect_text(fd, "pong beat");
  send_frame(fd, 0x1, "still here");
  expect_text(fd, "still here");
  close(fd);

  /* open refuses with a status. */
  fd = dial();
  assert_int_equal(upgrade(fd, "GET", "/rooms/closed", "X-User: ann\r\n",
                           head, sizeof head),
                   403);
  close(fd);

  /* No user: the GET goes to the login page; open is not reached. */
  fd = dial();
  assert_int_equal(upgrade(fd, "GET", "/rooms/hall", "", head, sizeof head),
                   302);
  assert_memory_equal(header(head, "Location", v), "/login?next=", 12);
  close(fd);
}

int main(void)
{
  /* One group, so one TAP plan: the server runs for all of them. */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_settings),
      cmocka_unit_test(test_builders),
      cmocka_unit_test(test_match),
      cmocka_unit_test(test_echo),
      cmocka_unit_test(test_head_is_405),
      cmocka_unit_test(test_origin),
      cmocka_unit_test(test_room),
  };
  return cmocka_run_group_tests(tests, start_server, stop_server);
}
