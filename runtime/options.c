/* options.c -- the command line of a torn server, and tn_main. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void tn_options_init(tn_options_t *opts) {
  *opts = (tn_options_t){
      .address = "127.0.0.1",
      .port = 8888,
      .workers = 0,
      .log_level = TN_LOG_INFO,
      .max_body_size = 16u << 20,
      .max_header_size = 8192,
      .idle_timeout_ms = 60000,
      .header_timeout_ms = 10000,
      .body_timeout_ms = 30000,
      .stop_timeout_ms = 10000,
  };
}

static void usage(FILE *out, const char *prog) {
  fprintf(out,
          "usage: %s [options]\n"
          "\n"
          "options:\n"
          "  --address ADDR   listen address (default 127.0.0.1; '::1' for IPv6)\n"
          "  --port N         listen port (default 8888)\n"
          "  --help           show this help and exit\n"
          "  --version        show the torn version and exit\n",
          prog);
}

static int parse_port(const char *s, int *port) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 65535)
    return TN_EINVAL;
  *port = (int)v;
  return 0;
}

/* Accepts "--name value" and "--name=value". */
static const char *option_value(const char *arg, const char *name, int *i,
                                int argc, char **argv) {
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0)
    return NULL;
  if (arg[n] == '=')
    return arg + n + 1;
  if (arg[n] == '\0' && *i + 1 < argc)
    return argv[++*i];
  return NULL;
}

int tn_options_parse(tn_options_t *opts, const char *prog, int argc,
                     char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *v;
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      usage(stdout, prog);
      return 1;
    } else if (!strcmp(arg, "--version")) {
      printf("torn %s\n", TN_VERSION);
      return 1;
    } else if ((v = option_value(arg, "--address", &i, argc, argv))) {
      opts->address = v;
    } else if ((v = option_value(arg, "--port", &i, argc, argv))) {
      if (parse_port(v, &opts->port)) {
        fprintf(stderr, "%s: invalid port '%s' (expected 0-65535)\n", prog, v);
        return TN_EINVAL;
      }
    } else {
      fprintf(stderr, "%s: unknown or incomplete option '%s'\n", prog, arg);
      usage(stderr, prog);
      return TN_EINVAL;
    }
  }
  return 0;
}

int tn_main(const tn_app_t *app, int argc, char **argv) {
  tn_options_t opts;
  tn_options_init(&opts);
  const char *prog = argc > 0 ? argv[0] : app->name;
  int r = tn_options_parse(&opts, prog, argc, argv);
  if (r)
    return r > 0 ? 0 : 2;
  return tn_serve(app, &opts) ? 1 : 0;
}
