"""One generator process: its share of the rooms, set up, then driven on the orchestrator's word.

The orchestrator (`bench.__main__`) and each process speak over a
multiprocessing pipe: the process says `ready` once its rooms are paired,
then runs each `steady`, `peak` or `idle` command and answers with its tally.
"""

import asyncio
import os
import random
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.room import Room, SetupFailed, Tally, fireside_room, relay_room
from bench.wire import Link, LinkClosed, open_link
from server.doorway import raise_open_files
from server.net import SUBPROTOCOL

SETUP_TIMEOUT = 60.0
"""Seconds one room may take to be created, joined and paired."""

DRAIN = 2.0
"""Seconds after a run for the steps still on their way to arrive before the next run."""


@dataclass(frozen=True)
class Plan:
    """One process's share: `rooms` rooms on `target` (`relay`, or Fireside on any store)."""

    target: str
    host: str
    ports: tuple[int, int]
    """Where seat a and seat b connect: one port twice, or two servers on one database."""
    rooms: int
    first: int
    """The number of this share's first room, so relay paths differ across processes."""
    core: int | None
    concurrency: int = 32
    """Rooms being set up at once: pairing is CPU work, handshakes must not time out."""


@dataclass(frozen=True)
class Run:
    """A timed run: warm up, then measure, from `start` on the shared monotonic clock (ns)."""

    kind: str
    """`peak` (as fast as answers come), or else steady: each room sends at `rate` per second."""
    start: int
    warmup: float
    duration: float
    rate: float = 1.0
    window: int = 1


def work(plan: Plan, pipe: Connection) -> None:
    """The process's entry point."""
    if plan.core is not None:
        os.sched_setaffinity(0, {plan.core})
    raise_open_files()
    asyncio.run(_work(plan, pipe))


async def _work(plan: Plan, pipe: Connection) -> None:
    rooms, failures = await _set_up(plan)
    pipe.send(("ready", len(rooms), failures))
    try:
        while True:
            command = await asyncio.to_thread(pipe.recv)
            if not isinstance(command, Run):
                break
            pipe.send(await _drive(rooms, command))
    finally:
        for room in rooms:
            room.close()
        pipe.send(("stopped",))


async def _set_up(plan: Plan) -> tuple[list[Room], list[str]]:
    async def connect_a(path: str) -> Link:
        return await open_link(plan.host, plan.ports[0], path, SUBPROTOCOL)

    async def connect_b(path: str) -> Link:
        return await open_link(plan.host, plan.ports[1], path, SUBPROTOCOL)

    gate = asyncio.Semaphore(plan.concurrency)
    failures: list[str] = []

    async def one(number: int) -> Room | None:
        async with gate:
            try:
                async with asyncio.timeout(SETUP_TIMEOUT):
                    if plan.target == "relay":
                        return await relay_room(connect_a, number)
                    return await fireside_room(connect_a, connect_b)
            except (OSError, TimeoutError, LinkClosed, SetupFailed) as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
                return None

    made = await asyncio.gather(*(one(plan.first + n) for n in range(plan.rooms)))
    return [room for room in made if room is not None], failures


async def _drive(rooms: list[Room], run: Run) -> dict[str, Any]:
    """Play `run` on every room; the tally of the steps sent while measuring."""
    loop = asyncio.get_running_loop()
    tally = Tally()
    tally.measuring_from = run.start + round(run.warmup * 1e9)
    tally.measuring_until = tally.measuring_from + round(run.duration * 1e9)
    stop_at = tally.measuring_until / 1e9
    for room in rooms:
        room.tally = tally
    started = time.process_time()
    if run.kind == "peak":
        _peak(rooms, run, stop_at)
    else:
        _steady(rooms, run, stop_at)
    await asyncio.sleep(max(0.0, stop_at - loop.time()) + min(DRAIN, run.duration))
    for room in rooms:
        room.on_progress = _idle
    closed = sum(link.closed.done() for room in rooms for link in room.links.values())
    return {
        "latencies_us": tally.latencies_us.tobytes(),
        "sent": tally.sent,
        "delivered": tally.delivered,
        "errors": tally.errors,
        "closed": closed,
        "cpu_s": time.process_time() - started,
    }


def _steady(rooms: list[Room], run: Run, stop_at: float) -> None:
    """Each room sends one step every 1/rate s, at a phase of its own."""
    loop = asyncio.get_running_loop()
    interval = 1.0 / run.rate

    def tick(room: Room) -> None:
        if loop.time() >= stop_at:
            return
        if room.ready():
            room.send_next()
        else:
            room.due = True
        loop.call_later(interval, tick, room)

    def on_progress(room: Room) -> None:
        if room.due and room.ready():
            room.due = False
            room.send_next()

    begin = run.start / 1e9
    for room in rooms:
        room.window = 1
        room.on_progress = on_progress
        loop.call_at(begin + random.uniform(0, interval), tick, room)


def _peak(rooms: list[Room], run: Run, stop_at: float) -> None:
    """Closed loop: each room sends whenever its next step may go, up to `window` in flight."""
    loop = asyncio.get_running_loop()

    def pump(room: Room) -> None:
        while loop.time() < stop_at and room.ready():
            room.send_next()

    def begin() -> None:
        for room in rooms:
            pump(room)

    for room in rooms:
        room.window = run.window
        room.on_progress = pump
    loop.call_at(run.start / 1e9, begin)


def _idle(room: Room) -> None:
    """Between runs nothing is sent."""
