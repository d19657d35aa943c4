/* options.c -- the options of a torn server, from the command line and the
 * environment, and tn_main.
 *
 * One table describes every option: its name (--NAME on the command line,
 * TORN_NAME in the environment), the kind of value it takes, the field it
 * sets and its help. Parsing, error messages and --help all come from it,
 * so they cannot disagree. Usage errors go to stderr with fprintf, not
 * tn_log: they are the command's answer to its user, before any server. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

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

/* --- The table --------------------------------------------------------- */

typedef enum {
  OPT_ADDRESS, /* const char *: an IPv4 or IPv6 address */
  OPT_TEXT,    /* const char *: any non-empty string */
  OPT_INT,     /* int in [min, max] */
  OPT_LEVEL,   /* int: TN_LOG_* by name */
  OPT_FLAG,    /* int 0/1; on the command line alone means 1 */
  OPT_SIZE64,  /* uint64_t bytes in [min, max], K/M/G suffixes */
  OPT_SIZE32,  /* uint32_t the same */
  OPT_MS       /* uint32_t milliseconds given in seconds, in [min, max] */
} opt_kind_t;

typedef struct {
  const char *name; /* --name; TORN_NAME with '-' as '_', upper case */
  const char *env;
  const char *metavar;
  opt_kind_t kind;
  size_t offset; /* of the field in tn_options_t */
  uint64_t min, max;
  const char *form; /* what a valid value looks like, for errors */
  const char *help;
} opt_t;

#define FIELD(f) offsetof(tn_options_t, f)
#define MAX_MS 4294967295u /* uint32_t milliseconds: 49.7 days */

static const opt_t options[] = {
    {"address", "TORN_ADDRESS", "ADDR", OPT_ADDRESS, FIELD(address), 0, 0,
     "an IPv4 or IPv6 address, such as 127.0.0.1, 0.0.0.0 or ::",
     "listen on this address ('0.0.0.0': every IPv4 one; '::': every one)"},
    {"port", "TORN_PORT", "N", OPT_INT, FIELD(port), 0, 65535,
     "an integer from 0 to 65535", "listen on this port; 0: any free one"},
    {"workers", "TORN_WORKERS", "N", OPT_INT, FIELD(workers), 0,
     TN__MAX_WORKERS, "an integer from 0 (one per core) to 256",
     "event loops, each in a thread of its own; 0: one per core"},
    {"log-level", "TORN_LOG_LEVEL", "LEVEL", OPT_LEVEL, FIELD(log_level), 0,
     0, "debug, info, warning, error or none",
     "least severe server message written to stderr: debug, info, warning, "
     "error or none"},
    {"access-log", "TORN_ACCESS_LOG", "FILE", OPT_TEXT, FIELD(access_log), 0,
     0, "a file name, or - for stderr",
     "append a line per request to FILE ('-': stderr), in Common Log "
     "Format plus the request time in seconds; SIGHUP reopens FILE"},
    {"cookie-secret", "TORN_COOKIE_SECRET", "SECRET", OPT_TEXT,
     FIELD(cookie_secret), 0, 0, "a non-empty string",
     "key of signed cookies and XSRF tokens. Prefer TORN_COOKIE_SECRET: "
     "any user can read a command line with ps"},
    {"xheaders", "TORN_XHEADERS", NULL, OPT_FLAG, FIELD(xheaders), 0, 1,
     "1 or 0 (also true/false, yes/no, on/off)",
     "behind a proxy: take the client address from X-Real-IP or "
     "X-Forwarded-For (--xheaders=0: off)"},
    {"max-body-size", "TORN_MAX_BODY_SIZE", "SIZE", OPT_SIZE64,
     FIELD(max_body_size), 0, UINT64_MAX,
     "bytes, with an optional K, M or G suffix (16M)",
     "largest request body, else 413; K, M, G: KiB, MiB, GiB"},
    {"max-header-size", "TORN_MAX_HEADER_SIZE", "SIZE", OPT_SIZE32,
     FIELD(max_header_size), 256, 1u << 20,
     "bytes from 256 to 1M, with an optional K or M suffix",
     "largest request line and headers, else 431 (or 414)"},
    {"idle-timeout", "TORN_IDLE_TIMEOUT", "SECONDS", OPT_MS,
     FIELD(idle_timeout_ms), 1, MAX_MS, "seconds above 0, such as 60 or 0.5",
     "close a keep-alive connection idle this long"},
    {"header-timeout", "TORN_HEADER_TIMEOUT", "SECONDS", OPT_MS,
     FIELD(header_timeout_ms), 1, MAX_MS,
     "seconds above 0, such as 10 or 0.5",
     "close a connection that takes longer to send a request's head"},
    {"body-timeout", "TORN_BODY_TIMEOUT", "SECONDS", OPT_MS,
     FIELD(body_timeout_ms), 1, MAX_MS, "seconds above 0, such as 30 or 0.5",
     "close a connection that sends nothing of a body for this long"},
    {"stop-timeout", "TORN_STOP_TIMEOUT", "SECONDS", OPT_MS,
     FIELD(stop_timeout_ms), 0, MAX_MS, "seconds, such as 10 or 0.5",
     "on SIGINT or SIGTERM, time left to requests in progress before their "
     "connections are closed"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static const char *const level_names[] = {"debug", "info", "warning",
                                          "error", "none"};

/* --- Values ------------------------------------------------------------ */

/* Decimal digits only: no sign, no space. */
static int parse_u64(const char **s, uint64_t *out) {
  const char *p = *s;
  uint64_t v = 0;
  if (!isdigit((unsigned char)*p))
    return TN_EINVAL;
  for (; isdigit((unsigned char)*p); p++) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10)
      return TN_ERANGE;
    v = v * 10 + d;
  }
  *s = p;
  *out = v;
  return 0;
}

/* "8192", "64K", "16M", "1G": powers of 1024, either case. */
static int parse_size(const char *s, uint64_t *out) {
  uint64_t v;
  if (parse_u64(&s, &v))
    return TN_EINVAL;
  unsigned shift = 0;
  switch (*s) {
  case 'k': case 'K': shift = 10; s++; break;
  case 'm': case 'M': shift = 20; s++; break;
  case 'g': case 'G': shift = 30; s++; break;
  default: break;
  }
  if (*s != '\0' || v > (UINT64_MAX >> shift))
    return TN_EINVAL;
  *out = v << shift;
  return 0;
}

/* "10", "0.5", "2.25": seconds to milliseconds, rounded to the nearest. */
static int parse_ms(const char *s, uint64_t *out) {
  uint64_t whole, ms = 0;
  if (parse_u64(&s, &whole) || whole > UINT64_MAX / 1000 - 1)
    return TN_EINVAL;
  if (*s == '.') {
    s++;
    if (!isdigit((unsigned char)*s))
      return TN_EINVAL;
    /* The first three digits are milliseconds, the fourth rounds. */
    unsigned ndigits = 0, round = 0;
    for (; isdigit((unsigned char)*s); s++, ndigits++) {
      unsigned d = (unsigned)(*s - '0');
      if (ndigits < 3)
        ms = ms * 10 + d;
      else if (ndigits == 3)
        round = d >= 5;
    }
    for (; ndigits < 3; ndigits++)
      ms *= 10;
    ms += round;
  }
  if (*s != '\0')
    return TN_EINVAL;
  *out = whole * 1000 + ms;
  return 0;
}

static int parse_flag(const char *s, int *out) {
  static const char *const on[] = {"1", "true", "yes", "on"};
  static const char *const off[] = {"0", "false", "no", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (!strcasecmp(s, on[i]) || !strcasecmp(s, off[i])) {
      *out = !strcasecmp(s, on[i]);
      return 0;
    }
  }
  return TN_EINVAL;
}

static int parse_level(const char *s, int *out) {
  for (int i = TN_LOG_DEBUG; i <= TN_LOG_NONE; i++) {
    if (!strcasecmp(s, level_names[i])) {
      *out = i;
      return 0;
    }
  }
  /* "warn" is how many tools spell it. */
  if (!strcasecmp(s, "warn")) {
    *out = TN_LOG_WARNING;
    return 0;
  }
  return TN_EINVAL;
}

static bool is_address(const char *s) {
  unsigned char bin[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

/* Parses `v` for option `o` into `opts`; 0 or TN_EINVAL. */
static int set_value(tn_options_t *opts, const opt_t *o, const char *v) {
  char *field = (char *)opts + o->offset;
  uint64_t n;
  int i;
  switch (o->kind) {
  case OPT_ADDRESS:
    if (!is_address(v))
      return TN_EINVAL;
    *(const char **)field = v;
    return 0;
  case OPT_TEXT:
    if (*v == '\0')
      return TN_EINVAL;
    *(const char **)field = v;
    return 0;
  case OPT_INT: {
    const char *p = v;
    if (parse_u64(&p, &n) || *p || n < o->min || n > o->max)
      return TN_EINVAL;
    *(int *)field = (int)n;
    return 0;
  }
  case OPT_LEVEL:
    if (parse_level(v, &i))
      return TN_EINVAL;
    *(int *)field = i;
    return 0;
  case OPT_FLAG:
    if (parse_flag(v, &i))
      return TN_EINVAL;
    *(int *)field = i;
    return 0;
  case OPT_SIZE64:
  case OPT_SIZE32:
    if (parse_size(v, &n) || n < o->min || n > o->max)
      return TN_EINVAL;
    if (o->kind == OPT_SIZE64)
      *(uint64_t *)field = n;
    else
      *(uint32_t *)field = (uint32_t)n;
    return 0;
  case OPT_MS:
    if (parse_ms(v, &n) || n < o->min || n > o->max)
      return TN_EINVAL;
    *(uint32_t *)field = (uint32_t)n;
    return 0;
  }
  return TN_EINVAL;
}

static int set_or_complain(tn_options_t *opts, const opt_t *o, const char *v,
                           const char *prog, const char *source) {
  if (!set_value(opts, o, v))
    return 0;
  fprintf(stderr, "%s: invalid %s '%s' (expected %s)\n", prog, source, v,
          o->form);
  return TN_EINVAL;
}

/* --- Help -------------------------------------------------------------- */

/* A field's default as its option would be written: "16M", "0.5". */
static void format_value(char *out, size_t size, const opt_t *o,
                         const tn_options_t *d) {
  const char *field = (const char *)d + o->offset;
  uint64_t n = 0;
  switch (o->kind) {
  case OPT_ADDRESS:
  case OPT_TEXT: {
    const char *s = *(const char *const *)field;
    snprintf(out, size, "%s", s ? s : "none");
    return;
  }
  case OPT_INT:
  case OPT_FLAG:
    snprintf(out, size, "%d", *(const int *)field);
    return;
  case OPT_LEVEL:
    snprintf(out, size, "%s", level_names[*(const int *)field]);
    return;
  case OPT_SIZE64:
  case OPT_SIZE32: {
    n = o->kind == OPT_SIZE64 ? *(const uint64_t *)field
                              : *(const uint32_t *)field;
    int k = 0;
    while (k < 3 && n && n % 1024 == 0) {
      n /= 1024;
      k++;
    }
    snprintf(out, size, "%llu%.*s", (unsigned long long)n, k ? 1 : 0,
             &" KMG"[k]);
    return;
  }
  case OPT_MS:
    n = *(const uint32_t *)field;
    if (n % 1000)
      snprintf(out, size, "%llu.%03llu", (unsigned long long)(n / 1000),
               (unsigned long long)(n % 1000));
    else
      snprintf(out, size, "%llu", (unsigned long long)(n / 1000));
    return;
  }
}

#define HELP_INDENT 28
#define HELP_WIDTH 79

/* Prints `text` from column `col`, wrapped at HELP_WIDTH, continuation
 * lines indented to HELP_INDENT; then `tail` unbroken, on a line of its
 * own if it does not fit. */
static void print_wrapped(FILE *out, int col, const char *text,
                          const char *tail) {
  const char *p = text;
  while (*p || tail) {
    size_t word = *p ? strcspn(p, " ") : strlen(tail);
    if (col > HELP_INDENT && col + 1 + (int)word > HELP_WIDTH) {
      fprintf(out, "\n%*s", HELP_INDENT, "");
      col = HELP_INDENT;
    } else if (col > HELP_INDENT) {
      fputc(' ', out);
      col++;
    }
    fwrite(*p ? p : tail, 1, word, out);
    col += (int)word;
    if (!*p) {
      tail = NULL;
      continue;
    }
    p += word;
    while (*p == ' ')
      p++;
  }
  fputc('\n', out);
}

static void usage(FILE *out, const char *prog) {
  tn_options_t d;
  tn_options_init(&d);
  fprintf(out,
          "usage: %s [options]\n"
          "\n"
          "Every option may also be set in the environment, as the variable\n"
          "named after it (TORN_PORT=8000); the command line wins. Options\n"
          "take '--name value' or '--name=value'.\n"
          "\n",
          prog);
  for (size_t i = 0; i < NOPTIONS; i++) {
    const opt_t *o = &options[i];
    char head[64], def[32], tail[64];
    snprintf(head, sizeof head, "  --%s%s%s", o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
    format_value(def, sizeof def, o, &d);
    snprintf(tail, sizeof tail, "(default %s; %s)", def, o->env);
    int col = fprintf(out, "%s", head);
    if (col >= HELP_INDENT) {
      fprintf(out, "\n%*s", HELP_INDENT, "");
      col = HELP_INDENT;
    } else {
      col += fprintf(out, "%*s", HELP_INDENT - col, "");
    }
    print_wrapped(out, col, o->help, tail);
  }
  fprintf(out, "  --help                    show this help and exit\n"
               "  --version                 show the torn version and exit\n");
}

/* --- Command line and environment -------------------------------------- */

/* The option `arg` names ("--port" or "--port=8000"), or NULL; *value is
 * what follows '=', or NULL. */
static const opt_t *find_option(const char *arg, const char **value) {
  if (strncmp(arg, "--", 2) != 0)
    return NULL;
  arg += 2;
  size_t n = strcspn(arg, "=");
  for (size_t i = 0; i < NOPTIONS; i++) {
    if (strlen(options[i].name) == n && !strncmp(arg, options[i].name, n)) {
      *value = arg[n] == '=' ? arg + n + 1 : NULL;
      return &options[i];
    }
  }
  return NULL;
}

int tn_options_parse(tn_options_t *opts, const char *prog, int argc,
                     char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *v = NULL;
    const opt_t *o;
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      usage(stdout, prog);
      return 1;
    }
    if (!strcmp(arg, "--version")) {
      printf("torn %s\n", TN_VERSION);
      return 1;
    }
    if (!(o = find_option(arg, &v))) {
      fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, arg);
      return TN_EINVAL;
    }
    if (!v && o->kind == OPT_FLAG)
      v = "1";
    if (!v && i + 1 < argc)
      v = argv[++i];
    if (!v) {
      fprintf(stderr, "%s: --%s needs a value (%s)\n", prog, o->name,
              o->form);
      return TN_EINVAL;
    }
    char source[40];
    snprintf(source, sizeof source, "--%s", o->name);
    if (set_or_complain(opts, o, v, prog, source))
      return TN_EINVAL;
  }
  return 0;
}

int tn_options_from_env(tn_options_t *opts, const char *prog) {
  for (size_t i = 0; i < NOPTIONS; i++) {
    const char *v = getenv(options[i].env);
    if (v && *v && set_or_complain(opts, &options[i], v, prog, options[i].env))
      return TN_EINVAL;
  }
  return 0;
}

int tn_main(const tn_app_t *app, int argc, char **argv) {
  tn_options_t opts;
  tn_options_init(&opts);
  const char *prog = argc > 0 ? argv[0] : app->name;
  int r = tn_options_from_env(&opts, prog);
  if (!r)
    r = tn_options_parse(&opts, prog, argc, argv);
  if (r)
    return r > 0 ? 0 : 2;
  return tn_serve(app, &opts) ? 1 : 0;
}
