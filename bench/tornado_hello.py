"""The torn "hello" example written in Tornado, for bench/run.

    /usr/bin/python3 bench/tornado_hello.py --port N

One process, one IOLoop, bound to 127.0.0.1, access logging off.
"""
import argparse
import asyncio
import logging

import tornado.web


class MainHandler(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello, world")


class ApiHandler(tornado.web.RequestHandler):
    def get(self):
        self.write({"message": "hello world"})


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args()

    logging.getLogger("tornado.access").disabled = True
    app = tornado.web.Application([(r"/", MainHandler), (r"/api", ApiHandler)])
    app.listen(args.port, address=args.address)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
