/* tornc.h -- the one internal header of tornc, the torn route compiler.
 *
 * tornc reads .troute files and writes C: a header with the route ids and
 * argument structs, an re2c file with the route matcher and dispatcher, and
 * a main(). The sections below follow the stages main() runs in order:
 *
 *   lex (grammar/troute_lex.re) -> parse (grammar/troute_parse.y, parse.c,
 *   pattern.c) -> check (check.c) -> generate (gen_*.c)
 *
 * Every token and AST node carries its source position. Every diagnostic
 * goes through tc_error()/tc_note(); they are collected, so each stage keeps
 * going after an error and the driver reports them all at the end.
 */
#ifndef TORNC_H
#define TORNC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TORNC_VERSION "0.1.0"

/* ===================================================================== */
/* Utilities (util.c)                                                     */
/* ===================================================================== */

/* Allocation never fails: on exhaustion tornc prints a message and exits. */
void *tc_xmalloc(size_t size);
void *tc_xcalloc(size_t n, size_t size);
void *tc_xrealloc(void *p, size_t size);
char *tc_strndup(const char *s, size_t len);
char *tc_strdup(const char *s);
/* Make room for one more element in a growable array of `*cap` elements of
 * `size` bytes holding `n`; returns the (maybe moved) array. */
void *tc_grow(void *arr, int n, int *cap, size_t size);

/* A growable NUL-terminated byte buffer; generators print into one. */
typedef struct {
  char *data; /* the bytes, NUL-terminated; NULL while empty */
  size_t len; /* bytes used, without the NUL */
  size_t cap; /* bytes allocated */
} tc_buf;

void tc_buf_printf(tc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tc_buf_putn(tc_buf *b, const char *s, size_t len);
void tc_buf_free(tc_buf *b);

/* strcmp ignoring ASCII case. */
int tc_strcasecmp(const char *a, const char *b);
/* True if `s` is a C identifier, and if it is a C11 keyword. */
bool tc_is_c_ident(const char *s, size_t len);
bool tc_is_c_keyword(const char *s);

/* ===================================================================== */
/* Sources and diagnostics (diag.c)                                       */
/* ===================================================================== */

/* One input file, read whole and terminated by a NUL sentinel. */
typedef struct {
  const char *name; /* as given on the command line */
  int index;        /* order on the command line: diagnostics sort by it */
  char *text;       /* contents plus a terminating NUL */
  size_t len;       /* bytes before the NUL */
} tc_file;

/* A position in a source file. `off` lets a diagnostic find the line. */
typedef struct {
  const tc_file *file;
  int line;   /* 1-based */
  int col;    /* 1-based, counted in bytes */
  size_t off; /* byte offset of the position in file->text */
} tc_pos;

/* The same position `n` bytes further along the same line. */
tc_pos tc_pos_add(tc_pos pos, int n);

typedef enum { TC_ERROR, TC_NOTE } tc_severity;

typedef struct {
  tc_severity severity;
  tc_pos pos;
  char *msg;
} tc_diag;

/* All diagnostics of a run, in the order they were raised. A note belongs
 * to the error raised just before it. */
typedef struct {
  tc_diag *items;
  int n, cap;
  int errors; /* number of TC_ERROR items */
} tc_diags;

void tc_error(tc_diags *d, tc_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tc_verror(tc_diags *d, tc_pos pos, const char *fmt, va_list ap);
void tc_note(tc_diags *d, tc_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints every error with its notes, sorted by file, line and column. */
void tc_diags_print(const tc_diags *d, FILE *out);
void tc_diags_free(tc_diags *d);

/* ===================================================================== */
/* Lexer (grammar/troute_lex.re)                                          */
/* ===================================================================== */

/* A token. Kinds are the TK_* codes of the generated troute_parse.h; 0 is
 * the end of input. */
typedef struct {
  int kind;
  tc_pos pos;       /* first byte */
  const char *text; /* the bytes in the source, not NUL-terminated */
  size_t len;
  /* STRING only (owned; freed by tc_token_free unless a node took them): */
  char *str;        /* the decoded value, NUL-terminated */
  size_t str_len;   /* its length (it may hold no NUL: \0 is no escape) */
  int *str_cols;    /* source column of each decoded byte, plus one entry
                       for the closing quote */
} tc_token;

typedef struct {
  const tc_file *file;
  const char *cur;        /* next byte to scan */
  const char *line_start; /* first byte of the current line */
  int line;
  tc_diags *diags;
  const char *stray_end; /* just after the last stray byte reported */
} tc_lexer;

void tc_lexer_init(tc_lexer *lx, const tc_file *file, tc_diags *diags);
/* Scans the next token into `tok` and returns its kind (0 at the end).
 * Bad input is reported and skipped, so this always makes progress. */
int tc_lex(tc_lexer *lx, tc_token *tok);
void tc_token_free(tc_token *tok);
/* "';'", "identifier"...: how diagnostics name a token kind. */
const char *tc_token_kind_name(int kind);

/* ===================================================================== */
/* AST (parse.c, pattern.c)                                               */
/* ===================================================================== */

/* Methods as bits, in the order of the runtime's TN_METHOD_* bits. */
enum {
  TC_GET = 1u << 0,
  TC_HEAD = 1u << 1,
  TC_POST = 1u << 2,
  TC_PUT = 1u << 3,
  TC_PATCH = 1u << 4,
  TC_DELETE = 1u << 5,
  TC_OPTIONS = 1u << 6,
  TC_ANY = TC_GET | TC_POST | TC_PUT | TC_PATCH | TC_DELETE | TC_OPTIONS
};

/* Writes the TN_METHOD_* constants of `mask` joined by " | " to `b`. */
void tc_methods_c(tc_buf *b, unsigned mask);
/* Writes the method names of `mask` ("GET POST") to `b`; HEAD is left out
 * when GET is in, as in the source. */
void tc_methods_text(tc_buf *b, unsigned mask);

/* A parameter type: what it matches and which C type it becomes. */
typedef struct {
  const char *name;  /* as written in a pattern: "int" */
  const char *ctype; /* member type in the argument struct */
  const char *regex; /* re2c regular expression of its text */
  const char *parse; /* runtime function converting the text, or NULL when
                        the member is the tn_str_t itself */
  /* True if byte `c` may follow the parameter's text in a pattern without
   * making the end of the match ambiguous. */
  bool (*may_follow)(int c);
} tc_type;

extern const tc_type tc_types[];
extern const int tc_ntypes;

typedef enum { TC_SEG_LIT, TC_SEG_PARAM } tc_seg_kind;

/* A piece of a pattern: literal bytes, or a {name:type} parameter. */
typedef struct {
  tc_seg_kind kind;
  tc_pos pos;         /* first byte (the '{' of a parameter) */
  char *text;         /* literal bytes, or the parameter name */
  size_t len;
  const tc_type *type; /* parameters only */
  tc_pos name_pos;     /* parameters only */
} tc_seg;

/* A "PATTERN" string, split into segments. */
typedef struct {
  tc_pos pos;   /* the opening quote */
  char *text;   /* the decoded string, as written between the quotes */
  tc_seg *segs;
  int nsegs, cap;
  int nparams;
  bool bad;     /* an error was reported inside the pattern */
  char *key;    /* literals with each parameter as "{:type}": two patterns
                   with the same key match the same paths */
} tc_pattern;

/* A `route NAME METHOD+ "PATTERN" -> HANDLER;` declaration. */
typedef struct {
  tc_pos pos;          /* the `route` keyword */
  char *name;
  tc_pos name_pos;
  unsigned methods;    /* TC_* bits as written; HEAD is added with GET */
  tc_pattern *pattern;
  char *handler;
  tc_pos handler_pos;
} tc_route;

/* A name with its position: an `app` or `include` declaration. */
typedef struct {
  char *text;
  tc_pos pos;
} tc_name;

/* The whole program, gathered from every input file in order. */
typedef struct {
  tc_name *apps;       /* every `app` declaration; exactly one is valid */
  int napps, capps;
  tc_name *includes;
  int nincludes, cincludes;
  tc_route **routes;
  int nroutes, croutes;
} tc_program;

void tc_pattern_free(tc_pattern *p);
void tc_route_free(tc_route *r);
void tc_program_free(tc_program *prog);
/* The one app name; only valid after tc_check succeeded. */
const char *tc_program_app(const tc_program *prog);

/* ===================================================================== */
/* Parser (grammar/troute_parse.y, parse.c, pattern.c)                    */
/* ===================================================================== */

/* What the grammar actions work on (lemon's %extra_argument). */
typedef struct {
  tc_program *prog;
  tc_diags *diags;
  tc_pos prev_end;  /* just after the last token handed to the parser */
  int prev_kind;    /* that token's kind, 0 before the first */
  bool recovering;  /* a syntax or lexical error was reported and no ';'
                       has been seen since: stay quiet until one is */
  bool syntax_error; /* the token just handed over was a syntax error */
} tc_parser;

/* Lexes and parses one file, adding its declarations to `prog`. */
void tc_parse_file(tc_program *prog, const tc_file *file, tc_diags *diags);

/* Grammar actions: each builds or adds one node. They take ownership of
 * the heap parts of the tokens and nodes they are given. */
void tc_act_app(tc_parser *ps, tc_token *name);
void tc_act_include(tc_parser *ps, tc_token *path);
void tc_act_add_route(tc_parser *ps, tc_route *route);
tc_route *tc_act_route(tc_parser *ps, tc_token *kw, tc_token *name,
                       unsigned methods, tc_pattern *pattern,
                       tc_token *handler);
unsigned tc_act_method(tc_parser *ps, unsigned methods, tc_token *word);
void tc_act_syntax_error(tc_parser *ps, const tc_token *tok,
                         unsigned expected);

/* Splits a STRING token into a pattern (pattern.c), reporting each error at
 * its exact column. Takes ownership of the token's string. */
tc_pattern *tc_pattern_parse(tc_diags *diags, tc_token *str);

/* ===================================================================== */
/* Semantic checks (check.c)                                              */
/* ===================================================================== */

/* Reports every semantic error of the program. */
void tc_check(const tc_program *prog, const tc_file *first, tc_diags *diags);

/* ===================================================================== */
/* Code generation (gen_header.c, gen_routes.c, gen_main.c)               */
/* ===================================================================== */

/* Paths the generators write into #line directives. */
typedef struct {
  const char *header; /* where APP.h is written, e.g. "build/hello.h" */
} tc_gen_paths;

void tc_gen_header(tc_buf *out, const tc_program *prog,
                   const tc_gen_paths *paths);
void tc_gen_routes(tc_buf *out, const tc_program *prog);
void tc_gen_main(tc_buf *out, const tc_program *prog);

/* Shared by the generators: `name` upper-cased into `b`. */
void tc_gen_upper(tc_buf *b, const char *name);
/* `text` for inside a C comment, and as a C string literal. */
void tc_gen_comment_text(tc_buf *b, const char *text);
void tc_gen_c_string(tc_buf *b, const char *text);
/* The route that owns the argument struct `r`'s handler is called with:
 * the first route naming the same handler. */
const tc_route *tc_gen_handler_owner(const tc_program *prog,
                                     const tc_route *r);

#endif /* TORNC_H */
