/* automaton.c -- asks re2c which routes the automaton can reach.
 *
 * Whether a route is shadowed (every path it matches is taken by routes
 * declared before it) is decided exactly on the automaton that will serve
 * it: tornc writes the router it would generate to a temporary directory,
 * runs re2c -W on it, and maps re2c's warnings back to routes through the
 * line of each rule. re2c names the rules that shadow an unreachable one
 * ("shadowed by rules at lines 12, 14"), which become notes. Any other
 * warning or error about a rule is reported at its route too; one that
 * names no rule is a tornc bug, reported as such.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tornc.h"

extern char **environ;

/* ---- Running re2c ------------------------------------------------------- */

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  tc_buf b = {0};
  if (f) {
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
      tc_buf_putn(&b, chunk, n);
    fclose(f);
  }
  return b.data ? b.data : tc_strdup("");
}

/* Runs `re2c -W` on `re` with its messages going to `err`. Returns false
 * after printing why if it could not be run. */
static bool run_re2c(const char *re, const char *c, const char *err,
                     int *exit_status)
{
  const char *re2c = getenv("RE2C");
  if (!re2c || !*re2c)
    re2c = "re2c";
  char *argv[] = {(char *)re2c, "-W", "--no-generation-date", "--no-version",
                  "-o", (char *)c, (char *)re, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid;
  int rc = posix_spawnp(&pid, re2c, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    fprintf(stderr,
            "tornc: error: cannot run '%s': %s (tornc needs re2c to check "
            "the route table; install it or set RE2C)\n",
            re2c, strerror(rc));
    return false;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
  if (*exit_status == 127) {
    fprintf(stderr, "tornc: error: cannot run '%s' (tornc needs re2c to "
                    "check the route table; install it or set RE2C)\n",
            re2c);
    return false;
  }
  return true;
}

/* ---- Reading its messages ------------------------------------------------ */

/* The route whose rule is on line `line`, or -1. */
static int rule_at(const tc_program *prog, const int *lines, long line)
{
  for (int i = 0; i < prog->nroutes; i++)
    if (lines[i] == line)
      return i;
  return -1;
}

/* "route 'a'", "route 'a' and redirect "/b"", "route 'a', 'b' and 'c'":
 * the routes of `ids`. */
static void describe_all(tc_buf *b, const tc_program *prog, const int *ids,
                         int n)
{
  for (int i = 0; i < n; i++) {
    tc_buf_printf(b, "%s", i == 0 ? "" : i == n - 1 ? " and " : ", ");
    tc_describe(b, prog->routes[ids[i]]);
  }
}

/* "unreachable rule (shadowed by rules at lines 6, 7)": the error at the
 * shadowed route and a note at each route shadowing it. */
static void report_shadowed(const tc_program *prog, const int *lines, int r,
                            const char *msg, tc_diags *d)
{
  int ids[64], n = 0;
  const char *p = strstr(msg, " at line");
  while (p && *p && n < 64) {
    while (*p && (*p < '0' || *p > '9'))
      p++;
    if (!*p)
      break;
    char *end;
    long line = strtol(p, &end, 10);
    int o = rule_at(prog, lines, line);
    if (o >= 0)
      ids[n++] = o;
    p = end;
  }
  const tc_route *route = prog->routes[r];
  tc_buf who = {0}, by = {0};
  tc_describe(&who, route);
  describe_all(&by, prog, ids, n);
  if (n == 0)
    tc_error(d, route->pattern->pos, "%s can never match", who.data);
  else
    tc_error(d, route->pattern->pos,
             "%s can never match: %s %s all its paths", who.data, by.data,
             n == 1 ? "comes first and matches" : "come first and match");
  for (int i = 0; i < n; i++) {
    tc_buf one = {0};
    tc_describe(&one, prog->routes[ids[i]]);
    if (n == 1 && !route->redirect)
      tc_note(d, prog->routes[ids[i]]->pattern->pos,
              "%s is here (declare '%s' before it)", one.data, route->name);
    else
      tc_note(d, prog->routes[ids[i]]->pattern->pos, "%s is here", one.data);
    tc_buf_free(&one);
  }
  tc_buf_free(&who);
  tc_buf_free(&by);
}

/* One line of re2c's messages: "FILE:LINE:COL: warning: MSG [-Wname]". */
static void report_line(const tc_program *prog, const int *lines, char *text,
                        tc_diags *d, bool *bug)
{
  char *p = strstr(text, ".re:");
  if (!p) { /* about the whole automaton: "re2c: error: DFA has too many
               states" */
    if (strstr(text, "error")) {
      fprintf(stderr, "tornc: error: re2c cannot build the router: %s\n",
              text);
      *bug = true;
    }
    return;
  }
  long line = strtol(p + 4, &p, 10);
  char *msg = strstr(p, ": warning: ");
  if (msg)
    msg += 11;
  else if ((msg = strstr(p, ": error: ")))
    msg += 9;
  else
    return;
  int r = rule_at(prog, lines, line);
  if (r < 0) {
    fprintf(stderr, "tornc: internal error: re2c says about the generated "
                    "router: %s\n",
            text);
    *bug = true;
  } else if (strncmp(msg, "unreachable rule", 16) == 0) {
    report_shadowed(prog, lines, r, msg, d);
  } else {
    tc_buf who = {0};
    tc_describe(&who, prog->routes[r]);
    tc_error(d, prog->routes[r]->pattern->pos, "re2c on %s: %s", who.data,
             msg);
    tc_buf_free(&who);
  }
}

static void report_all(const tc_program *prog, const int *lines, char *text,
                       tc_diags *d, bool *bug)
{
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    report_line(prog, lines, line, d, bug);
    line = nl ? nl + 1 : NULL;
  }
}

bool tc_check_automaton(const tc_program *prog, tc_diags *d)
{
  const char *tmp = getenv("TMPDIR");
  tc_buf dir = {0};
  tc_buf_printf(&dir, "%s/tornc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir.data)) {
    fprintf(stderr, "tornc: error: cannot create a temporary directory: %s\n",
            strerror(errno));
    tc_buf_free(&dir);
    return false;
  }
  tc_buf re = {0}, c = {0}, err = {0}, text = {0};
  tc_buf_printf(&re, "%s/routes.re", dir.data);
  tc_buf_printf(&c, "%s/routes.c", dir.data);
  tc_buf_printf(&err, "%s/re2c.err", dir.data);
  int *lines = tc_xcalloc((size_t)prog->nroutes, sizeof *lines);
  tc_gen_routes(&text, prog, lines);
  bool ok = tc_write_file(re.data, &text);
  if (!ok)
    fprintf(stderr, "tornc: error: cannot write '%s': %s\n", re.data,
            strerror(errno));
  int status = 0;
  ok = ok && run_re2c(re.data, c.data, err.data, &status);
  if (ok) {
    char *msgs = read_text(err.data);
    bool bug = false;
    int errors = d->errors;
    report_all(prog, lines, msgs, d, &bug);
    if (status != 0 && !bug && d->errors == errors) {
      fprintf(stderr, "tornc: error: re2c failed on the router (exit "
                      "status %d)\n",
              status);
      bug = true;
    }
    ok = !bug;
    free(msgs);
  }
  remove(re.data);
  remove(c.data);
  remove(err.data);
  rmdir(dir.data);
  free(lines);
  tc_buf_free(&text);
  tc_buf_free(&re);
  tc_buf_free(&c);
  tc_buf_free(&err);
  tc_buf_free(&dir);
  return ok;
}
