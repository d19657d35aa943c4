/* handlers.c -- examples/login: the login form of Tornado's demos in torn.
 *
 * Who is signed in lives in a signed cookie, `user`: the name, a
 * timestamp and an HMAC-SHA256 under the server's cookie secret, so a
 * client can read it but cannot forge or alter it (Tornado's
 * set_signed_cookie; a Tornado app with the same secret reads it too).
 * The secret is a server option, best given in the environment, since
 * any user of the machine can read a command line with `ps`:
 *
 *   TORN_COOKIE_SECRET="$(openssl rand -hex 32)" build/login --port 8888
 *
 * (or --cookie-secret SECRET). Keep the same secret across restarts and
 * for every server behind one name, or the cookies given out stop being
 * valid. Without one, signing in answers 500 and the log says why.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "login.h"

/* ---- Users --------------------------------------------------------------- */

/* Passwords are stored as PBKDF2-HMAC-SHA256 of the password with a
 * random salt per user, never as themselves. A hash is deliberately slow
 * (ITERATIONS rounds: tens of milliseconds) so that a stolen table is slow
 * to attack; that is why checking one runs on the thread pool, off the
 * loop. A line of the table is made with
 *
 *   python3 -c 'import hashlib, os; s = os.urandom(16);
 *     print(s.hex(), hashlib.pbkdf2_hmac("sha256", b"PASSWORD", s,
 *                                        100000).hex())'
 *
 * (OWASP asks for more rounds today; fewer keep the tests quick.) */
enum {
  SALT_LEN = 16,
  HASH_LEN = 32,
  ITERATIONS = 100000,
  MAX_NAME = 64,        /* bytes of a user name */
  MAX_PASSWORD = 1024   /* bytes of a password */
};

struct user {
  const char *name;
  const char *salt; /* SALT_LEN bytes in hex */
  const char *hash; /* HASH_LEN bytes in hex */
};

/* The passwords are "wonderland", "can-we-fix-it" and "correct horse
 * battery staple". */
static const struct user users[] = {
    {"alice", "21f7997f486331e6c657fde3015a8eda",
     "f8787b182aca71b280f728ad843ba913643afad4b7b667214edc8097bfae7ad6"},
    {"bob", "70162b37d456b230384ea1e9250b2434",
     "c842dea0a6cda07e3a4cb6ce057fcce2a03a90bd65287cc7791e79321801b02f"},
    {"o'brien", "a0c9f1e0b89a368f49e01c80947dfc7a",
     "fcfdb7fdd37cb86df05c0f8653eb5ef97a0c58c971d8b9b0183fd96a8102ee03"},
};

/* Checked instead when the name is unknown, so that an unknown name takes
 * as long to refuse as a wrong password: the time of an answer does not
 * tell which names exist. */
static const struct user nobody = {
    "", "63978effe0cc32089e9cce83f01a6662",
    "0ade185ad3b66a990b2f007c6a3892d4a4c2ba594cf7123a3a32ae18c1352109"};

static const struct user *find_user(const char *name)
{
  for (size_t i = 0; i < sizeof users / sizeof *users; i++)
    if (strcmp(users[i].name, name) == 0)
      return &users[i];
  return NULL;
}

/* A digit of the table's lower-case hex. */
static unsigned hexdigit(char c)
{
  return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

static void unhex(const char *hex, unsigned char *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = (unsigned char)(hexdigit(hex[2 * i]) << 4 |
                             hexdigit(hex[2 * i + 1]));
}

/* ---- Checking a password, on the thread pool ---------------------------- */

/* What the check needs, copied out of the request: the work runs on
 * another thread, which must not touch the request. */
struct check {
  bool ok;
  char *password; /* after the name's NUL */
  char name[];
};

static struct check *new_check(const char *name, const char *password)
{
  size_t n = strlen(name) + 1, p = strlen(password) + 1;
  struct check *c = malloc(sizeof *c + n + p);
  if (c == NULL)
    return NULL;
  c->ok = false;
  memcpy(c->name, name, n);
  c->password = c->name + n;
  memcpy(c->password, password, p);
  return c;
}

static void free_check(struct check *c)
{
  OPENSSL_cleanse(c->password, strlen(c->password));
  free(c);
}

/* Runs on the pool: the hash of the password under the user's salt,
 * compared in constant time with the stored one (CRYPTO_memcmp looks at
 * every byte whatever the first difference). */
static void check_password(void *data)
{
  struct check *c = data;
  const struct user *u = find_user(c->name);
  const struct user *as = u ? u : &nobody;
  unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
  unhex(as->salt, salt, SALT_LEN);
  unhex(as->hash, want, HASH_LEN);
  int done = PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password), salt,
                               SALT_LEN, ITERATIONS, EVP_sha256(), HASH_LEN,
                               got);
  c->ok = done == 1 && u != NULL && CRYPTO_memcmp(got, want, HASH_LEN) == 0;
  OPENSSL_cleanse(got, sizeof got);
  /* libuv's pool threads live as long as the process and never run
   * OpenSSL's per-thread cleanup, so the state OpenSSL keeps for this
   * thread (its error queue) would be left for LeakSanitizer to find at
   * exit: free it now. Cheap next to the 100,000 rounds above. */
  OPENSSL_thread_stop();
}

/* ---- Pages --------------------------------------------------------------- */

/* `next` when it is a path on this site, else "/". Tornado's demo follows
 * any `next`, which makes its login page an open redirect: a phishing
 * mail links to "/login?next=https://evil.example" and the user, after
 * signing in on the real site, lands on the fake one. "//evil.example"
 * and "/\evil.example" name another host to a browser too. */
static const char *local_path(const char *next)
{
  if (next[0] != '/' || next[1] == '/' || next[1] == '\\')
    return "/";
  for (const unsigned char *p = (const unsigned char *)next; *p; p++)
    if (*p <= ' ' || *p >= 0x7f || *p == '\\')
      return "/";
  return next;
}

/* The sign-in form with `status`, an error (or NULL) and the name typed
 * so far; `next` goes along in a hidden field. */
static void show_form(tn_req_t *req, int status, const char *error,
                      const char *name)
{
  const char *next = tn_get_argument(req, "next", "/");
  if (next == NULL)
    return; /* answered */
  tn_set_status(req, status);
  if (login_render_login(req, error, name, next))
    tn_send_error(req, 500, NULL);
}

/* The user in the cookie, then off to `next`: 303, so the browser follows
 * with a GET and a reload does not post the password again. */
static void sign_in(tn_req_t *req, const char *name)
{
  const char *next = tn_get_argument(req, "next", "/");
  if (next == NULL)
    return; /* answered */
  tn_cookie_opts_t opts = {.expires_days = 30, .http_only = 1,
                           .same_site = "Lax"};
  int err = tn_set_signed_cookie(req, "user", name, strlen(name), &opts);
  if (err) {
    tn_log(TN_LOG_ERROR, "cannot sign in %s: %s%s", name, tn_strerror(err),
           err == TN_EINVAL ? " (no cookie secret: start the server with "
                              "TORN_COOKIE_SECRET set)"
                            : "");
    tn_send_error(req, 500, NULL);
    return;
  }
  tn_redirect(req, local_path(next), 303);
}

/* Back on the loop. A client that left before the check ended gets no
 * answer (req is NULL); the copy of its password is erased either way.
 * A failure is the form again as a 403 (Tornado's demo answers 200), so
 * that a script, or `curl -f`, sees it failed. */
static void checked(tn_req_t *req, void *data)
{
  struct check *c = data;
  if (req != NULL) {
    if (c->ok)
      sign_in(req, c->name);
    else
      show_form(req, 403, "Wrong name or password.", c->name);
    tn_finish(req);
  }
  free_check(c);
}

/* ---- Handlers ------------------------------------------------------------ */

/* The current_user hook: the name in the signed cookie, when it is valid
 * and less than 30 days old (as long as the cookie lives); NULL (nobody)
 * otherwise -- an altered or expired cookie is no cookie. As in Tornado's
 * demo the name is not looked up again: a cookie we signed is proof
 * enough. */
void *current_user(tn_req_t *req)
{
  size_t len;
  const char *name = tn_get_signed_cookie(req, "user", 30, &len);
  if (name == NULL || len == 0 || strlen(name) != len)
    return NULL;
  return (char *)name;
}

/* GET / -- `authenticated`: only reached with a user. */
void home(tn_req_t *req)
{
  if (login_render_home(req, tn_current_user(req)))
    tn_send_error(req, 500, NULL);
}

/* GET /login[?next=/where] -- the form. */
void login_form(tn_req_t *req)
{
  show_form(req, 200, NULL, "");
}

/* POST /login -- name and password from the form body only: a password
 * in the query string would end up in access logs and browser history.
 * The runtime has checked the _xsrf token already. */
void login_submit(tn_req_t *req)
{
  const char *name = tn_get_body_argument(req, "username", "");
  const char *password = name ? tn_get_body_argument(req, "password", "")
                              : NULL;
  if (password == NULL) {
    tn_finish(req); /* answered: a malformed body or no memory */
    return;
  }
  if (!*name || strlen(name) > MAX_NAME || strlen(password) > MAX_PASSWORD) {
    show_form(req, 403, "Wrong name or password.", "");
    tn_finish(req);
    return;
  }
  struct check *c = new_check(name, password);
  if (c == NULL || tn_run_in_executor(req, check_password, checked, c)) {
    if (c != NULL)
      free_check(c);
    tn_send_error(req, 500, NULL);
    tn_finish(req);
  }
}

/* POST /logout -- the cookie goes, then back to the form. */
void sign_out(tn_req_t *req)
{
  char url[64];
  int n = login_url_login_form(url, sizeof url);
  if (tn_clear_cookie(req, "user", NULL) || n < 0 || (size_t)n >= sizeof url)
    tn_send_error(req, 500, NULL);
  else
    tn_redirect(req, url, 303);
}
