#!/usr/bin/python3
"""End-to-end tests of examples/hello, in TAP.

    /usr/bin/python3 tests/e2e/test_hello.py examples/hello/build/hello

Starts the binary on a free loopback port and talks to it over real sockets
and with curl. Environment:
    TORN_EXPECT_STATIC=0   the binary is a (dynamically linked) sanitizer
                           build: the static-binary test is skipped
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10)
"""

import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (TIMEOUT, SharedServer, Problems, check_static_binary, curl, Server, Suite, build_request,  # noqa: E402
                     check, check_eq, check_imf_fixdate, note, run_cmd, sanitizer_lines, show)

VERSION = "0.1.0"
HTML = "text/html; charset=UTF-8"
JSON = "application/json; charset=UTF-8"
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 431: "Request Header Fields Too Large",
           501: "Not Implemented"}
INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63

suite = Suite()
shared = SharedServer()  # the server most tests talk to


def req(method, target, headers=(), body=b"", version="HTTP/1.1"):
    return build_request(method, target, headers, body, version)


def conn():
    return shared.server.connect()


# --- Per-test server bookkeeping ----------------------------------------

# --- Response checks ----------------------------------------------------

def common_problems(p, resp, status, method="GET"):
    """Status line and the headers every response carries."""
    p.eq(resp.status_line, "HTTP/1.1 %d %s" % (status, REASONS[status]),
         "status line")
    for name in ("Date", "Server", "Content-Type", "Content-Length"):
        n = len(resp.get_all(name))
        p.ok(n == 1, "expected one %s header, got %d" % (name, n))
    if resp.has("Date"):
        try:
            check_imf_fixdate(resp.get("Date"))
        except AssertionError as e:
            p.items.append(str(e))
    if resp.has("Server"):
        p.eq(resp.get("Server"), "torn/" + VERSION, "Server header")
    cl = resp.get("Content-Length")
    if cl is not None:
        p.ok(cl.isdigit(), "Content-Length %r is not a number" % cl)
        if method != "HEAD" and cl.isdigit():
            p.eq(int(cl), len(resp.body), "Content-Length vs body length")


def check_common(resp, status, method="GET"):
    p = Problems(resp)
    common_problems(p, resp, status, method)
    p.done()


def check_ok(resp, body, ctype, method="GET"):
    p = Problems(resp)
    common_problems(p, resp, 200, method)
    p.eq(resp.get("Content-Type"), ctype, "Content-Type")
    if method == "HEAD":
        p.eq(resp.body, b"", "HEAD body")
        p.eq(resp.get("Content-Length"), str(len(body)),
             "HEAD Content-Length (length of the GET body)")
    else:
        p.eq(resp.body, body, "body")
    p.done()


def check_kept_alive(c):
    """The connection still serves: a follow-up GET / answers 200."""
    try:
        c.send(req("GET", "/"))
        r = c.read_response("GET")
        check_ok(r, b"Hello, world", HTML)
    except (AssertionError, OSError) as e:
        raise AssertionError("connection should have been kept alive, but "
                             "the follow-up GET / failed: %s" % e)


def check_closed(c):
    why = c.closed_by_peer()
    check(why is None, "server should have closed the connection: %s" % why)


def check_still_serving():
    try:
        with conn() as c:
            r = c.request(req("GET", "/"))
            check_ok(r, b"Hello, world", HTML)
    except (AssertionError, OSError) as e:
        raise AssertionError("GET / on a fresh connection failed: %s" % e)


def check_no_connection_close(r):
    v = (r.get("Connection") or "").lower()
    check("close" not in v, "response says Connection: %r on a kept-alive "
          "connection" % r.get("Connection"))


# --- Command line and binary --------------------------------------------

suite.add("static binary", lambda: check_static_binary(shared.binary))


@suite.test("--help prints usage mentioning --port and exits 0")
def t_help():
    p = run_cmd([shared.binary, "--help"])
    out = p.stdout.decode("utf-8", "replace")
    check_eq(p.returncode, 0, "exit status of --help (stderr %r)" % p.stderr)
    check("--port" in out, "--help output on stdout does not mention "
          "--port: %r" % out[:500])


def bad_port_case(value):
    def t():
        argv = [shared.binary, "--address", "127.0.0.1", "--port", value]
        p = run_cmd(argv, timeout=TIMEOUT)
        msg = (p.stderr + p.stdout).decode("utf-8", "replace")
        check(p.returncode != 0, "exit status 0 for --port %r (output %r)"
              % (value, msg))
        check(p.returncode > 0, "killed by signal %d for --port %r (output "
              "%r)" % (-p.returncode, value, msg))
        check(msg.strip(), "no message for --port %r" % value)
        check("port" in msg.lower(), "message for --port %r does not mention "
              "the port: %r" % (value, msg[:500]))
    return t


for _v in ("abc", "70000", "-1", "12x"):
    suite.add("--port %s exits non-zero with a message" % _v,
              bad_port_case(_v))


# --- Routes -------------------------------------------------------------

@suite.test("GET / -> 200 Hello, world with Date, Server, Content-Type")
def t_root():
    with conn() as c:
        r = c.request(req("GET", "/"))
        check_ok(r, b"Hello, world", HTML)
        check_no_connection_close(r)
        check_eq(c.no_extra_bytes(), b"", "bytes after the response")


@suite.test("GET /api -> 200 JSON")
def t_api():
    with conn() as c:
        r = c.request(req("GET", "/api"))
        check_ok(r, b'{"message": "hello world"}', JSON)


@suite.test("GET /api?x=1 -> the query does not change routing")
def t_api_query():
    with conn() as c:
        r = c.request(req("GET", "/api?x=1&y=%20"))
        check_ok(r, b'{"message": "hello world"}', JSON)


def user_ok(ident):
    def t():
        with conn() as c:
            r = c.request(req("GET", "/users/%s" % ident))
            check_ok(r, ('{"id": %d}' % int(ident)).encode(), JSON)
    return t


def user_404(path):
    def t():
        with conn() as c:
            r = c.request(req("GET", path))
            check_common(r, 404)
            check_kept_alive(c)
    return t


for _id in ("42", "-7", "0", str(INT64_MAX), str(INT64_MIN)):
    suite.add("GET /users/%s -> {\"id\": %s}" % (_id, _id), user_ok(_id))

for _path in ("/users/abc", "/users/4x2", "/users/+5", "/users/-",
              "/users/", "/users/1.5", "/users/%s" % (INT64_MAX + 1),
              "/users/%s" % (INT64_MIN - 1), "/users/99999999999999999999"):
    suite.add("GET %s -> 404" % _path, user_404(_path))


def head_case(path, body, ctype):
    def t():
        with conn() as c:
            h, g = c.head_then_get(req("HEAD", path), req("GET", path))
            check_ok(h, body, ctype, method="HEAD")
            check_ok(g, body, ctype)
            names_h = sorted(k.lower() for k, _ in h.headers)
            names_g = sorted(k.lower() for k, _ in g.headers)
            check_eq(names_h, names_g, "HEAD vs GET header names")
    return t


suite.add("HEAD / -> GET's headers, no body", head_case("/", b"Hello, world",
                                                        HTML))
suite.add("HEAD /api -> GET's headers, no body",
          head_case("/api", b'{"message": "hello world"}', JSON))
suite.add("HEAD /users/42 -> GET's headers, no body",
          head_case("/users/42", b'{"id": 42}', JSON))


@suite.test("unknown path -> 404 HTML, connection kept alive")
def t_404():
    with conn() as c:
        r = c.request(req("GET", "/no/such/page"))
        check_common(r, 404)
        check(r.get("Content-Type", "").startswith("text/html"),
              "404 Content-Type %r is not HTML" % r.get("Content-Type"))
        check_no_connection_close(r)
        check_kept_alive(c)


@suite.test("POST / with a body -> 405 Allow: GET, HEAD; next pipelined "
            "request served")
def t_405_post():
    with conn() as c:
        c.send(req("POST", "/", [("Content-Length", "11"),
                                 ("Content-Type", "text/plain")],
                   b"hello=world") + req("GET", "/api"))
        r = c.read_response("POST")
        check_common(r, 405)
        check_eq(r.get("Allow"), "GET, HEAD", "Allow header")
        check_no_connection_close(r)
        r2 = c.read_response("GET")
        check_ok(r2, b'{"message": "hello world"}', JSON)
        check_kept_alive(c)


def method_405(method, path):
    def t():
        with conn() as c:
            r = c.request(req(method, path))
            check_common(r, 405)
            check_eq(r.get("Allow"), "GET, HEAD", "Allow header")
            check_kept_alive(c)
    return t


for _m, _p in (("DELETE", "/api"), ("PUT", "/users/42"), ("POST", "/api")):
    suite.add("%s %s -> 405 Allow: GET, HEAD, kept alive" % (_m, _p),
              method_405(_m, _p))


# --- Connections --------------------------------------------------------

@suite.test("two requests one after the other on one connection")
def t_keepalive():
    with conn() as c:
        r1 = c.request(req("GET", "/"))
        check_ok(r1, b"Hello, world", HTML)
        check_no_connection_close(r1)
        r2 = c.request(req("GET", "/users/42"))
        check_ok(r2, b'{"id": 42}', JSON)
        check_no_connection_close(r2)


@suite.test("three pipelined requests in one write -> three responses in "
            "order")
def t_pipeline():
    with conn() as c:
        c.send(req("GET", "/") + req("GET", "/api") + req("GET", "/users/-7"))
        r1, r2, r3 = c.read_responses(["GET", "GET", "GET"])
        check_ok(r1, b"Hello, world", HTML)
        check_ok(r2, b'{"message": "hello world"}', JSON)
        check_ok(r3, b'{"id": -7}', JSON)
        check_eq(c.no_extra_bytes(), b"", "bytes after three responses")


@suite.test("pipelined 200, 404, 405, HEAD, 200 in one write, in order")
def t_pipeline_mixed():
    with conn() as c:
        c.send(req("GET", "/users/1") + req("GET", "/nope") +
               req("DELETE", "/") + req("HEAD", "/api") + req("GET", "/"))
        rs = c.read_responses(["GET", "GET", "DELETE", "HEAD", "GET"])
        check_ok(rs[0], b'{"id": 1}', JSON)
        check_common(rs[1], 404)
        check_common(rs[2], 405)
        check_ok(rs[3], b'{"message": "hello world"}', JSON, method="HEAD")
        check_ok(rs[4], b"Hello, world", HTML)


@suite.test("request sent one byte per send() is answered")
def t_byte_by_byte():
    with conn() as c:
        c.send_slowly(req("GET", "/users/42", [("Accept", "*/*")]))
        r = c.read_response("GET")
        check_ok(r, b'{"id": 42}', JSON)
        check_kept_alive(c)


def conn_close_case(name, value):
    def t():
        with conn() as c:
            r = c.request(req("GET", "/", [(name, value)]))
            check_ok(r, b"Hello, world", HTML)
            check_eq((r.get("Connection") or "").lower(), "close",
                     "Connection header of the response")
            check_closed(c)
    return t


suite.add("Connection: close -> response says close, server closes",
          conn_close_case("Connection", "close"))
suite.add("connection: CLOSE (case-insensitive) -> server closes",
          conn_close_case("connection", "CLOSE"))


@suite.test("HTTP/1.0 without keep-alive -> server closes after response")
def t_http10_close():
    with conn() as c:
        r = c.request(req("GET", "/api", version="HTTP/1.0"))
        check_ok(r, b'{"message": "hello world"}', JSON)
        check("keep-alive" not in (r.get("Connection") or "").lower(),
              "HTTP/1.0 response says Connection: %r" % r.get("Connection"))
        check_closed(c)


@suite.test("HTTP/1.0 with Connection: keep-alive -> kept alive")
def t_http10_keepalive():
    with conn() as c:
        r = c.request(req("GET", "/", [("Connection", "keep-alive")],
                          version="HTTP/1.0"))
        check_ok(r, b"Hello, world", HTML)
        check_eq((r.get("Connection") or "").lower(), "keep-alive",
                 "Connection header of the response")
        r2 = c.request(req("GET", "/users/5", [("Connection", "keep-alive")],
                           version="HTTP/1.0"))
        check_ok(r2, b'{"id": 5}', JSON)


@suite.test("a tab inside a header value is accepted")
def t_tab_ok():
    with conn() as c:
        r = c.request(req("GET", "/", [("X-Test", "a\tb")]))
        check_ok(r, b"Hello, world", HTML)


@suite.test("a request head of about 7 KiB is served")
def t_head_7k():
    with conn() as c:
        r = c.request(req("GET", "/", [("X-Big", "a" * 7000)]))
        check_ok(r, b"Hello, world", HTML)
        check_kept_alive(c)


# --- Errors that close the connection -----------------------------------

def closing_error(data, status):
    def t():
        with conn() as c:
            c.send(data)
            r = c.read_response("GET")
            check_common(r, status)
            check_eq((r.get("Connection") or "").lower(), "close",
                     "Connection header of a response before closing")
            check_closed(c)
        check_still_serving()
    return t


MALFORMED = [
    ("garbage request line", b"this is not http\r\n\r\n"),
    ("request line of one word", b"GARBAGE\r\n\r\n"),
    ("header line without colon",
     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n"),
    ("space before the colon",
     b"GET / HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n"),
    ("bad HTTP version HTTP/1.x", b"GET / HTTP/1.x\r\nHost: a\r\n\r\n"),
    ("bad HTTP version HTTQ/1.1", b"GET / HTTQ/1.1\r\nHost: a\r\n\r\n"),
    ("bad HTTP version HTTP/11", b"GET / HTTP/11\r\nHost: a\r\n\r\n"),
    ("Content-Length: abc",
     b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"),
    ("Content-Length: -1",
     b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
    ("two different Content-Length values",
     b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
     b"Content-Length: 6\r\n\r\nhello!"),
    ("control character 0x01 in a header value",
     b"GET / HTTP/1.1\r\nHost: a\r\nX-Test: a\x01b\r\n\r\n"),
    ("NUL in a header value",
     b"GET / HTTP/1.1\r\nHost: a\r\nX-Test: a\x00b\r\n\r\n"),
    ("DEL (0x7f) in a header value",
     b"GET / HTTP/1.1\r\nHost: a\r\nX-Test: a\x7fb\r\n\r\n"),
    ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\nX-Test: a\r\n\r\n"),
    ("two Host headers", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
]

for _name, _data in MALFORMED:
    suite.add("malformed (%s) -> 400, close, still serving" % _name,
              closing_error(_data, 400))

suite.add("Transfer-Encoding: gzip, chunked (a coding torn does not "
          "decode) -> 501 and close",
          closing_error(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                        b"gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                        501))
suite.add("one 9000-byte header (head > 8 KiB) -> 431 and close",
          closing_error(req("GET", "/", [("X-Big", "a" * 9000)]), 431))
suite.add("200 headers of 60 bytes (head > 8 KiB) -> 431 and close",
          closing_error(req("GET", "/", [("X-H%03d" % i, "b" * 50)
                                         for i in range(200)]), 431))


# --- curl ---------------------------------------------------------------

def parse_curl_i(out):
    head, sep, body = out.partition(b"\r\n\r\n")
    check(sep, "curl -i output has no end of headers: %s" % show(out))
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, body


def curl_case(path, body, ctype):
    def t():
        out = curl("-i", "http://127.0.0.1:%d%s" % (shared.server.port, path))
        note("curl output: %s" % show(out))
        status, headers, got = parse_curl_i(out)
        check_eq(status, "HTTP/1.1 200 OK", "status line seen by curl")
        check_eq(headers.get("content-type"), ctype, "Content-Type")
        check_eq(headers.get("server"), "torn/" + VERSION, "Server")
        check_eq(headers.get("content-length"), str(len(body)),
                 "Content-Length")
        check_eq(got, body, "body seen by curl")
    return t


suite.add("curl -si /", curl_case("/", b"Hello, world", HTML))
suite.add("curl -si /api", curl_case("/api", b'{"message": "hello world"}',
                                     JSON))
suite.add("curl -si /users/42", curl_case("/users/42", b'{"id": 42}', JSON))


@suite.test("curl -sI / (HEAD) -> headers, no body")
def t_curl_head():
    out = curl("-I", "http://127.0.0.1:%d/" % shared.server.port)
    note("curl output: %s" % show(out))
    status, headers, body = parse_curl_i(out)
    check_eq(status, "HTTP/1.1 200 OK", "status line seen by curl")
    check_eq(headers.get("content-length"), "12", "Content-Length")
    check_eq(body, b"", "body after HEAD")


@suite.test("curl reuses one connection for two URLs")
def t_curl_reuse():
    base = "http://127.0.0.1:%d" % shared.server.port
    out = curl("-w", "[%{num_connects}]", base + "/", base + "/api")
    note("curl output: %s" % show(out))
    check_eq(out, b'Hello, world[1]{"message": "hello world"}[0]',
             "bodies and new-connection counts (second must be 0)")


@suite.test("curl 404 and 405 status codes")
def t_curl_errors():
    base = "http://127.0.0.1:%d" % shared.server.port
    out = curl("-o", "/dev/null", "-w", "%{http_code} ", base + "/missing")
    out += curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
                base + "/api")
    check_eq(out, b"404 405", "status codes seen by curl")


# --- Shutdown -----------------------------------------------------------

def stop_case(sig, idle_conn):
    def t():
        s = Server(shared.binary).start()
        c = None
        try:
            with s.connect() as c0:
                check_ok(c0.request(req("GET", "/")), b"Hello, world", HTML)
            if idle_conn:
                c = s.connect()
                check_ok(c.request(req("GET", "/api")),
                         b'{"message": "hello world"}', JSON)
            t0 = time.monotonic()
            s.stop(sig)
            note("stopped in %.2f s" % (time.monotonic() - t0))
        finally:
            if c is not None:
                c.close()
            s.kill()
    return t


suite.add("SIGTERM -> exit 0", stop_case(signal.SIGTERM, False))
suite.add("SIGINT -> exit 0", stop_case(signal.SIGINT, False))
suite.add("SIGTERM with an idle keep-alive connection open -> exit 0 "
          "within 5 s", stop_case(signal.SIGTERM, True))


def t_stop_with_half_a_request():
    """A client that sent half a request must not hold the stop up past the
    10 s deadline; a finished request on another connection still counts."""
    s = Server(shared.binary).start()
    c = s.connect()
    try:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX-Half: ")
        time.sleep(0.2)
        t0 = time.monotonic()
        code = s.signal_stop(signal.SIGTERM, timeout=20)
        took = time.monotonic() - t0
        note("stopped in %.2f s" % took)
        check(code is not None, "server still running 20 s after SIGTERM")
        check_eq(code, 0, "exit status")
        check(took >= 5, "stopped after %.2f s: the half request was cut "
              "before its deadline" % took)
        check(not sanitizer_lines(s.stderr_text()), "sanitizer report")
    finally:
        c.close()
        s.kill()


suite.add("SIGTERM with half a request pending -> exit 0 at the deadline",
          t_stop_with_half_a_request)


if __name__ == "__main__":
    sys.exit(shared.main(suite))
