"""Tornado's side of bench/run_ws: a WebSocket echo, as a Tornado user
writes it, beside torn's examples/hello `/echo`.

    /usr/bin/python3 bench/ws/tornado_echo.py --port N [--address 127.0.0.1]

ws://ADDRESS:N/echo sends every text or binary message back unchanged
(WebSocketHandler.write_message, binary for binary). The same limits as
torn's endpoint: messages up to 16 MiB (the websocket_max_message_size
setting), no permessage-deflate (get_compression_options is left as it is,
returning None: Tornado's default, and the load generator offers none
anyway), no keep-alive pings. One process, access log off.
"""
import argparse
import asyncio
import logging

import tornado.web
import tornado.websocket

MAX_MESSAGE_SIZE = 16 * 1024 * 1024


class EchoHandler(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


async def serve(address, port):
    app = tornado.web.Application(
        [(r"/echo", EchoHandler)], websocket_max_message_size=MAX_MESSAGE_SIZE
    )
    app.listen(port, address=address)
    await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args()
    logging.getLogger("tornado.access").disabled = True
    asyncio.run(serve(args.address, args.port))


if __name__ == "__main__":
    main()
