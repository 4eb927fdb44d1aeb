"""Each connection's ordered way out: replies queue at once and one task writes them."""

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from websockets.exceptions import ConnectionClosed

from shared.events import Reply, frame_of
from shared.wire import CloseCode

WRITE_LIMIT = 32 * 1024
"""websockets' write buffer high-water mark: past it a reply waits (Limits.write_timeout)."""


class Wire(Protocol):
    """What the outbox uses of a websocket connection."""

    async def send(self, message: bytes) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...

    @property
    def transport(self) -> asyncio.WriteTransport:
        """The TCP connection underneath: its write buffer, and `abort` when closing hangs."""


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Outbox:
    """A connection's `Sender`: `send` and `close` queue synchronously, in call order.

    The registry hands both members each event within one synchronous call,
    so every connection's queue holds events in `seq` order, and a close
    (1000 after `leave`, 4001 on takeover) goes out after what came before it.

    A reader that stops reading is given up on (1008), so that what the
    server holds for it stays bounded: when `limit` replies or `max_bytes`
    bytes are waiting, or when one reply has not gone out within
    `write_timeout` seconds. A close that cannot finish within
    `close_timeout` seconds ends with the TCP connection dropped.

    With `write_now`, a reply is written at once when nothing waits before it
    and the socket's buffer holds less than WRITE_LIMIT bytes: most replies
    then skip the queue and the writer task, which is most of what a reply
    costs (docs/performance.md). Only a reader that lags takes the queue.
    """

    def __init__(
        self,
        wire: Wire,
        limit: int,
        *,
        max_bytes: int = 1024 * 1024,
        write_timeout: float | None = None,
        close_timeout: float = 5.0,
        write_now: Callable[[bytes], None] | None = None,
    ) -> None:
        self._wire = wire
        self._write_now = write_now
        self._limit = limit
        self._max_bytes = max_bytes
        self._write_timeout = write_timeout
        self._close_timeout = close_timeout
        self._queue: deque[bytes | _Close] = deque()
        self._queued_bytes = 0
        self._closing = False
        # Started when something is queued and gone once the queue is empty: an idle
        # connection holds no task of its own here (docs/performance.md, memory).
        self._writer: asyncio.Task[None] | None = None
        self._abandon: asyncio.Task[None] | None = None

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def buffered(self) -> int:
        """Bytes held for this reader: replies queued here and websockets' write buffer."""
        return self._queued_bytes + self._wire.transport.get_write_buffer_size()

    def send(self, reply: Reply) -> None:
        if self._closing:
            return
        frame = frame_of(reply)
        if (
            self._write_now is not None
            and not self._queue
            and self._wire.transport.get_write_buffer_size() < WRITE_LIMIT
        ):
            self._write_now(frame)
            return
        too_many = len(self._queue) >= self._limit
        too_big = self._queued_bytes > 0 and self._queued_bytes + len(frame) > self._max_bytes
        if too_many or too_big:
            self._give_up()
            return
        self._queued_bytes += len(frame)
        self._enqueue(frame)

    def close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        self._enqueue(_Close(code, reason))

    def _enqueue(self, item: bytes | _Close) -> None:
        self._queue.append(item)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    def _give_up(self) -> None:
        """A reader that does not read would hold the server's memory without end: close it.

        The close cannot wait behind the queue, whose head is stuck in `send`:
        the queue is dropped and the close goes out at once (1008).
        """
        self._closing = True
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()
        self._drop_queue()
        self._abandon = asyncio.create_task(self._close(CloseCode.ABUSE, "too slow to read"))

    def _drop_queue(self) -> None:
        self._queue.clear()
        self._queued_bytes = 0

    async def _close(self, code: int, reason: str) -> None:
        """The closing handshake, or a dropped TCP connection when it cannot finish in time.

        websockets waits for its write buffer to drain before it starts its own
        close timeout, so a peer that reads nothing would hold the close forever.
        """
        try:
            async with asyncio.timeout(self._close_timeout):
                await self._wire.close(code, reason)
        except TimeoutError:
            self._wire.transport.abort()

    async def _write(self) -> None:
        """Write what is queued, in order, then end: `_enqueue` starts another when needed."""
        try:
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, _Close):
                    await self._close(item.code, item.reason)
                    return
                self._queued_bytes -= len(item)
                try:
                    async with asyncio.timeout(self._write_timeout):
                        await self._wire.send(item)
                except TimeoutError:
                    self._give_up()
                    return
        except ConnectionClosed:
            return

    async def finish(self) -> None:
        """Stop writing: the connection is closed, nothing queued can go out any more."""
        tasks = [task for task in (self._writer, self._abandon) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
