#!/usr/bin/python3
"""End-to-end tests of examples/tour (the runtime's HTTP/1.1 core), in TAP.

    /usr/bin/python3 tests/e2e/test_tour.py build/examples/tour/tour

Starts the binary on free loopback ports and talks to it over raw sockets
and with curl: request framing (Content-Length, chunked, 100-continue,
pipelining, keep-alive), the shapes of request smuggling (each a 400 or 501
that closes the connection), size limits and timeouts, asynchronous
handlers (timers, streaming, the thread pool, long polling), a graceful
stop during a request, ETag/304 and gzip, JSON and multipart bodies, and
static files (ranges, conditional requests, hostile paths, sendfile).

The static tests create their files (random content) and a symlink inside
the static directory compiled into the binary, examples/tour/static/ of
the tree it was built from, and remove them when the suite ends, whatever
the outcome. Environment:
    TORN_EXPECT_STATIC=0   a (slower) sanitizer build: waits are scaled
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10)
"""

import atexit
import contextlib
import gzip
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (HOST, TIMEOUT, Conn, Problems, Server,  # noqa: E402
                     SharedServer, Suite, build_request, check,
                     check_eq, curl, note, sanitizer_lines, show)

SANITIZED = os.environ.get("TORN_EXPECT_STATIC", "1") == "0"
SCALE = 3.0 if SANITIZED else 1.0  # a sanitizer build is slower
TREE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

VERSION = "0.1.0"
HTML = "text/html; charset=UTF-8"
JSON_TYPE = "application/json; charset=UTF-8"
REASONS = {100: "Continue", 200: "OK", 204: "No Content",
           206: "Partial Content", 304: "Not Modified", 400: "Bad Request",
           404: "Not Found", 408: "Request Timeout",
           413: "Content Too Large", 414: "URI Too Long",
           416: "Range Not Satisfiable",
           431: "Request Header Fields Too Large", 501: "Not Implemented"}
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
    is killed. `env` holds variables the server is started with."""
    saved = dict(os.environ)
    os.environ.update(env or {})
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
    p.eq(r.status_line, "HTTP/1.1 %d %s" % (status, REASONS[status]),
         "status line")
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
]


def smuggling_case(data, status):
    def t():
        with conn() as c:
            c.send(data)
            check_closing(c.read_response(), c, status)
        check_still_serving()
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
    x, mask = 0, (1 << 64) - 1
    for i in range(n):
        x = (x * 6364136223846793005 + i) & mask
    return b"%d" % x


@suite.test("/work?n=1000000 (thread pool) -> the computed value")
def t_work():
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
                except ConnectionRefusedError:
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

    def setup(self, binary):
        try:
            self.root = find_static_root(binary)
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
            self.error = None
        except OSError as e:
            self.error = "cannot create the static test files: %s" % e

    def _file(self, name, data):
        path = os.path.join(self.root, name)
        self.made.append(path)
        with open(path, "wb") as f:
            f.write(data)
        return "/static/" + name, data

    def _link(self, name, target):
        path = os.path.join(self.root, name)
        self.made.append(path)
        os.symlink(target, path)

    def need(self):
        if self.error:
            raise AssertionError(self.error)

    def cleanup(self):
        for path in self.made:
            try:
                os.unlink(path)
            except OSError:
                pass
        self.made = []


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

def main():
    if len(sys.argv) == 2 and os.access(sys.argv[1], os.X_OK):
        static.setup(os.path.abspath(sys.argv[1]))
    atexit.register(static.cleanup)
    try:
        return shared.main(suite)
    finally:
        static.cleanup()


if __name__ == "__main__":
    sys.exit(main())
