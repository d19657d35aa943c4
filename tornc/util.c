/* util.c -- allocation, growable buffers and C-name helpers for tornc. */
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

/* A compiler has nothing sensible to do without memory: say so and stop. */
static void *check_alloc(void *p)
{
  if (!p) {
    fputs("tornc: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

void *tc_xmalloc(size_t size)
{
  return check_alloc(malloc(size ? size : 1));
}

void *tc_xcalloc(size_t n, size_t size)
{
  return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *tc_xrealloc(void *p, size_t size)
{
  return check_alloc(realloc(p, size ? size : 1));
}

char *tc_strndup(const char *s, size_t len)
{
  char *d = tc_xmalloc(len + 1);
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}

char *tc_strdup(const char *s)
{
  return tc_strndup(s, strlen(s));
}

void *tc_grow(void *arr, int n, int *cap, size_t size)
{
  if (n < *cap)
    return arr;
  *cap = *cap ? *cap * 2 : 8;
  return tc_xrealloc(arr, (size_t)*cap * size);
}

static void buf_reserve(tc_buf *b, size_t more)
{
  if (b->len + more + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more + 1)
    cap *= 2;
  b->data = tc_xrealloc(b->data, cap);
  b->cap = cap;
}

void tc_buf_putn(tc_buf *b, const char *s, size_t len)
{
  buf_reserve(b, len);
  memcpy(b->data + b->len, s, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void tc_buf_printf(tc_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  buf_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void tc_buf_free(tc_buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int tc_strcasecmp(const char *a, const char *b)
{
  for (;; a++, b++) {
    int x = (*a >= 'A' && *a <= 'Z') ? *a - 'A' + 'a' : *a;
    int y = (*b >= 'A' && *b <= 'Z') ? *b - 'A' + 'a' : *b;
    if (x != y || !x)
      return x - y;
  }
}

static bool is_ident_start(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool tc_is_c_ident(const char *s, size_t len)
{
  if (len == 0 || !is_ident_start((unsigned char)s[0]))
    return false;
  for (size_t i = 1; i < len; i++)
    if (!is_ident_start((unsigned char)s[i]) && !(s[i] >= '0' && s[i] <= '9'))
      return false;
  return true;
}

bool tc_is_c_keyword(const char *s)
{
  static const char *const keywords[] = {
      "auto", "break", "case", "char", "const", "continue", "default", "do",
      "double", "else", "enum", "extern", "float", "for", "goto", "if",
      "inline", "int", "long", "register", "restrict", "return", "short",
      "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
      "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
      "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
      "_Static_assert", "_Thread_local"};
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strcmp(s, keywords[i]) == 0)
      return true;
  return false;
}

bool tc_is_libc_name(const char *s)
{
  /* Functions of the C library and POSIX that make likely handler names
   * and that libtorn, libuv, jansson, zlib or libcrypto call. */
  static const char *const names[] = {
      "abort", "accept", "access", "alarm", "bind", "brk", "calloc", "chdir",
      "chmod", "chown", "clock", "close", "connect", "creat", "dup", "err",
      "error", "execv", "exit", "fork", "free", "getenv", "getline", "index",
      "ioctl", "kill", "link", "listen", "log", "login", "logout", "lseek",
      "main", "malloc", "mkdir", "mmap", "open", "pause", "pipe", "poll",
      "printf", "puts", "qsort", "raise", "rand", "random", "read",
      "readlink", "realloc", "recv", "remove", "rename", "rmdir", "sbrk",
      "select", "send", "setenv", "shutdown", "signal", "sleep", "socket",
      "stat", "sync", "syslog", "system", "time", "times", "truncate",
      "umask", "uname", "unlink", "utime", "wait", "warn", "write"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i]) == 0)
      return true;
  return false;
}

bool tc_write_file(const char *path, const tc_buf *b)
{
  FILE *out = fopen(path, "wb");
  if (!out)
    return false;
  bool ok = fwrite(b->data, 1, b->len, out) == b->len;
  return fclose(out) == 0 && ok;
}
