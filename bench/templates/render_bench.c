/* render_bench.c -- the bigtable page rendered in a loop, for
 * bench/run_templates: torn's half of Tornado's template benchmark.
 *
 *   render_bench [--rounds R] [--round-seconds S] [--out-dir DIR] [VARIANT...]
 *
 * VARIANT is typed (tplbench_render_string_bigtable over the C data of
 * bigtable.h) or json (tplbench_render_string_bigtable_json over the same
 * data in jansson values); default both. For each: one render, written to
 * DIR/torn-VARIANT.html when --out-dir is given (for the byte-for-byte
 * check against Tornado's),
 * then, as Python's timeit.Timer.autorange() does, the number of renders N
 * (1, 2, 5, 10, 20, 50, ...) that takes at least S seconds (default 0.2),
 * then R rounds (default 7) of N renders into one reused tn_buf_t (its len
 * reset to 0 before each render, so only the first render allocates).
 * Prints one line per variant:
 *
 *   VARIANT bytes=B renders=N rounds=R us_median=X us_min=Y mbps=Z
 *
 * us_* are microseconds per render (the median round, the fastest round),
 * mbps = B / us_median (10^6 bytes per second). Exit status 1 if a render
 * fails. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tplbench.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int render(int json, tn_buf_t *b) {
  b->len = 0;
  if (json) {
    const struct bt_json *j = bt_json();
    return tplbench_render_string_bigtable_json(b, j->page_title, j->nav,
                                                j->table);
  }
  return tplbench_render_string_bigtable(b, bt_page_title, bt_nav, BT_NNAV,
                                         bt_rows, BT_NROWS);
}

/* Seconds for n renders; exits on a failed render. */
static double timed(int json, tn_buf_t *b, long n) {
  double t0 = now();
  for (long i = 0; i < n; i++)
    if (render(json, b)) {
      fprintf(stderr, "render_bench: render failed\n");
      exit(1);
    }
  return now() - t0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int bench(const char *variant, int rounds, double round_seconds,
                 const char *out_dir) {
  int json = !strcmp(variant, "json");
  tn_buf_t b = {0};
  int r = render(json, &b);
  if (r) {
    fprintf(stderr, "render_bench: %s: render failed (%d)\n", variant, r);
    return 1;
  }
  if (!b.data || b.data[b.len] != '\0') {
    fprintf(stderr, "render_bench: %s: output not NUL-terminated\n", variant);
    return 1;
  }
  if (out_dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/torn-%s.html", out_dir, variant);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f)) {
      fprintf(stderr, "render_bench: %s: %s\n", path, strerror(errno));
      return 1;
    }
  }
  size_t bytes = b.len;

  /* timeit's autorange: 1, 2, 5 × 10^k renders until one round is long
   * enough. */
  long n = 1;
  for (long base = 1;; base *= 10) {
    static const int steps[] = {1, 2, 5};
    int done = 0;
    for (int s = 0; s < 3 && !done; s++) {
      n = base * steps[s];
      done = timed(json, &b, n) >= round_seconds;
    }
    if (done)
      break;
  }

  double *us = calloc((size_t)rounds, sizeof *us);
  if (!us)
    return 1;
  for (int i = 0; i < rounds; i++) {
    us[i] = timed(json, &b, n) * 1e6 / (double)n;
    if (b.len != bytes) {
      fprintf(stderr, "render_bench: %s: a render wrote %zu bytes, the first %zu\n",
              variant, b.len, bytes);
      return 1;
    }
  }
  qsort(us, (size_t)rounds, sizeof *us, cmp_double);
  double median = rounds % 2 ? us[rounds / 2]
                             : (us[rounds / 2 - 1] + us[rounds / 2]) / 2;
  printf("%s bytes=%zu renders=%ld rounds=%d us_median=%.3f us_min=%.3f mbps=%.1f\n",
         variant, bytes, n, rounds, median, us[0], (double)bytes / median);
  fflush(stdout);
  free(us);
  tn_buf_free(&b);
  return 0;
}

static void usage(void) {
  fputs("usage: render_bench [--rounds R] [--round-seconds S] [--out-dir DIR] "
        "[typed|json ...]\n", stderr);
  exit(2);
}

int main(int argc, char **argv) {
  int rounds = 7;
  double round_seconds = 0.2;
  const char *out_dir = NULL; /* no page written unless asked */
  const char *variants[8];
  int nvariants = 0;
  for (int i = 1; i < argc; i++) {
    char *end;
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = (int)strtol(argv[++i], &end, 10);
      if (*end || rounds < 1)
        usage();
    } else if (!strcmp(argv[i], "--round-seconds") && i + 1 < argc) {
      round_seconds = strtod(argv[++i], &end);
      if (*end || !(round_seconds > 0))
        usage();
    } else if (!strcmp(argv[i], "--out-dir") && i + 1 < argc) {
      out_dir = argv[++i];
    } else if ((!strcmp(argv[i], "typed") || !strcmp(argv[i], "json")) &&
               nvariants < 8) {
      variants[nvariants++] = argv[i];
    } else {
      usage();
    }
  }
  if (!nvariants) {
    variants[nvariants++] = "typed";
    variants[nvariants++] = "json";
  }
  for (int i = 0; i < nvariants; i++)
    if (bench(variants[i], rounds, round_seconds, out_dir))
      return 1;
  return 0;
}
