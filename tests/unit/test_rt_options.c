/* test_rt_options.c -- the server's options: every one on the command line
 * (both syntaxes) and in the environment, which comes first, sizes and
 * seconds, bad values and their messages, --help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <unistd.h>

#include "internal.h"

/* --- Helpers ------------------------------------------------------------- */

#define MAX_ARGS 40

/* Parses a command line given as one string of space-separated words into
 * fresh defaults (then the environment, if `env`). */
static int parse_line(tn_options_t *o, const char *line) {
  static char buf[512];
  char *argv[MAX_ARGS] = {"prog"};
  int argc = 1;
  snprintf(buf, sizeof buf, "%s", line);
  for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
    assert_true(argc < MAX_ARGS);
    argv[argc++] = w;
  }
  tn_options_init(o);
  return tn_options_parse(o, "prog", argc, argv);
}

/* Output of a call: stderr (or stdout) captured in a file. */
static char captured[8192];

static FILE *capture_begin(int fd, int *saved) {
  FILE *f = tmpfile();
  assert_non_null(f);
  fflush(fd == 1 ? stdout : stderr);
  *saved = dup(fd);
  dup2(fileno(f), fd);
  return f;
}

static void capture_end(FILE *f, int fd, int saved) {
  fflush(fd == 1 ? stdout : stderr);
  dup2(saved, fd);
  close(saved);
  rewind(f);
  size_t n = fread(captured, 1, sizeof captured - 1, f);
  captured[n] = '\0';
  fclose(f);
}

/* A command line that must be refused, with a message holding `want`. */
static void expect_bad(const char *line, const char *want) {
  tn_options_t o;
  int saved;
  FILE *f = capture_begin(2, &saved);
  int r = parse_line(&o, line);
  capture_end(f, 2, saved);
  if (r != TN_EINVAL)
    fail_msg("'%s' was accepted", line);
  if (!strstr(captured, want))
    fail_msg("'%s': message %s lacks '%s'", line, captured, want);
}

/* One argument, taken whole (it may hold spaces): refused, or parsed. */
static int parse_one(tn_options_t *o, const char *arg) {
  char *argv[] = {"prog", (char *)arg, NULL};
  int saved;
  FILE *f = capture_begin(2, &saved);
  tn_options_init(o);
  int r = tn_options_parse(o, "prog", 2, argv);
  capture_end(f, 2, saved);
  return r;
}

static void expect_bad_arg(const char *arg, const char *want) {
  tn_options_t o;
  if (parse_one(&o, arg) != TN_EINVAL)
    fail_msg("'%s' was accepted", arg);
  if (!strstr(captured, want))
    fail_msg("'%s': message %s lacks '%s'", arg, captured, want);
}

static void expect_ok(const char *line, tn_options_t *o) {
  int saved;
  FILE *f = capture_begin(2, &saved);
  int r = parse_line(o, line);
  capture_end(f, 2, saved);
  if (r != 0)
    fail_msg("'%s' refused: %s", line, captured);
}

static const char *const env_names[] = {
    "TORN_ADDRESS",         "TORN_PORT",           "TORN_WORKERS",
    "TORN_LOG_LEVEL",       "TORN_ACCESS_LOG",     "TORN_COOKIE_SECRET",
    "TORN_XHEADERS",        "TORN_MAX_BODY_SIZE",  "TORN_MAX_HEADER_SIZE",
    "TORN_IDLE_TIMEOUT",    "TORN_HEADER_TIMEOUT", "TORN_BODY_TIMEOUT",
    "TORN_STOP_TIMEOUT"};
#define NENV (sizeof env_names / sizeof *env_names)

static int clear_env(void **state) {
  (void)state;
  for (size_t i = 0; i < NENV; i++)
    unsetenv(env_names[i]);
  return 0;
}

/* --- Every option, both syntaxes ----------------------------------------- */

/* Each option set to a non-default value, checked field by field. */
static void check_all_set(const tn_options_t *o) {
  assert_string_equal(o->address, "::1");
  assert_int_equal(o->port, 9000);
  assert_int_equal(o->workers, 3);
  assert_int_equal(o->log_level, TN_LOG_WARNING);
  assert_string_equal(o->access_log, "/tmp/a.log");
  assert_string_equal(o->cookie_secret, "s3cr3t");
  assert_int_equal(o->xheaders, 1);
  assert_int_equal(o->max_body_size, 2u << 20);
  assert_int_equal(o->max_header_size, 16384);
  assert_int_equal(o->idle_timeout_ms, 5000);
  assert_int_equal(o->header_timeout_ms, 2500);
  assert_int_equal(o->body_timeout_ms, 100);
  assert_int_equal(o->stop_timeout_ms, 0);
}

static void test_defaults(void **state) {
  (void)state;
  tn_options_t o;
  expect_ok("", &o);
  assert_string_equal(o.address, "127.0.0.1");
  assert_int_equal(o.port, 8888);
  assert_int_equal(o.workers, 0);
  assert_int_equal(o.log_level, TN_LOG_INFO);
  assert_null(o.access_log);
  assert_null(o.cookie_secret);
  assert_int_equal(o.xheaders, 0);
  assert_int_equal(o.max_body_size, 16u << 20);
  assert_int_equal(o.max_header_size, 8192);
  assert_int_equal(o.idle_timeout_ms, 60000);
  assert_int_equal(o.header_timeout_ms, 10000);
  assert_int_equal(o.body_timeout_ms, 30000);
  assert_int_equal(o.stop_timeout_ms, 10000);
  /* The environment, empty, changes nothing. */
  assert_int_equal(tn_options_from_env(&o, "prog"), 0);
  assert_int_equal(o.port, 8888);
}

static void test_every_option_separate(void **state) {
  (void)state;
  tn_options_t o;
  expect_ok("--address ::1 --port 9000 --workers 3 --log-level warning "
            "--access-log /tmp/a.log --cookie-secret s3cr3t --xheaders "
            "--max-body-size 2M --max-header-size 16K --idle-timeout 5 "
            "--header-timeout 2.5 --body-timeout 0.1 --stop-timeout 0",
            &o);
  check_all_set(&o);
}

static void test_every_option_equals_ok(void **state) {
  (void)state;
  tn_options_t o;
  expect_ok("--address=::1 --port=9000 --workers=3 --log-level=warning "
            "--access-log=/tmp/a.log --cookie-secret=s3cr3t --xheaders=1 "
            "--max-body-size=2m --max-header-size=16384 --idle-timeout=5.0 "
            "--header-timeout=2.500 --body-timeout=0.1 --stop-timeout=0.0",
            &o);
  check_all_set(&o);
}

static void test_every_option_env(void **state) {
  (void)state;
  setenv("TORN_ADDRESS", "::1", 1);
  setenv("TORN_PORT", "9000", 1);
  setenv("TORN_WORKERS", "3", 1);
  setenv("TORN_LOG_LEVEL", "WARNING", 1);
  setenv("TORN_ACCESS_LOG", "/tmp/a.log", 1);
  setenv("TORN_COOKIE_SECRET", "s3cr3t", 1);
  setenv("TORN_XHEADERS", "yes", 1);
  setenv("TORN_MAX_BODY_SIZE", "2048K", 1);
  setenv("TORN_MAX_HEADER_SIZE", "16k", 1);
  setenv("TORN_IDLE_TIMEOUT", "5", 1);
  setenv("TORN_HEADER_TIMEOUT", "2.5", 1);
  setenv("TORN_BODY_TIMEOUT", "0.1", 1);
  setenv("TORN_STOP_TIMEOUT", "0", 1);
  tn_options_t o;
  tn_options_init(&o);
  assert_int_equal(tn_options_from_env(&o, "prog"), 0);
  check_all_set(&o);
  clear_env(NULL);
}

/* tn_main's order: the environment, then the command line over it. */
static void test_argv_wins(void **state) {
  (void)state;
  setenv("TORN_PORT", "7000", 1);
  setenv("TORN_WORKERS", "2", 1);
  setenv("TORN_COOKIE_SECRET", "from-env", 1);
  setenv("TORN_XHEADERS", "1", 1);
  setenv("TORN_LOG_LEVEL", "", 1); /* empty: unset */
  tn_options_t o;
  tn_options_init(&o);
  assert_int_equal(tn_options_from_env(&o, "prog"), 0);
  char *argv[] = {"prog", "--port", "8000", "--xheaders=off", NULL};
  assert_int_equal(tn_options_parse(&o, "prog", 4, argv), 0);
  assert_int_equal(o.port, 8000);          /* argv */
  assert_int_equal(o.xheaders, 0);         /* argv */
  assert_int_equal(o.workers, 2);          /* env */
  assert_string_equal(o.cookie_secret, "from-env");
  assert_int_equal(o.log_level, TN_LOG_INFO); /* default */
  clear_env(NULL);
}

static void test_bad_env(void **state) {
  (void)state;
  static const struct {
    const char *name, *value, *want;
  } cases[] = {
      {"TORN_PORT", "http", "invalid TORN_PORT 'http' (expected an integer "
                            "from 0 to 65535)"},
      {"TORN_WORKERS", "-1", "TORN_WORKERS"},
      {"TORN_LOG_LEVEL", "loud", "debug, info, warning, error or none"},
      {"TORN_XHEADERS", "2", "invalid TORN_XHEADERS '2'"},
      {"TORN_MAX_BODY_SIZE", "1T", "TORN_MAX_BODY_SIZE"},
      {"TORN_STOP_TIMEOUT", "forever", "TORN_STOP_TIMEOUT"},
      {"TORN_ADDRESS", "localhost", "an IPv4 or IPv6 address"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    setenv(cases[i].name, cases[i].value, 1);
    tn_options_t o;
    tn_options_init(&o);
    int saved;
    FILE *f = capture_begin(2, &saved);
    int r = tn_options_from_env(&o, "prog");
    capture_end(f, 2, saved);
    unsetenv(cases[i].name);
    assert_int_equal(r, TN_EINVAL);
    if (!strstr(captured, cases[i].want) || strncmp(captured, "prog: ", 6))
      fail_msg("%s=%s: message %s", cases[i].name, cases[i].value, captured);
  }
}

/* --- Values -------------------------------------------------------------- */

static void test_sizes(void **state) {
  (void)state;
  static const struct {
    const char *arg;
    uint64_t want;
  } ok[] = {
      {"0", 0},
      {"1", 1},
      {"1k", 1024},
      {"1K", 1024},
      {"3M", 3u << 20},
      {"2g", 2ull << 30},
      {"17179869183G", 17179869183ull << 30},
      {"18446744073709551615", UINT64_MAX},
  };
  tn_options_t o;
  char line[64];
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    snprintf(line, sizeof line, "--max-body-size %s", ok[i].arg);
    expect_ok(line, &o);
    assert_true(o.max_body_size == ok[i].want);
  }
  static const char *const bad[] = {
      "",   "-1",  "+1", " 1", "1 ", "1KB", "1T",  "1.5M", "K", "0x10",
      "18446744073709551616", "17179869184G", "1e3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(line, sizeof line, "--max-body-size=%s", bad[i]);
    expect_bad_arg(line, "invalid --max-body-size");
  }
  /* The header limit's own range: 256 bytes to 1 MiB. */
  expect_ok("--max-header-size 256", &o);
  assert_int_equal(o.max_header_size, 256);
  expect_ok("--max-header-size 1M", &o);
  assert_int_equal(o.max_header_size, 1u << 20);
  expect_bad("--max-header-size 255", "from 256 to 1M");
  expect_bad("--max-header-size 1025K", "--max-header-size");
  expect_bad("--max-header-size 4G", "--max-header-size");
}

static void test_seconds(void **state) {
  (void)state;
  static const struct {
    const char *arg;
    uint32_t want;
  } ok[] = {
      {"0", 0},          {"0.0", 0},       {"0.5", 500},
      {"10", 10000},     {"1.25", 1250},   {"0.001", 1},
      {"0.0005", 1},     {"0.0004999", 0}, {"1.2345", 1235},
      {"2.9999", 3000},  {"007", 7000},    {"4294967.295", 4294967295u},
  };
  tn_options_t o;
  char line[64];
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    snprintf(line, sizeof line, "--stop-timeout %s", ok[i].arg);
    expect_ok(line, &o);
    if (o.stop_timeout_ms != ok[i].want)
      fail_msg("%s: %u ms, expected %u", ok[i].arg, o.stop_timeout_ms,
               ok[i].want);
  }
  static const char *const bad[] = {"",   "-1",   "1.", ".5",  "1e3", "1s",
                                    "1,5", "0x1", "inf", "nan", " 1",
                                    "4294967.2955", "4294968"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(line, sizeof line, "--stop-timeout=%s", bad[i]);
    expect_bad_arg(line, "invalid --stop-timeout");
  }
  /* Only the stop may take 0: the others must be able to fire. */
  expect_bad("--idle-timeout 0", "seconds above 0");
  expect_bad("--header-timeout 0.0004", "--header-timeout");
  expect_bad("--body-timeout=0", "--body-timeout");
  expect_ok("--idle-timeout 0.001 --header-timeout 86400 --body-timeout 1",
            &o);
  assert_int_equal(o.idle_timeout_ms, 1);
  assert_int_equal(o.header_timeout_ms, 86400000);
  assert_int_equal(o.body_timeout_ms, 1000);
}

static void test_flag_and_levels(void **state) {
  (void)state;
  static const struct {
    const char *line;
    int want;
  } flags[] = {
      {"--xheaders", 1},        {"--xheaders=1", 1},   {"--xheaders=0", 0},
      {"--xheaders=true", 1},   {"--xheaders=FALSE", 0},
      {"--xheaders=on", 1},     {"--xheaders=off", 0}, {"--xheaders=no", 0},
      {"--xheaders --xheaders=0", 0},
  };
  tn_options_t o;
  for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
    expect_ok(flags[i].line, &o);
    assert_int_equal(o.xheaders, flags[i].want);
  }
  expect_bad("--xheaders=2", "1 or 0");
  expect_bad("--xheaders=", "--xheaders");
  /* A flag takes no separate value: "0" is then a stray argument. */
  expect_bad("--xheaders 0", "unknown option '0'");

  static const struct {
    const char *name;
    int want;
  } levels[] = {{"debug", TN_LOG_DEBUG},     {"info", TN_LOG_INFO},
                {"warning", TN_LOG_WARNING}, {"warn", TN_LOG_WARNING},
                {"error", TN_LOG_ERROR},     {"none", TN_LOG_NONE},
                {"INFO", TN_LOG_INFO}};
  char line[64];
  for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
    snprintf(line, sizeof line, "--log-level %s", levels[i].name);
    expect_ok(line, &o);
    assert_int_equal(o.log_level, levels[i].want);
  }
  expect_bad("--log-level verbose",
             "invalid --log-level 'verbose' (expected debug, info, warning, "
             "error or none)");
}

static void test_numbers_and_strings(void **state) {
  (void)state;
  tn_options_t o;
  expect_ok("--port 0 --workers 0", &o);
  assert_int_equal(o.port, 0);
  expect_ok("--port 65535 --workers 256", &o);
  assert_int_equal(o.port, 65535);
  assert_int_equal(o.workers, 256);
  expect_bad("--port 65536", "invalid --port '65536' (expected an integer "
                             "from 0 to 65535)");
  expect_bad("--port -1", "--port");
  expect_bad("--port 80x", "--port");
  expect_bad("--port 99999999999999999999999", "--port");
  expect_bad("--workers 257", "--workers");
  expect_bad("--workers two", "--workers");

  expect_ok("--address 0.0.0.0", &o);
  assert_string_equal(o.address, "0.0.0.0");
  expect_ok("--address=::", &o);
  assert_string_equal(o.address, "::");
  expect_bad("--address localhost", "invalid --address 'localhost'");
  expect_bad("--address 1.2.3", "--address");
  expect_bad("--address [::1]", "--address");

  expect_ok("--access-log -", &o);
  assert_string_equal(o.access_log, "-");
  expect_bad("--access-log=", "--access-log");
  expect_bad("--cookie-secret=", "--cookie-secret");
}

static void test_usage_errors(void **state) {
  (void)state;
  expect_bad("--nope", "unknown option '--nope'");
  expect_bad("--portx 1", "unknown option '--portx'");
  expect_bad("--por 1", "unknown option '--por'");
  expect_bad("-p 1", "unknown option '-p'");
  expect_bad("stray", "unknown option 'stray'");
  expect_bad("--port", "--port needs a value (an integer from 0 to 65535)");
  expect_bad("--workers 2 --cookie-secret", "--cookie-secret needs a value");
}

/* --- Help ---------------------------------------------------------------- */

static void test_help(void **state) {
  (void)state;
  tn_options_t o;
  int saved;
  FILE *f = capture_begin(1, &saved);
  int r = parse_line(&o, "--port 1 --help --nope");
  capture_end(f, 1, saved);
  assert_int_equal(r, 1);
  static const char *const want[] = {
      "usage: prog [options]",
      "--address ADDR", "(default 127.0.0.1; TORN_ADDRESS)",
      "--port N", "(default 8888; TORN_PORT)",
      "--workers N", "(default 0; TORN_WORKERS)",
      "--log-level LEVEL", "(default info; TORN_LOG_LEVEL)",
      "--access-log FILE", "(default none; TORN_ACCESS_LOG)",
      "--cookie-secret SECRET", "TORN_COOKIE_SECRET",
      "ps", /* why the secret belongs in the environment */
      "--xheaders ", "(default 0; TORN_XHEADERS)",
      "--max-body-size SIZE", "(default 16M; TORN_MAX_BODY_SIZE)",
      "--max-header-size SIZE", "(default 8K; TORN_MAX_HEADER_SIZE)",
      "--idle-timeout SECONDS", "(default 60; TORN_IDLE_TIMEOUT)",
      "--header-timeout SECONDS", "(default 10; TORN_HEADER_TIMEOUT)",
      "--body-timeout SECONDS", "(default 30; TORN_BODY_TIMEOUT)",
      "--stop-timeout SECONDS", "(default 10; TORN_STOP_TIMEOUT)",
      "--help", "--version"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    if (!strstr(captured, want[i]))
      fail_msg("--help lacks '%s':\n%s", want[i], captured);
  /* Wrapped for a terminal. */
  for (char *line = strtok(captured, "\n"); line; line = strtok(NULL, "\n"))
    if (strlen(line) > 79)
      fail_msg("help line longer than 79: %s", line);

  f = capture_begin(1, &saved);
  r = parse_line(&o, "--version");
  capture_end(f, 1, saved);
  assert_int_equal(r, 1);
  assert_string_equal(captured, "torn " TN_VERSION "\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_every_option_separate),
      cmocka_unit_test(test_every_option_equals_ok),
      cmocka_unit_test(test_every_option_env),
      cmocka_unit_test(test_argv_wins),
      cmocka_unit_test(test_bad_env),
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_seconds),
      cmocka_unit_test(test_flag_and_levels),
      cmocka_unit_test(test_numbers_and_strings),
      cmocka_unit_test(test_usage_errors),
      cmocka_unit_test(test_help),
  };
  return cmocka_run_group_tests(tests, clear_env, NULL);
}
