"""What an attacker's client does: rooms of its own paired with junk, moves in bursts, resumes.

The server never opens a box nor checks a SPAKE2 message beyond its length
(docs/protocol.md, Sealing), so an attacker pairs its own two seats with
random bytes: no crypto, cheap enough for thousands of rooms. Every refusal
(an `error`, an HTTP status instead of 101, a close) is an outcome to count,
never a crash: a stricter server is what these attacks are meant to find.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack

from bench.wire import Link, LinkClosed
from server.net import SUBPROTOCOL
from shared.codec import encode
from shared.messages import Ask, Create, Hello, Join, Nod, Pake, Resume, Say, Verify
from shared.seats import NodKind, Seat

REPLY_TIMEOUT = 10.0
"""Seconds an attacker waits for one answer before it counts the attempt as unanswered."""

BIG_FRAME = 64 * 1024
"""Frames larger than any event are `joined` replies with a log: counted, not decoded."""


class Refused(Exception):
    """The server said no: an error code, an HTTP status, a close, or silence."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def refusal(exc: BaseException) -> str:
    """A short name for why an attempt failed, for the tally of outcomes."""
    if isinstance(exc, Refused):
        return exc.outcome
    if isinstance(exc, LinkClosed):
        text = str(exc)
        if "handshake refused" in text:
            return "http " + text.split("HTTP/1.1 ", 1)[-1][:3]
        if "(" in text:
            return "closed " + text.rsplit("(", 1)[1].rstrip(")")
        return "connection lost"
    if isinstance(exc, TimeoutError):
        return "no answer"
    return type(exc).__name__


class Client:
    """One attacker connection: replies decoded into a queue, big frames only counted."""

    def __init__(self, link: Link, transport: asyncio.Transport) -> None:
        self.link = link
        self.transport = transport
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.bytes_in = 0
        self.big_frames = 0
        link.on_frame = self._received

    def pause_reading(self) -> None:
        """Read nothing more: what the server sends piles up in its own buffers."""
        self.transport.pause_reading()

    def _received(self, frame: bytes) -> None:
        self.bytes_in += len(frame)
        if len(frame) > BIG_FRAME:
            self.big_frames += 1
            self.replies.put_nowait({"t": "big", "size": len(frame)})
            return
        reply = msgpack.unpackb(frame)
        reply["size"] = len(frame)
        self.replies.put_nowait(reply)

    def send(self, message: Any) -> None:
        self.link.send(encode(message.to_wire()))

    async def next(self, wait_s: float = REPLY_TIMEOUT) -> dict[str, Any]:
        """The next reply; `Refused` if the link closes or nothing comes within `wait_s`."""
        getter = asyncio.ensure_future(self.replies.get())
        pending: set[asyncio.Future[Any]] = {getter, self.link.closed}
        try:
            done, _ = await asyncio.wait(
                pending, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            getter.cancel()
        if getter in done:
            return getter.result()
        if self.link.closed in done:
            exc = self.link.closed.exception()
            raise Refused(refusal(exc) if exc else "connection lost")
        raise Refused("no answer")

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first reply `wanted` accepts; an `error` on the way is a refusal."""
        while True:
            reply = await self.next()
            if reply.get("t") == "error":
                raise Refused(str(reply.get("code")))
            if wanted(reply):
                return reply

    def close(self) -> None:
        self.link.close()


async def connect(
    port: int,
    local_host: str,
    *,
    wait_s: float = REPLY_TIMEOUT,
    receive_buffer: int | None = None,
) -> Client:
    """An upgraded connection from `local_host`; `Refused` with the HTTP status if refused.

    `receive_buffer` sets SO_RCVBUF before connecting, so the window the server
    may fill is that small from the start.
    """
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.bind((local_host, 0))
        sock.setblocking(False)
        async with asyncio.timeout(wait_s):
            await loop.sock_connect(sock, ("127.0.0.1", port))
            transport, link = await loop.create_connection(
                lambda: Link(f"127.0.0.1:{port}", "/", SUBPROTOCOL), sock=sock
            )
            try:
                await link.opened
            except BaseException:
                transport.close()
                raise
    except (LinkClosed, OSError, TimeoutError) as exc:
        sock.close()
        raise Refused(refusal(exc)) from None
    return Client(link, transport)


def _phase(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda reply: bool(reply.get("state", {}).get("phase") == name)


@dataclass
class OwnRoom:
    """An attacker's room, both seats its own: the code, each seat's token, the last `seq` seen."""

    code: str
    tokens: dict[Seat, str]
    seq: int = 0


async def own_room(
    port: int, local_host: str, *, keep: bool = False, receive_buffer: int | None = None
) -> tuple[OwnRoom, Client]:
    """Create, join and pair a room with junk bytes, then ask: seat `b` may `say`, `a` may `nod`.

    Seat `b`'s connection is closed (its member `away`); seat `a`'s is returned,
    open, for attacks that need a member in the room, and closed unless `keep`.
    """
    a = await connect(port, local_host, receive_buffer=receive_buffer)
    try:
        a.send(Create(id=1))
        joined = await a.until(lambda reply: reply.get("t") == "joined")
        code = joined["code"]
        tokens = {Seat.A: joined["token"]}
        b = await connect(port, local_host)
        try:
            b.send(Join(code=code, id=1))
            tokens[Seat.B] = (await b.until(lambda reply: reply.get("t") == "joined"))["token"]
            for client in (a, b):
                client.send(Pake(msg=os.urandom(33), id=2))
            await _events(a, "pake", 2)
            for client in (a, b):
                client.send(Verify(mac=os.urandom(32), id=3))
            await _events(a, "verify", 2)
            for client in (a, b):
                client.send(Hello(box=os.urandom(40), id=4))
            await a.until(_phase("asking"))
            a.send(Ask(box=os.urandom(60), id=5))
            await a.until(_phase("sharing"))
        finally:
            b.close()
    except BaseException:
        a.close()
        raise
    if not keep:
        a.close()
    return OwnRoom(code, tokens), a


async def _events(client: Client, kind: str, count: int) -> None:
    for _ in range(count):
        await client.until(lambda reply: reply.get("kind") == kind)


def move(seat: Seat, box_size: int, number: int) -> Say | Nod:
    """Seat `b` (the speaker) says `box_size` junk bytes; seat `a` (the listener) nods."""
    if seat is Seat.B:
        return Say(box=os.urandom(box_size), id=number)
    return Nod(kind=NodKind.HEART, box=os.urandom(min(box_size, 200)), id=number)


@dataclass
class Burst:
    """What one connection's burst of moves came to."""

    accepted: int = 0
    accepted_bytes: int = 0
    """Bytes of the accepted moves' event frames: what they added to the room's log."""
    outcomes: Counter[str] = field(default_factory=Counter)


async def burst(
    port: int, local_host: str, room: OwnRoom, seat: Seat, moves: int, box_size: int
) -> Burst:
    """Resume `seat` on a new connection (a fresh per-connection allowance), send `moves`
    moves at once, and wait for each one's echo or error before closing."""
    result = Burst()
    try:
        client = await connect(port, local_host)
    except Refused as exc:
        result.outcomes[exc.outcome] += 1
        return result
    try:
        client.send(Resume(code=room.code, token=room.tokens[seat], after=room.seq, id=1))
        joined = await client.until(lambda reply: reply.get("t") in ("joined", "big"))
        if joined.get("t") == "joined" and joined.get("events"):
            room.seq = max(room.seq, joined["events"][-1]["seq"])
        for number in range(moves):
            client.send(move(seat, box_size, 10 + number))
        for _ in range(moves):
            reply = await _own_outcome(client, seat)
            if reply.get("t") == "error":
                result.outcomes[str(reply.get("code"))] += 1
            else:
                result.accepted += 1
                result.accepted_bytes += int(reply.get("size", 0))
                room.seq = max(room.seq, int(reply.get("seq", 0)))
    except Refused as exc:
        result.outcomes[exc.outcome] += 1
    finally:
        client.close()
    return result


async def _own_outcome(client: Client, seat: Seat) -> dict[str, Any]:
    """The next reply about one of this seat's own moves: its event, or an error."""
    while True:
        reply = await client.next()
        if reply.get("t") == "error":
            return reply
        if reply.get("t") == "big":
            return reply
        mine = reply.get("t") == "event" and reply.get("by") == seat.value
        if mine and reply.get("kind") in ("say", "nod"):
            return reply
