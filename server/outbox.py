"""Each connection's ordered way out: replies queue at once and one task writes them."""

import asyncio
from dataclasses import dataclass
from typing import Protocol

from websockets.exceptions import ConnectionClosed

from server.closing import CloseCode
from shared.codec import encode
from shared.events import Reply


class Wire(Protocol):
    """The two calls the outbox makes on a websocket connection."""

    async def send(self, message: bytes) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Outbox:
    """A connection's `Sender`: `send` and `close` queue synchronously, in call order.

    The registry hands both members each event within one synchronous call,
    so every connection's queue holds events in `seq` order, and a close
    (1000 after `leave`, 4001 on takeover) goes out after what came before it.
    """

    def __init__(self, wire: Wire, limit: int) -> None:
        self._wire = wire
        self._limit = limit
        self._queue: asyncio.Queue[bytes | _Close] = asyncio.Queue()
        self._closing = False
        self._writer = asyncio.create_task(self._write())
        self._abandon: asyncio.Task[None] | None = None

    @property
    def closing(self) -> bool:
        return self._closing

    def send(self, reply: Reply) -> None:
        if self._closing:
            return
        if self._queue.qsize() >= self._limit:
            self._give_up()
            return
        self._queue.put_nowait(encode(reply.to_wire()))

    def close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        self._queue.put_nowait(_Close(code, reason))

    def _give_up(self) -> None:
        """A reader that does not read would grow the queue without end: close it now (1008).

        The close cannot wait behind the queue, whose head is stuck in `send`;
        websockets aborts the connection if the close frame cannot go out in time.
        """
        self._closing = True
        self._writer.cancel()
        self._abandon = asyncio.create_task(self._wire.close(CloseCode.ABUSE, "too slow to read"))

    async def _write(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _Close):
                    await self._wire.close(item.code, item.reason)
                    return
                await self._wire.send(item)
        except ConnectionClosed:
            return

    async def finish(self) -> None:
        """Stop writing: the connection is closed, nothing queued can go out any more."""
        tasks = [task for task in (self._writer, self._abandon) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
