/* static.c -- serving the files of a directory, as Tornado's
 * StaticFileHandler does: GET and HEAD, a Content-Type by extension,
 * Last-Modified and a strong ETag, 304 for If-None-Match and
 * If-Modified-Since, and a year of caching for versioned URLs
 * (static_url's "?v=HASH").
 *
 * Safety comes from two checks. The decoded path is refused outright if
 * any segment is empty, "." or "..", or it holds a backslash or a NUL, so
 * the URL alone can never climb out of the root. Then symlinks, which may
 * point anywhere, are kept inside by the kernel (openat2 RESOLVE_BENEATH),
 * or, where it refuses or is too old, by resolving the path with
 * realpath() and requiring it to lie inside the resolved root.
 *
 * A single Range is served as 206 (range.c). Files up to
 * TN__SENDFILE_MIN are read into the response; larger ones, and every
 * HEAD, leave the file to the connection, which sends it after the head
 * with sendfile(2) (sendfile.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* --- Paths ------------------------------------------------------------- */

bool tn__static_path_ok(tn_str_t path) {
  if (path.len == 0)
    return false;
  size_t start = 0;
  for (size_t i = 0; i <= path.len; i++) {
    char c = i < path.len ? path.ptr[i] : '/';
    if (c == '\0' || c == '\\')
      return false;
    if (c != '/')
      continue;
    /* A segment ends at i: empty (which includes a leading '/', an
     * absolute path), "." and ".." are all refused. */
    size_t n = i - start;
    const char *seg = path.ptr + start;
    if (n == 0 || (n == 1 && seg[0] == '.') ||
        (n == 2 && seg[0] == '.' && seg[1] == '.'))
      return false;
    start = i + 1;
  }
  return true;
}

/* --- Content types ----------------------------------------------------- */

#define TN__UTF8 "; charset=UTF-8"

static const struct {
  const char *ext;
  const char *type;
} mime_types[] = {
    {"html", "text/html" TN__UTF8},
    {"htm", "text/html" TN__UTF8},
    {"css", "text/css" TN__UTF8},
    {"js", "text/javascript" TN__UTF8}, /* RFC 9239 */
    {"mjs", "text/javascript" TN__UTF8},
    {"json", "application/json" TN__UTF8}, /* as tn_write_json sends it */
    {"map", "application/json" TN__UTF8},  /* source maps */
    {"txt", "text/plain" TN__UTF8},
    {"xml", "text/xml" TN__UTF8},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/vnd.microsoft.icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"}, /* WebAssembly streaming needs it */
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
};

const char *tn__mime_type(tn_str_t name) {
  /* The extension is what follows the last '.' of the last segment; a
   * name starting with its only '.' (".htaccess") has none. */
  size_t i = name.len, dot = 0;
  while (i > 0 && name.ptr[i - 1] != '/') {
    i--;
    if (!dot && name.ptr[i] == '.')
      dot = i + 1;
  }
  if (dot > i + 1) {
    const char *ext = name.ptr + dot;
    size_t n = name.len - dot;
    for (size_t k = 0; k < sizeof mime_types / sizeof *mime_types; k++)
      if (strlen(mime_types[k].ext) == n &&
          strncasecmp(ext, mime_types[k].ext, n) == 0)
        return mime_types[k].type;
  }
  return "application/octet-stream";
}

/* --- ETags ------------------------------------------------------------- */

int tn__static_etag(char *out, size_t size, uint64_t file_size,
                    uint64_t mtime_ns, uint64_t ino) {
  /* Changes whenever the file is rewritten (mtime), resized, or replaced
   * by another file (inode), which covers a deploy's atomic rename. */
  return snprintf(out, size, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
                  file_size, mtime_ns, ino);
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* RFC 9110 section 13.1.2: If-None-Match uses the weak comparison, so a
 * W/ prefix on either side is ignored; `*` matches any current file. */
bool tn__etag_match(tn_str_t field, tn_str_t etag) {
  if (etag.len >= 2 && etag.ptr[0] == 'W' && etag.ptr[1] == '/') {
    etag.ptr += 2;
    etag.len -= 2;
  }
  const char *p = field.ptr, *end = field.ptr + field.len;
  while (p < end) {
    if (is_ows(*p) || *p == ',') {
      p++;
      continue;
    }
    if (*p == '*') {
      p++;
      if (p == end || is_ows(*p) || *p == ',')
        return true;
    } else {
      if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
        p += 2;
      if (p < end && *p == '"') {
        /* A tag may hold commas: it ends only at its closing quote. */
        const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (!close)
          return false;
        size_t n = (size_t)(close + 1 - p);
        if (n == etag.len && memcmp(p, etag.ptr, n) == 0)
          return true;
        p = close + 1;
        if (p == end || is_ows(*p) || *p == ',')
          continue;
      }
    }
    /* Not a tag: skip the malformed element. */
    while (p < end && *p != ',')
      p++;
  }
  return false;
}

/* --- HTTP dates -------------------------------------------------------- */

static const char days_short[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                      "Thu", "Fri", "Sat"};
static const char *const days_long[7] = {"Sunday",   "Monday", "Tuesday",
                                         "Wednesday", "Thursday", "Friday",
                                         "Saturday"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date and back, without
 * timegm() or gmtime_r() and their time_t and struct tm (Howard Hinnant's
 * algorithms). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The last second IMF-fixdate's four-digit year can hold. */
#define TN__DATE_MAX INT64_C(253402300799) /* 9999-12-31 23:59:59 */

void tn__http_date_format(char out[TN__HTTP_DATE_SIZE], int64_t t) {
  if (t < 0)
    t = 0;
  if (t > TN__DATE_MAX)
    t = TN__DATE_MAX;
  int64_t days = t / 86400, secs = t % 86400, y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  /* 1970-01-01 was a Thursday. */
  snprintf(out, TN__HTTP_DATE_SIZE, "%s, %02u %s %04d %02d:%02d:%02d GMT",
           days_short[(days + 4) % 7], d, months[m - 1], (int)y,
           (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* A cursor over a date being parsed; every step fails once one has. */
typedef struct {
  const char *p, *end;
  bool ok;
} scan_t;

static void expect(scan_t *s, const char *lit) {
  size_t n = strlen(lit);
  if (s->ok && (size_t)(s->end - s->p) >= n && memcmp(s->p, lit, n) == 0)
    s->p += n;
  else
    s->ok = false;
}

/* Exactly `n` digits. */
static int digits(scan_t *s, int n) {
  int v = 0;
  for (int i = 0; i < n && s->ok; i++) {
    if (s->p == s->end || *s->p < '0' || *s->p > '9')
      s->ok = false;
    else
      v = v * 10 + (*s->p++ - '0');
  }
  return v;
}

/* One of `n` names of `len` bytes each (case-sensitive, as RFC 9110
 * section 5.6.7 has it); returns its index. */
static int name_of(scan_t *s, const char *names, size_t len, int n) {
  for (int i = 0; s->ok && i < n; i++) {
    const char *name = names + (size_t)i * (len + 1);
    if ((size_t)(s->end - s->p) >= len && memcmp(s->p, name, len) == 0) {
      s->p += len;
      return i;
    }
  }
  s->ok = false;
  return 0;
}

static void time_of_day(scan_t *s, int *h, int *mi, int *sec) {
  *h = digits(s, 2);
  expect(s, ":");
  *mi = digits(s, 2);
  expect(s, ":");
  *sec = digits(s, 2);
}

static bool is_leap(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int tn__http_date_parse(tn_str_t s, int64_t now, int64_t *out) {
  scan_t sc = {s.ptr, s.ptr + s.len, s.ptr != NULL};
  int64_t year;
  int mon, day, h, mi, sec;

  /* The day name tells the three formats apart: "Sun," starts an
   * IMF-fixdate, "Sunday," an RFC 850 date, "Sun " an asctime() date. */
  size_t name_len = 0;
  while (name_len < s.len && (s.ptr[name_len] | 0x20) >= 'a' &&
         (s.ptr[name_len] | 0x20) <= 'z')
    name_len++;
  if (name_len == 3 && name_len < s.len && s.ptr[3] == ',') {
    /* Sun, 06 Nov 1994 08:49:37 GMT */
    name_of(&sc, days_short[0], 3, 7);
    expect(&sc, ", ");
    day = digits(&sc, 2);
    expect(&sc, " ");
    mon = name_of(&sc, months[0], 3, 12);
    expect(&sc, " ");
    year = digits(&sc, 4);
    expect(&sc, " ");
    time_of_day(&sc, &h, &mi, &sec);
    expect(&sc, " GMT");
  } else if (name_len > 3) {
    /* Sunday, 06-Nov-94 08:49:37 GMT */
    bool known = false;
    for (int i = 0; i < 7; i++)
      if (strlen(days_long[i]) == name_len &&
          memcmp(s.ptr, days_long[i], name_len) == 0)
        known = true;
    sc.ok = sc.ok && known;
    sc.p += name_len;
    expect(&sc, ", ");
    day = digits(&sc, 2);
    expect(&sc, "-");
    mon = name_of(&sc, months[0], 3, 12);
    expect(&sc, "-");
    int yy = digits(&sc, 2);
    expect(&sc, " ");
    time_of_day(&sc, &h, &mi, &sec);
    expect(&sc, " GMT");
    /* RFC 9110: a two-digit year more than 50 years ahead of now is the
     * latest past year with the same two last digits. The window slides
     * with now: the year is placed in (now - 50, now + 50]. */
    int64_t now_year;
    unsigned m, d;
    civil_from_days((now < 0 ? 0 : now) / 86400, &now_year, &m, &d);
    year = now_year - now_year % 100 + yy;
    if (year > now_year + 50)
      year -= 100;
    else if (year <= now_year - 50)
      year += 100;
  } else {
    /* Sun Nov  6 08:49:37 1994 */
    name_of(&sc, days_short[0], 3, 7);
    expect(&sc, " ");
    mon = name_of(&sc, months[0], 3, 12);
    expect(&sc, " ");
    if (sc.ok && sc.p < sc.end && *sc.p == ' ') {
      sc.p++;
      day = digits(&sc, 1);
    } else {
      day = digits(&sc, 2);
    }
    expect(&sc, " ");
    time_of_day(&sc, &h, &mi, &sec);
    expect(&sc, " ");
    year = digits(&sc, 4);
  }
  if (!sc.ok || sc.p != sc.end)
    return TN_EINVAL;

  static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
  int last = mdays[mon] + (mon == 1 && is_leap(year));
  /* 60 is a leap second, which the grammar allows. */
  if (day < 1 || day > last || h > 23 || mi > 59 || sec > 60)
    return TN_EINVAL;
  *out = days_from_civil(year, (unsigned)mon + 1, (unsigned)day) * 86400 +
         h * 3600 + mi * 60 + sec;
  return 0;
}

/* --- Versioned URLs ---------------------------------------------------- */

bool tn__static_versioned(tn_str_t query) {
  /* A "v" parameter, even empty, as Tornado's `"v" in arguments`. */
  const char *p = query.ptr, *end = query.ptr + query.len;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    if (p[0] == 'v' && (p + 1 == stop || p[1] == '='))
      return true;
    p = stop + 1;
  }
  return false;
}

/* --- Serving ----------------------------------------------------------- */

/* An errno from resolving or opening the file, as the answer. */
static int answer_errno(tn_req_t *req, int err) {
  if (err == ENOMEM)
    return TN_ENOMEM;
  return tn__response_error(req, err == EACCES ? 403 : 404, 0);
}

/* Whether `path` (a realpath()) is `root` or lies under it, comparing
 * the text. */
static bool is_inside(const char *path, const char *root) {
  if (root[0] != '/')
    return false; /* a relative root never matches a resolved path */
  size_t n = strlen(root);
  while (n > 1 && root[n - 1] == '/')
    n--;
  if (n == 1) /* "/" */
    return true;
  return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* O_NONBLOCK so that a FIFO in the directory cannot block the loop in
 * open(); it is refused later as any file that is not regular. */
#define TN__STATIC_OPEN (O_RDONLY | O_CLOEXEC | O_NONBLOCK)

/* The fast way: the kernel resolves `name` under `root` and refuses to
 * leave it (openat2's RESOLVE_BENEATH, Linux 5.6), in two system calls
 * where realpath() needs one per path component. Returns the descriptor,
 * or -errno: -EXDEV when the name leads out of the root, or through an
 * absolute symlink (which may still point inside: the caller asks
 * open_resolved), -ENOSYS on an older kernel. */
static int open_beneath(const char *root, const char *name) {
  int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return -errno;
  struct open_how how = {
      .flags = TN__STATIC_OPEN,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
  };
  long fd = syscall(SYS_openat2, dir, name, &how, sizeof how);
  int err = errno;
  close(dir);
  return fd < 0 ? -err : (int)fd;
}

/* The portable way, and the judge of what open_beneath refused: resolve
 * `path` (ROOT/NAME) with realpath() and require it to lie inside the
 * resolved root, then open the resolved name with O_NOFOLLOW, so that a
 * link swapped in between fails. Every prefix of a resolved path is
 * itself resolved, so a file whose resolved path starts with `root` as
 * given is inside it: the root the generated router passes is resolved
 * already (by tornc), and only other roots cost a second realpath().
 * Returns the descriptor or -errno (-EXDEV: outside). */
static int open_resolved(const char *root, const char *path) {
  char real_root[PATH_MAX], real_path[PATH_MAX];
  if (!realpath(path, real_path))
    return -errno;
  if (!is_inside(real_path, root)) {
    if (!realpath(root, real_root))
      return -errno;
    if (!is_inside(real_path, real_root))
      return -EXDEV;
  }
  int fd = open(real_path, TN__STATIC_OPEN | O_NOFOLLOW);
  return fd < 0 ? -errno : fd;
}

/* Reads `len` bytes of `fd` from `off` into the body; a file that has
 * shrunk since fstat() is sent as it is now. */
static int read_body(tn_req_t *req, int fd, uint64_t off, size_t len) {
  tn__buf_t *b = &req->body_out;
  b->len = 0;
  if (tn__buf_reserve(b, len))
    return TN_ENOMEM;
  while (b->len < len) {
    ssize_t n = pread(fd, b->data + b->len, len - b->len,
                      (off_t)(off + b->len));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return TN_EINVAL;
    if (n == 0)
      break;
    b->len += (size_t)n;
  }
  return 0;
}

/* The part of the file the request asked for: sets *off and *len, and
 * answers 416 itself (returning 1) for a range past the end. */
static int choose_range(tn_req_t *req, uint64_t size, tn_str_t etag,
                        tn_str_t modified, uint64_t *off, uint64_t *len) {
  *off = 0;
  *len = size;
  tn_str_t range = tn_req_header(req, "Range");
  if (!range.ptr || tn_req_method(req) != TN_METHOD_GET ||
      !tn__if_range_ok(tn_req_header(req, "If-Range"), etag, modified))
    return 0;
  char value[64];
  switch (tn__range_parse(range, size, off, len)) {
  case TN__RANGE_PART:
    snprintf(value, sizeof value, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
             *off, *off + *len - 1, size);
    req->status = 206;
    return tn_set_header(req, "Content-Range", value);
  case TN__RANGE_UNSATISFIABLE:
    tn__response_error(req, 416, 0);
    snprintf(value, sizeof value, "bytes */%" PRIu64, size);
    tn_set_header(req, "Content-Range", value);
    return 1;
  }
  return 0;
}

int tn_static_file(tn_req_t *req, const char *root, tn_str_t rel) {
  unsigned method = tn_req_method(req);
  if (method != TN_METHOD_GET && method != TN_METHOD_HEAD)
    return tn__response_error(req, 405, TN_METHOD_GET | TN_METHOD_HEAD);

  /* "ROOT/NAME\0", NAME decoded in place. */
  size_t root_len = strlen(root);
  if (rel.len > SIZE_MAX - root_len - 2)
    return tn__response_error(req, 404, 0);
  char *path = tn_req_alloc(req, root_len + 1 + rel.len + 1);
  if (!path)
    return TN_ENOMEM;
  memcpy(path, root, root_len);
  path[root_len] = '/';
  char *name = path + root_len + 1;
  int n = tn_percent_decode(name, rel.ptr, rel.len);
  if (n < 0)
    return tn__response_error(req, 400, 0);
  name[n] = '\0';
  if (!tn__static_path_ok((tn_str_t){name, (size_t)n}))
    return tn__response_error(req, 404, 0);

  int fd = open_beneath(root, name);
  if (fd == -EXDEV || fd == -ENOSYS)
    fd = open_resolved(root, path);
  if (fd < 0)
    return fd == -EXDEV ? tn__response_error(req, 404, 0)
                        : answer_errno(req, -fd);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return tn__response_error(req, 404, 0); /* directories: no listing */
  }

  char etag[TN__ETAG_SIZE], modified[TN__HTTP_DATE_SIZE];
  /* Unsigned, so that an mtime past 2262 wraps instead of overflowing:
   * the ETag only needs to change with it. */
  uint64_t mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u +
                      (uint64_t)st.st_mtim.tv_nsec;
  int etag_len = tn__static_etag(etag, sizeof etag, (uint64_t)st.st_size,
                                 mtime_ns, (uint64_t)st.st_ino);
  tn__http_date_format(modified, st.st_mtim.tv_sec);

  /* Whatever the handler wrote before is not part of the file. */
  req->status = 200;
  req->body_out.len = 0;
  int err = tn_set_header(req, "ETag", etag);
  if (!err)
    err = tn_set_header(req, "Last-Modified", modified);
  if (!err)
    err = tn_set_header(req, "Accept-Ranges", "bytes");
  if (!err && tn__static_versioned(tn_req_query(req)))
    err = tn_set_header(req, "Cache-Control",
                        "public, max-age=31536000, immutable");
  if (err) {
    close(fd);
    return TN_ENOMEM;
  }

  /* RFC 9110 section 13.2.2: If-Modified-Since only without
   * If-None-Match, and an unparseable date is no condition at all. */
  bool fresh;
  tn_str_t inm = tn_req_header(req, "If-None-Match");
  if (inm.ptr) {
    fresh = tn__etag_match(inm, (tn_str_t){etag, (size_t)etag_len});
  } else {
    tn_str_t ims = tn_req_header(req, "If-Modified-Since");
    int64_t since;
    fresh = ims.ptr && tn__http_date_parse(ims, time(NULL), &since) == 0 &&
            st.st_mtim.tv_sec <= since;
  }
  if (fresh) {
    close(fd);
    req->status = 304; /* the runtime sends no body and no Content-Length */
    return 0;
  }

  /* A Content-Type the handler chose wins over the extension's. */
  if (!req->has_content_type &&
      tn_set_header(req, "Content-Type",
                    tn__mime_type((tn_str_t){name, (size_t)n}))) {
    close(fd);
    return TN_ENOMEM;
  }
  uint64_t off, len;
  err = choose_range(req, (uint64_t)st.st_size,
                     (tn_str_t){etag, (size_t)etag_len},
                     (tn_str_t){modified, TN__HTTP_DATE_SIZE - 1}, &off, &len);
  if (err) {
    close(fd);
    return err < 0 ? TN_ENOMEM : 0;
  }
  if (len > TN__SENDFILE_MIN || tn_req_method(req) == TN_METHOD_HEAD) {
    /* The connection sends it after the head (or, for HEAD, only says
     * how long it is). */
    req->file_fd = fd;
    req->file_off = off;
    req->file_len = len;
    return 0;
  }
  err = read_body(req, fd, off, (size_t)len);
  close(fd);
  if (err == TN_ENOMEM)
    return err;
  if (err)
    return tn__response_error(req, 500, 0);
  return 0;
}
