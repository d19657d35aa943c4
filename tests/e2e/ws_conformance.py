#!/usr/bin/python3
"""WebSocket conformance of a running server's echo endpoint, in TAP.

    /usr/bin/python3 tests/e2e/ws_conformance.py build/examples/hello/hello

Starts the binary (examples/hello, whose /echo sends every message back,
16 MiB at most) on a free loopback port and checks RFC 6455 and RFC 7692
end to end: the handshake, and the behaviour the Autobahn testsuite's case
groups 1-7, 9, 12 and 13 describe (framing, pings and pongs, reserved bits,
opcodes, fragmentation, UTF-8, the close handshake, limits,
permessage-deflate). Framing-level cases speak through raw sockets with
the small client-side codec below; normal and compressed traffic goes
through Python's websockets (Debian's python3-websockets).

What a protocol error must look like: the server sends a close frame with
the code the RFC gives, then waits for the client's close and closes TCP.

Environment:
    WS_URL=ws://127.0.0.1:PORT/echo   test that server instead of starting
                                      the binary (to check the suite
                                      against Tornado, say)
    TORN_E2E_TIMEOUT=S                seconds per socket read (default 10)

Against Tornado 6.2's WebSocketHandler (WS_URL) about half the cases fail,
where Tornado departs from the RFCs or from torn's stricter choices: most
protocol errors drop TCP without a close frame; unmasked client frames are
accepted; close codes are echoed unchecked (a 1-byte close gets an empty
one); text is checked only when a message is complete (no fail-fast);
Sec-WebSocket-Key is not checked and version 8 is accepted; a 405 has no
Allow; server_no_context_takeover asked for is not answered, and invalid
deflate offers give a 500 or are accepted.
"""

import asyncio
import base64
import hashlib
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (TIMEOUT, Closed, Conn, Server, SharedServer,  # noqa: E402
                     Skip, Suite, build_request, check, check_eq,
                     install_signal_handlers, note, sanitizer_lines, show)

import websockets  # noqa: E402
from websockets.extensions.permessage_deflate import (  # noqa: E402
    ClientPerMessageDeflateFactory)

MAX_MESSAGE = 16 << 20  # the echo endpoint's max_message_size
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
RSV1, RSV2, RSV3 = 4, 2, 1  # as the `rsv` argument of frame()
KIND = {TEXT: "text", BINARY: "binary"}
SLOW_CLOSE_LIMIT = 30.0  # seconds a server may take to cut a silent peer

suite = Suite()
shared = SharedServer()
WS_URL = os.environ.get("WS_URL")


def target():
    """(port, path) of the endpoint under test."""
    if WS_URL:
        u = urllib.parse.urlsplit(WS_URL)
        return u.port, u.path or "/"
    return shared.server.port, "/echo"


def url():
    port, path = target()
    return "ws://127.0.0.1:%d%s" % (port, path)


def host(port=None):
    return "127.0.0.1:%d" % (port or target()[0])


# --- The client side of RFC 6455 framing ---------------------------------

def mask(data, key):
    """XOR `data` with the 4-byte `key`, as one big integer: fast enough
    for 16 MiB in pure Python."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^
            int.from_bytes(k, "little")).to_bytes(n, "little")


def frame(opcode, payload=b"", fin=True, rsv=0, masked=True):
    """One frame as a client sends it."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    m = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + mask(payload, key)


def close_payload(code=None, reason=b""):
    return b"" if code is None else struct.pack("!H", code) + reason


def fragments(opcode, data, size):
    """A message as frames of at most `size` payload bytes."""
    pieces = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
    out = []
    for i, p in enumerate(pieces):
        out.append(frame(opcode if i == 0 else CONT, p,
                         fin=i == len(pieces) - 1))
    return b"".join(out)


def describe_event(ev):
    kind, value = ev
    if kind == "close":
        return "close %r" % (value,)
    return "%s %s" % (kind, show(value, 60))


class Deflate:
    """The client's half of what a 101 agreed for permessage-deflate."""

    def __init__(self, header):
        params = {}
        offers = [o.strip() for o in header.split(",")]
        check(len(offers) == 1, "more than one extension agreed: %r" % header)
        parts = [p.strip() for p in offers[0].split(";")]
        check_eq(parts[0], "permessage-deflate", "agreed extension")
        for p in parts[1:]:
            name, _, value = p.partition("=")
            name = name.strip()
            check(name not in params, "parameter %s twice in %r"
                  % (name, header))
            params[name] = value.strip().strip('"') or None
        self.params = params
        self.server_reset = "server_no_context_takeover" in params
        self.client_reset = "client_no_context_takeover" in params
        self.server_bits = int(params.get("server_max_window_bits") or 15)
        self.client_bits = int(params.get("client_max_window_bits") or 15)
        self.deflater = None
        self.inflater = None

    def compress(self, data):
        if self.deflater is None or self.client_reset:
            self.deflater = zlib.compressobj(wbits=-max(self.client_bits, 9))
        out = self.deflater.compress(data) + \
            self.deflater.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4]  # RFC 7692 7.2.1: without the 00 00 ff ff tail

    def inflate(self, data):
        # With server_no_context_takeover a fresh inflater per message
        # proves the server really reset its window between messages.
        if self.inflater is None or self.server_reset:
            self.inflater = zlib.decompressobj(wbits=-self.server_bits)
        try:
            return self.inflater.decompress(data + b"\x00\x00\xff\xff")
        except zlib.error as e:
            raise AssertionError("the server's compressed message does not "
                                 "inflate with window bits %d%s: %s"
                                 % (self.server_bits, " and a fresh window"
                                    if self.server_reset else "", e))


class Ws:
    """A raw-socket WebSocket client connection, after a 101."""

    def __init__(self, conn, response):
        self.conn = conn
        self.sock = conn.sock
        self.response = response
        self.buf = bytearray(conn.buf)
        conn.buf = b""
        ext = response.get("Sec-WebSocket-Extensions")
        self.deflate = Deflate(ext) if ext else None
        self.message = None  # (opcode, [payloads], compressed) in progress

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.conn.close()

    # Sending.
    def send(self, data, chop=None):
        """Send bytes whole, or in chops of `chop` bytes with a pause
        between them so that the server sees them separately. A server
        that has failed the connection may stop reading or close before
        all is sent: what it said is then read as usual."""
        note("sent %d bytes%s: %s" % (len(data), " in chops of %d" % chop
                                      if chop else "", show(data, 80)))
        try:
            if not chop:
                self.sock.sendall(data)
                return
            for i in range(0, len(data), chop):
                self.sock.sendall(data[i:i + chop])
                time.sleep(0.002)
        except (BrokenPipeError, ConnectionResetError) as e:
            note("sending stopped: %s" % e)

    def send_frames(self, frames, pause=0.01):
        """Send frames one by one with a pause between them."""
        for f in frames:
            self.send(f)
            time.sleep(pause)

    def send_message(self, opcode, data, compress=False):
        if compress:
            self.send(frame(opcode, self.deflate.compress(data), rsv=RSV1))
        else:
            self.send(frame(opcode, data))

    # Receiving.
    def _fill(self, what, timeout=None):
        self.sock.settimeout(TIMEOUT if timeout is None else timeout)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise AssertionError("nothing from the server within %.0f s while "
                                 "waiting for %s" % (TIMEOUT if timeout is None
                                                     else timeout, what))
        except ConnectionResetError:
            raise Closed("connection reset by the server while waiting for "
                         "%s" % what)
        if not chunk:
            raise Closed("connection closed by the server (no close frame) "
                         "while waiting for %s" % what)
        self.buf += chunk

    def _take(self, n, what, timeout):
        while len(self.buf) < n:
            self._fill(what, timeout)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_frame(self, what="a frame", timeout=None):
        """One server frame: (fin, rsv, opcode, payload). A frame a server
        must not send fails the test."""
        b0, b1 = self._take(2, what, timeout)
        fin, rsv, opcode = bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 15
        check(not b1 & 0x80, "the server sent a masked frame (RFC 6455 5.1 "
              "forbids it): header %02x %02x" % (b0, b1))
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack("!H", self._take(2, what, timeout))[0]
            check(n >= 126, "16-bit length %d not minimal" % n)
        elif n == 127:
            n = struct.unpack("!Q", self._take(8, what, timeout))[0]
            check(n >= 65536 and n < 1 << 63, "64-bit length %d invalid" % n)
        payload = self._take(n, what, timeout)
        note("got frame fin=%d rsv=%d opcode=%d %s"
             % (fin, rsv, opcode, show(payload, 60)))
        check(opcode in (CONT, TEXT, BINARY, CLOSE, PING, PONG),
              "the server sent reserved opcode %d" % opcode)
        allowed = RSV1 if (self.deflate and opcode in (TEXT, BINARY)) else 0
        check(rsv & ~allowed == 0, "the server set reserved bits %d on an "
              "opcode %d frame" % (rsv, opcode))
        if opcode >= CLOSE:
            check(fin and n <= 125, "the server sent a fragmented or long "
                  "(%d bytes) control frame" % n)
        return fin, rsv, opcode, payload

    def read_event(self, what="a message", timeout=None):
        """The next message (reassembled and inflated), pong, ping or close:
        ("text"|"binary"|"pong"|"ping", payload) or ("close", (code,
        reason)) with code None for an empty close."""
        while True:
            fin, rsv, opcode, payload = self.read_frame(what, timeout)
            if opcode == CLOSE:
                check(len(payload) != 1, "the server's close frame has a "
                      "1-byte payload")
                if not payload:
                    return "close", (None, b"")
                code = struct.unpack("!H", payload[:2])[0]
                try:
                    reason = payload[2:].decode("utf-8")
                except UnicodeDecodeError:
                    raise AssertionError("the server's close reason is not "
                                         "UTF-8: %s" % show(payload[2:]))
                return "close", (code, reason)
            if opcode in (PING, PONG):
                return ("ping" if opcode == PING else "pong"), payload
            if opcode == CONT:
                check(self.message is not None, "the server sent a "
                      "continuation frame with no message to continue")
                check(rsv == 0, "RSV1 on a continuation frame")
                self.message[1].append(payload)
            else:
                check(self.message is None, "the server began a message "
                      "inside another")
                self.message = (opcode, [payload], bool(rsv & RSV1))
            if not fin:
                continue
            opcode, parts, compressed = self.message
            self.message = None
            data = b"".join(parts)
            if compressed:
                data = self.deflate.inflate(data)
            if opcode == TEXT:
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise AssertionError("the server sent text that is not "
                                         "UTF-8: %s" % e)
            return KIND[opcode], data

    def expect(self, *events):
        """Read these events, in order: ("text", b"..."), ("pong", b""),
        ("close", 1002) (the close handshake is then completed)..."""
        for want in events:
            got = self.read_event("%s" % describe_event(want))
            if want[0] == "close":
                check(got[0] == "close", "expected a close frame with code "
                      "%s, got %s" % (want[1], describe_event(got)))
                check_eq(got[1][0], want[1], "the server's close code")
                self.answer_close(got[1][0])
                continue
            if got != want:
                raise AssertionError("expected %s, got %s%s" % (
                    describe_event(want), describe_event(got),
                    first_difference(want[1], got[1])
                    if got[0] == want[0] else ""))

    def answer_close(self, code):
        """Answer the server's close, then the server must close TCP."""
        try:
            self.send(frame(CLOSE, close_payload(code)))
        except OSError:
            pass  # it may have given up on us already
        self.expect_eof()

    def expect_eof(self, timeout=None):
        """The server closes the connection, sending nothing more."""
        end = time.monotonic() + (timeout or TIMEOUT)
        while not self.buf:
            left = end - time.monotonic()
            check(left > 0, "the connection is still open %.0f s after the "
                  "close handshake" % (timeout or TIMEOUT))
            try:
                self._fill("the end of the connection", left)
            except Closed:
                return
        raise AssertionError("bytes after the close frame: %s"
                             % show(bytes(self.buf)))

    def finish(self):
        """Close normally: 1000 out, 1000 back, then EOF."""
        self.send(frame(CLOSE, close_payload(1000)))
        got = self.read_event("the answer to a close 1000")
        check(got[0] == "close" and got[1][0] == 1000,
              "expected close 1000 back, got %s" % describe_event(got))
        self.expect_eof()


def first_difference(want, got):
    if not isinstance(want, bytes) or not isinstance(got, bytes):
        return ""
    i = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b),
             min(len(want), len(got)))
    return " (lengths %d and %d, first difference at byte %d)" % (
        len(want), len(got), i)


# --- The handshake -------------------------------------------------------

def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()
                            ).decode()


def upgrade_request(method="GET", key=None, version="13", upgrade="websocket",
                    connection="Upgrade", extra=(), port=None):
    """An opening handshake; a header given as None is left out."""
    headers = [("Host", host(port))]
    for name, value in (("Upgrade", upgrade), ("Connection", connection),
                        ("Sec-WebSocket-Key", key),
                        ("Sec-WebSocket-Version", version)):
        if value is not None:
            headers.append((name, value))
    headers += list(extra)
    return build_request(method, target()[1], headers, host=False)


def handshake(extensions=None, extra=(), port=None):
    """Open a connection; returns a Ws after checking the 101."""
    key = new_key()
    if extensions:
        extra = list(extra) + [("Sec-WebSocket-Extensions", extensions)]
    c = Conn(port or target()[0])
    try:
        r = c.request(upgrade_request(key=key, extra=extra, port=port), "GET")
        check_eq(r.status, 101, "status of the opening handshake (body %s)"
                 % show(r.body))
        check_eq(r.get("Sec-WebSocket-Accept"), accept_for(key),
                 "Sec-WebSocket-Accept")
        check_eq((r.get("Upgrade") or "").lower(), "websocket", "Upgrade")
        check("upgrade" in (r.get("Connection") or "").lower(),
              "Connection %r lacks upgrade" % r.get("Connection"))
    except BaseException:
        c.close()
        raise
    return Ws(c, r)


# --- Test builders -------------------------------------------------------

def exchange(frames, events, chop=None, pause=None):
    """A case: send `frames` (in one write, in chops of `chop` bytes, or
    frame by frame with `pause`), expect `events` in order; without a close
    among them, the connection must then close normally."""
    def t():
        with handshake() as ws:
            if pause is not None:
                ws.send_frames(frames, pause)
            else:
                ws.send(b"".join(frames), chop)
            ws.expect(*events)
            if not events or events[-1][0] != "close":
                ws.finish()
    return t


def case(name, frames, events, **kw):
    suite.add(name, exchange(frames, events, **kw))


def echo_events(opcode, data):
    return [(KIND[opcode], data)]


def text_of(n, seed=0):
    """n bytes of valid UTF-8 mixing 1- to 4-byte characters (padded with
    ASCII to the exact length)."""
    unit = "Hello κόσμε ✓ 𝄞 torn ".encode()
    rng = random.Random(seed)
    reps = n // len(unit) + 1
    data = b"".join(unit[rng.randrange(3):] for _ in range(reps))
    data = data[:n].decode("utf-8", "ignore").encode()
    return data + b"x" * (n - len(data))


def run_async(coro, timeout=60):
    """Run a websockets client; its errors fail the test in one line."""
    try:
        return asyncio.run(asyncio.wait_for(coro, timeout))
    except (websockets.exceptions.WebSocketException, OSError) as e:
        raise AssertionError("websockets: %s: %s" % (type(e).__name__, e))
    except asyncio.TimeoutError:
        raise AssertionError("websockets client not done within %.0f s"
                             % timeout)


# --- Handshake (RFC 6455 4.2) --------------------------------------------

@suite.test("handshake: 101 with the right Sec-WebSocket-Accept, then echo")
def t_handshake_ok():
    with handshake() as ws:
        check(not ws.response.has("Sec-WebSocket-Extensions"),
              "an extension agreed though none was offered")
        ws.send(frame(TEXT, b"hi"))
        ws.expect(("text", b"hi"))
        ws.finish()


def refused(status, request, header=None):
    def t():
        with Conn(target()[0]) as c:
            r = c.request(request())
            check_eq(r.status, status, "status (body %s)" % show(r.body))
            if header:
                check_eq(r.get(header[0]), header[1], header[0])
    return t


def refused_case(name, status, header=None, **kw):
    suite.add("handshake: %s -> %d" % (name, status),
              refused(status, lambda: upgrade_request(**kw), header))


refused_case("no Sec-WebSocket-Key", 400, key=None)
refused_case("Sec-WebSocket-Key not base64", 400, key="not base64 at all!")
refused_case("Sec-WebSocket-Key of 15 bytes", 400,
             key=base64.b64encode(b"x" * 15).decode())
refused_case("Sec-WebSocket-Key of 17 bytes", 400,
             key=base64.b64encode(b"x" * 17).decode())
refused_case("Sec-WebSocket-Version: 8", 426,
             ("Sec-WebSocket-Version", "13"), key=new_key(), version="8")
refused_case("no Upgrade header", 400, key=new_key(), upgrade=None)
refused_case("Upgrade: h2c", 400, key=new_key(), upgrade="h2c")
refused_case("Connection: keep-alive (no upgrade)", 400, key=new_key(),
             connection="keep-alive")
refused_case("no Connection header", 400, key=new_key(), connection=None)
refused_case("Origin of another host", 403, key=new_key(),
             extra=[("Origin", "http://evil.example")])
suite.add("handshake: plain GET /echo without upgrade -> 400",
          refused(400, lambda: build_request("GET", target()[1],
                                             [("Host", host())], host=False)))


def method_refused(method):
    def t():
        with Conn(target()[0]) as c:
            r = c.request(upgrade_request(method=method, key=new_key()),
                          method)
            check_eq(r.status, 405, "status")
            allow = [m.strip() for m in (r.get("Allow") or "").split(",")]
            check("GET" in allow and method not in allow,
                  "Allow %r should name GET only" % r.get("Allow"))
    return t


suite.add("handshake: POST -> 405", method_refused("POST"))
suite.add("handshake: HEAD -> 405", method_refused("HEAD"))


@suite.test("handshake: same-host Origin, Connection: keep-alive, Upgrade, "
            "Upgrade: WebSocket -> 101")
def t_handshake_origin_ok():
    key = new_key()
    with Conn(target()[0]) as c:
        r = c.request(upgrade_request(
            key=key, upgrade="WebSocket", connection="keep-alive, Upgrade",
            extra=[("Origin", "http://" + host())]), "GET")
        check_eq(r.status, 101, "status")
        check_eq(r.get("Sec-WebSocket-Accept"), accept_for(key),
                 "Sec-WebSocket-Accept")


# --- 1: framing ----------------------------------------------------------

for _op in (TEXT, BINARY):
    for _n in (0, 125, 126, 127, 128, 65535, 65536):
        _data = text_of(_n) if _op == TEXT else os.urandom(_n)
        case("1: %s message of %d bytes echoed" % (KIND[_op], _n),
             [frame(_op, _data)], echo_events(_op, _data))
    _data = text_of(65536, 1) if _op == TEXT else os.urandom(65536)
    case("1: %s message of 65536 bytes sent in chops of 997 bytes" %
         KIND[_op], [frame(_op, _data)], echo_events(_op, _data), chop=997)
case("1: text frame header sent one byte at a time",
     [frame(TEXT, b"x" * 300)], [("text", b"x" * 300)], chop=1)

# --- 2: pings and pongs --------------------------------------------------

_bin125 = bytes(range(256))[-125:]  # up to 0xfe 0xff
case("2: ping without payload -> pong without payload", [frame(PING)],
     [("pong", b"")])
case("2: ping with text -> pong with it", [frame(PING, b"Hello, world!")],
     [("pong", b"Hello, world!")])
case("2: ping with binary payload -> pong with it",
     [frame(PING, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")],
     [("pong", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")])
case("2: ping of 125 bytes -> pong of 125", [frame(PING, _bin125)],
     [("pong", _bin125)])
case("2: ping of 126 bytes -> close 1002", [frame(PING, b"x" * 126)],
     [("close", 1002)])
case("2: ping of 125 bytes sent in chops of 1 byte", [frame(PING, _bin125)],
     [("pong", _bin125)], chop=1)
case("2: unsolicited pong without payload ignored",
     [frame(PONG), frame(TEXT, b"after")], [("text", b"after")])
case("2: unsolicited pong with payload ignored",
     [frame(PONG, b"unsolicited"), frame(TEXT, b"after")],
     [("text", b"after")])
case("2: unsolicited pong, then ping -> pong of the ping",
     [frame(PONG, b"unsolicited"), frame(PING, b"ping")], [("pong", b"ping")])
_pings = [b"payload-%d" % i for i in range(10)]
case("2: ten pings -> ten pongs in order", [frame(PING, p) for p in _pings],
     [("pong", p) for p in _pings])
case("2: ten pings frame by frame -> ten pongs in order",
     [frame(PING, p) for p in _pings], [("pong", p) for p in _pings],
     pause=0.005)

# --- 3: reserved bits (no extension agreed) ------------------------------

case("3: text with RSV1 -> close 1002", [frame(TEXT, b"hello", rsv=RSV1)],
     [("close", 1002)])
case("3: text, text with RSV2, ping -> echo, close 1002, no pong",
     [frame(TEXT, b"ok"), frame(TEXT, b"bad", rsv=RSV2), frame(PING)],
     [("text", b"ok"), ("close", 1002)])
case("3: the same with RSV1|RSV2 frame by frame",
     [frame(TEXT, b"ok"), frame(TEXT, b"bad", rsv=RSV1 | RSV2), frame(PING)],
     [("text", b"ok"), ("close", 1002)], pause=0.01)
case("3: the same with RSV3 in chops of 1 byte",
     [frame(TEXT, b"ok"), frame(TEXT, b"bad", rsv=RSV3), frame(PING)],
     [("text", b"ok"), ("close", 1002)], chop=1)
case("3: binary with RSV1|RSV3 -> close 1002",
     [frame(BINARY, b"\x00\xff", rsv=RSV1 | RSV3)], [("close", 1002)])
case("3: ping with RSV2|RSV3 -> close 1002, no pong",
     [frame(PING, b"p", rsv=RSV2 | RSV3)], [("close", 1002)])
case("3: close with all RSV bits -> close 1002",
     [frame(CLOSE, close_payload(1000), rsv=7)], [("close", 1002)])

# --- 4: opcodes ----------------------------------------------------------

for _op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
    case("4: reserved opcode %d between a text and a ping -> echo, close "
         "1002" % _op, [frame(TEXT, b"ok"), frame(_op, b"payload"),
                        frame(PING)], [("text", b"ok"), ("close", 1002)])
case("4: reserved opcode 3 alone, empty -> close 1002", [frame(3)],
     [("close", 1002)])

# --- 5: fragmentation ----------------------------------------------------

case("5: ping in two fragments -> close 1002",
     [frame(PING, b"frag", fin=False), frame(CONT, b"ment")],
     [("close", 1002)])
case("5: pong in two fragments -> close 1002",
     [frame(PONG, b"frag", fin=False), frame(CONT, b"ment")],
     [("close", 1002)])
case("5: close in two fragments -> close 1002",
     [frame(CLOSE, close_payload(1000), fin=False), frame(CONT, b"x")],
     [("close", 1002)])
_frag2 = [frame(TEXT, b"frag", fin=False), frame(CONT, b"ment")]
case("5: text in two fragments -> echo", _frag2, [("text", b"fragment")])
case("5: text in two fragments frame by frame", _frag2,
     [("text", b"fragment")], pause=0.02)
case("5: text in two fragments in chops of 1 byte", _frag2,
     [("text", b"fragment")], chop=1)
case("5: binary in three fragments -> echo",
     [frame(BINARY, b"\x00\x01", fin=False), frame(CONT, b"\x02", fin=False),
      frame(CONT, b"\xff")], [("binary", b"\x00\x01\x02\xff")])
case("5: text fragments with a ping between -> pong, then echo",
     [frame(TEXT, b"frag", fin=False), frame(PING, b"mid"),
      frame(CONT, b"ment")], [("pong", b"mid"), ("text", b"fragment")])
case("5: the same frame by frame", [frame(TEXT, b"frag", fin=False),
                                    frame(PING, b"mid"),
                                    frame(CONT, b"ment")],
     [("pong", b"mid"), ("text", b"fragment")], pause=0.02)
case("5: the same in chops of 1 byte", [frame(TEXT, b"frag", fin=False),
                                        frame(PING, b"mid"),
                                        frame(CONT, b"ment")],
     [("pong", b"mid"), ("text", b"fragment")], chop=1)
case("5: binary fragments with an unsolicited pong between -> echo",
     [frame(BINARY, b"ab", fin=False), frame(PONG, b"x"),
      frame(CONT, b"cd")], [("binary", b"abcd")])
case("5: five fragments, a ping after each but the last, with pauses",
     [f for i in range(5) for f in
      ([frame(TEXT if i == 0 else CONT, b"f%d" % i, fin=i == 4)] +
       ([frame(PING, b"p%d" % i)] if i < 4 else []))],
     [("pong", b"p%d" % i) for i in range(4)] +
     [("text", b"f0f1f2f3f4")], pause=0.05)
case("5: continuation (FIN) with nothing to continue -> close 1002",
     [frame(CONT, b"orphan")], [("close", 1002)])
case("5: continuation (no FIN) with nothing to continue -> close 1002",
     [frame(CONT, b"orphan", fin=False)], [("close", 1002)])
case("5: continuation after a finished message -> echo, close 1002",
     [frame(TEXT, b"done"), frame(CONT, b"more")],
     [("text", b"done"), ("close", 1002)])
case("5: fragmented text, then a continuation without FIN, then a text "
     "-> echo, close 1002",
     [frame(TEXT, b"frag", fin=False), frame(CONT, b"ment"),
      frame(CONT, b"stray", fin=False), frame(TEXT, b"new")],
     [("text", b"fragment"), ("close", 1002)])
case("5: a text begun inside a fragmented text -> close 1002",
     [frame(TEXT, b"frag", fin=False), frame(TEXT, b"ment")],
     [("close", 1002)])
case("5: a binary begun inside a fragmented text -> close 1002",
     [frame(TEXT, b"frag", fin=False), frame(BINARY, b"ment", fin=False)],
     [("close", 1002)])
case("5: text of 100 one-byte fragments and empty ones -> echo",
     [frame(TEXT, b"", fin=False)] +
     [frame(CONT, b"%d" % (i % 10), fin=False) for i in range(100)] +
     [frame(CONT, b"", fin=False), frame(CONT, b"")],
     [("text", b"".join(b"%d" % (i % 10) for i in range(100)))])
_big = os.urandom(200000)
case("5: binary of 200000 bytes in 4 fragments of mixed length sizes, "
     "pings between", [frame(BINARY, _big[:100], fin=False),
                       frame(PING, b"1"),
                       frame(CONT, _big[100:70000], fin=False),
                       frame(PING, b"2"),
                       frame(CONT, _big[70000:199999], fin=False),
                       frame(CONT, _big[199999:])],
     [("pong", b"1"), ("pong", b"2"), ("binary", _big)])
case("5: unmasked text frame -> close 1002",
     [frame(TEXT, b"bare", masked=False)], [("close", 1002)])
case("5: masked text, then an unmasked continuation -> close 1002",
     [frame(TEXT, b"a", fin=False), frame(CONT, b"b", masked=False)],
     [("close", 1002)])

# --- 6: UTF-8 ------------------------------------------------------------

VALID_UTF8 = [
    ("ASCII and Latin-1", "Hello-µ@ßöäüàá-UTF-8!!".encode()),
    ("Greek", "κόσμε".encode()),
    ("1-byte bounds", b"\x00\x7f"),
    ("2-byte bounds", b"\xc2\x80\xdf\xbf"),
    ("3-byte bounds", b"\xe0\xa0\x80\xef\xbf\xbf"),
    ("4-byte bounds", b"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
    ("around the surrogates", b"\xed\x9f\xbf\xee\x80\x80"),
    ("U+FFFD, U+FFFE, U+FFFF", b"\xef\xbf\xbd\xef\xbf\xbe\xef\xbf\xbf"),
    ("emoji and a musical symbol", "🙂𝄞".encode()),
]

INVALID_UTF8 = [
    ("a lone continuation byte 0x80", b"ab\x80cd"),
    ("a lone continuation byte 0xbf", b"\xbf"),
    ("a 2-byte start before a space", b"\xc3 "),
    ("a 3-byte start followed by ASCII", b"\xe2\x82a"),
    ("overlong '/' in 2 bytes", b"\xc0\xaf"),
    ("overlong NUL in 2 bytes", b"\xc0\x80"),
    ("overlong U+007F as 0xc1 0xbf", b"\xc1\xbf"),
    ("overlong '/' in 3 bytes", b"\xe0\x80\xaf"),
    ("overlong '/' in 4 bytes", b"\xf0\x80\x80\xaf"),
    ("surrogate U+D800", b"\xed\xa0\x80"),
    ("surrogate U+DFFF", b"\xed\xbf\xbf"),
    ("a surrogate inside 'κόσμε...edited'",
     "κόσμε".encode() + b"\xed\xa0\x80edited"),
    ("above U+10FFFF (f4 90 80 80)", b"\xf4\x90\x80\x80"),
    ("byte 0xf5", b"\xf5\x80\x80\x80"),
    ("byte 0xfe", b"\xfe"),
    ("byte 0xff", b"\xff"),
    ("a 5-byte sequence", b"\xf8\x88\x80\x80\x80"),
    ("a 6-byte sequence", b"\xfc\x84\x80\x80\x80\x80"),
    ("a 3-byte sequence cut at the end", b"ok\xe2\x82"),
    ("a 4-byte sequence cut at the end", b"\xf0\x9f\x99"),
]

for _name, _data in VALID_UTF8:
    case("6: valid UTF-8 (%s) echoed" % _name, [frame(TEXT, _data)],
         [("text", _data)])
    case("6: valid UTF-8 (%s) in 1-byte fragments echoed" % _name,
         [fragments(TEXT, _data, 1)], [("text", _data)])
case("6: empty text in three empty fragments echoed",
     [frame(TEXT, b"", fin=False), frame(CONT, b"", fin=False),
      frame(CONT, b"")], [("text", b"")])
for _name, _data in INVALID_UTF8:
    case("6: invalid UTF-8 (%s) -> close 1007" % _name,
         [frame(TEXT, _data)], [("close", 1007)])
for _name, _data in INVALID_UTF8[::3]:
    case("6: invalid UTF-8 (%s) in 1-byte fragments -> close 1007" % _name,
         [fragments(TEXT, _data, 1)], [("close", 1007)])


def fail_fast(first, split_frame=False):
    """Send the start of a text message holding an invalid sequence and
    never the rest: the server must close with 1007 at once, not wait for
    the message (or, with `split_frame`, the frame) to end."""
    def t():
        with handshake() as ws:
            if split_frame:
                rest = b"x" * 1000
                whole = frame(TEXT, first + rest)
                ws.send(whole[:-len(rest)])
            else:
                ws.send(frame(TEXT, first, fin=False))
            ws.expect(("close", 1007))
    return t


_kosme = "κόσμε".encode()
suite.add("6: fail fast: a first fragment (no FIN) with an invalid sequence "
          "-> close 1007 before the rest", fail_fast(_kosme + b"\xf4\x90\x80"
                                                     b"\x80edited"))
suite.add("6: fail fast: an overlong sequence in a first fragment -> 1007",
          fail_fast(b"abc\xc0\xaf"))
suite.add("6: fail fast inside a frame: the start of a frame's payload "
          "holds an invalid sequence -> close 1007 before the rest",
          fail_fast(_kosme + b"\xed\xa0\x80edited", split_frame=True))
case("6: invalid sequence split across fragments (f4 | 90 80 80) -> 1007",
     [frame(TEXT, _kosme + b"\xf4", fin=False),
      frame(CONT, b"\x90\x80\x80", fin=False)], [("close", 1007)],
     pause=0.02)
case("6: a valid 4-byte character split across three fragments -> echo",
     [frame(TEXT, b"a\xf0", fin=False), frame(CONT, b"\x9f\x99", fin=False),
      frame(CONT, b"\x82b")], [("text", "a🙂b".encode())], pause=0.02)
case("6: a sequence cut at the end of the last fragment -> close 1007",
     [frame(TEXT, b"ok", fin=False), frame(CONT, b"\xe2\x82")],
     [("close", 1007)])
case("6: invalid UTF-8 in a binary message is fine", [frame(BINARY, b"\xff\xc0")],
     [("binary", b"\xff\xc0")])

# --- 7: the close handshake ----------------------------------------------

# Valid close codes (RFC 6455 7.4.1, 7.4.2). 1012-1014 are registered with
# IANA since the RFC (service restart, try again later, bad gateway) and are
# sent by real servers, so they are valid; 1015 (TLS failure), like 1005 and
# 1006, must never appear on the wire; the rest of 1000-2999 is reserved
# for future RFCs and is a protocol error until one defines it.
VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
               1013, 1014, 3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999,
                 5000, 65535]

case("7: text then close 1000 -> echo, close 1000",
     [frame(TEXT, b"bye"), frame(CLOSE, close_payload(1000))],
     [("text", b"bye"), ("close", 1000)])
case("7: two closes -> one answer, then the end",
     [frame(CLOSE, close_payload(1000)), frame(CLOSE, close_payload(1001))],
     [("close", 1000)])
case("7: close then ping -> no pong",
     [frame(CLOSE, close_payload(1000)), frame(PING, b"late")],
     [("close", 1000)])
case("7: close then text -> no echo",
     [frame(CLOSE, close_payload(1000)), frame(TEXT, b"late")],
     [("close", 1000)])
case("7: fragment, close, continuation -> close, no echo",
     [frame(TEXT, b"frag", fin=False), frame(CLOSE, close_payload(1000)),
      frame(CONT, b"ment")], [("close", 1000)])
case("7: empty close -> empty close", [frame(CLOSE)], [("close", None)])
case("7: close with a 1-byte payload -> close 1002", [frame(CLOSE, b"\x03")],
     [("close", 1002)])
case("7: close 1000 with a reason -> close 1000",
     [frame(CLOSE, close_payload(1000, b"Hello World!"))], [("close", 1000)])
case("7: close 1000 with a 123-byte reason -> close 1000",
     [frame(CLOSE, close_payload(1000, b"*" * 123))], [("close", 1000)])
case("7: close with a 124-byte reason (payload 126) -> close 1002",
     [frame(CLOSE, close_payload(1000, b"*" * 124))], [("close", 1002)])
case("7: close reason not UTF-8 -> close 1002",
     [frame(CLOSE, close_payload(1000, _kosme + b"\xed\xa0\x80edited"))],
     [("close", 1002)])
for _code in VALID_CODES:
    case("7: close %d echoed" % _code, [frame(CLOSE, close_payload(_code))],
         [("close", _code)])
for _code in INVALID_CODES:
    case("7: close with invalid code %d -> close 1002" % _code,
         [frame(CLOSE, close_payload(_code))], [("close", 1002)])


@suite.test("7: after a protocol error the server's close comes first; "
            "frames the client still sends are ignored; the client's close "
            "ends it")
def t_close_then_data():
    with handshake() as ws:
        ws.send(frame(TEXT, b"first") + frame(5))  # a reserved opcode
        ws.expect(("text", b"first"))
        got = ws.read_event("a close frame")
        check_eq(got[0], "close", "event after a reserved opcode")
        check_eq(got[1][0], 1002, "close code")
        ws.send(frame(TEXT, b"ignored") + frame(PING, b"ignored"))
        ws.answer_close(1002)


@suite.test("7: a client that never answers the close is cut (within "
            "%.0f s)" % SLOW_CLOSE_LIMIT)
def t_close_unanswered():
    with handshake() as ws:
        ws.send(frame(TEXT, b"bad", rsv=RSV2))
        got = ws.read_event("a close frame")
        check(got[0] == "close" and got[1][0] == 1002,
              "expected close 1002, got %s" % describe_event(got))
        ws.expect_eof(SLOW_CLOSE_LIMIT)


def stopping_server(answer):
    """A close the server starts: on SIGTERM an open WebSocket gets close
    1001; answered or not, the connection ends and the server exits 0
    (a failed connection, above, may be cut without waiting; this close
    must wait for the peer's answer, but not for ever)."""
    def t():
        if WS_URL:
            raise Skip("needs a server of its own to stop")
        s = Server(shared.binary).start()
        try:
            with handshake(port=s.port) as ws:
                ws.send(frame(TEXT, b"before the stop"))
                ws.expect(("text", b"before the stop"))
                s.proc.send_signal(signal.SIGTERM)
                got = ws.read_event("a close frame")
                check(got[0] == "close" and got[1][0] == 1001,
                      "expected close 1001, got %s" % describe_event(got))
                if answer:
                    ws.answer_close(1001)
                else:
                    ws.expect_eof(SLOW_CLOSE_LIMIT)
            try:
                code = s.proc.wait(SLOW_CLOSE_LIMIT)
            except subprocess.TimeoutExpired:
                raise AssertionError("server still running %.0f s after "
                                     "SIGTERM" % SLOW_CLOSE_LIMIT)
            check_eq(code, 0, "exit status (stderr %s)" % s.stderr_tail())
            check(not sanitizer_lines(s.stderr_text()), "sanitizer report: "
                  "%s" % s.stderr_tail())
        finally:
            s.kill()
    return t


suite.add("7: SIGTERM -> close 1001 to an open WebSocket; answered, the "
          "connection ends and the server exits 0", stopping_server(True))
suite.add("7: SIGTERM -> close 1001; a peer that never answers is cut "
          "(within %.0f s) and the server exits 0" % SLOW_CLOSE_LIMIT,
          stopping_server(False))


# --- 9: limits and large messages ----------------------------------------

def size_name(n):
    return "%d MiB" % (n >> 20) if n >= 1 << 20 else "%d KiB" % (n >> 10)


def large_echo(opcode, size, fragment=None, chop=None):
    def t():
        data = text_of(size, size) if opcode == TEXT else os.urandom(size)
        with handshake() as ws:
            if fragment:
                ws.send(fragments(opcode, data, fragment))
            else:
                ws.send(frame(opcode, data), chop)
            ws.expect((KIND[opcode], data))
            ws.finish()
    return t


for _op in (TEXT, BINARY):
    for _size in (64 << 10, 1 << 20, 4 << 20, MAX_MESSAGE):
        suite.add("9: %s message of %s echoed" % (KIND[_op], size_name(_size)),
                  large_echo(_op, _size))
    suite.add("9: %s message of 16 MiB in 64 KiB fragments echoed"
              % KIND[_op], large_echo(_op, MAX_MESSAGE, fragment=64 << 10))
    suite.add("9: %s message of 1 MiB in 64-byte fragments echoed"
              % KIND[_op], large_echo(_op, 1 << 20, fragment=64))
    suite.add("9: %s message of 256 KiB sent in chops of 4096 bytes"
              % KIND[_op], large_echo(_op, 256 << 10, chop=4096))


@suite.test("9: 1000 small messages in one write echoed in order")
def t_many_messages():
    msgs = [(TEXT if i % 2 else BINARY, text_of(i % 200, i)) for i in
            range(1000)]
    with handshake() as ws:
        ws.send(b"".join(frame(op, d) for op, d in msgs))
        for op, d in msgs:
            ws.expect((KIND[op], d))
        ws.finish()


def too_big(fragment=None):
    """A message one byte over the limit: close 1009. The payload goes out
    from a thread, as the server may stop reading once it has decided."""
    def t():
        data = b"x" * (MAX_MESSAGE + 1)
        wire = fragments(BINARY, data, fragment) if fragment else \
            frame(BINARY, data)
        with handshake() as ws:
            sender = threading.Thread(target=_send_quietly,
                                      args=(ws.sock, wire), daemon=True)
            sender.start()
            got = ws.read_event("a close frame")
            check(got[0] == "close" and got[1][0] == 1009,
                  "expected close 1009, got %s" % describe_event(got))
            sender.join(SLOW_CLOSE_LIMIT)
            ws.answer_close(1009)
    return t


def _send_quietly(sock, data):
    try:
        sock.sendall(data)
    except OSError:
        pass


suite.add("9: a binary frame of 16 MiB + 1 -> close 1009", too_big())
suite.add("9: a message of 16 MiB + 1 in 64 KiB fragments -> close 1009",
          too_big(64 << 10))

# --- 12, 13: permessage-deflate ------------------------------------------

def deflate_combo(kw, check_params):
    """Messages of many sizes, text and binary, whole and fragmented, through
    websockets' permessage-deflate with the offer `kw`."""
    async def go():
        factory = ClientPerMessageDeflateFactory(**kw)
        async with websockets.connect(url(), extensions=[factory],
                                      compression=None, max_size=None,
                                      ping_interval=None,
                                      open_timeout=TIMEOUT,
                                      close_timeout=TIMEOUT) as ws:
            header = ws.response_headers.get("Sec-WebSocket-Extensions")
            note("offer %r, answer %r" % (kw, header))
            check(ws.extensions, "permessage-deflate not agreed: %r" % header)
            check_params(Deflate(header).params)
            rng = random.Random(repr(kw))
            for size in (0, 1, 16, 64, 200, 1024, 4096, 16384, 65536, 131072,
                         1 << 20):
                for kind in ("text", "json", "binary", "random"):
                    data = message_of(kind, size, rng)
                    await ws.send(data)
                    got = await ws.recv()
                    check(got == data, "%s message of %d bytes came back "
                          "different%s" % (kind, size, first_difference(
                              as_bytes(data), as_bytes(got))))
            text = text_of(300000, 7).decode()
            await ws.send([text[i:i + 4096] for i in
                           range(0, len(text), 4096)])
            check(await ws.recv() == text, "text of 300000 bytes sent in "
                  "fragments came back different")
    return lambda: run_async(go())


def as_bytes(x):
    return x.encode() if isinstance(x, str) else x


def message_of(kind, size, rng):
    if kind == "text":
        return text_of(size, size).decode()
    if kind == "json":
        rows = ('{"id": %d, "name": "user%d", "tags": ["a", "b"]}, '
                % (i, i * 7) for i in range(size // 40 + 1))
        return ("[" + "".join(rows))[:size]
    if kind == "binary":  # compressible: few distinct bytes, repeated
        block = bytes(rng.randrange(16) for _ in range(min(size, 4096)))
        return (block * (size // 4096 + 1))[:size]
    return rng.randbytes(size)


def response_params(offer):
    """What the answer to `offer` must say: server_no_context_takeover
    always (torn resets its compressor per message); a server window no
    larger than asked; client parameters only where allowed."""
    def check_params(p):
        check("server_no_context_takeover" in p, "server_no_context_takeover "
              "missing from the answer %r" % p)
        if offer.get("server_max_window_bits"):
            bits = int(p.get("server_max_window_bits") or 15)
            check(bits <= offer["server_max_window_bits"], "server window %d "
                  "larger than the %d asked" % (bits,
                                                offer["server_max_window_bits"]))
        # (websockets offers client_max_window_bits unless told None.)
        if offer.get("client_max_window_bits", True) is None:
            check("client_max_window_bits" not in p, "client_max_window_bits "
                  "answered though not offered")
        for name in p:
            check(name in ("server_no_context_takeover",
                           "client_no_context_takeover",
                           "server_max_window_bits",
                           "client_max_window_bits"),
                  "unknown parameter %s in the answer" % name)
    return check_params


DEFLATE_OFFERS = [
    {},
    {"client_max_window_bits": None},
    {"server_no_context_takeover": True},
    {"client_no_context_takeover": True},
    {"server_no_context_takeover": True, "client_no_context_takeover": True},
    {"server_max_window_bits": 9},
    {"server_max_window_bits": 12},
    {"server_max_window_bits": 15},
    {"client_max_window_bits": 9},
    {"client_max_window_bits": 15},
    {"server_max_window_bits": 9, "client_max_window_bits": 9,
     "client_no_context_takeover": True, "server_no_context_takeover": True},
]
for _kw in DEFLATE_OFFERS:
    suite.add("12/13: permessage-deflate %s: messages of 0 B..1 MiB echoed"
              % (", ".join("%s=%s" % i for i in sorted(_kw.items()))
                 or "default offer"),
              deflate_combo(_kw, response_params(_kw)))


@suite.test("12: compressed and uncompressed messages on one connection; "
            "a compressible echo comes back compressed")
def t_deflate_mixed():
    with handshake("permessage-deflate") as ws:
        check(ws.deflate, "permessage-deflate not agreed")
        big = text_of(65536, 3)
        for data, compress in ((b"plain", False), (big, True), (big, False),
                               (b"small compressed", True), (b"", True)):
            ws.send_message(TEXT, data, compress)
            ws.expect(("text", data))
        ws.send_message(BINARY, big, True)
        fin, rsv, opcode, payload = ws.read_frame("the echo")
        check(fin and opcode == BINARY and rsv == RSV1,
              "a 64 KiB compressible echo: expected one compressed binary "
              "frame, got fin=%d rsv=%d opcode=%d" % (fin, rsv, opcode))
        check(len(payload) < len(big) // 2, "compressed to only %d bytes"
              % len(payload))
        check_eq(ws.deflate.inflate(payload), big, "inflated echo")
        ws.finish()


@suite.test("13: server_max_window_bits=9 is honoured (the echo inflates "
            "with a 512-byte window)")
def t_deflate_window():
    with handshake("permessage-deflate; server_max_window_bits=9") as ws:
        check(ws.deflate, "permessage-deflate not agreed")
        check(ws.deflate.server_bits <= 9, "server window %d"
              % ws.deflate.server_bits)
        block = os.urandom(2000)
        data = block * 20  # repeats 2000 bytes back: beyond a 512-byte window
        for _ in range(3):
            ws.send_message(BINARY, data, True)
            ws.expect(("binary", data))
        ws.finish()


@suite.test("13: with context takeover the client's second message refers "
            "to the first")
def t_deflate_context():
    with handshake("permessage-deflate") as ws:
        check(ws.deflate and not ws.deflate.client_reset,
              "expected client context takeover to be allowed")
        data = os.urandom(3000)
        ws.send_message(BINARY, data, True)
        ws.expect(("binary", data))
        second = ws.deflate.compress(data)
        check(len(second) < 100, "test setup: second message not a "
              "back-reference")
        ws.send(frame(BINARY, second, rsv=RSV1))
        ws.expect(("binary", data))
        ws.finish()


def bomb(pieces):
    """Compressed data inflating to 16 MiB + 1 MiB of zeros: close 1009."""
    def t():
        with handshake("permessage-deflate") as ws:
            check(ws.deflate, "permessage-deflate not agreed")
            z = zlib.compressobj(9, zlib.DEFLATED, -15)
            chunk = b"\x00" * (1 << 20)
            data = b"".join(z.compress(chunk) for _ in range(17)) + \
                z.flush(zlib.Z_SYNC_FLUSH)[:-4]
            note("bomb: %d compressed bytes" % len(data))
            step = len(data) // pieces + 1
            parts = [data[i:i + step] for i in range(0, len(data), step)]
            ws.send(b"".join(frame(BINARY if i == 0 else CONT, p,
                                   fin=i == len(parts) - 1,
                                   rsv=RSV1 if i == 0 else 0)
                             for i, p in enumerate(parts)))
            ws.expect(("close", 1009))
    return t


suite.add("12: a compression bomb (17 KiB inflating to 17 MiB) -> close 1009",
          bomb(1))
suite.add("12: the same bomb in 8 fragments -> close 1009", bomb(8))


@suite.test("12: a compressed message inflating to exactly 16 MiB echoed")
def t_deflate_at_limit():
    with handshake("permessage-deflate") as ws:
        data = (b"0123456789abcdef" * 4096) * 256
        ws.send_message(BINARY, data, True)
        ws.expect(("binary", data))
        ws.finish()


def deflate_error(name, build, code):
    def t():
        with handshake("permessage-deflate") as ws:
            check(ws.deflate, "permessage-deflate not agreed")
            ws.send(build(ws))
            ws.expect(("close", code))
    suite.add("12: %s -> close %d" % (name, code), t)


deflate_error("RSV1 on a continuation frame",
              lambda ws: frame(TEXT, b"a", fin=False) +
              frame(CONT, ws.deflate.compress(b"b"), rsv=RSV1), 1002)
deflate_error("RSV1 on a ping", lambda ws: frame(PING, b"p", rsv=RSV1), 1002)
# RFC 7692 leaves the code for corrupt data open; torn's contract says 1007.
deflate_error("corrupt compressed data",
              lambda ws: frame(BINARY, b"\xff\xff\xff\xff garbage", rsv=RSV1),
              1007)
deflate_error("compressed text that inflates to invalid UTF-8",
              lambda ws: frame(TEXT, ws.deflate.compress(b"ok\xc0\xaf"),
                               rsv=RSV1), 1007)


def declined(offer):
    def t():
        with handshake(offer) as ws:
            check(ws.deflate is None, "invalid offer %r accepted: %r" % (
                offer, ws.response.get("Sec-WebSocket-Extensions")))
            ws.send(frame(TEXT, b"still works"))
            ws.expect(("text", b"still works"))
            ws.finish()
    return t


for _offer in ("permessage-deflate; server_max_window_bits=7",
               "permessage-deflate; server_max_window_bits=16",
               "permessage-deflate; server_max_window_bits",
               "permessage-deflate; client_max_window_bits=99",
               "permessage-deflate; client_max_window_bits=abc",
               "permessage-deflate; server_no_context_takeover=1",
               "permessage-deflate; foo=bar",
               "permessage-deflate; server_no_context_takeover; "
               "server_no_context_takeover",
               "x-webkit-deflate-frame"):
    suite.add("12: invalid offer %r declined, connection works" % _offer,
              declined(_offer))


@suite.test("12: an invalid offer is skipped for the valid one after it")
def t_deflate_second_offer():
    with handshake("permessage-deflate; server_max_window_bits=7, "
                   "permessage-deflate; client_max_window_bits") as ws:
        check(ws.deflate, "the second, valid offer was not accepted")
        check("server_max_window_bits" not in ws.deflate.params or
              ws.deflate.server_bits >= 8, "the first offer's window "
              "answered: %r" % ws.deflate.params)
        ws.send_message(TEXT, b"second offer", True)
        ws.expect(("text", b"second offer"))
        ws.finish()


# --- Robustness and concurrency ------------------------------------------

@suite.test("a client stuck in the middle of a frame or a handshake does not "
            "hold the others up")
def t_misbehaving():
    whole = frame(TEXT, b"x" * 100)
    with handshake() as stuck:
        stuck.send(whole[:20])
        with Conn(target()[0]) as half:
            half.send(upgrade_request(key=new_key())[:40])
            with handshake() as other:
                other.send(frame(TEXT, b"served"))
                other.expect(("text", b"served"))
                other.finish()
        stuck.send(whole[20:])
        stuck.expect(("text", b"x" * 100))
        stuck.finish()


@suite.test("websockets: 50 concurrent connections, 20 messages each, "
            "echoed exactly")
def t_concurrent():
    async def one(i):
        rng = random.Random(i)
        async with websockets.connect(
                url(), compression="deflate" if i % 2 else None,
                max_size=None, ping_interval=None, open_timeout=TIMEOUT,
                close_timeout=TIMEOUT) as ws:
            for k in range(20):
                size = rng.choice((0, 10, 125, 126, 1000, 70000))
                data = text_of(size, k).decode() if k % 2 else \
                    rng.randbytes(size)
                await ws.send(data)
                got = await ws.recv()
                check(got == data, "connection %d message %d (%d bytes) came "
                      "back different" % (i, k, size))
            pong = await ws.ping(b"c%d" % i)
            await asyncio.wait_for(pong, TIMEOUT)

    async def go():
        await asyncio.gather(*(one(i) for i in range(50)))
    run_async(go())


@suite.test("websockets: close 4000 with a reason is answered with 4000")
def t_ws_close():
    async def go():
        ws = await websockets.connect(url(), compression=None,
                                      ping_interval=None,
                                      open_timeout=TIMEOUT,
                                      close_timeout=TIMEOUT)
        await ws.send("last")
        check_eq(await ws.recv(), "last", "echo")
        await ws.close(4000, "done here")
        check_eq(ws.close_code, 4000, "close code the server answered")
    run_async(go())


def main():
    if not WS_URL:
        return shared.main(suite, banner="WebSocket conformance of /echo")
    install_signal_handlers()
    print("# WebSocket conformance of %s" % WS_URL, flush=True)
    return suite.run()


if __name__ == "__main__":
    sys.exit(main())
