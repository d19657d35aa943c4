/* log.c -- the server log (tn_log) and the access log.
 *
 * Server messages are rare: each is formatted on the stack and written to
 * stderr in one write(2) of at most PIPE_BUF bytes, which POSIX makes
 * atomic even on a pipe, so the lines of several threads never mix.
 *
 * Access log lines are frequent: each worker appends them to a buffer of
 * its own and writes the buffer in one write(2) when it holds
 * TN__ACCESS_FLUSH bytes, every second (the worker's date tick), and when
 * the worker ends. All workers share one descriptor, opened once with
 * O_APPEND. For a regular file POSIX requires that an O_APPEND write move
 * the offset to the end and write with no other modification of the file
 * in between (Linux holds the inode lock for the whole call), so the
 * buffers of two workers land one after the other, never inside each
 * other, and each ends with a whole line. A pipe or terminal ("-" when
 * stderr is one) only promises this for writes of up to PIPE_BUF bytes:
 * there the buffer goes out in pieces of whole lines no longer than that.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define TN__LOG_MESSAGE 1024 /* a longer message is cut */

/* Set before the workers start, read-only while they run. */
static int log_level = TN_LOG_INFO;
static int access_fd = -1;
static const char *access_path; /* NULL for stderr: nothing to reopen */
static bool access_whole;       /* a regular file: one write per buffer */

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING",
                                          "ERROR"};

/* --- Writing ----------------------------------------------------------- */

/* A short write happens only on errors (a full disk) or signals; the rest
 * is retried, and an error drops it: logging must not stop the server. */
static void write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    p += n;
    len -= (size_t)n;
  }
}

/* Pieces of whole lines of at most PIPE_BUF bytes (a longer line alone). */
static void write_lines(int fd, const char *p, size_t len) {
  while (len > 0) {
    size_t n = len;
    if (n > PIPE_BUF) {
      const char *nl = memrchr(p, '\n', PIPE_BUF);
      if (!nl)
        nl = memchr(p + PIPE_BUF, '\n', len - PIPE_BUF);
      n = nl ? (size_t)(nl - p) + 1 : len;
    }
    write_all(fd, p, n);
    p += n;
    len -= n;
  }
}

static char *put_hex_byte(char *o, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  *o++ = '\\';
  *o++ = 'x';
  *o++ = hex[c >> 4];
  *o++ = hex[c & 15];
  return o;
}

static char *put_u64(char *o, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do
    tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0)
    *o++ = tmp[--n];
  return o;
}

static char *put_2d(char *o, int v) {
  *o++ = (char)('0' + v / 10 % 10);
  *o++ = (char)('0' + v % 10);
  return o;
}

/* --- Server log -------------------------------------------------------- */

void tn__log_set_level(int level) {
  log_level = level;
}

/* "2026-11-22 10:00:00.512 WARNING " in local time. */
static size_t log_prefix(char *out, size_t size, int level) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  localtime_r(&ts.tv_sec, &tm);
  int n = snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                   level_names[level]);
  return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void tn_vlog(int level, const char *fmt, va_list ap) {
  if (level < TN_LOG_DEBUG || level >= TN_LOG_NONE || level < log_level)
    return;
  char msg[TN__LOG_MESSAGE + 1];
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  if (n < 0)
    return;
  bool cut = (size_t)n >= sizeof msg;
  size_t len = cut ? TN__LOG_MESSAGE : (size_t)n;

  /* Room for the prefix, "...\n", and as much escaped text as fits. */
  char line[PIPE_BUF];
  char *o = line + log_prefix(line, sizeof line, level);
  char *stop = line + sizeof line - 4;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)msg[i];
    bool escape = c < 0x20 || c == 0x7f;
    if (o + (escape ? 4 : 1) > stop) {
      cut = true;
      break;
    }
    if (escape)
      o = put_hex_byte(o, c);
    else
      *o++ = (char)c;
  }
  if (cut) {
    memcpy(o, "...", 3);
    o += 3;
  }
  *o++ = '\n';
  write_all(STDERR_FILENO, line, (size_t)(o - line));
}

void tn_log(int level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tn_vlog(level, fmt, ap);
  va_end(ap);
}

/* --- Access log: the file ---------------------------------------------- */

static int open_append(const char *path) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = uv_translate_sys_error(errno);
    tn_log(TN_LOG_ERROR, "cannot open the access log %s: %s", path,
           uv_strerror(err));
    return err;
  }
  return fd;
}

static bool is_regular(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int tn__access_open(const char *path) {
  int fd = STDERR_FILENO;
  access_path = NULL;
  if (strcmp(path, "-") != 0) {
    if ((fd = open_append(path)) < 0)
      return fd;
    access_path = path;
  }
  access_fd = fd;
  access_whole = is_regular(fd);
  return 0;
}

/* dup3 puts the new file under the old descriptor in one step, so a worker
 * writing meanwhile writes whole to one file or the other. */
int tn__access_reopen(void) {
  if (access_fd < 0 || !access_path)
    return 0;
  int fd = open_append(access_path);
  if (fd < 0)
    return fd;
  int err = 0;
  if (dup3(fd, access_fd, O_CLOEXEC) < 0) {
    err = uv_translate_sys_error(errno);
    tn_log(TN_LOG_ERROR, "cannot reopen the access log %s: %s", access_path,
           uv_strerror(err));
  }
  close(fd);
  return err;
}

void tn__access_close(void) {
  if (access_fd > STDERR_FILENO)
    close(access_fd);
  access_fd = -1;
  access_path = NULL;
}

void tn__access_flush(tn__worker_t *w) {
  tn__buf_t *b = &w->access;
  if (b->len > 0 && access_fd >= 0) {
    if (access_whole)
      write_all(access_fd, b->data, b->len);
    else
      write_lines(access_fd, b->data, b->len);
  }
  b->len = 0;
}

/* --- Access log: the lines --------------------------------------------- */

void tn__clf_date(char out[TN__CLF_DATE_SIZE], int64_t t, long utc_offset) {
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                     "May", "Jun", "Jul", "Aug",
                                     "Sep", "Oct", "Nov", "Dec"};
  time_t local = (time_t)(t + utc_offset);
  struct tm tm;
  if (!gmtime_r(&local, &tm))
    memset(&tm, 0, sizeof tm);
  int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999)
    year = year < 0 ? 0 : 9999;
  long off = utc_offset < 0 ? -utc_offset : utc_offset;
  char *o = put_2d(out, tm.tm_mday);
  *o++ = '/';
  memcpy(o, months[tm.tm_mon % 12], 3);
  o += 3;
  *o++ = '/';
  o = put_2d(o, year / 100);
  o = put_2d(o, year % 100);
  *o++ = ':';
  o = put_2d(o, tm.tm_hour);
  *o++ = ':';
  o = put_2d(o, tm.tm_min);
  *o++ = ':';
  o = put_2d(o, tm.tm_sec);
  *o++ = ' ';
  *o++ = utc_offset < 0 ? '-' : '+';
  o = put_2d(o, (int)(off / 3600 % 100));
  o = put_2d(o, (int)(off / 60 % 60));
  *o = '\0';
}

/* Everything but the request line's bytes fits in this: the host (an
 * address, at most INET6_ADDRSTRLEN), the date, three numbers of at most
 * 20 digits, the separators. */
#define TN__ACCESS_FIXED 192

size_t tn__access_line_max(const tn__access_entry_t *e) {
  return TN__ACCESS_FIXED + strlen(e->host) +
         4 * (e->method.len + e->target.len);
}

static bool must_escape(unsigned char c) {
  return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

static char *put_escaped(char *o, tn_str_t s) {
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    if (must_escape(c))
      o = put_hex_byte(o, c);
    else
      *o++ = (char)c;
  }
  return o;
}

static char *put_str(char *o, const char *s) {
  size_t n = strlen(s);
  memcpy(o, s, n);
  return o + n;
}

/* A head that failed to parse has no method: CLF's "-" then. */
static char *put_request_line(char *o, const tn__access_entry_t *e) {
  if (e->method.len == 0)
    return put_str(o, "\"-\"");
  *o++ = '"';
  o = put_escaped(o, e->method);
  *o++ = ' ';
  o = put_escaped(o, e->target);
  o = put_str(o, " HTTP/1.");
  o = put_u64(o, (uint64_t)(unsigned)e->minor_version);
  *o++ = '"';
  return o;
}

size_t tn__access_line(char *out, const tn__access_entry_t *e) {
  char *o = out;
  o = put_str(o, e->host[0] ? e->host : "-");
  o = put_str(o, " - - [");
  o = put_str(o, e->date);
  o = put_str(o, "] ");
  o = put_request_line(o, e);
  *o++ = ' ';
  o = put_u64(o, (uint64_t)(unsigned)e->status);
  *o++ = ' ';
  if (e->bytes)
    o = put_u64(o, e->bytes);
  else
    *o++ = '-';
  *o++ = ' ';
  uint64_t us = e->duration_ns / 1000;
  o = put_u64(o, us / 1000000);
  *o++ = '.';
  for (uint64_t d = 100000; d > 0; d /= 10)
    *o++ = (char)('0' + us / d % 10);
  *o++ = '\n';
  return (size_t)(o - out);
}

void tn__access_log(tn__worker_t *w, const tn_req_t *req,
                    uint64_t body_bytes) {
  if (access_fd < 0)
    return;
  uint64_t now = uv_hrtime();
  tn__access_entry_t e = {
      /* The address is computed once and kept in the request: logically
       * const, hence the cast. */
      .host = tn_req_remote_ip((tn_req_t *)req),
      .date = w->log_date,
      .method = req->head.method,
      .target = req->head.target,
      .minor_version = req->head.minor_version,
      .status = req->status,
      .bytes = body_bytes,
      .duration_ns = req->start_ns && now > req->start_ns
                         ? now - req->start_ns
                         : 0,
  };
  if (tn__buf_reserve(&w->access, tn__access_line_max(&e)))
    return; /* out of memory: the line is lost, not the request */
  w->access.len += tn__access_line(w->access.data + w->access.len, &e);
  if (w->access.len >= TN__ACCESS_FLUSH)
    tn__access_flush(w);
}
