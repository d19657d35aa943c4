/* sendfile.c -- a large static file sent from the page cache to the
 * socket with sendfile(2), never through user memory.
 *
 * The response head goes out through the connection's normal write path
 * first; then the file follows, as much as the socket takes at a time.
 * When the socket is full, a uv_poll_t on a duplicate of its descriptor
 * waits for room: libuv offers no writability notice on a TCP handle
 * that has nothing queued, and epoll keeps the duplicate apart from the
 * original. Requests pipelined behind the file wait for it, so responses
 * stay in order. */
#include <errno.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "internal.h"

/* At most this much per call, so one big file cannot hold the loop. */
#define TN__SENDFILE_STEP (1u << 20)

struct tn__sendfile_s {
  uv_poll_t poll;
  tn__conn_t *conn;
  int file;   /* the file being sent */
  int sock;   /* a duplicate of the socket, for the poll */
  bool polling;
  uint64_t off, left;
};

static void on_poll_closed(uv_handle_t *handle) {
  tn__sendfile_t *f = handle->data;
  close(f->sock);
  free(f);
}

void tn__sendfile_free(tn__sendfile_t *f) {
  close(f->file);
  if (f->polling)
    uv_close((uv_handle_t *)&f->poll, on_poll_closed);
  else
    free(f);
}

static void on_writable(uv_poll_t *poll, int status, int events);

/* Waits for the socket to take more. Returns 0 or an error. */
static int wait_writable(tn__sendfile_t *f) {
  if (!f->polling) {
    int fd;
    if (uv_fileno((uv_handle_t *)&f->conn->tcp, &fd))
      return -1;
    f->sock = dup(fd);
    if (f->sock < 0)
      return -1;
    if (uv_poll_init(&f->conn->worker->loop, &f->poll, f->sock)) {
      close(f->sock);
      return -1;
    }
    f->poll.data = f;
    f->polling = true;
  }
  return uv_poll_start(&f->poll, UV_WRITABLE, on_writable);
}

/* Sends what the socket takes. Returns 1 when the file is done, 0 when
 * waiting for room, -1 on an error (the caller closes). */
static int pump(tn__sendfile_t *f) {
  int sock;
  if (uv_fileno((uv_handle_t *)&f->conn->tcp, &sock))
    return -1;
  while (f->left) {
    off_t off = (off_t)f->off;
    size_t step = f->left < TN__SENDFILE_STEP ? f->left : TN__SENDFILE_STEP;
    ssize_t n = sendfile(sock, f->file, &off, step);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return wait_writable(f) ? -1 : 0;
    if (n <= 0)
      return -1; /* an error, or the file shrank under us */
    f->off += (uint64_t)n;
    f->left -= (uint64_t)n;
  }
  return 1;
}

static void on_writable(uv_poll_t *poll, int status, int events) {
  (void)events;
  tn__sendfile_t *f = poll->data;
  uv_poll_stop(poll);
  if (status < 0)
    tn__conn_close(f->conn);
  else
    tn__conn_send_file(f->conn);
}

tn__sendfile_t *tn__sendfile_new(tn__conn_t *c, int fd, uint64_t off,
                                 uint64_t len) {
  tn__sendfile_t *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->conn = c;
  f->file = fd;
  f->sock = -1;
  f->off = off;
  f->left = len;
  return f;
}

int tn__sendfile_pump(tn__sendfile_t *f) {
  return pump(f);
}
