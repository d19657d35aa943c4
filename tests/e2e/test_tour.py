#!/usr/bin/python3
"""End-to-end tests of examples/tour (the runtime's HTTP/1.1 core), in TAP.

    /usr/bin/python3 tests/e2e/test_tour.py build/examples/tour/tour

Starts the binary on free loopback ports and talks to it over raw sockets
and with curl: request framing (Content-Length, chunked, 100-continue,
pipelining, keep-alive), the shapes of request smuggling (each a 400 or 501
that closes the connection), size limits and timeouts, asynchronous
handlers (timers, streaming, the thread pool, long polling), a graceful
stop during a request, ETag/304 and gzip, JSON and multipart bodies,
request arguments, cookies and signed cookies (checked against Tornado's
own functions), the hooks (prepare, on_finish, current_user and
write_error, @authenticated), redirects, response headers, static
files (ranges, conditional requests, content types, hostile paths,
sendfile), and the WebSocket runtime around the frames (keep-alive pings
and their timeout, the slow-consumer policy, server-initiated closes and
the close timeout, the close callback's codes, groups and broadcast
across workers).

The static tests create their files (random content) and a symlink inside
the static directory compiled into the binary, examples/tour/static/ of
the tree it was built from, and remove them when the suite ends, whatever
the outcome (and files a killed run left behind). The shared server gets
its cookie secret from TORN_COOKIE_SECRET. Environment:
    TORN_EXPECT_STATIC=0   a (slower) sanitizer build: waits are scaled
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10)
"""

import asyncio
import atexit
import calendar
import contextlib
import gzip
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (HOST, TIMEOUT, Closed, Conn, Problems,  # noqa: E402
                     Server, SharedServer, Skip, Suite, build_request,
                     check, check_eq, check_imf_fixdate, curl, note,
                     sanitizer_lines, show)
# The raw-socket WebSocket client of the conformance suite (frames in and
# out, events read from the server), and its websockets runner.
from ws_conformance import (BINARY, CLOSE, TEXT, Ws,  # noqa: E402
                            accept_for, frame, new_key, run_async)

import websockets  # noqa: E402

SANITIZED = os.environ.get("TORN_EXPECT_STATIC", "1") == "0"
SCALE = 3.0 if SANITIZED else 1.0  # a sanitizer build is slower
TREE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

VERSION = "0.1.0"
HTML = "text/html; charset=UTF-8"
JSON_TYPE = "application/json; charset=UTF-8"
REASONS = {100: "Continue", 200: "OK", 201: "Created", 202: "Accepted",
           204: "No Content", 206: "Partial Content",
           301: "Moved Permanently", 302: "Found", 303: "See Other",
           304: "Not Modified", 307: "Temporary Redirect",
           308: "Permanent Redirect", 400: "Bad Request",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 413: "Content Too Large",
           414: "URI Too Long", 416: "Range Not Satisfiable",
           417: "Expectation Failed",
           431: "Request Header Fields Too Large",
           500: "Internal Server Error", 501: "Not Implemented",
           503: "Service Unavailable", 505: "HTTP Version Not Supported"}
# The shared server's cookie secret (TORN_COOKIE_SECRET, see main()).
SECRET = "tour-e2e-secret-\u00e9-0123456789"
# What the app's write_error hook answers a client that accepts JSON.
ACCEPT_JSON = [("Accept", "application/json")]
HELLO = b"Hello, world"
MB = 1 << 20
# What GET /big writes: 4000 lines, about 200 KB.
BIG = b"".join(b"line %05d: the quick brown fox jumps over the lazy\n" % i
               for i in range(4000))

suite = Suite()
shared = SharedServer()  # the server most tests talk to


# --- Requests -------------------------------------------------------------

def b(x):
    return x if isinstance(x, bytes) else x.encode("latin-1")


def req(method, target, headers=(), body=b"", version="HTTP/1.1"):
    """Raw request bytes; a POST or PUT (or any body) gets its
    Content-Length unless a framing header is given."""
    headers = list(headers)
    names = {b(n).lower() for n, _ in headers}
    if (body or method in ("POST", "PUT")) and \
            b"content-length" not in names and \
            b"transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    return build_request(method, target, headers, b(body), version)


def chunked(pieces, ext=b"", trailer=b"", upper=False):
    """A chunked body of `pieces`: each size line gets `ext` (e.g.
    b';a=b'), the trailer section `trailer` (whole lines with CRLF)."""
    out = b""
    for p in pieces:
        size = b"%X" % len(p) if upper else b"%x" % len(p)
        out += size + ext + b"\r\n" + p + b"\r\n"
    return out + b"0" + ext + b"\r\n" + trailer + b"\r\n"


def te_post(target, body_bytes, headers=()):
    """A chunked POST: head with Transfer-Encoding, then `body_bytes`
    (already in the chunked coding)."""
    return build_request("POST", target,
                         list(headers) + [("Transfer-Encoding", "chunked")],
                         body_bytes)


def conn():
    return shared.server.connect()


def base_url(server=None):
    return "http://%s:%d" % (HOST, (server or shared.server).port)


@contextlib.contextmanager
def own_server(*args, env=None):
    """A server of the test's own, started with extra options. When the
    test passed, it must exit 0 on SIGTERM (or have exited 0 already, if
    the test stopped it) with no sanitizer report; when the test failed, it
    is killed. `env` holds variables the server is started with (None:
    unset)."""
    saved = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        s = Server(shared.binary, [str(a) for a in args]).start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield s
    except BaseException:
        s.kill()
        raise
    if s.alive():
        s.stop()
        return
    check_eq(s.proc.returncode, 0, "exit status (stderr %s)"
             % s.stderr_tail())
    found = sanitizer_lines(s.stderr_text())
    check(not found, "sanitizer report: %s" % "; ".join(found[:5]))


# --- Response checks --------------------------------------------------------

def status_problems(p, status):
    r = p.resp
    if status in REASONS:
        p.eq(r.status_line, "HTTP/1.1 %d %s" % (status, REASONS[status]),
             "status line")
    else:  # a code torn has no phrase of its own for: any will do
        p.ok(re.fullmatch(r"HTTP/1\.1 %d \S.*" % status, r.status_line),
             "status line %r for %d" % (r.status_line, status))
    if status >= 200:
        for name in ("Date", "Server"):
            n = len(r.get_all(name))
            p.ok(n == 1, "expected one %s header, got %d" % (name, n))
        p.eq(r.get("Server"), "torn/" + VERSION, "Server header")


def check_resp(r, status, body=None, ctype=None):
    """Status line, the headers every response has and, when given, the
    body and Content-Type. A Content-Length must match the body."""
    p = Problems(r)
    status_problems(p, status)
    if body is not None:
        p.eq(r.body, body, "body")
    if ctype is not None:
        p.eq(r.get("Content-Type"), ctype, "Content-Type")
    cl = r.get("Content-Length")
    if cl is not None and status not in (204, 304):
        p.ok(cl.isdigit() and int(cl) == len(r.body),
             "Content-Length %r vs body length %d" % (cl, len(r.body)))
    p.done()


def check_hello(r):
    check_resp(r, 200, HELLO, HTML)


def keeps_alive(r):
    v = (r.get("Connection") or "").lower()
    check("close" not in v, "response says Connection: %r on a connection "
          "that should stay open" % r.get("Connection"))


def check_closed(c, what="the response"):
    why = c.closed_by_peer(timeout=5 * SCALE)
    check(why is None, "server should have closed the connection after %s: "
          "%s" % (what, why))


def check_closing(r, c, status):
    """An error answer that ends the connection: status, Connection:
    close, then EOF."""
    p = Problems(r)
    status_problems(p, status)
    p.eq((r.get("Connection") or "").lower(), "close",
         "Connection header of a response before closing")
    p.done()
    check_closed(c, "a %d" % status)


def check_still_serving(server=None):
    try:
        with (server or shared.server).connect() as c:
            check_hello(c.request(req("GET", "/")))
    except (AssertionError, OSError) as e:
        raise AssertionError("GET / on a fresh connection failed: %s" % e)


def kept_alive(c):
    """The connection still serves: a follow-up GET / answers 200."""
    try:
        check_hello(c.request(req("GET", "/")))
    except (AssertionError, OSError) as e:
        raise AssertionError("connection should have been kept alive, but "
                             "the follow-up GET / failed: %s" % e)


def readable(sock, wait):
    return bool(select.select([sock], [], [], wait)[0])


def send_until_answer(c, pieces):
    """Send `pieces` one by one until the server answers or closes (an
    error that ends the body early); returns how many bytes were sent."""
    sent = 0
    for piece in pieces:
        if c.buf or readable(c.sock, 0):
            break
        try:
            c.sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(piece)
    note("sent %d body bytes before the answer" % sent)
    return sent


def elapsed_since(t0):
    return time.monotonic() - t0


# ============================================================================
# 1. Framing
# ============================================================================

@suite.test("POST /echo with Content-Length -> the body back, its "
            "Content-Type kept, kept alive")
def t_echo_cl():
    body = b"a=1&b=\x00\xff\r\n binary \r\n\r\n tail"
    with conn() as c:
        r = c.request(req("POST", "/echo", [("Content-Type",
                                              "application/x-test")], body))
        check_resp(r, 200, body, "application/x-test")
        keeps_alive(r)
        kept_alive(c)


@suite.test("POST /echo with the head and body sent one byte per send()")
def t_echo_bytewise():
    body = b"0123456789" * 5 + b"\r\n\r\nend"
    with conn() as c:
        c.send_slowly(req("POST", "/echo", [("X-Test", "slow")], body),
                      delay=0.001)
        check_resp(c.read_response("POST"), 200, body)
        kept_alive(c)


@suite.test("PUT /echo with Content-Length: 0 -> empty body, kept alive")
def t_echo_empty():
    with conn() as c:
        r = c.request(req("PUT", "/echo", [("Content-Length", "0")]))
        check_resp(r, 200, b"")
        kept_alive(c)


@suite.test("chunked body with extensions, a trailer and uppercase hex -> "
            "echoed decoded")
def t_chunked_ext():
    pieces = [b"hello ", b"\x00\r\n" * 7, b"x" * 300, b"world"]
    body = chunked(pieces, ext=b';name=value;q="quoted \\" str";flag',
                   trailer=b"X-Trailer: yes\r\nX-Sum: 42\r\n", upper=True)
    with conn() as c:
        r = c.request(te_post("/echo", body))
        check_resp(r, 200, b"".join(pieces))
        keeps_alive(r)
        kept_alive(c)


@suite.test("chunked body of 2000 one- and two-byte chunks -> echoed "
            "decoded")
def t_chunked_tiny():
    pieces = [bytes([i % 256]) * (1 + i % 2) for i in range(2000)]
    with conn() as c:
        r = c.request(te_post("/echo", chunked(pieces)))
        check_resp(r, 200, b"".join(pieces))
        kept_alive(c)


@suite.test("chunked request split in two at every byte boundary -> the "
            "same echo each time, on one kept-alive connection")
def t_chunked_every_split():
    pieces = [b"ab", b"\r\n", b"cdefghijklmnopq"]
    data = te_post("/echo", chunked(pieces, ext=b";e=1",
                                    trailer=b"T: v\r\n"))
    want = b"".join(pieces)
    with conn() as c:
        for i in range(1, len(data)):
            note("split at %d: %s | %s" % (i, show(data[:i]), show(data[i:])))
            c.sock.sendall(data[:i])
            # Pace the two halves so that they arrive as two reads; the
            # answer is what is waited for.
            time.sleep(0.003)
            c.sock.sendall(data[i:])
            r = c.read_response("POST")
            try:
                check_resp(r, 200, want)
            except AssertionError as e:
                raise AssertionError("split after byte %d of %d: %s"
                                     % (i, len(data), e))


@suite.test("Expect: 100-continue, body not sent yet -> 100 Continue, then "
            "the body's answer")
def t_continue():
    body = b"sent after the 100"
    with conn() as c:
        c.send(req("POST", "/echo", [("Expect", "100-continue"),
                                     ("Content-Length", str(len(body)))]))
        r = c.read_response("POST")
        check_eq(r.status_line, "HTTP/1.1 100 Continue",
                 "first status line (the interim answer)")
        check_eq(r.raw_head, b"HTTP/1.1 100 Continue\r\n\r\n",
                 "the whole interim response")
        c.send(body)
        check_resp(c.read_response("POST"), 200, body)
        check_eq(c.no_extra_bytes(), b"", "bytes after the final response")
        kept_alive(c)


@suite.test("Expect: 100-continue on a chunked body -> 100 Continue, then "
            "the decoded echo")
def t_continue_chunked():
    with conn() as c:
        c.send(build_request("POST", "/echo", [("Expect", "100-continue"),
                                               ("Transfer-Encoding",
                                                "chunked")]))
        r = c.read_response("POST")
        check_eq(r.status_line, "HTTP/1.1 100 Continue",
                 "first status line (the interim answer)")
        c.send(chunked([b"after ", b"the 100"]))
        check_resp(c.read_response("POST"), 200, b"after the 100")
        check_eq(c.no_extra_bytes(), b"", "bytes after the final response")


@suite.test("Expect: 100-continue with the body in the same write -> no "
            "100, just the answer")
def t_continue_not_owed():
    body = b"already here"
    with conn() as c:
        r = c.request(req("POST", "/echo", [("Expect", "100-continue")],
                          body))
        check(r.status != 100, "got a 100 Continue although the whole body "
              "had been sent with the head")
        check_resp(r, 200, body)
        check_eq(c.no_extra_bytes(), b"", "bytes after the response")


@suite.test("16 pipelined requests (GET, POST with bodies, HEAD, 404) in "
            "one write -> answered in order")
def t_pipeline16():
    reqs, checks = [], []
    for i in range(16):
        kind = i % 4
        if kind == 0:
            reqs.append(req("GET", "/"))
            checks.append(("GET", lambda r: check_hello(r)))
        elif kind == 1:
            body = (b"body %d " % i) * (i + 1)
            reqs.append(req("POST", "/echo", [], body))
            checks.append(("POST", lambda r, body=body:
                           check_resp(r, 200, body)))
        elif kind == 2:
            reqs.append(req("GET", "/status/404"))
            checks.append(("GET", lambda r: check_resp(r, 404)))
        else:
            reqs.append(req("HEAD", "/big"))
            checks.append(("HEAD", lambda r: check_eq(
                r.get("Content-Length"), str(len(BIG)),
                "HEAD /big Content-Length")))
    with conn() as c:
        c.send(b"".join(reqs))
        for k, (method, chk) in enumerate(checks):
            try:
                chk(c.read_response(method))
            except AssertionError as e:
                raise AssertionError("response %d of 16: %s" % (k + 1, e))
        check_eq(c.no_extra_bytes(), b"", "bytes after 16 responses")


@suite.test("bodies on GET /, on a 404 and on a 405 are skipped: the "
            "requests pipelined behind them are answered")
def t_bodies_skipped():
    with conn() as c:
        c.send(req("GET", "/", [], b"GET /status/204 HTTP/1.1\r\n\r\n") +
               req("POST", "/nowhere", [], b"x" * 3000) +
               te_post("/", chunked([b"GET / HTTP/1.1\r\n"])) +
               req("POST", "/echo", [], b"behind"))
        check_hello(c.read_response())
        check_resp(c.read_response("POST"), 404)
        r = c.read_response("POST")
        check_eq(r.status, 405, "POST / status")
        check_resp(c.read_response("POST"), 200, b"behind")
        check_eq(c.no_extra_bytes(), b"", "bytes after four responses")


@suite.test("HTTP/1.0 without keep-alive -> answered, then closed")
def t_http10_close():
    with conn() as c:
        r = c.request(req("GET", "/", version="HTTP/1.0"))
        check_hello(r)
        check("keep-alive" not in (r.get("Connection") or "").lower(),
              "HTTP/1.0 response says Connection: %r" % r.get("Connection"))
        check_closed(c)


@suite.test("HTTP/1.0 with Connection: keep-alive -> kept alive")
def t_http10_keepalive():
    with conn() as c:
        for _ in range(2):
            r = c.request(req("GET", "/", [("Connection", "keep-alive")],
                              version="HTTP/1.0"))
            check_hello(r)
            check_eq((r.get("Connection") or "").lower(), "keep-alive",
                     "Connection header of the response")


@suite.test("Connection: close -> response says close, then EOF")
def t_conn_close():
    with conn() as c:
        r = c.request(req("POST", "/echo", [("Connection", "close")], b"x"))
        check_resp(r, 200, b"x")
        check_eq((r.get("Connection") or "").lower(), "close",
                 "Connection header of the response")
        check_closed(c)


@suite.test("HEAD / and HEAD /big -> GET's Content-Length, no body")
def t_head():
    for path, body in (("/", HELLO), ("/big", BIG)):
        with conn() as c:
            h, g = c.head_then_get(req("HEAD", path), req("GET", path))
            check_resp(g, 200, body)
            check_eq(h.status, 200, "HEAD %s status" % path)
            check_eq(h.get("ETag"), g.get("ETag"), "HEAD vs GET ETag")


@suite.test("absolute-form target GET http://host:port/ -> served as /")
def t_absolute_form():
    authority = "%s:%d" % (HOST, shared.server.port)
    with conn() as c:
        c.send(b"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n"
               % (b(authority), b(authority)))
        check_hello(c.read_response())
        c.send(b"POST http://%s/echo?x=1 HTTP/1.1\r\nHost: %s\r\n"
               b"Content-Length: 3\r\n\r\nabc" % (b(authority), b(authority)))
        check_resp(c.read_response("POST"), 200, b"abc")


@suite.test("absolute-form target with another authority than Host -> "
            "served by its path")
def t_absolute_form_other_host():
    with conn() as c:
        c.send(b"GET http://other.example:81/headers HTTP/1.1\r\n"
               b"Host: 127.0.0.1\r\n\r\n")
        r = c.read_response()
        check_resp(r, 200, None, JSON_TYPE)
        kept_alive(c)


@suite.test("Expect: 100-Continue in another case -> 100 Continue all the "
            "same")
def t_continue_case():
    with conn() as c:
        c.send(req("POST", "/echo", [("expect", "100-Continue"),
                                     ("Content-Length", "2")]))
        r = c.read_response("POST")
        check_eq(r.status_line, "HTTP/1.1 100 Continue", "interim answer")
        c.send(b"ok")
        check_resp(c.read_response("POST"), 200, b"ok")


EXPECTATIONS = [
    ("POST with Expect: something-else",
     req("POST", "/echo", [("Expect", "something-else"),
                           ("Content-Length", "4")]) + b"body"),
    ("GET with Expect: 200-ok", req("GET", "/", [("Expect", "200-ok")])),
    ("Expect: 100-continue, foo",
     req("POST", "/echo", [("Expect", "100-continue, foo"),
                           ("Content-Length", "4")])),
]


def expect_417_case(data):
    def t():
        with conn() as c:
            c.send(data)
            r = c.read_response(data.split(b" ", 1)[0].decode())
            check(r.status != 100, "100 Continue for an expectation that "
                  "is not 100-continue")
            check_closing(r, c, 417)
        check_still_serving()
    return t


for _name, _data in EXPECTATIONS:
    suite.add("%s -> 417 Expectation Failed, close, still serving" % _name,
              expect_417_case(_data))


@suite.test("HTTP/1.0 without Host -> served (Host is required of 1.1 "
            "only), then closed")
def t_http10_no_host():
    with conn() as c:
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        check_hello(c.read_response())
        check_closed(c)


@suite.test("HTTP/1.0 keep-alive: a POST with a body then a GET on one "
            "connection; a request without keep-alive then closes it")
def t_http10_keepalive_post():
    ka = [("Connection", "Keep-Alive")]
    with conn() as c:
        r = c.request(req("POST", "/echo", ka, b"ten bytes!", "HTTP/1.0"))
        check_resp(r, 200, b"ten bytes!")
        check_eq((r.get("Connection") or "").lower(), "keep-alive",
                 "Connection header of the response")
        r = c.request(req("GET", "/big", ka, version="HTTP/1.0"))
        check_resp(r, 200, BIG)
        r = c.request(req("GET", "/", version="HTTP/1.0"))
        check_hello(r)
        check_closed(c)


@suite.test("HTTP/1.0 with Connection: keep-alive, close -> closed")
def t_http10_keepalive_close():
    with conn() as c:
        check_hello(c.request(req("GET", "/", [("Connection",
                                                "keep-alive, close")],
                                  version="HTTP/1.0")))
        check_closed(c)


@suite.test("header names in any case: hOsT, x-tEST, content-length, "
            "TRANSFER-ENCODING: Chunked all understood")
def t_header_case():
    with conn() as c:
        c.send(b"GET /headers HTTP/1.1\r\nhOsT: example.org\r\n"
               b"x-tEST: v\r\nuser-AGENT: e2e\r\n\r\n")
        r = c.read_response()
        check_resp(r, 200, None, JSON_TYPE)
        got = json.loads(r.body)
        check_eq((got.get("Host"), got.get("X-Test"), got.get("User-Agent")),
                 ("example.org", "v", "e2e"), "headers as the handler reads "
                 "them")
        c.send(b"POST /echo HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n"
               b"\r\nabc")
        check_resp(c.read_response("POST"), 200, b"abc")
        c.send(b"POST /echo HTTP/1.1\r\nHOST: a\r\nTRANSFER-ENCODING: "
               b"Chunked\r\n\r\n" + chunked([b"de", b"f"]))
        check_resp(c.read_response("POST"), 200, b"def")
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\nCONNECTION: Close\r\n\r\n")
        check_hello(c.read_response())
        check_closed(c)


@suite.test("repeated headers (X-Test, Accept, Cookie twice) -> accepted; "
            "the handler reads the first X-Test, and both Cookie headers")
def t_repeated_headers():
    with conn() as c:
        r = c.request(req("GET", "/headers", [("X-Test", "one"),
                                              ("Accept", "text/html"),
                                              ("X-Test", "two"),
                                              ("Accept", "*/*")]))
        check_resp(r, 200)
        check_eq(json.loads(r.body).get("X-Test"), "one", "X-Test")
        r = c.request(req("GET", "/cookies?n=a&n=b", [("Cookie", "a=1"),
                                                      ("Cookie", "b=2")]))
        check_resp(r, 200)
        check_eq(json.loads(r.body), {"a": "1", "b": "2"},
                 "cookies of two Cookie headers")
        kept_alive(c)


# ============================================================================
# 2. Smuggling shapes: refused, and the connection closed
# ============================================================================

H = b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
TE = b"Transfer-Encoding: chunked\r\n\r\n"

SMUGGLING = [
    ("Content-Length and Transfer-Encoding: chunked",
     H + b"Content-Length: 5\r\n" + TE + b"5\r\nhello\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding: chunked then Content-Length",
     H + b"Transfer-Encoding: chunked\r\nContent-Length: 16\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\n", 400),
    ("two different Content-Length headers",
     H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("Content-Length: +5", H + b"Content-Length: +5\r\n\r\nhello", 400),
    ("Content-Length: 0x5", H + b"Content-Length: 0x5\r\n\r\nhello", 400),
    ("Content-Length: 5 5", H + b"Content-Length: 5 5\r\n\r\nhello", 400),
    ("empty Content-Length", H + b"Content-Length:\r\n\r\nhello", 400),
    ("Transfer-Encoding: chunked, gzip (chunked not last)",
     H + b"Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
     400),
    ("Transfer-Encoding: gzip, chunked (unknown coding)",
     H + b"Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
     501),
    ("Transfer-Encoding: identity (no such coding any more)",
     H + b"Transfer-Encoding: identity\r\n\r\nhello", 501),
    ("chunk size 0x5", H + TE + b"0x5\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size -1", H + TE + b"-1\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size g", H + TE + b"g\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size of 20 hex digits",
     H + TE + b"F" * 20 + b"\r\nhello\r\n0\r\n\r\n", 400),
    ("no CRLF after the chunk data",
     H + TE + b"5\r\nhelloXX5\r\nworld\r\n0\r\n\r\n", 400),
    ("obs-fold (a header line starting with a space)",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test: a\r\n b\r\n\r\n", 400),
    ("space before a header's colon",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test : a\r\n\r\n", 400),
    ("control character in a header name",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-\x01Test: a\r\n\r\n", 400),
    ("control character in a header value",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test: a\x0bb\r\n\r\n", 400),
    ("bare LF line endings", b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n", 400),
    ("a bare LF after one header",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\nX-Test: a\r\n\r\n", 400),
    ("two Host headers",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n",
     400),
    ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\nX-Test: a\r\n\r\n", 400),
    ("NUL in the target", b"GET /\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
     400),
    # Content-Length: repeated, listed, out of range.
    ("two identical Content-Length headers",
     H + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    ("Content-Length: 5, 5 (a list)",
     H + b"Content-Length: 5, 5\r\n\r\nhello", 400),
    ("Content-Length: -1", H + b"Content-Length: -1\r\n\r\n", 400),
    ("Content-Length past 2**64",
     H + b"Content-Length: 99999999999999999999999\r\n\r\nhello", 400),
    # Transfer-Encoding: chunked twice, or where no body may be chunked.
    ("Transfer-Encoding: chunked, chunked",
     H + b"Transfer-Encoding: chunked, chunked\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\n", 400),
    ("two Transfer-Encoding: chunked headers",
     H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding in an HTTP/1.0 request",
     b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding: xchunked (unknown coding)",
     H + b"Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
     501),
    # Chunk framing.
    ("chunk size followed by a space", H + TE + b"5 \r\nhello\r\n0\r\n\r\n",
     400),
    ("empty chunk size line", H + TE + b"\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size line ended by a bare LF",
     H + TE + b"5\nhello\r\n0\r\n\r\n", 400),
    ("a malformed trailer line (space in its name)",
     H + TE + b"5\r\nhello\r\n0\r\nX Bad: 1\r\n\r\n", 400),
    # Header lines.
    ("a tab before a header's colon",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test\t: a\r\n\r\n", 400),
    ("obs-fold with a tab",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test: a\r\n\tb\r\n\r\n", 400),
    ("obs-fold of the Host header",
     b"GET / HTTP/1.1\r\nHost:\r\n 127.0.0.1\r\n\r\n", 400),
    ("DEL in a header value",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test: a\x7fb\r\n\r\n", 400),
    ("NUL in a header value",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test: a\x00b\r\n\r\n", 400),
    ("a bare CR in a header value",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test: a\rb\r\n\r\n", 400),
    ("ESC in a Content-Length value",
     H + b"Content-Length: \x1b5\r\n\r\nhello", 400),
    ("NUL in a header name",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-\x00: a\r\n\r\n", 400),
    ("a space inside a header name",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX Test: a\r\n\r\n", 400),
    ("an empty header name",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n: a\r\n\r\n", 400),
    ("a header line without a colon",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nXTest\r\n\r\n", 400),
    ("a space before a header line's name (after the request line)",
     b"GET / HTTP/1.1\r\n Host: 127.0.0.1\r\n\r\n", 400),
    ("a Transfer-Encoding hidden behind a space before the colon",
     H + b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello",
     400),
    # The request line.
    ("HTTP/2.0 on the request line", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
     505),
    ("two spaces in the request line",
     b"GET  / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("a control character in the target",
     b"GET /\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
]


def smuggling_case(data, status):
    def t():
        # A client connected before the bad one is served after it too.
        with conn() as other:
            check_hello(other.request(req("GET", "/")))
            with conn() as c:
                c.send(data)
                check_closing(c.read_response(), c, status)
            check_still_serving()
            kept_alive(other)
    return t


for _name, _data, _status in SMUGGLING:
    suite.add("smuggling shape (%s) -> %d, close, still serving"
              % (_name, _status), smuggling_case(_data, _status))


@suite.test("a refused request's pipelined follower is never answered")
def t_no_answer_after_refusal():
    # If the server framed the bad request's body some other way, the
    # smuggled GET /status/204 would get an answer of its own.
    data = (H + b"Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"0\r\n\r\nGET /status/204 HTTP/1.1\r\nHost: a\r\n\r\n")
    with conn() as c:
        c.send(data)
        check_closing(c.read_response(), c, 400)


# ============================================================================
# 3. Limits
# ============================================================================

@suite.test("head over 8 KiB (200 headers of 60 bytes) -> 431 and close")
def t_431():
    data = req("GET", "/", [("X-H%03d" % i, "b" * 50) for i in range(200)])
    with conn() as c:
        c.send(data)
        check_closing(c.read_response(), c, 431)
    check_still_serving()


@suite.test("request line over 8 KiB -> 414 and close")
def t_414():
    with conn() as c:
        c.send(req("GET", "/" + "a" * 9000))
        check_closing(c.read_response(), c, 414)
    check_still_serving()


@suite.test("--max-header-size 16384: a 12 KiB head is served, a 20 KiB "
            "one gets 431")
def t_max_header_option():
    with own_server("--max-header-size", "16384") as s:
        with s.connect() as c:
            check_hello(c.request(req("GET", "/", [("X-Big", "a" * 12000)])))
        with s.connect() as c:
            c.send(req("GET", "/", [("X-Big", "a" * 20000)]))
            check_closing(c.read_response(), c, 431)


@suite.test("POST /json, Content-Length 2 MB over the app's 1M, no body "
            "sent -> 413 at once, and close")
def t_413_cl():
    with conn() as c:
        t0 = time.monotonic()
        c.send(req("POST", "/json", [("Content-Length", str(2 * MB)),
                                     ("Content-Type", "application/json")]))
        c.timeout = 3 * SCALE  # the answer must not wait for a body
        c.sock.settimeout(c.timeout)
        r = c.read_response("POST")
        took = elapsed_since(t0)
        note("413 after %.2f s" % took)
        check_closing(r, c, 413)


@suite.test("Expect: 100-continue with a Content-Length over the limit -> "
            "413, no 100")
def t_413_expect():
    with conn() as c:
        c.send(req("POST", "/json", [("Content-Length", str(2 * MB)),
                                     ("Expect", "100-continue")]))
        r = c.read_response("POST")
        check(r.status != 100, "got 100 Continue for a body that will be "
              "refused (Content-Length over the limit)")
        check_closing(r, c, 413)


@suite.test("POST /json with a chunked body growing past 1M -> 413 and "
            "close")
def t_413_chunked():
    # 1.25 MB in 64 KiB chunks, and no last chunk: the answer must not
    # wait for the body's end.
    piece = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
    with conn() as c:
        c.send(build_request("POST", "/json",
                             [("Transfer-Encoding", "chunked")]))
        send_until_answer(c, [piece] * 20)
        check_closing(c.read_response("POST"), c, 413)
    check_still_serving()


@suite.test("POST /json with one chunk announcing 2 MiB (limit 1M) -> 413 "
            "before any of its data is sent")
def t_413_chunk_announced():
    with conn() as c:
        c.send(build_request("POST", "/json",
                             [("Transfer-Encoding", "chunked")]) +
               b"200000\r\n")
        check_closing(c.read_response("POST"), c, 413)
    check_still_serving()


def random_block(n, seed):
    # Random-looking but reproducible, with NULs and CRLFs in it.
    import random
    rnd = random.Random(seed)
    data = bytearray(rnd.getrandbits(8) for _ in range(n))
    for k in range(0, n - 2, 997):
        data[k:k + 3] = b"\r\n\x00"
    return bytes(data)


def ten_megabytes():
    block = random_block(1 << 16, 7)
    return b"".join(b"%08d" % i + block[8:] for i in range(160))


@suite.test("POST /echo with 10 MB and Content-Length (route limit 32M) "
            "-> echoed whole")
def t_echo_10mb():
    body = ten_megabytes()
    with conn() as c:
        c.sock.sendall(req("POST", "/echo", [("Content-Type",
                                              "application/octet-stream")],
                           body))
        r = c.read_response("POST")
        check_eq(r.status, 200, "status")
        check(r.body == body, "echoed body differs: %d bytes back, first "
              "difference at %s" % (len(r.body), first_diff(r.body, body)))
        kept_alive(c)


@suite.test("POST /echo with 10 MB chunked in 64 KiB chunks -> echoed whole")
def t_echo_10mb_chunked():
    body = ten_megabytes()
    pieces = [body[i:i + 0x10000] for i in range(0, len(body), 0x10000)]
    with conn() as c:
        c.sock.sendall(te_post("/echo", chunked(pieces),
                               [("Content-Type", "application/octet-stream")]))
        r = c.read_response("POST")
        check_eq(r.status, 200, "status")
        check(r.body == body, "echoed body differs: %d bytes back, first "
              "difference at %s" % (len(r.body), first_diff(r.body, body)))
        kept_alive(c)


def first_diff(a, c):
    for i in range(min(len(a), len(c))):
        if a[i] != c[i]:
            return "byte %d" % i
    return "byte %d (one is a prefix of the other)" % min(len(a), len(c))


@suite.test("--max-body-size does not override the app's limits: with 100, "
            "/json takes 1000 bytes and /echo 2 MB; with 64 MiB, /json "
            "still refuses 2 MB")
def t_max_body_option():
    # Observed design: the route's max_body_size wins, then the app's; the
    # option only applies to an app that sets none (this one sets 1M).
    doc = {"pad": "x" * 1000}
    data = json.dumps(doc).encode()
    with own_server("--max-body-size", "100") as s:
        with s.connect() as c:
            r = c.request(req("POST", "/json", [("Content-Type",
                                                 "application/json")], data))
            check_eq(r.status, 200, "POST /json of %d bytes with "
                     "--max-body-size 100: status" % len(data))
            r = c.request(req("POST", "/echo", [], b"e" * (2 * MB)))
            check_eq((r.status, len(r.body)), (200, 2 * MB),
                     "POST /echo of 2 MB with --max-body-size 100: "
                     "(status, length)")
    with own_server("--max-body-size", str(64 * MB)) as s:
        with s.connect() as c:
            c.send(req("POST", "/json", [("Content-Length", str(2 * MB))]))
            check_closing(c.read_response("POST"), c, 413)


@suite.test("per-route limit below the app's (/small: 100 bytes): 100 "
            "echoed; 101 -> 413 at once, close")
def t_413_route_small():
    with conn() as c:
        body = bytes(range(100))
        check_resp(c.request(req("POST", "/small", [], body)), 200, body)
        c.send(req("POST", "/small", [("Content-Length", "101")]))
        check_closing(c.read_response("POST"), c, 413)
    check_still_serving()


@suite.test("per-route limit: a chunked body growing past /small's 100 "
            "bytes -> 413, close")
def t_413_route_chunked():
    with conn() as c:
        c.send(te_post("/small", b"40\r\n" + b"a" * 64 + b"\r\n"))
        send_until_answer(c, [b"40\r\n" + b"b" * 64 + b"\r\n"] * 4)
        check_closing(c.read_response("POST"), c, 413)


@suite.test("per-route limit above the app's (/echo: 32M): a "
            "Content-Length of 32M + 1 -> 413 at once, close")
def t_413_route_echo():
    with conn() as c:
        c.send(req("POST", "/echo", [("Content-Length",
                                      str(32 * MB + 1))]))
        check_closing(c.read_response("POST"), c, 413)


# ============================================================================
# 4. Timeouts
# ============================================================================

TIME_LIMIT = 6.0 * (1.5 if SANITIZED else 1.0)  # generous upper bounds
# A 1 s head deadline, checked by a once-a-second sweep, ends by 2 s; a
# deadline re-armed by every byte never would.
SLOWLORIS_LIMIT = 4.5


@suite.test("--header-timeout 1: half a head -> 408 and close within "
            "1-%.0f s" % TIME_LIMIT)
def t_header_timeout():
    with own_server("--header-timeout", "1") as s:
        with s.connect(timeout=TIME_LIMIT + 2) as c:
            t0 = time.monotonic()
            c.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
            r = c.read_response()
            took = elapsed_since(t0)
            note("408 after %.2f s" % took)
            check_closing(r, c, 408)
            check(0.9 <= took <= TIME_LIMIT, "408 came %.2f s after the "
                  "first byte (expected 1 to %.0f s)" % (took, TIME_LIMIT))
        check_still_serving(s)


@suite.test("--header-timeout 1: a byte every 0.3 s (slowloris) is still "
            "cut: the deadline runs from the first byte")
def t_slowloris():
    data = req("GET", "/", [("X-Slow", "s" * 100)])
    with own_server("--header-timeout", "1") as s:
        with s.connect(timeout=TIME_LIMIT + 2) as c:
            t0 = time.monotonic()
            sent = 0
            while sent < len(data) and \
                    elapsed_since(t0) < SLOWLORIS_LIMIT + 1:
                try:
                    c.sock.sendall(data[sent:sent + 1])
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += 1
                if readable(c.sock, 0.3):
                    break
            took = elapsed_since(t0)
            note("trickled %d of %d bytes in %.2f s" % (sent, len(data), took))
            check(sent < len(data), "the whole request went out, a byte per "
                  "0.3 s, without the server cutting it")
            r = c.read_response()
            check_closing(r, c, 408)
            check(took <= SLOWLORIS_LIMIT, "cut after %.2f s (limit %.1f "
                  "s)" % (took, SLOWLORIS_LIMIT))


def idle_case(args, env):
    def t():
        with own_server(*args, env=env) as s:
            with s.connect() as c:
                check_hello(c.request(req("GET", "/")))
                t0 = time.monotonic()
                why = c.closed_by_peer(timeout=TIME_LIMIT)
                took = elapsed_since(t0)
                note("closed after %.2f s" % took)
                check(why is None, "idle connection not closed: %s" % why)
                check(took >= 0.5, "closed after only %.2f s of idleness"
                      % took)
    return t


suite.add("--idle-timeout 1: an idle keep-alive connection is closed",
          idle_case(["--idle-timeout", "1"], None))
suite.add("TORN_IDLE_TIMEOUT=0.5 in the environment: the same",
          idle_case([], {"TORN_IDLE_TIMEOUT": "0.5"}))


@suite.test("--body-timeout 1: a body that stalls -> 408 and close")
def t_body_timeout():
    with own_server("--body-timeout", "1") as s:
        with s.connect(timeout=TIME_LIMIT + 2) as c:
            c.send(req("POST", "/echo", [("Content-Length", "100")]) +
                   b"only ten..")
            t0 = time.monotonic()
            r = c.read_response("POST")
            took = elapsed_since(t0)
            note("408 after %.2f s" % took)
            check_closing(r, c, 408)
            check(0.9 <= took <= TIME_LIMIT, "408 came %.2f s after the "
                  "body stalled (expected 1 to %.0f s)" % (took, TIME_LIMIT))


@suite.test("200 slow-header connections open at once: another client is "
            "still answered promptly (< 2 s each)")
def t_many_slow_headers():
    slow = []
    try:
        for i in range(200):
            c = Conn(shared.server.port)
            c.sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-%d: "
                           % i)
            slow.append(c)
        worst = 0.0
        with conn() as keep:
            for k in range(10):
                t0 = time.monotonic()
                if k % 2:
                    r = keep.request(req("GET", "/"))
                else:
                    with conn() as fresh:
                        r = fresh.request(req("GET", "/"))
                took = elapsed_since(t0)
                worst = max(worst, took)
                check_hello(r)
                check(took < 2.0, "request %d took %.2f s with 200 "
                      "slow clients connected" % (k + 1, took))
        note("slowest answer %.3f s" % worst)
        for c in slow:
            if readable(c.sock, 0):
                raise AssertionError("a half-sent request was answered: %s"
                                     % show(c.sock.recv(200)))
    finally:
        for c in slow:
            c.close()


@suite.test("--header-timeout 1: 200 slow-header connections; others are "
            "answered promptly meanwhile, and each slow one gets its 408")
def t_many_slow_headers_cut():
    with own_server("--header-timeout", "1", "--workers", "1") as s:
        slow = []
        try:
            t0 = time.monotonic()
            for i in range(200):
                c = Conn(s.port, timeout=TIME_LIMIT + 2)
                c.sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"X-Slow-%d: " % i)
                slow.append(c)
            for _ in range(5):
                t1 = time.monotonic()
                check_still_serving(s)
                check(elapsed_since(t1) < 2.0, "GET / took %.2f s with 200 "
                      "slow clients connected" % elapsed_since(t1))
            statuses = {}
            for c in slow:
                r = c.read_response()
                statuses[r.status] = statuses.get(r.status, 0) + 1
                why = c.closed_by_peer(timeout=3 * SCALE)
                check(why is None, "a slow client was not closed after its "
                      "408: %s" % why)
            took = elapsed_since(t0)
            note("all 200 cut within %.2f s: %r" % (took, statuses))
            check_eq(statuses, {408: 200}, "statuses of the slow clients")
            check(took < TIME_LIMIT + 2, "the last slow client was cut "
                  "after %.2f s" % took)
            check_still_serving(s)
        finally:
            for c in slow:
                c.close()


# ============================================================================
# 5. Asynchronous handlers
# ============================================================================

@suite.test("/slow?ms=300 answered after >= 0.3 s; meanwhile / on another "
            "connection is answered at once")
def t_slow_concurrent():
    with conn() as a, conn() as other:
        t0 = time.monotonic()
        a.send(req("GET", "/slow?ms=300"))
        check_hello(other.request(req("GET", "/")))
        fast = elapsed_since(t0)
        check(not readable(a.sock, 0), "/slow answered before the fast "
              "request on the other connection (after %.2f s)" % fast)
        r = a.read_response()
        took = elapsed_since(t0)
        note("/ after %.3f s, /slow after %.3f s" % (fast, took))
        check_resp(r, 200, b"slept 300 ms", HTML)
        check(took >= 0.29, "/slow?ms=300 answered after %.3f s" % took)
        keeps_alive(r)
        kept_alive(a)


@suite.test("50 concurrent /slow?ms=200 all answered together (< 5 s, not "
            "50 x 0.2 s in a row)")
def t_slow_50():
    conns = []
    try:
        t0 = time.monotonic()
        for _ in range(50):
            c = conn()
            conns.append(c)
            c.send(req("GET", "/slow?ms=200"))
        for i, c in enumerate(conns):
            r = c.read_response()
            try:
                check_resp(r, 200, b"slept 200 ms")
            except AssertionError as e:
                raise AssertionError("connection %d: %s" % (i, e))
        took = elapsed_since(t0)
        note("50 answers in %.2f s" % took)
        check(0.19 <= took < 5.0, "50 concurrent /slow?ms=200 took %.2f s"
              % took)
    finally:
        for c in conns:
            c.close()


@suite.test("pipelined /slow?ms=200 then / on one connection -> in order")
def t_slow_pipelined():
    with conn() as c:
        t0 = time.monotonic()
        c.send(req("GET", "/slow?ms=200") + req("GET", "/") +
               req("POST", "/echo", [], b"third"))
        r1 = c.read_response()
        check_resp(r1, 200, b"slept 200 ms")
        check(elapsed_since(t0) >= 0.19, "/slow answered too soon")
        check_hello(c.read_response())
        check_resp(c.read_response("POST"), 200, b"third")
        check_eq(c.no_extra_bytes(), b"", "bytes after three responses")


@suite.test("/slow then 30 POSTs of 1 KB and a 1 MB one, all in one write "
            "(more than a head's worth waits behind the async request) -> "
            "all answered in order")
def t_slow_pipelined_bodies():
    bodies = [bytes([65 + i % 26]) * 1000 + b"%d" % i for i in range(30)]
    bodies.append(os.urandom(MB))
    data = req("GET", "/slow?ms=100")
    for i, body in enumerate(bodies):
        if i % 3 == 1:
            data += te_post("/echo", chunked([body[:500], body[500:]]))
        else:
            data += req("POST", "/echo", [], body)
    with conn() as c:
        c.sock.sendall(data)
        check_resp(c.read_response(), 200, b"slept 100 ms")
        for i, body in enumerate(bodies):
            r = c.read_response("POST")
            check(r.status == 200 and r.body == body, "response %d of %d: "
                  "%s, expected the echo of %d bytes"
                  % (i + 2, len(bodies) + 1, r, len(body)))
        check_eq(c.no_extra_bytes(), b"", "bytes after the responses")


def read_chunks(c, deadline):
    """Parse a chunked body from the connection: [(time, data)], the
    last-chunk not included; checks the framing exactly."""
    out = []
    while True:
        check(time.monotonic() < deadline, "chunked body not done in time")
        line = c._read_until(b"\r\n", "chunk size line")
        check(re.fullmatch(rb"[0-9a-fA-F]+\r\n", line),
              "bad chunk size line %r" % line)
        size = int(line, 16)
        if size == 0:
            check_eq(c._read_exact(2, "end of the chunked body"), b"\r\n",
                     "CRLF after the last chunk (no trailer expected)")
            return out
        data = c._read_exact(size, "chunk data")
        check_eq(c._read_exact(2, "chunk end"), b"\r\n",
                 "CRLF after chunk data")
        out.append((time.monotonic(), data))


@suite.test("/stream?n=5 -> Transfer-Encoding: chunked, 5 chunks, kept "
            "alive; n=30 arrives over time")
def t_stream_chunked():
    with conn() as c:
        c.send(req("GET", "/stream?n=5"))
        h = c.read_response("HEAD")  # the head only: chunks parsed here
        p = Problems(h)
        status_problems(p, 200)
        p.eq(h.get("Transfer-Encoding"), "chunked", "Transfer-Encoding")
        p.eq(h.get("Content-Length"), None, "Content-Length")
        p.eq(h.get("Content-Type"), "text/plain", "Content-Type")
        p.done()
        chunks = [d for _, d in read_chunks(c, time.monotonic() + TIMEOUT)]
        check_eq(chunks, [b"chunk %d\n" % i for i in range(5)],
                 "the chunks (one per flush)")
        kept_alive(c)
        c.send(req("GET", "/stream?n=30"))
        c.read_response("HEAD")
        got = read_chunks(c, time.monotonic() + TIMEOUT)
        check_eq(len(got), 30, "number of chunks of /stream?n=30")
        spread = got[-1][0] - got[0][0]
        note("30 chunks over %.3f s" % spread)
        check(spread >= 0.1, "30 chunks written 10 ms apart all arrived "
              "within %.3f s: the response was not streamed" % spread)


@suite.test("HEAD /stream and a GET /stream pipelined with requests "
            "behind -> no body on the HEAD, every response in order")
def t_stream_pipelined():
    with conn() as c:
        c.send(req("HEAD", "/stream?n=3") + req("GET", "/stream?n=3") +
               req("GET", "/") + req("POST", "/echo", [], b"after"))
        h = c.read_response("HEAD")
        check_eq(h.status, 200, "HEAD /stream status")
        r = c.read_response()
        check_resp(r, 200, b"chunk 0\nchunk 1\nchunk 2\n")
        check_hello(c.read_response())
        check_resp(c.read_response("POST"), 200, b"after")
        check_eq(c.no_extra_bytes(), b"", "bytes after the responses")


@suite.test("HTTP/1.0 /stream -> unchunked body ended by close")
def t_stream_http10():
    with conn() as c:
        c.send(req("GET", "/stream?n=5", version="HTTP/1.0"))
        r = c.read_response()  # no framing: read to EOF
        p = Problems(r)
        status_problems(p, 200)
        p.eq(r.get("Transfer-Encoding"), None, "Transfer-Encoding")
        p.eq(r.get("Content-Length"), None, "Content-Length")
        p.eq((r.get("Connection") or "").lower(), "close", "Connection")
        p.eq(r.body, b"".join(b"chunk %d\n" % i for i in range(5)), "body")
        p.done()


@suite.test("clients leaving in the middle of /slow, /stream, /work and "
            "requests pipelined behind them -> the server stays healthy, "
            "exits 0, no sanitizer report")
def t_async_abandoned():
    with own_server("--workers", "1") as s:
        for data, wait in (
                (req("GET", "/slow?ms=200"), 0.0),
                (req("GET", "/slow?ms=100") + req("GET", "/") +
                 req("POST", "/echo", [], b"x" * 5000), 0.0),
                (req("GET", "/stream?n=100"), 0.1),
                (req("GET", "/stream?n=100", version="HTTP/1.0"), 0.1),
                (req("GET", "/work?n=20000000"), 0.0),
                (req("GET", "/poll") + req("GET", "/slow?ms=10"), 0.0)):
            c = s.connect()
            c.send(data)
            check_still_serving(s)  # the request is being handled now
            if wait:
                c.sock.recv(100)  # the stream has started
            c.close()
        # The timers, the stream and the work end on their own meanwhile;
        # the server must still answer, and exit cleanly.
        with s.connect() as c:
            r = c.request(req("GET", "/slow?ms=300"))
            check_resp(r, 200, b"slept 300 ms")
        check_still_serving(s)
        found = s.new_sanitizer_lines()
        check(not found, "sanitizer report: %s" % "; ".join(found[:5]))


def work_answer(n):
    """What /work?n=N computes: x = x * A + i for i < N, mod 2**64, from
    x = 0. One step maps (x, i, 1) linearly, so N steps are that 3x3
    matrix to the power N: quick even for the N that keep the thread
    pool busy for a while."""
    mask = (1 << 64) - 1

    def mul(p, q):
        return [[sum(p[r][k] * q[k][c] for k in range(3)) & mask
                 for c in range(3)] for r in range(3)]
    step = [[6364136223846793005, 1, 0], [0, 1, 1], [0, 0, 1]]
    acc = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    while n:
        if n & 1:
            acc = mul(acc, step)
        step = mul(step, step)
        n >>= 1
    return b"%d" % acc[0][2]  # applied to (x, i, 1) = (0, 0, 1)


def work_answer_slow(n):
    x, mask = 0, (1 << 64) - 1
    for i in range(n):
        x = (x * 6364136223846793005 + i) & mask
    return b"%d" % x


@suite.test("/work?n=1000000 (thread pool) -> the computed value")
def t_work():
    for n in (0, 1, 2, 3, 1000):
        check_eq(work_answer(n), work_answer_slow(n), "work_answer(%d)" % n)
    with conn() as c:
        c.send(req("GET", "/work?n=1000000"))
        want = work_answer(1000000)
        check_resp(c.read_response(), 200, want)
        kept_alive(c)


def notify_until(s, body, want_pollers):
    """POST /notify until every poller has its answer; returns the sum of
    the counts the notifies reported."""
    total = 0
    deadline = time.monotonic() + 5 * SCALE
    with s.connect() as n:
        while True:
            r = n.request(req("POST", "/notify", [], body))
            check_eq(r.status, 200, "POST /notify status")
            m = re.fullmatch(rb"notified (\d+)", r.body)
            check(m, "POST /notify body %s" % show(r.body))
            total += int(m.group(1))
            if all(p.buf or readable(p.sock, 0.05) for p in want_pollers):
                return total
            check(time.monotonic() < deadline, "pollers still waiting 5 s "
                  "after the first notify (notified %d so far)" % total)


@suite.test("long polling (--workers 1): two /poll waiters get the body of "
            "POST /notify")
def t_poll():
    with own_server("--workers", "1") as s:
        with s.connect() as p1, s.connect() as p2:
            p1.send(req("GET", "/poll"))
            p2.send(req("GET", "/poll"))
            # A round trip on the same loop: the two polls, sent first,
            # have been read by the time it is answered.
            check_still_serving(s)
            check(not readable(p1.sock, 0) and not readable(p2.sock, 0),
                  "a /poll answered before any notify")
            body = b"news \x00 for all"
            total = notify_until(s, body, [p1, p2])
            for k, p in enumerate((p1, p2)):
                r = p.read_response()
                try:
                    check_resp(r, 200, body)
                except AssertionError as e:
                    raise AssertionError("poller %d: %s" % (k + 1, e))
            check_eq(total, 2, "waiters notified in all")
            kept_alive(p1)


@suite.test("a /poll client that disconnects is forgotten: notify says "
            "notified 0; the server stays healthy")
def t_poll_gone():
    with own_server("--workers", "1") as s:
        for _ in range(3):
            p = s.connect()
            p.send(req("GET", "/poll"))
            check_still_serving(s)
            p.close()
        check_still_serving(s)
        with s.connect() as n:
            r = n.request(req("POST", "/notify", [], b"anyone?"))
            check_resp(r, 200, b"notified 0")
        # And a live waiter still works afterwards.
        with s.connect() as p:
            p.send(req("GET", "/poll"))
            check_still_serving(s)
            total = notify_until(s, b"still here", [p])
            check_resp(p.read_response(), 200, b"still here")
            check_eq(total, 1, "waiters notified")
        found = s.new_sanitizer_lines()
        check(not found, "sanitizer report: %s" % "; ".join(found[:5]))


def stats(s):
    """The hook counters of a --workers 1 server (GET /stats)."""
    with s.connect() as c:
        r = c.request(req("GET", "/stats"))
        check_resp(r, 200, None, JSON_TYPE)
        return json.loads(r.body)


@suite.test("prepare and on_finish run around every handler (async ones "
            "too, and a request prepare refuses); current_user is asked "
            "once per request")
def t_hooks_counted():
    user = signed("user", "carol")
    with own_server("--workers", "1") as s:
        before = stats(s)  # prepared counts this request, finished not yet
        with s.connect() as c:
            check_hello(c.request(req("GET", "/")))
            check_resp(c.request(req("POST", "/echo", [], b"x")), 200, b"x")
            check_resp(c.request(req("GET", "/slow?ms=50")), 200,
                       b"slept 50 ms")
            check_resp(c.request(req("GET", "/work?n=10")), 200,
                       work_answer(10))
            check_resp(c.request(req("GET", "/", [("X-Deny", "1")])), 403)
            check_resp(c.request(req("GET", "/private",
                                     [("Cookie", "user=" + user)])),
                       200, b"hello, carol")
        after = stats(s)
        check_eq({k: after[k] - before[k] for k in after},
                 {"prepared": 7, "finished": 7, "closed": 0, "users": 1},
                 "counters after six requests (and GET /stats) between two "
                 "GET /stats")


@suite.test("prepare: its header is on handler answers, not on a 404 of "
            "no route (no handler, no prepare)")
def t_prepare_header():
    with conn() as c:
        r = c.request(req("GET", "/"))
        check_eq(r.get("X-Prepared"), "yes", "X-Prepared on GET /")
        r = c.request(req("GET", "/slow?ms=1"))
        check_eq(r.get("X-Prepared"), "yes", "X-Prepared on an async route")
        r = c.request(req("GET", "/no/such/route"))
        check_eq((r.status, r.get("X-Prepared")), (404, None),
                 "404 of no route: (status, X-Prepared)")


@suite.test("prepare refusing (X-Deny) -> its 403 with its reason; the "
            "handler never runs (no echo); before the login check")
def t_prepare_refuses():
    with conn() as c:
        r = c.request(req("POST", "/echo", [("X-Deny", "1")], b"secret"))
        check_resp(r, 403, b"<html><title>403: Forbidden</title><body>403: "
                   b"Forbidden (denied by prepare)</body></html>", HTML)
        # Not the login redirect: prepare runs before @authenticated.
        r = c.request(req("GET", "/private", [("X-Deny", "1")]))
        check_eq((r.status, r.get("Location")), (403, None),
                 "(status, Location) of a refused /private")
        r = c.request(req("GET", "/slow?ms=1", [("X-Deny", "1")]
                          + ACCEPT_JSON))
        check_json_error(r, 403, "denied by prepare")
        kept_alive(c)


@suite.test("on_connection_close: each /poll client that leaves is seen "
            "(closed counter), and its request still finishes")
def t_on_connection_close():
    with own_server("--workers", "1") as s:
        before = stats(s)
        for _ in range(3):
            p = s.connect()
            p.send(req("GET", "/poll"))
            check_still_serving(s)  # the poll is waiting by now
            p.close()
        deadline = time.monotonic() + 5 * SCALE
        while True:
            after = stats(s)
            if after["closed"] - before["closed"] >= 3 or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        check_eq(after["closed"] - before["closed"], 3,
                 "on_connection_close calls")
        # The three polls, the three GET / and the first GET /stats (the
        # later ones count theirs too, once each).
        check(after["finished"] - before["finished"] >= 7, "on_finish "
              "calls: %d" % (after["finished"] - before["finished"]))


# ============================================================================
# 6. Graceful stop
# ============================================================================

@suite.test("SIGTERM during /slow?ms=1500: the response completes with "
            "Connection: close, new connections are refused, exit 0")
def t_sigterm_inflight():
    s = Server(shared.binary).start()
    try:
        with s.connect() as c:
            t0 = time.monotonic()
            c.send(req("GET", "/slow?ms=1500"))
            time.sleep(0.3)  # the request is in its handler by now
            s.proc.send_signal(signal.SIGTERM)
            refused = None
            while elapsed_since(t0) < 1.4:
                try:
                    socket.create_connection((HOST, s.port), timeout=1).close()
                except (ConnectionRefusedError, ConnectionResetError):
                    # Reset: it was still in the closing listener's queue.
                    refused = elapsed_since(t0)
                    break
                time.sleep(0.02)
            r = c.read_response()
            took = elapsed_since(t0)
            note("refused at %s s, answer at %.2f s"
                 % (refused and "%.2f" % refused, took))
            check_resp(r, 200, b"slept 1500 ms")
            check_eq((r.get("Connection") or "").lower(), "close",
                     "Connection header of the last response")
            check(took >= 1.45, "answered after %.2f s" % took)
            check(refused is not None, "new connections were still accepted "
                  "1.1 s after SIGTERM")
            check_closed(c)
        code = s.proc.wait(timeout=5 * SCALE)
        check_eq(code, 0, "exit status after SIGTERM (stderr %s)"
                 % s.stderr_tail())
        found = sanitizer_lines(s.stderr_text())
        check(not found, "sanitizer report: %s" % "; ".join(found[:5]))
    except subprocess.TimeoutExpired:
        raise AssertionError("server still running %.0f s after the last "
                             "response" % (5 * SCALE))
    finally:
        s.kill()


@suite.test("SIGTERM during /stream?n=60: the stream completes (last "
            "chunk), then the connection closes, exit 0")
def t_sigterm_stream():
    with own_server() as s:
        with s.connect() as c:
            c.send(req("GET", "/stream?n=60"))
            h = c.read_response("HEAD")
            check_eq(h.status, 200, "status")
            c.sock.recv(1)  # the stream is under way
            c.buf = b""
            s.proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            c.sock.settimeout(5 * SCALE)
            rest = b""
            while not rest.endswith(b"\r\n0\r\n\r\n"):
                more = c.sock.recv(65536)
                check(more, "EOF before the last chunk; got %s"
                      % show(rest[-200:]))
                rest += more
            note("stream done %.2f s after SIGTERM" % elapsed_since(t0))
            check(b"chunk 59\n" in rest, "last piece missing: %s"
                  % show(rest[-200:]))
            check_closed(c, "the stream's last chunk")
            code = s.proc.wait(timeout=5 * SCALE)
            check_eq(code, 0, "exit status (stderr %s)" % s.stderr_tail())


@suite.test("--stop-timeout 1: SIGTERM with a /poll that never ends -> "
            "exit 0 after about 1 s, the waiter's connection closed")
def t_stop_timeout():
    with own_server("--workers", "1", "--stop-timeout", "1") as s:
        with s.connect() as c:
            c.send(req("GET", "/poll"))
            check_still_serving(s)
            t0 = time.monotonic()
            s.proc.send_signal(signal.SIGTERM)
            code = s.proc.wait(timeout=TIME_LIMIT)
            took = elapsed_since(t0)
            note("exit after %.2f s" % took)
            check_eq(code, 0, "exit status (stderr %s)" % s.stderr_tail())
            check(0.8 <= took <= 4 * SCALE, "exited %.2f s after SIGTERM "
                  "(expected about 1 s)" % took)
            try:
                data = c.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            check(not data.startswith(b"HTTP/1.1 200"), "the waiter got a "
                  "200: %s" % show(data))


@suite.test("SIGTERM with requests in flight on five connections (timers, "
            "the thread pool, a stream, a body still arriving) -> every "
            "one completes, exit 0")
def t_sigterm_many_inflight():
    with own_server("--workers", "2") as s:
        conns = [s.connect() for _ in range(5)]
        try:
            conns[0].send(req("GET", "/slow?ms=800"))
            conns[1].send(req("GET", "/slow?ms=400"))
            conns[2].send(req("GET", "/work?n=400000000"))
            conns[3].send(req("GET", "/stream?n=40"))
            body = os.urandom(300000)
            conns[4].send(req("POST", "/echo", [], body)[:-200000])
            check_still_serving(s)  # all five are being handled now
            time.sleep(0.1)
            s.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            conns[4].sock.sendall(body[-200000:])
            want = [(b"slept 800 ms", None), (b"slept 400 ms", None),
                    (work_answer(400000000), None),
                    (b"".join(b"chunk %d\n" % i for i in range(40)), None),
                    (body, "POST")]
            for k, (c, (data, method)) in enumerate(zip(conns, want)):
                r = c.read_response(method or "GET")
                check(r.status == 200 and r.body == data, "request %d: %s"
                      % (k + 1, r))
                check_closed(c, "the last response before the stop")
            code = s.proc.wait(timeout=5 * SCALE)
            check_eq(code, 0, "exit status (stderr %s)" % s.stderr_tail())
        finally:
            for c in conns:
                c.close()


@suite.test("SIGINT during /slow?ms=600 -> the response completes, exit 0")
def t_sigint_inflight():
    with own_server() as s:
        with s.connect() as c:
            c.send(req("GET", "/slow?ms=600"))
            time.sleep(0.2)
            s.proc.send_signal(signal.SIGINT)
            check_resp(c.read_response(), 200, b"slept 600 ms")
            check_closed(c)
        check_eq(s.proc.wait(timeout=5 * SCALE), 0, "exit status (stderr "
                 "%s)" % s.stderr_tail())


# ============================================================================
# 7. Responses: ETag, gzip, errors
# ============================================================================

def etag_304(path, headers):
    with conn() as c:
        r = c.request(req("GET", path, headers))
        etag = r.get("ETag")
        check(etag and re.fullmatch(r'(W/)?"[^"]+"', etag),
              "GET %s: ETag %r" % (path, etag))
        r2 = c.request(req("GET", path, headers + [("If-None-Match", etag)]))
        p = Problems(r2)
        status_problems(p, 304)
        p.eq(r2.body, b"", "body of the 304")
        p.eq(r2.get("ETag"), etag, "ETag of the 304")
        p.done()
        check_eq(c.no_extra_bytes(), b"", "bytes after the 304")
        r3 = c.request(req("GET", path, headers +
                           [("If-None-Match", '"other", "tags"')]))
        check_eq(r3.status, 200, "status with a non-matching If-None-Match")
        kept_alive(c)


@suite.test("ETag on / -> If-None-Match with it -> 304, no body")
def t_etag_hello():
    etag_304("/", [])


@suite.test("ETag on /big, plain and gzipped -> If-None-Match -> 304")
def t_etag_big():
    etag_304("/big", [])
    etag_304("/big", [("Accept-Encoding", "gzip")])


@suite.test("/big with Accept-Encoding: gzip -> gzipped, Vary, gunzips to "
            "the plain body")
def t_gzip():
    with conn() as c:
        plain = c.request(req("GET", "/big"))
        check_resp(plain, 200, BIG, HTML)
        check_eq(plain.get("Content-Encoding"), None,
                 "Content-Encoding without Accept-Encoding")
        z = c.request(req("GET", "/big", [("Accept-Encoding",
                                           "deflate, gzip;q=0.8, br")]))
        p = Problems(z)
        status_problems(p, 200)
        p.eq(z.get("Content-Encoding"), "gzip", "Content-Encoding")
        p.eq(z.get("Vary"), "Accept-Encoding", "Vary")
        p.eq(z.get("Content-Type"), HTML, "Content-Type")
        p.ok(len(z.body) < len(BIG) // 4, "gzipped body of %d bytes for %d"
             % (len(z.body), len(BIG)))
        p.done()
        try:
            unzipped = gzip.decompress(z.body)
        except (OSError, EOFError) as e:
            raise AssertionError("body does not gunzip: %s" % e)
        check(unzipped == plain.body, "gunzipped body (%d bytes) differs "
              "from the plain one (%d)" % (len(unzipped), len(plain.body)))


@suite.test("HEAD /big with Accept-Encoding: gzip -> the gzipped GET's "
            "Content-Length and Content-Encoding, no body")
def t_gzip_head():
    ae = [("Accept-Encoding", "gzip")]
    with conn() as c:
        h, g = c.head_then_get(req("HEAD", "/big", ae), req("GET", "/big", ae))
        check_eq(g.get("Content-Encoding"), "gzip", "GET Content-Encoding")
        check_eq(h.get("Content-Encoding"), "gzip", "HEAD Content-Encoding")
        check_eq(h.get("ETag"), g.get("ETag"), "HEAD vs GET ETag")


@suite.test("Accept-Encoding: gzip;q=0 -> not compressed (Vary still set)")
def t_gzip_refused():
    with conn() as c:
        r = c.request(req("GET", "/big", [("Accept-Encoding",
                                           "gzip;q=0, identity")]))
        check_resp(r, 200, BIG)
        check_eq(r.get("Content-Encoding"), None, "Content-Encoding")
        check_eq(r.get("Vary"), "Accept-Encoding", "Vary")


@suite.test("/ (12 bytes) with Accept-Encoding: gzip -> not compressed")
def t_gzip_small():
    with conn() as c:
        r = c.request(req("GET", "/", [("Accept-Encoding", "gzip")]))
        check_hello(r)
        check_eq(r.get("Content-Encoding"), None, "Content-Encoding")


@suite.test("/status/404 -> the error page with status 404, kept alive")
def t_status_404():
    with conn() as c:
        r = c.request(req("GET", "/status/404"))
        check_resp(r, 404, None, HTML)
        check(b"404: Not Found" in r.body, "error page %s does not say "
              "404: Not Found" % show(r.body))
        keeps_alive(r)
        kept_alive(c)


@suite.test("/status/204 -> no body and no Content-Length; the next "
            "pipelined request parses")
def t_status_204():
    with conn() as c:
        c.send(req("GET", "/status/204") + req("GET", "/"))
        r = c.read_response()
        p = Problems(r)
        status_problems(p, 204)
        p.eq(r.get("Content-Length"), None, "Content-Length of a 204")
        p.eq(r.get("Transfer-Encoding"), None, "Transfer-Encoding of a 204")
        p.done()
        check_hello(c.read_response())


@suite.test("/status/201, /status/202 -> their reasons; /status/299 -> "
            "'Unknown' (Tornado's reason for a code it has none for); "
            "empty bodies after a large one on the same connection")
def t_status_reasons():
    with conn() as c:
        # A 200 KB body first: the pooled request's buffer is let go, so
        # the empty bodies below are written from no buffer at all.
        check_resp(c.request(req("GET", "/big")), 200, BIG)
        for code, line in ((201, "HTTP/1.1 201 Created"),
                           (202, "HTTP/1.1 202 Accepted"),
                           (299, "HTTP/1.1 299 Unknown")):
            r = c.request(req("GET", "/status/%d" % code))
            check_eq(r.status_line, line, "status line of /status/%d" % code)
            check_eq(r.body, b"", "body")
        kept_alive(c)


@suite.test("tn_send_error with an error status torn has no reason for "
            "(418, 451, 599) -> that status and the default page, the "
            "server alive")
def t_send_error_unlisted():
    # The default page is written by the runtime here: the app's
    # write_error hook hands a client that does not ask for JSON to it.
    with own_server("--workers", "1") as s:
        for code in (418, 451, 599):
            try:
                with s.connect() as c:
                    r = c.request(req("GET", "/status/%d" % code))
            except AssertionError as e:
                time.sleep(0.3)  # long enough for a crash to be seen
                raise AssertionError("GET /status/%d: no answer (%s); server "
                                     "%s; stderr: %s"
                                     % (code, e, "alive" if s.alive() else
                                        "dead, status %s"
                                        % s.proc.returncode,
                                        s.stderr_tail()))
            check_eq(r.status, code, "status")
            check(r.reason, "no reason phrase in %r" % r.status_line)
            page = ("<html><title>%d: %s</title><body>%d: %s (asked for)"
                    "</body></html>" % (code, r.reason, code, r.reason))
            check_eq(r.body, page.encode(), "the default page")
            with s.connect() as c:
                r = c.request(req("GET", "/status/%d" % code, ACCEPT_JSON))
                check_json_error(r, code, "asked for")


def header_answer(query):
    with conn() as c:
        r = c.request(req("GET", "/header?" + query))
        check_resp(r, 200, None, JSON_TYPE)
        return r, json.loads(r.body)


@suite.test("tn_set_header: a plain value is sent; a tab inside is kept")
def t_set_header_ok():
    r, got = header_answer("name=X-Custom&value=" +
                           urllib.parse.quote("a value\twith tab"))
    check_eq(got["set"], "ok", "tn_set_header")
    check_eq(r.get_all("X-Custom"), ["a value\twith tab"], "X-Custom")


HEADER_REFUSED = [
    ("a value with CR LF and a header after it",
     "value=" + urllib.parse.quote("a\r\nX-Injected: 1"), "TN_EHEADER"),
    ("a value with a bare LF", "value=" + urllib.parse.quote("a\nb"),
     "TN_EHEADER"),
    ("a value with a bare CR", "value=" + urllib.parse.quote("a\rb"),
     "TN_EHEADER"),
    ("a name with a space", "name=X+Bad&value=v", "TN_EHEADER"),
    ("a name with a colon", "name=X-Bad%3AInjected&value=v", "TN_EHEADER"),
    ("a name with CR LF",
     "name=" + urllib.parse.quote("X-A\r\nX-Injected") + "&value=v",
     "TN_EHEADER"),
    ("Content-Length (the runtime's)", "name=Content-Length&value=1",
     "TN_EINVAL"),
    ("Date (the runtime's)", "name=Date&value=x", "TN_EINVAL"),
]


def header_refused_case(query, err):
    def t():
        r, got = header_answer(query)
        check_eq(got["set"], err, "tn_set_header's answer")
        head = r.raw_head.lower()
        for bad in (b"x-injected", b"x-custom", b"x-bad", b"x-a"):
            check(bad not in head, "%r in the response head: %s"
                  % (bad, show(r.raw_head)))
        check_eq(len(r.get_all("Content-Length")), 1, "Content-Length "
                 "headers")
    return t


for _name, _query, _err in HEADER_REFUSED:
    suite.add("tn_set_header with %s -> %s, nothing sent" % (_name, _err),
              header_refused_case(_query, _err))


@suite.test("tn_add_header twice -> both headers; one with CR LF refused "
            "and not sent")
def t_add_header():
    r, got = header_answer("add=one&add=" +
                           urllib.parse.quote("x\r\nX-Injected: 1") +
                           "&add=two")
    check_eq(got["add"], ["ok", "TN_EHEADER", "ok"], "tn_add_header answers")
    check_eq(r.get_all("X-Added"), ["one", "two"], "X-Added headers")
    check(b"x-injected" not in r.raw_head.lower(), "injected header sent")


def redirect_case(code, method):
    def t():
        body = b"data" if method == "POST" else b""
        with conn() as c:
            r = c.request(req(method, "/redirect/%d?to=%s" % (
                code, urllib.parse.quote("/target?x=1&y=%2F", safe="")),
                [], body))
            check_resp(r, code, b"")
            check_eq(r.get("Location"), "/target?x=1&y=%2F", "Location")
            check_eq(r.get("Content-Length"), "0", "Content-Length")
            kept_alive(c)
    return t


for _code in (301, 302, 303, 307, 308):
    for _method in ("GET", "POST"):
        suite.add("%s /redirect/%d -> %d with Location, empty body"
                  % (_method, _code, _code), redirect_case(_code, _method))


@suite.test("tn_redirect with 300 or 304 -> refused (TN_EINVAL); with CR LF "
            "in the URL -> refused (TN_EHEADER), no Location sent")
def t_redirect_refused():
    with conn() as c:
        for code in (300, 304):
            r = c.request(req("GET", "/redirect/%d?to=/x" % code,
                              ACCEPT_JSON))
            check_json_error(r, 400, "TN_EINVAL")
            check_eq(r.get("Location"), None, "Location")
        r = c.request(req("GET", "/redirect/302?to=" + urllib.parse.quote(
            "/x\r\nSet-Cookie: a=b"), ACCEPT_JSON))
        check_json_error(r, 400, "TN_EHEADER")
        check_eq((r.get("Location"), r.get("Set-Cookie")), (None, None),
                 "(Location, Set-Cookie)")


@suite.test("curl -L follows: a POST through 307 and 308 stays a POST with "
            "its body; through 303 and 302 it becomes a GET")
def t_curl_redirects():
    base = base_url()
    for code, want in ((307, b"posted data"), (308, b"posted data"),
                       (303, HELLO), (302, HELLO)):
        to = "/echo" if code in (307, 308) else "/"
        out = curl("-L", "--data-binary", "posted data", "-H",
                   "Content-Type: text/plain",
                   "%s/redirect/%d?to=%s" % (base, code, to))
        check_eq(out, want, "curl -L through a %d" % code)


def check_json_error(r, status, detail):
    """The app's write_error page for a client that accepts JSON."""
    p = Problems(r)
    status_problems(p, status)
    p.eq(r.get("X-Error-Writer"), "tour", "X-Error-Writer")
    p.eq(r.get("Content-Type"), JSON_TYPE, "Content-Type")
    try:
        got = json.loads(r.body)
    except ValueError:
        got = r.body
    p.eq(got, {"status": status, "detail": detail}, "the error page")
    p.done()


WRITE_ERROR_CASES = [
    ("a 404 of no route", req("GET", "/no/such", ACCEPT_JSON), 404, None,
     False),
    ("a 405 (Allow kept)", req("DELETE", "/echo", ACCEPT_JSON), 405, None,
     False),
    ("a missing required argument",
     req("GET", "/args?require=who", ACCEPT_JSON), 400,
     "Missing argument who", False),
    ("an empty JSON body", req("POST", "/json", ACCEPT_JSON, b""), 400,
     "Invalid JSON body: the body is empty", False),
    ("a malformed multipart body",
     req("POST", "/args", ACCEPT_JSON + [(
         "Content-Type", "multipart/form-data; boundary=zz")], b"abc"),
     400, "Invalid multipart/form-data: no final boundary", False),
    ("a malformed %-escape in the path",
     req("GET", "/static/%zz", ACCEPT_JSON), 400, None, False),
    ("a handler's tn_send_error(503, ...)",
     req("GET", "/status/503", ACCEPT_JSON), 503, "asked for", False),
    ("@authenticated refusing a POST",
     req("POST", "/private", ACCEPT_JSON, b"x=1"), 403, None, False),
    ("a 413 (Content-Length over the route's limit)",
     req("POST", "/small", ACCEPT_JSON + [("Content-Length", "1000")]),
     413, None, True),
    ("a 431", req("GET", "/", ACCEPT_JSON + [("X-Big", "b" * 9000)]), 431,
     None, True),
    ("a smuggling shape (Content-Length and Transfer-Encoding)",
     req("POST", "/echo", ACCEPT_JSON + [("Content-Length", "5"),
                                         ("Transfer-Encoding", "chunked")]),
     400, None, True),
    ("an invalid chunk size",
     req("POST", "/echo", ACCEPT_JSON + [("Transfer-Encoding", "chunked")],
         b"zz\r\n"), 400, None, True),
    ("a 417", req("GET", "/", ACCEPT_JSON + [("Expect", "x")]), 417, None,
     True),
]


def write_error_case(data, status, detail, closes):
    def t():
        with conn() as c:
            r = c.request(data)
            check_json_error(r, status, detail)
            if status == 405:
                check_eq(r.get("Allow"), "POST, PUT", "Allow")
            if closes:
                check_closed(c)
            else:
                kept_alive(c)
    return t


for _name, _data, _status, _detail, _closes in WRITE_ERROR_CASES:
    suite.add("write_error hook writes the page of %s (Accept: "
              "application/json) -> JSON %d" % (_name, _status),
              write_error_case(_data, _status, _detail, _closes))


@suite.test("write_error hook: a 408 of half a head (--header-timeout 1) "
            "gets its page too")
def t_write_error_timeout():
    with own_server("--header-timeout", "1") as s:
        with s.connect() as c:
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\nAccept: application/json"
                   b"\r\nX-Half: ")
            r = c.read_response()
            check_json_error(r, 408, None)
            check_eq((r.get("Connection") or "").lower(), "close",
                     "Connection")
            check_closed(c)


# ============================================================================
# 8. JSON and multipart bodies
# ============================================================================

@suite.test("POST /json with an object -> 200 {got: it, ok: true}")
def t_json():
    doc = {"a": [1, 2.5, {"b": "c\u00e9"}], "n": None, "t": True}
    with conn() as c:
        r = c.request(req("POST", "/json", [("Content-Type",
                                             "application/json")],
                          json.dumps(doc).encode()))
        check_resp(r, 200, None, JSON_TYPE)
        try:
            got = json.loads(r.body)
        except ValueError as e:
            raise AssertionError("response is not JSON (%s): %s"
                                 % (e, show(r.body)))
        check_eq(got, {"got": doc, "ok": True}, "JSON answer")


@suite.test("POST /json with invalid JSON -> 400, kept alive")
def t_json_invalid():
    with conn() as c:
        r = c.request(req("POST", "/json", [("Content-Type",
                                             "application/json")],
                          b'{"a": [1, 2'))
        check_resp(r, 400)
        kept_alive(c)


def poly_hash(data, h=0):
    """The upload handler's hash, mod 2**32 (its `& 0xffffffff` of a mod
    2**64 sum keeps exactly these bits)."""
    for byte in data:
        h = (h * 31 + byte) & 0xffffffff
    return h


def hash_10mb():
    """poly_hash(ten_megabytes()) by blocks: H(x + y) = H(x) * 31**len(y) +
    H(y), and each block is its counter then the same 65528 bytes."""
    block = random_block(1 << 16, 7)
    rest = poly_hash(block[8:])
    shift_rest = pow(31, len(block) - 8, 1 << 32)
    shift_block = pow(31, len(block), 1 << 32)
    h = 0
    for i in range(160):
        hb = (poly_hash(b"%08d" % i) * shift_rest + rest) & 0xffffffff
        h = (h * shift_block + hb) & 0xffffffff
    return h


def upload_files(tmp, files):
    """Write `files` [(name, bytes)] into `tmp`; returns curl -F args."""
    args = []
    for name, data in files:
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        args += ["-F", "file=@%s;type=application/x-test" % path]
    return args


def check_upload(out, files, title):
    try:
        got = json.loads(out)
    except ValueError as e:
        raise AssertionError("upload answer is not JSON (%s): %s"
                             % (e, show(out)))
    want = {"files": [{"name": "file", "filename": n,
                       "content_type": "application/x-test",
                       "size": len(d), "hash": h}
                      for n, d, h in files],
            "title": title}
    check_eq(got, want, "upload answer")


@suite.test("curl -F title=x -F file=@a -F file=@b (binary, NULs, CRLF) -> "
            "every file's size and hash")
def t_upload():
    a = b"\x00\x01\r\n--boundary-ish\r\n\r\n\x00\xff" * 50
    bb = random_block(3000, 11) + b"\r\n--"
    with tempfile.TemporaryDirectory() as tmp:
        args = upload_files(tmp, [("a.bin", a), ("b b.dat", bb)])
        out = curl("-F", "title=x", *args, base_url() + "/upload")
    check_upload(out, [("a.bin", a, poly_hash(a)),
                       ("b b.dat", bb, poly_hash(bb))], "x")


@suite.test("a 10 MB multipart upload with curl -> its size and hash")
def t_upload_10mb():
    data = ten_megabytes()
    with tempfile.TemporaryDirectory() as tmp:
        args = upload_files(tmp, [("big.bin", data)])
        out = curl("-F", "title=big", *args, base_url() + "/upload")
    check_upload(out, [("big.bin", data, hash_10mb())], "big")


def args_of(target, body=None, ctype="application/x-www-form-urlencoded",
            headers=()):
    method = "GET" if body is None else "POST"
    hs = list(headers) + ([("Content-Type", ctype)] if body is not None
                          else [])
    with conn() as c:
        r = c.request(req(method, target, hs, body or b""))
        check_resp(r, 200, None, JSON_TYPE)
        return json.loads(r.body)


@suite.test("query arguments: every value of a repeated name in order, "
            "the last one, a blank one kept; none -> the default")
def t_args_query():
    got = args_of("/args?a=1&b=x&a=two+words&a=%C3%A9%26&a=")
    check_eq(got, {"all": ["1", "two words", "\u00e9&", ""],
                   "query": ["1", "two words", "\u00e9&", ""], "body": [],
                   "last": ""}, "arguments")
    check_eq(args_of("/args?b=1"), {"all": [], "query": [], "body": [],
                                    "last": "(none)"}, "no `a`: the default")


@suite.test("urlencoded body arguments after the query's: all, per "
            "source, the last (the body's); values stripped")
def t_args_form():
    got = args_of("/args?a=q1", b"a=b1&c=3&a=+%20sp+ace%09+&a=b%2B3")
    check_eq(got, {"all": ["q1", "b1", "sp ace", "b+3"], "query": ["q1"],
                   "body": ["b1", "sp ace", "b+3"], "last": "b+3"},
             "arguments")


@suite.test("multipart body arguments (curl -F), files apart; repeated "
            "names in order")
def t_args_multipart():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "f.txt")
        with open(path, "wb") as f:
            f.write(b"a file, not an argument")
        out = curl("-F", "a=m1", "-F", "a=@%s" % path, "-F", "a=m 2",
                   base_url() + "/args?a=q")
    check_eq(json.loads(out), {"all": ["q", "m1", "m 2"], "query": ["q"],
                               "body": ["m1", "m 2"], "last": "m 2"},
             "arguments")


@suite.test("a missing required argument -> 400 naming it (the default "
            "page); present but empty -> \"\"; given in the body -> found")
def t_args_required():
    with conn() as c:
        r = c.request(req("GET", "/args?require=who"))
        check_resp(r, 400, b"<html><title>400: Bad Request</title><body>400: "
                   b"Bad Request (Missing argument who)</body></html>", HTML)
        kept_alive(c)
    check_eq(args_of("/args?require=who&who=")["required"], "",
             "?who= (empty)")
    check_eq(args_of("/args?require=who", b"who=me")["required"], "me",
             "who=me in the body")
    out = curl("-F", "who=multi", base_url() + "/args?require=who")
    check_eq(json.loads(out)["required"], "multi", "who in a multipart body")


@suite.test("curl --data-urlencode and -G: the same arguments either way")
def t_args_curl():
    base = base_url() + "/args"
    data = ["--data-urlencode", "a=x y&z", "--data-urlencode", "a=\u00fc"]
    want = ["x y&z", "\u00fc"]
    got = json.loads(curl(*data, base))
    check_eq((got["body"], got["last"]), (want, want[-1]), "POST form")
    got = json.loads(curl("-G", *data, base))
    check_eq((got["query"], got["last"]), (want, want[-1]), "GET query")


@suite.test("the client address: the peer's; X-Real-IP and "
            "X-Forwarded-For ignored without --xheaders")
def t_remote_ip_plain():
    with conn() as c:
        r = c.request(req("GET", "/headers", [("X-Real-IP", "203.0.113.7"),
                                              ("X-Forwarded-For",
                                               "198.51.100.1")]))
        check_eq(json.loads(r.body)["remote_ip"], "127.0.0.1", "remote_ip")


XHEADERS = [
    ([("X-Real-IP", "203.0.113.7")], "203.0.113.7"),
    ([("X-Forwarded-For", "198.51.100.1, 203.0.113.9")], "203.0.113.9"),
    ([("X-Forwarded-For", "198.51.100.1"), ("X-Real-IP", "203.0.113.7")],
     "203.0.113.7"),
    ([("X-Real-IP", "2001:db8::1")], "2001:db8::1"),
    ([("X-Real-IP", "not-an-address")], "127.0.0.1"),
    ([("X-Real-IP", "127.1")], "127.0.0.1"),
    ([("X-Forwarded-For", "203.0.113.9, junk")], "127.0.0.1"),
    ([], "127.0.0.1"),
]


def remote_ip_case(args, env):
    def t():
        with own_server(*args, env=env) as s:
            with s.connect() as c:
                for headers, want in XHEADERS:
                    r = c.request(req("GET", "/headers", headers))
                    check_eq(json.loads(r.body)["remote_ip"], want,
                             "remote_ip with %r" % headers)
    return t


suite.add("--xheaders: X-Real-IP, else the last X-Forwarded-For, when a "
          "valid address; else the peer's",
          remote_ip_case(["--xheaders"], None))
suite.add("TORN_XHEADERS=1 in the environment: the same",
          remote_ip_case([], {"TORN_XHEADERS": "1"}))


# ============================================================================
# 10. Cookies and signed cookies (Tornado is the oracle)
# ============================================================================

class _TornadoConn:
    """Just enough of a connection for a Tornado RequestHandler."""

    def set_close_callback(self, cb):
        pass


def tornado_set_cookie(name, value, **kw):
    """The Set-Cookie header values Tornado's set_cookie writes."""
    from tornado.httputil import HTTPServerRequest
    from tornado.web import Application, RequestHandler
    h = RequestHandler(Application(), HTTPServerRequest(
        "GET", "/", connection=_TornadoConn()))
    h.set_cookie(name, value, **kw)
    return [m.OutputString(None) for m in h._new_cookie.values()]


def tornado_cookies(header):
    """{name: value} of a Cookie header as Tornado's get_cookie reads it
    (values as the bytes of Tornado's latin-1 strings)."""
    from tornado.httputil import HTTPHeaders, HTTPServerRequest
    r = HTTPServerRequest("GET", "/", headers=HTTPHeaders({"Cookie": header}))
    return {k: m.value.encode("latin-1") for k, m in r.cookies.items()}


def signed(name, value, secret=None, **kw):
    """Tornado's create_signed_value, as text."""
    from tornado.web import create_signed_value
    return create_signed_value(SECRET if secret is None else secret, name,
                               value, **kw).decode()


def tornado_decode(name, value, secret=None, **kw):
    import logging
    from tornado.web import decode_signed_value
    # Its warnings about the values refused on purpose are noise here.
    logging.getLogger("tornado.general").setLevel(logging.ERROR)
    return decode_signed_value(SECRET if secret is None else secret, name,
                               value, **kw)


def set_cookie_of(query, server=None):
    """GET /cookie/set?QUERY (or another path): (result, Set-Cookie
    values)."""
    target = query if query.startswith("/") else "/cookie/set?" + query
    with (server or shared.server).connect() as c:
        r = c.request(req("GET", target))
        check_resp(r, 200, None, JSON_TYPE)
        return json.loads(r.body)["result"], r.get_all("Set-Cookie")


def cookie_expires(header):
    """The expires= of a Set-Cookie, as seconds since the epoch."""
    m = re.search(r"; expires=([^;]+)", header)
    check(m, "no expires in %r" % header)
    check_imf_fixdate(m.group(1), max_skew=10 ** 9)
    return calendar.timegm(time.strptime(m.group(1),
                                         "%a, %d %b %Y %H:%M:%S GMT"))


COOKIE_CASES = [
    # (query of /cookie/set, Tornado's set_cookie arguments)
    ("name=a&value=b", ("a", "b", {})),
    ("name=a&value=b&path=", ("a", "b", {"path": ""})),
    ("name=sid&value=x1&path=/p&domain=example.com&expires=1800000000"
     "&httponly=1&max_age=60&samesite=Lax&secure=1",
     ("sid", "x1", {"path": "/p", "domain": "example.com",
                    "expires": 1800000000, "httponly": True, "max_age": 60,
                    "samesite": "Lax", "secure": True})),
    ("name=t&value=&samesite=None&secure=1",
     ("t", "", {"samesite": "None", "secure": True})),
    ("name=u&value=v&samesite=Strict&httponly=1",
     ("u", "v", {"samesite": "Strict", "httponly": True})),
    ("name=k:1&value=a.b-c_d~e!f&domain=.example.org&expires=946684800",
     ("k:1", "a.b-c_d~e!f", {"domain": ".example.org",
                             "expires": 946684800})),
]


def cookie_case(query, oracle):
    def t():
        result, got = set_cookie_of(query)
        check_eq(result, "ok", "tn_set_cookie")
        name, value, kw = oracle
        # Python writes an empty value as "" (its quoting); torn writes
        # nothing, which RFC 6265 reads the same.
        theirs = [v.replace('%s=""' % name, "%s=" % name, 1)
                  for v in tornado_set_cookie(name, value, **kw)]
        check_eq(got, theirs, "Set-Cookie (Tornado's for set_cookie(%r, "
                 "%r, %r))" % (name, value, kw))
    return t


for _query, _oracle in COOKIE_CASES:
    suite.add("Set-Cookie for /cookie/set?%s is Tornado's" % _query,
              cookie_case(_query, _oracle))


@suite.test("Set-Cookie: expires in N days (fractional, negative) is now + "
            "N days; samesite in any case is written Lax/Strict/None; "
            "Max-Age<0 -> 0")
def t_cookie_days():
    now = time.time()
    for days in ("2", "0.5", "-1"):
        result, got = set_cookie_of("name=d&value=1&days=" + days)
        check_eq((result, len(got)), ("ok", 1), "(result, Set-Cookies)")
        diff = cookie_expires(got[0]) - (now + float(days) * 86400)
        check(-5 <= diff <= 5, "expires %r is %.0f s away from now + %s "
              "days" % (got[0], diff, days))
    for given, written in (("lax", "Lax"), ("STRICT", "Strict"),
                           ("nOnE", "None")):
        result, got = set_cookie_of("name=s&value=1&samesite=" + given)
        check_eq(got, ["s=1; Path=/; SameSite=%s" % written],
                 "samesite=%s" % given)
    result, got = set_cookie_of("name=m&value=1&max_age=-5")
    check_eq(got, ["m=1; Max-Age=0; Path=/"], "max_age=-5")


@suite.test("Set-Cookie: a value of every cookie-octet class is sent as "
            "it is; a second set of the same name replaces the first")
def t_cookie_octets():
    value = "a(b)c/d?e=f<g>h@i[j]k{l}m^n|o'p*q"
    result, got = set_cookie_of("name=o&value=" +
                                urllib.parse.quote(value, safe=""))
    check_eq((result, got), ("ok", ["o=%s; Path=/" % value]), "octets")
    result, got = set_cookie_of("name=tw&value=second&twice=1")
    check_eq((result, got), ("ok", ["tw=second; Path=/"]), "set twice")


COOKIE_REFUSED = [
    ("a space in the value", "name=c&value=a+b", "TN_EHEADER"),
    ("a ';' in the value", "name=c&value=a%3Bb", "TN_EHEADER"),
    ("a '\"' in the value", "name=c&value=a%22b", "TN_EHEADER"),
    ("a ',' in the value", "name=c&value=a%2Cb", "TN_EHEADER"),
    ("a backslash in the value", "name=c&value=a%5Cb", "TN_EHEADER"),
    ("CR LF in the value", "name=c&value=a%0D%0ASet-Cookie:+x=1",
     "TN_EHEADER"),
    ("a non-ASCII value", "name=c&value=%C3%A9", "TN_EHEADER"),
    ("a name with '='", "name=a%3Db&value=1", "TN_EHEADER"),
    ("the name Path", "name=Path&value=1", "TN_EHEADER"),
    ("the name expires", "name=expires&value=1", "TN_EHEADER"),
    ("a ';' in the path", "name=c&value=1&path=/a%3BDomain=evil",
     "TN_EHEADER"),
    ("a ';' in the domain", "name=c&value=1&domain=a%3BSecure",
     "TN_EHEADER"),
    ("SameSite=Sometimes", "name=c&value=1&samesite=Sometimes", "TN_EINVAL"),
]


def cookie_refused_case(query, err):
    def t():
        result, got = set_cookie_of(query)
        check_eq((result, got), (err, []), "(result, Set-Cookie headers)")
    return t


for _name, _query, _err in COOKIE_REFUSED:
    suite.add("tn_set_cookie with %s -> %s, no Set-Cookie" % (_name, _err),
              cookie_refused_case(_query, _err))


@suite.test("clear cookie: empty value, expires a year ago, Max-Age=0, "
            "with the Path and Domain given")
def t_cookie_clear():
    now = time.time()
    result, got = set_cookie_of("/cookie/clear?name=sid&path=/p&"
                                "domain=example.com")
    check_eq((result, len(got)), ("ok", 1), "(result, Set-Cookies)")
    check(re.fullmatch(r"sid=; Domain=example\.com; expires=[^;]+; "
                       r"Max-Age=0; Path=/p", got[0]), "Set-Cookie %r"
          % got[0])
    age = now - cookie_expires(got[0])
    check(360 * 86400 <= age <= 370 * 86400, "expires %.1f days ago"
          % (age / 86400))
    # Tornado's clear_cookie writes the same but for the value and Max-Age.
    from tornado.web import Application, RequestHandler
    from tornado.httputil import HTTPServerRequest
    h = RequestHandler(Application(), HTTPServerRequest(
        "GET", "/", connection=_TornadoConn()))
    h.clear_cookie("sid", path="/p", domain="example.com")
    theirs = list(h._new_cookie.values())[0].OutputString(None)
    check_eq(re.sub(r"expires=[^;]+", "E", theirs).replace('=""', "="),
             re.sub(r"expires=[^;]+", "E", got[0]).replace("; Max-Age=0",
                                                           ""),
             "torn's (less Max-Age) vs Tornado's (less the quotes)")


COOKIE_HEADERS = [
    "a=1; b=2",
    "a=1;b=2;  c = 3 ;",
    'q="quoted"; r="x\\073y"; s="\\"in\\"";t="unterminated',
    "a=1; a=2; a=3",
    "Path=/x; Domain=d; max-age=5; Secure=1; HttpOnly=1; a=4; version=1",
    "novalue; a=5",
    "a=b=c; =empty; d=",
    "k:1=colon; bad name=1; b@d=2; ok=3",
    "utf=\u00c3\u00a9t\u00c3\u00a9",
    "  spaced  =  value with spaces  ; x=\ty\t",
]


def cookies_in_case(header):
    def t():
        want = tornado_cookies(header)
        names = sorted(set(want) | {"a", "b", "c", "q", "r", "s", "t", "d",
                                    "k:1", "ok", "utf", "spaced", "x",
                                    "Path", "novalue", "bad name", "b@d"})
        target = "/cookies?" + "&".join("n=" + urllib.parse.quote(n, safe="")
                                        for n in names)
        with conn() as c:
            r = c.request(req("GET", target, [("Cookie",
                                               header.encode("latin-1"))]))
            check_resp(r, 200, None, JSON_TYPE)
        got = {k: v.encode() for k, v in json.loads(r.body).items()
               if v is not None}
        check_eq(got, want, "cookies of %r (Tornado's reading)" % header)
    return t


for _header in COOKIE_HEADERS:
    suite.add("Cookie: %s -> read as Tornado reads it"
              % _header.encode("unicode_escape").decode(),
              cookies_in_case(_header))


def signed_get(name, cookie_value, max_age=None, server=None):
    q = "/signed/get?name=" + urllib.parse.quote(name, safe="")
    if max_age is not None:
        q += "&max_age=%s" % max_age
    headers = [("Cookie", "%s=%s" % (name, cookie_value))] \
        if cookie_value is not None else []
    with (server or shared.server).connect() as c:
        r = c.request(req("GET", q, headers))
        check_resp(r, 200, None, JSON_TYPE)
        return json.loads(r.body)["value"]


@suite.test("signed cookie set by torn: Tornado's decode_signed_value reads "
            "it with the secret; version 2, expires in 30 days, Path=/")
def t_signed_set():
    value = "hello world \u00e9 |:2|"
    now = time.time()
    result, got = set_cookie_of("/signed/set?name=sess&value=" +
                                urllib.parse.quote(value))
    check_eq((result, len(got)), ("ok", 1), "(result, Set-Cookies)")
    m = re.fullmatch(r"sess=([^;]+); expires=[^;]+; Path=/", got[0])
    check(m, "Set-Cookie %r" % got[0])
    signed_value = m.group(1)
    check(signed_value.startswith("2|1:0|10:"), "not version 2: %r"
          % signed_value)
    check_eq(tornado_decode("sess", signed_value), value.encode(),
             "Tornado's decode_signed_value")
    check_eq(tornado_decode("other", signed_value), None,
             "Tornado's decode under another name")
    check_eq(tornado_decode("sess", signed_value, secret="wrong"), None,
             "Tornado's decode with another secret")
    diff = cookie_expires(got[0]) - (now + 30 * 86400)
    check(-5 <= diff <= 5, "expires %.0f s away from now + 30 days" % diff)
    # And torn reads back what it wrote.
    check_eq(signed_get("sess", signed_value), value, "torn's own reading")
    result, got = set_cookie_of("/signed/set?name=s2&value=v&days=2")
    diff = cookie_expires(got[0]) - (now + 2 * 86400)
    check(-5 <= diff <= 5, "days=2: expires %.0f s away" % diff)


@suite.test("signed cookies made by Tornado (versions 2 and 1, binary-ish "
            "values) are read by torn")
def t_signed_from_tornado():
    for value in ("alice", "", "\u00e9\u00e8 | ; = x", "a" * 1000):
        check_eq(signed_get("s", signed("s", value)), value,
                 "version 2 of %r" % value[:20])
        check_eq(signed_get("s", signed("s", value, version=1)), value,
                 "version 1 of %r" % value[:20])


def tamper(v):
    last = "0" if v[-1] != "0" else "1"
    return v[:-1] + last


SIGNED_REFUSED = [
    ("a signature with one digit changed", lambda: tamper(signed("s", "v"))),
    ("the value changed, the signature kept",
     lambda: signed("s", "value").replace("|8:dmFsdWU=|", "|8:dmFsdWF=|")),
    ("signed for another name", lambda: signed("t", "v")),
    ("signed with another secret", lambda: signed("s", "v", secret="nope")),
    ("32 days old", lambda: signed("s", "v", clock=lambda: time.time() -
                                   32 * 86400)),
    ("version 1, 32 days old", lambda: signed(
        "s", "v", version=1, clock=lambda: time.time() - 32 * 86400)),
    ("version 1, dated 32 days ahead", lambda: signed(
        "s", "v", version=1, clock=lambda: time.time() + 32 * 86400)),
    ("version 1 with a changed signature",
     lambda: tamper(signed("s", "v", version=1))),
    ("garbage in the version 2 format", lambda: "2|1:0|10:junk|1:s|1:v|00"),
    ("an unsigned value", lambda: "plain"),
]


def signed_refused_case(make):
    def t():
        v = make()
        check_eq(tornado_decode("s", v), None, "Tornado's reading")
        check_eq(signed_get("s", v), None, "torn's reading")
    return t


for _name, _make in SIGNED_REFUSED:
    suite.add("signed cookie %s -> refused (as Tornado does)" % _name,
              signed_refused_case(_make))


@suite.test("signed cookie max_age_days: a 40-day-old value is read with "
            "60, a 1-day-old one refused with 0.5")
def t_signed_max_age():
    old = signed("s", "v", clock=lambda: time.time() - 40 * 86400)
    check_eq(signed_get("s", old, max_age=60), "v", "40 days old, max 60")
    check_eq(tornado_decode("s", old, max_age_days=60), b"v", "Tornado")
    day = signed("s", "v", clock=lambda: time.time() - 86400)
    check_eq(signed_get("s", day, max_age=0.5), None, "1 day old, max 0.5")
    check_eq(signed_get("s", day), "v", "1 day old, default 31")


@suite.test("no cookie secret: signing refused (TN_EINVAL, no Set-Cookie), "
            "every signed cookie read as absent")
def t_signed_no_secret():
    with own_server(env={"TORN_COOKIE_SECRET": None}) as s:
        result, got = set_cookie_of("/signed/set?name=s&value=v", s)
        check_eq((result, got), ("TN_EINVAL", []), "(result, Set-Cookie)")
        check_eq(signed_get("s", signed("s", "v"), server=s), None,
                 "a valid cookie")


@suite.test("--cookie-secret wins over TORN_COOKIE_SECRET")
def t_signed_secret_option():
    with own_server("--cookie-secret", "from-the-option") as s:
        check_eq(signed_get("s", signed("s", "v"), server=s), None,
                 "signed with the environment's secret")
        check_eq(signed_get("s", signed("s", "v", secret="from-the-option"),
                            server=s), "v", "signed with the option's")


# ============================================================================
# 11. @authenticated and the login flow
# ============================================================================

@suite.test("authenticated GET without a user -> 302 to login_url?next= "
            "(Tornado's URL); HEAD the same, no body")
def t_auth_redirect():
    uri = "/private?x=1&y=%2F&z=a+b"
    want = "/login?" + urllib.parse.urlencode({"next": uri})
    with conn() as c:
        for method in ("GET", "HEAD"):
            r = c.request(req(method, uri), method)
            check_resp(r, 302, b"")
            check_eq(r.get("Location"), want, "%s Location" % method)
        kept_alive(c)


@suite.test("authenticated POST without a user -> 403 (a redirect would "
            "lose the body)")
def t_auth_post_403():
    with conn() as c:
        r = c.request(req("POST", "/private", [], b"a=1"))
        check_resp(r, 403, None, HTML)
        check_eq(r.get("Location"), None, "Location")
        kept_alive(c)


@suite.test("authenticated with a valid signed user cookie (Tornado's) -> "
            "200 for GET and POST")
def t_auth_ok():
    cookie = [("Cookie", "user=" + signed("user", "alice"))]
    with conn() as c:
        check_resp(c.request(req("GET", "/private", cookie)), 200,
                   b"hello, alice")
        check_resp(c.request(req("POST", "/private", cookie, b"a=1")), 200,
                   b"hello, alice")


@suite.test("authenticated with a forged, expired or misnamed user cookie "
            "-> 302 to the login page")
def t_auth_bad_cookie():
    for v in (tamper(signed("user", "alice")), signed("usr", "alice"),
              signed("user", "alice",
                     clock=lambda: time.time() - 32 * 86400), "alice"):
        with conn() as c:
            r = c.request(req("GET", "/private", [("Cookie", "user=" + v)]))
            check_eq((r.status, r.get("Location")),
                     (302, "/login?next=%2Fprivate"),
                     "(status, Location) with user=%s" % v)


@suite.test("curl: POST /login, the signed cookie in a jar, 303 to next, "
            "then /private as that user")
def t_auth_curl_flow():
    with tempfile.TemporaryDirectory() as tmp:
        jar = os.path.join(tmp, "jar")
        base = base_url()
        out = curl("-L", "-c", jar, "-b", jar, "--data",
                   "username=bob&next=/private%3Fx%3D1", base + "/login")
        check_eq(out, b"hello, bob", "after following the login's 303")
        check_eq(curl("-b", jar, base + "/private"), b"hello, bob",
                 "/private with the jar")
        out = curl("-s", "-o", "/dev/null", "-w", "%{http_code} "
                   "%{redirect_url}", base + "/private")
        check_eq(out, ("302 %s/login?next=%%2Fprivate" % base).encode(),
                 "/private without the jar")


@suite.test("POST /login: next must be a local path (//evil.example -> "
            "/private); no username -> 400 naming it")
def t_login_checks():
    with conn() as c:
        for nxt, want in (("//evil.example/x", "/private"),
                          ("http://evil.example/", "/private"),
                          ("/private?x=1", "/private?x=1")):
            r = c.request(req("POST", "/login", [
                ("Content-Type", "application/x-www-form-urlencoded")],
                "username=eve&next=" + urllib.parse.quote(nxt, safe="")))
            check_eq((r.status, r.get("Location")), (303, want),
                     "(status, Location) for next=%s" % nxt)
        r = c.request(req("POST", "/login", [
            ("Content-Type", "application/x-www-form-urlencoded")],
            "next=/private"))
        check_resp(r, 400)
        check(b"Missing argument username" in r.body, "page %s"
              % show(r.body))


# ============================================================================
# 12. The access log
# ============================================================================

ACCESS_RE = re.compile(
    r'^(?P<host>[0-9a-f.:]+|-) - - \[[^\]]+\] "(?P<request>[^"]*)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-) (?P<time>\d+\.\d{6})$')


@suite.test("--access-log: async, streamed, refused and failed requests "
            "each logged with status, bytes and request time")
def t_access_log():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "access.log")
        with own_server("--access-log", log, "--workers", "1") as s:
            with s.connect() as c:
                check_resp(c.request(req("GET", "/slow?ms=300")), 200)
                r = c.request(req("GET", "/stream?n=3"))
                check_resp(r, 200)
                check_resp(c.request(req("GET", "/nowhere")), 404)
                r = c.request(req("GET", "/big"))
                check_resp(r, 200, BIG)
            with s.connect() as c:
                c.send(req("POST", "/small", [("Content-Length", "1000")]))
                check_closing(c.read_response("POST"), c, 413)
            with s.connect() as c:
                c.send(H + b"Content-Length: 1\r\n" + TE)
                check_closing(c.read_response("POST"), c, 400)
        with open(log) as f:
            lines = f.read().splitlines()
    got = []
    for line in lines:
        m = ACCESS_RE.match(line)
        check(m, "malformed access log line %r" % line)
        got.append((m.group("request"), m.group("status"), m.group("bytes"),
                    float(m.group("time"))))
    note("access log: %r" % got)
    want = [("GET /slow?ms=300 HTTP/1.1", "200"),
            ("GET /stream?n=3 HTTP/1.1", "200"),
            ("GET /nowhere HTTP/1.1", "404"), ("GET /big HTTP/1.1", "200"),
            ("POST /small HTTP/1.1", "413"), ("POST /echo HTTP/1.1", "400")]
    # A refused request may be logged with "-" for its request line.
    check_eq([(w[0] if g[0] == "-" else g[0], g[1])
              for g, w in zip(got, want)] + [g[:2] for g in got[6:]],
             want, "(request, status) of each line")
    check(got[0][3] >= 0.29, "request time of /slow?ms=300: %r" % got[0][3])
    check_eq(got[3][2], str(len(BIG)), "bytes of /big")


# ============================================================================
# 9. Static files
# ============================================================================

class StaticFiles:
    """The files the static tests serve, made in the binary's static
    directory and removed at the end."""

    def __init__(self):
        self.root = None
        self.error = "not set up"
        self.made = []
        self.tag = "e2e-%d" % os.getpid()
        self.small = self.large = self.huge = None  # (url path, bytes)
        self.secret = None
        self.typed = []  # (url path, bytes, expected Content-Type)

    def setup(self, binary):
        try:
            self.root = find_static_root(binary)
            self._remove_stale()
            self.small = self._file(self.tag + "-4k.bin", os.urandom(4096))
            self.large = self._file(self.tag + "-1m.bin",
                                    os.urandom(MB + 123))
            self.huge = self._file(self.tag + "-6m.bin",
                                   os.urandom(6 * MB + 7))
            # Outside the root: a link to it must not serve it.
            fd, outside = tempfile.mkstemp(prefix="torn-e2e-secret-")
            self.secret = b"secret outside the static root\n"
            os.write(fd, self.secret)
            os.close(fd)
            self.made.append(outside)
            self._link(self.tag + "-out.bin", outside)
            self._link(self.tag + "-in.bin",
                       os.path.join(self.root, self.tag + "-4k.bin"))
            # A directory outside (/etc), and one inside.
            self._link(self.tag + "-etc", "/etc")
            sub = os.path.join(self.root, self.tag + "-dir")
            os.mkdir(sub)
            self.made.append(sub)
            for ext, ctype in STATIC_TYPES:
                name = self.tag + "-t" + (("." + ext) if ext else "")
                path, data = self._file(name, b"typed %r\n" % ext)
                self.typed.append((path, data, ctype))
            self.error = None
        except OSError as e:
            self.error = "cannot create the static test files: %s" % e

    def _file(self, name, data):
        path = os.path.join(self.root, name)
        self.made.append(path)
        with open(path, "wb") as f:
            f.write(data)
        return "/static/" + name, data

    def _remove_stale(self):
        """What a run that was killed left behind (its pid is gone)."""
        for name in os.listdir(self.root):
            m = re.match(r"e2e-(\d+)-", name)
            if not m or os.path.exists("/proc/%s" % m.group(1)):
                continue
            path = os.path.join(self.root, name)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    os.rmdir(path)
                else:
                    os.unlink(path)
            except OSError:
                pass

    def _link(self, name, target):
        path = os.path.join(self.root, name)
        self.made.append(path)
        os.symlink(target, path)

    def need(self):
        if self.error:
            raise AssertionError(self.error)

    def cleanup(self):
        for path in reversed(self.made):
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    os.rmdir(path)
                else:
                    os.unlink(path)
            except OSError:
                pass
        self.made = []


# Extensions and the Content-Type each is served with ("" for no
# extension, "CSS" for the case being ignored).
STATIC_TYPES = [
    ("css", "text/css; charset=UTF-8"), ("CSS", "text/css; charset=UTF-8"),
    ("html", "text/html; charset=UTF-8"),
    ("js", "text/javascript; charset=UTF-8"),
    ("json", "application/json; charset=UTF-8"),
    ("txt", "text/plain; charset=UTF-8"), ("svg", "image/svg+xml"),
    ("png", "image/png"), ("jpg", "image/jpeg"), ("gif", "image/gif"),
    ("wasm", "application/wasm"), ("woff2", "font/woff2"),
    ("pdf", "application/pdf"), ("gz", "application/gzip"),
    ("unknownext", "application/octet-stream"),
    ("", "application/octet-stream"),
]


def find_static_root(binary):
    """The static directory compiled into the binary (tornc passes an
    absolute, resolved path), else this tree's."""
    with open(binary, "rb") as f:
        image = f.read()
    found = [m.group(1).decode() for m in re.finditer(
        rb"(/[\x21-\x7e]*/examples/[\w.-]+/static)\x00", image)]
    found.sort(key=lambda p: not p.endswith("/examples/tour/static"))
    for path in found:
        if os.path.isdir(path):
            return path
    path = os.path.join(TREE, "examples", "tour", "static")
    if os.path.isdir(path):
        return path
    raise OSError("no examples/tour/static directory found for %s"
                  % binary)


static = StaticFiles()


def static_get(path, headers=(), method="GET"):
    with conn() as c:
        return c.request(req(method, path, list(headers)), method)


@suite.test("static: GET of a 4 KB and a 1 MB file -> the files, "
            "octet-stream, Accept-Ranges, Last-Modified, ETag")
def t_static_full():
    static.need()
    for path, data in (static.small, static.large):
        r = static_get(path)
        p = Problems(r)
        status_problems(p, 200)
        p.ok(r.body == data, "body of %s differs from the file (%d bytes "
             "vs %d)" % (path, len(r.body), len(data)))
        p.eq(r.get("Content-Length"), str(len(data)), "Content-Length")
        p.eq(r.get("Content-Type"), "application/octet-stream",
             "Content-Type")
        p.eq(r.get("Accept-Ranges"), "bytes", "Accept-Ranges")
        p.ok(r.has("Last-Modified"), "no Last-Modified")
        p.ok(re.fullmatch(r'"[^"]+"', r.get("ETag") or ""),
             "strong ETag expected, got %r" % r.get("ETag"))
        p.done()


@suite.test("static: HEAD of the 1 MB file -> its length, no body")
def t_static_head():
    static.need()
    path, data = static.large
    with conn() as c:
        h, g = c.head_then_get(req("HEAD", path), req("GET", path))
        check(g.body == data, "GET body differs from the file")


def range_case(which, spec, start, end):
    def t():
        static.need()
        path, data = getattr(static, which)
        size = len(data)
        s, e = start(size), end(size)
        r = static_get(path, [("Range", spec)])
        p = Problems(r)
        status_problems(p, 206)
        p.eq(r.get("Content-Range"), "bytes %d-%d/%d" % (s, e, size),
             "Content-Range")
        p.ok(r.body == data[s:e + 1], "body is not bytes %d-%d of the file "
             "(%d bytes)" % (s, e, len(r.body)))
        p.done()
    return t


for _which in ("small", "large"):
    suite.add("static: Range bytes=0-99 of the %s file -> 206" % _which,
              range_case(_which, "bytes=0-99", lambda n: 0, lambda n: 99))
    suite.add("static: Range bytes=-100 of the %s file -> 206 last 100"
              % _which, range_case(_which, "bytes=-100", lambda n: n - 100,
                                   lambda n: n - 1))
    suite.add("static: Range bytes=100- of the %s file -> 206 from 100"
              % _which, range_case(_which, "bytes=100-", lambda n: 100,
                                   lambda n: n - 1))


@suite.test("static: Range bytes=5000000- -> 416 with Content-Range: "
            "bytes */SIZE")
def t_static_416():
    static.need()
    path, data = static.large
    with conn() as c:
        r = c.request(req("GET", path, [("Range", "bytes=5000000-")]))
        p = Problems(r)
        status_problems(p, 416)
        p.eq(r.get("Content-Range"), "bytes */%d" % len(data),
             "Content-Range")
        p.done()
        kept_alive(c)


@suite.test("static: several ranges -> 200 with the whole file")
def t_static_multi_range():
    static.need()
    path, data = static.small
    r = static_get(path, [("Range", "bytes=0-9, 20-29")])
    check_resp(r, 200)
    check(r.body == data, "body is not the whole file")
    check_eq(r.get("Content-Range"), None, "Content-Range")


@suite.test("static: If-Range with the ETag -> 206; with another ETag -> "
            "200 whole")
def t_static_if_range():
    static.need()
    path, data = static.large
    etag = static_get(path, method="HEAD").get("ETag")
    r = static_get(path, [("Range", "bytes=10-19"), ("If-Range", etag)])
    check_resp(r, 206)
    check_eq(r.body, data[10:20], "ranged body")
    r = static_get(path, [("Range", "bytes=10-19"),
                          ("If-Range", '"not-the-etag"')])
    check_resp(r, 200)
    check(r.body == data, "If-Range mismatch: body is not the whole file")


@suite.test("static: If-Modified-Since Last-Modified -> 304; an older "
            "date -> 200; If-None-Match the ETag -> 304")
def t_static_conditional():
    static.need()
    path, data = static.large
    with conn() as c:
        r = c.request(req("GET", path))
        lm, etag = r.get("Last-Modified"), r.get("ETag")
        r = c.request(req("GET", path, [("If-Modified-Since", lm)]))
        check_resp(r, 304, b"")
        check_eq(c.no_extra_bytes(), b"", "bytes after the 304")
        r = c.request(req("GET", path, [("If-Modified-Since",
                                         "Sat, 01 Jan 2000 00:00:00 GMT")]))
        check_resp(r, 200)
        check(r.body == data, "body differs from the file")
        r = c.request(req("GET", path, [("If-None-Match", etag)]))
        check_resp(r, 304, b"")
        kept_alive(c)


# Each reaches for handlers.c, next to static/ in the app's directory (or
# for /etc/passwd): {f} is its name.
HOSTILE = ["/static/..%2f{f}", "/static/%2e%2e/{f}", "/static/%2E%2E/{f}",
           "/static/..\\{f}", "/static/..%5c{f}", "/static/../{f}",
           "/static/site.css%00.bin", "/static/%00",
           "/static/%252e%252e/{f}", "/static/..%252f{f}",
           "/static/.%2e/{f}", "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e"
           "%2f%2e%2e%2fetc%2fpasswd", "//static/../{f}",
           "/static//etc/passwd", "/static/%2fetc%2fpasswd"]


def hostile_case(template):
    def t():
        static.need()
        path = template.format(f="handlers.c")
        outside = os.path.join(os.path.dirname(static.root), "handlers.c")
        with open(outside, "rb") as f:
            text = f.read()
        with conn() as c:
            r = c.request(req("GET", path))
            check(r.status in (400, 404), "GET %s: status %d (expected 404 "
                  "or 400)" % (path, r.status))
            check(text[:200] not in r.body and b"root:" not in r.body,
                  "GET %s served a file outside the root: %s"
                  % (path, show(r.body)))
            if r.status == 404:
                kept_alive(c)
    return t


for _path in HOSTILE:
    suite.add("static: hostile path %s -> 404/400"
              % _path.format(f="handlers.c"), hostile_case(_path))


@suite.test("static: a symlink inside static/ to a file outside -> 404; "
            "one to a file inside -> served")
def t_static_symlinks():
    static.need()
    r = static_get("/static/%s-out.bin" % static.tag)
    check_eq(r.status, 404, "status for a link leading outside")
    check(static.secret not in r.body, "the outside file was served")
    r = static_get("/static/%s-in.bin" % static.tag)
    check_resp(r, 200)
    check(r.body == static.small[1], "link inside the root: wrong body")


@suite.test("static: Content-Type by extension (any case), octet-stream "
            "for none or an unknown one")
def t_static_types():
    static.need()
    with conn() as c:
        for path, data, ctype in static.typed:
            r = c.request(req("GET", path))
            check_eq((r.status, r.get("Content-Type"), r.body),
                     (200, ctype, data), "GET %s: (status, type, body)" % path)


@suite.test("static: ?v= (static_url) -> Cache-Control: public, "
            "max-age=31536000, immutable; kept on its 304; none without ?v=")
def t_static_cache_control():
    static.need()
    path, data = static.small
    immutable = "public, max-age=31536000, immutable"
    with conn() as c:
        r = c.request(req("GET", path + "?v=0123456789abcdef"))
        check_resp(r, 200)
        check_eq(r.get("Cache-Control"), immutable, "Cache-Control with ?v=")
        check(r.body == data, "body with ?v=")
        r = c.request(req("GET", path + "?v=0123456789abcdef",
                          [("If-None-Match", r.get("ETag"))]))
        check_resp(r, 304, b"")
        check_eq(r.get("Cache-Control"), immutable, "Cache-Control of the "
                 "304")
        r = c.request(req("GET", path))
        check_eq(r.get("Cache-Control"), None, "Cache-Control without ?v=")
        r = c.request(req("GET", path + "?x=1"))
        check_eq(r.get("Cache-Control"), None, "Cache-Control with ?x=")


@suite.test("static: If-None-Match: *, a weak W/ETag, a list holding the "
            "ETag -> 304 with ETag and Last-Modified; other tags -> 200")
def t_static_inm_forms():
    static.need()
    path, data = static.small
    with conn() as c:
        r = c.request(req("HEAD", path), "HEAD")
        etag, lm = r.get("ETag"), r.get("Last-Modified")
        for inm in ("*", "W/" + etag, '"x", %s, "y"' % etag):
            r = c.request(req("GET", path, [("If-None-Match", inm)]))
            check_resp(r, 304, b"")
            check_eq((r.get("ETag"), r.get("Last-Modified")), (etag, lm),
                     "304 for If-None-Match %s: (ETag, Last-Modified)" % inm)
        # If-None-Match wins over an If-Modified-Since that would match.
        r = c.request(req("GET", path, [("If-None-Match", '"other"'),
                                        ("If-Modified-Since", lm)]))
        check_resp(r, 200)
        check(r.body == data, "body")


@suite.test("static: If-Modified-Since in all three HTTP-date forms, and a "
            "date in the future -> 304; an unparseable one -> 200")
def t_static_ims_forms():
    static.need()
    path, data = static.small
    mtime = int(os.stat(os.path.join(static.root,
                                     os.path.basename(path))).st_mtime) + 1
    t = time.gmtime(mtime)
    forms = [time.strftime("%a, %d %b %Y %H:%M:%S GMT", t),
             time.strftime("%A, %d-%b-%y %H:%M:%S GMT", t),
             time.strftime("%a %b ", t) + ("%2d" % t.tm_mday) +
             time.strftime(" %H:%M:%S %Y", t),
             time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                           time.gmtime(time.time() + 86400))]
    with conn() as c:
        for ims in forms:
            r = c.request(req("GET", path, [("If-Modified-Since", ims)]))
            check_eq(r.status, 304, "status for If-Modified-Since %r" % ims)
        r = c.request(req("GET", path, [("If-Modified-Since", "yesterday")]))
        check_resp(r, 200)
        check(r.body == data, "body")


@suite.test("static: Range edge cases: bytes=0-0, a suffix longer than the "
            "file (206 whole), a start at the size (416), an end before "
            "the start (200 whole), a range on a 304")
def t_static_range_edges():
    static.need()
    path, data = static.small
    n = len(data)
    with conn() as c:
        r = c.request(req("GET", path, [("Range", "bytes=0-0")]))
        check_eq((r.status, r.get("Content-Range"), r.body),
                 (206, "bytes 0-0/%d" % n, data[:1]), "bytes=0-0")
        r = c.request(req("GET", path, [("Range", "bytes=-%d" % (n + 100))]))
        check_eq((r.status, r.get("Content-Range"), r.body == data),
                 (206, "bytes 0-%d/%d" % (n - 1, n), True), "long suffix")
        r = c.request(req("GET", path, [("Range", "bytes=%d-" % n)]))
        check_eq((r.status, r.get("Content-Range")), (416, "bytes */%d" % n),
                 "start at the size")
        r = c.request(req("GET", path, [("Range", "bytes=5-2")]))
        check_eq((r.status, r.body == data), (200, True), "end before start")
        r = c.request(req("GET", path, [("Range", "bytes=10-")]))
        r = c.request(req("GET", path, [("Range", "bytes=0-9"),
                                        ("If-None-Match", r.get("ETag"))]))
        check_resp(r, 304, b"")
        kept_alive(c)


@suite.test("static: POST to a static file -> 405 Allow: GET, HEAD")
def t_static_post():
    static.need()
    with conn() as c:
        r = c.request(req("POST", static.small[0], [], b"x"))
        check_resp(r, 405)
        check_eq(r.get("Allow"), "GET, HEAD", "Allow")
        kept_alive(c)


def static_refused_case(template, statuses, closes=False):
    def t():
        static.need()
        target = b(template.format(tag=static.tag, f="handlers.c"))
        with open(os.path.join(os.path.dirname(static.root), "handlers.c"),
                  "rb") as f:
            text = f.read()
        with conn() as c:
            c.send(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            r = c.read_response()
            check(r.status in statuses, "GET %s: status %d (expected %s)"
                  % (show(target), r.status, statuses))
            for leak in (text[:200], b"root:", static.secret):
                check(leak not in r.body, "GET %s served a file outside the "
                      "root: %s" % (show(target), show(r.body)))
            if closes:
                check_closed(c)
            else:
                kept_alive(c)
    return t


STATIC_REFUSED = [
    ("/static/{tag}-etc/passwd", (404,), "through a symlink to a directory "
     "outside"),
    ("/static/{tag}-etc/", (404,), "a symlink to a directory outside"),
    ("/static/{tag}-dir", (404,), "a directory"),
    ("/static/{tag}-dir/", (404,), "a directory, slash"),
    ("/static/", (404,), "the root itself"),
    ("/static/./site.css", (404,), "a '.' segment"),
    ("/static/%2e/site.css", (404,), "a '%2e' segment"),
    ("/static/{tag}-dir/..%2f..%2f{f}", (404,), "..%2f twice from a subdir"),
    ("/static/{tag}-dir/%2e%2e/%2e%2e/{f}", (404,), "%2e%2e twice"),
    ("/static/..;/{f}", (404,), "'..;' (another server's parameter)"),
    ("/static/%c0%ae%c0%ae/{f}", (404,), "overlong UTF-8 dots"),
    ("/static/..%00/{f}", (404, 400), "..%00"),
    ("/static/site.css%00", (404, 400), "%00 at the end"),
    ("/static/%zz", (400,), "a malformed escape"),
    ("/static/%2", (400,), "a truncated escape"),
    ("http://127.0.0.1/static/%2e%2e/{f}", (404,), "in an absolute-form "
     "target"),
]

for _t, _st, _why in STATIC_REFUSED:
    suite.add("static: %s (%s) -> %s, nothing outside the root" % (
        _t.format(tag="TAG", f="handlers.c"), _why,
        "/".join(map(str, _st))), static_refused_case(_t, _st))
suite.add("static: a raw NUL in the path -> 400 and close",
          static_refused_case("/static/site.css\x00.bin", (400,), True))


@suite.test("static: a file that may not be read -> 403 (skipped as root)")
def t_static_403():
    static.need()
    if os.geteuid() == 0:
        raise Skip("root reads any file")
    path, _ = static._file(static.tag + "-noread.txt", b"private\n")
    os.chmod(os.path.join(static.root, os.path.basename(path)), 0)
    r = static_get(path)
    check_resp(r, 403)
    check(b"private" not in r.body, "the file was served")


class SlowReader(Conn):
    """A connection with a receive buffer of `rcvbuf` bytes, set before
    connecting so that the window stays that small."""

    def __init__(self, port, rcvbuf):
        self.timeout = TIMEOUT
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((HOST, port))
        self.buf = b""
        self.eof = False


def read_file_slowly(path, data, rcvbuf, stall, piece):
    """GET `path` (pipelined with a GET / behind it) on a SlowReader that
    waits `stall` seconds before reading, then reads `piece` bytes at a
    time with a pause between reads; checks the file and the GET /."""
    with SlowReader(shared.server.port, rcvbuf) as c:
        c.send(req("GET", path) + req("GET", "/"))
        time.sleep(stall)  # the server's writes fill the socket meanwhile
        h = c.read_response("HEAD")  # the head; the body is read here
        check_eq(h.status, 200, "status")
        check_eq(h.get("Content-Length"), str(len(data)), "Content-Length")
        got = bytearray(c.buf)
        c.buf = b""
        t0 = time.monotonic()
        while len(got) < len(data):
            check(elapsed_since(t0) < 20 * SCALE, "file not complete after "
                  "%.0f s (%d bytes)" % (20 * SCALE, len(got)))
            more = c.sock.recv(piece)
            check(more, "EOF after %d of %d bytes" % (len(got), len(data)))
            got += more
            time.sleep(0.0005)
        note("read in %.2f s" % elapsed_since(t0))
        check(bytes(got[:len(data)]) == data, "slowly read file differs "
              "(first difference at %s)" % first_diff(bytes(got), data))
        c.buf = bytes(got[len(data):])
        check_hello(c.read_response())
        kept_alive(c)


@suite.test("static: the 1 MB file to a client with a 4 KB receive buffer "
            "reading slowly arrives intact; the request behind it is "
            "answered")
def t_static_slow_reader():
    static.need()
    read_file_slowly(*static.large, rcvbuf=4096, stall=0.1, piece=8192)


@suite.test("static: a 6 MB file to a client that stalls, more than the "
            "kernel buffers (sendfile resumes), arrives intact")
def t_static_stalled_reader():
    static.need()
    read_file_slowly(*static.huge, rcvbuf=65536, stall=0.3, piece=65536)


@suite.test("static: requests pipelined behind the 1 MB file are answered "
            "in order after it")
def t_static_pipelined():
    static.need()
    large_path, large = static.large
    small_path, small = static.small
    with conn() as c:
        c.send(req("GET", large_path) + req("GET", "/") +
               req("GET", small_path) + req("HEAD", large_path) +
               req("GET", large_path, [("Range", "bytes=-10")]) +
               req("POST", "/echo", [], b"last"))
        r = c.read_response()
        check(r.status == 200 and r.body == large, "1st: the 1 MB file (%s)"
              % r)
        check_hello(c.read_response())
        r = c.read_response()
        check(r.status == 200 and r.body == small, "3rd: the 4 KB file (%s)"
              % r)
        r = c.read_response("HEAD")
        check_eq((r.status, r.get("Content-Length")), (200, str(len(large))),
                 "4th, HEAD of the 1 MB file: (status, Content-Length)")
        r = c.read_response()
        check_eq((r.status, r.body), (206, large[-10:]), "5th: the last 10 "
                 "bytes")
        check_resp(c.read_response("POST"), 200, b"last")
        check_eq(c.no_extra_bytes(), b"", "bytes after six responses")


@suite.test("static: the 1 MB file with 20 KB of requests pipelined "
            "behind it in the same write -> all answered in order")
def t_static_pipelined_bodies():
    static.need()
    path, data = static.large
    body = os.urandom(20000)
    with conn() as c:
        c.sock.sendall(req("GET", path) + req("POST", "/echo", [], body) +
                       req("GET", "/"))
        r = c.read_response()
        check(r.status == 200 and r.body == data, "1st: the 1 MB file (%s)"
              % r)
        r = c.read_response("POST")
        check(r.status == 200 and r.body == body, "2nd: the echo of 20000 "
              "bytes (%s)" % r)
        check_hello(c.read_response())


# ============================================================================
# 13. WebSocket: keep-alive, slow consumers, closes, groups
# ============================================================================
# tour.troute sets websocket_ping_interval 1, websocket_ping_timeout 3 and
# websocket_max_queue 1M; examples/tour/ws.c has the endpoints:
# /ws/probe/TAG obeys commands ("close", "flood N", "pongs", else echo),
# /ws/room/NAME broadcasts to its room, POST /ws/room/NAME/say too, and
# GET /ws/stats lists what the probe's close callback was told. That list
# is per worker: the tests that read it start a server of one worker.
# Both sockets greet with {"hello": TAG or NAME, "worker": ID}. Frames,
# UTF-8, close codes and deflate are ws_conformance.py's.

WS_CUT_LIMIT = 30.0  # seconds the server may take to cut a silent peer
FLOOD_SIZE = 64 * 1024  # bytes of each message of "flood N"
FLOOD_BIG = 4096  # messages: a flood of 256 MiB


def ws_tag(what):
    """A probe tag or room name of its own (a slug)."""
    return "%s-%s" % (what, os.urandom(4).hex())


def ws_open(server, path, rcvbuf=None):
    """A raw WebSocket connection to `path` (ws_conformance.py's Ws) after
    checking its 101 and reading the endpoint's greeting; `rcvbuf`: with
    a receive buffer that small."""
    key = new_key()
    c = SlowReader(server.port, rcvbuf) if rcvbuf else server.connect()
    try:
        r = c.request(build_request("GET", path, [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]))
        check_eq((r.status, r.get("Sec-WebSocket-Accept")),
                 (101, accept_for(key)),
                 "(status, Sec-WebSocket-Accept) of the upgrade to %s" % path)
        ws = Ws(c, r)
        kind, data = ws.read_event("the greeting")
        check_eq((kind, json.loads(data)["hello"]),
                 ("text", path.rsplit("/", 1)[1]), "the greeting")
    except BaseException:
        c.close()
        raise
    return ws


async def ws_connect(server, path):
    """A Python websockets client of `path` and the greeting it got. Its
    own pings are off; it answers the server's by itself."""
    ws = await websockets.connect(
        "ws://%s:%d%s" % (HOST, server.port, path), ping_interval=None,
        open_timeout=TIMEOUT, close_timeout=TIMEOUT)
    return ws, json.loads(await ws_recv(ws))


async def ws_recv(ws, what="a message"):
    """The next message of a websockets client, waited for TIMEOUT."""
    try:
        return await asyncio.wait_for(ws.recv(), TIMEOUT)
    except asyncio.TimeoutError:
        raise AssertionError("no %s within %.0f s" % (what, TIMEOUT))


async def ws_echo_once(server, text):
    """What a new probe connection answers `text`."""
    ws, _ = await ws_connect(server, "/ws/probe/" + ws_tag("bystander"))
    try:
        await ws.send(text)
        return await ws_recv(ws, "the echo")
    finally:
        await ws.close()


def ws_closes(server, tag):
    """What the probe's close callback was told for connection `tag`, one
    entry per call (GET /ws/stats of a one-worker server)."""
    with server.connect() as c:
        r = c.request(req("GET", "/ws/stats"))
    check_resp(r, 200, None, JSON_TYPE)
    return [e for e in json.loads(r.body)["closes"] if e["tag"] == tag]


def check_closed_once(server, tag, code, reason=""):
    """Waits (bounded) for the close callback of connection `tag`, then
    checks it ran once, with `code` and `reason`; returns its entry."""
    deadline = time.monotonic() + WS_CUT_LIMIT
    while not ws_closes(server, tag):
        check(time.monotonic() < deadline, "no close callback for %s "
              "within %.0f s" % (tag, WS_CUT_LIMIT))
        time.sleep(0.05)
    time.sleep(0.2)  # a second call, if any, would be there by now
    seen = ws_closes(server, tag)
    check_eq([(e["code"], e["reason"]) for e in seen], [(code, reason)],
             "the close callback's calls (code, reason) for %s" % tag)
    return seen[0]


@suite.test("websocket keep-alive: a peer that never answers gets empty "
            "pings, then is cut (no close frame) after the ping timeout; "
            "its close callback runs once, with 1006")
def t_ws_ping_timeout():
    tag = ws_tag("mute")
    with own_server("--workers", "1") as s:
        with ws_open(s, "/ws/probe/" + tag) as ws:
            t0 = time.monotonic()
            pings = 0
            while True:
                check(elapsed_since(t0) < WS_CUT_LIMIT, "still open %.0f s "
                      "after %d unanswered pings" % (WS_CUT_LIMIT, pings))
                try:  # each read waits TIMEOUT at most: a ping within it
                    event = ws.read_event("a keep-alive ping")
                except Closed:
                    break
                check_eq(event, ("ping", b""), "what a silent peer gets")
                pings += 1
        note("%d pings, cut after %.1f s" % (pings, elapsed_since(t0)))
        # A ping a second, no pong within 3 s of the first: two at least.
        check(pings >= 2, "only %d pings before the cut" % pings)
        check_closed_once(s, tag, 1006)


@suite.test("websocket keep-alive: Python websockets answers the pings, "
            "and stays open past the ping timeout, echoing all along; the "
            "pong callback saw its pongs")
def t_ws_ping_answered():
    async def go():
        ws, _ = await ws_connect(shared.server, "/ws/probe/" +
                                 ws_tag("talker"))
        try:
            for i in range(10):  # 5 s: the timeout (3 s) and a sweep more
                await ws.send("still %d" % i)
                check_eq(await ws_recv(ws), "still %d" % i, "the echo")
                await asyncio.sleep(0.5)
            await ws.send("pongs")
            return await ws_recv(ws, "the pong count")
        finally:
            await ws.close()
    answer = run_async(go())
    m = re.fullmatch(r"pongs (\d+)", answer)
    check(m and int(m.group(1)) >= 2, "the pongs the server saw in 5 s "
          "with a ping a second: %r" % answer)


@suite.test("websocket: tn_ws_close(4000, \"bye\") from the handler -> "
            "Python websockets gets 4000 \"bye\" and answers it; the close "
            "callback runs once, with the code answered")
def t_ws_server_close():
    tag = ws_tag("bye")

    async def go(s):
        ws, _ = await ws_connect(s, "/ws/probe/" + tag)
        await ws.send("close")
        try:
            got = await ws_recv(ws, "the close")
            raise AssertionError("a message instead of the close: %r" % got)
        except websockets.exceptions.ConnectionClosed:
            pass
        await ws.wait_closed()
        return ws.close_code, ws.close_reason

    with own_server("--workers", "1") as s:
        check_eq(run_async(go(s)), (4000, "bye"),
                 "(code, reason) of the server's close")
        check_closed_once(s, tag, 4000, "bye")


@suite.test("websocket: a peer that never answers the server's close gets "
            "it (4000 \"bye\"), then nothing (what it sends after is "
            "dropped), and is cut within 30 s; close callback once, 1006")
def t_ws_close_unanswered():
    tag = ws_tag("deaf")
    with own_server("--workers", "1") as s:
        with ws_open(s, "/ws/probe/" + tag) as ws:
            ws.send(frame(TEXT, b"close"))
            check_eq(ws.read_event("the close"), ("close", (4000, "bye")),
                     "the server's close")
            ws.send(frame(TEXT, b"not echoed"))
            t0 = time.monotonic()
            ws.expect_eof(WS_CUT_LIMIT)
            note("cut %.1f s after the close" % elapsed_since(t0))
        check_closed_once(s, tag, 1006)


@suite.test("websocket close callback: the peer's close 1000 with a reason "
            "-> 1000 and the reason; a close without a code -> 1005; a TCP "
            "drop without a close -> 1006; once each")
def t_ws_close_codes():
    tags = {k: ws_tag(k) for k in ("normal", "nocode", "drop")}

    async def normal(s):
        ws, _ = await ws_connect(s, "/ws/probe/" + tags["normal"])
        await ws.close(1000, "see you")
        return ws.close_code  # the server's answer

    with own_server("--workers", "1") as s:
        check_eq(run_async(normal(s)), 1000, "the answer to a close 1000")
        with ws_open(s, "/ws/probe/" + tags["nocode"]) as ws:
            ws.send(frame(CLOSE, b""))
            check_eq(ws.read_event("the answer"), ("close", (None, b"")),
                     "the answer to a close without a code")
            ws.expect_eof()
        with ws_open(s, "/ws/probe/" + tags["drop"]) as ws:
            ws.send(frame(BINARY, b"last words"))
            check_eq(ws.read_event(), ("binary", b"last words"), "the echo")
        # (Leaving the block closed the socket, without a close frame.)
        check_closed_once(s, tags["normal"], 1000, "see you")
        check_closed_once(s, tags["nocode"], 1005)
        check_closed_once(s, tags["drop"], 1006)


def flood_message(n):
    """Message `n` of a probe's flood."""
    return struct.pack("!I", n) + bytes([n % 251]) * (FLOOD_SIZE - 4)


def read_flood(ws, deadline):
    """Reads a probe's flood, checking each message is the next one and
    whole, up to the first other event: returns (the number of flood
    messages, that event -- ("text", b"flood done N"), ("close", (code,
    reason)) -- or None at the end of the connection). Pings are
    skipped."""
    n = 0
    while True:
        check(time.monotonic() < deadline, "flood still arriving after "
              "%d messages" % n)
        try:
            event = ws.read_event("flood message %d" % n)
        except Closed:
            return n, None
        if event[0] == "ping":
            continue
        if event[0] != "binary":
            return n, event
        check(event[1] == flood_message(n), "flood message %d: %s"
              % (n, show(event[1], 40)))
        n += 1


def rss_kib(pid):
    """The resident memory of process `pid`, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/%d/status" % pid)


def check_flood_stopped(seen, got):
    """A flood of FLOOD_BIG stopped by TN_ECLOSED (`seen`: what the close
    callback recorded), after the `got` messages the peer read and more."""
    check_eq(seen["flood_error"], "TN_ECLOSED", "what stopped the flood")
    check(0 < got <= seen["flood_sent"] < FLOOD_BIG, "messages read %d, "
          "sent %d, asked %d" % (got, seen["flood_sent"], FLOOD_BIG))


@suite.test("websocket: a flood the queue limit holds (12 x 64 KiB) reaches "
            "a reading peer whole and in order, then \"flood done 12\"")
def t_ws_flood_read():
    with ws_open(shared.server, "/ws/probe/" + ws_tag("reader")) as ws:
        ws.send(frame(TEXT, b"flood 12"))
        got, end = read_flood(ws, time.monotonic() + 10 * SCALE)
        check_eq((got, end), (12, ("text", b"flood done 12")),
                 "(messages, what followed them)")
        ws.finish()


@suite.test("websocket slow consumer: a peer that asks for 256 MiB and does "
            "not read is closed (the handler's send gets TN_ECLOSED; 1006 "
            "in the end); meanwhile the server serves HTTP and WebSocket, "
            "and its memory grows < 64 MiB; what arrived is whole messages "
            "in order")
def t_ws_flood_unread():
    tag = ws_tag("sink")
    with own_server("--workers", "1") as s:
        with ws_open(s, "/ws/probe/" + tag) as ws:
            base = peak = rss_kib(s.proc.pid)
            ws.send(frame(TEXT, b"flood %d" % FLOOD_BIG))
            check_still_serving(s)
            check_eq(run_async(ws_echo_once(s, "meanwhile")), "meanwhile",
                     "a WebSocket echo during the flood")
            # The queue overflows at once; the close frame then waits
            # behind the bytes the peer does not take, until the close
            # timeout cuts the connection.
            deadline = time.monotonic() + WS_CUT_LIMIT
            while not ws_closes(s, tag):
                peak = max(peak, rss_kib(s.proc.pid))
                check(peak - base < 64 * 1024, "the server grew by %d KiB "
                      "during the flood" % (peak - base))
                check(time.monotonic() < deadline, "not closed within "
                      "%.0f s" % WS_CUT_LIMIT)
                time.sleep(0.1)
            note("RSS %d KiB before, %d KiB at most" % (base, peak))
            got, end = read_flood(ws, time.monotonic() + WS_CUT_LIMIT)
            if end is not None:  # it may have gone out before the cut
                check_eq(end, ("close", (1008, "send queue full")),
                         "what followed the flood")
                ws.expect_eof()
        seen = check_closed_once(s, tag, 1006)
        note("%d messages read of %d sent" % (got, seen["flood_sent"]))
        check_flood_stopped(seen, got)


@suite.test("websocket slow consumer: a peer that stalls until the queue "
            "overflows, then reads, gets whole messages in order, then the "
            "close 1008 \"send queue full\" (the rest dropped); answered, "
            "the close callback gets 1008")
def t_ws_flood_late_reader():
    tag = ws_tag("late")
    with own_server("--workers", "1") as s:
        with ws_open(s, "/ws/probe/" + tag) as ws:
            ws.send(frame(TEXT, b"flood %d" % FLOOD_BIG))
            deadline = time.monotonic() + 10 * SCALE
            while "does not read: closing (1008)" not in s.stderr_text():
                check(time.monotonic() < deadline, "no slow-consumer "
                      "warning in the log: %s" % s.stderr_tail())
                time.sleep(0.05)
            got, end = read_flood(ws, time.monotonic() + WS_CUT_LIMIT)
            check_eq(end, ("close", (1008, "send queue full")),
                     "what followed %d flood messages" % got)
            ws.answer_close(1008)
        seen = check_closed_once(s, tag, 1008)
        check_flood_stopped(seen, got)


def say(server, room, body):
    """POST /ws/room/ROOM/say: the response."""
    with server.connect() as c:
        return c.request(req("POST", "/ws/room/%s/say" % room, [], body))


@suite.test("websocket groups, --workers 2: the 16 members of a room, on "
            "both workers, get each broadcast exactly once and in order (5 "
            "from a member, the sender too, then 1 by HTTP); one that left "
            "gets no more; the other room's 4 get only theirs")
def t_ws_rooms():
    alpha, beta = ws_tag("alpha"), ws_tag("beta")
    sent = ["alpha %d" % i for i in range(4)] + [b"\x00binary\xff"]

    async def expect_all(members, want, what):
        for i, ws in enumerate(members):
            check_eq(await ws_recv(ws, what), want, "%s, member %d"
                     % (what, i))

    async def go(s):
        conns = []  # (client, greeting)
        try:
            for room, n in ((alpha, 16), (beta, 4)):
                for _ in range(n):
                    conns.append(await ws_connect(s, "/ws/room/" + room))
            check_eq([h["hello"] for _, h in conns],
                     [alpha] * 16 + [beta] * 4, "greetings")
            # The kernel spreads a SO_REUSEPORT group's connections by a
            # hash of the client's port: all 16 on one of two workers has
            # a chance of 2^-15. The greeting names the worker's loop.
            workers = {h["worker"] for _, h in conns[:16]}
            check(len(workers) == 2, "the 16 members are on %d workers: %s"
                  % (len(workers), sorted(workers)))
            a = [ws for ws, _ in conns[:16]]
            b = [ws for ws, _ in conns[16:]]
            for m in sent:
                await a[0].send(m)
            for i, ws in enumerate(a):
                got = [await ws_recv(ws, "broadcast") for _ in sent]
                check_eq(got, sent, "the broadcasts member %d got" % i)
            check_resp(say(s, alpha, b"by http"), 200, b"sent")
            await expect_all(a, "by http", "POST .../say")
            check_resp(say(s, beta, b"beta only"), 200, b"sent")
            await expect_all(b, "beta only", "the other room's first message")
            # tn_ws_leave: the member's next message is its own echo, not
            # the room's broadcast that every other member gets first.
            await a[1].send("leave")
            check_eq(await ws_recv(a[1]), "left", "the answer to leave")
            await a[0].send("after leave")
            await expect_all(a[:1] + a[2:], "after leave", "a broadcast")
            await a[1].send("echo still here")
            check_eq(await ws_recv(a[1]), "still here", "the next message "
                     "of the member that left")
            # Text that is not UTF-8 is refused, and reaches nobody.
            check_resp(say(s, alpha, b"\xff"), 400)
            check_resp(say(s, alpha, b"end"), 200, b"sent")
            await expect_all(a[:1] + a[2:], "end", "the last broadcast")
        finally:
            await asyncio.gather(*(ws.close() for ws, _ in conns))

    with own_server("--workers", "2") as s:
        run_async(go(s))


@suite.test("websocket groups: a member that does not read is closed with "
            "1008 when a broadcast finds its queue full, after whole "
            "messages in order; another member gets every broadcast")
def t_ws_room_slow_member():
    room = ws_tag("room")
    bodies = [(b"%02d " % i) + b"x" * (512 * 1024 - 3) for i in range(16)]

    async def go(s):
        # Python websockets reads all along (and takes the messages
        # compressed); the 16 POSTs are made from another thread.
        reader, _ = await ws_connect(s, "/ws/room/" + room)

        async def collect():
            return [await ws_recv(reader, "broadcast") for _ in bodies]

        try:
            got = asyncio.ensure_future(collect())
            loop = asyncio.get_running_loop()
            for body in bodies:
                r = await loop.run_in_executor(None, say, s, room, body)
                check_resp(r, 200, b"sent")
            return await got
        finally:
            await reader.close()

    with own_server("--workers", "1") as s:
        with ws_open(s, "/ws/room/" + room, rcvbuf=4096) as slow:
            got = run_async(go(s))
            check(got == [b.decode() for b in bodies], "the reading member "
                  "got %d broadcasts: %s" % (len(got), [m[:3] for m in got]))
            check("does not read: closing (1008)" in s.stderr_text(),
                  "no slow-consumer warning: %s" % s.stderr_tail())
            n = 0
            while True:
                event = slow.read_event("broadcast %d or the close" % n)
                if event[0] != "text":
                    break
                check(event[1] == bodies[n], "broadcast %d to the slow "
                      "member: %s" % (n, show(event[1], 40)))
                n += 1
            note("the slow member got %d broadcasts" % n)
            check_eq(event, ("close", (1008, "send queue full")),
                     "what followed %d broadcasts" % n)
            check(0 < n < len(bodies), "%d broadcasts before the close" % n)
            slow.answer_close(1008)


# ============================================================================

def main():
    os.environ["TORN_COOKIE_SECRET"] = SECRET  # every server started
    if len(sys.argv) == 2 and os.access(sys.argv[1], os.X_OK):
        static.setup(os.path.abspath(sys.argv[1]))
    atexit.register(static.cleanup)
    try:
        return shared.main(suite)
    finally:
        static.cleanup()


if __name__ == "__main__":
    sys.exit(main())
