"""The attacks, each bounded in count and time, all from 127.0.0.0/8 addresses to 127.0.0.1.

Each takes the running server and the options and returns what happened as a
dict of figures; a refusal is an outcome in that dict, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.abuse_server import RunningServer, healthz
from bench.attacker import OwnRoom, Refused, burst, connect, own_room, refusal
from bench.wire import client_frame
from server.net import SUBPROTOCOL
from shared.messages import Create, Nod, Resume, Say
from shared.seats import NodKind, Seat

MOVES_PER_CONNECTION = 39
"""docs/protocol.md, Rate limits: bursts of 40 per connection; the `resume` takes one."""
SAY_BOX = 16_000
"""Near `SAY_BOX_MAX` (16,400): the fewest moves to fill a log."""
TINY_RECEIVE_BUFFER = 1024
"""SO_RCVBUF of a connection that never reads; Linux doubles it and keeps a minimum."""


@dataclass(frozen=True)
class Options:
    seconds: float = 60.0
    """At most this long per attack."""
    resume_events: int = 10_000
    storm_connections: int = 32
    fill_addresses: int = 8
    fill_rooms: int = 8
    half_open: int = 1_100
    half_open_retry: float = 0.0
    """Seconds a half-open connection the server dropped waits before it is opened again."""
    expiry_rooms: int = 3_000
    expiry_ttl: float = 5.0
    expiry_sweep: float = 30.0


Attack = Callable[[RunningServer, Options], Awaitable[dict[str, Any]]]


def since(started: float) -> float:
    return round(time.monotonic() - started, 2)


async def baseline(server: RunningServer, options: Options) -> dict[str, Any]:
    """No attack: the honest pair alone, for comparison."""
    await asyncio.sleep(min(10.0, options.seconds))
    return {"what": "nothing"}


def _raw_socket(local_host: str, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.bind((local_host, 0))
    sock.setblocking(False)
    return sock


def _upgrade_request(port: int) -> bytes:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    return (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n"
    ).encode()


async def ping_flood(server: RunningServer, options: Options) -> dict[str, Any]:
    """One upgraded connection from 127.0.0.2 that sends 125-byte pings as fast as the server
    takes them and never reads a pong (a tiny SO_RCVBUF, no recv after the 101)."""
    loop = asyncio.get_running_loop()
    sock = _raw_socket("127.0.0.2", TINY_RECEIVE_BUFFER)
    try:
        await loop.sock_connect(sock, ("127.0.0.1", server.port))
        await loop.sock_sendall(sock, _upgrade_request(server.port))
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = await loop.sock_recv(sock, 1)
            if not chunk:
                return {"outcome": "closed before the handshake answered"}
            response += chunk
        status = response.split(b"\r\n", 1)[0].decode(errors="replace")
        if " 101 " not in status:
            return {"outcome": f"handshake refused: {status}"}
        block = memoryview(client_frame(b"p" * 125, 0x9) * 64)
        per_second: list[int] = []
        sent = 0
        offset = 0
        closed_at: float | None = None
        why = None
        started = time.monotonic()
        second = started + 1
        mark = 0
        while time.monotonic() - started < options.seconds:
            try:
                count = sock.send(block[offset:])
            except BlockingIOError:
                await asyncio.sleep(0.005)
                count = 0
            except OSError as exc:
                closed_at = since(started)
                why = type(exc).__name__
                break
            sent += count
            offset = (offset + count) % len(block)
            if time.monotonic() >= second:
                per_second.append(sent - mark)
                mark = sent
                second += 1
            await asyncio.sleep(0)
        frames = sent // (len(block) // 64)
        return {
            "pings_sent": frames,
            "bytes_sent": sent,
            "closed_after_s": closed_at,
            "closed_how": why,
            "ping_bytes_per_second": per_second,
            "outcome": "closed by the server" if closed_at is not None else "still open",
        }
    finally:
        sock.close()


async def silent_reader(server: RunningServer, options: Options) -> dict[str, Any]:
    """Seat `a` of a room from 127.0.0.6 stops reading (tiny SO_RCVBUF, reading paused) while
    seat `b` says 8 boxes of 16,000 bytes: > 32 KiB unsent. When does the server close `a`?"""
    try:
        room, a = await own_room(
            server.port, "127.0.0.6", keep=True, receive_buffer=TINY_RECEIVE_BUFFER
        )
    except Refused as exc:
        return {"outcome": f"setup refused: {exc.outcome}"}
    a.pause_reading()
    try:
        b = await connect(server.port, "127.0.0.6")
    except Refused as exc:
        a.close()
        return {"outcome": f"seat b refused: {exc.outcome}"}
    try:
        b.send(Resume(code=room.code, token=room.tokens[Seat.B], after=0, id=1))
        await b.until(lambda reply: reply.get("t") in ("joined", "big"))
        says = 8
        for number in range(says):
            b.send(Say(box=os.urandom(SAY_BOX), id=10 + number))
        started = time.monotonic()
        closed_at = None
        outcomes: Counter[str] = Counter()
        while time.monotonic() - started < options.seconds:
            try:
                reply = await b.next(wait_s=max(0.1, options.seconds - since(started)))
            except Refused as exc:
                outcomes[exc.outcome] += 1
                break
            if reply.get("t") == "error":
                outcomes[str(reply.get("code"))] += 1
            if reply.get("kind") == "away" and reply.get("by") == Seat.A.value:
                closed_at = since(started)
                break
        return {
            "unsent_bytes": says * SAY_BOX,
            "closed_after_s": closed_at,
            "refusals": dict(outcomes),
            "outcome": "closed by the server" if closed_at is not None else "still open",
        }
    finally:
        a.close()
        b.close()


async def _fill(
    server: RunningServer,
    local_host: str,
    room: OwnRoom,
    seat: Seat,
    box_size: int,
    until: Callable[[], bool],
    outcomes: Counter[str],
    give_up: int = 3,
) -> int:
    """Bursts on fresh connections until `until()` or the server refuses `give_up` in a row."""
    accepted_bytes = 0
    refused = 0
    while not until() and refused < give_up:
        result = await burst(server.port, local_host, room, seat, MOVES_PER_CONNECTION, box_size)
        outcomes.update(result.outcomes)
        accepted_bytes += result.accepted_bytes
        refused = refused + 1 if result.accepted == 0 else 0
        if result.accepted == 0:
            await asyncio.sleep(0.2)
    return accepted_bytes


async def resume_storm(server: RunningServer, options: Options) -> dict[str, Any]:
    """127.0.0.3 fills its own room's log with small moves over many connections (each a new
    allowance), then `storm_connections` connections `resume after=0` over and over."""
    host = "127.0.0.3"
    started = time.monotonic()
    try:
        room, _ = await own_room(server.port, host)
    except Refused as exc:
        return {"outcome": f"setup refused: {exc.outcome}"}
    fill_deadline = started + options.seconds / 2
    fill_outcomes: Counter[str] = Counter()

    def filled() -> bool:
        return room.seq >= options.resume_events or time.monotonic() >= fill_deadline

    sizes = await asyncio.gather(
        *(_fill(server, host, room, seat, 100, filled, fill_outcomes) for seat in Seat)
    )
    fill_seconds = since(started)
    storm_started = time.monotonic()
    storm_deadline = storm_started + options.seconds / 2
    outcomes: Counter[str] = Counter()
    joined_ms: list[float] = []
    received = [0]

    async def storm(seat: Seat) -> None:
        while time.monotonic() < storm_deadline:
            began = time.monotonic()
            try:
                client = await connect(server.port, host)
            except Refused as exc:
                outcomes[exc.outcome] += 1
                await asyncio.sleep(0.05)
                continue
            try:
                client.send(Resume(code=room.code, token=room.tokens[seat], after=0, id=1))
                reply = await client.until(lambda reply: reply.get("t") in ("joined", "big"))
                joined_ms.append(1000 * (time.monotonic() - began))
                outcomes["joined"] += 1
                received[0] += int(reply.get("size", 0))
            except Refused as exc:
                outcomes[exc.outcome] += 1
                await asyncio.sleep(0.05)
            finally:
                client.close()

    await asyncio.gather(
        *(storm(Seat.A if i % 2 == 0 else Seat.B) for i in range(options.storm_connections))
    )
    joined_ms.sort()
    return {
        "events": room.seq,
        "log_bytes_filled": sum(sizes),
        "fill_seconds": fill_seconds,
        "fill_refusals": dict(fill_outcomes),
        "storm_seconds": since(storm_started),
        "storm_outcomes": dict(outcomes),
        "joined_per_s": round(outcomes["joined"] / max(0.001, since(storm_started)), 1),
        "joined_mib_received": round(received[0] / 2**20, 1),
        "joined_p50_ms": joined_ms[len(joined_ms) // 2] if joined_ms else None,
        "joined_max_ms": joined_ms[-1] if joined_ms else None,
    }


async def log_fill(server: RunningServer, options: Options) -> dict[str, Any]:
    """`fill_addresses` addresses (127.0.0.10 on) each make `fill_rooms` rooms and fill each
    log with 16,000-byte `say`s, 39 per connection, until the server refuses or time is up."""
    started = time.monotonic()
    deadline = started + options.seconds
    outcomes: Counter[str] = Counter()
    full_at: list[float] = []
    filled = [0]

    def out_of_time() -> bool:
        return time.monotonic() >= deadline

    async def one_room(host: str, room: OwnRoom) -> None:
        size = await _fill(server, host, room, Seat.B, SAY_BOX, out_of_time, outcomes, 1)
        filled[0] += size
        if not out_of_time():
            full_at.append(since(started))

    async def address(index: int) -> None:
        host = f"127.0.0.{10 + index}"
        rooms = []
        for _ in range(options.fill_rooms):
            if out_of_time():
                break
            try:
                rooms.append((await own_room(server.port, host))[0])
            except Refused as exc:
                outcomes[f"create: {exc.outcome}"] += 1
        await asyncio.gather(*(one_room(host, room) for room in rooms))

    await asyncio.gather(*(address(index) for index in range(options.fill_addresses)))
    return {
        "rooms_asked": options.fill_addresses * options.fill_rooms,
        "rooms_refused_more": len(full_at),
        "first_refused_after_s": min(full_at) if full_at else None,
        "last_refused_after_s": max(full_at) if full_at else None,
        "accepted_mib": round(filled[0] / 2**20, 1),
        "seconds": since(started),
        "outcomes": dict(outcomes),
    }


class _Quiet(asyncio.Protocol):
    """A TCP connection that never says anything; `lost` is set when the server drops it."""

    def __init__(self) -> None:
        self.lost = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def half_open(server: RunningServer, options: Options) -> dict[str, Any]:
    """127.0.0.4 holds `half_open` TCP connections that never send the HTTP request (reopening
    any the server drops) while 127.0.0.5 opens a websocket and gets an answer once a second."""
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    deadline = started + options.seconds
    counts: Counter[str] = Counter()
    holding = [0]
    most = [0]
    dropped_first: list[float] = []

    async def hold() -> None:
        while time.monotonic() < deadline:
            try:
                async with asyncio.timeout(max(0.1, min(5.0, deadline - time.monotonic()))):
                    transport, quiet = await loop.create_connection(
                        _Quiet, "127.0.0.1", server.port, local_addr=("127.0.0.4", 0)
                    )
            except (OSError, TimeoutError) as exc:
                counts[f"connect {refusal(exc)}"] += 1
                await asyncio.sleep(0.5)
                continue
            counts["opened"] += 1
            holding[0] += 1
            most[0] = max(most[0], holding[0])
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        await quiet.lost
                if quiet.lost.done():
                    counts["dropped by the server"] += 1
                    if not dropped_first:
                        dropped_first.append(since(started))
            finally:
                holding[0] -= 1
                transport.close()
            await asyncio.sleep(options.half_open_retry)

    probes: list[dict[str, Any]] = []

    async def probe() -> None:
        while time.monotonic() < deadline:
            began = time.monotonic()
            outcome = "answered"
            try:
                client = await connect(server.port, "127.0.0.5", wait_s=5.0)
                try:
                    client.send(Nod(kind=NodKind.HEART, id=1))
                    reply = await client.next(wait_s=5.0)
                    if reply.get("code") != "not_in_room":
                        outcome = f"unexpected {reply.get('t')}"
                finally:
                    client.close()
            except Refused as exc:
                outcome = exc.outcome
            took = round(1000 * (time.monotonic() - began))
            probes.append({"at": round(began - started, 2), "ms": took, "outcome": outcome})
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began)))

    await asyncio.gather(probe(), *(hold() for _ in range(options.half_open)))
    answered = [p for p in probes if p["outcome"] == "answered"]
    return {
        "connections_asked": options.half_open,
        "most_held_at_once": most[0],
        "connects": dict(counts),
        "first_dropped_after_s": dropped_first[0] if dropped_first else None,
        "probes": len(probes),
        "probes_answered": len(answered),
        "probe_max_ms": max((p["ms"] for p in answered), default=None),
        "probe_failures": dict(Counter(p["outcome"] for p in probes if p not in answered)),
        "probe_log": probes,
    }


async def expiry(server: RunningServer, options: Options) -> dict[str, Any]:
    """`expiry_rooms` rooms made at once from 100 addresses (127.0.1.1 on, 30 each: the default
    per-address allowance), then left; they expire together in one sweep."""
    started = time.monotonic()
    outcomes: Counter[str] = Counter()
    per_address = 30
    addresses = -(-options.expiry_rooms // per_address)

    async def create(host: str) -> None:
        try:
            client = await connect(server.port, host)
        except Refused as exc:
            outcomes[exc.outcome] += 1
            return
        try:
            client.send(Create(id=1))
            await client.until(lambda reply: reply.get("t") == "joined")
            outcomes["created"] += 1
        except Refused as exc:
            outcomes[exc.outcome] += 1
        finally:
            client.close()

    async def address(index: int) -> None:
        host = f"127.0.{1 + index // 250}.{1 + index % 250}"
        share = min(per_address, options.expiry_rooms - index * per_address)
        await asyncio.gather(*(create(host) for _ in range(share)))

    await asyncio.gather(*(address(index) for index in range(addresses)))
    created_in = since(started)
    deadline = started + options.seconds
    swept_at = None
    rooms_seen = []
    while time.monotonic() < deadline:
        body = await healthz(server.port)
        rooms = None if body is None else body.get("rooms")
        rooms_seen.append((since(started), rooms))
        if rooms is not None and rooms <= 1 and outcomes["created"]:
            swept_at = since(started)
            break
        await asyncio.sleep(0.2)
    if swept_at is not None:
        await asyncio.sleep(min(3.0, max(0.0, deadline - time.monotonic())))
    return {
        "rooms_created": outcomes["created"],
        "created_in_s": created_in,
        "outcomes": dict(outcomes),
        "all_gone_after_s": swept_at,
        "rooms_seen": rooms_seen[-10:],
    }


ATTACKS: dict[str, Attack] = {
    "baseline": baseline,
    "ping-flood": ping_flood,
    "silent-reader": silent_reader,
    "resume-storm": resume_storm,
    "log-fill": log_fill,
    "half-open": half_open,
    "expiry": expiry,
}
