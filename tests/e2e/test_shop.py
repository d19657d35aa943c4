#!/usr/bin/python3
"""End-to-end tests of examples/shop (the whole route language), in TAP.

    /usr/bin/python3 tests/e2e/test_shop.py examples/shop/build/shop

Starts the binary on a free loopback port and talks to it over raw sockets
and with curl: every parameter type at its boundaries, percent-decoding,
HEAD, 405 with Allow, redirects, the trailing-slash policy, the typed URL
builders (each answer's `self`) and tn_reverse_url, then property tests
that echo random int64, uint64, str and path values. Environment:
    TORN_EXPECT_STATIC=0   sanitizer build: the static-binary test is skipped
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10)
    TORN_E2E_SEED=N        seed of the property tests (default: time-based;
                           printed as a TAP comment)
"""

import json
import os
import random
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (SharedServer, Problems, check_static_binary, curl, Suite, build_request,  # noqa: E402
                     check_eq, check_imf_fixdate,
                     note, show)

VERSION = "0.1.0"
JSON = "application/json; charset=UTF-8"
REASONS = {200: "OK", 201: "Created", 301: "Moved Permanently",
           308: "Permanent Redirect", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed"}
INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63
UINT64_MAX = 2 ** 64 - 1
API = "/api/v1"
UUID = "123e4567-e89b-12d3-a456-426614174000"
ISBN = "9780141439518"

suite = Suite()
shared = SharedServer()  # the server most tests talk to
SEED = int(os.environ.get("TORN_E2E_SEED", "0")) or int(time.time())


def req(method, target, headers=(), body=b"", version="HTTP/1.1"):
    """Raw request bytes; a body gets its Content-Length."""
    if isinstance(body, str):
        body = body.encode()
    headers = list(headers)
    if body:
        headers.append(("Content-Length", str(len(body))))
    return build_request(method, target, headers, body, version)


def conn():
    return shared.server.connect()


def fetch(method, target, headers=(), body=b""):
    """One request on a fresh connection; returns the response."""
    with conn() as c:
        return c.request(req(method, target, headers, body), method)


# --- Per-test server bookkeeping ----------------------------------------

# --- Response checks ----------------------------------------------------

def common(p, status, method="GET"):
    """Status line, and the headers every response carries once."""
    r = p.resp
    p.eq(r.status_line, "HTTP/1.1 %d %s" % (status, REASONS[status]),
         "status line")
    for name in ("Date", "Server", "Content-Length"):
        n = len(r.get_all(name))
        p.ok(n == 1, "expected one %s header, got %d" % (name, n))
    if r.has("Date"):
        try:
            check_imf_fixdate(r.get("Date"))
        except AssertionError as e:
            p.items.append(str(e))
    p.eq(r.get("Server"), "torn/" + VERSION, "Server header")
    p.ok("close" not in (r.get("Connection") or "").lower(),
         "response says Connection: %r" % r.get("Connection"))
    cl = r.get("Content-Length")
    if cl is not None:
        p.ok(cl.isdigit(), "Content-Length %r is not a number" % cl)
        if method != "HEAD" and cl.isdigit():
            p.eq(int(cl), len(r.body), "Content-Length vs body length")
    if method == "HEAD":
        p.eq(r.body, b"", "HEAD body")


def check_status(resp, status, method="GET"):
    p = Problems(resp)
    common(p, status, method)
    p.done()


def check_json(resp, want, status=200, method="GET"):
    """A JSON answer equal to `want` (compared as parsed JSON)."""
    p = Problems(resp)
    common(p, status, method)
    p.eq(resp.get("Content-Type"), JSON, "Content-Type")
    try:
        got = json.loads(resp.body.decode("utf-8"))
    except ValueError as e:
        p.items.append("body is not UTF-8 JSON: %s" % e)
    else:
        p.eq(got, want, "JSON body")
    p.done()


def check_redirect(resp, status, location, method="GET"):
    p = Problems(resp)
    common(p, status, method)
    p.eq(resp.get_all("Location"), [location], "Location header(s)")
    p.done()


def check_405(resp, allow):
    p = Problems(resp)
    common(p, 405)
    p.eq(resp.get_all("Allow"), [allow], "Allow header(s)")
    p.done()


def check_kept_alive(c):
    """The connection still serves: a follow-up GET answers 200."""
    try:
        r = c.request(req("GET", API + "/books/1"))
        check_json(r, book_json(1))
    except (AssertionError, OSError) as e:
        raise AssertionError("connection should have been kept alive, but "
                             "the follow-up GET failed: %s" % e)


# --- What the shop answers ----------------------------------------------

SEGMENT_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         b"0123456789-._~!$&'()*+,;=:@")


def canonical(data, slash_ok=False):
    """How the URL builders spell `data` (bytes): RFC 3986 unreserved,
    sub-delims, ':' and '@' as they are ('/' too for a path parameter),
    every other byte as %XX in upper case."""
    out = []
    for b in data:
        if b in SEGMENT_SAFE or (slash_ok and b == 0x2F):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def text(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def described(name, data):
    """The NAME/len/hex fields the shop gives a text parameter."""
    return {name: text(data), "len": len(data), "hex": data.hex()}


def book_json(n, method="GET"):
    return {"method": method, "id": n, "self": "%s/books/%d" % (API, n)}


def stock_json(n):
    return {"n": str(n), "self": "%s/stock/%d" % (API, n)}


def is_slug(data):
    return bool(data) and all(chr(b).isascii() and (chr(b).isalnum() or
                                                    chr(b) in "-_")
                              for b in data)


# The typed builders take C strings: a value holding a NUL byte cannot be
# built back, and the shop answers "self": null for it.

def search_json(data):
    d = described("q", data)
    d["self"] = None if 0 in data else API + "/search/" + canonical(data)
    d["author"] = (API + "/authors/" + data.decode()) if is_slug(data) else None
    return d


def file_json(data):
    d = described("rest", data)
    d["self"] = None if 0 in data else \
        API + "/files/" + canonical(data, slash_ok=True)
    return d


def author_json(name):
    d = described("name", name.encode())
    d["self"] = API + "/authors/" + name
    d["shelf"] = API + "/shelves/" + name + "/"
    return d


def order_json(ident, method="GET"):
    d = described("id", ident.encode())
    d["method"] = method
    d["self"] = API + "/orders/" + ident
    return d


# --- Test builders ------------------------------------------------------

def json_case(method, target, want, status=200, headers=(), body=b""):
    def t():
        with conn() as c:
            r = c.request(req(method, target, headers, body), method)
            check_json(r, want, status)
            check_kept_alive(c)
    return t


def status_case(method, target, status):
    def t():
        with conn() as c:
            r = c.request(req(method, target), method)
            check_status(r, status, method)
            check_kept_alive(c)
    return t


def redirect_case(method, target, status, location, body=b""):
    def t():
        with conn() as c:
            r = c.request(req(method, target, body=body), method)
            check_redirect(r, status, location, method)
            check_kept_alive(c)
    return t


def allow_case(method, target, allow):
    def t():
        with conn() as c:
            r = c.request(req(method, target), method)
            check_405(r, allow)
            check_kept_alive(c)
    return t


def add(name, fn):
    """Add a test; a '#' in its name is escaped, as TAP reads an unescaped
    one as the start of a directive."""
    suite.add(name.replace("#", "\\#"), fn)


def target_name(target):
    """A request target (a str of bytes 0-255) for a test name."""
    if all(0x20 < ord(ch) < 0x7F for ch in target) and len(target) <= 90:
        return target
    return show(target.encode("latin-1"), 90)


def add_json(method, target, want, status=200, **kw):
    add("%s %s -> %d %s" % (method, target_name(target), status,
                            show(json.dumps(want).encode(), 70)),
        json_case(method, target, want, status, **kw))


def add_status(method, target, status, why=""):
    add("%s %s -> %d%s" % (method, target_name(target), status,
                           " (%s)" % why if why else ""),
        status_case(method, target, status))


def add_redirect(method, target, status, location, body=b""):
    add("%s %s -> %d Location: %s" % (method, target_name(target), status,
                                      location),
        redirect_case(method, target, status, location, body))


def add_allow(method, target, allow):
    add("%s %s -> 405 Allow: %s" % (method, target_name(target), allow),
        allow_case(method, target, allow))


# --- Binary -------------------------------------------------------------

suite.add("static binary", lambda: check_static_binary(shared.binary))


# --- Plain routes -------------------------------------------------------

@suite.test("GET / -> exact JSON bytes, self URL from the typed builder")
def t_home():
    r = fetch("GET", "/")
    check_json(r, {"shop": "torn books", "books": API + "/books"})
    check_eq(r.body, b'{"shop": "torn books", "books": "/api/v1/books"}',
             "body bytes")


add_json("GET", API + "/books",
         {"method": "GET", "self": API + "/books",
          "books": [API + "/books/1", API + "/books/2"]})
add_json("GET", API + "/books?page=2&q=%zz",
         {"method": "GET", "self": API + "/books",
          "books": [API + "/books/1", API + "/books/2"]})


@suite.test("POST /api/v1/books -> 201, Location from the typed builder, "
            "body echoed")
def t_books_post():
    r = fetch("POST", API + "/books", [("Content-Type", "application/json")],
              b'{"title": "Emma"}')
    check_json(r, {"method": "POST", "self": API + "/books",
                   "created": API + "/books/1001",
                   "body": '{"title": "Emma"}', "body_len": 17}, 201)
    check_eq(r.get_all("Location"), [API + "/books/1001"], "Location")


@suite.test("OPTIONS /api/v1/books -> 200 from the handler, its own Allow")
def t_books_options():
    r = fetch("OPTIONS", API + "/books")
    check_json(r, {"method": "OPTIONS", "self": API + "/books"})
    check_eq(r.get_all("Allow"), ["GET, HEAD, POST, OPTIONS"], "Allow")


# --- int ----------------------------------------------------------------

@suite.test("GET /api/v1/books/42 -> exact JSON bytes")
def t_book_bytes():
    r = fetch("GET", API + "/books/42")
    check_json(r, book_json(42))
    check_eq(r.body, b'{"method": "GET", "id": 42, "self": '
             b'"/api/v1/books/42"}', "body bytes")


for _n in (0, 1, 42, -1, -7, 10 ** 18, INT64_MAX, INT64_MIN, INT64_MIN + 1,
           INT64_MAX - 1):
    add_json("GET", "%s/books/%d" % (API, _n), book_json(_n))

for _s, _why in (
        (str(INT64_MAX + 1), "INT64_MAX + 1"),
        (str(INT64_MIN - 1), "INT64_MIN - 1"),
        ("99999999999999999999", "20 digits"),
        ("1" * 300, "300 digits"),
        ("+5", "leading +"), ("+0", "+0"),
        ("007", "leading zero"), ("00", "two zeros"), ("01", "leading zero"),
        ("-0", "minus zero"), ("-007", "negative leading zero"),
        ("-00", "minus two zeros"), ("-", "lone minus"), ("--1", "two minus"),
        ("1.5", "decimal"), ("1e3", "exponent"), ("0x10", "hex"),
        ("abc", "letters"), ("42a", "trailing letter"), (" 42", "space"),
        ("%34%32", "int matches raw bytes: no decoding before matching"),
        ("4%32", "escaped digit")):
    if _s.startswith(" "):
        continue  # a space ends the request target: not a path test
    add_status("GET", "%s/books/%s" % (API, _s), 404, _why)

add_status("POST", "%s/books/%d" % (API, INT64_MAX + 1), 404,
           "no pattern matches, so 404 and not 405")
add_status("GET", API + "/books//5", 404, "empty segment inside the path")
add_status("GET", API + "/books/isbn", 404, "'isbn' is not an int")


# Methods of one int route.
add_json("PUT", API + "/books/7", dict(book_json(7, "PUT"),
                                       body="title=Emma", body_len=10),
         body=b"title=Emma")
add_json("PATCH", API + "/books/-7", dict(book_json(-7, "PATCH"),
                                          body="{}", body_len=2), body=b"{}")
add_json("DELETE", "%s/books/%d" % (API, INT64_MIN),
         book_json(INT64_MIN, "DELETE"))


# --- uint ---------------------------------------------------------------

for _n in (0, 1, 7, INT64_MAX, INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX):
    add_json("GET", "%s/stock/%d" % (API, _n), stock_json(_n))

for _s, _why in (
        (str(UINT64_MAX + 1), "UINT64_MAX + 1"),
        (str(UINT64_MAX * 10), "21 digits"),
        ("99999999999999999999", "20 nines > UINT64_MAX"),
        ("-1", "negative"), ("-0", "minus zero"), ("+1", "leading +"),
        ("01", "leading zero"), ("00", "two zeros"), ("1a", "letter"),
        ("%31", "escaped digit")):
    add_status("GET", "%s/stock/%s" % (API, _s), 404, _why)


# --- slug ---------------------------------------------------------------

for _name in ("jane-austen", "Jane_Austen_2", "a", "-", "_", "0",
              "X" * 200):
    add_json("GET", "%s/authors/%s" % (API, _name), author_json(_name))

for _s, _why in (("jane.austen", "dot"), ("jane%20austen", "escape"),
                 ("jane~austen", "tilde"), ("caf\xc3\xa9", "non-ASCII"),
                 ("a+b", "plus"), ("a:b", "colon")):
    add_status("GET", "%s/authors/%s" % (API, _s), 404, _why)

add_status("GET", API + "/authors/", 404,
           "empty slug; /api/v1/authors matches nothing either")


# --- uuid ---------------------------------------------------------------

add_json("GET", API + "/orders/" + UUID, order_json(UUID))
add_json("GET", API + "/orders/" + UUID.upper(), order_json(UUID.upper()))
add_json("GET", API + "/orders/00000000-0000-0000-0000-000000000000",
         order_json("00000000-0000-0000-0000-000000000000"))
add_json("GET", API + "/orders/ffffffff-FFFF-aBcD-9999-ABCDEFabcdef",
         order_json("ffffffff-FFFF-aBcD-9999-ABCDEFabcdef"))
add_json("DELETE", API + "/orders/" + UUID, order_json(UUID, "DELETE"))

for _s, _why in (
        (UUID[:-1], "last group 11 digits"),
        (UUID + "0", "last group 13 digits"),
        (UUID.replace("-", ""), "no dashes"),
        ("123e4567e-89b-12d3-a456-426614174000", "first group 9"),
        ("123e4567-e89-b12d3-a456-426614174000", "groups shifted"),
        (UUID.replace("e", "g"), "g is not hex"),
        ("{%s}" % UUID, "braces"),
        (UUID.replace("-", "%2D"), "escaped dashes")):
    add_status("GET", "%s/orders/%s" % (API, _s), 404, _why)


# --- inline pattern {isbn:[0-9]{13}} -----------------------------------

add_json("GET", API + "/books/isbn/" + ISBN,
         dict(described("isbn", ISBN.encode()),
              self=API + "/books/isbn/" + ISBN))
add_json("GET", API + "/books/isbn/0000000000000",
         dict(described("isbn", b"0000000000000"),
              self=API + "/books/isbn/0000000000000"))
for _s, _why in ((ISBN[:12], "12 digits"), (ISBN + "0", "14 digits"),
                 (ISBN[:12] + "X", "a letter"),
                 (ISBN[:12] + "%30", "escaped digit")):
    add_status("GET", "%s/books/isbn/%s" % (API, _s), 404, _why)


# --- str (decoded) -------------------------------------------------------

STR_CASES = [
    ("tolstoy", b"tolstoy"),
    ("war%20and%20peace", b"war and peace"),
    ("a%2Fb", b"a/b"),                      # one segment, '/' inside
    ("a%2fb", b"a/b"),                      # lower-case escape
    ("%2F", b"/"),
    ("%FF", b"\xff"),                       # not UTF-8: delivered as is
    ("%00", b"\x00"),
    ("%25", b"%"),
    ("%3F", b"?"),
    ("%23", b"#"),
    ("caf%C3%A9", "café".encode()),
    ("caf\xc3\xa9", "café".encode()),      # raw UTF-8 bytes
    ("\xff\xfe", b"\xff\xfe"),             # raw non-UTF-8 bytes
    ("+", b"+"),                            # '+' is not a space in a path
    ("!$&'()*+,;=:@", b"!$&'()*+,;=:@"),
    ("a.b~c_d-e", b"a.b~c_d-e"),
    ("jane-austen", b"jane-austen"),       # a slug: links to the author
    ("%6A%61%6E%65", b"jane"),             # decoded, then a valid slug
    ("#", b"#"),
    ('"<>\\^`{|}', b'"<>\\^`{|}'),
]

for _raw, _want in STR_CASES:
    add_json("GET", API + "/search/" + _raw, search_json(_want))

add_json("GET", API + "/search/a?b", search_json(b"a"))
add_json("GET", API + "/search/x?q=%zz&r=%", search_json(b"x"))
add_status("GET", API + "/search/", 404,
           "empty str; /api/v1/search matches nothing either")
add_status("GET", API + "/search/a/b", 404, "str is one segment")


@suite.test("str: 1000 encoded bytes of every value -> decoded exactly")
def t_str_long():
    data = bytes(range(256)) * 4
    r = fetch("GET", API + "/search/" + "".join("%%%02x" % b for b in data))
    check_json(r, search_json(data))


# Malformed escapes: 400, and the connection is still served.
def bad_escape_case(target):
    def t():
        with conn() as c:
            r = c.request(req("GET", target))
            check_status(r, 400)
            check_kept_alive(c)
            r = c.request(req("GET", target))
            check_status(r, 400)
            check_kept_alive(c)
    return t


for _t in (API + "/search/a%zz", API + "/search/%4", API + "/search/%",
           API + "/search/%4g", API + "/search/%%41", API + "/search/%g4",
           API + "/files/a/%zz/b", API + "/files/a%2", "/no/such%zz",
           "/%", API + "/books/1%zz"):
    add("GET %s -> 400, same connection served twice more" % _t,
        bad_escape_case(_t))


@suite.test("pipelined: 200, 400 (bad escape), 404, 200 in one write")
def t_pipeline_bad_escape():
    with conn() as c:
        c.send(req("GET", API + "/search/a%20b") +
               req("GET", API + "/search/a%zz") +
               req("GET", API + "/books/+1") +
               req("GET", API + "/stock/5"))
        rs = c.read_responses(["GET"] * 4)
        check_json(rs[0], search_json(b"a b"))
        check_status(rs[1], 400)
        check_status(rs[2], 404)
        check_json(rs[3], stock_json(5))
        check_eq(c.no_extra_bytes(), b"", "bytes after four responses")


# --- path ---------------------------------------------------------------

PATH_CASES = [
    ("a", b"a"),
    ("a/b/c.txt", b"a/b/c.txt"),
    ("a/b/", b"a/b/"),                     # the route matches: no redirect
    ("a%20b/c%2Fd", b"a b/c/d"),            # %2F decodes to '/'
    ("/a", b"/a"),
    ("a//b", b"a//b"),
    ("%FF%00/x", b"\xff\x00/x"),
    ("caf\xc3\xa9/%C3%A9t%C3%A9", "café/été".encode()),
    ("..%2F..%2Fetc/passwd", b"../../etc/passwd"),
    ("%3F%23", b"?#"),
]

for _raw, _want in PATH_CASES:
    add_json("GET", API + "/files/" + _raw, file_json(_want))

add_json("GET", API + "/files/a/b?c/d", file_json(b"a/b"))
add_status("GET", API + "/files/", 404,
           "empty path; /api/v1/files matches nothing either")


# --- HEAD ---------------------------------------------------------------

def head_case(target):
    def t():
        with conn() as c:
            h, g = c.head_then_get(req("HEAD", target), req("GET", target))
            check_status(h, g.status, "HEAD")
            check_eq(h.get("Content-Type"), g.get("Content-Type"),
                     "HEAD Content-Type")
            check_eq(h.get("Location"), g.get("Location"), "HEAD Location")
            check_eq(sorted(k.lower() for k, _ in h.headers),
                     sorted(k.lower() for k, _ in g.headers),
                     "HEAD vs GET header names")
    return t


for _t in ("/", API + "/books/isbn/" + ISBN, API + "/authors/jane-austen",
           API + "/stock/%d" % UINT64_MAX, API + "/search/a%2Fb%FF",
           API + "/files/a/b%20c", API + "/reverse/book?arg=42",
           API + "/shelves/classics/", API + "/no/such/page",
           API + "/books/+1", "/b/5?x=1", "/catalog", API + "/books/"):
    add("HEAD %s -> no body, GET's status, headers and length" % _t,
        head_case(_t))


@suite.test("HEAD /api/v1/cart (ANY) -> handler ran as HEAD, no body")
def t_head_any():
    r = fetch("HEAD", API + "/cart")
    check_status(r, 200, "HEAD")
    want = json.dumps({"method": "HEAD", "body": "", "body_len": 0})
    check_eq(r.get("Content-Length"), str(len(want)),
             "Content-Length of the HEAD answer")


# --- Methods: ANY and 405 -----------------------------------------------

for _m in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
    _body = b"" if _m in ("GET", "OPTIONS") else b"qty=2"
    add_json(_m, API + "/cart", {"method": _m, "body": _body.decode(),
                                 "body_len": len(_body)}, body=_body)

ALL = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
for _m, _t, _allow in (
        ("DELETE", API + "/books", "GET, HEAD, POST, OPTIONS"),
        ("PUT", API + "/books", "GET, HEAD, POST, OPTIONS"),
        ("POST", API + "/books/5", "GET, HEAD, PUT, PATCH, DELETE"),
        ("OPTIONS", "%s/books/%d" % (API, INT64_MIN),
         "GET, HEAD, PUT, PATCH, DELETE"),
        ("PUT", API + "/orders/" + UUID, "GET, HEAD, DELETE"),
        ("POST", "/", "GET, HEAD"),
        ("DELETE", API + "/search/a%2Fb", "GET, HEAD"),
        ("PATCH", API + "/files/a/b", "GET, HEAD"),
        ("POST", API + "/books/isbn/" + ISBN, "GET, HEAD"),
        ("OPTIONS", API + "/shelves/x/", "GET, HEAD"),
        ("PROPFIND", API + "/cart", ALL),
        ("PROPFIND", API + "/books/5", "GET, HEAD, PUT, PATCH, DELETE")):
    add_allow(_m, _t, _allow)


@suite.test("POST with a body -> 405; next pipelined request served")
def t_405_body():
    with conn() as c:
        c.send(req("POST", API + "/stock/3", body=b"x" * 100) +
               req("GET", API + "/stock/3"))
        check_405(c.read_response("POST"), "GET, HEAD")
        check_json(c.read_response("GET"), stock_json(3))


# --- Redirects ----------------------------------------------------------

add_redirect("GET", "/catalog", 301, API + "/books")
add_redirect("GET", "/catalog?page=2&sort=title", 301,
             API + "/books?page=2&sort=title")
add_redirect("POST", "/catalog", 301, API + "/books", body=b"a=1")
add_redirect("DELETE", "/catalog?x", 301, API + "/books?x")
add_redirect("GET", "/b/5", 308, API + "/books/5")
add_redirect("GET", "/b/5?x=1", 308, API + "/books/5?x=1")
add_redirect("GET", "/b/-5?x=%zz&y", 308, API + "/books/-5?x=%zz&y")
add_redirect("POST", "/b/5", 308, API + "/books/5", body=b"title=Emma")
add_redirect("PUT", "/b/%d" % INT64_MIN, 308,
             "%s/books/%d" % (API, INT64_MIN), body=b"x")
add_redirect("OPTIONS", "/b/0", 308, API + "/books/0")
add_redirect("GET", "/a/jane-austen", 301, API + "/authors/jane-austen")
add_redirect("GET", "/a/jane-austen?tab=books", 301,
             API + "/authors/jane-austen?tab=books")
for _t, _why in (("/b/007", "not an int"), ("/b/+5", "not an int"),
                 ("/b/%d" % (INT64_MAX + 1), "out of range"),
                 ("/b/", "empty"), ("/a/jane.austen", "not a slug"),
                 ("/catalogue", "other path")):
    add_status("GET", _t, 404, _why)


# --- Trailing slash -----------------------------------------------------

for _m, _t, _st, _loc in (
        ("GET", API + "/books/", 301, API + "/books"),
        ("GET", API + "/books/?page=2&q=a%20b", 301,
         API + "/books?page=2&q=a%20b"),
        ("HEAD", API + "/books/", 301, API + "/books"),
        ("POST", API + "/books/", 308, API + "/books"),
        ("GET", API + "/books/42/", 301, API + "/books/42"),
        ("PUT", API + "/books/42/?v=1", 308, API + "/books/42?v=1"),
        ("DELETE", API + "/books/-1/", 308, API + "/books/-1"),
        ("GET", API + "/search/a%2Fb/", 301, API + "/search/a%2Fb"),
        ("GET", API + "/stock/%d/" % UINT64_MAX, 301,
         API + "/stock/%d" % UINT64_MAX),
        ("GET", API + "/shelves/classics", 301, API + "/shelves/classics/"),
        ("GET", API + "/shelves/classics?sort=title", 301,
         API + "/shelves/classics/?sort=title"),
        ("GET", API + "/shelves/classics//", 301, API + "/shelves/classics/"),
        ("POST", API + "/shelves/classics", 308, API + "/shelves/classics/"),
        ("PATCH", API + "/cart/", 308, API + "/cart"),
        ("OPTIONS", API + "/cart/?a", 308, API + "/cart?a")):
    add_redirect(_m, _t, _st, _loc)

for _t, _why in ((API + "/books//", "/books/ matches nothing either"),
                 (API + "/books/+1/", "/books/+1 matches nothing"),
                 (API + "/books/%d/" % (INT64_MAX + 1),
                  "/books/INT64_MAX+1 matches nothing"),
                 (API + "/stock/%d/" % (UINT64_MAX + 1),
                  "/stock/UINT64_MAX+1 matches nothing"),
                 (API + "/shelves/a.b", "/shelves/a.b/ matches nothing"),
                 (API + "/", "/api/v1 matches nothing"),
                 (API, "/api/v1/ matches nothing")):
    add_status("GET", _t, 404, _why)

add_json("GET", API + "/shelves/classics/",
         dict(described("name", b"classics"),
              self=API + "/shelves/classics/"))


# --- tn_reverse_url by name ---------------------------------------------

def rev_ok(name, query, url, size=None):
    n = len(url)
    kept = url if size is None or n < size else url[:max(size - 1, 0)]
    return {"name": name, "url": kept, "len": n,
            "truncated": size is not None and n >= size}


for _name, _q, _url in (
        ("home", "", "/"),
        ("books", "", API + "/books"),
        ("book", "arg=42", API + "/books/42"),
        ("book", "arg=-9223372036854775808", API + "/books/%d" % INT64_MIN),
        ("book", "arg=0", API + "/books/0"),
        ("by_isbn", "arg=" + ISBN, API + "/books/isbn/" + ISBN),
        ("author", "arg=jane-austen", API + "/authors/jane-austen"),
        ("shelf", "arg=classics", API + "/shelves/classics/"),
        ("order", "arg=" + UUID, API + "/orders/" + UUID),
        ("stock", "arg=%d" % UINT64_MAX, API + "/stock/%d" % UINT64_MAX),
        ("search", "arg=a%2Fb%20c", API + "/search/a%2Fb%20c"),
        ("search", "arg=caf%C3%A9%FF", API + "/search/caf%C3%A9%FF"),
        ("file", "arg=a/b%20c/", API + "/files/a/b%20c/"),
        ("cart", "", API + "/cart"),
        ("reverse", "arg=book", API + "/reverse/book")):
    add_json("GET", "%s/reverse/%s%s" % (API, _name, "?" + _q if _q else ""),
             rev_ok(_name, _q, _url))

for _size in (0, 1, 5, 16, 17):
    add_json("GET", "%s/reverse/book?arg=42&size=%d" % (API, _size),
             rev_ok("book", "", API + "/books/42", _size))

for _name, _q, _err in (
        ("nope", "", "TN_ENOROUTE"),
        ("nope", "arg=1", "TN_ENOROUTE"),
        ("BOOK", "arg=1", "TN_ENOROUTE"),
        ("book", "", "TN_EARITY"),
        ("book", "arg=1&arg=2", "TN_EARITY"),
        ("home", "arg=1", "TN_EARITY"),
        ("book", "arg=abc", "TN_EINVAL"),
        ("book", "arg=007", "TN_EINVAL"),
        ("book", "arg=-0", "TN_EINVAL"),
        ("book", "arg=%2B1", "TN_EINVAL"),
        ("book", "arg=", "TN_EINVAL"),
        ("book", "arg=%d" % (INT64_MAX + 1), "TN_EINVAL"),
        ("stock", "arg=-1", "TN_EINVAL"),
        ("stock", "arg=01", "TN_EINVAL"),
        ("stock", "arg=%2B1", "TN_EINVAL"),
        ("stock", "arg=-0", "TN_EINVAL"),
        ("stock", "arg=%d" % (UINT64_MAX + 1), "TN_EINVAL"),
        ("by_isbn", "arg=" + ISBN[:12], "TN_EINVAL"),
        ("by_isbn", "arg=" + ISBN + "1", "TN_EINVAL"),
        ("author", "arg=jane%20austen", "TN_EINVAL"),
        ("order", "arg=" + UUID[:-1], "TN_EINVAL"),
        ("search", "arg=", "TN_EINVAL"),
        ("file", "arg=", "TN_EINVAL")):
    add_json("GET", "%s/reverse/%s%s" % (API, _name, "?" + _q if _q else ""),
             {"name": _name, "error": _err},
             404 if _err == "TN_ENOROUTE" else 400)


# --- Property tests -----------------------------------------------------

def batch(c, targets):
    """Send GETs for `targets` pipelined in one write; read the answers."""
    c.send(b"".join(req("GET", t) for t in targets))
    return c.read_responses(["GET"] * len(targets))


def random_int64(rng):
    k = rng.randrange(6)
    if k == 0:
        return rng.randrange(-1000, 1000)
    if k == 1:
        return rng.choice((INT64_MAX, INT64_MIN)) - rng.randrange(-2, 3)
    bits = rng.randrange(1, 64)
    return rng.randrange(-2 ** bits, 2 ** bits)


@suite.test("property: 400 random int64 values echo exactly; non-canonical "
            "spellings and out-of-range values are 404")
def t_prop_int():
    rng = random.Random(SEED)
    with conn() as c:
        for _round in range(8):
            values = [random_int64(rng) for _ in range(50)]
            targets = ["%s/books/%d" % (API, v) for v in values]
            for v, r in zip(values, batch(c, targets)):
                note("value %d" % v)
                if INT64_MIN <= v <= INT64_MAX:
                    check_json(r, book_json(v))
                else:
                    check_status(r, 404)
            bad = []
            for v in values:
                a = str(abs(v))
                sign = "-" if v < 0 else ""
                bad += [sign + "0" + a, "+" + str(v) if v >= 0 else "+" + a]
            for t, r in zip(bad, batch(c, ["%s/books/%s" % (API, b)
                                           for b in bad])):
                note("non-canonical %s" % t)
                check_status(r, 404)


@suite.test("property: 300 random uint64 values echo exactly; redirects "
            "of random ints keep value and query")
def t_prop_uint():
    rng = random.Random(SEED + 1)
    with conn() as c:
        for _round in range(6):
            values = [rng.choice((rng.randrange(2 ** rng.randrange(1, 65)),
                                  UINT64_MAX - rng.randrange(3),
                                  UINT64_MAX + 1 + rng.randrange(3)))
                      for _ in range(50)]
            for v, r in zip(values, batch(c, ["%s/stock/%d" % (API, v)
                                              for v in values])):
                note("value %d" % v)
                if v <= UINT64_MAX:
                    check_json(r, stock_json(v))
                else:
                    check_status(r, 404)
        ints = [random_int64(rng) for _ in range(50)]
        ints = [v for v in ints if INT64_MIN <= v <= INT64_MAX]
        for v, r in zip(ints, batch(c, ["/b/%d?v=%d" % (v, v) for v in ints])):
            check_redirect(r, 308, "%s/books/%d?v=%d" % (API, v, v))


# Bytes a client may send raw in a str segment: the request target's bytes
# (0x21-0x7E, 0x80-0xFF) except '/', '?' and '%'.
RAW_OK = frozenset(set(range(0x21, 0x7F)) - set(b"/?%")) | \
    frozenset(range(0x80, 0x100))


def random_bytes(rng, slash=False):
    pool = list(range(256)) if rng.random() < 0.5 else \
        list(b"abcxyzAZ09-_.~ %/+:@!$&'()*,;=?#\x00\xff\xc3\xa9")
    n = rng.randrange(1, 24)
    data = bytes(rng.choice(pool) for _ in range(n))
    if not slash:
        return data
    # A path value: never empty.
    return data


def random_spelling(rng, data, slash=False):
    """One of the many ways a client may write `data` in a URL."""
    out = []
    for b in data:
        raw_ok = b in RAW_OK or (slash and b == 0x2F)
        if raw_ok and rng.random() < 0.6:
            out.append(chr(b))
        else:
            h = "%02X" % b
            out.append("%" + (h if rng.random() < 0.5 else h.lower()))
    return "".join(out)


@suite.test("property: 400 random str values, spelled randomly raw or "
            "escaped, arrive decoded byte for byte")
def t_prop_str():
    rng = random.Random(SEED + 2)
    with conn() as c:
        for _round in range(8):
            values = [random_bytes(rng) for _ in range(50)]
            spelt = [random_spelling(rng, v) for v in values]
            targets = [API + "/search/" + s for s in spelt]
            for v, s, r in zip(values, spelt, batch(c, targets)):
                note("value %r sent as %r" % (v, s))
                check_json(r, search_json(v))


@suite.test("property: 300 random path values arrive decoded, '/' kept")
def t_prop_path():
    rng = random.Random(SEED + 3)
    with conn() as c:
        for _round in range(6):
            values = [random_bytes(rng, slash=True) for _ in range(50)]
            spelt = [random_spelling(rng, v, slash=True) for v in values]
            targets = [API + "/files/" + s for s in spelt]
            for v, s, r in zip(values, spelt, batch(c, targets)):
                note("value %r sent as %r" % (v, s))
                check_json(r, file_json(v))


@suite.test("property: tn_reverse_url of random str values equals the typed "
            "builder's self URL")
def t_prop_reverse():
    rng = random.Random(SEED + 4)
    with conn() as c:
        values = [bytes(rng.choice(range(1, 256)) for _ in
                        range(rng.randrange(1, 16))) for _ in range(60)]
        # In the query every byte is escaped: a raw '&' would split it.
        targets = ["%s/reverse/search?arg=%s" % (API, "".join(
            "%%%02X" % b for b in v)) for v in values]
        for v, r in zip(values, batch(c, targets)):
            note("value %r" % v)
            u = API + "/search/" + canonical(v)
            check_json(r, {"name": "search", "url": u, "len": len(u),
                           "truncated": False})


# --- curl ---------------------------------------------------------------

def curl_json(out):
    try:
        return json.loads(out.decode("utf-8"))
    except ValueError:
        raise AssertionError("curl got no JSON: %s" % show(out))


def base():
    return "http://127.0.0.1:%d" % shared.server.port


@suite.test("curl GET /api/v1/books/42 -> exact body")
def t_curl_book():
    out = curl(base() + API + "/books/42")
    check_eq(out, b'{"method": "GET", "id": 42, "self": "/api/v1/books/42"}',
             "body seen by curl")


@suite.test("curl -L /catalog?page=2 follows the 301 to the books")
def t_curl_follow():
    out = curl("-L", "-w", "\n%{num_redirects} %{url_effective}",
               base() + "/catalog?page=2")
    body, _, info = out.rpartition(b"\n")
    check_eq(curl_json(body), {"method": "GET", "self": API + "/books",
                                "books": [API + "/books/1",
                                          API + "/books/2"]}, "final body")
    check_eq(info.decode(), "1 %s%s/books?page=2" % (base(), API),
             "redirects and final URL")


@suite.test("curl -L -X PUT --data to /b/7: the 308 keeps method and body")
def t_curl_308():
    out = curl("-L", "-X", "PUT", "--data-binary", "title=Emma",
               base() + "/b/7")
    check_eq(curl_json(out), dict(book_json(7, "PUT"), body="title=Emma",
                                   body_len=10), "final body")


@suite.test("curl: trailing slash and bad escape status codes")
def t_curl_codes():
    out = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
               base() + API + "/books/?q=1")
    check_eq(out.decode(), "301 %s%s/books?q=1" % (base(), API),
             "status and redirect URL")
    out = curl("-o", "/dev/null", "-w", "%{http_code}",
               base() + API + "/search/%zz")
    check_eq(out, b"400", "status of a bad escape")


@suite.test("curl --path-as-is: %2F stays inside one str segment")
def t_curl_slash():
    out = curl("--path-as-is", base() + API + "/search/a%2Fb%20c")
    check_eq(curl_json(out), search_json(b"a/b c"), "body")


@suite.test("curl POST --data /api/v1/books -> 201")
def t_curl_post():
    out = curl("-o", "/dev/null", "-w", "%{http_code}", "--data", "t=E",
               base() + API + "/books")
    check_eq(out, b"201", "status")


# --- Request arguments (tn_get_argument and friends) ---------------------

FORM = ("Content-Type", "application/x-www-form-urlencoded")
_CTRL = re.compile("[\x00-\x08\x0e-\x1f]")


def args_json(q="", sort="relevance", query_tags=(), body_tags=(),
              query_q=None, body_q=None):
    """What /search answers: `q` and `sort` are the last values (or the
    defaults), `tags` the query's then the body's."""
    return {"q": q, "sort": sort,
            "tags": list(query_tags) + list(body_tags),
            "query_tags": list(query_tags), "body_tags": list(body_tags),
            "query_q": query_q, "body_q": body_q}


def missing_page(name):
    return ("<html><title>400: Bad Request</title><body>400: Bad Request "
            "(Missing argument %s)</body></html>" % name).encode()


def check_missing(resp, name, method="GET"):
    """400 naming the missing argument, Tornado's page plus the detail."""
    p = Problems(resp)
    common(p, 400, method)
    p.eq(resp.get("Content-Type"), "text/html; charset=UTF-8",
         "Content-Type")
    if method != "HEAD":
        p.eq(resp.body, missing_page(name), "body")
    p.done()


def tornado_args(data):
    """The model: what Tornado's request.arguments and get_arguments() make
    of query or form bytes, as [(name bytes, value str or None)]; None for
    a value that is not UTF-8 (Tornado answers 400; torn passes the bytes
    on, and the shop shows them as null)."""
    out = []
    for k, v in urllib.parse.parse_qsl(data.decode("latin-1"),
                                       keep_blank_values=True,
                                       encoding="latin-1", errors="strict"):
        try:
            s = v.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            out.append((k.encode("latin-1"), None))
            continue
        out.append((k.encode("latin-1"), _CTRL.sub(" ", s).strip()))
    return out


def model_search(query, body=None):
    """args_json for /search?QUERY with form body BODY, from the model."""
    qa = tornado_args(query)
    ba = tornado_args(body) if body is not None else []

    def values(args, name):
        return [v for k, v in args if k == name]

    def last(args, name):
        vs = values(args, name)
        return vs[-1] if vs else None

    q = values(qa, b"q") + values(ba, b"q")
    sort = values(qa, b"sort") + values(ba, b"sort")
    return {"q": q[-1] if q else "",
            "sort": sort[-1] if sort else "relevance",
            "tags": values(qa, b"tag") + values(ba, b"tag"),
            "query_tags": values(qa, b"tag"),
            "body_tags": values(ba, b"tag"),
            "query_q": last(qa, b"q"), "body_q": last(ba, b"q")}


# The query string alone.
for _q, _want in (
        ("", args_json()),
        ("?", args_json()),
        ("?q=emma", args_json("emma", query_q="emma")),
        ("?q=emma&sort=title", args_json("emma", "title", query_q="emma")),
        # Repeated names: every value in order, the last one wins.
        ("?tag=a&tag=b&q=1&tag=c&q=2",
         args_json("2", query_tags=["a", "b", "c"], query_q="2")),
        # '+' is a space, %XX a byte; an escaped '+', '&' or '=' is data.
        ("?q=war+and%20peace", args_json("war and peace",
                                         query_q="war and peace")),
        ("?q=a%2Bb%26c%3Dd", args_json("a+b&c=d", query_q="a+b&c=d")),
        ("?q=caf%C3%A9", args_json("café", query_q="café")),
        ("?q=caf\xc3\xa9", args_json("café", query_q="café")),
        ("?t%61g=x&%74ag=y", args_json(query_tags=["x", "y"])),
        # Malformed escapes are kept as they are.
        ("?q=%zz", args_json("%zz", query_q="%zz")),
        ("?q=100%", args_json("100%", query_q="100%")),
        ("?q=%4g%41&tag=%&tag=%%", args_json("%4gA", query_tags=["%", "%%"],
                                           query_q="%4gA")),
        # Blank values are kept: a name alone, or with '='.
        ("?q&tag&tag=", args_json("", query_tags=["", ""], query_q="")),
        ("?&&q=1&&", args_json("1", query_q="1")),
        ("?=x&q==y", args_json("=y", query_q="=y")),
        ("?q=1;sort=x", args_json("1;sort=x", query_q="1;sort=x")),
        # Stripped (strip=True), control characters as spaces.
        ("?q=++emma++&tag=%20a%09&tag=%E3%80%80b%C2%A0",
         args_json("emma", query_tags=["a", "b"], query_q="emma")),
        ("?q=a%00b%1Fc&tag=%00", args_json("a b c", query_tags=[""],
                                           query_q="a b c")),
        ("?q=a+%09+b", args_json("a \t b", query_q="a \t b")),
        # Names are case sensitive and not stripped.
        ("?Q=1&tag+=2&+tag=3", args_json()),
        # Not UTF-8: the bytes pass through (the shop shows null).
        ("?q=%FF", args_json(None, query_q=None))):
    add_json("GET", "/search" + _q, _want)

# A form body.
add_json("POST", "/search", args_json("emma", body_tags=["a", "b"],
                                      body_q="emma"),
         headers=[FORM], body=b"q=emma&tag=a&tag=b")
add_json("POST", "/search", args_json("war and peace", "year",
                                      body_tags=["a&b", "%zz", ""],
                                      body_q="war and peace"),
         headers=[FORM],
         body=b"q=+war+and%20peace+&tag=a%26b&sort=year&tag=%zz&tag")
# Both: the query's values first, the body's after them (so the body's q
# is the last one), and each source on its own.
add_json("POST", "/search?tag=q1&q=from-query&tag=q2",
         args_json("from-body", query_tags=["q1", "q2"],
                   body_tags=["b1", "b2"], query_q="from-query",
                   body_q="from-body"),
         headers=[FORM], body=b"tag=b1&q=from-body&tag=b2")
add_json("POST", "/search?q=from-query",
         args_json("from-query", body_tags=["b"], query_q="from-query"),
         headers=[FORM], body=b"tag=b")
# Any method with a form body, as Tornado.
add_json("GET", "/search", args_json("x", body_q="x"), headers=[FORM],
         body=b"q=x")
# The media type: case-insensitive, parameters allowed.
for _ct in ("application/x-www-form-urlencoded; charset=UTF-8",
            "application/x-www-form-urlencoded;charset=utf-8",
            "Application/X-WWW-Form-URLEncoded",
            "APPLICATION/X-WWW-FORM-URLENCODED ; charset=ISO-8859-1"):
    add_json("POST", "/search?tag=q", args_json("b", query_tags=["q"],
                                                body_q="b"),
             headers=[("Content-Type", _ct)], body=b"q=b")
# Any other body has no arguments: the query's still count.
for _hs in ([("Content-Type", "text/plain")],
            [("Content-Type", "application/json")],
            [("Content-Type", "application/x-www-form-urlencodedx")],
            [("Content-Type", "application/x-www-form")],
            [],
            [FORM, ("Content-Encoding", "gzip")]):
    add_json("POST", "/search?q=query", args_json("query", query_q="query"),
             headers=_hs, body=b"q=body&tag=body")


@suite.test("POST a multipart body that is not multipart -> 400 saying why, "
            "connection kept")
def t_bad_multipart():
    # Stricter than Tornado 6.2, which logs the body and drops it: a client
    # whose form went missing should hear about it.
    with conn() as c:
        r = c.request(req("POST", "/search?q=query",
                          [("Content-Type", "multipart/form-data; boundary=x")],
                          b"q=body&tag=body"), "POST")
        check_status(r, 400, "POST")
        check_eq(b"no final boundary" in r.body, True, "reason in the page")
        check_kept_alive(c)


@suite.test("arguments of one request never leak into the next "
            "(pipelined on one connection)")
def t_args_pipelined():
    with conn() as c:
        c.send(req("POST", "/search?q=one&tag=a", [FORM], b"tag=b&q=two") +
               req("GET", "/search") +
               req("GET", "/search?tag=c") +
               req("POST", "/search", [("Content-Type", "text/plain")],
                   b"q=three") +
               req("GET", "/buy?book=1&qty=2") +
               req("GET", "/buy?qty=2"))
        rs = c.read_responses(["POST", "GET", "GET", "POST", "GET", "GET"])
        check_json(rs[0], args_json("two", query_tags=["a"],
                                    body_tags=["b"], query_q="one",
                                    body_q="two"))
        check_json(rs[1], args_json())
        check_json(rs[2], args_json(query_tags=["c"]))
        check_json(rs[3], args_json())
        check_json(rs[4], {"book": "1", "qty": "2", "gift": "no"})
        check_missing(rs[5], "book")
        check_eq(c.no_extra_bytes(), b"", "bytes after six responses")


@suite.test("a 300 KB form body in pieces: 20,000 values, in order")
def t_args_large_body():
    tags = ["t%d" % i for i in range(20000)]
    body = ("q=big&" + "&".join("tag=%20" + t + "+" for t in tags)).encode()
    with conn() as c:
        c.send(req("POST", "/search?tag=first", [FORM], body))
        check_json(c.read_response("POST"),
                   args_json("big", query_tags=["first"], body_tags=tags,
                             body_q="big"))
        check_kept_alive(c)


def random_piece(rng, raw_ok):
    """A piece of query or form text: plain characters, separators, '+',
    escapes good and bad, UTF-8 raw or escaped, control characters."""
    words = ["tag", "q", "sort", "a", "Tag", "%74ag", "t%61g", "ta", "g",
             "=", "&", "+", "%", "%2", "%zz", "%20", "%2B", "%26", "%3D",
             "%00", "%09", "%1F", "%7F", "%C3%A9", "%E2%80%83", "%C2%A0",
             "%E3%80%80", "%FF", "%C3", "~", ";", ".", "-", "*"]
    if raw_ok:
        words += ["\xc3\xa9", "\xe2\x80\x83", "!", "$", "'", "(", ")"]
    return "".join(rng.choice(words) for _ in range(rng.randrange(0, 12)))


@suite.test("property: 300 random query strings and form bodies read as "
            "Tornado reads them (parse_qsl, then strip)")
def t_prop_args():
    rng = random.Random(SEED + 5)
    with conn() as c:
        for _round in range(6):
            cases = []
            for _ in range(50):
                query = random_piece(rng, True)
                body = random_piece(rng, False) if rng.random() < 0.5 \
                    else None
                cases.append((query, body))
            data = b""
            for query, body in cases:
                if body is None:
                    data += req("GET", "/search?" + query)
                else:
                    data += req("POST", "/search?" + query, [FORM],
                                body.encode("latin-1"))
            c.send(data)
            for query, body in cases:
                r = c.read_response("GET" if body is None else "POST")
                note("query %r body %r" % (query, body))
                check_json(r, model_search(
                    query.encode("latin-1"),
                    None if body is None else body.encode("latin-1")))


# Required arguments: tn_require_argument answers 400 naming the first one
# missing; present with an empty value is present.
@suite.test("GET /buy with both arguments -> 200, gift defaulted")
def t_buy_ok():
    with conn() as c:
        check_json(c.request(req("GET", "/buy?book=42&qty=2")),
                   {"book": "42", "qty": "2", "gift": "no"})
        check_json(c.request(req("GET", "/buy?qty=&book&gift=+yes+")),
                   {"book": "", "qty": "", "gift": "yes"})
        check_kept_alive(c)


for _m, _t, _hs, _body, _name in (
        ("GET", "/buy", [], b"", "book"),
        ("GET", "/buy?qty=2", [], b"", "book"),
        ("GET", "/buy?book=42", [], b"", "qty"),
        ("GET", "/buy?Book=42&qty=1", [], b"", "book"),
        ("GET", "/buy?book%20=42&qty=1", [], b"", "book"),
        ("POST", "/buy", [FORM], b"book=42", "qty"),
        ("POST", "/buy?book=42", [("Content-Type", "text/plain")],
         b"qty=2", "qty"),
        ("HEAD", "/buy?book=42", [], b"", "qty")):
    def _missing_case(m=_m, t=_t, hs=_hs, body=_body, name=_name):
        with conn() as c:
            check_missing(c.request(req(m, t, hs, body), m), name, m)
            check_kept_alive(c)
    add("%s %s%s -> 400 Missing argument %s"
        % (_m, _t, " (body %r)" % _body if _body else "", _name),
        _missing_case)

add_json("POST", "/buy?book=42", {"book": "42", "qty": "3", "gift": "yes"},
         headers=[FORM], body=b"qty=3&gift=yes")


@suite.test("curl --get --data-urlencode /search: values as curl encodes "
            "them")
def t_curl_args_get():
    out = curl("--get", "--data-urlencode", "q=war & peace = 1+1",
               "--data-urlencode", "tag=caf\u00e9", "--data-urlencode",
               "tag= 100% ", base() + "/search")
    check_eq(curl_json(out),
             args_json("war & peace = 1+1", query_tags=["café", "100%"],
                       query_q="war & peace = 1+1"), "body")


@suite.test("curl --data (a form POST) /search?tag=q: query then body")
def t_curl_args_post():
    out = curl("--data", "tag=b1&q=emma", "--data-urlencode", "tag=b&2",
               base() + "/search?tag=q")
    check_eq(curl_json(out),
             args_json("emma", query_tags=["q"], body_tags=["b1", "b&2"],
                       body_q="emma"), "body")


@suite.test("curl -F (multipart): body fields count as body arguments")
def t_curl_args_multipart():
    out = curl("-F", "q=body", "-F", "tag=b", base() + "/search?tag=q")
    check_eq(curl_json(out), args_json("body", query_tags=["q"],
                                       body_tags=["b"], body_q="body"),
             "body")


@suite.test("curl /buy without qty -> 400 naming it")
def t_curl_buy_missing():
    out = curl("-w", "\n%{http_code}", base() + "/buy?book=42")
    body, _, code = out.rpartition(b"\n")
    check_eq(code, b"400", "status")
    check_eq(body, missing_page("qty"), "body")


# --- Shutdown -----------------------------------------------------------

if __name__ == "__main__":
    sys.exit(shared.main(suite, "property-test seed %d (TORN_E2E_SEED=%d to repeat)" % (SEED, SEED)))
