#!/usr/bin/python3
"""Operational checks of a torn server, in TAP: workers, options from the
command line and the environment, the access log, --xheaders, stopping.

    /usr/bin/python3 tests/e2e/ops_checks.py build/examples/hello/hello

Needs the hello example (routes /, /api, /users/{id:int}). Every server is
started with --port 0 and found through the port of its "listening on"
stderr line, so these checks also test that line. Environment: as the other
e2e suites (TORN_E2E_TIMEOUT).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (TIMEOUT, Conn, Server, ServerError, Suite,  # noqa: E402
                     build_request, check, check_eq, install_signal_handlers,
                     kill_all_servers, note, run_cmd, sanitizer_lines)

LISTENING_RE = re.compile(r"listening on http://(\[[0-9a-f:]+\]|[0-9.]+):"
                          r"(\d+)/ \((\d+) workers?\)")
# HOST - - [DATE] "REQUEST" STATUS BYTES SECONDS
ACCESS_RE = re.compile(
    r'^(?P<host>[0-9a-f.:]+|-) - - '
    r'\[(?P<date>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4})\] '
    r'"(?P<request>(?:[^"\\\x00-\x1f\x7f-\xff]|\\x[0-9a-f]{2})*)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-) (?P<time>\d+\.\d{6})$')
LOG_LINE_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} "
                         r"(DEBUG|INFO|WARNING|ERROR) ")

BINARY = None
suite = Suite()
tmp = tempfile.TemporaryDirectory(prefix="torn-ops-")


class PortZeroServer(Server):
    """A server started with --port 0 (unless args say otherwise), whose
    port is read from its "listening on" line."""

    def __init__(self, binary, args=(), env=None, address="127.0.0.1"):
        super().__init__(binary, args)
        self.env = env
        self.address = address
        self.workers = None

    def start(self, ready_timeout=4 * TIMEOUT):
        self.stdout_file = tempfile.TemporaryFile()
        self.stderr_file = tempfile.TemporaryFile()
        cmd = [self.binary, "--address", self.address, "--port", "0"]
        cmd += self.args
        env = dict(os.environ)
        env.update(self.env or {})
        note("start: %s (env %r)" % (" ".join(cmd), self.env))
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self.stdout_file,
            stderr=self.stderr_file, start_new_session=True, env=env)
        from harness import _live_servers
        _live_servers.append(self)
        deadline = time.monotonic() + ready_timeout
        while True:
            m = LISTENING_RE.search(self.stderr_text())
            if m:
                self.port = int(m.group(2))
                self.workers = int(m.group(3))
                break
            if self.proc.poll() is not None:
                raise ServerError("server exited with status %s before "
                                  "listening; stderr: %s"
                                  % (self.proc.returncode,
                                     self.stderr_tail()))
            if time.monotonic() > deadline:
                raise ServerError("no 'listening on' line within %.0f s; "
                                  "stderr: %s" % (ready_timeout,
                                                  self.stderr_tail()))
            time.sleep(0.02)
        check(self.port > 0, "listening on port 0: the line must give the "
              "port actually bound")
        return self

    def connect(self, timeout=TIMEOUT):
        return Conn(self.port, host=self.address, timeout=timeout)


def start(args=(), env=None, address="127.0.0.1"):
    return PortZeroServer(BINARY, args, env, address).start()


def get(server, target, headers=()):
    with server.connect() as c:
        return c.request(build_request("GET", target, headers))


def access_lines(path, want, timeout=5.0):
    """The access log's lines once it has at least `want` of them."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path, "rb") as f:
                text = f.read().decode("latin-1")
        except FileNotFoundError:
            text = ""
        lines = text.splitlines()
        if len(lines) >= want or time.monotonic() > deadline:
            check(text == "" or text.endswith("\n"),
                  "access log does not end with a newline: %r" % text[-200:])
            return lines
        time.sleep(0.05)


def parse_access(line):
    m = ACCESS_RE.match(line)
    check(m, "malformed access log line: %r" % line)
    return m


def threads_of(pid):
    return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))


def wakeups(pid, tid):
    """Voluntary context switches of one thread: a loop thread makes one
    each time it sleeps in epoll_wait, so serving a connection costs it at
    least one."""
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches for thread %d" % tid)


def listeners(port):
    """LISTEN sockets on `port` (IPv4 and IPv6) in /proc/net."""
    n = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if (int(fields[1].split(":")[1], 16) == port
                            and fields[3] == "0A"):
                        n += 1
        except FileNotFoundError:
            pass
    return n


def stop_ok(server):
    server.stop(signal.SIGTERM)  # exit 0 within 5 s, no sanitizer report


# --- Workers ------------------------------------------------------------

@suite.test("--workers 2 --port 0: two threads, two listeners, both serve")
def t_two_workers():
    s = start(["--workers", "2"])
    check_eq(s.workers, 2, "workers in the listening line")
    tids = threads_of(s.proc.pid)
    note("threads: %r" % tids)
    check(len(tids) >= 2, "expected at least 2 threads, got %r" % tids)
    check_eq(listeners(s.port), 2, "LISTEN sockets on port %d" % s.port)
    before = {t: wakeups(s.proc.pid, t) for t in tids}
    n = 200
    for i in range(n):
        r = get(s, "/users/%d" % i)
        check_eq((r.status, r.body), (200, b'{"id": %d}' % i),
                 "response %d" % i)
    after = {t: wakeups(s.proc.pid, t) for t in tids}
    busy = [t for t in tids if after[t] - before[t] >= 20]
    note("wakeups per thread: %r"
         % {t: after[t] - before[t] for t in tids})
    check(len(busy) >= 2, "connections served by %d thread(s), expected 2: "
          "wakeups %r" % (len(busy), {t: after[t] - before[t]
                                       for t in tids}))
    stop_ok(s)


@suite.test("--workers 4: many connections open at once, all answered")
def t_concurrent_connections():
    s = start(["--workers", "4"])
    check_eq(s.workers, 4, "workers in the listening line")
    conns = [s.connect() for _ in range(64)]
    try:
        for c in conns:
            c.send(build_request("GET", "/"))
        for i, c in enumerate(conns):
            r = c.read_response("GET")
            check_eq((r.status, r.body), (200, b"Hello, world"),
                     "connection %d" % i)
    finally:
        for c in conns:
            c.close()
    stop_ok(s)


@suite.test("--workers 1: no extra thread")
def t_one_worker():
    s = start(["--workers", "1"])
    check_eq(s.workers, 1, "workers in the listening line")
    check("(1 worker)" in s.stderr_text(), "singular in the listening line")
    check_eq(len(threads_of(s.proc.pid)), 1, "threads")
    check_eq(get(s, "/").status, 200, "status")
    stop_ok(s)


@suite.test("SIGINT stops every worker too (exit 0)")
def t_sigint():
    s = start(["--workers", "3"])
    for _ in range(10):
        get(s, "/")
    s.stop(signal.SIGINT)
    check("SIGINT: stopping" in s.stderr_text(), "stop logged: %s"
          % s.stderr_tail())


@suite.test("SIGTERM with a request in progress: closed at --stop-timeout")
def t_stop_timeout():
    s = start(["--workers", "2", "--stop-timeout", "0.5"])
    c = s.connect()
    idle = s.connect()
    check_eq(idle.request(build_request("GET", "/")).status, 200, "status")
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")  # head never ends
    time.sleep(0.2)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    check(idle.closed_by_peer(timeout=2) is None,
          "idle keep-alive connection not closed at once on SIGTERM")
    try:
        code = s.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        raise AssertionError("still running 5 s after SIGTERM with "
                             "--stop-timeout 0.5")
    took = time.monotonic() - t0
    check_eq(code, 0, "exit status (stderr %s)" % s.stderr_tail())
    check(took >= 0.4, "stopped after %.2f s: the request in progress "
          "was not given its --stop-timeout" % took)
    check(c.closed_by_peer(timeout=1) is None, "connection left open")
    c.close()
    idle.close()
    check(not sanitizer_lines(s.stderr_text()), "sanitizer report")


@suite.test("a port taken by another server: error, exit 1, for 1 or 2 "
            "workers")
def t_port_taken():
    s = start(["--workers", "2"])
    for workers in ("1", "2"):
        p = run_cmd([BINARY, "--address", "127.0.0.1", "--port", str(s.port),
                     "--workers", workers])
        err = p.stderr.decode("utf-8", "replace")
        check_eq(p.returncode, 1, "exit status with --workers %s (stderr %r)"
                 % (workers, err))
        check("cannot listen on 127.0.0.1 port %d" % s.port in err,
              "message: %r" % err)
        check(LOG_LINE_RE.match(err), "not a log line: %r" % err)
    check_eq(get(s, "/").status, 200, "the first server still serves")
    stop_ok(s)


@suite.test("IPv6 ::1 with 2 workers (skipped without IPv6)")
def t_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        from harness import Skip
        raise Skip("no IPv6 loopback")
    log = os.path.join(tmp.name, "v6.log")
    s = start(["--workers", "2", "--access-log", log], address="::1")
    check("listening on http://[::1]:%d/" % s.port in s.stderr_text(),
          "listening line: %s" % s.stderr_tail())
    check_eq(get(s, "/").status, 200, "status")
    stop_ok(s)
    lines = access_lines(log, 1)
    check_eq(len(lines), 1, "access log lines")
    check_eq(parse_access(lines[0]).group("host"), "::1", "host")


# --- Access log ---------------------------------------------------------

@suite.test("--access-log: one well-formed line per request, every worker")
def t_access_log():
    log = os.path.join(tmp.name, "access.log")
    s = start(["--workers", "2", "--access-log", log])
    sent = []
    for i in range(60):
        target = ["/", "/api", "/users/%d" % i, "/nope?x=%d" % i][i % 4]
        r = get(s, target)
        sent.append(("GET %s HTTP/1.1" % target, r.status, len(r.body)))
    # Written within about a second, without stopping the server.
    lines = access_lines(log, len(sent), timeout=3.0)
    check_eq(len(lines), len(sent), "lines after 3 s (%r)" % lines[-3:])
    got = []
    for line in lines:
        m = parse_access(line)
        check_eq(m.group("host"), "127.0.0.1", "host in %r" % line)
        check(float(m.group("time")) < 5, "request time in %r" % line)
        nbytes = 0 if m.group("bytes") == "-" else int(m.group("bytes"))
        got.append((m.group("request"), int(m.group("status")), nbytes))
    check_eq(sorted(got), sorted(sent), "logged requests")
    stop_ok(s)
    check_eq(len(access_lines(log, 0)), len(sent), "lines after the stop")


@suite.test("--access-log: lines of requests finished while stopping are "
            "written")
def t_access_log_at_stop():
    log = os.path.join(tmp.name, "stop.log")
    s = start(["--workers", "2", "--access-log", log])
    with s.connect() as c:
        c.send(build_request("GET", "/api"))
        check_eq(c.read_response("GET").status, 200, "status")
        stop_ok(s)
    lines = access_lines(log, 1, timeout=0)
    check_eq(len(lines), 1, "lines")
    check(parse_access(lines[0]).group("request") == "GET /api HTTP/1.1",
          "line %r" % lines[0])


@suite.test("--access-log: a hostile request line is escaped")
def t_access_log_escaped():
    log = os.path.join(tmp.name, "hostile.log")
    s = start(["--workers", "1", "--access-log", log])
    with s.connect() as c:
        c.send(b'GET /a"b\\c\xff HTTP/1.1\r\nHost: x\r\n\r\n')
        r = c.read_response("GET")
        note("status %d" % r.status)
    stop_ok(s)
    lines = access_lines(log, 1, timeout=0)
    check_eq(len(lines), 1, "lines: %r" % lines)
    m = parse_access(lines[0])
    if m.group("request") != "-":
        check_eq(m.group("request"), "GET /a\\x22b\\x5cc\\xff HTTP/1.1",
                 "request field")


@suite.test("--access-log -: lines on stderr, between the log lines")
def t_access_log_stderr():
    s = start(["--workers", "2", "--access-log", "-"])
    for _ in range(5):
        get(s, "/api")
    stop_ok(s)
    lines = s.stderr_text().splitlines()
    access = [l for l in lines if not LOG_LINE_RE.match(l)]
    check_eq(len(access), 5, "access lines on stderr: %r" % lines)
    for l in access:
        parse_access(l)


@suite.test("SIGHUP reopens the access log (rotation)")
def t_access_log_sighup():
    log = os.path.join(tmp.name, "rotate.log")
    s = start(["--workers", "2", "--access-log", log])
    get(s, "/")
    check_eq(len(access_lines(log, 1, timeout=3)), 1, "lines before")
    os.rename(log, log + ".1")
    s.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 3
    while not os.path.exists(log) and time.monotonic() < deadline:
        time.sleep(0.02)
    check(os.path.exists(log), "no new file after SIGHUP; stderr %s"
          % s.stderr_tail())
    check(s.alive(), "SIGHUP killed the server")
    for _ in range(4):
        get(s, "/api")
    stop_ok(s)
    check_eq(len(access_lines(log, 4, timeout=0)), 4, "lines in the new file")
    check_eq(len(access_lines(log + ".1", 1, timeout=0)), 1,
             "lines in the old file")


@suite.test("no --access-log: no file, no access lines on stderr")
def t_no_access_log():
    s = start(["--workers", "2"])
    get(s, "/")
    stop_ok(s)
    for l in s.stderr_text().splitlines():
        check(LOG_LINE_RE.match(l), "stray stderr line: %r" % l)


# --- --xheaders -----------------------------------------------------------

@suite.test("--xheaders: X-Real-IP / X-Forwarded-For in the access log, "
            "per request")
def t_xheaders():
    log = os.path.join(tmp.name, "xheaders.log")
    s = start(["--workers", "1", "--xheaders", "--access-log", log])
    cases = [
        ([("X-Real-IP", "203.0.113.9")], "203.0.113.9"),
        ([], "127.0.0.1"),  # the same pooled request must not remember
        ([("X-Forwarded-For", "10.0.0.1, 198.51.100.7")], "198.51.100.7"),
        ([("X-Real-IP", "2001:db8::5")], "2001:db8::5"),
        ([("X-Real-IP", "not-an-ip")], "127.0.0.1"),
        ([("X-Forwarded-For", '1.2.3.4" "GET / HTTP/1.1" 200')],
         "127.0.0.1"),
    ]
    with s.connect() as c:  # one keep-alive connection for them all
        for i, (headers, _) in enumerate(cases):
            r = c.request(build_request("GET", "/users/%d" % i, headers))
            check_eq(r.status, 200, "status %d" % i)
    stop_ok(s)
    lines = access_lines(log, len(cases), timeout=0)
    check_eq(len(lines), len(cases), "lines")
    for i, (line, (_, want)) in enumerate(zip(lines, cases)):
        m = parse_access(line)
        check_eq(m.group("request"), "GET /users/%d HTTP/1.1" % i, "order")
        check_eq(m.group("host"), want, "host of request %d" % i)


@suite.test("without --xheaders, X-Real-IP is ignored")
def t_no_xheaders():
    log = os.path.join(tmp.name, "plain.log")
    s = start(["--workers", "1", "--access-log", log])
    get(s, "/", [("X-Real-IP", "203.0.113.9")])
    stop_ok(s)
    lines = access_lines(log, 1, timeout=0)
    check_eq(parse_access(lines[0]).group("host"), "127.0.0.1", "host")


# --- Options from the environment ---------------------------------------

@suite.test("options from the environment: TORN_WORKERS, TORN_ACCESS_LOG, "
            "TORN_XHEADERS")
def t_env():
    log = os.path.join(tmp.name, "env.log")
    s = start(env={"TORN_WORKERS": "3", "TORN_ACCESS_LOG": log,
                   "TORN_XHEADERS": "1"})
    check_eq(s.workers, 3, "workers")
    get(s, "/", [("X-Real-IP", "192.0.2.44")])
    stop_ok(s)
    lines = access_lines(log, 1, timeout=0)
    check_eq(parse_access(lines[0]).group("host"), "192.0.2.44", "host")


@suite.test("the command line wins over the environment")
def t_env_argv():
    s = start(["--workers", "1"], env={"TORN_WORKERS": "3",
                                       "TORN_PORT": "1"})
    check_eq(s.workers, 1, "workers")
    stop_ok(s)


@suite.test("TORN_LOG_LEVEL=error: nothing on stderr; --log-level info "
            "wins")
def t_log_level():
    from harness import free_port
    port = free_port()
    env = dict(os.environ, TORN_LOG_LEVEL="error")
    p = subprocess.Popen([BINARY, "--address", "127.0.0.1", "--port",
                          str(port), "--workers", "2"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), 1):
                    break
            except OSError:
                check(p.poll() is None and time.monotonic() < deadline,
                      "server not accepting")
                time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=5)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check_eq(p.returncode, 0, "exit status")
    check_eq(err, b"", "stderr at --log-level error")
    s = start(["--log-level", "info"], env={"TORN_LOG_LEVEL": "none"})
    stop_ok(s)


@suite.test("bad values: exit 2 naming the option or variable")
def t_bad_values():
    cases = [
        (["--workers", "many"], {}, "--workers"),
        (["--max-body-size", "1T"], {}, "--max-body-size"),
        (["--idle-timeout", "0"], {}, "--idle-timeout"),
        (["--log-level", "loud"], {}, "--log-level"),
        (["--xheaders=maybe"], {}, "--xheaders"),
        (["--nope"], {}, "unknown option '--nope'"),
        ([], {"TORN_STOP_TIMEOUT": "soon"}, "TORN_STOP_TIMEOUT"),
        ([], {"TORN_PORT": "http"}, "TORN_PORT"),
    ]
    for args, env, want in cases:
        p = subprocess.run([BINARY] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=TIMEOUT,
                           env=dict(os.environ, **env))
        err = p.stderr.decode("utf-8", "replace")
        check_eq(p.returncode, 2, "exit status for %r %r (%r)"
                 % (args, env, err))
        check(want in err, "message for %r %r: %r" % (args, env, err))


@suite.test("--help lists every option with its variable")
def t_help():
    p = run_cmd([BINARY, "--help"])
    out = p.stdout.decode()
    check_eq(p.returncode, 0, "exit status")
    for name in ("address", "port", "workers", "log-level", "access-log",
                 "cookie-secret", "xheaders", "max-body-size",
                 "max-header-size", "idle-timeout", "header-timeout",
                 "body-timeout", "stop-timeout"):
        check("--" + name in out, "--help lacks --%s" % name)
        env = "TORN_" + name.upper().replace("-", "_")
        check(env in out, "--help lacks %s" % env)


def main():
    global BINARY
    if len(sys.argv) != 2:
        print("usage: %s SERVER_BINARY" % sys.argv[0], file=sys.stderr)
        return 2
    BINARY = os.path.abspath(sys.argv[1])
    if not os.access(BINARY, os.X_OK):
        print("Bail out! %s is not an executable file" % BINARY)
        return 1
    install_signal_handlers()
    try:
        return suite.run()
    finally:
        kill_all_servers()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
