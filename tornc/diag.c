/* diag.c -- the one way tornc reports a problem in the user's input.
 *
 * Diagnostics are collected rather than printed, so every stage can go on
 * after an error (as SQLite's parser does) and the driver can print them
 * all at the end in source order, whatever stage found them:
 *
 *   FILE:LINE:COL: error: MESSAGE
 *   the source line, verbatim
 *   a caret under the column (tabs copied so it lines up)
 */
#include <stdlib.h>
#include <string.h>

#include "tornc.h"

tc_pos tc_pos_add(tc_pos pos, int n)
{
  pos.col += n;
  pos.off += (size_t)n;
  return pos;
}

static void add(tc_diags *d, tc_severity sev, tc_pos pos, const char *fmt,
                va_list ap)
{
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  size_t size = (size_t)(n < 0 ? 0 : n) + 1;
  char *msg = tc_xmalloc(size);
  vsnprintf(msg, size, fmt, ap);

  d->items = tc_grow(d->items, d->n, &d->cap, sizeof *d->items);
  d->items[d->n++] = (tc_diag){sev, pos, msg};
  if (sev == TC_ERROR)
    d->errors++;
}

void tc_verror(tc_diags *d, tc_pos pos, const char *fmt, va_list ap)
{
  add(d, TC_ERROR, pos, fmt, ap);
}

void tc_error(tc_diags *d, tc_pos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  add(d, TC_ERROR, pos, fmt, ap);
  va_end(ap);
}

void tc_note(tc_diags *d, tc_pos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  add(d, TC_NOTE, pos, fmt, ap);
  va_end(ap);
}

/* Prints one diagnostic: the location line, the source line, the caret. */
static void print_one(const tc_diag *dg, FILE *out)
{
  const tc_pos *p = &dg->pos;
  fprintf(out, "%s:%d:%d: %s: %s\n", p->file->name, p->line, p->col,
          dg->severity == TC_ERROR ? "error" : "note", dg->msg);

  const char *text = p->file->text;
  size_t start = p->off - (size_t)(p->col - 1);
  size_t end = start;
  while (end < p->file->len && text[end] != '\n')
    end++;
  /* A CRLF file's \r would move the terminal's cursor: leave it out. */
  size_t shown = end > start && text[end - 1] == '\r' ? end - 1 : end;
  fprintf(out, "%.*s\n", (int)(shown - start), text + start);
  for (size_t i = start; i < p->off; i++)
    fputc(i < shown && text[i] == '\t' ? '\t' : ' ', out);
  fputs("^\n", out);
}

/* An error and the notes raised right after it, printed together. */
typedef struct {
  const tc_diag *first;
  int start, end;
} group;

static int group_cmp(const void *a, const void *b)
{
  const group *x = a, *y = b;
  const tc_pos *p = &x->first->pos, *q = &y->first->pos;
  if (p->file->index != q->file->index)
    return p->file->index < q->file->index ? -1 : 1;
  if (p->line != q->line)
    return p->line < q->line ? -1 : 1;
  if (p->col != q->col)
    return p->col < q->col ? -1 : 1;
  /* Same place: keep the order in which they were raised. */
  return x->start < y->start ? -1 : x->start > y->start;
}

void tc_diags_print(const tc_diags *d, FILE *out)
{
  group *groups = tc_xcalloc((size_t)d->n, sizeof *groups);
  int n = 0;
  for (int i = 0; i < d->n; i++) {
    if (d->items[i].severity == TC_ERROR || n == 0)
      groups[n++] = (group){&d->items[i], i, i + 1};
    else
      groups[n - 1].end = i + 1;
  }
  qsort(groups, (size_t)n, sizeof *groups, group_cmp);
  for (int g = 0; g < n; g++)
    for (int i = groups[g].start; i < groups[g].end; i++)
      print_one(&d->items[i], out);
  free(groups);
}

void tc_diags_free(tc_diags *d)
{
  for (int i = 0; i < d->n; i++)
    free(d->items[i].msg);
  free(d->items);
  *d = (tc_diags){0};
}
