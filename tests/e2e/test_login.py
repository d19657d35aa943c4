#!/usr/bin/python3
"""End-to-end tests of examples/login (Tornado's login form: a signed
cookie, XSRF, @authenticated), in TAP.

    /usr/bin/python3 tests/e2e/test_login.py build/examples/login/login

Starts the binary with a cookie secret in TORN_COOKIE_SECRET (and one
server with --cookie-secret, one with none) on a free loopback port and
talks to it over raw sockets and with curl: the redirect of an anonymous
visitor to /login?next=, the form and its _xsrf token and cookie, the XSRF
refusals (403), wrong and right passwords, the signed `user` cookie
(HttpOnly, SameSite) and what happens to an altered, foreign or expired
one, logging out, the X-XSRFToken header, `next` links that point off the
site, escaping of names and of what the client typed, and the password
check running off the loop. The signed cookie is checked against Python
Tornado (tornado.web.decode_signed_value / create_signed_value) in both
directions when Tornado is installed. Environment:
    TORN_EXPECT_STATIC=0   sanitizer build: the static-binary test is skipped
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10)
"""

import base64
import concurrent.futures
import hashlib
import hmac
import html
import os
import re
import select
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (SharedServer, Server, Problems, Skip, Suite,  # noqa: E402
                     build_request, check, check_eq, check_static_binary,
                     curl, note, show)

SECRET = "e2e-login-secret-0123456789abcdef"
os.environ["TORN_COOKIE_SECRET"] = SECRET  # every server started inherits it

HTML = "text/html; charset=UTF-8"
FORM = "application/x-www-form-urlencoded"
REASONS = {200: "OK", 302: "Found", 303: "See Other", 403: "Forbidden",
           500: "Internal Server Error"}
WRONG = b"Wrong name or password."
USERS = {"alice": "wonderland", "bob": "can-we-fix-it",
         "o'brien": "correct horse battery staple"}
HOSTILE = "<script>alert(\"x\")</script> & 'q'"
HOSTILE_ESCAPED = ("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
                   "&amp; &#39;q&#39;")

suite = Suite()
shared = SharedServer()  # the server most tests talk to


# --- Requests -------------------------------------------------------------

def req(method, target, headers=(), body=b"", cookies=None):
    """Raw request bytes. `cookies` (a dict) becomes one Cookie header; a
    body gets its Content-Length, a dict body is sent as a form."""
    headers = list(headers)
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body).encode()
        headers.append(("Content-Type", FORM))
    if cookies:
        headers.append(("Cookie", "; ".join("%s=%s" % kv
                                            for kv in cookies.items())))
    if body or method == "POST":
        headers.append(("Content-Length", str(len(body))))
    return build_request(method, target, headers, body)


def fetch(method, target, headers=(), body=b"", cookies=None, server=None):
    """One request on a fresh connection; returns the response."""
    with (server or shared.server).connect() as c:
        return c.request(req(method, target, headers, body, cookies), method)


def base_url(server=None):
    return "http://127.0.0.1:%d" % (server or shared.server).port


def set_cookies(resp):
    """The response's Set-Cookie headers: {name: (value, [attributes])}."""
    out = {}
    for line in resp.get_all("Set-Cookie"):
        parts = [p.strip() for p in line.split(";")]
        name, _, value = parts[0].partition("=")
        out[name] = (value, parts[1:])
    return out


def check_status(resp, status):
    p = Problems(resp)
    p.eq(resp.status_line, "HTTP/1.1 %d %s" % (status, REASONS[status]),
         "status line")
    if status in (200, 403) and resp.body.startswith(b"<!doctype"):
        p.eq(resp.get("Content-Type"), HTML, "Content-Type")
    p.done()


def hidden(page, name):
    """The value of the form's hidden input `name`, unescaped."""
    m = re.search(r'<input type="hidden" name="%s" value="([^"]*)"/?>'
                  % re.escape(name), page.decode("utf-8"))
    check(m, "no hidden %r field in %s" % (name, show(page, 2000)))
    return html.unescape(m.group(1))


def unmask(token):
    """The raw bytes of an XSRF token "2|mask|masked|timestamp"."""
    version, mask, masked, ts = token.split("|")
    check_eq(version, "2", "token version")
    check(ts.isdigit(), "token timestamp %r" % ts)
    mask, masked = bytes.fromhex(mask), bytes.fromhex(masked)
    check_eq(len(mask), 4, "mask length")
    return bytes(b ^ mask[i % 4] for i, b in enumerate(masked))


def login_form(target="/login", cookies=None, server=None):
    """GETs the form; returns (page, the _xsrf cookie's value or None,
    the form's _xsrf field)."""
    r = fetch("GET", target, cookies=cookies, server=server)
    check_status(r, 200)
    xsrf = set_cookies(r).get("_xsrf")
    return r.body, xsrf[0] if xsrf else None, hidden(r.body, "_xsrf")


def new_xsrf(server=None):
    """A fresh _xsrf cookie value from GET /login."""
    _, cookie, _ = login_form(server=server)
    check(cookie, "GET /login set no _xsrf cookie")
    return cookie


def post_login(name, password, next_=None, xsrf=True, cookies=None,
               headers=(), server=None):
    """POSTs the form with a fresh _xsrf cookie and field (xsrf=False: no
    field). Returns the response."""
    token = new_xsrf(server)
    body = {"username": name, "password": password}
    if next_ is not None:
        body["next"] = next_
    if xsrf:
        body["_xsrf"] = token
    jar = {"_xsrf": token}
    jar.update(cookies or {})
    return fetch("POST", "/login", headers, body, jar, server=server)


def sign_in(name, next_=None, server=None):
    """Logs `name` in; returns the `user` cookie's value."""
    r = post_login(name, USERS[name], next_, server=server)
    check_status(r, 303)
    user = set_cookies(r).get("user")
    check(user, "no user cookie set: %r" % r.headers)
    return user[0]


_cookies = {}


def cookie_of(name):
    """A `user` cookie of the shared server for `name`, signed in once and
    kept: a cookie stays valid after others (signing out only makes the
    browser forget it), and each check of a password takes a while."""
    if name not in _cookies:
        _cookies[name] = sign_in(name)
    return _cookies[name]


def home(user, server=None):
    """GET / with the `user` cookie."""
    return fetch("GET", "/", cookies={"user": user}, server=server)


def check_greeting(resp, escaped_name):
    check_status(resp, 200)
    want = ('<h1>Hello, <span class="user">%s</span>!</h1>'
            % escaped_name).encode()
    check(want in resp.body, "greeting %r not in %s"
          % (want, show(resp.body, 2000)))


def check_logged_out(resp):
    check_status(resp, 302)
    check_eq(resp.get("Location"), "/login?next=%2F", "Location")


def sign_value(secret, name, value, ts):
    """A Tornado version 2 signed value, made here from its definition
    (HMAC-SHA256 over the length-prefixed fields, hex)."""
    def field(s):
        s = s if isinstance(s, bytes) else s.encode()
        return b"%d:%s" % (len(s), s)
    to_sign = b"|".join([b"2", field("0"), field(str(int(ts))), field(name),
                         field(base64.b64encode(value.encode())), b""])
    sig = hmac.new(secret.encode(), to_sign, hashlib.sha256).hexdigest()
    return (to_sign + sig.encode()).decode()


def in_parallel(fn, cases):
    """fn(case) for every case, four at a time (a password check takes a
    while, and the server checks several at once); re-raises the first
    failure."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for f in [pool.submit(fn, c) for c in cases]:
            f.result()


def tornado_web():
    try:
        import tornado.web
    except ImportError as e:
        raise Skip("Python Tornado is not installed (%s)" % e)
    return tornado.web


# --- Anonymous visitors -----------------------------------------------------

suite.add("static binary", lambda: check_static_binary(shared.binary))


@suite.test("GET / without a cookie -> 302 to /login?next=%2F (authenticated)")
def t_anonymous():
    check_logged_out(fetch("GET", "/"))
    r = fetch("GET", "/?tab=a&b=%C3%A9")
    check_status(r, 302)
    check_eq(r.get("Location"), "/login?next=%2F%3Ftab%3Da%26b%3D%25C3%25A9",
             "Location keeps the query, escaped")
    r = fetch("HEAD", "/")
    check_status(r, 302)
    check_eq(r.get("Location"), "/login?next=%2F", "HEAD Location")


@suite.test("GET /login: the form, an _xsrf cookie and the masked token in a hidden field")
def t_form():
    r = fetch("GET", "/login")
    check_status(r, 200)
    page, (cookie, attrs) = r.body, set_cookies(r)["_xsrf"]
    check_eq(attrs, ["Path=/"], "_xsrf cookie attributes (readable by "
             "scripts, a session cookie without a user)")
    # A new token: the cookie holds it as the field does (so does
    # Tornado's, the first time).
    check_eq(unmask(hidden(page, "_xsrf")), unmask(cookie),
             "field and cookie: one token")
    check_eq(len(unmask(cookie)), 16, "token length")
    check_eq(hidden(page, "next"), "/", "default next")
    for needle in (b'<form method="post" action="/login">',
                   b'name="username"', b'type="password" name="password"'):
        check(needle in page, "%r not in the form" % needle)
    # With the cookie: no new one, the field holds the same token.
    r = fetch("GET", "/login", cookies={"_xsrf": cookie})
    check_status(r, 200)
    check_eq(set_cookies(r).get("_xsrf"), None, "Set-Cookie with a valid one")
    field = hidden(r.body, "_xsrf")
    check(field != cookie, "the field is masked afresh: %r" % field)
    check_eq(unmask(field), unmask(cookie), "same token")


@suite.test("every fresh visitor gets its own _xsrf cookie (many connections)")
def t_form_each_visitor():
    tokens = set()
    for _ in range(8):
        _, cookie, field = login_form()
        check(cookie is not None, "a visitor without a cookie got none")
        check_eq(unmask(field), unmask(cookie), "field vs cookie")
        tokens.add(unmask(cookie))
    check_eq(len(tokens), 8, "distinct tokens")


@suite.test("GET /login?next=...: next goes into the form, escaped")
def t_form_next():
    page, _, _ = login_form("/login?next=%2Fa%3Fb%3D1")
    check_eq(hidden(page, "next"), "/a?b=1", "next field")
    target = "/login?next=" + urllib.parse.quote(HOSTILE, safe="")
    page, _, _ = login_form(target)
    check(('name="next" value="%s"' % HOSTILE_ESCAPED).encode() in page,
          "escaped next not in %s" % show(page, 2000))


# --- XSRF -------------------------------------------------------------------

@suite.test("POST /login without _xsrf -> 403, nobody signed in")
def t_xsrf_missing():
    r = post_login("alice", USERS["alice"], xsrf=False)
    check_status(r, 403)
    check(b"&#39;_xsrf&#39; argument missing from POST" in r.body,
          "reason in %s" % show(r.body))
    check_eq(set_cookies(r).get("user"), None, "user cookie")


@suite.test("POST /login with a token but no cookie, or another's -> 403")
def t_xsrf_mismatch():
    token = new_xsrf()
    body = {"username": "alice", "password": USERS["alice"], "_xsrf": token}
    for jar in (None, {"_xsrf": new_xsrf()}):
        r = fetch("POST", "/login", body=body, cookies=jar)
        check_status(r, 403)
        check(b"XSRF cookie does not match POST argument" in r.body,
              "reason in %s" % show(r.body))
        check_eq(set_cookies(r).get("user"), None, "user cookie")
    # A token that is not one.
    r = fetch("POST", "/login", body=dict(body, _xsrf="nope"),
              cookies={"_xsrf": token})
    check_status(r, 403)


@suite.test("X-XSRFToken (and X-CSRFToken) header instead of the form field")
def t_xsrf_header():
    for header in ("X-XSRFToken", "X-CSRFToken"):
        token = new_xsrf()
        body = {"username": "alice", "password": USERS["alice"]}
        r = fetch("POST", "/login", [(header, token)], body,
                  {"_xsrf": token})
        check_status(r, 303)
        check(set_cookies(r).get("user"), "no user cookie with %s" % header)
    # The masked form of the token works as well.
    _, cookie, field = login_form()
    r = fetch("POST", "/logout", [("X-XSRFToken", field)],
              cookies={"_xsrf": cookie})
    check_status(r, 303)


# --- Passwords --------------------------------------------------------------

@suite.test("wrong password, unknown or empty name -> 403, the form again, no user cookie")
def t_wrong_password():
    def attempt(case):
        name, password = case
        r = post_login(name, password)
        note("name %r password %r: %d" % (name, password, r.status))
        check_status(r, 403)
        check_eq(set_cookies(r).get("user"), None, "user cookie")
        check(WRONG in r.body, "no error message in %s" % show(r.body))
        hidden(r.body, "_xsrf")  # a form to try again with
    in_parallel(attempt, [("alice", "Wonderland"), ("alice", ""),
                          ("alice", "wonderlan"), ("bob", "wonderland"),
                          ("mallory", "wonderland"), ("", "wonderland"),
                          ("alice", "x" * 2000), ("a" * 65, "x")])


@suite.test("the form again keeps the name and next typed, escaped")
def t_wrong_password_escapes():
    r = post_login(HOSTILE, "x", next_="/x\"><b>")
    check_status(r, 403)
    check(('name="username" value="%s"' % HOSTILE_ESCAPED).encode() in r.body,
          "escaped name not in %s" % show(r.body, 2000))
    check(b'name="next" value="/x&quot;&gt;&lt;b&gt;"' in r.body,
          "escaped next not in %s" % show(r.body, 2000))


@suite.test("the password is read from the body only, never the query string")
def t_password_in_query():
    token = new_xsrf()
    r = fetch("POST", "/login?username=alice&password=wonderland",
              body={"_xsrf": token}, cookies={"_xsrf": token})
    check_status(r, 403)
    check_eq(set_cookies(r).get("user"), None, "user cookie")


@suite.test("right password -> 303 to / with a signed, HttpOnly user cookie")
def t_right_password():
    r = post_login("alice", USERS["alice"])
    check_status(r, 303)
    check_eq(r.get("Location"), "/", "Location")
    check_eq(r.body, b"", "body of the redirect")
    value, attrs = set_cookies(r)["user"]
    check(re.fullmatch(r"2\|1:0\|10:[0-9]{10}\|4:user\|8:YWxpY2U=\|"
                       r"[0-9a-f]{64}", value), "cookie value %r" % value)
    ts = int(value.split("|")[2].split(":")[1])
    check(abs(ts - time.time()) < 60, "timestamp %d" % ts)
    names = [a.split("=")[0] for a in attrs]
    check_eq(names, ["expires", "HttpOnly", "Path", "SameSite"],
             "cookie attributes")
    check("Path=/" in attrs and "SameSite=Lax" in attrs, "attrs %r" % attrs)
    expires = time.mktime(time.strptime(attrs[0].split("=", 1)[1],
                                        "%a, %d %b %Y %H:%M:%S GMT"))
    expires -= time.timezone  # strptime gave UTC fields; mktime read local
    check(abs(expires - (time.time() + 30 * 86400)) < 120,
          "expires %r is not 30 days ahead" % attrs[0])
    check_greeting(home(value), "alice")


@suite.test("every user of the table signs in; a name is HTML-escaped on the page")
def t_all_users():
    check_greeting(home(cookie_of("bob")), "bob")
    check_greeting(home(cookie_of("o'brien")), "o&#39;brien")


# --- The user cookie --------------------------------------------------------

@suite.test("an altered user cookie is no cookie: signature, value, name, format")
def t_tampered():
    good = cookie_of("alice")
    parts = good.split("|")
    flipped = good[:-1] + ("0" if good[-1] != "0" else "1")
    as_bob = "|".join(parts[:4] + ["4:Ym9i"] + parts[5:])
    other_name = "|".join(parts[:3] + ["4:usex"] + parts[4:])
    later = "|".join(parts[:2] + ["10:%d" % (int(parts[2][3:]) + 1)] +
                     parts[3:])
    for bad in (flipped, as_bob, other_name, later, good[:-2], good + "0",
                "alice", "", "2|" + good, good.replace("|", "%7C")):
        note("cookie %r" % bad)
        check_logged_out(home(bad))
    check_greeting(home(good), "alice")  # the original still works


@suite.test("a cookie signed with another secret, for another name, or too old -> logged out")
def t_foreign_cookies():
    now = time.time()
    check_greeting(home(sign_value(SECRET, "user", "zed", now)), "zed")
    check_logged_out(home(sign_value("another secret", "user", "zed", now)))
    check_logged_out(home(sign_value(SECRET, "session", "zed", now)))
    check_logged_out(home(sign_value(SECRET, "user", "zed",
                                     now - 31 * 86400)))
    check_greeting(home(sign_value(SECRET, "user", "zed", now - 29 * 86400)),
                   "zed")
    check_logged_out(home(sign_value(SECRET, "user", "", now)))


@suite.test("Tornado 6.2 reads torn's signed cookie (decode_signed_value)")
def t_tornado_reads_torn():
    web = tornado_web()

    def decode(name):
        value = cookie_of(name)
        check_eq(web.decode_signed_value(SECRET, "user", value),
                 name.encode(), "Tornado's decode of %r" % value)
        check_eq(web.decode_signed_value("wrong", "user", value), None,
                 "Tornado's decode with another secret")
    in_parallel(decode, USERS)


@suite.test("torn reads Tornado's signed cookie (create_signed_value); the name is escaped")
def t_torn_reads_tornado():
    web = tornado_web()
    value = web.create_signed_value(SECRET, "user", "alice").decode()
    check_greeting(home(value), "alice")
    value = web.create_signed_value(SECRET, "user", HOSTILE).decode()
    check_greeting(home(value), HOSTILE_ESCAPED)
    old = web.create_signed_value(SECRET, "user", "alice",
                                  clock=lambda: time.time() - 40 * 86400)
    check_logged_out(home(old.decode()))
    check_logged_out(home(web.create_signed_value("x", "user",
                                                  "alice").decode()))


# --- Logging out --------------------------------------------------------------

@suite.test("POST /logout clears the cookie (expired, Max-Age=0) and goes to /login")
def t_logout():
    user = cookie_of("alice")
    token = new_xsrf()
    # Without the token: refused, still signed in.
    r = fetch("POST", "/logout", cookies={"user": user, "_xsrf": token})
    check_status(r, 403)
    check_greeting(home(user), "alice")
    r = fetch("POST", "/logout", body={"_xsrf": token},
              cookies={"user": user, "_xsrf": token})
    check_status(r, 303)
    check_eq(r.get("Location"), "/login", "Location")
    value, attrs = set_cookies(r)["user"]
    check_eq(value, "", "cleared value")
    check("Max-Age=0" in attrs and "Path=/" in attrs, "attrs %r" % attrs)
    exp = [a for a in attrs if a.startswith("expires=")]
    check(exp, "no expires in %r" % attrs)
    when = time.mktime(time.strptime(exp[0][8:], "%a, %d %b %Y %H:%M:%S GMT"))
    check(when - time.timezone < time.time() - 86400, "expires %r" % exp[0])
    # The cleared cookie, as a browser would still send it if it kept it.
    check_logged_out(home(value))


@suite.test("the home page's sign-out form works as it is (its own _xsrf field)")
def t_logout_form():
    user = cookie_of("bob")
    token = new_xsrf()
    r = fetch("GET", "/", cookies={"user": user, "_xsrf": token})
    check_greeting(r, "bob")
    check(b'<form method="post" action="/logout">' in r.body, "no form")
    field = hidden(r.body, "_xsrf")
    check_eq(unmask(field), unmask(token), "the form's token is the cookie's")
    r = fetch("POST", "/logout", body={"_xsrf": field},
              cookies={"user": user, "_xsrf": token})
    check_status(r, 303)
    check_eq(set_cookies(r)["user"][0], "", "cleared")


# --- next ---------------------------------------------------------------------

@suite.test("next: a local path is followed, with its query")
def t_next_local():
    def follow(next_):
        r = post_login("alice", USERS["alice"], next_=next_)
        check_status(r, 303)
        check_eq(r.get("Location"), next_, "Location")
    in_parallel(follow, ["/a", "/a/b?c=d&e=%2F", "/login?next=%2F"])


@suite.test("next: off-site and odd targets are not followed (/ instead)")
def t_next_offsite():
    def refuse(next_):
        r = post_login("alice", USERS["alice"], next_=next_)
        check_status(r, 303)
        check_eq(r.get("Location"), "/", "Location for next=%r" % next_)
        check_eq(r.get_all("Set-Cookie")[-1].split("=")[0], "user",
                 "signed in all the same")
    # "/\\x" and "/\t/x" are "//x" to a browser, which drops tabs and
    # newlines from URLs and reads a backslash as a slash.
    in_parallel(refuse, ["//evil.com", "///evil.com", "http://evil",
                         "/\\evil.com", "/\t/evil.com", "javascript:alert(1)",
                         "", "/a\r\nSet-Cookie: x=1", "/caf\u00e9"])


@suite.test("the whole journey: / -> /login?next=%2F -> form -> 303 to / -> greeting")
def t_journey():
    r = fetch("GET", "/")
    check_status(r, 302)
    login_target = r.get("Location")
    r = fetch("GET", login_target)
    check_status(r, 200)
    jar = {"_xsrf": set_cookies(r)["_xsrf"][0]}
    form = {"_xsrf": hidden(r.body, "_xsrf"), "next": hidden(r.body, "next"),
            "username": "alice", "password": USERS["alice"]}
    r = fetch("POST", "/login", body=form, cookies=jar)
    check_status(r, 303)
    jar["user"] = set_cookies(r)["user"][0]
    r = fetch("GET", r.get("Location"), cookies=jar)
    check_greeting(r, "alice")


@suite.test("curl with a cookie jar: form, sign in (-L), greeting, sign out")
def t_curl():
    with tempfile.TemporaryDirectory() as d:
        jar = os.path.join(d, "jar")
        page = curl("-c", jar, "-b", jar, base_url() + "/login?next=%2F")
        token = hidden(page, "_xsrf")
        out = curl("-L", "-c", jar, "-b", jar, "-w", "\n%{http_code} %{url_effective}",
                   "--data-urlencode", "_xsrf=" + token,
                   "--data-urlencode", "username=alice",
                   "--data-urlencode", "password=" + USERS["alice"],
                   "--data-urlencode", "next=/",
                   base_url() + "/login")
        body, _, tail = out.rpartition(b"\n")
        check_eq(tail.decode(), "200 %s/" % base_url(), "after -L")
        check(b'<span class="user">alice</span>' in body,
              "greeting in %s" % show(body))
        with open(jar) as f:
            lines = f.read()
        check(re.search(r"(?m)^#HttpOnly_127\.0\.0\.1\t.*\tuser\t2\|", lines),
              "curl's jar has no HttpOnly user cookie: %r" % lines)
        out = curl("-o", "/dev/null", "-c", jar, "-b", jar,
                   "-w", "%{http_code} %{redirect_url}",
                   "-H", "X-XSRFToken: " + token, "-X", "POST",
                   base_url() + "/logout")
        check_eq(out.decode(), "303 %s/login" % base_url(), "sign out")
        out = curl("-o", "/dev/null", "-b", jar, "-w", "%{http_code}",
                   base_url() + "/")
        check_eq(out, b"302", "GET / after signing out")


# --- The password check runs on the thread pool --------------------------------

@suite.test("--workers 1: the loop answers while password checks run on the pool")
def t_off_loop():
    s = Server(shared.binary, ["--workers", "1"]).start()
    conns = []
    try:
        token = new_xsrf(s)
        body = req("POST", "/login", (),
                   {"username": "alice", "password": "not it", "_xsrf": token},
                   {"_xsrf": token})
        for _ in range(6):
            c = s.connect()
            conns.append(c)
            c.send(body)
        t0 = time.monotonic()
        r = fetch("GET", "/login", server=s)
        quick = time.monotonic() - t0
        check_status(r, 200)
        # Some checks are still running: the GET did not wait for them.
        pending = [c for c in conns
                   if not select.select([c.sock], [], [], 0)[0]]
        note("GET answered in %.3f s; %d of %d checks still running"
             % (quick, len(pending), len(conns)))
        check(pending, "every password check had finished before the GET "
              "was answered (%.3f s): is the check on the loop?" % quick)
        for c in conns:
            check_status(c.read_response("POST"), 403)
    finally:
        for c in conns:
            c.close()
        s.stop()


# --- The cookie secret ---------------------------------------------------------

@suite.test("--cookie-secret on the command line wins over TORN_COOKIE_SECRET")
def t_secret_option():
    other = "secret-from-the-command-line"
    s = Server(shared.binary, ["--cookie-secret", other]).start()
    try:
        value = sign_in("alice", server=s)
        check_greeting(home(value, server=s), "alice")
        check_greeting(home(sign_value(other, "user", "zed", time.time()),
                            server=s), "zed")
        check_logged_out(home(sign_value(SECRET, "user", "zed", time.time()),
                              server=s))
        # The shared server, with the environment's secret, refuses it.
        check_logged_out(home(value))
    finally:
        s.stop()


@suite.test("no cookie secret: signing in answers 500 and logs why; XSRF still works")
def t_no_secret():
    del os.environ["TORN_COOKIE_SECRET"]
    try:
        s = Server(shared.binary).start()
    finally:
        os.environ["TORN_COOKIE_SECRET"] = SECRET
    try:
        r = post_login("alice", USERS["alice"], server=s)
        check_status(r, 500)
        check_eq(set_cookies(r).get("user"), None, "user cookie")
        check("TORN_COOKIE_SECRET" in s.stderr_text(),
              "the log does not say why: %r" % s.stderr_text()[-500:])
        check_logged_out(home(sign_value(SECRET, "user", "zed", time.time()),
                              server=s))
        check_status(post_login("alice", "x", server=s), 403)
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(shared.main(suite))
