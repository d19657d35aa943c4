#!/usr/bin/python3
"""End-to-end tests of examples/blog (templates, forms, static files), in TAP.

    /usr/bin/python3 tests/e2e/test_blog.py build/examples/blog/blog

Starts the binary on a free loopback port and talks to it over raw sockets
and with curl: the pages rendered from templates (layout, list, post page,
form), the links they build with url() (followed, never guessed), the
escaping of user input in text and in URL attributes, the compose form
(303 after a post, 400 with the form again when a field is missing), and
the stylesheet served from /static/ through static_url(). Environment:
    TORN_EXPECT_STATIC=0   sanitizer build: the static-binary test is skipped
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10)
"""

import hashlib
import html
import html.parser
import os
import re
import sys
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (SharedServer, Problems, check_static_binary, curl,  # noqa: E402
                     Suite, build_request, check, check_eq,
                     check_imf_fixdate, note, show)

VERSION = "0.1.0"
HTML = "text/html; charset=UTF-8"
CSS = "text/css; charset=UTF-8"
FORM = "application/x-www-form-urlencoded"
REASONS = {200: "OK", 303: "See Other", 304: "Not Modified",
           400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
UNSAFE_URL = "about:invalid#torn-unsafe-url"

TREE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CSS_FILE = os.path.join(TREE, "examples", "blog", "static", "css", "blog.css")

# The seed posts of handlers.c: id -> (title, author, website, tag, paras).
SEEDS = {
    1: ("Hello, torn", "Ada", "https://example.org/ada", "news", 2),
    2: ("Templates & escaping", "Grace", "", "templates", 2),
    3: ("Write your own", "Linus", "mailto:linus@example.org", "news", 1),
}

HOSTILE = "<script>alert(\"x\")</script> & 'q'"
HOSTILE_ESCAPED = ("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
                   "&amp; &#39;q&#39;")

suite = Suite()
shared = SharedServer()  # the server most tests talk to


# --- Requests -------------------------------------------------------------

def req(method, target, headers=(), body=b""):
    """Raw request bytes; a body gets its Content-Length."""
    if isinstance(body, str):
        body = body.encode()
    headers = list(headers)
    if body or method == "POST":
        headers.append(("Content-Length", str(len(body))))
    return build_request(method, target, headers, body)


def conn():
    return shared.server.connect()


def fetch(method, target, headers=(), body=b""):
    """One request on a fresh connection; returns the response."""
    with conn() as c:
        return c.request(req(method, target, headers, body), method)


def form_body(fields):
    """`fields` (a dict or a list of pairs) as a urlencoded form body."""
    return urllib.parse.urlencode(fields).encode()


def post_form(fields, target="/compose"):
    return fetch("POST", target, [("Content-Type", FORM)], form_body(fields))


def base_url():
    return "http://127.0.0.1:%d" % shared.server.port


# --- Response checks ------------------------------------------------------

def common(p, status, method="GET"):
    """Status line, and the headers every response carries once."""
    r = p.resp
    p.eq(r.status_line, "HTTP/1.1 %d %s" % (status, REASONS[status]),
         "status line")
    for name in ("Date", "Server"):
        n = len(r.get_all(name))
        p.ok(n == 1, "expected one %s header, got %d" % (name, n))
    if status != 304:
        n = len(r.get_all("Content-Length"))
        p.ok(n == 1, "expected one Content-Length header, got %d" % n)
    if r.has("Date"):
        try:
            check_imf_fixdate(r.get("Date"))
        except AssertionError as e:
            p.items.append(str(e))
    p.eq(r.get("Server"), "torn/" + VERSION, "Server header")
    cl = r.get("Content-Length")
    if cl is not None and method != "HEAD" and status != 304:
        p.ok(cl.isdigit() and int(cl) == len(r.body),
             "Content-Length %r vs body length %d" % (cl, len(r.body)))
    if method == "HEAD" or status == 304:
        p.eq(r.body, b"", "body of a HEAD or 304 response")


def check_status(resp, status, method="GET"):
    p = Problems(resp)
    common(p, status, method)
    p.done()


def check_page(resp, status=200, method="GET"):
    """An HTML page of the blog (the layout around it); returns it parsed."""
    p = Problems(resp)
    common(p, status, method)
    p.eq(resp.get("Content-Type"), HTML, "Content-Type")
    if method != "HEAD":
        p.ok(resp.body.startswith(b"<!doctype html>\n"),
             "the page does not start with the layout's doctype")
        p.ok(resp.body.rstrip().endswith(b"</html>"),
             "the page does not end with </html>")
    p.done()
    return Page(resp.body)


def get_page(target, status=200):
    return check_page(fetch("GET", target), status)


class Page(html.parser.HTMLParser):
    """What the tests look at in a page: the text of <title>, <h1>, <a>,
    <p>, <textarea>, <label>; the attributes of links, inputs and forms.
    Character references are decoded (check raw bytes for escaping)."""

    CAPTURE = ("title", "h1", "h2", "a", "p", "textarea", "label")

    def __init__(self, body):
        super().__init__(convert_charrefs=True)
        self.body = body
        self.open = []          # [tag, attrs, parts] being captured
        self.elements = []      # (tag, attrs, text), in order of their end
        self.links = []         # attrs of <link>
        self.inputs = []        # attrs of <input>
        self.forms = []         # attrs of <form>
        self.feed(body.decode("utf-8"))
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link":
            self.links.append(a)
        elif tag == "input":
            self.inputs.append(a)
        elif tag == "form":
            self.forms.append(a)
        if tag in self.CAPTURE:
            self.open.append([tag, a, []])

    def handle_endtag(self, tag):
        for k in range(len(self.open) - 1, -1, -1):
            if self.open[k][0] == tag:
                t, a, parts = self.open.pop(k)
                self.elements.append((t, a, "".join(parts)))
                return

    def handle_data(self, data):
        for o in self.open:
            o[2].append(data)

    def all(self, tag, cls=None):
        return [(a, text) for t, a, text in self.elements
                if t == tag and (cls is None or cls in
                                 (a.get("class") or "").split())]

    def text(self, tag, cls=None):
        """The text of the only such element."""
        found = self.all(tag, cls)
        check_eq(len(found), 1, "number of <%s%s> elements"
                 % (tag, " class=%s" % cls if cls else ""))
        return found[0][1]

    def anchors(self):
        """(href, text) of every <a>, in document order of their end."""
        return [(a.get("href"), text) for a, text in self.all("a")]

    def input(self, name):
        found = [a for a in self.inputs if a.get("name") == name]
        check_eq(len(found), 1, "number of <input name=%s>" % name)
        return found[0]

    def textarea(self, name):
        found = [text for a, text in self.all("textarea")
                 if a.get("name") == name]
        check_eq(len(found), 1, "number of <textarea name=%s>" % name)
        return found[0]


def post_links(page):
    """{href: title} of the links to posts in a list of posts."""
    out = {}
    for a, text in page.all("a"):
        href = a.get("href") or ""
        if re.fullmatch(r"/posts/[0-9]+", href) and not a.get("class"):
            out[href] = text
    return out


def check_redirect_303(resp):
    """A 303 to a post's page; returns the Location."""
    p = Problems(resp)
    common(p, 303)
    loc = resp.get_all("Location")
    p.ok(len(loc) == 1 and re.fullmatch(r"/posts/[1-9][0-9]*", loc[0]),
         "Location %r is not one /posts/N" % loc)
    p.eq(resp.body, b"", "body of the redirect")
    p.done()
    return loc[0]


def publish(fields):
    """Posts the compose form; returns the new post's URL."""
    r = post_form(fields)
    return check_redirect_303(r)


def css_hash():
    with open(CSS_FILE, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


# --- The binary -----------------------------------------------------------

suite.add("static binary", lambda: check_static_binary(shared.binary))


# --- Index and post pages -------------------------------------------------

@suite.test("GET / -> 200 HTML in the layout: title, nav built with url(), "
            "raw footer")
def t_index_layout():
    page = get_page("/")
    check_eq(page.text("title"), "All posts | torn blog", "<title>")
    check_eq(page.text("h1"), "All posts", "<h1>")
    nav = [(h, t) for h, t in page.anchors() if t in ("Posts",
                                                      "Write a post")]
    check_eq(nav, [("/", "Posts"), ("/compose", "Write a post")],
             "nav links")
    check(b"<footer>Served by <a href=\"https://www.tornadoweb.org/\">"
          b"Tornado</a>'s C cousin, <strong>torn</strong>.</footer>"
          in page.body, "the footer ({%% raw %%}) is not the trusted HTML, "
          "unescaped: %s" % show(page.body[-300:]))


@suite.test("GET / lists the seed posts, newest first, titles escaped")
def t_index_seeds():
    page = get_page("/")
    links = post_links(page)
    note("post links: %r" % links)
    for ident, (title, *_rest) in SEEDS.items():
        check_eq(links.get("/posts/%d" % ident), title,
                 "title of the link to /posts/%d" % ident)
    check(b">Templates &amp; escaping</a>" in page.body,
          "'&' in a title is not written &amp;")
    order = [int(h.rsplit("/", 1)[1]) for h in links]
    check_eq(order, sorted(order, reverse=True), "order of the posts")
    # A summary's excerpt is the first paragraph, escaped.
    excerpts = [t for _, t in page.all("p", "excerpt")]
    check(any(t.startswith("Everything written with {{ }} is HTML-escaped: "
                           "<b>this</b>") for t in excerpts),
          "no excerpt of post 2: %r" % excerpts)
    check(b"&lt;b&gt;this&lt;/b&gt;" in page.body, "excerpt not escaped")


@suite.test("every post link of the index leads to that post's page")
def t_index_links_followed():
    links = post_links(get_page("/"))
    check(len(links) >= len(SEEDS), "too few post links: %r" % links)
    for href, title in links.items():
        note("following %s" % href)
        page = get_page(href)
        check_eq(page.text("h1"), title, "<h1> of %s" % href)
        check_eq(page.text("title"), title + " | torn blog",
                 "<title> of %s" % href)


@suite.test("GET /posts/2 -> title escaped, paragraphs, byline, back link")
def t_post_page():
    page = get_page("/posts/2")
    body = page.body
    check(b"<title>Templates &amp; escaping | torn blog</title>" in body,
          "escaped <title> missing: %s" % show(body[:400]))
    check(b"<h1>Templates &amp; escaping</h1>" in body,
          "escaped <h1> missing")
    paras = [t for a, t in page.all("p") if not a.get("class")]
    check_eq(len(paras), 2, "paragraphs of the body (%r)" % paras)
    check(paras[0].startswith("Everything written with"), "first paragraph")
    check(paras[1].startswith("Links are built with url()"),
          "second paragraph")
    check_eq([h for h, t in page.anchors() if "All posts" in t], ["/"],
             "back link")
    check_eq(page.text("p", "byline").split(),
             ["by", "Grace", "in", "#templates"], "byline (no website)")
    check_eq([a.get("href") for a, _ in page.all("a", "tag")],
             ["/tags/templates"], "tag link")


@suite.test("bylines link the author's website: https and mailto kept")
def t_post_websites():
    for ident in (1, 3):
        _title, author, website, _tag, _n = SEEDS[ident]
        page = get_page("/posts/%d" % ident)
        found = [a.get("href") for a, t in page.all("a") if t == author]
        check_eq(found, [website], "author link of /posts/%d" % ident)


def post_404(path):
    def t():
        with conn() as c:
            r = c.request(req("GET", path))
            check_page(r, 404)
            r2 = c.request(req("GET", "/posts/1"))
            check_page(r2)
    return t


@suite.test("GET /posts/999 -> 404 with the blog's not-found page")
def t_post_missing():
    page = check_page(fetch("GET", "/posts/999"), 404)
    check_eq(page.text("h1"), "Not found", "<h1>")
    check("There is no such post." in page.body.decode(), "message")
    check_eq(page.text("title"), "Not found | torn blog", "<title>")


for _path in ("/posts/0", "/posts/-1", "/posts/9223372036854775807"):
    suite.add("GET %s -> 404 page, connection kept alive" % _path,
              post_404(_path))


def router_404(path):
    def t():
        with conn() as c:
            r = c.request(req("GET", path))
            check_status(r, 404)
            r2 = c.request(req("GET", "/posts/1"))
            check_page(r2)
    return t


for _path in ("/posts/abc", "/posts/007", "/posts/", "/posts/1/",
              "/posts/99999999999999999999", "/tags/", "/nope"):
    suite.add("GET %s -> 404 (no route), kept alive" % _path,
              router_404(_path))


# --- Tags (a str route parameter) -----------------------------------------

@suite.test("GET /tags/news lists the posts of that tag only")
def t_tag_page():
    page = get_page("/tags/news")
    check_eq(page.text("h1"), "Posts tagged news", "<h1>")
    check_eq(page.text("title"), "Posts tagged news | torn blog", "<title>")
    links = post_links(page)
    for ident, (title, _a, _w, tag, _n) in SEEDS.items():
        href = "/posts/%d" % ident
        check_eq(href in links, tag == "news",
                 "%s (tag %s) listed on /tags/news" % (href, tag))


@suite.test("a post's tag link, followed, lists it")
def t_tag_link_followed():
    page = get_page("/posts/2")
    hrefs = [a.get("href") for a, _ in page.all("a", "tag")]
    check_eq(len(hrefs), 1, "tag links")
    listed = post_links(get_page(hrefs[0]))
    check_eq(listed.get("/posts/2"), SEEDS[2][0], "post 2 on its tag page")


@suite.test("GET /tags/no-such-tag -> 404 page")
def t_tag_missing():
    page = check_page(fetch("GET", "/tags/no-such-tag"), 404)
    check("No post has that tag." in page.body.decode(), "message")


# --- The stylesheet: static_url() and /static/ ----------------------------

def stylesheet(page):
    hrefs = [a.get("href") for a in page.links
             if a.get("rel") == "stylesheet"]
    check_eq(len(hrefs), 1, "stylesheet links")
    return hrefs[0]


@suite.test("every page links the stylesheet as static_url: ?v=<16 hex> of "
            "its SHA-256")
def t_static_url():
    want = "/static/css/blog.css?v=" + css_hash()
    for target, status in (("/", 200), ("/posts/1", 200),
                           ("/compose", 200), ("/tags/news", 200),
                           ("/posts/404", 404)):
        href = stylesheet(check_page(fetch("GET", target), status))
        check(re.fullmatch(r"/static/css/blog\.css\?v=[0-9a-f]{16}", href),
              "stylesheet href %r on %s" % (href, target))
        check_eq(href, want, "stylesheet href on %s" % target)


@suite.test("the stylesheet: 200 text/css, the file's bytes, ETag, "
            "Last-Modified, Cache-Control immutable")
def t_css():
    href = stylesheet(get_page("/"))
    r = fetch("GET", href)
    p = Problems(r)
    common(p, 200)
    p.eq(r.get("Content-Type"), CSS, "Content-Type")
    with open(CSS_FILE, "rb") as f:
        p.eq(r.body, f.read(), "body (the file's bytes)")
    p.ok(re.fullmatch(r'"[^"]+"', r.get("ETag") or ""),
         "ETag %r is not a strong entity tag" % r.get("ETag"))
    p.ok(r.has("Last-Modified"), "no Last-Modified")
    cc = r.get("Cache-Control") or ""
    p.ok("immutable" in cc and "max-age=31536000" in cc,
         "Cache-Control %r is not a year, immutable" % cc)
    p.done()


@suite.test("the stylesheet again with If-None-Match: its ETag -> 304, "
            "no body")
def t_css_304():
    href = stylesheet(get_page("/"))
    with conn() as c:
        r = c.request(req("GET", href))
        check_status(r, 200)
        etag = r.get("ETag")
        check(etag, "no ETag")
        r2 = c.request(req("GET", href, [("If-None-Match", etag)]))
        check_status(r2, 304)
        check_eq(r2.get("ETag"), etag, "ETag of the 304")
        r3 = c.request(req("GET", href, [("If-None-Match", '"other"')]))
        check_status(r3, 200)
        check_eq(len(r3.body), len(r.body), "body after a non-matching ETag")


@suite.test("the stylesheet without ?v= -> 200, not cached as immutable")
def t_css_unversioned():
    r = fetch("GET", "/static/css/blog.css")
    check_status(r, 200)
    check("immutable" not in (r.get("Cache-Control") or ""),
          "Cache-Control %r without ?v=" % r.get("Cache-Control"))


@suite.test("HEAD of the stylesheet -> GET's length, no body")
def t_css_head():
    href = stylesheet(get_page("/"))
    with conn() as c:
        h, g = c.head_then_get(req("HEAD", href), req("GET", href))
        check_status(h, 200, "HEAD")
        check_status(g, 200)
        check_eq(h.get("ETag"), g.get("ETag"), "HEAD ETag")


def static_404(path):
    def t():
        with conn() as c:
            r = c.request(req("GET", path))
            check_status(r, 404)
            check(b"app blog" not in r.body, "the .troute file was served")
            r2 = c.request(req("GET", "/static/css/blog.css"))
            check_status(r2, 200)
    return t


for _path in ("/static/../blog.troute", "/static/%2e%2e/blog.troute",
              "/static/%2E%2E/blog.troute", "/static/css/../../blog.troute",
              "/static/css/%2e%2e/%2e%2e/blog.troute",
              "/static/css/nope.css", "/static/css/", "/static/css",
              "/static/./css/blog.css", "/static//css/blog.css"):
    suite.add("GET %s -> 404, kept alive" % _path, static_404(_path))


@suite.test("curl --path-as-is /static/../blog.troute -> 404")
def t_curl_traversal():
    out = curl("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
               base_url() + "/static/../blog.troute")
    check_eq(out, b"404", "status seen by curl")


@suite.test("POST /static/css/blog.css -> 405 Allow: GET, HEAD")
def t_css_post():
    with conn() as c:
        r = c.request(req("POST", "/static/css/blog.css",
                          [("Content-Type", FORM)], b"a=1"))
        check_status(r, 405)
        check_eq(r.get_all("Allow"), ["GET, HEAD"], "Allow")
        r2 = c.request(req("GET", "/static/css/blog.css"))
        check_status(r2, 200)


# --- The compose form -----------------------------------------------------

@suite.test("GET /compose -> the form, posting to url(compose)")
def t_compose_form():
    page = get_page("/compose")
    check_eq(page.text("title"), "Write a post | torn blog", "<title>")
    check_eq(page.forms, [{"method": "post", "action": "/compose"}],
             "the form's attributes")
    for name in ("title", "author", "website", "tag"):
        check_eq(page.input(name).get("value"), "", "value of %s" % name)
    check_eq(page.input("title").get("maxlength"), "200",
             "maxlength of title ({{ BLOG_MAX_TITLE }})")
    check_eq(page.textarea("body"), "", "the body's textarea")
    check_eq(page.all("p", "error"), [], "error message on a fresh form")


@suite.test("GET /compose?tag=... fills the form from the query, escaped")
def t_compose_prefill():
    page = get_page("/compose?tag=" + urllib.parse.quote('"><b>x'))
    check_eq(page.input("tag").get("value"), '"><b>x', "tag value")
    check(b'value="&quot;&gt;&lt;b&gt;x"' in page.body,
          "the value is not escaped in the attribute")


@suite.test("POST hostile title -> 303 /posts/N; the page shows it escaped "
            "exactly; the index lists it")
def t_compose_hostile():
    r = post_form({"title": HOSTILE, "body": "First paragraph.\n\nSecond."})
    loc = check_redirect_303(r)
    page = get_page(loc)
    body = page.body.decode()
    check("<h1>%s</h1>" % HOSTILE_ESCAPED in body,
          "escaped <h1> missing: %s" % show(page.body[400:900]))
    check("<title>%s | torn blog</title>" % HOSTILE_ESCAPED in body,
          "escaped <title> missing")
    check("<script>" not in body, "a raw <script> in the page")
    check_eq(page.text("h1"), HOSTILE, "<h1> text, decoded")
    paras = [t for a, t in page.all("p") if not a.get("class")]
    check_eq(paras, ["First paragraph.", "Second."], "paragraphs")
    check_eq(page.text("p", "byline").split(), ["by", "anonymous"],
             "byline of a post without author, website or tag")
    index = get_page("/")
    links = post_links(index)
    check_eq(links.get(loc), HOSTILE, "the new post's link on the index")
    check_eq(next(iter(links)), loc, "the new post comes first")
    check('<a href="%s">%s</a>' % (loc, HOSTILE_ESCAPED)
          in index.body.decode(), "the index's link text is not escaped")


@suite.test("after POST, GET Location on the same connection (keep-alive)")
def t_compose_keepalive():
    with conn() as c:
        r = c.request(req("POST", "/compose", [("Content-Type", FORM)],
                          form_body({"title": "Same connection",
                                     "body": "kept alive"})))
        loc = check_redirect_303(r)
        r2 = c.request(req("GET", loc))
        check_eq(check_page(r2).text("h1"), "Same connection", "<h1>")


def missing_field(fields, message, ident):
    def t():
        before = len(post_links(get_page("/")))
        r = post_form(fields)
        page = check_page(r, 400)
        check_eq(page.text("p", "error"), message, "error message")
        check_eq(page.forms, [{"method": "post", "action": "/compose"}],
                 "the form again")
        check_eq(page.textarea("body"), fields.get("body", "").strip(),
                 "the body, kept")
        for name in ("title", "author", "website", "tag"):
            check_eq(page.input(name).get("value"),
                     fields.get(name, "").strip(), "value of %s" % name)
        after = len(post_links(get_page("/")))
        check_eq(after, before, "number of posts (none added)")
    t.__name__ = ident
    return t


suite.add("POST without title -> 400, the error and the body kept "
          "(escaped)",
          missing_field({"body": "<i>keep</i> & me", "author": "Zoé",
                         "tag": "misc"},
                        "Please give your post a title.", "no_title"))
suite.add("POST with a blank title (spaces) -> 400",
          missing_field({"title": "   ", "body": "text"},
                        "Please give your post a title.", "blank_title"))
suite.add("POST without body -> 400, the title kept",
          missing_field({"title": HOSTILE},
                        "Please write some text.", "no_body"))
suite.add("POST with nothing -> 400",
          missing_field({}, "Please give your post a title and some text.",
                        "nothing"))
suite.add("POST with a 201-byte title -> 400 too long",
          missing_field({"title": "t" * 201, "body": "b"},
                        "The title is too long.", "long_title"))


@suite.test("POST without title: the kept body is escaped in the textarea")
def t_missing_title_escaped():
    r = post_form({"body": "</textarea><script>x</script>"})
    check_status(r, 400)
    check(b">&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>"
          in r.body, "body not escaped: %s" % show(r.body))


@suite.test("form encoding: '+' is a space, %XX a byte, UTF-8 kept")
def t_compose_encoding():
    body = ("title=a+b%26c+%C3%A9t%C3%A9&author=Zo%C3%A9&body=x").encode()
    r = fetch("POST", "/compose", [("Content-Type", FORM)], body)
    page = get_page(check_redirect_303(r))
    check_eq(page.text("h1"), "a b&c été", "<h1>")
    check_eq(page.text("p", "byline").split(), ["by", "Zoé"], "byline")


@suite.test("CRLF and blank lines split the body into paragraphs")
def t_compose_paragraphs():
    loc = publish({"title": "Paragraphs",
                   "body": "one\r\n\r\n  \r\ntwo\r\nstill two\n\n\nthree"})
    page = get_page(loc)
    paras = [t for a, t in page.all("p") if not a.get("class")]
    check_eq(paras, ["one", "two\nstill two", "three"], "paragraphs")


@suite.test("a tag with '/' and a space: the tag link is percent-encoded "
            "and lists the post")
def t_compose_tag():
    loc = publish({"title": "Tagged", "body": "b", "tag": "a/b c"})
    page = get_page(loc)
    hrefs = [a.get("href") for a, _ in page.all("a", "tag")]
    check_eq(hrefs, ["/tags/a%2Fb%20c"], "tag link")
    tagged = get_page(hrefs[0])
    check_eq(tagged.text("h1"), "Posts tagged a/b c", "<h1>")
    check_eq(list(post_links(tagged)), [loc], "posts of the tag")


def website_case(website, want):
    def t():
        loc = publish({"title": "Site", "body": "b", "author": "Mallory",
                       "website": website})
        page = get_page(loc)
        found = [a.get("href") for a, t in page.all("a") if t == "Mallory"]
        check_eq(found, [want], "href of the author link for website %r"
                 % website)
    return t


for _site in ("javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)",
              " \tjavascript:alert(1)", "java\tscript:alert(1)",
              "java\nscript:alert(1)", "data:text/html,<script>x</script>",
              "vbscript:msgbox(1)", "\x01javascript:alert(1)"):
    suite.add("website %r -> href %s" % (_site, UNSAFE_URL),
              website_case(_site, UNSAFE_URL))
for _site, _want in (("https://example.com/a?b=1&c=2",
                      "https://example.com/a?b=1&c=2"),
                     ("HTTP://EXAMPLE.COM/", "HTTP://EXAMPLE.COM/"),
                     ("mailto:m@example.com", "mailto:m@example.com"),
                     ('https://x.org/"onmouseover="alert(1)',
                      'https://x.org/"onmouseover="alert(1)')):
    suite.add("website %r -> kept as the href" % _site,
              website_case(_site, _want))


@suite.test("a quote in the website stays inside the href (escaped)")
def t_website_quote():
    loc = publish({"title": "Quote", "body": "b", "author": "Q",
                   "website": 'https://x.org/"onmouseover="alert(1)'})
    body = fetch("GET", loc).body
    check(b'href="https://x.org/&quot;onmouseover=&quot;alert(1)"' in body,
          "href not escaped: %s" % show(body))


@suite.test("the unsafe website is neutralised on the index too")
def t_website_index():
    publish({"title": "Index site", "body": "b", "author": "Eve",
             "website": "javascript:alert(2)"})
    page = get_page("/")
    found = [a.get("href") for a, t in page.all("a") if t == "Eve"]
    check(found and all(h == UNSAFE_URL for h in found),
          "author links of Eve on the index: %r" % found)
    check(b"javascript:" not in page.body, "javascript: in the index")


@suite.test("DELETE /compose -> 405 Allow: GET, HEAD, POST")
def t_compose_405():
    r = fetch("DELETE", "/compose")
    check_status(r, 405)
    check_eq(r.get_all("Allow"), ["GET, HEAD, POST"], "Allow")


# --- HEAD -----------------------------------------------------------------

def head_case(path):
    def t():
        with conn() as c:
            h, g = c.head_then_get(req("HEAD", path), req("GET", path))
            check_page(h, method="HEAD")
            check_page(g)
    return t


for _path in ("/", "/posts/2", "/compose", "/tags/news"):
    suite.add("HEAD %s -> GET's Content-Length, no body" % _path,
              head_case(_path))


# --- With curl ------------------------------------------------------------

@suite.test("curl: every local link of the site answers (no broken url())")
def t_curl_crawl():
    seen, todo = set(), ["/"]
    while todo and len(seen) < 200:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        out = curl("-w", "\n%{http_code} %{content_type}", base_url() + path)
        body, _, tail = out.rpartition(b"\n")
        note("%s -> %s" % (path, tail))
        check_eq(tail.split(b" ", 1)[0], b"200", "status of %s" % path)
        if tail.split(b" ", 1)[1].startswith(b"text/html"):
            page = Page(body)
            for href in ([h for h, _ in page.anchors()] +
                         [a.get("href") for a in page.links]):
                if href and href.startswith("/"):
                    todo.append(html.unescape(href))
    check(len(seen) >= 8, "crawled only %r" % sorted(seen))


@suite.test("curl: post the form and follow the 303 (-L) to the new post")
def t_curl_post():
    out = curl("-L", "-w", "\n%{http_code} %{url_effective}",
               "--data-urlencode", "title=" + HOSTILE,
               "--data-urlencode", "body=from curl",
               base_url() + "/compose")
    body, _, tail = out.rpartition(b"\n")
    code, url = tail.decode().split(" ", 1)
    check_eq(code, "200", "final status")
    check(re.fullmatch(re.escape(base_url()) + r"/posts/[0-9]+", url),
          "final URL %r" % url)
    check(("<h1>%s</h1>" % HOSTILE_ESCAPED).encode() in body,
          "escaped title in %s" % show(body))


@suite.test("curl -I / -> the page's Content-Length, no body")
def t_curl_head():
    full = curl(base_url() + "/")
    out = curl("-I", base_url() + "/")
    head = out.decode("latin-1")
    check(head.startswith("HTTP/1.1 200 OK\r\n"), "status: %r" % head[:40])
    m = re.search(r"(?im)^content-length: *([0-9]+)\r$", head)
    check(m, "no Content-Length in %r" % head)
    check_eq(int(m.group(1)), len(full), "Content-Length vs GET body")
    check(head.endswith("\r\n\r\n"), "bytes after the HEAD headers")


if __name__ == "__main__":
    sys.exit(shared.main(suite))
