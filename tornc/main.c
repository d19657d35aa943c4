/* main.c -- the tornc driver: reads the options, then runs the stages in
 * order: lex and parse every input file (and what it imports) into one
 * program, check it (templates too, reading them), check its automaton
 * with re2c, and generate APP.h, APP_routes.re, APP_main.c and
 * APP_templates.c.
 *
 * Exit status: 0 on success, 1 when the input has errors (they are all
 * printed and no output file is left behind), 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tornc.h"

typedef struct {
  const char *outdir;  /* -o DIR, default "." */
  bool deps;           /* -M: print make dependencies only */
  const char *depfile; /* -MF FILE: write them there, FILE a target too */
  char **inputs;       /* the .troute files, in order */
  int ninputs;
} options;

static void usage(FILE *out)
{
  fputs("usage: tornc [options] FILE.troute...\n"
        "Compiles the .troute files (one program) into APP.h, APP_routes.re,\n"
        "APP_main.c and APP_templates.c, APP being the name of the program's\n"
        "'app'.\n"
        "\n"
        "options:\n"
        "  -o DIR     write the output files into DIR (default: .; created\n"
        "             if missing)\n"
        "  -M         print the make dependencies of the output files on\n"
        "             every file read (inputs, imports, templates and the\n"
        "             static files templates hash), and write\n"
        "             nothing else\n"
        "  -MF FILE   with -M: write them to FILE, itself a target of the\n"
        "             rule (so make remakes it when an import changes)\n"
        "  --help     print this help and exit\n"
        "  --version  print the version and exit\n",
        out);
}

static int bad_usage(const char *fmt, const char *arg)
{
  fputs("tornc: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\nTry 'tornc --help' for more information.\n", stderr);
  return 2;
}

/* Fills `o` from the command line. Returns -1 to go on, else the exit
 * status (0 after --help or --version, 2 on bad usage). */
static int parse_args(int argc, char **argv, options *o)
{
  *o = (options){.outdir = ".", .inputs = tc_xcalloc((size_t)argc,
                                                     sizeof(char *))};
  bool only_files = false;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (only_files || a[0] != '-' || a[1] == '\0') {
      o->inputs[o->ninputs++] = a;
    } else if (strcmp(a, "--") == 0) {
      only_files = true;
    } else if (strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--version") == 0) {
      printf("tornc %s\n", TORNC_VERSION);
      return 0;
    } else if (strcmp(a, "-M") == 0) {
      o->deps = true;
    } else if (strcmp(a, "-MF") == 0) {
      o->depfile = i + 1 < argc ? argv[++i] : NULL;
      if (!o->depfile || !*o->depfile)
        return bad_usage("option '%s' needs a file name", "-MF");
    } else if (strncmp(a, "-o", 2) == 0) {
      o->outdir = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
      if (!o->outdir || !*o->outdir)
        return bad_usage("option '%s' needs a directory", "-o");
    } else {
      return bad_usage("unknown option '%s'", a);
    }
  }
  if (o->ninputs == 0)
    return bad_usage("no input files%s", "");
  if (o->depfile && !o->deps)
    return bad_usage("option '%s' needs -M", "-MF");
  return -1;
}

/* ---- Output ------------------------------------------------------------- */

/* DIR/NAME, or just NAME when DIR is "." so paths stay short. */
static char *out_path(const char *dir, const char *app, const char *suffix)
{
  tc_buf b = {0};
  size_t dl = strlen(dir);
  if (strcmp(dir, ".") != 0)
    tc_buf_printf(&b, "%s%s", dir, dir[dl - 1] == '/' ? "" : "/");
  tc_buf_printf(&b, "%s%s", app, suffix);
  return b.data;
}

/* mkdir -p: makes DIR and its missing parents. */
static bool make_dirs(const char *dir)
{
  char *path = tc_strdup(dir);
  bool ok = true;
  for (char *p = path + 1; ok; p++) {
    bool last = *p == '\0';
    if (*p != '/' && !last)
      continue;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      ok = false;
    if (last)
      break;
    *p = '/';
  }
  struct stat st;
  ok = ok && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  free(path);
  return ok;
}

enum { NOUT = 4 };

/* Writes every output to a temporary file, then renames them all into
 * place, so a failure leaves no half-written or mismatched outputs. */
static int write_outputs(char *paths[NOUT], tc_buf bufs[NOUT])
{
  char *tmps[NOUT] = {0};
  int failed = -1;
  for (int i = 0; i < NOUT && failed < 0; i++) {
    tc_buf t = {0};
    tc_buf_printf(&t, "%s.tmp", paths[i]);
    tmps[i] = t.data;
    if (!tc_write_file(tmps[i], &bufs[i]))
      failed = i;
  }
  for (int i = 0; i < NOUT && failed < 0; i++)
    if (rename(tmps[i], paths[i]) != 0)
      failed = i;
  if (failed >= 0) {
    fprintf(stderr, "tornc: error: cannot write '%s': %s\n", paths[failed],
            strerror(errno));
    for (int i = 0; i < NOUT; i++)
      if (tmps[i])
        remove(tmps[i]);
  }
  for (int i = 0; i < NOUT; i++)
    free(tmps[i]);
  return failed >= 0;
}

/* Writes a file name for a makefile rule. */
static void put_make_name(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (*s == ' ' || *s == '#')
      fputc('\\', out);
    else if (*s == '$')
      fputc('$', out);
    fputc(*s, out);
  }
}

static const char *const suffixes[NOUT] = {".h", "_routes.re", "_main.c",
                                           "_templates.c"};

/* OUTPUTS: FILES, then an empty rule for each imported file (as gcc -MP
 * does), so that deleting one does not break the build. */
static void write_deps(FILE *out, char *paths[NOUT], const tc_program *prog,
                       const options *o)
{
  if (o->depfile) {
    put_make_name(out, o->depfile);
    fputc(' ', out);
  }
  for (int i = 0; i < NOUT; i++) {
    fputs(i ? " " : "", out);
    put_make_name(out, paths[i]);
  }
  fputc(':', out);
  for (int i = 0; i < prog->nfiles; i++) {
    fputc(' ', out);
    put_make_name(out, prog->files[i]->name);
  }
  fputc('\n', out);
  for (int i = 0; i < prog->nfiles; i++) {
    if (!prog->files[i]->parent)
      continue;
    put_make_name(out, prog->files[i]->name);
    fputs(":\n", out);
  }
}

static int print_deps(char *paths[NOUT], const tc_program *prog,
                      const options *o)
{
  if (!o->depfile) {
    write_deps(stdout, paths, prog, o);
    return 0;
  }
  FILE *out = fopen(o->depfile, "w");
  if (out) {
    write_deps(out, paths, prog, o);
    if (fclose(out) == 0)
      return 0;
  }
  fprintf(stderr, "tornc: error: cannot write '%s': %s\n", o->depfile,
          strerror(errno));
  return 1;
}

/* Generates the three outputs of a checked program (or prints -M). */
static int generate(const tc_program *prog, const options *o)
{
  const char *app = tc_program_app(prog);
  char *paths[NOUT];
  for (int i = 0; i < NOUT; i++)
    paths[i] = out_path(o->outdir, app, suffixes[i]);
  int status = 0;
  if (o->deps) {
    status = print_deps(paths, prog, o);
  } else if (!make_dirs(o->outdir)) {
    fprintf(stderr, "tornc: error: cannot create directory '%s': %s\n",
            o->outdir, strerror(errno));
    status = 1;
  } else {
    tc_buf bufs[NOUT] = {{0}};
    tc_gen_paths gp = {paths[0]};
    tc_gen_header(&bufs[0], prog, &gp);
    tc_gen_routes(&bufs[1], prog, NULL);
    tc_gen_main(&bufs[2], prog);
    tc_gen_templates(&bufs[3], prog, paths[3]);
    status = write_outputs(paths, bufs);
    for (int i = 0; i < NOUT; i++)
      tc_buf_free(&bufs[i]);
  }
  for (int i = 0; i < NOUT; i++)
    free(paths[i]);
  return status;
}

/* ---- The stages ----------------------------------------------------------- */

/* The file of input `name` (read before any import). */
static tc_file *input_file(tc_program *prog, const char *name)
{
  for (int i = 0; i < prog->nfiles; i++)
    if (!prog->files[i]->parent && strcmp(prog->files[i]->name, name) == 0)
      return prog->files[i];
  return NULL;
}

static int compile(const options *o)
{
  tc_program prog = {0};
  tc_diags diags = {0};
  int status = 0;
  for (int i = 0; i < o->ninputs && status == 0; i++) {
    if (!tc_read_file(&prog, o->inputs[i], NULL)) {
      fprintf(stderr, "tornc: error: cannot read '%s': %s\n", o->inputs[i],
              strerror(errno));
      status = 1;
    }
  }
  if (status == 0) {
    /* Imports add files as they are parsed: only the inputs are walked. */
    for (int i = 0; i < o->ninputs; i++)
      tc_parse_file(&prog, input_file(&prog, o->inputs[i]), &diags);
    tc_check(&prog, prog.files[0], &diags);
    tc_check_templates(&prog, &diags);
    /* The automaton check needs a program the generators can take. */
    if (diags.errors == 0 && !o->deps && !tc_check_automaton(&prog, &diags))
      status = 1;
    tc_diags_print(&diags, stderr);
    if (status == 0)
      status = diags.errors ? 1 : generate(&prog, o);
  }
  tc_diags_free(&diags);
  tc_program_free(&prog);
  return status;
}

int main(int argc, char **argv)
{
  options o;
  int status = parse_args(argc, argv, &o);
  if (status < 0)
    status = compile(&o);
  free(o.inputs);
  return status;
}
