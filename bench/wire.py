"""A lean websocket client for load: RFC 6455 framing by hand, so the generator outruns the server.

Why not websockets' own client: the generator has one core to drive a server
that has one core too, and for every message it sends it reads two frames
(the server's event goes to both seats). websockets' asyncio client spends
more per frame than the bare relay it is meant to measure, so the relay's
peak would be the generator's. This link costs a few microseconds a frame:
frames to the server are masked with the all-zero key (RFC 6455 5.3 allows
any key; only browsers must pick unpredictable ones), so the payload is sent
as it is, and frames from the server are cut from one bytearray.
"""

import asyncio
import base64
import os
import struct
from collections.abc import Callable

_FIN_BINARY = 0x82
_ZERO_MASK = b"\x00\x00\x00\x00"
_OPCODE_CLOSE = 0x8
_OPCODE_PING = 0x9
_OPCODE_PONG = 0xA

FrameHandler = Callable[[bytes], None]


class LinkClosed(Exception):
    """The server closed the connection or the handshake failed."""


def client_frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """`payload` as one final, masked client frame."""
    length = len(payload)
    first = 0x80 | opcode
    if length < 126:
        header = bytes((first, 0x80 | length))
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, length)
    return header + _ZERO_MASK + payload


class Link(asyncio.Protocol):
    """One websocket connection: `send` a binary payload, every binary frame in to `on_frame`."""

    def __init__(self, host: str, path: str, subprotocol: str) -> None:
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
        ).encode()
        self._buffer = bytearray()
        self._open = False
        self._transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_frame: FrameHandler = _ignore

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._open:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[: self._buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self._fail(f"handshake refused: {status.decode(errors='replace')}")
                return
            del self._buffer[: end + 4]
            self._open = True
            self.opened.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        start = 0
        size = len(buffer)
        while size - start >= 2:
            opcode = buffer[start] & 0x0F
            length = buffer[start + 1] & 0x7F
            head = 2
            if length == 126:
                if size - start < 4:
                    break
                length = int.from_bytes(buffer[start + 2 : start + 4], "big")
                head = 4
            elif length == 127:
                if size - start < 10:
                    break
                length = int.from_bytes(buffer[start + 2 : start + 10], "big")
                head = 10
            end = start + head + length
            if end > size:
                break
            payload = bytes(buffer[start + head : end])
            start = end
            if opcode == 0x2:
                self.on_frame(payload)
            elif opcode == _OPCODE_PING:
                self._write(client_frame(payload, _OPCODE_PONG))
            elif opcode == _OPCODE_CLOSE:
                self._fail("closed by the server", code=payload[:2])
                return
        del buffer[:start]

    def send(self, payload: bytes) -> None:
        self._write(client_frame(payload))

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail("connection lost")

    def _fail(self, why: str, code: bytes = b"") -> None:
        number = int.from_bytes(code, "big") if len(code) == 2 else None
        error = LinkClosed(why if number is None else f"{why} ({number})")
        for future in (self.opened, self.closed):
            if not future.done():
                future.set_exception(error)
                future.exception()  # looked at: an unawaited failure is not an error here
        if self._transport is not None:
            self._transport.close()


def _ignore(payload: bytes) -> None:
    """Frames that arrive before anyone listens are dropped."""


async def open_link(
    host: str, port: int, path: str, subprotocol: str, *, local_host: str | None = None
) -> Link:
    """A connected, upgraded link to ws://host:port/path."""
    loop = asyncio.get_running_loop()
    local = (local_host, 0) if local_host else None
    _, link = await loop.create_connection(
        lambda: Link(f"{host}:{port}", path, subprotocol), host, port, local_addr=local
    )
    await link.opened
    return link
