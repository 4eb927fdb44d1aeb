"""A relay between clients and the real server that records every frame and may tamper with replies.

It stands where a malicious or curious server would: it sees each frame in
both directions, and a `Tamper` may rewrite, hold back or add the replies
going down to one chosen connection.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from shared.codec import MAX_REPLY, decode_reply, encode
from tests.timing import seconds

SUBPROTOCOL = Subprotocol("fireside.2")

Tamper = Callable[[dict[str, Any]], list[dict[str, Any]]]
"""One reply going down, decoded; the replies to send in its place (none, itself, or others)."""


@dataclass(frozen=True)
class Frame:
    """One frame that passed: the connection's number (0, 1, … in order of arrival) and its way."""

    connection: int
    way: Literal["up", "down"]
    data: bytes


@dataclass
class Relay:
    """Listens on 127.0.0.1 (`port`) and forwards each connection to the server on `upstream`."""

    upstream: int
    frames: list[Frame] = field(default_factory=list)
    tamper: dict[int, Tamper] = field(default_factory=dict)
    """Connection number -> what is done to the replies going down to it."""
    port: int = 0
    _count: int = 0

    async def _handle(self, client: ServerConnection) -> None:
        number = self._count
        self._count += 1
        async with connect(
            f"ws://127.0.0.1:{self.upstream}/",
            subprotocols=[SUBPROTOCOL],
            max_size=MAX_REPLY,
            open_timeout=seconds(5),
            close_timeout=seconds(2),
            proxy=None,
        ) as server:
            up = asyncio.create_task(self._pump(number, "up", client, server))
            down = asyncio.create_task(self._pump(number, "down", server, client))
            await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
            for task in (up, down):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await client.close()

    async def _pump(
        self,
        number: int,
        way: Literal["up", "down"],
        source: ServerConnection | ClientConnection,
        sink: ServerConnection | ClientConnection,
    ) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in source:
                assert isinstance(frame, bytes)
                self.frames.append(Frame(number, way, frame))
                tamper = self.tamper.get(number) if way == "down" else None
                out = (
                    [frame] if tamper is None else [encode(m) for m in tamper(decode_reply(frame))]
                )
                for data in out:
                    await sink.send(data)

    def sent(self, connection: int, way: Literal["up", "down"]) -> list[dict[str, Any]]:
        """The decoded frames of one connection in one direction, as they arrived at the relay."""
        return [
            decode_reply(frame.data)
            for frame in self.frames
            if frame.connection == connection and frame.way == way
        ]


@contextlib.asynccontextmanager
async def relay(upstream: int) -> AsyncIterator[Relay]:
    """A Relay in front of the server listening on `upstream`, closed on the way out."""
    running = Relay(upstream)
    async with serve(
        running._handle,
        "127.0.0.1",
        0,
        subprotocols=[SUBPROTOCOL],
        max_size=MAX_REPLY,
        compression=None,
    ) as server:
        running.port = server.sockets[0].getsockname()[1]
        yield running
