/* match_bench.c -- how long one lookup in a tornc route table takes.
 *
 * Built once per table by bench/run_routes, against the C that tornc and
 * re2c made of it and the sample requests bench/routes/troute.py wrote:
 *
 *   cc -O2 -DAPP_H='"github.h"' -DSAMPLES_H='"github_samples.h"'
 *      -DAPP_MATCH=github_match -DAPP_NAME='"github"' match_bench.c
 *      github_routes.o handlers.o libtorn.a ...
 *
 *   match_bench [SECONDS]      (default 1.5)
 *
 * First every sample is looked up once and checked: the route id and each
 * capture must be the expected ones, else it prints the differences and
 * exits 1. Then it loops over all the samples, in order, as
 * go-http-routing-benchmark's "All" benchmarks do, for about SECONDS in
 * ROUNDS rounds, and prints one line:
 *
 *   APP routes=N samples=N lookups=N ns=MEDIAN min=MIN
 *
 * where MEDIAN and MIN are nanoseconds per lookup (wall clock, the round's
 * total divided by its lookups) of the median and the fastest round.
 *
 * The paths are the samples' string literals: NUL-terminated, as the
 * matcher requires (path[len] is '\0', '?' or ' '), their lengths computed
 * before timing. The matcher is in another translation unit, so every call
 * is a real call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include APP_H

/* One sample request and what it must match. */
struct sample {
  unsigned method;         /* one TN_METHOD_* bit */
  const char *path;        /* NUL-terminated */
  int route;               /* the expected route id */
  unsigned ncaps;          /* the expected number of parameters */
  const char *const *caps; /* and their text */
};

#include SAMPLES_H

#define NSAMPLES (sizeof samples / sizeof samples[0])
#define ROUNDS 5
#define MAX_CAPS 64 /* more than any table here has parameters */

static size_t lens[NSAMPLES];

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Looks every sample up once; returns the number of wrong answers. */
static int verify(void)
{
  int bad = 0;
  for (size_t i = 0; i < NSAMPLES; i++) {
    const struct sample *s = &samples[i];
    tn_str_t caps[MAX_CAPS];
    unsigned allow = 0;
    memset(caps, 0, sizeof caps);
    int r = APP_MATCH(s->method, s->path, lens[i], caps, &allow);
    if (r != s->route) {
      fprintf(stderr, "%s: %s %s: route %d, expected %d (allow 0x%x)\n", APP_NAME,
              tn_method_name(s->method), s->path, r, s->route, allow);
      bad++;
      continue;
    }
    for (unsigned k = 0; k < s->ncaps; k++) {
      size_t n = strlen(s->caps[k]);
      if (caps[k].len != n || caps[k].ptr == NULL || memcmp(caps[k].ptr, s->caps[k], n) != 0) {
        fprintf(stderr, "%s: %s %s: capture %u is '%.*s', expected '%s'\n", APP_NAME,
                tn_method_name(s->method), s->path, k, (int)caps[k].len,
                caps[k].ptr ? caps[k].ptr : "", s->caps[k]);
        bad++;
      }
    }
  }
  return bad;
}

/* `passes` passes over all the samples; returns the seconds they took. The
 * sum of the results goes to a volatile, so no call can be dropped. */
static volatile long sink;

static double run(long passes)
{
  tn_str_t caps[MAX_CAPS];
  unsigned allow;
  long sum = 0;
  double t0 = now();
  for (long p = 0; p < passes; p++)
    for (size_t i = 0; i < NSAMPLES; i++)
      sum += APP_MATCH(samples[i].method, samples[i].path, lens[i], caps, &allow);
  double t = now() - t0;
  sink = sum;
  return t;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  double seconds = argc > 1 ? atof(argv[1]) : 1.5;
  if (argc > 2 || !(seconds > 0 && seconds < 600)) {
    fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
    return 2;
  }
  for (size_t i = 0; i < NSAMPLES; i++)
    lens[i] = strlen(samples[i].path);

  int bad = verify();
  if (bad) {
    fprintf(stderr, "%s: %d wrong answer(s) in %zu samples\n", APP_NAME, bad, NSAMPLES);
    return 1;
  }

  /* Calibrate: double the passes until a run takes 20 ms. */
  long passes = 1;
  double t;
  while ((t = run(passes)) < 0.02)
    passes *= 2;
  long per_round = (long)(passes * (seconds / ROUNDS) / t);
  if (per_round < 1)
    per_round = 1;

  double ns[ROUNDS];
  for (int k = 0; k < ROUNDS; k++)
    ns[k] = run(per_round) * 1e9 / ((double)per_round * NSAMPLES);
  qsort(ns, ROUNDS, sizeof ns[0], cmp_double);
  printf("%s routes=%d samples=%zu lookups=%ld ns=%.1f min=%.1f\n", APP_NAME, APP_NROUTES,
         NSAMPLES, per_round * (long)NSAMPLES * ROUNDS, ns[ROUNDS / 2], ns[0]);
  return 0;
}
