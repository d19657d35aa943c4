#!/usr/bin/python3
"""End-to-end tests of examples/chat (Tornado's chat demo in torn), in TAP.

    /usr/bin/python3 tests/e2e/test_chat.py build/examples/chat/chat

Starts the binary with --workers 2 on a free loopback port and talks to it
with raw sockets, Python's websockets (asyncio API) and headless Chromium:
the page and its script; the history a new connection gets first (and the
page shows, escaped); a message broadcast to 20 connections at once, which
the kernel spreads over both workers' listeners (all 20 on one worker has
a chance of 2 * 2^-20); messages sent at once from many connections; every
kind of invalid message answered {"error": ...} to its sender alone, a
binary one closed with 1003, an oversized one with 1009; HTML and Unicode
delivered as the same text; the origin check; the history's bound (the
newest 100); SIGTERM with connections open. Then tests/browser/chat.mjs
drives two, then three, Chromium pages (playwright-core): a message typed
in one appears in the others, as text.

Environment:
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10); every
                           wait here is a few of those (sanitizer builds
                           are slow)
    CHROMIUM=PATH          the browser (default /usr/bin/chromium)
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import uuid

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (TIMEOUT, SharedServer, Server, Problems,  # noqa: E402
                     Suite, build_request, check, check_eq, note,
                     sanitizer_lines, show)

import websockets  # noqa: E402  (Debian's python3-websockets)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
STATIC = os.path.join(ROOT, "examples", "chat", "static")
BROWSER = os.path.join(ROOT, "tests", "browser")

HISTORY_SIZE = 100
MAX_BODY = 1024
MAX_MESSAGE = 8 * 1024   # websocket_max_message_size 8K;
WAIT = 3 * TIMEOUT       # seconds for one expected frame or handshake

suite = Suite()
shared = SharedServer(["--workers", "2"])  # the server most tests talk to


def tag():
    """A string no other message of this run contains."""
    return uuid.uuid4().hex[:12]


def run(coro):
    """Runs one test's coroutine, bounded as a whole."""
    return asyncio.run(asyncio.wait_for(coro, 10 * WAIT))


# --- WebSocket helpers ----------------------------------------------------

def ws_url(server=None):
    return "ws://127.0.0.1:%d/chatsocket" % (server or shared.server).port


async def recv_json(ws):
    """The next frame: JSON text (a binary frame fails the test)."""
    try:
        frame = await asyncio.wait_for(ws.recv(), WAIT)
    except asyncio.TimeoutError:
        raise AssertionError("no frame from the server within %.0f s" % WAIT)
    check(isinstance(frame, str), "binary frame from the server: %s"
          % show(frame))
    note("received: %s" % show(frame.encode()))
    return json.loads(frame)


async def join(server=None, **kw):
    """A connection to the chat socket and the history it got first."""
    ws = await websockets.connect(ws_url(server), open_timeout=WAIT,
                                  close_timeout=WAIT, max_size=None, **kw)
    first = await recv_json(ws)
    check(isinstance(first, dict) and list(first) == ["history"] and
          isinstance(first["history"], list),
          "first frame is not {\"history\": [...]}: %r" % first)
    for m in first["history"]:
        check(isinstance(m, dict) and sorted(m) == ["body", "id"] and
              isinstance(m["id"], int) and isinstance(m["body"], str),
              "history item is not {\"id\": int, \"body\": str}: %r" % m)
    return ws, first["history"]


async def until_message(ws, body):
    """Reads frames until the message of text `body`; returns it."""
    while True:
        m = await recv_json(ws)
        check("error" not in m, "error instead of the message: %r" % m)
        check(sorted(m) == ["body", "id"] and isinstance(m["id"], int),
              "not a message {\"id\": int, \"body\": str}: %r" % m)
        if m["body"] == body:
            return m


async def post(ws, body):
    await ws.send(json.dumps({"body": body}))


async def close_all(conns):
    await asyncio.gather(*(ws.close() for ws in conns),
                         return_exceptions=True)


async def closed_with(ws):
    """The close code and reason the server closed `ws` with, after
    reading (and dropping) whatever came before."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT)
    except websockets.ConnectionClosed as e:
        check(e.rcvd is not None, "connection lost without a close frame")
        return e.rcvd.code, e.rcvd.reason


# --- HTTP helpers ---------------------------------------------------------

def get(target, server=None):
    with (server or shared.server).connect() as c:
        return c.request(build_request("GET", target))


# --- The page -------------------------------------------------------------

@suite.test("GET / renders the page: HTML with the form, chat.js and the "
            "socket's URL")
def t_page():
    r = get("/")
    p = Problems(r)
    p.eq(r.status, 200, "status")
    p.eq(r.get("Content-Type"), "text/html; charset=UTF-8", "Content-Type")
    body = r.body.decode("utf-8", "replace")
    p.ok(re.search(r'<script src="/static/chat\.js\?v=[0-9a-f]{16}">'
                   r'</script>', body), "no <script> of chat.js?v=HASH")
    p.ok('data-socket="/chatsocket"' in body,
         "no data-socket=\"/chatsocket\" (the url(socket) of the template)")
    p.ok('<form id="compose"' in body and 'name="body"' in body,
         "no form with a body input")
    p.ok('<ul id="messages">' in body, "no message list")
    p.done()


@suite.test("chat.js and chat.css are served as in the tree")
def t_static():
    body = get("/").body.decode()
    for name, ctype in (("chat.js", "javascript"), ("chat.css", "text/css")):
        m = re.search(r'"(/static/%s\?v=[0-9a-f]{16})"' % re.escape(name),
                      body)
        check(m, "the page does not link %s" % name)
        r = get(m.group(1))
        p = Problems(r)
        p.eq(r.status, 200, "status of " + name)
        p.ok(ctype in (r.get("Content-Type") or ""),
             "Content-Type of %s: %r" % (name, r.get("Content-Type")))
        with open(os.path.join(STATIC, name), "rb") as f:
            p.ok(r.body == f.read(), name + " differs from the file")
        p.done()


# --- History --------------------------------------------------------------

@suite.test("a new connection gets the history first, with the message "
            "just posted last")
def t_history():
    async def go():
        text = "history " + tag()
        a, _ = await join()
        await post(a, text)
        sent = await until_message(a, text)
        b, history = await join()
        await close_all([a, b])
        check(history, "empty history after a message")
        check_eq(history[-1], sent, "newest message of the history")
        ids = [m["id"] for m in history]
        check(ids == sorted(set(ids)), "history ids not increasing: %r" % ids)
    run(go())


@suite.test("the page shows the history, each message escaped, with its id")
def t_page_history():
    async def go():
        text = '<b>bold</b> & "quoted" \'single\' ' + tag()
        a, _ = await join()
        await post(a, text)
        m = await until_message(a, text)
        await a.close()
        return m
    m = run(go())
    body = get("/").body.decode()
    escaped = ("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; "
               "&#39;single&#39; " + m["body"].split()[-1])
    want = '<li class="message" data-id="%d">%s</li>' % (m["id"], escaped)
    check(want in body, "the page lacks %r" % want)
    check(m["body"] not in body, "the raw text %r is in the page" % m["body"])


@suite.test("the history holds the newest 100 messages, on the socket and "
            "on the page")
def t_history_bound():
    async def go():
        t = tag()
        texts = ["bound %s %03d" % (t, i) for i in range(HISTORY_SIZE + 5)]
        a, _ = await join()
        for text in texts:
            await post(a, text)
        # The sender is a member: once its own last message is back, the
        # history holds all of them.
        sent = []
        for text in texts:
            sent.append(await until_message(a, text))
        b, history = await join()
        await close_all([a, b])
        check_eq(len(history), HISTORY_SIZE, "messages in the history")
        check_eq(history, sent[-HISTORY_SIZE:], "the history")
        return sent
    sent = run(go())
    body = get("/").body.decode()
    items = re.findall(r'<li class="message" data-id="(\d+)">', body)
    check_eq([int(i) for i in items], [m["id"] for m in sent[-HISTORY_SIZE:]],
             "ids of the page's messages")


# --- Broadcast ------------------------------------------------------------

@suite.test("a message reaches all 20 connections (spread over both "
            "workers), the sender's too, with one id")
def t_broadcast_20():
    async def go():
        # Half offer permessage-deflate (the websockets default), half not:
        # one broadcast serves both kinds.
        conns = []
        for i in range(20):
            ws, _ = await join(compression=None if i % 2 else "deflate")
            conns.append(ws)
        text = "to everybody " + tag()
        await post(conns[7], text)
        got = await asyncio.gather(*(until_message(ws, text)
                                     for ws in conns))
        await close_all(conns)
        ids = {m["id"] for m in got}
        check_eq(len(ids), 1, "distinct ids the 20 connections got")
    run(go())


@suite.test("messages sent at once from 10 connections reach all 10, "
            "each with its own id")
def t_broadcast_many():
    async def go():
        conns = [(await join())[0] for _ in range(10)]
        t = tag()
        texts = ["at once %s %d" % (t, i) for i in range(10)]
        await asyncio.gather(*(post(ws, text)
                               for ws, text in zip(conns, texts)))
        # Messages from two workers may arrive in either order: collect.
        results = await asyncio.gather(*(collect(ws, texts)
                                         for ws in conns))
        await close_all(conns)
        for r in results[1:]:
            check_eq(r, results[0], "ids seen by two connections")
        check_eq(len(set(results[0].values())), 10, "distinct ids")
    run(go())


async def collect(ws, texts):
    """Reads messages until every text of `texts` came; {text: id}."""
    want, seen = set(texts), {}
    while want - set(seen):
        m = await recv_json(ws)
        check(sorted(m) == ["body", "id"], "not a message: %r" % m)
        if m["body"] in want:
            check(m["body"] not in seen, "%r came twice" % m["body"])
            seen[m["body"]] = m["id"]
    return seen


@suite.test("HTML and Unicode in a message come back as the same text")
def t_text_unchanged():
    async def go():
        a, _ = await join()
        b, _ = await join()
        t = tag()
        texts = ['<script>alert("x")</script><img src=x onerror=alert(1)> '
                 '&amp; &lt; ' + t,
                 "é ü ß 中文 😀 \u2028 \t tabs and\nnewlines " + t,
                 "\\ \" / backslash quote slash " + t]
        for text in texts:
            await post(a, text)
            check_eq((await until_message(b, text))["body"], text,
                     "text received")
        await close_all([a, b])
    run(go())


# --- Invalid messages -----------------------------------------------------

INVALID = [
    ("not JSON", "hello"),
    ("truncated JSON", '{"body": "x"'),
    ("JSON and more", '{"body": "x"} {}'),
    ("an array", '["x"]'),
    ("a string", '"x"'),
    ("no body", "{}"),
    ("an empty body", '{"body": ""}'),
    ("a blank body", '{"body": " \\t\\n "}'),
    ("a number as body", '{"body": 5}'),
    ("null as body", '{"body": null}'),
    ("a NUL in the body", '{"body": "a\\u0000b"}'),
    ("an unknown field", '{"body": "x", "nick": "y"}'),
    ("1025 bytes", json.dumps({"body": "a" * (MAX_BODY + 1)})),
    ("1026 bytes of UTF-8", json.dumps({"body": "é" * 513},
                                       ensure_ascii=False)),
]


@suite.test("each invalid message gets {\"error\": ...} to its sender "
            "alone; the connection stays open")
def t_invalid():
    async def go():
        # One message first, so that the history's last id is known.
        a, _ = await join()
        b, _ = await join()
        before = "before the errors " + tag()
        await post(a, before)
        first = await until_message(a, before)
        await until_message(b, before)
        for what, frame in INVALID:
            note("sending %s: %s" % (what, show(frame.encode(), 80)))
            await a.send(frame)
            m = await recv_json(a)
            check(list(m) == ["error"] and isinstance(m["error"], str) and
                  m["error"], "answer to %s: %r" % (what, m))
        # Still open, and nothing of the above reached b: the first thing
        # b gets is this valid message.
        text = "after the errors " + tag()
        await post(a, text)
        await until_message(a, text)
        m = await recv_json(b)
        check_eq(m.get("body"), text, "first message b received")
        c, history = await join()
        await close_all([a, b, c])
        # The tests run one at a time: no id was given in between.
        check_eq([h["body"] for h in history[-2:]], [before, text],
                 "newest messages of the history")
        check_eq(m["id"], first["id"] + 1, "id after the errors")
    run(go())


@suite.test("a body of exactly 1024 bytes is accepted (ASCII and UTF-8)")
def t_max_body():
    async def go():
        a, _ = await join()
        t = tag()
        for text in (t + "a" * (MAX_BODY - len(t)),
                     t + "é" * ((MAX_BODY - len(t)) // 2)):
            check_eq(len(text.encode()), MAX_BODY, "bytes")
            await post(a, text)
            await until_message(a, text)
        await a.close()
    run(go())


@suite.test("a binary message is refused: close 1003")
def t_binary():
    async def go():
        a, _ = await join()
        await a.send(json.dumps({"body": "x"}).encode())
        code, reason = await closed_with(a)
        check_eq(code, 1003, "close code")
        note("reason: %r" % reason)
    run(go())


@suite.test("a message over 8 KiB is refused: close 1009")
def t_too_big():
    async def go():
        a, _ = await join()
        await a.send(json.dumps({"body": "a" * MAX_MESSAGE}))
        code, _ = await closed_with(a)
        check_eq(code, 1009, "close code")
    run(go())


# --- Origin ---------------------------------------------------------------

@suite.test("a page of another origin is refused with 403; this origin "
            "is accepted")
def t_origin():
    async def go():
        port = shared.server.port
        for bad in ("http://evil.example", "http://127.0.0.1:%d" % (port + 1),
                    "null"):
            try:
                ws = await websockets.connect(ws_url(), origin=bad,
                                              open_timeout=WAIT)
            except websockets.InvalidStatusCode as e:
                check_eq(e.status_code, 403, "status for Origin %s" % bad)
            else:
                await ws.close()
                raise AssertionError("Origin %s was accepted" % bad)
        ws, _ = await join(origin="http://127.0.0.1:%d" % port)
        await ws.close()
    run(go())


# --- Stopping -------------------------------------------------------------

@suite.test("SIGTERM with connections open: each is closed with 1001, "
            "the server exits 0")
def t_sigterm():
    s = Server(shared.binary, ["--workers", "2"]).start()
    try:
        async def go():
            conns = [(await join(s))[0] for _ in range(4)]
            s.proc.send_signal(signal.SIGTERM)
            codes = await asyncio.gather(*(closed_with(ws) for ws in conns))
            for code, _ in codes:
                check_eq(code, 1001, "close code")
        run(go())
        code = s.proc.wait(timeout=WAIT)
        check_eq(code, 0, "exit status (stderr %s)" % s.stderr_tail())
        found = sanitizer_lines(s.stderr_text())
        check(not found, "sanitizer report: %s" % "; ".join(found[:5]))
    finally:
        s.kill()


# --- In a browser ---------------------------------------------------------

BROWSER_CHECKS = [
    "Chromium starts",
    "two pages load and connect their sockets",
    "a message typed in page A (Enter) appears in page B",
    "... and in page A itself",
    "page A's input is empty again",
    "the message is shown as text, never as HTML",
    "a message posted in page B (button) appears in page A",
    "a page opened later shows both messages from the history, once each",
    "no script errors in any page",
]

_browser = {}  # the results of the one run of chat.mjs


def browser_results():
    """Runs tests/browser/chat.mjs once (against the shared server) and
    returns {check name: (ok, detail)}, with "" mapped to why the run
    stopped, if it did."""
    if _browser:
        return _browser
    script = os.path.join(BROWSER, "chat.mjs")
    if not os.path.isdir(os.path.join(BROWSER, "node_modules",
                                      "playwright-core")):
        _browser[""] = ("playwright-core is not installed: run `make "
                        "deps-test` (npm ci --prefix tests/browser)")
        return _browser
    env = dict(os.environ, TORN_BROWSER_TIMEOUT=str(int(WAIT * 1000)))
    argv = ["node", script, "http://127.0.0.1:%d" % shared.server.port,
            tag()]
    note("run: %s" % " ".join(argv))
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           capture_output=True, env=env,
                           timeout=20 * WAIT)
        out, err = p.stdout.decode(), p.stderr.decode()
    except FileNotFoundError:
        _browser[""] = "node is not installed"
        return _browser
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode()
        err = "chat.mjs still running after %.0f s (killed)" % (20 * WAIT)
    for line in out.splitlines():
        try:
            r = json.loads(line)
            _browser[r["name"]] = (r["ok"], r["detail"])
        except (ValueError, KeyError, TypeError):
            note("chat.mjs: %s" % line)
    failed = [n for n, (ok, _) in _browser.items() if not ok]
    _browser[""] = ("chat.mjs stopped early%s; stderr: %s"
                    % (" after the failure of '%s'" % failed[0]
                       if failed else "", err[-2000:] or "(empty)"))
    return _browser


def browser_check(name):
    def t():
        results = browser_results()
        if name not in results:
            raise AssertionError("not reported: %s" % results[""])
        ok, detail = results[name]
        check(ok, "%s: %s" % (name, detail))
    return t


for _name in BROWSER_CHECKS:
    suite.add("browser: " + _name, browser_check(_name))


if __name__ == "__main__":
    sys.exit(shared.main(suite))
