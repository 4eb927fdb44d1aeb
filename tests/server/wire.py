"""A small typed test client: msgpack maps over a real websocket, every wait bounded."""

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from shared.codec import MAX_REPLY, decode_reply, encode
from tests.timing import seconds


class Member:
    """One test client: `send` a map, `recv` the next map, or learn how it was closed."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(encode(message))

    async def recv(self, within: float = 2.0) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.connection.recv(), seconds(within))
        assert isinstance(frame, bytes), "the server sent a text frame"
        return decode_reply(frame)

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.send(message)
        return await self.recv()

    async def request_raw(self, frame: bytes) -> dict[str, Any]:
        await self.connection.send(frame)
        return await self.recv()

    async def nothing(self, wait: float = 0.2) -> None:
        """Assert that no message arrives within `wait` seconds."""
        try:
            frame = await asyncio.wait_for(self.connection.recv(), seconds(wait))
        except TimeoutError:
            return
        raise AssertionError(f"expected nothing, got {frame!r:.200}")

    async def quiet(self, wait: float = 0.2) -> list[dict[str, Any]]:
        """Everything that arrives until nothing has for `wait` seconds."""
        received: list[dict[str, Any]] = []
        while True:
            try:
                received.append(await self.recv(within=wait))
            except TimeoutError:
                return received

    async def drain(self) -> None:
        """Read and forget everything until the connection closes."""
        try:
            while True:
                await self.connection.recv()
        except ConnectionClosed:
            return

    async def closed_with(self, within: float = 3.0) -> int | None:
        """Read until the server closes; the close code it sent."""
        await asyncio.wait_for(self.drain(), seconds(within))
        return self.connection.close_code


def url(port: int, tls: ssl.SSLContext | None = None) -> str:
    return f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/"


@asynccontextmanager
async def member(
    port: int, headers: dict[str, str] | None = None, tls: ssl.SSLContext | None = None
) -> AsyncIterator[Member]:
    """A connection offering `fireside.2`, over `wss://` when given `tls`, closed on the way out."""
    async with connect(
        url(port, tls),
        additional_headers=headers,
        ssl=tls,
        subprotocols=[Subprotocol("fireside.2")],
        max_size=MAX_REPLY,
        open_timeout=seconds(5),
        close_timeout=seconds(2),
        proxy=None,
    ) as connection:
        yield Member(connection)


PAKE_MSG = b"\x01" + bytes(range(32))
"""Dummy pairing bytes: the server cannot tell them from a real SPAKE2 exchange, and never
needs to; the clients' crypto is tested in tests/shared/test_crypto*."""
MAC = bytes(range(32))


def hello_box(seat: str) -> bytes:
    """A stand-in for `seat`'s sealed name: bytes the server stores and relays unread."""
    return b"\x00sealed name of " + seat.encode() + b"\xff"


def pairing(seat: str) -> list[dict[str, Any]]:
    """`seat`'s three pairing messages, in order: docs/protocol.md, Pairing, The steps."""
    return [
        {"t": "pake", "msg": PAKE_MSG},
        {"t": "verify", "mac": MAC},
        {"t": "hello", "box": hello_box(seat)},
    ]


async def pair_up(a: "Member", b: "Member") -> dict[str, Any]:
    """Both seated members pair, step by step, each reading every step's event; the last one."""
    last: dict[str, Any] = {}
    for step_a, step_b in zip(pairing("a"), pairing("b"), strict=True):
        for sender, step in ((a, step_a), (b, step_b)):
            await sender.send(step)
            last = await a.recv()
            assert last["kind"] == step["t"], last
            assert await b.recv() == last
    assert last["state"]["phase"] == "asking"
    return last


class Pair:
    """Two members seated in one room, with the code and each seat's token."""

    def __init__(self, a: Member, b: Member, code: str, a_token: str, b_token: str) -> None:
        self.a = a
        self.b = b
        self.code = code
        self.a_token = a_token
        self.b_token = b_token


@asynccontextmanager
async def joined_pair(port: int, tls: ssl.SSLContext | None = None) -> AsyncIterator[Pair]:
    """`a` creates a room and `b` joins it; the `joined` event by b is already read by `a`.

    The room is still `waiting`: nothing of the pairing has been sent.
    """
    async with member(port, tls=tls) as a, member(port, tls=tls) as b:
        created = await a.request({"t": "create"})
        joined = await b.request({"t": "join", "code": created["code"]})
        assert (await a.recv())["kind"] == "joined"
        yield Pair(a, b, created["code"], created["token"], joined["token"])


@asynccontextmanager
async def paired_pair(port: int, tls: ssl.SSLContext | None = None) -> AsyncIterator[Pair]:
    """create, join, then pake, verify and hello from each seat with fixed bytes: round 1,
    `a` asks. Every event so far is already read by both."""
    async with joined_pair(port, tls=tls) as pair:
        await pair_up(pair.a, pair.b)
        yield pair
