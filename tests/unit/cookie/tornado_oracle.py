#!/usr/bin/python3
"""Tornado as the oracle of torn's cookies, signed values and XSRF tokens.

    /usr/bin/python3 tests/unit/cookie/tornado_oracle.py < requests

test_rt_cookie.c writes one request per line and reads one answer line
per request, in order. Every byte string travels as "x" and its hex
("x" alone is empty, "-" is None), so any byte can pass; header bytes are read as latin-1, as Tornado's
HTTP/1 server reads them. Requests:

  get HEADER NAME               RequestHandler.get_cookie(NAME) with the
                                Cookie header HEADER -> value or -
  parse HEADER                  httputil.parse_cookie(HEADER) -> the dict
                                as space-separated NAME:VALUE
  sign VERSION SECRET NAME VALUE NOW
                                web.create_signed_value, clock NOW
  decode SECRET NAME SIGNED NOW MAX_AGE_DAYS
                                web.decode_signed_value -> value or -
  set_cookie NAME VALUE KWARGS  RequestHandler.set_cookie(NAME, VALUE,
                                **json(KWARGS)) -> the Set-Cookie value,
                                or - when Tornado refuses it
  xsrf_decode TOKEN             RequestHandler._decode_xsrf_token ->
                                "VERSION RAW TIME" or -
  xsrf_token COOKIE USER        RequestHandler.xsrf_token for a request
                                with _xsrf=COOKIE (- none), USER 1 for a
                                logged-in user -> "TOKEN SET_COOKIE"
  xsrf_check METHOD COOKIE ARG XSRFHDR CSRFHDR
                                check_xsrf_cookie for a request with the
                                _xsrf cookie, the _xsrf query argument and
                                the X-XSRFToken / X-CSRFToken headers (each
                                - for none) -> "ok" or the 403's message

Needs Debian's python3-tornado (run with /usr/bin/python3).
"""

import json
import logging
import sys
import urllib.parse

sys.dont_write_bytecode = True

import tornado.httputil as httputil  # noqa: E402
import tornado.web as web  # noqa: E402

# Tornado logs every refused signature; the answers say it already.
logging.disable(logging.CRITICAL)


def unhex(s):
    return None if s == "-" else bytes.fromhex(s[1:])


def text(s):
    """A hex argument as the str Tornado would have (latin-1)."""
    b = unhex(s)
    return None if b is None else b.decode("latin1")


def out(b):
    if b is None:
        return "-"
    if isinstance(b, str):
        b = b.encode("latin1")
    return "x" + b.hex()


class Conn:
    def set_close_callback(self, cb):
        pass


APP = web.Application(cookie_secret="unused", xsrf_cookies=True)


def handler(method="GET", uri="/", headers=()):
    h = httputil.HTTPHeaders()
    for name, value in headers:
        h.add(name, value)
    req = httputil.HTTPServerRequest(method=method, uri=uri, headers=h,
                                     connection=Conn())
    return web.RequestHandler(APP, req)


def set_cookie_lines(hd):
    cookies = getattr(hd, "_new_cookie", {})
    return [m.OutputString(None) for m in cookies.values()]


def cmd_get(header, name):
    hd = handler(headers=[("Cookie", text(header))])
    return out(hd.get_cookie(text(name)))


def cmd_parse(header):
    d = httputil.parse_cookie(text(header))
    return " ".join(out(k) + ":" + out(v) for k, v in d.items())


def cmd_sign(version, secret, name, value, now):
    return out(web.create_signed_value(
        unhex(secret), text(name), unhex(value), version=int(version),
        clock=lambda: float(now)))


def cmd_decode(secret, name, signed, now, max_age_days):
    return out(web.decode_signed_value(
        unhex(secret), text(name), unhex(signed),
        max_age_days=float(max_age_days), clock=lambda: float(now)))


def cmd_set_cookie(name, value, kwargs):
    hd = handler()
    try:
        hd.set_cookie(text(name), text(value), **json.loads(text(kwargs)))
    except Exception:
        return "-"
    return out(set_cookie_lines(hd)[0])


def cmd_xsrf_decode(token):
    version, raw, ts = handler()._decode_xsrf_token(text(token))
    if raw is None:
        return "-"
    return "%d %s %d" % (version, raw.hex(), ts)


def cmd_xsrf_token(cookie, user):
    headers = []
    if cookie != "-":
        headers.append(("Cookie", "_xsrf=" + text(cookie)))
    hd = handler(headers=headers)
    if user == "1":
        hd._current_user = "someone"
    token = hd.xsrf_token
    lines = set_cookie_lines(hd)
    return out(token) + " " + (out(lines[0]) if lines else "-")


def cmd_xsrf_check(method, cookie, arg, xsrf, csrf):
    headers = []
    if cookie != "-":
        headers.append(("Cookie", "_xsrf=" + text(cookie)))
    if xsrf != "-":
        headers.append(("X-XSRFToken", text(xsrf)))
    if csrf != "-":
        headers.append(("X-CSRFToken", text(csrf)))
    uri = "/"
    if arg != "-":
        uri += "?_xsrf=" + urllib.parse.quote(unhex(arg))
    hd = handler(method=method, uri=uri, headers=headers)
    try:
        hd.check_xsrf_cookie()
    except web.HTTPError as e:
        return "%d %s" % (e.status_code, e.log_message)
    return "ok"


COMMANDS = {
    "get": cmd_get,
    "parse": cmd_parse,
    "sign": cmd_sign,
    "decode": cmd_decode,
    "set_cookie": cmd_set_cookie,
    "xsrf_decode": cmd_xsrf_decode,
    "xsrf_token": cmd_xsrf_token,
    "xsrf_check": cmd_xsrf_check,
}


def main():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        print(COMMANDS[words[0]](*words[1:]), flush=True)


if __name__ == "__main__":
    main()
