"""Tornado's side of bench/run_runtime: the torn examples' hello world,
JSON and static files, written as a Tornado user writes them.

    /usr/bin/python3 bench/runtime/tornado_runtime.py --port N \
        [--processes P] [--static DIR]

GET / answers "Hello, world", GET /api the JSON {"message": "hello world"},
GET /static/NAME the file DIR/NAME through Tornado's StaticFileHandler (the
`static_path` setting). Bound to 127.0.0.1, access logging off. With
--processes 2 the listening socket is bound first and the process forks,
Tornado's multi-process mode (HTTPServer.start(2) in older versions): each
child runs its own IOLoop on the shared socket.
"""
import argparse
import asyncio
import logging

import tornado.httpserver
import tornado.netutil
import tornado.process
import tornado.web


class MainHandler(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello, world")


class ApiHandler(tornado.web.RequestHandler):
    def get(self):
        self.write({"message": "hello world"})


async def serve(sockets, static):
    settings = {"static_path": static} if static else {}
    app = tornado.web.Application([(r"/", MainHandler), (r"/api", ApiHandler)], **settings)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--static", default=None)
    args = parser.parse_args()

    logging.getLogger("tornado.access").disabled = True
    sockets = tornado.netutil.bind_sockets(args.port, address=args.address)
    if args.processes > 1:
        # Returns in each child; the parent only waits for them.
        tornado.process.fork_processes(args.processes)
    asyncio.run(serve(sockets, args.static))


if __name__ == "__main__":
    main()
