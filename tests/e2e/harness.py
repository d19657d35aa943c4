"""Shared helpers for torn's end-to-end tests.

Python standard library only; run with /usr/bin/python3.

- Server: start a server binary on a free loopback port, wait until it
  accepts, stop it with SIGTERM (must exit 0 within 5 s), and scan its
  stderr for sanitizer reports. Every server started is killed at exit.
- Conn: a raw-socket HTTP/1.x client connection whose reader parses status
  line, headers and body (Content-Length, chunked, or until close), and can
  read several pipelined responses from one stream.
- Suite: a minimal TAP producer. One test's exception never stops the rest;
  run() returns 1 if any test failed.

Every wait is bounded: socket operations by TIMEOUT seconds (default 10,
override with TORN_E2E_TIMEOUT), subprocesses by explicit timeouts.
"""

import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HOST = "127.0.0.1"
TIMEOUT = float(os.environ.get("TORN_E2E_TIMEOUT", "10"))
STOP_TIMEOUT = 5.0
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


# --- Diagnostics --------------------------------------------------------

class Skip(Exception):
    """Raise in a test to report it as `ok K - name # SKIP reason`."""


_notes = []


def note(msg):
    """Remember a line of context; printed only if the current test fails."""
    _notes.append(str(msg))


def show(data, limit=400):
    """A bytes value as a short, readable repr."""
    if len(data) > limit:
        return "%r... (%d bytes)" % (data[:limit], len(data))
    return repr(data)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def check_eq(got, want, what):
    if got != want:
        raise AssertionError("%s: expected %r, got %r" % (what, want, got))


# --- Ports and servers --------------------------------------------------

def free_port():
    """A TCP port on the loopback address that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sanitizer_lines(text):
    """Lines of `text` that look like sanitizer reports."""
    return [l for l in text.splitlines()
            if any(m in l for m in SANITIZER_MARKERS)]


_live_servers = []


class ServerError(AssertionError):
    pass


class Server:
    """One server process: `binary --address 127.0.0.1 --port N [args]`."""

    def __init__(self, binary, args=()):
        self.binary = binary
        self.args = list(args)
        self.proc = None
        self.port = None
        self.stdout_file = None
        self.stderr_file = None
        self._stderr_seen = 0

    # Start and readiness.
    def start(self, ready_timeout=4 * TIMEOUT):
        last = None
        for _attempt in range(3):
            self.port = free_port()
            self.stdout_file = tempfile.TemporaryFile()
            self.stderr_file = tempfile.TemporaryFile()
            self._stderr_seen = 0
            cmd = [self.binary, "--address", HOST, "--port", str(self.port)]
            cmd += self.args
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=self.stdout_file,
                stderr=self.stderr_file, start_new_session=True)
            _live_servers.append(self)
            try:
                self._wait_ready(ready_timeout)
                return self
            except ServerError as e:
                last = e
                self.kill()
                # Another process may have taken the port in between: retry.
                if "in use" not in self.stderr_text().lower():
                    raise
        raise last

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise ServerError("server exited with status %s before "
                                  "accepting; stderr: %s"
                                  % (code, self.stderr_tail()))
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerError("server did not accept on port %d within "
                                  "%.0f s; stderr: %s"
                                  % (self.port, timeout, self.stderr_tail()))
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # Output.
    def _read(self, f):
        if f is None:
            return ""
        f.flush()
        pos = f.tell()
        f.seek(0)
        data = f.read()
        f.seek(pos)
        return data.decode("utf-8", "replace")

    def stderr_text(self):
        return self._read(self.stderr_file)

    def stdout_text(self):
        return self._read(self.stdout_file)

    def stderr_tail(self, n=1500):
        t = self.stderr_text()
        return repr(t[-n:]) if t else "(empty)"

    def new_sanitizer_lines(self):
        """Sanitizer report lines written to stderr since the last call."""
        t = self.stderr_text()
        new = t[self._stderr_seen:]
        self._stderr_seen = len(t)
        return sanitizer_lines(new)

    # Stop.
    def signal_stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send `sig` and wait; returns the exit status, or None if the
        server was still running after `timeout` (it is then killed)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def stop(self, sig=signal.SIGTERM):
        """Stop with `sig`; raise unless the server exits 0 within 5 s and
        its stderr holds no sanitizer report."""
        was_running = self.alive()
        code = self.signal_stop(sig)
        if code is None:
            raise ServerError("server still running %.0f s after %s (killed)"
                              % (STOP_TIMEOUT, signal.Signals(sig).name))
        if not was_running:
            raise ServerError("server had already exited with status %s; "
                              "stderr: %s" % (code, self.stderr_tail()))
        if code != 0:
            raise ServerError("server exited with status %s after %s; "
                              "stderr: %s" % (code, signal.Signals(sig).name,
                                              self.stderr_tail()))
        found = sanitizer_lines(self.stderr_text())
        if found:
            raise ServerError("sanitizer report in stderr: %s"
                              % "; ".join(found[:5]))
        return code

    def kill(self):
        """SIGKILL the server (and anything in its session) if running."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                try:
                    self.proc.kill()
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    def connect(self, timeout=TIMEOUT):
        return Conn(self.port, timeout=timeout)


def kill_all_servers():
    for s in _live_servers:
        s.kill()


atexit.register(kill_all_servers)


def _on_signal(signum, _frame):
    kill_all_servers()
    sys.exit(128 + signum)


def install_signal_handlers():
    """Make SIGTERM/SIGINT/SIGHUP to the test runner kill its servers."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def run_cmd(argv, timeout=2 * TIMEOUT):
    """Run a command, bounded; returns CompletedProcess (bytes output).
    A command still running after `timeout` is killed and reported."""
    note("run: %s" % " ".join(argv))
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("command did not finish within %.0f s: %s"
                             % (timeout, " ".join(argv))) from e


# --- HTTP client side ---------------------------------------------------

class Response:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version      # "HTTP/1.1"
        self.status = status        # 200
        self.reason = reason        # "OK"
        self.headers = headers      # [(name, value)] as received (str)
        self.body = body            # bytes
        self.raw_head = raw_head    # bytes: status line + headers + CRLFCRLF

    @property
    def status_line(self):
        return "%s %d %s" % (self.version, self.status, self.reason)

    def get_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def get(self, name, default=None):
        vals = self.get_all(name)
        return vals[0] if vals else default

    def has(self, name):
        return bool(self.get_all(name))

    def __repr__(self):
        return "<Response %s, %d headers, body %s>" % (
            self.status_line, len(self.headers), show(self.body, 120))


class ProtocolError(AssertionError):
    pass


class Closed(AssertionError):
    """The peer closed the connection while a response was expected."""


_STATUS_RE = re.compile(rb"^(HTTP/\d\.\d) (\d{3}) ?(.*)$")
_TOKEN_RE = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class Conn:
    """A client connection with a buffered HTTP/1.x response reader."""

    def __init__(self, port, host=HOST, timeout=TIMEOUT, nodelay=True):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # Sending.
    def send(self, data):
        note("sent: %s" % show(data))
        self.sock.sendall(data)

    def send_slowly(self, data, delay=0.002):
        """One send() per byte, with a tiny sleep in between."""
        note("sent byte by byte: %s" % show(data))
        for i in range(len(data)):
            self.sock.sendall(data[i:i + 1])
            time.sleep(delay)

    # Receiving.
    def _fill(self, what):
        """Read more bytes into the buffer; raise Closed at EOF."""
        if self.eof:
            raise Closed("connection closed by server while reading %s; "
                         "unparsed bytes: %s" % (what, show(self.buf)))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError("no data from server within %.0f s while "
                                 "reading %s; have: %s"
                                 % (self.timeout, what, show(self.buf)))
        except ConnectionResetError:
            self.eof = True
            raise Closed("connection reset by server while reading %s; "
                         "unparsed bytes: %s" % (what, show(self.buf)))
        if not chunk:
            self.eof = True
            raise Closed("connection closed by server while reading %s; "
                         "unparsed bytes: %s" % (what, show(self.buf)))
        self.buf += chunk

    def _read_until(self, sep, what, limit=1 << 20):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i + len(sep)], self.buf[i + len(sep):]
                return out
            if len(self.buf) > limit:
                raise ProtocolError("%s longer than %d bytes" % (what, limit))
            self._fill(what)

    def _read_exact(self, n, what):
        while len(self.buf) < n:
            self._fill(what)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, method="GET", deadline=6 * TIMEOUT):
        """Read one response. `method` is the request's method (a HEAD
        response has no body). Each recv is bounded by the socket timeout,
        the whole response by `deadline` seconds."""
        end = time.monotonic() + deadline
        head = self._read_until(b"\r\n\r\n", "response head")
        lines = head[:-4].split(b"\r\n")
        m = _STATUS_RE.match(lines[0])
        if not m:
            raise ProtocolError("bad status line %r (head %s)"
                                % (lines[0], show(head)))
        version = m.group(1).decode()
        status = int(m.group(2))
        reason = m.group(3).decode("latin-1")
        headers = []
        for line in lines[1:]:
            if b":" not in line:
                raise ProtocolError("response header line without colon: %r"
                                    % line)
            name, value = line.split(b":", 1)
            if not _TOKEN_RE.match(name):
                raise ProtocolError("bad response header name %r" % name)
            headers.append((name.decode("latin-1"),
                            value.strip(b" \t").decode("latin-1")))
        resp = Response(version, status, reason, headers, b"", head)
        note("got: %s %s" % (resp.status_line,
                             "; ".join("%s: %s" % h for h in headers)))

        if method.upper() == "HEAD" or status in (204, 304) or \
                100 <= status < 200:
            return resp
        te = [v.lower() for v in resp.get_all("Transfer-Encoding")]
        cl = resp.get_all("Content-Length")
        if te and te[-1].endswith("chunked"):
            resp.body = self._read_chunked(end)
        elif cl:
            if len(set(cl)) != 1 or not cl[0].isdigit():
                raise ProtocolError("bad Content-Length in response: %r" % cl)
            resp.body = self._read_exact(int(cl[0]), "response body")
        else:
            resp.body = self._read_to_eof(end)
        note("got body: %s" % show(resp.body))
        return resp

    def _read_chunked(self, end):
        body = b""
        while True:
            if time.monotonic() > end:
                raise AssertionError("chunked body not complete in time")
            line = self._read_until(b"\r\n", "chunk size").strip()
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while self._read_until(b"\r\n", "trailer") != b"\r\n":
                    pass
                return body
            body += self._read_exact(size, "chunk")
            if self._read_exact(2, "chunk end") != b"\r\n":
                raise ProtocolError("chunk not followed by CRLF")

    def _read_to_eof(self, end):
        while True:
            if time.monotonic() > end:
                raise AssertionError("body delimited by close never ended")
            try:
                self._fill("body delimited by close")
            except Closed:
                out, self.buf = self.buf, b""
                return out

    def read_responses(self, methods):
        """Read one response per entry of `methods`, in order."""
        return [self.read_response(m) for m in methods]

    def request(self, data, method=None):
        """Send raw request bytes and read one response."""
        if method is None:
            method = data.split(b" ", 1)[0].decode("latin-1")
        self.send(data)
        return self.read_response(method)

    def closed_by_peer(self, timeout=None):
        """Wait (bounded) for the server to close. Returns None if it did
        (EOF or reset), else a string saying what happened instead. Bytes
        already buffered or arriving count as a failure."""
        if self.buf:
            return "server sent extra bytes: %s" % show(self.buf)
        if self.eof:
            return None
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return ("connection still open %.0f s after the response"
                    % (self.timeout if timeout is None else timeout))
        except ConnectionResetError:
            return None
        finally:
            self.sock.settimeout(self.timeout)
        if data:
            return "server sent extra bytes instead of closing: %s" % show(data)
        self.eof = True
        return None

    def no_extra_bytes(self, wait=0.2):
        """After a complete response: check nothing more arrives within
        `wait` seconds (returns the stray bytes, or b'')."""
        if self.buf:
            return self.buf
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            data = b""
        finally:
            self.sock.settimeout(self.timeout)
        if data:
            self.buf += data
        return data

    def head_then_get(self, head, get):
        """Send a HEAD and a GET of one target in one write and read both:
        a body on the HEAD response would make the GET's unparseable.
        Checks that the HEAD has the GET body's Content-Length and that
        nothing follows; returns (head_response, get_response)."""
        self.send(head + get)
        h = self.read_response("HEAD")
        g = self.read_response("GET")
        check_eq(self.no_extra_bytes(), b"", "bytes after HEAD+GET")
        check_eq(h.get("Content-Length"), str(len(g.body)),
                 "HEAD Content-Length (the GET body's length)")
        return h, g


# --- HTTP helpers -------------------------------------------------------

def build_request(method, target, headers=(), body=b"", version="HTTP/1.1",
                  host=True):
    """Raw request bytes. `headers` is a list of (name, value) strings or
    bytes; a Host header comes first unless host=False."""
    def b(x):
        return x if isinstance(x, bytes) else x.encode("latin-1")
    out = b(method) + b" " + b(target) + b" " + b(version) + b"\r\n"
    if host:
        out += b"Host: " + HOST.encode() + b"\r\n"
    for name, value in headers:
        out += b(name) + b": " + b(value) + b"\r\n"
    return out + b"\r\n" + b(body)


_IMF_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) "
                     r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"(\d{4}) (\d\d):(\d\d):(\d\d) GMT$")


def check_imf_fixdate(value, max_skew=300):
    """Check an HTTP-date in IMF-fixdate form, with a consistent weekday,
    within `max_skew` seconds of now."""
    import calendar
    m = _IMF_RE.match(value or "")
    check(m, "Date %r is not an IMF-fixdate (e.g. 'Sun, 06 Nov 1994 "
             "08:49:37 GMT')" % value)
    t = time.strptime(value, "%a, %d %b %Y %H:%M:%S GMT")
    secs = calendar.timegm(t)
    wday = time.gmtime(secs).tm_wday
    check(time.strftime("%a", time.gmtime(secs)) == m.group(1),
          "Date %r: weekday does not match the date (is %s)"
          % (value, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][wday]))
    skew = abs(secs - time.time())
    check(skew <= max_skew, "Date %r is %.0f s away from now" % (value, skew))


# --- TAP ----------------------------------------------------------------

class Suite:
    """Collects tests, then runs them all and prints TAP version 12."""

    def __init__(self):
        self.tests = []
        self.before_each = None   # callable(), may raise: test fails
        self.after_each = None    # callable(), may raise: test fails

    def test(self, name):
        def deco(fn):
            self.tests.append((name, fn))
            return fn
        return deco

    def add(self, name, fn):
        self.tests.append((name, fn))

    def run(self, out=sys.stdout):
        global _notes
        failed = 0
        print("1..%d" % len(self.tests), file=out, flush=True)
        for k, (name, fn) in enumerate(self.tests, 1):
            _notes = []
            error = None
            skip = None
            try:
                if self.before_each:
                    self.before_each()
                fn()
            except Skip as e:
                skip = str(e) or "skipped"
            except Exception as e:   # noqa: BLE001 - report, go on
                error = e
            if skip is None and self.after_each:
                try:
                    self.after_each()
                except Exception as e:   # noqa: BLE001
                    error = error or e
            if skip is not None:
                print("ok %d - %s # SKIP %s" % (k, name, skip), file=out,
                      flush=True)
            elif error is None:
                print("ok %d - %s" % (k, name), file=out, flush=True)
            else:
                failed += 1
                print("not ok %d - %s" % (k, name), file=out)
                for line in _describe(error):
                    print("# " + line, file=out)
                for line in _notes[-30:]:
                    print("#   " + line, file=out)
                out.flush()
        if failed:
            print("# %d of %d tests failed" % (failed, len(self.tests)),
                  file=out, flush=True)
        return 1 if failed else 0


def _describe(error):
    if isinstance(error, AssertionError) and str(error):
        return str(error).splitlines()
    tb = traceback.format_exception(type(error), error, error.__traceback__)
    return "".join(tb).rstrip().splitlines()



# --- Shared checks ----------------------------------------------------------

class Problems:
    """Collects every mismatch in a response, then fails once with all."""

    def __init__(self, resp):
        self.resp = resp
        self.items = []

    def eq(self, got, want, what):
        if got != want:
            self.items.append("%s: expected %r, got %r" % (what, want, got))

    def ok(self, cond, msg):
        if not cond:
            self.items.append(msg)

    def done(self):
        if self.items:
            r = self.resp
            raise AssertionError("\n".join(
                self.items + ["(response %s; headers %r; body %s)"
                              % (r.status_line, r.headers, show(r.body))]))


def curl(*args):
    """Run the real curl client; returns its stdout, failing on an error."""
    p = run_cmd(["curl", "-s", "--max-time", str(int(TIMEOUT)), *args],
                timeout=TIMEOUT + 10)
    check_eq(p.returncode, 0, "curl exit status (stderr %r)" % p.stderr)
    return p.stdout


def check_static_binary(binary):
    """`file` must call the binary statically linked, except in a sanitizer
    build (TORN_EXPECT_STATIC=0), which cannot be."""
    if os.environ.get("TORN_EXPECT_STATIC", "1") == "0":
        raise Skip("sanitizer build")
    p = run_cmd(["file", "-L", binary])
    out = p.stdout.decode("utf-8", "replace").strip()
    note("file: %s" % out)
    check(p.returncode == 0, "file failed: %r" % out)
    check("statically linked" in out or "static-pie linked" in out,
          "`file %s` does not say 'statically linked': %s" % (binary, out))

# --- A suite around one shared server -------------------------------------

class SharedServer:
    """The server most tests of a suite talk to. It is restarted when a test
    kills it; a test fails if the server died or printed a sanitizer report
    while it ran; the suite ends by stopping it (exit 0 expected) and by
    checking every server's stderr once more."""

    def __init__(self, args=()):
        self.binary = None
        self.args = list(args)  # server options: ["--workers", "2"]...
        self.server = None
        self.retired = []  # servers that died or were replaced

    def connect(self):
        return self.server.connect()

    def before_each(self):
        if self.server is not None and not self.server.alive():
            self.retired.append(self.server)
            self.server = Server(self.binary, self.args).start()

    def after_each(self):
        s = self.server
        if s is None:
            return
        found = s.new_sanitizer_lines()
        if not s.alive():
            raise AssertionError("server died during this test (exit status "
                                 "%s); stderr: %s" % (s.proc.returncode,
                                                      s.stderr_tail()))
        if found:
            raise AssertionError("sanitizer report in server stderr during "
                                 "this test: %s" % "; ".join(found[:5]))

    def _final_stop(self):
        s, self.server = self.server, None
        self.retired.append(s)
        s.stop(signal.SIGTERM)

    def _no_sanitizer_reports(self):
        found = []
        for s in self.retired:
            found += sanitizer_lines(s.stderr_text())
        check(not found, "sanitizer reports: %s" % "; ".join(found[:10]))

    def main(self, suite, banner=None):
        """Run `suite` against the binary named on the command line; returns
        the exit status. `banner` is printed as a TAP comment first."""
        if len(sys.argv) != 2:
            print("usage: %s SERVER_BINARY" % sys.argv[0], file=sys.stderr)
            return 2
        self.binary = os.path.abspath(sys.argv[1])
        if not os.access(self.binary, os.X_OK):
            print("Bail out! %s is not an executable file" % self.binary)
            return 1
        install_signal_handlers()
        suite.add("shared server exits 0 on SIGTERM after all the tests",
                  self._final_stop)
        suite.add("no sanitizer report in any server's stderr",
                  self._no_sanitizer_reports)
        try:
            try:
                self.server = Server(self.binary, self.args).start()
            except AssertionError as e:
                print("Bail out! cannot start %s: %s" % (self.binary, e))
                return 1
            if banner:
                print("# " + banner, flush=True)
            suite.before_each = self.before_each
            suite.after_each = self.after_each
            return suite.run()
        finally:
            kill_all_servers()
