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
#include <stdint.h>
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
/* Writes the bytes of `b` to file `path`; false (errno set) on failure. */
bool tc_write_file(const char *path, const tc_buf *b);

/* strcmp ignoring ASCII case. */
int tc_strcasecmp(const char *a, const char *b);
/* True if `s` is a C identifier, and if it is a C11 keyword. */
bool tc_is_c_ident(const char *s, size_t len);
bool tc_is_c_keyword(const char *s);
/* True if `s` names a C library function the server binary links: a
 * handler of that name would replace it in the static binary. */
bool tc_is_libc_name(const char *s);

/* ===================================================================== */
/* Sources and diagnostics (diag.c)                                       */
/* ===================================================================== */

/* One input file, read whole and terminated by a NUL sentinel. */
typedef struct tc_file tc_file;
struct tc_file {
  const char *name; /* as given on the command line, or as imported
                       (relative to the importing file's directory) */
  int index;        /* order in which files were read: diagnostics sort
                       by it */
  char *text;       /* contents plus a terminating NUL */
  size_t len;       /* bytes before the NUL */
  const tc_file *parent; /* the file that imported this one, or NULL */
  char *id;         /* what identifies it (its real path), owned */
  bool parsing;     /* still being parsed: an import of it is a cycle */
};

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
  TC_OTHER = 1u << 7,
  TC_ANY = TC_GET | TC_POST | TC_PUT | TC_PATCH | TC_DELETE | TC_OPTIONS
};

/* Writes the TN_METHOD_* constants of `mask` joined by " | " to `b`. */
void tc_methods_c(tc_buf *b, unsigned mask);
/* Writes the method names of `mask` ("GET POST") to `b`; HEAD is left out
 * when GET is in, as in the source. */
void tc_methods_text(tc_buf *b, unsigned mask);

/* A set of bytes. */
typedef struct {
  uint64_t w[4];
} tc_set;

void tc_set_add(tc_set *s, int c);
bool tc_set_has(const tc_set *s, int c);
bool tc_set_meets(const tc_set *a, const tc_set *b);

/* A regular expression over bytes (regex.c): a parameter's language. */
typedef struct tc_rx tc_rx;
enum { TC_RX_SET, TC_RX_CAT, TC_RX_ALT, TC_RX_REP };
struct tc_rx {
  int kind;
  tc_set set;    /* SET: the bytes it matches */
  tc_rx *a, *b;  /* CAT, ALT: both; REP: a */
  int min, max;  /* REP: the count; max < 0 for no bound */
};

/* How a parameter's text becomes its value, and its value a URL part. */
typedef enum {
  TC_INT,     /* int64_t, tn_parse_int64; written by tn_url_int64 */
  TC_UINT,    /* uint64_t, tn_parse_uint64; tn_url_uint64 */
  TC_STR,     /* tn_str_t, percent-decoded; tn_url_segment */
  TC_PATH,    /* tn_str_t, percent-decoded; tn_url_path */
  TC_CHECKED  /* tn_str_t as sent (only URL-safe bytes); checked against
                 its pattern, then written as it is */
} tc_conv;

/* A parameter type. */
typedef struct {
  const char *name;    /* as written in a pattern: "int" */
  const char *ctype;   /* member type in the argument struct */
  const char *argtype; /* argument type of the typed URL builder */
  tc_conv conv;
} tc_type;

extern const tc_type tc_types[];
extern const int tc_ntypes;
/* The type of every {name:REGEX} parameter. */
extern const tc_type tc_type_inline;
/* "int, uint, str...": the known type names, for errors. */
extern const char *const tc_type_names;
/* The regular expression of built-in type `t` (built once, kept). */
const tc_rx *tc_type_rx(const tc_type *t);

/* Reports an error at byte `at` of the regex being parsed. */
typedef void (*tc_rx_error_fn)(void *ctx, size_t at, const char *msg);
/* Parses an inline pattern (`n` bytes), reporting the first error; NULL
 * after an error. Its bytes are limited to those a path segment holds as
 * sent, and it never matches the empty string. */
tc_rx *tc_rx_parse(const char *s, size_t n, tc_rx_error_fn err, void *ctx);
void tc_rx_free(tc_rx *r);
bool tc_rx_nullable(const tc_rx *r);
/* Writes `r` as an re2c regular expression. */
void tc_rx_re2c(tc_buf *b, const tc_rx *r);

/* An NFA over bytes whose states are labelled with a pattern segment. */
enum { TC_NFA_MAX = 6000 };
typedef struct {
  int from, to;
  tc_set set;
  bool eps; /* an empty move; `set` unused */
} tc_nfa_edge_t;
typedef struct {
  int *seg; /* the segment of each state */
  int nstates, cstates;
  tc_nfa_edge_t *edges;
  int nedges, cedges;
  bool full; /* more than TC_NFA_MAX states were needed: unusable */
} tc_nfa;

int tc_nfa_start(tc_nfa *a);
void tc_nfa_edge(tc_nfa *a, int from, int to, const tc_set *set);
/* Adds the states of `r` after state `from`, labelled `seg`; returns the
 * state its matches end in. */
int tc_nfa_add(tc_nfa *a, const tc_rx *r, int from, int seg);
void tc_nfa_free(tc_nfa *a);

typedef enum { TC_SEG_LIT, TC_SEG_PARAM } tc_seg_kind;

/* A piece of a pattern: literal bytes, or a {name:type} parameter. */
typedef struct {
  tc_seg_kind kind;
  tc_pos pos;          /* first byte (the '{' of a parameter) */
  char *text;          /* literal bytes, or the parameter name */
  size_t len;
  const tc_type *type; /* parameters only; NULL after an error */
  tc_pos name_pos;     /* parameters only */
  tc_pos type_pos;     /* parameters only: the type or inline pattern */
  char *rx_text;       /* inline patterns: the pattern as written */
  tc_rx *rx;           /* inline patterns: parsed (owned) */
} tc_seg;

/* The regular expression of a parameter segment. */
const tc_rx *tc_seg_rx(const tc_seg *s);

/* A "PATTERN" string, split into segments. */
typedef struct {
  tc_pos pos;   /* the opening quote */
  char *text;   /* the prefix, then the string as written */
  tc_seg *segs;
  int nsegs, cap;
  int nparams;
  bool bad;     /* an error was reported inside the pattern */
  char *key;    /* literals with each parameter as "{:type}": two patterns
                   with the same key match the same paths */
} tc_pattern;

/* The attributes written after a route's or a websocket's handler. */
typedef struct {
  bool authenticated;     /* `authenticated` */
  tc_pos auth_pos;        /* where it is written */
  bool is_async;          /* `async` (routes) */
  tc_pos async_pos;       /* where it is written */
  uint64_t max_body_size; /* `max_body_size SIZE` (routes), in bytes; 0 if
                             not */
  tc_pos body_pos;        /* where it is written */
  uint64_t max_message_size; /* `max_message_size SIZE` (websockets), in
                                bytes; 0 if not */
  tc_pos message_pos;     /* where it is written */
} tc_attrs;

/* A `route`, `redirect` or `websocket` declaration: one rule of the
 * automaton. A websocket is a named route (with a route id, URL builders
 * and a by-name reversal) that takes GET alone and whose handler is the
 * user's object of callbacks rather than a function. */
typedef struct {
  tc_pos pos;          /* the `route`, `redirect` or `websocket` keyword */
  bool redirect;       /* a redirect: no name, handler or methods */
  bool websocket;      /* a websocket endpoint */
  int id;              /* among the routes and websockets, or among the
                          redirects */
  char *name;          /* routes and websockets: the name */
  tc_pos name_pos;
  unsigned methods;    /* TC_* bits as written; HEAD is added with GET;
                          all of them (and TC_OTHER) for a redirect; GET
                          alone for a websocket */
  tc_pattern *pattern;
  char *handler;       /* routes: the handler function; websockets: the
                          callbacks object */
  tc_pos handler_pos;
  char *target;        /* redirects: the route redirected to */
  tc_pos target_pos;
  int status;          /* redirects: 301 302 303 307 308 */
  tc_attrs attrs;      /* routes: the attributes */
} tc_route;

/* A name with its position: an `app` or `include` declaration. */
typedef struct {
  char *text;
  tc_pos pos;
} tc_name;

/* A declaration allowed once per program: whether and where it was made. */
typedef struct {
  bool set;
  tc_pos pos; /* its first word */
} tc_setting;

/* The hooks, in the order of tn_hooks_t's members. */
enum {
  TC_HOOK_PREPARE,
  TC_HOOK_ON_FINISH,
  TC_HOOK_CURRENT_USER,
  TC_HOOK_WRITE_ERROR,
  TC_NHOOKS
};

/* What a hook is called and its C function type, as in tn_hooks_t:
 * `RET NAME PARAMS`, e.g. "int", "(tn_req_t *req)". */
typedef struct {
  const char *name;
  const char *ret;
  const char *params;
} tc_hook_type;

extern const tc_hook_type tc_hook_types[TC_NHOOKS];

/* `HOOK -> FUNCTION;` */
typedef struct {
  tc_setting decl; /* the hook's word */
  char *fn;        /* the user's function, NULL when the hook is not set */
  tc_pos fn_pos;
} tc_hook;

/* The whole program, gathered from every input file in order. */
typedef struct {
  tc_name *apps;       /* every `app` declaration; exactly one is valid */
  int napps, capps;
  tc_name *includes;
  int nincludes, cincludes;
  tc_route **routes;   /* routes, redirects and websockets, in
                          declaration order */
  int nroutes, croutes;
  int nnamed;          /* how many of them are routes or websockets */
  int nredirects;      /* and how many redirects */
  /* The settings, each with its declaration (tc_setting *_decl). */
  bool slash_redirect; /* trailing_slash redirect; */
  tc_setting slash_decl;
  bool xsrf_cookies;   /* xsrf_cookies on; */
  tc_setting xsrf_decl;
  bool compress_response; /* compress_response on; */
  tc_setting compress_decl;
  char *login_url;     /* login_url "URL"; */
  char *login_route;   /* login_url ROUTE; (check.c finds the route) */
  tc_pos login_pos;    /* the URL or route name */
  tc_setting login_decl;
  uint64_t max_body_size; /* max_body_size SIZE; in bytes, 0 if not set */
  tc_setting body_decl;
  uint64_t ws_max_message_size; /* websocket_max_message_size SIZE; bytes,
                                   0 if not set */
  tc_setting ws_message_decl;
  uint64_t ws_max_queue; /* websocket_max_queue SIZE; bytes, 0 if not set */
  tc_setting ws_queue_decl;
  uint32_t ws_ping_interval; /* websocket_ping_interval SECONDS; 0 if not */
  tc_setting ws_interval_decl;
  uint32_t ws_ping_timeout; /* websocket_ping_timeout SECONDS; 0 if not */
  tc_setting ws_timeout_decl;
  bool ws_no_compression; /* websocket_compression off; */
  tc_setting ws_compression_decl;
  tc_hook hooks[TC_NHOOKS];
  tc_file **files;     /* every file read (inputs, imports, templates and
                          the static files static_url() hashed), owned */
  int nfiles, cfiles;
  struct tc_template **templates; /* `template` declarations, in order */
  int ntemplates, ctemplates;
  struct tc_static **statics;     /* `static` declarations, in order */
  int nstatics, cstatics;
  struct tc_tfile **tfiles;       /* every template file parsed, owned */
  int ntfiles, ctfiles;
  bool *url_used;      /* by route index: a template calls url() on it */
} tc_program;

/* template NAME(PARAMS) = "FILE"; */
typedef struct tc_template {
  tc_pos pos;        /* the `template` keyword */
  char *name;
  tc_pos name_pos;
  char *params;      /* the C parameter list as written, without the
                        parentheses ("" or "void" for none) */
  tc_pos params_pos; /* its first byte */
  char **param_names; /* the name each parameter declares (check.c) */
  int nparams;
  char *path;        /* the file, relative to the working directory */
  tc_pos path_pos;
  struct tc_tfile *file; /* parsed (template.c); NULL after an error */
} tc_template;

/* static "/PREFIX/" = "DIR"; */
typedef struct tc_static {
  tc_pos pos;
  char *prefix;      /* URL path prefix, "/" at both ends */
  tc_pos prefix_pos;
  char *dir;         /* the directory, relative to the working directory */
  tc_pos dir_pos;
  char *root;        /* its absolute path, what the server opens */
} tc_static;

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
  const tc_file *file; /* the file being parsed */
  tc_buf prefix;    /* the prefixes of the enclosing `prefix` blocks */
  size_t *prefix_lens; /* prefix.len before each open block */
  int nprefix, cprefix;
  tc_pos prev_end;  /* just after the last token handed to the parser */
  int prev_kind;    /* that token's kind, 0 before the first */
  bool recovering;  /* a syntax or lexical error was reported and no ';'
                       has been seen since: stay quiet until one is */
  bool syntax_error; /* the token just handed over was a syntax error */
} tc_parser;

/* Reads file `name` whole, with the NUL sentinel the lexer relies on, and
 * adds it to the program's files. NULL (errno set) if it cannot be read. */
tc_file *tc_read_file(tc_program *prog, const char *name,
                      const tc_file *parent);

/* The file already read that `name` names (the same real path), or NULL. */
tc_file *tc_find_file(const tc_program *prog, const char *name);

/* `name` relative to the directory of file `from` (absolute names stay). */
char *tc_path_relative(const tc_file *from, const char *name);

/* Lexes and parses one file, adding its declarations to `prog`; `prefix`
 * (may be NULL) is prepended to its patterns, as for an import inside a
 * `prefix` block. */
void tc_parse_file(tc_program *prog, tc_file *file, tc_diags *diags);
void tc_parse_file_prefixed(tc_program *prog, tc_file *file,
                            tc_diags *diags, const char *prefix);

/* Grammar actions: each builds or adds one node. They take ownership of
 * the heap parts of the tokens and nodes they are given. */
void tc_act_app(tc_parser *ps, tc_token *name);
void tc_act_include(tc_parser *ps, tc_token *path);
void tc_act_import(tc_parser *ps, tc_token *path);
void tc_act_trailing_slash(tc_parser *ps, tc_token *kw, tc_token *policy);
void tc_act_prefix_push(tc_parser *ps, tc_token *prefix);
void tc_act_prefix_pop(tc_parser *ps);
void tc_act_switch(tc_parser *ps, tc_token *kw, tc_token *value);
void tc_act_login_url(tc_parser *ps, tc_token *kw, tc_token *value);
/* max_body_size, websocket_max_message_size, websocket_max_queue */
void tc_act_size_setting(tc_parser *ps, tc_token *kw, tc_token *size);
/* websocket_ping_interval, websocket_ping_timeout */
void tc_act_ws_seconds(tc_parser *ps, tc_token *kw, tc_token *seconds);
void tc_act_hook(tc_parser *ps, tc_token *hook, tc_token *fn);
void tc_act_add_route(tc_parser *ps, tc_route *route);
tc_route *tc_act_route(tc_parser *ps, tc_token *kw, tc_token *name,
                       unsigned methods, tc_pattern *pattern,
                       tc_token *handler, const tc_attrs *attrs);
/* Adds attribute `word` (with its `size`, NULL for none) to `attrs`. */
void tc_act_attr(tc_parser *ps, tc_attrs *attrs, tc_token *word,
                 tc_token *size);
tc_route *tc_act_redirect(tc_parser *ps, tc_token *kw, tc_pattern *pattern,
                          tc_token *target, tc_token *status);
tc_route *tc_act_websocket(tc_parser *ps, tc_token *kw, tc_token *name,
                           tc_pattern *pattern, tc_token *handler,
                           const tc_attrs *attrs);
unsigned tc_act_method(tc_parser *ps, unsigned methods, tc_token *word);
void tc_act_template(tc_parser *ps, tc_token *kw, tc_token *name,
                     tc_token *params, tc_token *path);
void tc_act_static(tc_parser *ps, tc_token *kw, tc_token *prefix,
                   tc_token *dir);
/* `expected`: the set of token kinds (bit k for kind k) the parser could
 * have taken instead. */
void tc_act_syntax_error(tc_parser *ps, const tc_token *tok,
                         uint64_t expected);

/* Splits a STRING token into a pattern (pattern.c), reporting each error at
 * its exact column, with `prefix` (may be empty) put before it. Takes
 * ownership of the token's string. */
tc_pattern *tc_pattern_parse(tc_diags *diags, tc_token *str,
                             const char *prefix);
/* Checks the string of a `prefix` block: a literal path start. */
bool tc_prefix_check(tc_diags *diags, const tc_token *str);

/* ===================================================================== */
/* Semantic checks (check.c)                                              */
/* ===================================================================== */

/* Reports every semantic error of the program. */
void tc_check(const tc_program *prog, const tc_file *first, tc_diags *diags);

/* The route a redirect leads to, or NULL. */
const tc_route *tc_redirect_target(const tc_program *prog, const tc_route *r);
/* The route called `name`, or NULL. */
const tc_route *tc_route_named(const tc_program *prog, const char *name);

/* Runs re2c (-W) on the generated router of a checked program and reports
 * what it finds as errors at the routes: a route no path can reach (with a
 * note at each route that takes its paths), or anything else re2c says.
 * Returns false (after printing why) if re2c could not be run. */
bool tc_check_automaton(const tc_program *prog, tc_diags *diags);

/* ===================================================================== */
/* Templates (grammar/template_lex.re, template.c, template_expr.c,       */
/* check_template.c)                                                      */
/* ===================================================================== */

/* A piece of a template file, as Tornado's template reader cuts it. */
typedef enum {
  TC_TP_TEXT,    /* literal text (also "{{" written as "{{!") */
  TC_TP_EXPR,    /* {{ ... }} */
  TC_TP_TAG,     /* {% ... %} */
  TC_TP_COMMENT, /* {# ... #} */
  TC_TP_END      /* the end of the file */
} tc_tpiece_kind;

typedef struct {
  tc_tpiece_kind kind;
  tc_pos pos;       /* first byte: the text's, or the opening brace's */
  const char *body; /* TEXT: the text; others: what is between the braces */
  size_t len;
  tc_pos body_pos;  /* the position of body[0] */
} tc_tpiece;

typedef struct {
  const tc_file *file;
  const char *cur;   /* next byte to scan */
  int cond;          /* re2c condition */
  int line;          /* line of `seen` */
  const char *seen;  /* positions are counted up to here */
  const char *line_start;
  tc_diags *diags;
} tc_tlexer;

void tc_tlexer_init(tc_tlexer *lx, const tc_file *file, tc_diags *diags);
/* The next piece; a missing closing brace is reported and the rest of the
 * file ends the piece. Returns its kind. */
tc_tpiece_kind tc_tlex(tc_tlexer *lx, tc_tpiece *out);
/* The position of byte `p` of the file, at or after the last one asked. */
tc_pos tc_tlexer_pos(tc_tlexer *lx, const char *p);

/* The escaping of a template file's expressions ({% autoescape %}). */
typedef enum {
  TC_AUTO_HTML, /* xhtml_escape, the default */
  TC_AUTO_NONE, /* None */
  TC_AUTO_URL,  /* url_escape */
  TC_AUTO_JSON  /* json_encode */
} tc_autoescape;

/* Whitespace modes ({% whitespace %}). */
typedef enum { TC_WS_ALL, TC_WS_SINGLE, TC_WS_ONELINE } tc_whitespace;

/* A node of a parsed template. */
typedef enum {
  TC_T_TEXT,     /* text, whitespace already filtered */
  TC_T_EXPR,     /* {{ code }} */
  TC_T_RAW,      /* {% raw code %} */
  TC_T_IF,       /* {% if code %} kids {% end %}; kids hold ELIF/ELSE */
  TC_T_ELIF,     /* {% elif code %}, a marker among an IF's kids */
  TC_T_ELSE,     /* {% else %}, likewise */
  TC_T_FOR,      /* {% for C-header %} kids {% end %} */
  TC_T_EACH,     /* {% for var[, var2] in code %} kids {% end %} */
  TC_T_WHILE,    /* {% while code %} kids {% end %} */
  TC_T_SET,      /* {% set code %} */
  TC_T_BREAK,    /* {% break %} */
  TC_T_CONTINUE, /* {% continue %} */
  TC_T_BLOCK,    /* {% block name %} kids {% end %} */
  TC_T_INCLUDE,  /* {% include "path" %} */
  TC_T_EXTENDS,  /* {% extends "path" %} */
  TC_T_ROOT      /* a file's body */
} tc_tnode_kind;

typedef struct tc_tfile tc_tfile;
typedef struct tc_tnode tc_tnode;

struct tc_tnode {
  tc_tnode_kind kind;
  tc_pos pos;          /* the tag's first byte, or the text's */
  tc_tfile *file;      /* the template it is written in */
  char *text;          /* TEXT: the text; BLOCK: the name; INCLUDE,
                          EXTENDS: the path as written; code nodes: the C
                          code, helpers rewritten (template_expr.c) */
  size_t len;
  tc_pos code_pos;     /* where the code (or name, path) starts */
  char *var, *var2;    /* EACH: the loop variables (var2 may be NULL) */
  tc_tnode **kids;     /* the body of IF FOR EACH WHILE BLOCK ROOT */
  int nkids, ckids;
  tc_tfile *target;    /* INCLUDE, EXTENDS: the file named */
};

struct tc_tfile {
  tc_file *src;
  tc_autoescape autoescape; /* the last {% autoescape %} of the file */
  tc_tnode root;
  tc_tnode *extends;  /* the {% extends %} node, or NULL */
  bool loading;       /* being parsed: an include of it is a cycle */
  bool bad;           /* had errors */
  bool needs_req;     /* its code, or that of a file it includes or
                         extends, calls xsrf_form_html(): a render needs
                         the request (check_template.c) */
};

/* Reads and parses the template file `path` (and what it extends and
 * includes), once per file; NULL if it cannot be read (reported at `at`). */
tc_tfile *tc_tpl_load(tc_program *prog, const char *path, tc_pos at,
                      const tc_file *from, tc_diags *d);
void tc_tfiles_free(tc_program *prog);

/* The files of `t`'s inheritance chain, from `t` to the root ancestor;
 * returns how many (at most `max`). */
int tc_tpl_ancestors(tc_tfile *t, tc_tfile **out, int max);

/* Checks the template and static declarations, loads every template and
 * checks and rewrites the C code in them (url(), static_url()...). */
void tc_check_templates(tc_program *prog, tc_diags *d);

/* The C code of a template node with its helpers rewritten into runtime
 * calls; reports unknown routes and missing static files. A call of
 * xsrf_form_html() becomes one of tn_xsrf_form_html(_tt_req), the request
 * a render of the node's file must then be given (n->file->needs_req is
 * set). */
char *tc_tpl_rewrite(tc_program *prog, const tc_tnode *n, const char *code,
                     size_t len, tc_pos pos, tc_diags *d);
/* Whether `code` is a call of xsrf_form_html() and nothing else: the
 * markup it returns is written as it is, even by {{ }}. */
bool tc_tpl_only_xsrf_form(const char *code, size_t len);
/* The names declared by a C parameter list, or -1 after an error. */
int tc_c_param_names(const char *params, char ***names);

/* ===================================================================== */
/* Code generation (gen_header.c, gen_router.c, gen_main.c)               */
/* ===================================================================== */

/* Paths the generators write into #line directives. */
typedef struct {
  const char *header; /* where APP.h is written, e.g. "build/hello.h" */
} tc_gen_paths;

void tc_gen_header(tc_buf *out, const tc_program *prog,
                   const tc_gen_paths *paths);
/* `rule_lines`, when not NULL, gets the line of APP_routes.re holding the
 * rule of each entry of prog->routes (0 for one sharing another's rule). */
void tc_gen_routes(tc_buf *out, const tc_program *prog, int *rule_lines);
void tc_gen_main(tc_buf *out, const tc_program *prog);
/* APP_templates.c (gen_template.c), and the render prototypes for APP.h. */
void tc_gen_templates(tc_buf *out, const tc_program *prog, const char *path);
void tc_gen_template_protos(tc_buf *out, const tc_program *prog);

/* HTML context of template expressions (html_context.c): fed the literal
 * text in the order it is written, it tells how an expression at the
 * current point must be escaped beyond plain HTML escaping. */
typedef struct {
  int state;          /* where in the HTML we are */
  char name[24];      /* the tag or attribute name being read, lower-case */
  int nlen;
  char tag[12];       /* the current tag's name (script, style...) */
  bool url_attr;      /* the attribute being read takes a URL */
  bool value_fixed;   /* its value has a '/', '?', '#' or ':' already */
  bool value_text;    /* its value has non-blank text already */
  bool value_expr;    /* an expression was written into it */
  int raw_end;        /* inside <script>/<style>: bytes of "</tag" seen */
  bool name_unsure;   /* control flow met inside the attribute's name */
  bool value_unsure;  /* control flow met inside the attribute's value */
} tc_html;

/* The runtime's TN__ESC_* bits, which the generator writes by name. */
enum {
  TC_ESC_HTML = 1u << 0,
  TC_ESC_UNQUOTED = 1u << 1,
  TC_ESC_URL_START = 1u << 2,
  TC_ESC_URL_COLON = 1u << 3,
  TC_ESC_URLENC = 1u << 4,
  TC_ESC_JSON = 1u << 5
};

void tc_html_init(tc_html *h);
void tc_html_feed(tc_html *h, const char *s, size_t n);
/* TN__ESC_* bits to add to HTML escaping for an expression here; the
 * expression is then noted as written. */
unsigned tc_html_expr(tc_html *h);
/* Control flow ({% if %}, {% else %}, a loop, their ends): the text fed
 * is no longer the one sequence the render writes, so what was learnt of
 * the current attribute is not certain and expressions in it are treated
 * as the most exposed case (a URL attribute's start). */
void tc_html_branch(tc_html *h);

/* Shared by the generators: `name` upper-cased into `b`. */
void tc_gen_upper(tc_buf *b, const char *name);
/* `text` for inside a C comment, and as a C string literal. */
void tc_gen_comment_text(tc_buf *b, const char *text);
void tc_gen_c_string(tc_buf *b, const char *text);
/* Writes "route 'NAME'" or "redirect \"PATTERN\"" for messages. */
void tc_describe(tc_buf *b, const tc_route *r);
/* The route that owns the argument struct `r`'s handler is called with:
 * the first route naming the same handler. */
const tc_route *tc_gen_handler_owner(const tc_program *prog,
                                     const tc_route *r);

#endif /* TORNC_H */
