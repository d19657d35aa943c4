/* test_rt_http1_corpus.c -- llhttp's request corpus replayed through torn's
 * head parser and chunked decoder.
 *
 * Every case of ../shared/conformance/llhttp-request/ (every .md file) (or of
 * the directory named by TORN_LLHTTP_CORPUS) is one TAP result. A case's input
 * is driven through what the connection does: tn__http1_parse, then the
 * body (tn__chunked_decode, or Content-Length bytes), then the next
 * pipelined request, stopping after a request that does not keep the
 * connection alive. It is run twice, all at once and byte by byte, and the
 * two runs must agree exactly. The result is then compared with what
 * llhttp logged (../shared/conformance/README.md):
 *
 *   - llhttp rejects (an error other than 5 and the pauses 21-23) iff torn
 *     answers an error status, at the same request of the input;
 *   - error 5 (data after a request that closes the connection) is torn
 *     closing after the same request;
 *   - a pause (CONNECT, Upgrade, PRI) ends the comparison: torn must have
 *     accepted what llhttp accepted up to there (torn ignores Upgrade and
 *     would read on as HTTP/1.1);
 *   - otherwise both end between requests, or inside the same one;
 *   - every request accepted by both has the same method, target, header
 *     names and values (torn trims the OWS llhttp leaves in a value), body
 *     bytes, and ends of its head and body at the same offsets.
 *
 * Where torn deliberately differs, the case is in `deviations` below with
 * the status torn answers and why; such a case passes only if torn really
 * answers that status and really differs from llhttp, so the table cannot
 * go stale. The `request-lenient-*` cases are llhttp's opt-in leniencies:
 * torn has none, so each must be refused (or the connection closed) where
 * llhttp is lenient, and refused wherever llhttp still refuses. The
 * `request-finish` cases (what the end of the stream means) are compared
 * like the others: "safe to finish" is torn ending between requests,
 * "unsafe" ending inside one.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "internal.h"

#define CORPUS_DIR "../shared/conformance/llhttp-request"
#define HOST_VALUE "corpus.test"
#define HOST_LINE "Host: " HOST_VALUE "\r\n"
#define MAX_MSGS 8
#define MAX_FIELDS 64

/* --- Growable byte strings ---------------------------------------------- */

typedef struct {
  char *p;
  size_t n, cap;
} bytes_t;

static void put(bytes_t *b, const void *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void put_byte(bytes_t *b, char c) { put(b, &c, 1); }

static void bytes_free(bytes_t *b) {
  free(b->p);
  *b = (bytes_t){0};
}

static bool bytes_eq(const bytes_t *a, const bytes_t *b) {
  return a->n == b->n && (a->n == 0 || !memcmp(a->p, b->p, a->n));
}

/* --- What a parser made of an input ------------------------------------- */

enum {
  O_IDLE,       /* the input ended between requests */
  O_INCOMPLETE, /* the input ended inside request msgs[n] */
  O_CLOSED,     /* the connection closed after n requests */
  O_REJECT,     /* request msgs[n] was refused with `status` */
  O_PAUSE       /* llhttp handed the connection over after n requests */
};

static const char *const outcome_names[] = {"ends between requests",
                                            "ends inside a request", "closes",
                                            "rejects", "pauses"};

typedef struct {
  bool head;     /* the head is complete */
  bool complete; /* and the body */
  bytes_t method, url;
  unsigned nfields;
  bytes_t names[MAX_FIELDS], values[MAX_FIELDS];
  bytes_t body;
  long head_end, end; /* offsets in the input */
  bool begun;         /* llhttp's log: where the request begins */
  long begin;
} msg_t;

typedef struct {
  int outcome;
  int status;   /* torn's HTTP status, or llhttp's error code */
  unsigned n;   /* complete requests */
  bool touched; /* llhttp: msgs[n] had begun when it paused */
  msg_t msgs[MAX_MSGS + 1];
} run_t;

static void run_free(run_t *r) {
  for (unsigned i = 0; i <= MAX_MSGS; i++) {
    msg_t *m = &r->msgs[i];
    bytes_free(&m->method);
    bytes_free(&m->url);
    bytes_free(&m->body);
    for (unsigned j = 0; j < MAX_FIELDS; j++) {
      bytes_free(&m->names[j]);
      bytes_free(&m->values[j]);
    }
  }
  memset(r, 0, sizeof *r);
}

/* --- Cases ---------------------------------------------------------------- */

typedef struct {
  char *name; /* "file.md: heading" */
  char *type; /* "request", "request-lenient-...", "request-finish" */
  bytes_t http, log;
  bytes_t input; /* the bytes on the wire */
} case_t;

typedef struct {
  case_t *items;
  size_t n, cap;
  char *error; /* why the corpus could not be read */
} corpus_t;

static char *str_dup(const char *s, size_t n) {
  char *d = malloc(n + 1);
  assert_non_null(d);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* The UTF-8 bytes of a code point below 0x100: how llhttp's test runner
 * turns an escape into input bytes (a JavaScript string, encoded). */
static void put_code_point(bytes_t *b, unsigned cp) {
  if (cp < 0x80) {
    put_byte(b, (char)cp);
  } else {
    put_byte(b, (char)(0xc0 | cp >> 6));
    put_byte(b, (char)(0x80 | (cp & 0x3f)));
  }
}

/* `${"str".repeat(N)}` at s: appends it, returns its length or 0. */
static size_t put_repeat(bytes_t *b, const char *s, const char *end) {
  if (end - s < 4 || memcmp(s, "${\"", 3))
    return 0;
  const char *str = s + 3;
  const char *q = memchr(str, '"', (size_t)(end - str));
  if (!q || end - q < 9 || memcmp(q, "\".repeat(", 9))
    return 0;
  char *num_end;
  long count = strtol(q + 9, &num_end, 10);
  if (num_end + 1 >= end || num_end[0] != ')' || num_end[1] != '}')
    return 0;
  for (long i = 0; i < count; i++)
    put(b, str, (size_t)(q - str));
  return (size_t)(num_end + 2 - s);
}

/* The input of a fenced http block, as the README says: the last newline
 * dropped, backslash-newline joined, newlines as CRLF, then the escapes
 * and repeats. */
static void decode_http(const bytes_t *raw, bytes_t *out) {
  size_t n = raw->n;
  if (n && raw->p[n - 1] == '\n')
    n--;
  bytes_t crlf = {0};
  for (size_t i = 0; i < n; i++) {
    if (raw->p[i] == '\\' && i + 1 < n && raw->p[i + 1] == '\n')
      i++;
    else if (raw->p[i] == '\n')
      put(&crlf, "\r\n", 2);
    else
      put_byte(&crlf, raw->p[i]);
  }
  const char *s = crlf.p, *end = crlf.p + crlf.n;
  while (s < end) {
    size_t used;
    if (*s == '$' && (used = put_repeat(out, s, end))) {
      s += used;
      continue;
    }
    if (*s != '\\' || s + 1 == end) {
      put_byte(out, *s++);
      continue;
    }
    char c = s[1];
    const char *simple = strchr("rntf", c);
    if (c && simple) {
      put_byte(out, "\r\n\t\f"[simple - "rntf"]);
      s += 2;
    } else if (c == 'x' && end - s >= 4 &&
               tn__hex_value((unsigned char)s[2]) >= 0 &&
               tn__hex_value((unsigned char)s[3]) >= 0) {
      put_code_point(out, (unsigned)(tn__hex_value((unsigned char)s[2]) * 16 +
                                     tn__hex_value((unsigned char)s[3])));
      s += 4;
    } else if (c >= '0' && c <= '7') {
      unsigned cp = 0;
      s++;
      for (int k = 0; k < 3 && s < end && *s >= '0' && *s <= '7'; k++)
        cp = cp * 8 + (unsigned)(*s++ - '0');
      put_code_point(out, cp);
    } else {
      put_byte(out, *s++);
    }
  }
  if (!out->p)
    put(out, "", 0);
  bytes_free(&crlf);
}

/* `"type": "..."` in a meta comment. */
static char *meta_type(const char *line) {
  const char *t = strstr(line, "\"type\"");
  if (!t)
    return str_dup("", 0);
  t = strchr(t + 6, '"');
  const char *e = t ? strchr(t + 1, '"') : NULL;
  return e ? str_dup(t + 1, (size_t)(e - t - 1)) : str_dup("", 0);
}

static case_t *new_case(corpus_t *c, const char *file, const char *heading,
                        const char *meta) {
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 64;
    c->items = realloc(c->items, c->cap * sizeof *c->items);
    assert_non_null(c->items);
  }
  case_t *k = &c->items[c->n++];
  memset(k, 0, sizeof *k);
  char name[512];
  int len = snprintf(name, sizeof name, "%s: %s", file, heading);
  /* A heading used twice in one file names its cases apart. */
  for (int dup = 2;; dup++) {
    bool taken = false;
    for (size_t i = 0; i + 1 < c->n && !taken; i++)
      taken = !strcmp(c->items[i].name, name);
    if (!taken)
      break;
    snprintf(name + len, sizeof name - (size_t)len, " (%d)", dup);
  }
  k->name = str_dup(name, strlen(name));
  k->type = meta_type(meta);
  return k;
}

/* One .md file: headings name the cases, a meta comment starts one, and
 * its http and log blocks follow. */
static void read_md(corpus_t *c, const char *file, const char *text) {
  char heading[400] = "";
  case_t *k = NULL;
  bytes_t *block = NULL;
  for (const char *line = text; *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    if (block) {
      if (len >= 3 && !memcmp(line, "```", 3)) {
        if (!block->p)
          put(block, "", 0);
        block = NULL;
      } else {
        put(block, line, len);
        put_byte(block, '\n');
      }
    } else if (len > 1 && line[0] == '#') {
      size_t h = 0;
      while (h < len && line[h] == '#')
        h++;
      while (h < len && line[h] == ' ')
        h++;
      snprintf(heading, sizeof heading, "%.*s", (int)(len - h), line + h);
    } else if (len > 10 && !memcmp(line, "<!-- meta=", 10)) {
      char *meta = str_dup(line, len);
      k = new_case(c, file, heading, meta);
      free(meta);
    } else if (k && len >= 7 && !memcmp(line, "```http", 7) && !k->http.p) {
      block = &k->http;
    } else if (k && len >= 6 && !memcmp(line, "```log", 6) && !k->log.p) {
      block = &k->log;
    }
    line += len + (nl != NULL);
  }
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  bytes_t b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    put(&b, chunk, n);
  fclose(f);
  if (!b.p)
    put(&b, "", 0);
  return b.p;
}

static void read_corpus(corpus_t *c, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    char msg[600];
    snprintf(msg, sizeof msg,
             "cannot open the llhttp corpus %s: %s "
             "(set TORN_LLHTTP_CORPUS to its directory)",
             dir, strerror(errno));
    c->error = str_dup(msg, strlen(msg));
    return;
  }
  char *files[64];
  size_t nfiles = 0;
  struct dirent *e;
  while ((e = readdir(d)) && nfiles < 64) {
    size_t len = strlen(e->d_name);
    if (len > 3 && !strcmp(e->d_name + len - 3, ".md"))
      files[nfiles++] = str_dup(e->d_name, len);
  }
  closedir(d);
  qsort(files, nfiles, sizeof *files, cmp_names);
  for (size_t i = 0; i < nfiles; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    char *text = read_file(path);
    if (text)
      read_md(c, files[i], text);
    free(text);
    free(files[i]);
  }
  if (c->n == 0 && !c->error) {
    char msg[600];
    snprintf(msg, sizeof msg, "no cases in the llhttp corpus %s", dir);
    c->error = str_dup(msg, strlen(msg));
  }
  for (size_t i = 0; i < c->n; i++)
    decode_http(&c->items[i].http, &c->items[i].input);
}

/* --- llhttp's log -----------------------------------------------------------
 */

static void trim_ows(bytes_t *b) {
  size_t s = 0;
  while (s < b->n && (b->p[s] == ' ' || b->p[s] == '\t'))
    s++;
  while (b->n > s && (b->p[b->n - 1] == ' ' || b->p[b->n - 1] == '\t'))
    b->n--;
  memmove(b->p, b->p + s, b->n - s);
  b->n -= s;
}

/* An offset of the input once `nins` Host lines have been inserted at the
 * (increasing) offsets `ins`. */
static long shifted(long off, const long *ins, size_t nins) {
  size_t before = 0;
  while (before < nins && ins[before] <= off)
    before++;
  return off + (long)(before * (sizeof HOST_LINE - 1));
}

/* Request i gains the inserted Host as its first field. */
static void prepend_host(msg_t *m) {
  assert_true(m->nfields < MAX_FIELDS);
  bytes_free(&m->names[MAX_FIELDS - 1]);
  bytes_free(&m->values[MAX_FIELDS - 1]);
  memmove(&m->names[1], &m->names[0], (MAX_FIELDS - 1) * sizeof *m->names);
  memmove(&m->values[1], &m->values[0], (MAX_FIELDS - 1) * sizeof *m->values);
  m->names[0] = m->values[0] = (bytes_t){0};
  put(&m->names[0], "Host", 4);
  put(&m->values[0], HOST_VALUE, sizeof HOST_VALUE - 1);
  m->nfields++;
}

/* What llhttp reported, from the offsets and lengths of its spans; with
 * `nins` Host lines inserted at `ins`, as the first field of the requests
 * flagged in `inject`, as it would have reported it for that input:
 * llhttp gives Host no meaning. */
static void read_log(const case_t *k, const long *ins, size_t nins,
                     const bool *inject, run_t *r) {
  msg_t *m = NULL;
  bool after_field = false; /* the previous span was a field name's */
  memset(r, 0, sizeof *r);
  r->outcome = O_IDLE;
  for (const char *line = k->log.p; line && *line;) {
    const char *nl = strchr(line, '\n');
    long off = -1;
    size_t len = 0;
    int code, used = 0;
    char kind[64];
    sscanf(line, "off=%ld %n", &off, &used);
    const char *ev = line + used;
    if (used && r->n > MAX_MSGS - 1)
      fail_msg("%s: more than %d requests", k->name, MAX_MSGS);
    if (!used) {
      /* "off=NULL finish=N" and blank lines */
    } else if (!strncmp(ev, "message begin", 13)) {
      m = &r->msgs[r->n];
      m->begun = true;
      m->begin = off;
    } else if (sscanf(ev, "len=%zu span[%63[^]]]", &len, kind) == 2) {
      assert_true(off >= 0 && (size_t)off + len <= k->input.n);
      if (!m)
        m = &r->msgs[r->n];
      const char *bytes = k->input.p + off;
      bool trailer = m->head; /* fields after the head are trailers */
      if (!strcmp(kind, "method"))
        put(&m->method, bytes, len);
      else if (!strcmp(kind, "url"))
        put(&m->url, bytes, len);
      else if (!strcmp(kind, "body"))
        put(&m->body, bytes, len);
      else if (!strcmp(kind, "header_field") && !trailer) {
        if (!after_field)
          m->nfields++;
        assert_true(m->nfields <= MAX_FIELDS);
        put(&m->names[m->nfields - 1], bytes, len);
        put(&m->values[m->nfields - 1], "", 0);
      } else if (!strcmp(kind, "header_value") && !trailer && m->nfields) {
        put(&m->values[m->nfields - 1], bytes, len);
      }
      after_field = !strcmp(kind, "header_field");
    } else if (!strncmp(ev, "headers complete", 16)) {
      m->head = true;
      m->head_end = shifted(off, ins, nins);
      for (unsigned i = 0; i < m->nfields; i++)
        trim_ows(&m->values[i]);
      if (inject && inject[r->n])
        prepend_host(m);
    } else if (!strncmp(ev, "message complete", 16)) {
      m->complete = true;
      m->end = shifted(off, ins, nins);
      r->n++;
      m = NULL;
    } else if (sscanf(ev, "error code=%d", &code) == 1) {
      r->status = code;
      r->outcome = code >= 21 && code <= 23 ? O_PAUSE
                   : code == 5              ? O_CLOSED
                                            : O_REJECT;
      r->touched = m != NULL;
      return;
    }
    line = nl ? nl + 1 : line + strlen(line);
  }
  if (m)
    r->outcome = O_INCOMPLETE;
}

/* --- torn's run --------------------------------------------------------- */

/* The connection's rule (conn.c): HTTP/1.0 keeps the connection only when
 * asked to, HTTP/1.1 unless told to close. */
static bool keeps_alive(const tn__http1_t *h) {
  if (h->minor_version == 0)
    return (h->flags & TN__HEAD_KEEP_ALIVE) && !(h->flags & TN__HEAD_CLOSE);
  return !(h->flags & TN__HEAD_CLOSE);
}

static void copy_str(bytes_t *b, tn_str_t s) {
  put(b, s.ptr ? s.ptr : "", s.len);
}

static void record_head(msg_t *m, const tn__http1_t *h, const char *base) {
  m->head = true;
  copy_str(&m->method, h->method);
  copy_str(&m->url, h->target);
  m->nfields = h->nheaders;
  for (unsigned i = 0; i < h->nheaders; i++) {
    copy_str(&m->names[i], h->headers[i].name);
    copy_str(&m->values[i], h->headers[i].value);
  }
  m->head_end = h->cur - base;
}

static bool only_empty_lines(const char *s, const char *end) {
  for (; s < end; s++)
    if (*s != '\r' && *s != '\n')
      return false;
  return true;
}

/* A connection's worth of parsing over `in`, given `step` bytes at a time
 * (0: all at once), into a buffer kept NUL-terminated for the scanner. */
static void run_torn(const bytes_t *in, size_t step, run_t *r) {
  enum { BETWEEN, HEAD, CL_BODY, CHUNKED_BODY, STOPPED } phase = BETWEEN;
  char *buf = malloc(in->n + 1);
  assert_non_null(buf);
  size_t have = 0, pos = 0, body = 0;
  tn__http1_t h;
  tn__chunked_t ck;
  char *out = NULL;
  const char *cin = NULL;
  memset(r, 0, sizeof *r);
  buf[0] = '\0';
  while (phase != STOPPED && have < in->n) {
    size_t n = step && in->n - have > step ? step : in->n - have;
    memcpy(buf + have, in->p + have, n);
    have += n;
    buf[have] = '\0';
    for (bool more = true; more && phase != STOPPED;) {
      msg_t *m = &r->msgs[r->n];
      int status = 0;
      switch (phase) {
      case BETWEEN:
        if (pos == have) {
          more = false;
          break;
        }
        tn__http1_init(&h, buf + pos, buf + have);
        phase = HEAD;
        break;
      case HEAD:
        h.lim = buf + have;
        status = tn__http1_parse(&h);
        if (status == TN__PARSE_AGAIN) {
          more = false;
          status = 0;
          break;
        }
        if (status != TN__PARSE_DONE)
          break;
        record_head(m, &h, buf);
        body = (size_t)(h.cur - buf);
        if (h.flags & TN__HEAD_CHUNKED) {
          tn__chunked_init(&ck);
          out = buf + body;
          cin = h.cur;
          phase = CHUNKED_BODY;
        } else {
          phase = CL_BODY;
        }
        break;
      case CL_BODY: {
        size_t avail = have - body;
        size_t want = (size_t)h.content_length;
        if (avail < want) {
          bytes_free(&m->body);
          put(&m->body, buf + body, avail);
          more = false;
          break;
        }
        bytes_free(&m->body);
        put(&m->body, buf + body, want);
        pos = body + want;
        goto complete;
      }
      case CHUNKED_BODY:
        status = tn__chunked_decode(&ck, &out, &cin, buf + have);
        bytes_free(&m->body);
        put(&m->body, buf + body, (size_t)(out - (buf + body)));
        if (status == TN__PARSE_AGAIN) {
          more = false;
          status = 0;
          break;
        }
        if (status != TN__PARSE_DONE)
          break;
        pos = (size_t)(cin - buf);
        goto complete;
      case STOPPED:
        break;
      }
      if (status) {
        r->outcome = O_REJECT;
        r->status = status;
        phase = STOPPED;
      }
      continue;
    complete:
      m->complete = true;
      m->end = (long)pos;
      r->n++;
      assert_true(r->n <= MAX_MSGS);
      phase = keeps_alive(&h) ? BETWEEN : STOPPED;
      if (phase == STOPPED)
        r->outcome = O_CLOSED;
    }
  }
  if (phase == BETWEEN)
    r->outcome = O_IDLE;
  else if (phase == HEAD && only_empty_lines(buf + pos, buf + have))
    r->outcome = O_IDLE; /* empty lines before a request line are no request */
  else if (phase != STOPPED)
    r->outcome = O_INCOMPLETE;
  free(buf);
}

/* --- Comparing ---------------------------------------------------------- */

static bool field_eq(const bytes_t *a, const bytes_t *b, const char *what,
                     unsigned i, char *why, size_t size) {
  if (bytes_eq(a, b))
    return true;
  snprintf(why, size, "request %u: %s \"%.*s\" vs \"%.*s\"", i + 1, what,
           (int)(a->n > 80 ? 80 : a->n), a->p ? a->p : "",
           (int)(b->n > 80 ? 80 : b->n), b->p ? b->p : "");
  return false;
}

/* What both parsers made of request i (a and b: llhttp then torn, or two
 * torn runs). */
static bool msg_eq(const msg_t *a, const msg_t *b, unsigned i, char *why,
                   size_t size) {
  if (a->head != b->head || a->complete != b->complete) {
    snprintf(why, size, "request %u: head %s/%s, body %s/%s", i + 1,
             a->head ? "ended" : "open", b->head ? "ended" : "open",
             a->complete ? "ended" : "open", b->complete ? "ended" : "open");
    return false;
  }
  if (!a->head)
    return true;
  if (!field_eq(&a->method, &b->method, "method", i, why, size) ||
      !field_eq(&a->url, &b->url, "target", i, why, size))
    return false;
  if (a->nfields != b->nfields) {
    snprintf(why, size, "request %u: %u header fields vs %u", i + 1, a->nfields,
             b->nfields);
    return false;
  }
  for (unsigned f = 0; f < a->nfields; f++)
    if (!field_eq(&a->names[f], &b->names[f], "field name", i, why, size) ||
        !field_eq(&a->values[f], &b->values[f], "field value", i, why, size))
      return false;
  if (!field_eq(&a->body, &b->body, "body", i, why, size))
    return false;
  if (a->head_end != b->head_end || (a->complete && a->end != b->end)) {
    snprintf(why, size,
             "request %u: head ends at %ld vs %ld, body at %ld vs "
             "%ld",
             i + 1, a->head_end, b->head_end, a->end, b->end);
    return false;
  }
  return true;
}

static bool prefix_eq(const run_t *a, const run_t *b, unsigned n, char *why,
                      size_t size) {
  for (unsigned i = 0; i < n; i++)
    if (!msg_eq(&a->msgs[i], &b->msgs[i], i, why, size))
      return false;
  return true;
}

static void describe(const run_t *r, char *out, size_t size, bool torn) {
  snprintf(out, size, "%s after %u request%s", outcome_names[r->outcome], r->n,
           r->n == 1 ? "" : "s");
  if (r->outcome == O_REJECT || r->outcome == O_PAUSE) {
    size_t len = strlen(out);
    snprintf(out + len, size - len, " (%s %d)", torn ? "status" : "error",
             r->status);
  }
}

/* Whether torn (t) did what llhttp (e) did; if not, why. */
static bool agrees(const run_t *e, const run_t *t, char *why, size_t size) {
  char de[80], dt[80];
  describe(e, de, sizeof de, false);
  describe(t, dt, sizeof dt, true);
  snprintf(why, size, "llhttp %s, torn %s", de, dt);
  switch (e->outcome) {
  case O_PAUSE:
    /* What llhttp parsed before handing over must have been accepted. */
    if (t->n < e->n || (t->outcome == O_REJECT && t->n < e->n + e->touched))
      return false;
    return prefix_eq(e, t, e->n, why, size);
  case O_IDLE:
    if (t->n != e->n || (t->outcome != O_IDLE && t->outcome != O_CLOSED))
      return false;
    return prefix_eq(e, t, e->n, why, size);
  case O_INCOMPLETE:
    if (t->n != e->n || t->outcome != O_INCOMPLETE)
      return false;
    return prefix_eq(e, t, e->n + 1, why, size);
  default: /* O_REJECT, O_CLOSED */
    if (t->n != e->n || t->outcome != e->outcome)
      return false;
    return prefix_eq(e, t, e->n, why, size);
  }
}

static bool runs_identical(const run_t *a, const run_t *b, char *why,
                           size_t size) {
  if (a->outcome != b->outcome || a->status != b->status || a->n != b->n) {
    char da[80], db[80];
    describe(a, da, sizeof da, true);
    describe(b, db, sizeof db, true);
    snprintf(why, size, "whole: %s; byte by byte: %s", da, db);
    return false;
  }
  unsigned n = a->n + (a->outcome == O_INCOMPLETE);
  return prefix_eq(a, b, n, why, size);
}

/* --- Where torn deliberately differs -------------------------------------- */

/* RFC 9112 3.2: a server answers 400 to an HTTP/1.1 request without Host,
 * and most of llhttp's cases have none. Each case listed here must really
 * hold such a request that llhttp accepted up to the end of its head, and
 * torn must answer it 400; the case is then replayed with "Host:
 * corpus.test" inserted after each such request line, and judged on that
 * (method, target, fields, body, offsets: everything else still counts). */
static const char *const no_host[] = {
    "connection.md: Setting flag",
    "connection.md: Restarting when keep-alive is explicitly",
    "connection.md: Resetting flags when keep-alive is off (1.0, lenient)",
    "connection.md: Not treating `\\r` as `-`",
    "connection.md: Setting flag on `close`",
    "connection.md: Setting flag on `close` followed by tab",
    "connection.md: Sample",
    "connection.md: Multiple tokens with folding and LWS",
    "connection.md: Multiple tokens with folding, LWS, and CRLF",
    "connection.md: Invalid whitespace token with `Connection` header field",
    "connection.md: Invalid whitespace token with `Connection` header field "
    "(lenient)",
    "connection.md: Setting a flag and pausing",
    "connection.md: Emitting part of body and pausing",
    "content-length.md: `Content-Length` with zeroes",
    "content-length.md: `Content-Length` with follow-up headers",
    "content-length.md: Error on simultaneous `Content-Length` and "
    "`Transfer-Encoding: identity`",
    "content-length.md: Invalid whitespace token with `Content-Length` header "
    "field",
    "content-length.md: Invalid whitespace token with `Content-Length` header "
    "field (lenient)",
    "content-length.md: No error on simultaneous `Content-Length` and "
    "`Transfer-Encoding: identity` (lenient)",
    "content-length.md: Spaces in `Content-Length` (surrounding)",
    "content-length.md: Tabs in `Content-Length` (surrounding)",
    "content-length.md: Spaces in `Content-Length` #2",
    "content-length.md: Spaces in `Content-Length` #3",
    "content-length.md: Empty `Content-Length`",
    "content-length.md: `Content-Length` with CR instead of dash",
    "content-length.md: Content-Length reset when no body is received",
    "finish.md: It should be safe to finish after GET request",
    "invalid.md: Headers separated by CR",
    "invalid.md: Invalid header token #1",
    "invalid.md: Invalid header token #2",
    "invalid.md: Invalid header token #3",
    "invalid.md: Invalid method",
    "invalid.md: Illegal header field name line folding",
    "lenient-header-value-relaxed.md: Control char in header value (relaxed)",
    "lenient-header-value-relaxed.md: Control char in header value (strict)",
    "lenient-headers.md: Header value (lenient)",
    "lenient-headers.md: Second request header value (lenient)",
    "lenient-headers.md: Header value",
    "method.md: REPORT request",
    "method.md: PRI request HTTP2",
    "pausing.md: on_message_begin",
    "pausing.md: on_message_complete",
    "pausing.md: on_protocol_complete",
    "pausing.md: on_method_complete",
    "pausing.md: on_url_complete",
    "pausing.md: on_version_complete",
    "pausing.md: on_header_field_complete",
    "pausing.md: on_header_value_complete",
    "pausing.md: on_headers_complete",
    "pausing.md: on_chunk_header",
    "pausing.md: on_chunk_extension_name",
    "pausing.md: on_chunk_extension_value",
    "pausing.md: on_chunk_complete",
    "pipelining.md: Should parse multiple events",
    "sample.md: Simple request",
    "sample.md: Request with method starting with `H`",
    "sample.md: DUMBPACK",
    "sample.md: No headers and no body",
    "sample.md: One header and no body",
    "sample.md: Prefix newline",
    "sample.md: Line folding in header value with CRLF",
    "sample.md: Request starting with CRLF",
    "sample.md: Extended Characters",
    "sample.md: 255 ASCII in header value",
    "sample.md: X-SSL-Nonsense",
    "transfer-encoding.md: Parsing and setting flag",
    "transfer-encoding.md: Parse chunks with lowercase size",
    "transfer-encoding.md: Parse chunks with uppercase size",
    "transfer-encoding.md: POST with `Transfer-Encoding: chunked`",
    "transfer-encoding.md: Two chunks and triple zero prefixed end chunk",
    "transfer-encoding.md: Trailing headers",
    "transfer-encoding.md: Chunk extensions",
    "transfer-encoding.md: Chunk extensions quoting",
    "transfer-encoding.md: Unbalanced chunk extensions quoting",
    "transfer-encoding.md: Ignoring `pigeons`",
    "transfer-encoding.md: POST with `Transfer-Encoding` and `Content-Length`",
    "transfer-encoding.md: POST with `Transfer-Encoding` and `Content-Length` "
    "(lenient)",
    "transfer-encoding.md: POST with `chunked` before other transfer coding "
    "names",
    "transfer-encoding.md: POST with `chunked` and duplicate transfer-encoding",
    "transfer-encoding.md: POST with `chunked` before other transfer-coding "
    "(lenient)",
    "transfer-encoding.md: POST with `chunked` and duplicate transfer-encoding "
    "(lenient)",
    "transfer-encoding.md: POST with `chunked` as last transfer-encoding",
    "transfer-encoding.md: POST with `chunked` as last transfer-encoding "
    "(multiple headers)",
    "transfer-encoding.md: POST with `chunkedchunked` as transfer-encoding",
    "transfer-encoding.md: Missing last-chunk",
    "transfer-encoding.md: Validate chunk parameters",
    "transfer-encoding.md: Invalid OBS fold after chunked value",
    "transfer-encoding.md: Space after chunk header",
    "transfer-encoding.md: Space after chunk header (lenient)",
    "uri.md: Quotes in URI",
    "uri.md: Query URL with question mark",
    "uri.md: Host terminated by a query string",
    "uri.md: `host:port` terminated by a query string",
    "uri.md: Query URL with vertical bar character",
    "uri.md: `host:port` terminated by a space",
    "uri.md: Fragment in URI",
    "uri.md: `host:port` and basic auth",
    "uri.md: Space in URI",
};

#define NO_PROXY "CONNECT: torn is no proxy and opens no tunnel (501)"
#define ONLY_HTTP "torn speaks HTTP/1.0 and HTTP/1.1 only, not RTSP or ICE"
#define ONLY_CHUNKED                                                           \
  "torn implements no transfer coding but chunked (501, RFC 9112 6.1)"

/* The cases where torn answers differently from llhttp (on the input with
 * Host inserted, for those in no_host): what torn does, and why. Each
 * must hold: torn does that, and not what llhttp does. */
typedef struct {
  const char *name;
  int outcome; /* O_REJECT with `status`, or what torn does instead */
  int status;
  const char *reason;
} deviation_t;

static const deviation_t deviations[] = {
    {"content-length.md: Content-Length reset when no body is received",
     O_INCOMPLETE, 0,
     "skipBody is llhttp's callback saying a message has no body (as a "
     "response to HEAD); torn reads a request's body, and waits for it"},
    {"invalid.md: HTTP protocol and ANNOUNCE method", O_CLOSED, 0,
     "torn takes any token as a method (RFC 9110 9.1); its router answers "
     "one no route has"},
    {"invalid.md: Invalid method", O_IDLE, 0,
     "torn takes any token as a method (RFC 9110 9.1); its router answers "
     "one no route has"},
    {"uri.md: Disallow UTF-8 in URI path in strict mode", O_IDLE, 0,
     "bytes above 0x7F in a target are taken as they are, as nginx and "
     "Tornado take them: clients send raw UTF-8 paths and queries, and the "
     "router and argument parsers decode them as UTF-8"},
    {"method.md: CONNECT request", O_REJECT, 501, NO_PROXY},
    {"method.md: CONNECT request with CAPS", O_REJECT, 501, NO_PROXY},
    {"method.md: CONNECT with body", O_REJECT, 501, NO_PROXY},
    {"method.md: M-SEARCH request", O_REJECT, 400,
     "asterisk-form is for OPTIONS only (RFC 9112 3.2.4)"},
    {"method.md: SOURCE request with ICE", O_REJECT, 400, ONLY_HTTP},
    {"method.md: OPTIONS request with RTSP", O_REJECT, 400, ONLY_HTTP},
    {"method.md: ANNOUNCE request with RTSP", O_REJECT, 400, ONLY_HTTP},
    {"method.md: PRI request HTTP2", O_REJECT, 400,
     "\"PRI *\" opens HTTP/2, which torn does not speak; asterisk-form is "
     "for OPTIONS only"},
    {"sample.md: No HTTP version", O_REJECT, 400,
     "HTTP/0.9 (a request line without version) is not supported"},
    {"transfer-encoding.md: POST with `chunked` as last transfer-encoding",
     O_REJECT, 501, ONLY_CHUNKED},
    {"transfer-encoding.md: POST with `chunked` as last transfer-encoding "
     "(multiple headers)",
     O_REJECT, 501, ONLY_CHUNKED},
    {"uri.md: `host:port` and basic auth", O_REJECT, 400,
     "userinfo in a target is an error (RFC 9110 4.2.4)"},
    {"uri.md: Underscore in hostname", O_REJECT, 501, NO_PROXY},
};

static const deviation_t *deviation_of(const char *name) {
  for (size_t i = 0; i < sizeof deviations / sizeof *deviations; i++)
    if (!strcmp(deviations[i].name, name))
      return &deviations[i];
  return NULL;
}

static bool lacks_host(const char *name) {
  for (size_t i = 0; i < sizeof no_host / sizeof *no_host; i++)
    if (!strcmp(no_host[i], name))
      return true;
  return false;
}

/* --- The tests ---------------------------------------------------------- */

static corpus_t corpus;

#define FAIL(...) (snprintf(why, size, __VA_ARGS__), false)

/* torn (t) against llhttp (e), the deviation table and the lenient rule. */
static bool judge(const case_t *k, const run_t *e, const run_t *t, char *why,
                  size_t size) {
  char how[400];
  const deviation_t *dev = deviation_of(k->name);
  bool lenient = !strncmp(k->type, "request-lenient-", 16);
  bool same = agrees(e, t, how, sizeof how);
  if (dev) {
    if (lenient)
      return FAIL("a lenient case needs no deviation entry");
    if (same)
      return FAIL("stale deviation (%s): torn now does what llhttp does",
                  dev->reason);
    if (t->outcome != dev->outcome ||
        (dev->outcome == O_REJECT && t->status != dev->status))
      return FAIL("deviation \"%s\" expects: torn %s (%d); %s", dev->reason,
                  outcome_names[dev->outcome], dev->status, how);
    if (!prefix_eq(e, t, t->n < e->n ? t->n : e->n, how, sizeof how))
      return FAIL("before the deviation: %s", how);
    return true;
  }
  if (lenient) {
    /* Strict torn follows llhttp's refusals, never its leniencies. */
    if (e->outcome == O_REJECT && !same)
      return FAIL("llhttp refuses even when lenient: %s", how);
    if (e->outcome != O_REJECT && same)
      return FAIL("torn is as lenient as llhttp here: %s", how);
    if (e->outcome != O_REJECT && t->outcome != O_REJECT &&
        t->outcome != O_CLOSED)
      return FAIL("torn neither refuses nor closes: %s", how);
    return true;
  }
  return same || FAIL("%s", how);
}

/* Whether the raw head lines in [s, end) have a Host field. */
static bool has_host_line(const char *s, const char *end) {
  while (s < end) {
    const char *nl = memmem(s, (size_t)(end - s), "\r\n", 2);
    if (!nl || nl == s)
      return false; /* the head's end */
    if (nl - s >= 5 && !strncasecmp(s, "host:", 5))
      return true;
    s = nl + 2;
  }
  return false;
}

/* Where the Host lines go: after the request line of every request llhttp
 * began whose line ends in " HTTP/1.1" and whose head has arrived whole
 * without a Host line, even one llhttp refused later, so that torn is
 * judged by another rule than Host's. Fills `inject` by request; returns
 * how many, and the first such request in *first. */
static size_t host_inserts(const case_t *k, const run_t *e0, long *ins,
                           bool *inject, unsigned *first) {
  size_t n = 0;
  const char *end = k->input.p + k->input.n;
  for (unsigned i = 0; i <= e0->n && i <= MAX_MSGS; i++) {
    const msg_t *m = &e0->msgs[i];
    if (!m->begun)
      continue;
    const char *s = k->input.p + m->begin;
    while (s < end && (*s == '\r' || *s == '\n'))
      s++;
    const char *crlf = memmem(s, (size_t)(end - s), "\r\n", 2);
    if (!crlf || crlf - s < 9 || memcmp(crlf - 9, " HTTP/1.1", 9) ||
        !memmem(crlf, (size_t)(end - crlf), "\r\n\r\n", 4) ||
        has_host_line(crlf + 2, end))
      continue;
    if (n == 0)
      *first = i;
    inject[i] = true;
    ins[n++] = crlf + 2 - k->input.p;
  }
  return n;
}

static void insert_hosts(const bytes_t *in, const long *ins, size_t nins,
                         bytes_t *out) {
  size_t from = 0;
  for (size_t i = 0; i < nins; i++) {
    put(out, in->p + from, (size_t)ins[i] - from);
    put(out, HOST_LINE, sizeof HOST_LINE - 1);
    from = (size_t)ins[i];
  }
  put(out, in->p + from, in->n - from);
}

/* The Host rule on the case as written (see no_host). */
static bool judge_no_host(const case_t *k, size_t nins, unsigned first,
                          char *why, size_t size) {
  bool listed = lacks_host(k->name);
  if (nins && !listed)
    return FAIL("request %u is HTTP/1.1 without Host: list the case in "
                "no_host",
                first + 1);
  if (!nins && listed)
    return FAIL("stale no_host entry: no HTTP/1.1 request without Host");
  if (!nins)
    return true;
  run_t *t = calloc(1, sizeof *t);
  assert_non_null(t);
  run_torn(&k->input, 0, t);
  /* A 400 there, or the connection closed before it. */
  bool ok = (t->outcome == O_REJECT && t->status == 400 && t->n == first) ||
            (t->outcome == O_REJECT && t->n < first) ||
            (t->outcome == O_CLOSED && t->n <= first);
  char dt[80];
  describe(t, dt, sizeof dt, true);
  run_free(t);
  free(t);
  return ok ||
         FAIL("without Host, request %u must be a 400; torn %s", first + 1, dt);
}

static void test_case(void **state) {
  const case_t *k = *state;
  run_t *e = calloc(3, sizeof *e), *whole = e + 1, *bytewise = e + 2;
  char why[600];
  long ins[MAX_MSGS + 1];
  bool inject[MAX_MSGS + 1] = {0};
  unsigned first = 0;
  bytes_t input = {0};
  assert_non_null(e);
  read_log(k, NULL, 0, NULL, e);
  size_t nins = host_inserts(k, e, ins, inject, &first);
  bool ok = judge_no_host(k, nins, first, why, sizeof why);
  if (ok) {
    insert_hosts(&k->input, ins, nins, &input);
    run_free(e);
    read_log(k, ins, nins, inject, e);
    run_torn(&input, 0, whole);
    run_torn(&input, 1, bytewise);
    char how[400];
    ok = runs_identical(whole, bytewise, how, sizeof how);
    if (!ok)
      snprintf(why, sizeof why, "split input changes the result: %s", how);
  }
  if (ok && getenv("TORN_CORPUS_VERBOSE")) {
    char de[80], dt[80];
    describe(e, de, sizeof de, false);
    describe(whole, dt, sizeof dt, true);
    print_message("%s [%s]%s: llhttp %s; torn %s\n", k->name, k->type,
                  nins ? " +Host" : "", de, dt);
  }
  if (ok)
    ok = judge(k, e, whole, why, sizeof why);
  run_free(e);
  run_free(whole);
  run_free(bytewise);
  free(e);
  bytes_free(&input);
  if (!ok)
    fail_msg("%s", why);
}

static void test_corpus_missing(void **state) {
  fail_msg("%s", (char *)*state);
}

static bool in_corpus(const char *name) {
  for (size_t j = 0; j < corpus.n; j++)
    if (!strcmp(corpus.items[j].name, name))
      return true;
  return false;
}

/* Every entry of the two tables must name a case that exists. */
static void test_tables_name_cases(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof deviations / sizeof *deviations; i++)
    if (!in_corpus(deviations[i].name))
      fail_msg("deviation for a case not in the corpus: %s",
               deviations[i].name);
  for (size_t i = 0; i < sizeof no_host / sizeof *no_host; i++)
    if (!in_corpus(no_host[i]))
      fail_msg("no_host names a case not in the corpus: %s", no_host[i]);
}

int main(void) {
  const char *dir = getenv("TORN_LLHTTP_CORPUS");
  read_corpus(&corpus, dir && *dir ? dir : CORPUS_DIR);
  size_t n = corpus.n + 1;
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  assert_non_null(tests);
  if (corpus.error) {
    tests[0] = (struct CMUnitTest){"llhttp corpus", test_corpus_missing, NULL,
                                   NULL, corpus.error};
    n = 1;
  } else {
    for (size_t i = 0; i < corpus.n; i++)
      tests[i] = (struct CMUnitTest){corpus.items[i].name, test_case, NULL,
                                     NULL, &corpus.items[i]};
    tests[corpus.n] =
        (struct CMUnitTest){"the tables name corpus cases",
                            test_tables_name_cases, NULL, NULL, NULL};
  }
  int failed = _cmocka_run_group_tests("http1_corpus", tests, n, NULL, NULL);
  for (size_t i = 0; i < corpus.n; i++) {
    case_t *k = &corpus.items[i];
    free(k->name);
    free(k->type);
    bytes_free(&k->http);
    bytes_free(&k->log);
    bytes_free(&k->input);
  }
  free(corpus.items);
  free(corpus.error);
  free(tests);
  return failed;
}
