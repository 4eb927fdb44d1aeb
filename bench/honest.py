"""The honest pair: two people in a room of their own, playing rounds while someone attacks.

It runs in a process of its own (on the generator's core), so the attacker's
busy loop does not delay its reads. It creates, joins and pairs a room as
`bench/room.py` does, then plays full rounds with that module's round logic,
one step every `1 / rate` seconds. A step's latency is its send to the moment
the sender's own link reads the event the server echoes back (docs/protocol.md,
Server → client: every event goes to both members, its sender included).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as StopEvent
from typing import Any

import msgpack

from bench.room import STEP_KINDS, Room, SetupFailed, fireside_room
from bench.wire import Link, LinkClosed, open_link
from server.net import SUBPROTOCOL
from shared.seats import Seat

HONEST_HOST = "127.0.0.1"
"""The pair's own address; attackers use others, so per-address limits do not mix them up."""

GENERATOR_CORE = 1
ECHO_GRACE = 5.0
"""Seconds a step may still take to come back after the pair is told to stop."""

_KINDS = frozenset(str(kind) for kind in STEP_KINDS)


class HonestPair:
    """The room and every step it sent: (sent at, monotonic ns; latency µs or -1; seat)."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.steps: list[list[int]] = []
        self.errors: dict[str, int] = {}
        self.closed: list[tuple[int, str]] = []
        self._own: dict[Seat, deque[int]] = {seat: deque() for seat in Seat}
        self.settled = asyncio.Event()
        """Set while every step sent has come back."""
        """Indexes into `steps` of each seat's steps whose echo has not come back."""
        for seat, link in room.links.items():
            link.on_frame = self._echo(seat, link.on_frame)
            link.closed.add_done_callback(self._lost(seat))
        room.on_progress = self._progress

    def _echo(self, seat: Seat, rounds: Callable[[bytes], None]) -> Callable[[bytes], None]:
        own = self._own[seat]

        def received(frame: bytes) -> None:
            reply = msgpack.unpackb(frame)
            kind = reply.get("t")
            if kind == "error":
                code = str(reply.get("code"))
                self.errors[code] = self.errors.get(code, 0) + 1
            elif kind == "event" and reply.get("by") == seat.value and own:
                self._echoed(own, reply)
            rounds(frame)

        return received

    def _echoed(self, own: deque[int], reply: dict[str, Any]) -> None:
        if reply.get("kind") not in _KINDS:
            return
        step = self.steps[own.popleft()]
        step[1] = (time.monotonic_ns() - step[0]) // 1000
        if not self.waiting():
            self.settled.set()

    def _lost(self, seat: Seat) -> Callable[[asyncio.Future[None]], None]:
        def lost(future: asyncio.Future[None]) -> None:
            error = future.exception()
            self.closed.append((time.monotonic_ns(), f"{seat.value}: {error}"))

        return lost

    def _progress(self, room: Room) -> None:
        if room.due and room.ready():
            room.due = False
            self._send()

    def tick(self) -> None:
        """A step comes due: it goes now, or once the partner's last step has arrived."""
        if self.room.ready():
            self._send()
        else:
            self.room.due = True

    def _send(self) -> None:
        seat = self.room.next_seat
        self._own[seat].append(len(self.steps))
        self.settled.clear()
        self.steps.append([time.monotonic_ns(), -1, 0 if seat is Seat.A else 1])
        self.room.send_next()

    def waiting(self) -> int:
        return sum(len(own) for own in self._own.values())


async def _play(port: int, rate: float, stop: StopEvent, pipe: Connection) -> None:
    async def connect(path: str) -> Link:
        return await open_link(HONEST_HOST, port, path, SUBPROTOCOL, local_host=HONEST_HOST)

    try:
        async with asyncio.timeout(30):
            room = await fireside_room(connect, connect)
    except (SetupFailed, LinkClosed, OSError, TimeoutError) as exc:
        pipe.send({"ready": False, "why": f"{type(exc).__name__}: {exc}"})
        return
    pair = HonestPair(room)
    pipe.send({"ready": True})
    loop = asyncio.get_running_loop()
    period = 1 / rate
    next_at = loop.time()
    while not stop.is_set() and len(pair.closed) < 2:
        pair.tick()
        next_at += period
        await asyncio.sleep(max(0.0, next_at - loop.time()))
    if pair.waiting() and not pair.closed:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ECHO_GRACE):
                await pair.settled.wait()
    room.close()
    pipe.send({"steps": pair.steps, "errors": pair.errors, "closed": pair.closed})


def play(port: int, rate: float, stop: StopEvent, pipe: Connection) -> None:
    """A process's body: pair, say "ready", play until `stop`, send back every step."""
    if (os.cpu_count() or 1) > GENERATOR_CORE:
        os.sched_setaffinity(0, {GENERATOR_CORE})
    asyncio.run(_play(port, rate, stop, pipe))


def latency_figures(result: dict[str, Any], since_ns: int, until_ns: int) -> dict[str, Any]:
    """p50, p99 and max of the steps sent in [since, until); steps that never came back count."""
    steps = [step for step in result.get("steps", []) if since_ns <= step[0] < until_ns]
    answered = sorted(step[1] for step in steps if step[1] >= 0)
    return {
        "steps": len(steps),
        "answered": len(answered),
        "unanswered": len(steps) - len(answered),
        "p50_ms": _rank(answered, 50),
        "p99_ms": _rank(answered, 99),
        "max_ms": answered[-1] / 1000 if answered else None,
        # When the slowest steps were sent (seconds into the window), to line them up with
        # what the attack was doing then.
        "slowest": [
            [round((step[0] - since_ns) / 1e9, 2), step[1] / 1000]
            for step in sorted(steps, key=lambda step: step[1], reverse=True)[:5]
            if step[1] >= 0
        ],
        "errors": result.get("errors", {}),
        "closed": [why for at, why in result.get("closed", []) if at >= since_ns],
    }


def _rank(ordered: list[int], percent: float) -> float | None:
    """Nearest-rank percentile of microsecond samples, in milliseconds."""
    if not ordered:
        return None
    rank = max(0, -(-len(ordered) * percent // 100) - 1)
    return ordered[int(rank)] / 1000
