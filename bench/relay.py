"""The baseline: a bare websockets relay that forwards each frame to the other of a pair.

Its settings are the Fireside server's (server/app.py): compression off, the
same `max_size`, incoming queue, write limit, keepalive and cycle collector
thresholds, so the two differ only in what Fireside does with a frame. Two
connections to the same path are a pair.
"""

import argparse
import asyncio
import signal
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from server.app import tune_collector, websocket_options
from server.config import ServerConfig
from server.doorway import raise_open_files


@dataclass
class Pair:
    members: list[ServerConnection] = field(default_factory=list)
    complete: asyncio.Event = field(default_factory=asyncio.Event)


class Relay:
    def __init__(self) -> None:
        self._pairs: dict[str, Pair] = {}

    async def handle(self, connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        pair = self._pairs.setdefault(path, Pair())
        pair.members.append(connection)
        if len(pair.members) == 2:
            pair.complete.set()
        try:
            await pair.complete.wait()
            first, second = pair.members[:2]
            partner = second if connection is first else first
            async for frame in connection:
                await partner.send(frame)
        except ConnectionClosed:
            pass
        finally:
            self._pairs.pop(path, None)


async def run(host: str, port: int) -> None:
    relay = Relay()
    async with serve(
        relay.handle,
        host,
        port,
        **websocket_options(ServerConfig()),
    ) as server:
        tune_collector()  # as fireside-server does: the same process settings on both sides
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.close)
        await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    raise_open_files()
    asyncio.run(run(args.host, args.port))


if __name__ == "__main__":
    main()
