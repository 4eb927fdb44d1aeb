"""The websocket connection a peer cannot use to make the server hold without bound.

websockets answers every ping with a pong by itself, written straight to the
socket: a peer that sends pings and never reads would have the server buffer
pongs without end, and once the write buffer is full the keepalive's own ping
waits for it to drain, so the ping timeout never starts. Two rules close
that, both taken from TCP's own flow control:

- While the peer does not read what the server writes, the server does not
  read what the peer writes: reading pauses whenever writing does, so no more
  pings (or anything else) are taken in to be answered.
- A peer that has not read for `stall_timeout` seconds is closed with 1008,
  and dropped `close_timeout` seconds later: docs/protocol.md, Keepalive.

A peer that leaves a keepalive ping unanswered is closed with 1001, as gone; websockets
would say 1011, which the contract keeps for the server's own faults.

It also counts itself in the `Doorway` from the moment the TCP connection is
made, so that handshakes that never finish count toward the per-address
limit.
"""

import asyncio
from typing import cast

from websockets.asyncio.server import ServerConnection

from server.doorway import Doorway, Entry, peer_key
from shared.wire import CloseCode

SPARE_SECONDS = 2.0
"""How long a connection let in only for `/healthz` may take to ask for it."""


class GuardedConnection(ServerConnection):
    """A ServerConnection that stops reading while its peer stops reading, and gives up on a
    peer that stopped for good. `guarded()` makes the class `serve` is given."""

    doorway: "Doorway[GuardedConnection]"
    stall_timeout: float
    close_timeout_after_stall: float
    count_peer: bool
    """False behind a trusted proxy: every peer is the proxy, limited by X-Forwarded-For."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._holds: set[str] = set()
        self._stall: asyncio.TimerHandle | None = None
        self._giving_up: asyncio.Task[None] | None = None
        peer = transport.get_extra_info("peername")
        counted = None
        if self.count_peer and isinstance(peer, tuple) and peer:
            counted = peer_key(str(peer[0]))
        self.entry, evicted = self.doorway.enter(self, counted)
        if evicted is not None:
            evicted.transport.abort()
        if self.entry is Entry.SHUT:
            # Before websockets sets anything up, so that a peer reconnecting as fast as it is
            # dropped costs an accept and a close, and no task, frames or timers.
            cast(asyncio.Transport, transport).abort()
            return
        super().connection_made(transport)
        # websockets pauses reading while its queue of frames is full; our pause while
        # writing is paused must not be undone by its resume, nor its pause by ours.
        self.recv_messages.pause = lambda: self._hold("queue")
        self.recv_messages.resume = lambda: self._release("queue")
        if self.entry is Entry.SPARE:
            self.loop.call_later(SPARE_SECONDS, self._end_spare)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.entry is Entry.SHUT:
            return  # never set up, never counted
        self.doorway.leave(self)
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._hold("writes")
        self._stall = self.loop.call_later(self.stall_timeout, self._stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        self._release("writes")

    def _hold(self, reason: str) -> None:
        if not self._holds:
            self.transport.pause_reading()
        self._holds.add(reason)

    def _release(self, reason: str) -> None:
        self._holds.discard(reason)
        if not self._holds:
            self.transport.resume_reading()

    def _stalled(self) -> None:
        """Nothing written has drained for `stall_timeout` seconds: the peer stopped reading."""
        self._stall = None
        if self._giving_up is None:
            self._giving_up = self.loop.create_task(self._give_up())

    async def _give_up(self) -> None:
        """Close with 1008; a peer that reads nothing never sees it, so drop it after
        `close_timeout`. websockets waits for the write buffer to drain before its own
        close timeout starts, which is why the timeout is ours."""
        try:
            async with asyncio.timeout(self.close_timeout_after_stall):
                await self.close(CloseCode.ABUSE, "too slow to read")
        except TimeoutError:
            self.transport.abort()

    async def keepalive(self) -> None:
        """websockets' keepalive, closing with 1001 where it says 1011: docs/protocol.md,
        Close codes."""
        assert self.ping_interval is not None
        latency = 0.0
        while True:
            await asyncio.sleep(self.ping_interval - latency)
            pong = await self.ping()
            if self.ping_timeout is None:
                continue
            try:
                async with asyncio.timeout(self.ping_timeout):
                    latency = await pong
            except TimeoutError:
                # connection_lost() cancels this task once the connection is gone.
                async with self.send_context():
                    self.protocol.fail(CloseCode.GOING_AWAY, "keepalive ping timeout")
                return

    def answered(self) -> None:
        """Its request was read and is being answered: a spare need not make room any more."""
        self.doorway.answered(self)

    def _end_spare(self) -> None:
        """A spare that has not been answered yet is only holding a descriptor."""
        if self.request is None:
            self.transport.abort()


def guarded(
    doorway: "Doorway[GuardedConnection]",
    *,
    stall_timeout: float,
    close_timeout: float,
    count_peer: bool,
) -> type[GuardedConnection]:
    """The connection class for `serve(create_connection=…)`, bound to these settings."""
    settings = type(
        "Guarded",
        (GuardedConnection,),
        {
            "doorway": doorway,
            "stall_timeout": stall_timeout,
            "close_timeout_after_stall": close_timeout,
            "count_peer": count_peer,
        },
    )
    return cast(type[GuardedConnection], settings)
