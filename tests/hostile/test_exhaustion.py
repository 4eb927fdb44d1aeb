"""Attacks on what the server holds for a peer: pongs it never reads, handshakes it never
finishes, and every descriptor the process has, each while an honest pair plays on 127.0.0.2."""

import asyncio
import base64
import errno
import os
import resource
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from server.accepts import ACCEPT_FAILED, AcceptFailures
from server.app import RunningServer, start_server
from server.config import Limits, ServerConfig
from server.doorway import DESCRIPTOR_RESERVE
from server.outbox import WRITE_LIMIT
from tests.hostile.honest import honest_pair, play_round
from tests.server.http import http_get
from tests.server_process import server_process
from tests.timing import seconds

WRITE_TIMEOUT = 1.0
CLOSE_TIMEOUT = 0.3
READ_CHUNK = 256 * 1024
"""What asyncio reads from a socket at once: the pings in one chunk are answered together."""
PING = bytes([0x89, 0x80 | 125]) + bytes(4) + b"p" * 125
"""A masked ping with the longest payload there is (125 bytes): each one's pong is 127."""


def _upgrade(port: int) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: fireside.2\r\n\r\n"
    ).encode()


async def _raw(port: int, host: str = "127.0.0.1", *, receive_buffer: int = 0) -> socket.socket:
    """A TCP connection to the server from `host`, with a tiny receive buffer when asked."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    sock.bind((host, 0))
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return sock


async def _upgraded(port: int) -> socket.socket:
    """A websocket opened by hand, whose 101 is read and then nothing more, ever."""
    loop = asyncio.get_running_loop()
    sock = await _raw(port, receive_buffer=4096)
    await loop.sock_sendall(sock, _upgrade(port))
    response = b""
    while b"\r\n\r\n" not in response:
        response += await loop.sock_recv(sock, 1)
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


async def _flood_pings(sock: socket.socket, until: float) -> float | None:
    """Send pings until `until` (monotonic): when the server dropped the connection, if it did."""
    loop = asyncio.get_running_loop()
    try:
        while time.monotonic() < until:
            async with asyncio.timeout(max(until - time.monotonic(), 0.01)):
                await loop.sock_sendall(sock, PING * 64)
    except TimeoutError:
        return None
    except OSError:
        return time.monotonic()
    return None


@pytest.fixture
async def impatient() -> AsyncIterator[RunningServer]:
    """A real server that gives up on a stuck reader after a second instead of half a minute."""
    limits = Limits(write_timeout=WRITE_TIMEOUT)
    running = await start_server(ServerConfig(port=0, close_timeout=CLOSE_TIMEOUT, limits=limits))
    try:
        yield running
    finally:
        await running.close()


async def test_a_ping_flood_that_never_reads_is_bounded_and_closed(
    impatient: RunningServer,
) -> None:
    """Pings from a peer that never reads its pongs: the server stops reading it, holds a bounded
    number of bytes, closes it within write_timeout + close_timeout, and an honest pair plays."""
    sock = await _upgraded(impatient.port)
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, impatient.buffered_bytes)
            await asyncio.sleep(0.005)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    deadline = started + WRITE_TIMEOUT + CLOSE_TIMEOUT + seconds(2)
    try:
        flood = asyncio.create_task(_flood_pings(sock, deadline))
        async with honest_pair(impatient.port) as pair:
            await play_round(pair)
        dropped = await flood
    finally:
        sampler.cancel()
        sock.close()
    assert peak <= WRITE_LIMIT + READ_CHUNK, f"the server held {peak} bytes of pongs"
    assert dropped is not None, "the server never dropped the flood"
    # A drop shows at the next send; the first pings fill the kernel's buffers before any wait.
    assert dropped - started <= WRITE_TIMEOUT + CLOSE_TIMEOUT + seconds(1.5)


@asynccontextmanager
async def _half_open(port: int, hosts: list[str], each: int) -> AsyncIterator[list[socket.socket]]:
    """`each` TCP connections from every host in `hosts` that never send a byte."""
    sockets: list[socket.socket] = []
    try:
        for host in hosts:
            for _ in range(each):
                sockets.append(await _raw(port, host))
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _open_now(sockets: list[socket.socket]) -> int:
    """How many of `sockets` the server has not closed: a closed one reads EOF or a reset."""
    open_ = 0
    for sock in sockets:
        try:
            open_ += sock.recv(1) != b""
        except BlockingIOError:
            open_ += 1
        except OSError:
            pass
    return open_


async def _still_open(sockets: list[socket.socket], at_most: int) -> int:
    """How many of `sockets` are open once the server has had time to drop those past
    `at_most`: a connection it has not accepted yet still looks open from here."""
    for _ in range(round(seconds(5) / 0.05)):
        if _open_now(sockets) <= at_most:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    return _open_now(sockets)


async def test_half_open_handshakes_count_toward_the_per_address_limit() -> None:
    """200 connections from one address that never send a request: all but its share are dropped
    at once, so another address still creates a room and plays."""
    limits = Limits(connections_per_address=4, handshakes_per_address=2)
    running = await start_server(ServerConfig(port=0, limits=limits))
    try:
        async with _half_open(running.port, ["127.0.0.1"], 200) as attackers:
            assert await _still_open(attackers, 6) == 6
            async with honest_pair(running.port) as pair:
                await play_round(pair)
    finally:
        await running.close()


async def test_a_full_server_still_answers_healthz_and_recovers() -> None:
    """With every connection the server allows taken by silent peers from many addresses,
    `/healthz` still answers, a handshake gets 503, and once they go a room can be made."""
    limits = Limits(max_connections=8)
    running = await start_server(ServerConfig(port=0, limits=limits))
    try:
        hosts = [f"127.0.0.{n}" for n in range(10, 18)]
        async with _half_open(running.port, hosts, 1):
            status, body = await http_get(running.port, "/healthz")
            assert status == 200, body
            status, body = await http_get(
                running.port, "/", {"Upgrade": "websocket", "Sec-WebSocket-Protocol": "fireside.2"}
            )
            assert status == 503, body
        async with honest_pair(running.port) as pair:
            await play_round(pair)
    finally:
        await running.close()


DESCRIPTORS = 512


def _few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


async def test_a_server_with_few_descriptors_stays_up_logs_little_and_recovers() -> None:
    """`fireside-server` with 512 descriptors, 480 silent connections from 12 addresses:
    `/healthz` answers, the log stays short, and afterwards an honest pair plays."""
    async with server_process("--data", ":memory:", preexec=_few_descriptors) as server:
        hosts = [f"127.0.0.{n}" for n in range(20, 32)]
        async with _half_open(server.port, hosts, 40) as attackers:
            held = DESCRIPTORS - DESCRIPTOR_RESERVE
            assert await _still_open(attackers, held) <= held
            status, body = await http_get(server.port, "/healthz")
            assert status == 200, body
        async with honest_pair(server.port) as pair:
            await play_round(pair)
        assert len(server.lines) < 40, server.log


def test_failed_accepts_are_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    """A thousand failed accepts within a minute are one line, and the next minute's one more
    with their count; other loop errors still reach the default handler."""
    now = [0.0]
    failures = AcceptFailures(clock=lambda: now[0])
    loop = asyncio.new_event_loop()
    try:
        context = {"message": ACCEPT_FAILED, "exception": OSError(errno.EMFILE, "Too many")}
        for _ in range(1000):
            failures(loop, context)
        now[0] = 61.0
        failures(loop, context)
        failures(loop, {"message": "something else"})
    finally:
        loop.close()
    accepts = [r for r in caplog.records if r.name == "server.accepts"]
    assert len(accepts) == 2
    assert "1 time(s) since" in accepts[0].getMessage()
    assert "1000 time(s) since" in accepts[1].getMessage()
    assert any(r.getMessage() == "something else" for r in caplog.records)
