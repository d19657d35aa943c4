"""The bigtable page served by Tornado, for bench/run_templates.

    /usr/bin/python3 bench/templates/tornado_server.py --port N

GET / renders bench/templates/tornado/bigtable.html with self.render() and
the context of Tornado's template benchmark (tornado_render.py). One
process, one IOLoop, bound to 127.0.0.1, access logging off, templates
compiled once and cached (Tornado's default outside debug mode).
"""
import argparse
import asyncio
import logging
import os

import tornado.web

from tornado_render import HERE, context


class PageHandler(tornado.web.RequestHandler):
    def get(self):
        self.render("bigtable.html", **context)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args()

    logging.getLogger("tornado.access").disabled = True
    app = tornado.web.Application([(r"/", PageHandler)],
                                  template_path=os.path.join(HERE, "tornado"))
    app.listen(args.port, address=args.address)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
