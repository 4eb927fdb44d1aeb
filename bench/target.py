"""One target under load: its server process on core 0, generator processes on core 1."""

import contextlib
import math
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.load import Plan, Run, work
from bench.postgres import fresh_database, throwaway_postgres
from bench.proc import core_ticks, cpu_seconds, rss_mib, stop
from server.config import MEMORY_DATA

SERVER_CORE = 0
GENERATOR_CORE = 1

CONNECTIONS_PER_PROCESS = 5000
"""Well under the 20,000 open files a process may have here."""

IDLE_SETTLE = 5.0
"""Seconds after the last idle room is paired before memory is read."""


@dataclass(frozen=True)
class Scale:
    rooms: int
    rate: float
    warmup: float
    duration: float
    window: int
    idle_rooms: int


TARGETS = ("relay", "fireside", "fireside-memory", "fireside-postgres", "fireside-postgres-2")
"""Every target, in the order a run measures them."""


def measure_target(target: str, scale: Scale, runs: set[str]) -> dict[str, Any]:
    """Every run asked for, on a fresh server for the timed runs and another for idle."""
    results: dict[str, Any] = {}
    timed = [run for run in ("steady", "peak") if run in runs]
    if timed:
        with _servers(target) as servers, _generators(target, servers, scale.rooms) as gen:
            results["setup"] = gen.setup
            for kind in timed:
                results[kind] = _timed(kind, servers.pids, gen, scale)
    if "idle" in runs:
        with _servers(target) as servers, _generators(target, servers, scale.idle_rooms) as gen:
            results["idle"] = _idle(servers.pids, gen, scale)
    return results


@dataclass(frozen=True)
class _Servers:
    """The target's server processes, listening, and where seat a and seat b connect."""

    pids: list[int]
    ports: tuple[int, int]


class _Generators:
    def __init__(self, pipes: list[Connection], setup: dict[str, Any]) -> None:
        self.pipes = pipes
        self.setup = setup


def _timed(kind: str, pids: list[int], gen: _Generators, scale: Scale) -> dict[str, Any]:
    start = time.monotonic_ns() + 500_000_000
    run = Run(
        kind=kind,
        start=start,
        warmup=scale.warmup,
        duration=scale.duration,
        rate=scale.rate,
        window=scale.window,
    )
    measuring = start / 1e9 + scale.warmup
    for pipe in gen.pipes:
        pipe.send(run)
    time.sleep(max(0.0, measuring - time.monotonic()))
    cpu_before = _cpu_seconds(pids)
    cores_before = [core_ticks(core) for core in (SERVER_CORE, GENERATOR_CORE)]
    time.sleep(scale.duration)
    server_cpu = _cpu_seconds(pids) - cpu_before
    busy = [
        100 * (after[0] - before[0]) / max(1, after[1] - before[1])
        for before, after in zip(
            cores_before, [core_ticks(core) for core in (SERVER_CORE, GENERATOR_CORE)], strict=True
        )
    ]
    rss = _rss_mib(pids)
    tallies = [pipe.recv() for pipe in gen.pipes]
    latencies = array("q")
    for tally in tallies:
        latencies.frombytes(tally["latencies_us"])
    ordered = sorted(latencies)
    delivered = sum(tally["delivered"] for tally in tallies)
    return {
        "rooms": gen.setup["rooms"],
        "sent": sum(tally["sent"] for tally in tallies),
        "delivered": delivered,
        "msgs_per_s": delivered / scale.duration,
        "p50_ms": _percentile(ordered, 50),
        "p99_ms": _percentile(ordered, 99),
        "max_ms": ordered[-1] / 1000 if ordered else math.nan,
        "errors": sum(tally["errors"] for tally in tallies),
        "closed": sum(tally["closed"] for tally in tallies),
        "server_cpu_percent": 100 * server_cpu / scale.duration,
        "server_cpu_us_per_msg": 1e6 * server_cpu / delivered if delivered else math.nan,
        "generator_cpu_percent": 100 * sum(t["cpu_s"] for t in tallies) / scale.duration,
        "server_rss_mib": rss,
        "server_core_busy_percent": busy[0],
        "generator_core_busy_percent": busy[1],
    }


def _idle(pids: list[int], gen: _Generators, scale: Scale) -> dict[str, Any]:
    time.sleep(min(IDLE_SETTLE, scale.duration))
    cpu_before = _cpu_seconds(pids)
    time.sleep(scale.duration / 3)
    cpu = _cpu_seconds(pids) - cpu_before
    rss = _rss_mib(pids)
    connections = 2 * gen.setup["rooms"]
    return {
        "rooms": gen.setup["rooms"],
        "connections": connections,
        "setup_failures": gen.setup["failed"],
        "server_rss_mib": rss,
        "kib_per_connection": 1024 * rss / connections if connections else math.nan,
        "server_cpu_percent": 100 * cpu / (scale.duration / 3),
    }


def _cpu_seconds(pids: list[int]) -> float:
    """The CPU time of every server process of the target (never the database's)."""
    return sum(cpu_seconds(pid) for pid in pids)


def _rss_mib(pids: list[int]) -> float:
    return sum(rss_mib(pid) for pid in pids)


def _percentile(ordered: list[int], percent: float) -> float:
    """Nearest-rank percentile of microsecond samples, in milliseconds."""
    if not ordered:
        return math.nan
    rank = max(0, math.ceil(percent / 100 * len(ordered)) - 1)
    return ordered[rank] / 1000


def _pinned(core: int) -> list[str]:
    """`taskset -c core` where the machine has that core and taskset; nothing otherwise."""
    if shutil.which("taskset") and core < (os.cpu_count() or 1):
        return ["taskset", "-c", str(core)]
    return []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _servers(target: str) -> Iterator[_Servers]:
    """The target's servers, listening.

    `fireside` keeps its rooms in SQLite, as a VPS would; `fireside-memory` keeps them in
    memory only, to show what the disk costs; `fireside-postgres` in a throwaway PostgreSQL
    of its own (bench/postgres.py), started on the server's core, so the database's work
    is on the one core measured; `fireside-postgres-2` runs two servers on that one
    database, both on that core, seat a of every room on the first and seat b on the second.
    """
    with (
        tempfile.TemporaryDirectory(prefix="fireside-bench-") as scratch,
        contextlib.ExitStack() as held,
    ):
        data = {
            "relay": [],
            "fireside": ["--data", str(Path(scratch) / "data")],
            "fireside-memory": ["--data", MEMORY_DATA],
        }.get(target)
        if data is None:
            server = held.enter_context(throwaway_postgres(_pinned(SERVER_CORE)))
            data = ["--data", fresh_database(server)]
        pid, port = held.enter_context(_process(target, data, Path(scratch) / "server.log"))
        if target != "fireside-postgres-2":
            yield _Servers([pid], (port, port))
            return
        # A second server on the same database: docs/deploy.md, Several servers.
        other, other_port = held.enter_context(_process(target, data, Path(scratch) / "second.log"))
        yield _Servers([pid, other], (port, other_port))


class _Exited(RuntimeError):
    """A server process exited before it listened."""


@contextlib.contextmanager
def _process(target: str, data: list[str], log_path: Path) -> Iterator[tuple[int, int]]:
    """One server process of `target` on core 0, listening: (pid, port)."""
    port = _free_port()
    command = [sys.executable, "-m", f"bench.{'relay' if target == 'relay' else 'serve'}"]
    command += ["--port", str(port), *data]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*_pinned(SERVER_CORE), *command], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_listening(port, process)
            yield process.pid, port
        finally:
            stop(process)


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise _Exited(f"the server exited with {process.returncode} before listening")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the server did not listen within 30 s")


@contextlib.contextmanager
def _generators(target: str, servers: _Servers, rooms: int) -> Iterator[_Generators]:
    """Generator processes on core 1, their rooms set up."""
    count = max(1, math.ceil(2 * rooms / CONNECTIONS_PER_PROCESS))
    context = multiprocessing.get_context("spawn")
    core = GENERATOR_CORE if _pinned(GENERATOR_CORE) else None
    processes = []
    pipes: list[Connection] = []
    first = 0
    for index in range(count):
        share = rooms // count + (1 if index < rooms % count else 0)
        ours, theirs = context.Pipe()
        plan = Plan(target, "127.0.0.1", servers.ports, share, first, core)
        process = context.Process(target=work, args=(plan, theirs), daemon=True)
        process.start()
        processes.append(process)
        pipes.append(ours)
        first += share
    started = time.monotonic()
    readies = [pipe.recv() for pipe in pipes]
    failures = [failure for ready in readies for failure in ready[2]]
    setup = {
        "rooms": sum(ready[1] for ready in readies),
        "failures": failures[:10],
        "failed": len(failures),
        "processes": count,
        "seconds": time.monotonic() - started,
    }
    try:
        yield _Generators(pipes, setup)
    finally:
        for pipe in pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
