/* test_rt_multipart.c -- multipart/form-data request bodies: fields,
 * uploaded files, and the 400 a malformed body gets.
 *
 * Tornado 6.2 is the oracle where it is installed: every body below, and
 * several hundred more made by curl, by Python's email package and at
 * random (the Python script below), must give the arguments
 * and files Tornado's parse_body_arguments gives, or be refused when it
 * refuses them. The tests that name their expected values do not need
 * Tornado; those values are what Tornado gives too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* --- A request, as the connection would hand it over -------------------- */

static tn__worker_t *worker;
static tn__conn_t conn;
static tn_app_t app = {.name = "test"};
static tn_options_t opts;

static int group_setup(void **state) {
  (void)state;
  worker = calloc(1, sizeof *worker);
  if (!worker)
    return -1;
  tn_options_init(&opts);
  worker->app = &app;
  worker->opts = &opts;
  conn.worker = worker;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  free(worker);
  return 0;
}

/* A request with Content-Type `type` (NULL: none), query `query` and a
 * body of `len` bytes copied to a heap block of exactly that size, so
 * that ASan sees any read past it. */
static tn_req_t *req_new(const char *type, const char *query,
                         const void *body, size_t len) {
  tn_req_t *req = calloc(1, sizeof *req);
  char *copy = malloc(len ? len : 1);
  assert_non_null(req);
  assert_non_null(copy);
  tn__arena_reset(req);
  tn__response_reset(req);
  req->conn = &conn;
  if (type) {
    req->head.headers[0].name = (tn_str_t){"Content-Type", 12};
    req->head.headers[0].value = (tn_str_t){type, strlen(type)};
    req->head.nheaders = 1;
  }
  req->query = (tn_str_t){query ? query : "", query ? strlen(query) : 0};
  if (len)
    memcpy(copy, body, len);
  req->body = (tn_str_t){copy, len};
  return req;
}

static void req_free(tn_req_t *req) {
  tn__args_release(req);
  tn__arena_reset(req);
  tn__buf_free(&req->out);
  tn__buf_free(&req->body_out);
  free((void *)req->body.ptr);
  free(req);
}

#define CT "multipart/form-data; boundary=XyZ"
#define REQ(type, body) req_new(type, NULL, body, sizeof body - 1)

/* Whether the error page of `req` holds `text`. */
static bool page_has(const tn_req_t *req, const char *text) {
  return req->body_out.len &&
         memmem(req->body_out.data, req->body_out.len, text, strlen(text));
}

static void assert_file(const tn_file_t *f, const char *name,
                        const char *filename, const char *type,
                        const void *body, size_t len) {
  assert_string_equal(f->name, name);
  assert_string_equal(f->filename, filename);
  assert_string_equal(f->content_type, type);
  assert_int_equal(f->body.len, len);
  if (len)
    assert_memory_equal(f->body.ptr, body, len);
}

/* --- Bodies -------------------------------------------------------------- */

static const char png[] = "\x89PNG\r\n\x1a\n\0\0 binary";

static const char fields_and_files[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"title\"\r\n"
    "\r\n"
    " \x01Hello,\tworld \r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"photo\"; filename=\"cat.png\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\x89PNG\r\n\x1a\n\0\0 binary\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=notes; filename=a.txt\r\n"
    "\r\n"
    "\r\n"
    "--XyZ--\r\n";

static const char repeated[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"f\"; filename=\"one.txt\"\r\n"
    "\r\nONE\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"g\"; filename=\"g.txt\"\r\n"
    "\r\nG\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"f\"; filename=\"two.txt\"\r\n"
    "\r\nTWO\r\n"
    "--XyZ--";

/* Delimiter look-alikes inside a file: none of them ends the part. */
static const char binary_content[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"bin\"; filename=\"b.bin\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "\0\r\n\r\n--XyZ\n--XyZx\r\n\r\n--XyZ--more\r\n--XyZ\r--\0\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"after\"\r\n\r\nyes\r\n"
    "--XyZ--\r\n";

static const char binary_content_file[] =
    "\0\r\n\r\n--XyZ\n--XyZx\r\n\r\n--XyZ--more\r\n--XyZ\r--\0";

/* One part per filename spelling; Tornado's values in the test. */
static const char filenames[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"q\"; "
    "filename=\"a \\\"quoted\\\" name.txt\"\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"raw\"; "
    "filename=\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac.txt\"\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"star\"; "
    "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"both\"; "
    "filename*=UTF-8''na%C3%AFve.txt; filename=\"fallback.txt\"\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"latin\"; "
    "filename*=iso-8859-1''caf%E9.txt\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"quirk\"; "
    "filename*=UTF-8''a%22b%5Cc\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"cont\"; "
    "filename*0=\"part\"; filename*1*=%41; filename*2=c\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name*=UTF-8''%E2%82%AC; "
    "filename=\"semi;colon.txt\"\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"angle\"; "
    "filename=<x.txt>\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"bad\"; "
    "filename*=UTF-8''%FF%E2%82.txt\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"ascii\"; "
    "filename*=us-ascii''%E9\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"unknown\"; "
    "filename*=x-unknown''%E9\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"rawstar\"; "
    "filename*=UTF-8''\xe2\x82\xac\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
    "\r\nnot a file\r\n"
    "--XyZ--\r\n";

/* Header lines ended by bare LFs, a continuation, two Content-Types. */
static const char header_forms[] =
    "--XyZ\r\n"
    "X-Other: 1\n"
    "Content-Disposition: form-data;\r\n"
    "  name=\"folded\"; filename=f.txt\n"
    "Content-Type: text/plain\r\n"
    "CONTENT-TYPE: charset=utf-8  \r\n"
    "\r\nbody\r\n"
    "--XyZ--";

/* A delimiter followed by a bare LF is no delimiter: one part. */
static const char lf_delimiter[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n"
    "--XyZ\n"
    "Content-Disposition: form-data; name=\"b\"\r\n\r\nB\r\n"
    "--XyZ--";

static const char lf_everywhere[] =
    "--XyZ\n"
    "Content-Disposition: form-data; name=\"a\"\n\nA\n"
    "--XyZ--\n";

static const char epilogue[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n"
    "--XyZ--\r\n"
    "This is the epilogue. --XyZ\r\n";

/* The last "--XyZ--" ends the parts, even inside an epilogue. */
static const char late_final[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n"
    "--XyZ--\r\n"
    "an epilogue naming --XyZ-- again\r\n";

static const char empty_values[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\n\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
    "--XyZ--";

static const char preamble_part[] =
    "Content-Disposition: form-data; name=\"pre\"\r\n\r\nP\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n"
    "--XyZ--";

/* A body and the reason it is refused with. */
typedef struct {
  const char *type;
  const char *body;
  const char *why;
} malformed_t;

#define WHY(s) "Invalid multipart/form-data: " s
#define PART(disp, rest) "--XyZ\r\nContent-Disposition: " disp "\r\n" rest

static const malformed_t malformed[] = {
    {"multipart/form-data", "--XyZ--", WHY("no boundary")},
    {"multipart/form-data; boundary=", "----", WHY("no boundary")},
    {"multipart/form-data; Boundary=XyZ", "--XyZ--", WHY("no boundary")},
    {CT, "", WHY("no final boundary")},
    {CT, PART("form-data; name=a", "\r\nA\r\n--XyZ\r\n"),
     WHY("no final boundary")},
    {CT, "preamble\r\n" PART("form-data; name=a", "\r\nA\r\n--XyZ--"),
     WHY("a part has no header section")},
    {CT, "\r\n" PART("form-data; name=a", "\r\nA\r\n--XyZ--"),
     WHY("a part has no header section")},
    {CT, lf_everywhere, WHY("a part has no header section")},
    {CT, PART("form-data", "\r\nA\r\n--XyZ--"), WHY("a part has no name")},
    {CT, PART("form-data; name=\"\"", "\r\nA\r\n--XyZ--"),
     WHY("a part has no name")},
    {CT, PART("form-data; filename=f", "\r\nA\r\n--XyZ--"),
     WHY("a part has no name")},
    {CT, PART("attachment; name=a", "\r\nA\r\n--XyZ--"),
     WHY("a part is not form-data")},
    {CT, PART("Form-Data; name=a", "\r\nA\r\n--XyZ--"),
     WHY("a part is not form-data")},
    {CT, "--XyZ\r\nContent-Type: text/plain\r\n\r\nA\r\n--XyZ--",
     WHY("a part is not form-data")},
    {CT, PART("form-data; name=a", "\r\nA--XyZ--"),
     WHY("a part does not end with CRLF")},
    {CT, late_final, WHY("a part does not end with CRLF")},
    {CT, PART("form-data; name=a", "no colon\r\n\r\nA\r\n--XyZ--"),
     WHY("malformed part headers")},
    {CT, "--XyZ\r\n Content-Disposition: form-data; name=a\r\n\r\nA\r\n"
         "--XyZ--",
     WHY("malformed part headers")},
    {CT, PART("form-data; name=\"\xff\"", "\r\nA\r\n--XyZ--"),
     WHY("malformed part headers")},
    {CT, PART("form-data; name=a; x*=1; x*0=2", "\r\nA\r\n--XyZ--"),
     WHY("malformed Content-Disposition parameters")},
};

/* --- Fields and files ---------------------------------------------------- */

static void test_fields_and_files(void **state) {
  (void)state;
  tn_req_t *req = REQ(CT, fields_and_files);
  /* A field's value is cleaned as a form value: control characters to
   * spaces, then stripped; a tab inside stays. */
  assert_string_equal(tn_get_body_argument(req, "title", NULL),
                      "Hello,\tworld");
  assert_string_equal(tn_get_argument(req, "title", NULL), "Hello,\tworld");
  /* Files are not arguments. */
  assert_string_equal(tn_get_argument(req, "photo", "none"), "none");

  const tn_file_t *f;
  assert_int_equal(tn_get_files(req, "photo", &f), 1);
  assert_file(&f[0], "photo", "cat.png", "image/png", png, sizeof png - 1);
  /* Not copied: the content is the request body's own bytes. */
  assert_true(f[0].body.ptr > req->body.ptr &&
              f[0].body.ptr + f[0].body.len < req->body.ptr + req->body.len);
  /* No Content-Type: Tornado's default; an empty content. */
  assert_int_equal(tn_get_files(req, "notes", &f), 1);
  assert_file(&f[0], "notes", "a.txt", "application/unknown", "", 0);
  assert_int_equal(tn_get_files(req, "title", &f), 0);
  assert_null(f);
  assert_int_equal(tn_get_files(req, "nothing", &f), 0);

  assert_int_equal(tn_get_all_files(req, &f), 2);
  assert_string_equal(f[0].name, "photo");
  assert_string_equal(f[1].name, "notes");
  assert_int_equal(req->status, 200); /* nothing was answered */
  assert_int_equal(req->body_out.len, 0);
  req_free(req);
}

static void test_repeated_names(void **state) {
  (void)state;
  tn_req_t *req = req_new(CT, "a=0&f=q", repeated, sizeof repeated - 1);
  const char **v;
  assert_int_equal(tn_get_body_arguments(req, "a", &v), 2);
  assert_string_equal(v[0], "1");
  assert_string_equal(v[1], "2");
  /* The query's values first, then the body's; the last one wins. */
  assert_int_equal(tn_get_arguments(req, "a", &v), 3);
  assert_string_equal(v[0], "0");
  assert_string_equal(v[2], "2");
  assert_string_equal(tn_get_argument(req, "a", NULL), "2");
  assert_string_equal(tn_get_argument(req, "f", NULL), "q");

  /* Two files of one field with another between: in order. */
  const tn_file_t *f;
  assert_int_equal(tn_get_files(req, "f", &f), 2);
  assert_file(&f[0], "f", "one.txt", "application/unknown", "ONE", 3);
  assert_file(&f[1], "f", "two.txt", "application/unknown", "TWO", 3);
  assert_int_equal(tn_get_files(req, "g", &f), 1);
  assert_file(&f[0], "g", "g.txt", "application/unknown", "G", 1);
  assert_int_equal(tn_get_all_files(req, &f), 3);
  assert_string_equal(f[0].filename, "one.txt");
  assert_string_equal(f[1].filename, "g.txt");
  assert_string_equal(f[2].filename, "two.txt");
  req_free(req);
}

static void test_binary_content(void **state) {
  (void)state;
  tn_req_t *req = REQ(CT, binary_content);
  const tn_file_t *f;
  assert_int_equal(tn_get_files(req, "bin", &f), 1);
  assert_file(&f[0], "bin", "b.bin", "application/octet-stream",
              binary_content_file, sizeof binary_content_file - 1);
  assert_string_equal(tn_get_body_argument(req, "after", NULL), "yes");
  req_free(req);
}

static void test_filenames(void **state) {
  (void)state;
  static const struct {
    const char *name, *filename;
  } want[] = {
      {"q", "a \"quoted\" name.txt"},
      {"raw", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac.txt"},
      {"star", "\xe2\x82\xac rates.txt"},
      {"both", "na\xc3\xafve.txt"},      /* filename* wins */
      {"latin", "caf\xc3\xa9.txt"},      /* ISO-8859-1 to UTF-8 */
      {"quirk", "a\\\"b\\\\c"},          /* quote()'s backslashes stay */
      {"cont", "partAc"},                /* continuations joined */
      {"\xe2\x82\xac", "semi;colon.txt"}, /* name*=; ';' inside quotes */
      {"angle", "x.txt"},
      {"bad", "\xef\xbf\xbd\xef\xbf\xbd.txt"}, /* U+FFFD per bad sequence */
      {"ascii", "\xef\xbf\xbd"},
      {"unknown", "\xc3\xa9"}, /* a charset Python does not know */
      {"rawstar", "\\u20ac"},  /* raw, then raw-unicode-escape */
  };
  size_t nwant = sizeof want / sizeof *want;
  tn_req_t *req = REQ(CT, filenames);
  const tn_file_t *f;
  assert_int_equal(tn_get_all_files(req, &f), (int)nwant);
  for (size_t i = 0; i < nwant; i++) {
    assert_string_equal(f[i].name, want[i].name);
    assert_string_equal(f[i].filename, want[i].filename);
  }
  /* An empty filename makes a field. */
  assert_string_equal(tn_get_body_argument(req, "empty", NULL), "not a file");
  req_free(req);
}

static void test_header_forms(void **state) {
  (void)state;
  tn_req_t *req = REQ(CT, header_forms);
  const tn_file_t *f;
  assert_int_equal(tn_get_files(req, "folded", &f), 1);
  /* Two Content-Types are joined by ','. */
  assert_file(&f[0], "folded", "f.txt", "text/plain,charset=utf-8", "body",
              4);
  req_free(req);
}

static void test_crlf_only_delimiters(void **state) {
  (void)state;
  tn_req_t *req = REQ(CT, lf_delimiter);
  const char **v;
  assert_int_equal(tn_get_body_arguments(req, "a", &v), 1);
  assert_string_equal(v[0], "A\r\n--XyZ\nContent-Disposition: form-data; "
                            "name=\"b\"\r\n\r\nB");
  assert_int_equal(tn_get_body_arguments(req, "b", &v), 0);
  req_free(req);
}

static void test_boundaries(void **state) {
  (void)state;
  static const char body[] =
      "--a b:c\r\n"
      "Content-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
      "--a b:c--";
  static const char *const types[] = {
      "multipart/form-data; boundary=\"a b:c\"",
      "Multipart/Form-Data;boundary=\"a b:c\"; charset=utf-8",
      "multipart/form-data; charset=utf-8;  boundary=a b:c ",
      "multipart/form-data; boundary=; boundary=a b:c",
  };
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    tn_req_t *req = REQ(types[i], body);
    assert_string_equal(tn_get_body_argument(req, "x", "-"), "1");
    req_free(req);
  }
  /* The boundary is the header's latin-1 text in UTF-8, as Tornado's
   * utf8() of it. */
  static const char latin[] =
      "--\xc3\xa9\r\n"
      "Content-Disposition: form-data; name=\"x\"\r\n\r\n2\r\n"
      "--\xc3\xa9--";
  tn_req_t *req = REQ("multipart/form-data; boundary=\xe9", latin);
  assert_string_equal(tn_get_body_argument(req, "x", "-"), "2");
  req_free(req);
}

static void test_epilogue_and_empty_values(void **state) {
  (void)state;
  tn_req_t *req = REQ(CT, epilogue);
  assert_string_equal(tn_get_body_argument(req, "a", NULL), "A");
  req_free(req);

  req = REQ(CT, empty_values);
  assert_string_equal(tn_get_body_argument(req, "a", NULL), "");
  assert_string_equal(tn_get_body_argument(req, "b", NULL), "");
  req_free(req);

  /* A preamble that reads as a part is one. */
  req = REQ(CT, preamble_part);
  assert_string_equal(tn_get_body_argument(req, "pre", NULL), "P");
  assert_string_equal(tn_get_body_argument(req, "a", NULL), "A");
  req_free(req);

  /* Only delimiters: no part at all. */
  req = REQ(CT, "--XyZ\r\n--XyZ--");
  const tn_file_t *f;
  assert_int_equal(tn_get_all_files(req, &f), 0);
  assert_int_equal(req->body_args.n, 0);
  assert_int_equal(req->status, 200);
  req_free(req);
}

static void test_many_parts(void **state) {
  (void)state;
  /* Enough parts to grow the lists many times. */
  tn_buf_t b = {0};
  enum { N = 5000 };
  for (int i = 0; i < N; i++) {
    char part[160];
    int n = snprintf(part, sizeof part,
                     "--XyZ\r\nContent-Disposition: form-data; name=\"%s\"%s"
                     "\r\n\r\n%d\r\n",
                     i % 2 ? "file" : "n", i % 2 ? "; filename=\"f\"" : "", i);
    assert_int_equal(tn__buf_append(&b, part, (size_t)n), 0);
  }
  assert_int_equal(tn__buf_append(&b, "--XyZ--", 7), 0);
  tn_req_t *req = req_new(CT, NULL, b.data, b.len);
  const char **v;
  const tn_file_t *f;
  assert_int_equal(tn_get_body_arguments(req, "n", &v), N / 2);
  assert_int_equal(tn_get_files(req, "file", &f), N / 2);
  for (int i = 0; i < N / 2; i++) {
    char want[16];
    snprintf(want, sizeof want, "%d", 2 * i);
    assert_string_equal(v[i], want);
    snprintf(want, sizeof want, "%d", 2 * i + 1);
    assert_int_equal(f[i].body.len, strlen(want));
    assert_memory_equal(f[i].body.ptr, want, strlen(want));
  }
  req_free(req);
  tn_buf_free(&b);
}

/* --- Malformed bodies ---------------------------------------------------- */

static void test_malformed(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
    const malformed_t *m = &malformed[i];
    tn_req_t *req = req_new(m->type, "q=1", m->body, strlen(m->body));
    /* Reading the query alone does not look at the body. */
    assert_string_equal(tn_get_query_argument(req, "q", NULL), "1");
    assert_int_equal(req->status, 200);
    /* The first reader of the body answers 400, naming the fault. */
    assert_null(tn_get_argument(req, "q", "default"));
    assert_int_equal(req->status, 400);
    if (!page_has(req, m->why))
      fail_msg("case %zu: no \"%s\" in \"%.*s\"", i, m->why,
               (int)req->body_out.len, req->body_out.data);
    /* And so does every later one, whichever it is. */
    const char **v = (const char **)&v;
    const tn_file_t *f = (const tn_file_t *)&f;
    tn__response_reset(req);
    assert_int_equal(tn_get_arguments(req, "q", &v), TN_EINVAL);
    assert_null(v);
    assert_int_equal(req->status, 400);
    tn__response_reset(req);
    assert_int_equal(tn_get_files(req, "q", &f), TN_EINVAL);
    assert_null(f);
    assert_int_equal(req->status, 400);
    tn__response_reset(req);
    assert_int_equal(tn_get_all_files(req, &f), TN_EINVAL);
    assert_int_equal(req->status, 400);
    tn__response_reset(req);
    assert_null(tn_require_argument(req, "q"));
    assert_int_equal(req->status, 400);
    assert_true(page_has(req, m->why));
    assert_false(page_has(req, "Missing argument"));
    tn__response_reset(req);
    assert_null(tn_get_body_argument(req, "q", "default"));
    assert_int_equal(req->status, 400);
    /* The query stays readable. */
    tn__response_reset(req);
    assert_int_equal(tn_get_query_arguments(req, "q", &v), 1);
    assert_int_equal(req->status, 200);
    req_free(req);
  }
}

static void test_junk_body_unread(void **state) {
  (void)state;
  /* A GET with a junk body whose handler never reads the body. */
  tn_req_t *req = req_new(CT, "q=1", "junk", 4);
  assert_string_equal(tn_get_query_argument(req, "q", NULL), "1");
  assert_int_equal(req->status, 200);
  assert_false(req->args_parsed & TN__ARGS_BODY);
  req_free(req);
}

static void test_not_multipart(void **state) {
  (void)state;
  const tn_file_t *f;
  /* Another type, no type, or a Content-Encoding: no files, no 400. */
  tn_req_t *req = REQ("text/plain", "--XyZ--");
  assert_int_equal(tn_get_all_files(req, &f), 0);
  assert_int_equal(req->status, 200);
  req_free(req);
  req = REQ(NULL, "--XyZ--");
  assert_int_equal(tn_get_files(req, "a", &f), 0);
  req_free(req);
  req = REQ(CT, "junk");
  req->head.headers[1].name = (tn_str_t){"Content-Encoding", 16};
  req->head.headers[1].value = (tn_str_t){"gzip", 4};
  req->head.nheaders = 2;
  assert_int_equal(tn_get_all_files(req, &f), 0);
  assert_int_equal(req->status, 200);
  req_free(req);
  /* A form body has arguments but never files. */
  req = REQ("application/x-www-form-urlencoded", "a=1");
  assert_int_equal(tn_get_all_files(req, &f), 0);
  assert_string_equal(tn_get_body_argument(req, "a", NULL), "1");
  req_free(req);
}

/* --- Large bodies -------------------------------------------------------- */

static double ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_ten_megabytes(void **state) {
  (void)state;
  static const char head[] =
      "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nbig\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; "
      "filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  static const char tail[] = "\r\n--XyZ--\r\n";
  size_t size = 10 * 1024 * 1024;
  size_t len = sizeof head - 1 + size + sizeof tail - 1;
  char *body = malloc(len);
  assert_non_null(body);
  memcpy(body, head, sizeof head - 1);
  char *content = body + sizeof head - 1;
  uint32_t x = 12345; /* xorshift: every byte value, NULs and CRLFs too */
  for (size_t i = 0; i < size; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    content[i] = (char)(x >> 24);
  }
  memcpy(content + size, tail, sizeof tail - 1);

  tn_req_t *req = req_new(CT, NULL, body, len);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  const tn_file_t *f;
  int n = tn_get_files(req, "upload", &f);
  double ms = ms_since(&t0);
  printf("# a 10 MB upload parsed in %.3f ms\n", ms);
  assert_int_equal(n, 1);
  assert_int_equal(f[0].body.len, size);
  assert_memory_equal(f[0].body.ptr, content, size);
  assert_string_equal(tn_get_body_argument(req, "title", NULL), "big");
  req_free(req);

  /* The worst case of the search for the final boundary: none, in 10 MB
   * of bytes that nearly match it everywhere. */
  memset(body, '-', len);
  req = req_new("multipart/form-data; boundary=-------------------------"
                "----------------------------------------------x",
                NULL, body, len);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  n = tn_get_all_files(req, &f);
  ms = ms_since(&t0);
  printf("# 10 MB of '-' without a final boundary refused in %.3f ms\n", ms);
  assert_int_equal(n, TN_EINVAL);
  assert_true(page_has(req, "no final boundary"));
  req_free(req);
  free(body);
}

/* --- Tornado as the oracle ----------------------------------------------- */

/* The oracle, run by /usr/bin/python3 in a scratch directory. */
static const char oracle_py[] =
    "# What Tornado makes of multipart bodies: the cases listed in DIR/cases\n"
    "# (DIR/ID.ct, DIR/ID.body), then bodies made here by curl, by Python's\n"
    "# email package and at random, saved as DIR/gN.ct and DIR/gN.body.\n"
    "# Prints CASE ID, then A NAME VALUE per argument (value cleaned as\n"
    "# get_argument does), F NAME FILENAME TYPE BODY per file, in hex, or E\n"
    "# when Tornado refuses the body; then END.\n"
    "import os, random, socket, subprocess, sys, threading\n"
    "from urllib.parse import quote as pct\n"
    "try:\n"
    "  from tornado.httputil import parse_body_arguments\n"
    "  from tornado.web import RequestHandler\n"
    "except Exception as e:\n"
    "  print('SKIP tornado is not available (%s)' % e)\n"
    "  sys.exit(0)\n"
    "\n"
    "d = sys.argv[1]\n"
    "CRLF = b'\\r\\n'\n"
    "ctrl = RequestHandler._remove_control_chars_regex\n"
    "made = [0]\n"
    "\n"
    "def hx(s):\n"
    "  return s.encode('utf-8', 'surrogatepass').hex()\n"
    "\n"
    "def clean(b):\n"
    "  s = ctrl.sub(' ', b.decode('utf-8', 'surrogateescape')).strip()\n"
    "  return s.encode('utf-8', 'surrogateescape').hex()\n"
    "\n"
    "def report(case, ct, body):\n"
    "  args, files = {}, {}\n"
    "  out = ['CASE ' + case]\n"
    "  try:\n"
    "    parse_body_arguments(ct.decode('latin-1'), body, args, files)\n"
    "  except Exception:\n"
    "    out.append('E')\n"
    "  else:\n"
    "    for k, vs in args.items():\n"
    "      out += ['A %s %s' % (hx(k), clean(v)) for v in vs]\n"
    "    for k, fs in files.items():\n"
    "      out += ['F %s %s %s %s' % (hx(k), hx(f.filename),\n"
    "              hx(f.content_type), f.body.hex()) for f in fs]\n"
    "  out.append('END')\n"
    "  sys.stdout.write('\\n'.join(out) + '\\n')\n"
    "\n"
    "def path(name):\n"
    "  return os.path.join(d, name)\n"
    "\n"
    "def save(ct, body):\n"
    "  case = 'g%d' % made[0]\n"
    "  made[0] += 1\n"
    "  for ext, data in (('.ct', ct), ('.body', body)):\n"
    "    with open(path(case + ext), 'wb') as f:\n"
    "      f.write(data)\n"
    "  report(case, ct, body)\n"
    "\n"
    "def given():\n"
    "  with open(path('cases')) as f:\n"
    "    for case in f.read().split():\n"
    "      with open(path(case + '.ct'), 'rb') as c:\n"
    "        ct = c.read()\n"
    "      with open(path(case + '.body'), 'rb') as b:\n"
    "        report(case, ct, b.read())\n"
    "\n"
    "def serve(srv, n, got):\n"
    "  for _ in range(n):\n"
    "    c, _ = srv.accept()\n"
    "    data = b''\n"
    "    while CRLF + CRLF not in data:\n"
    "      data += c.recv(65536)\n"
    "    head, _, body = data.partition(CRLF + CRLF)\n"
    "    ct, size = b'', 0\n"
    "    for line in head.split(CRLF)[1:]:\n"
    "      k, _, v = line.partition(b':')\n"
    "      if k.lower() == b'content-type':\n"
    "        ct = v.strip()\n"
    "      if k.lower() == b'content-length':\n"
    "        size = int(v)\n"
    "    while len(body) < size:\n"
    "      body += c.recv(65536)\n"
    "    c.sendall(b'HTTP/1.1 200 OK' + CRLF + b'Content-Length: 0' + CRLF +\n"
    "              b'Connection: close' + CRLF + CRLF)\n"
    "    c.close()\n"
    "    got.append((ct, body))\n"
    "\n"
    "def by_curl():\n"
    "  rnd = random.Random(7)\n"
    "  big = bytes(rnd.randrange(256) for _ in range(200000))\n"
    "  data = {'bin1': bytes(range(256)) * 3 + CRLF + b'--' + CRLF,\n"
    "          'bin2': big, 'empty': b'',\n"
    "          'text': 'h\\u00e9llo\\r\\n'.encode()}\n"
    "  for name in data:\n"
    "    with open(path(name), 'wb') as f:\n"
    "      f.write(data[name])\n"
    "  runs = [\n"
    "    ['-F', 'a=1', '-F', 'b= two words ', '-F', 'f=@' + path('bin1'),\n"
    "     '-F', 'f=@%s;filename=\\u00e9t\\u00e9 \"q\".txt;type=image/png'\n"
    "     % path('bin2'), '-F', 'g=@' + path('empty')],\n"
    "    ['--form-string', 'text=line1\\r\\nline2 \\x01 ',\n"
    "     '-F', 'u=<' + path('text'),\n"
    "     '-F', 'h=@%s;headers=\"X-Extra: 1\"' % path('text'),\n"
    "     '-F', '\\u20ac=@%s;filename=na\\u00efve.txt' % path('text')],\n"
    "  ]\n"
    "  srv = socket.socket()\n"
    "  srv.bind(('127.0.0.1', 0))\n"
    "  srv.listen(4)\n"
    "  got = []\n"
    "  t = threading.Thread(target=serve, args=(srv, len(runs), got))\n"
    "  t.start()\n"
    "  url = 'http://127.0.0.1:%d/' % srv.getsockname()[1]\n"
    "  for args in runs:\n"
    "    try:\n"
    "      subprocess.run(['curl', '-s', '-H', 'Expect:'] + args + [url],\n"
    "                     timeout=20, check=True,\n"
    "                     stdout=subprocess.DEVNULL)\n"
    "    except Exception:  # no curl: end the server's wait\n"
    "      with socket.create_connection(srv.getsockname()) as c:\n"
    "        c.sendall(b'POST / HTTP/1.1' + CRLF + CRLF)\n"
    "        c.recv(100)\n"
    "  t.join()\n"
    "  srv.close()\n"
    "  for ct, body in got:\n"
    "    if body:\n"
    "      save(ct, body)\n"
    "\n"
    "def by_email():\n"
    "  import email.policy as ep\n"
    "  from email.mime.application import MIMEApplication\n"
    "  from email.mime.multipart import MIMEMultipart\n"
    "  from email.mime.text import MIMEText\n"
    "  long_name = ('na\\u00efve \\u20acuro \\u2013 a file name long'\n"
    "               ' enough to be folded.bin')\n"
    "  for policy in (ep.HTTP, ep.SMTP, ep.compat32.clone(linesep='\\r\\n')):\n"
    "    m = MIMEMultipart('form-data')\n"
    "    t = MIMEText('h\\u00e9llo w\\u00f6rld\\n', 'plain', 'utf-8')\n"
    "    t.add_header('Content-Disposition', 'form-data', name='greet')\n"
    "    m.attach(t)\n"
    "    a = MIMEApplication(bytes(range(256)), 'octet-stream')\n"
    "    a.add_header('Content-Disposition', 'form-data', name='blob',\n"
    "                 filename=('utf-8', '', long_name))\n"
    "    m.attach(a)\n"
    "    p = MIMEText('plain', 'plain')\n"
    "    p.add_header('Content-Disposition', 'form-data', name='doc',\n"
    "                 filename='report \"final\"; v2.txt')\n"
    "    m.attach(p)\n"
    "    head, _, body = m.as_bytes(policy=policy).partition(CRLF + CRLF)\n"
    "    for fold in (CRLF + b' ', CRLF + b'\\t'):\n"
    "      head = head.replace(fold, b' ')\n"
    "    ct = [l for l in head.split(CRLF)\n"
    "          if l.lower().startswith(b'content-type:')][0][13:]\n"
    "    save(ct.strip(), body)\n"
    "\n"
    "def at_random(n):\n"
    "  rnd = random.Random(2024)\n"
    "  chars = 'aZ_- ;\"\\\\\\'=%*<>\\u00e9\\u20ac\\t'\n"
    "  pool = [CRLF, b'\\n', b'\\r', b'\\0', b'--', b'-', b'x', b'\\xff',\n"
    "          b' ', b'\\t', b'\\x01', '\\u00e9'.encode(), CRLF + CRLF]\n"
    "  def text(k):\n"
    "    return ''.join(rnd.choice(chars) for _ in range(rnd.randint(0, k)))\n"
    "  def content():\n"
    "    return b''.join(rnd.choice(pool) for _ in range(rnd.randint(0, 12)))\n"
    "  def quoted(s):\n"
    "    s = s.replace('\\\\', '\\\\\\\\')\n"
    "    return '\"' + s.replace('\"', '\\\\\"') + '\"'\n"
    "  def param(k, v):\n"
    "    mode = rnd.randrange(6)\n"
    "    if mode == 0:\n"
    "      return '%s=%s' % (k, v)\n"
    "    if mode == 1:\n"
    "      cs = rnd.choice(['utf-8', 'UTF8', 'latin-1', 'ascii', 'x-y', ''])\n"
    "      return \"%s*=%s''%s\" % (k, cs, pct(v.encode()))\n"
    "    if mode == 2:\n"
    "      return '%s*0=%s; %s*1*=%s' % (k, quoted(v[:2]), k, pct(v[2:]))\n"
    "    return '%s=%s' % (k, quoted(v))\n"
    "  def part():\n"
    "    ps = ['form-data' if rnd.random() < .97 else 'Form-Data']\n"
    "    if rnd.random() < .97:\n"
    "      ps.append(param(rnd.choice(['name', 'NAME']), text(5) or 'n'))\n"
    "    if rnd.random() < .5:\n"
    "      ps.append(param('filename', text(6)))\n"
    "    disp = rnd.choice(['Content-Disposition', 'content-disposition'])\n"
    "    lines = [disp + ': ' + '; '.join(ps)]\n"
    "    if rnd.random() < .5:\n"
    "      ct = rnd.choice(['text/plain', '', 'a/b; x=\"y\"'])\n"
    "      lines.append('Content-Type: ' + ct)\n"
    "    if rnd.random() < .1:\n"
    "      lines.append(' continued')\n"
    "    if rnd.random() < .1:\n"
    "      lines.insert(0, 'X-Other:  spaced ')\n"
    "    head = rnd.choice(['\\r\\n'] * 5 + ['\\n']).join(lines).encode()\n"
    "    if rnd.random() < .03:\n"
    "      head += b'\\xff'\n"
    "    return head + CRLF + CRLF + content() + CRLF\n"
    "  for _ in range(n):\n"
    "    bnd = rnd.choice(['b', 'XyZ', '----x', \"a'()+_,-./:=?b\", 'q q'])\n"
    "    bb = bnd.encode()\n"
    "    parts = [part() for _ in range(rnd.randint(0, 4))]\n"
    "    body = b''.join(b'--' + bb + CRLF + p for p in parts)\n"
    "    body += b'--' + bb + b'--' + rnd.choice([b'', CRLF, b'junk'])\n"
    "    if rnd.random() < .1:\n"
    "      body = rnd.choice([b'preamble' + CRLF, CRLF]) + body\n"
    "    if rnd.random() < .1:\n"
    "      i = rnd.randrange(len(body))\n"
    "      body = body[:i] + body[i + 1:]\n"
    "    q = ' ' in bnd or rnd.random() < .2\n"
    "    ct = 'multipart/form-data; boundary=' + (quoted(bnd) if q else bnd)\n"
    "    save(ct.encode(), body)\n"
    "\n"
    "given()\n"
    "by_curl()\n"
    "by_email()\n"
    "at_random(400)\n"
    "print('DONE %d' % made[0])\n";


typedef struct {
  const char *type;
  const char *body;
  size_t len;
} body_t;

#define BODY(type, b) {type, b, sizeof b - 1}

/* The bodies above that Tornado reads as torn does (the malformed ones go
 * too). */
static const body_t oracle_bodies[] = {
    BODY(CT, fields_and_files),
    BODY(CT, repeated),
    BODY(CT, binary_content),
    BODY(CT, filenames),
    BODY(CT, header_forms),
    BODY(CT, lf_delimiter),
    BODY(CT, epilogue),
    BODY(CT, empty_values),
    BODY(CT, preamble_part),
    BODY(CT, "--XyZ\r\n--XyZ--"),
    BODY("multipart/form-data; boundary=\"a b:c\"",
         "--a b:c\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n"
         "--a b:c--"),
    BODY("multipart/form-data; boundary=\xe9",
         "--\xc3\xa9\r\nContent-Disposition: form-data; name=x\r\n\r\n2\r\n"
         "--\xc3\xa9--"),
};

static void put(tn_buf_t *b, const char *s) {
  assert_int_equal(tn__buf_append(b, s, strlen(s)), 0);
}

/* A NUL after the bytes, not counted. */
static const char *terminated(tn_buf_t *b) {
  assert_int_equal(tn__buf_reserve(b, 1), 0);
  b->data[b->len] = '\0';
  return b->data;
}

static void put_hex(tn_buf_t *b, const void *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  const unsigned char *s = p;
  assert_int_equal(tn__buf_reserve(b, 2 * n), 0);
  for (size_t i = 0; i < n; i++) {
    b->data[b->len++] = digits[s[i] >> 4];
    b->data[b->len++] = digits[s[i] & 15];
  }
}

static bool same_name(const char *a, size_t alen, const char *b,
                      size_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

/* The arguments of name number i, as Tornado's dict lists them (at the
 * place the name first comes); the lookup agrees. */
static void dump_args(tn_req_t *req, size_t i, tn_buf_t *out) {
  const tn__args_t *a = &req->body_args;
  const tn__arg_t *x = &a->items[i];
  for (size_t j = 0; j < i; j++)
    if (same_name(a->items[j].name, a->items[j].name_len, x->name,
                  x->name_len))
      return;
  const char **v;
  int n = strlen(x->name) == x->name_len
              ? tn_get_body_arguments(req, x->name, &v)
              : -1; /* a NUL in the name: not a C string to look up */
  int k = 0;
  for (size_t j = i; j < a->n; j++) {
    const tn__arg_t *y = &a->items[j];
    if (!same_name(y->name, y->name_len, x->name, x->name_len))
      continue;
    put(out, "A ");
    put_hex(out, y->name, y->name_len);
    put(out, " ");
    put_hex(out, y->value, y->value_len);
    put(out, "\n");
    if (n >= 0)
      assert_ptr_equal(v[k], y->value);
    k++;
  }
  if (n >= 0)
    assert_int_equal(n, k);
}

static void dump_files(tn_req_t *req, size_t i, tn_buf_t *out) {
  const tn__files_t *fs = &req->files;
  const tn_file_t *x = &fs->items[i];
  size_t xlen = fs->name_lens[i];
  for (size_t j = 0; j < i; j++)
    if (same_name(fs->items[j].name, fs->name_lens[j], x->name, xlen))
      return;
  const tn_file_t *f;
  int n = strlen(x->name) == xlen ? tn_get_files(req, x->name, &f) : -1;
  int k = 0;
  for (size_t j = i; j < fs->n; j++) {
    const tn_file_t *y = &fs->items[j];
    if (!same_name(y->name, fs->name_lens[j], x->name, xlen))
      continue;
    put(out, "F ");
    put_hex(out, y->name, fs->name_lens[j]);
    put(out, " ");
    put_hex(out, y->filename, strlen(y->filename));
    put(out, " ");
    put_hex(out, y->content_type, strlen(y->content_type));
    put(out, " ");
    put_hex(out, y->body.ptr, y->body.len);
    put(out, "\n");
    if (n >= 0)
      assert_memory_equal(&f[k], y, sizeof *y);
    k++;
  }
  if (n >= 0)
    assert_int_equal(n, k);
}

/* torn's reading of `req` in the oracle's words. */
static void dump(tn_req_t *req, tn_buf_t *out) {
  const tn_file_t *files;
  int nfiles = tn_get_all_files(req, &files);
  if (nfiles < 0) {
    assert_int_equal(req->status, 400);
    put(out, "E\n");
    return;
  }
  for (size_t i = 0; i < req->body_args.n; i++)
    dump_args(req, i, out);
  for (size_t i = 0; i < req->files.n; i++)
    dump_files(req, i, out);
}

static void write_file(const char *dir, const char *name, const void *data,
                       size_t len) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

/* The whole of a file or a command's output, NUL-terminated. */
static void read_all(FILE *f, tn_buf_t *b) {
  assert_non_null(f);
  for (;;) {
    assert_int_equal(tn__buf_reserve(b, 65536), 0);
    size_t n = fread(b->data + b->len, 1, 65536, f);
    b->len += n;
    if (n == 0)
      break;
  }
  b->data[b->len] = '\0';
}

static void read_case(const char *dir, const char *id, const char *ext,
                      tn_buf_t *b) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s%s", dir, id, ext);
  FILE *f = fopen(path, "rb");
  b->len = 0;
  read_all(f, b);
  fclose(f);
}

static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512];
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  }
  if (d)
    closedir(d);
  rmdir(dir);
}

static void add_case(const char *dir, FILE *list, const char *id,
                     const char *type, const char *body, size_t len) {
  char name[32];
  snprintf(name, sizeof name, "%s.ct", id);
  write_file(dir, name, type, strlen(type));
  snprintf(name, sizeof name, "%s.body", id);
  write_file(dir, name, body, len);
  fprintf(list, "%s\n", id);
}

/* Compares torn's reading of every case the oracle printed with
 * Tornado's; returns the number of cases. */
static int compare(const char *dir, char *report, int *mismatches) {
  int ncases = 0;
  tn_buf_t type = {0}, body = {0}, ours = {0};
  char *line = strtok(report, "\n");
  while (line && strncmp(line, "CASE ", 5) == 0) {
    const char *id = line + 5;
    tn_buf_t want = {0};
    while ((line = strtok(NULL, "\n")) && strcmp(line, "END") != 0) {
      put(&want, line);
      put(&want, "\n");
    }
    assert_non_null(line);
    read_case(dir, id, ".ct", &type);
    read_case(dir, id, ".body", &body);
    tn_req_t *req = req_new(type.data, NULL, body.data, body.len);
    ours.len = 0;
    dump(req, &ours);
    req_free(req);
    if (strcmp(terminated(&ours), terminated(&want)) != 0) {
      printf("# case %s: torn\n#   %.300s\n# Tornado\n#   %.300s\n", id,
             ours.data, want.data);
      ++*mismatches;
    }
    tn_buf_free(&want);
    ncases++;
    line = strtok(NULL, "\n");
  }
  assert_non_null(line);
  assert_int_equal(strncmp(line, "DONE ", 5), 0);
  tn_buf_free(&type);
  tn_buf_free(&body);
  tn_buf_free(&ours);
  return ncases;
}

static void test_tornado_oracle(void **state) {
  (void)state;
  if (access("/usr/bin/python3", X_OK) != 0) {
    printf("# no /usr/bin/python3: the Tornado oracle is skipped\n");
    skip();
  }
  char dir[] = "/tmp/torn-multipart-XXXXXX";
  assert_non_null(mkdtemp(dir));
  write_file(dir, "oracle.py", oracle_py, strlen(oracle_py));
  char path[256], id[16];
  snprintf(path, sizeof path, "%s/cases", dir);
  FILE *list = fopen(path, "w");
  assert_non_null(list);
  size_t nhand = 0;
  for (size_t i = 0; i < sizeof oracle_bodies / sizeof *oracle_bodies; i++) {
    const body_t *b = &oracle_bodies[i];
    snprintf(id, sizeof id, "h%zu", nhand++);
    add_case(dir, list, id, b->type, b->body, b->len);
  }
  for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
    const malformed_t *m = &malformed[i];
    snprintf(id, sizeof id, "h%zu", nhand++);
    add_case(dir, list, id, m->type, m->body, strlen(m->body));
  }
  assert_int_equal(fclose(list), 0);

  char cmd[600];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/oracle.py %s", dir, dir);
  tn_buf_t report = {0};
  FILE *p = popen(cmd, "r");
  read_all(p, &report);
  int status = pclose(p);
  if (strncmp(report.data, "SKIP", 4) == 0) {
    printf("# %s", report.data);
    tn_buf_free(&report);
    remove_dir(dir);
    skip();
  }
  assert_int_equal(status, 0);
  int mismatches = 0;
  int ncases = compare(dir, report.data, &mismatches);
  printf("# Tornado and torn agree on %d of %d bodies (%zu here, the others"
         " made by curl, by Python's email and at random)\n",
         ncases - mismatches, ncases, nhand);
  tn_buf_free(&report);
  remove_dir(dir);
  assert_int_equal(mismatches, 0);
  assert_true((size_t)ncases >= nhand + 400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fields_and_files),
      cmocka_unit_test(test_repeated_names),
      cmocka_unit_test(test_binary_content),
      cmocka_unit_test(test_filenames),
      cmocka_unit_test(test_header_forms),
      cmocka_unit_test(test_crlf_only_delimiters),
      cmocka_unit_test(test_boundaries),
      cmocka_unit_test(test_epilogue_and_empty_values),
      cmocka_unit_test(test_many_parts),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_junk_body_unread),
      cmocka_unit_test(test_not_multipart),
      cmocka_unit_test(test_ten_megabytes),
      cmocka_unit_test(test_tornado_oracle),
  };
  return cmocka_run_group_tests_name("multipart", tests, group_setup,
                                     group_teardown);
}
