"""A .troute route table served by Tornado, for bench/run_routes.

    /usr/bin/python3 bench/tornado_routes.py --port N FILE.troute

Every route of the file becomes a URLSpec, in declaration order, its pattern
turned into a regex (bench/routes/troute.py: one group per parameter, each
type's language as tornc's); all share one handler that answers
"Hello, world" to any of the route's methods, as the torn build of the same
file does. Tornado tries the regexes one by one, in order, and the first
that matches the whole path wins: torn's rule for overlapping patterns.
One process, one IOLoop, bound to 127.0.0.1, access logging off.
"""
import argparse
import asyncio
import logging
import os
import sys

import tornado.web

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "routes"))
import troute  # noqa: E402


class HelloHandler(tornado.web.RequestHandler):
    """Answers "Hello, world" to the methods of its route (others: 405)."""

    def initialize(self, methods):
        self.SUPPORTED_METHODS = tuple(methods) + (("HEAD",) if "GET" in methods else ())

    def _hello(self, *args):
        self.write("Hello, world")

    get = post = put = patch = delete = options = _hello

    def head(self, *args):
        pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("troute")
    args = parser.parse_args()

    _, routes = troute.parse(args.troute)
    # Routes with the same pattern share one rule, as in torn: its methods
    # are theirs together.
    rules = {}
    for r in routes:
        rules.setdefault(r.regex(), []).extend(r.methods)
    handlers = [(rx, HelloHandler, {"methods": m}) for rx, m in rules.items()]

    logging.getLogger("tornado.access").disabled = True
    app = tornado.web.Application(handlers)
    app.listen(args.port, address=args.address)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
