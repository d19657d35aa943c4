/* handlers.h -- the blog's data, as its handlers and templates see it.
 * tornc includes this file in the generated blog.h, so the templates'
 * C expressions (p->title, posts[i]->id...) can use these types. */
#ifndef BLOG_HANDLERS_H
#define BLOG_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include <torn.h>

/* One post. Every text is user input (seed posts aside) and is written by
 * the templates through {{ }}, i.e. HTML-escaped; the website is also
 * checked by the template as a URL attribute (a javascript: URL becomes
 * about:invalid#torn-unsafe-url). */
struct post {
  int64_t id;
  char *title;
  char *author;
  char *website; /* "" when none */
  char *tag;     /* "" when none */
  char **paras;  /* the body, split at blank lines */
  size_t nparas;
};

/* What the compose form shows: the values submitted so far. */
struct draft {
  const char *title, *author, *website, *tag, *body;
};

/* Trusted HTML of our own, written with {% raw %} in templates/base.html:
 * never put user input here. */
#define BLOG_FOOTER_HTML                                                    \
  "Served by <a href=\"https://www.tornadoweb.org/\">Tornado</a>'s "        \
  "C cousin, <strong>torn</strong>."

/* Limits on what the compose form accepts (bytes). */
enum {
  BLOG_MAX_TITLE = 200,
  BLOG_MAX_AUTHOR = 100,
  BLOG_MAX_WEBSITE = 500,
  BLOG_MAX_TAG = 40,
  BLOG_MAX_BODY = 20000,
  BLOG_MAX_POSTS = 10000
};

#endif
