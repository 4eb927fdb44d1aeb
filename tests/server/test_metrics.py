"""`--metrics-port`: Prometheus metrics on an address of their own, counting without naming."""

import asyncio
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from server.app import RunningServer, start_server
from server.config import ServerConfig
from shared.errors import ErrorCode
from shared.events import EventKind
from shared.seats import Phase
from tests.server.http import http_get
from tests.server.wire import Member, Pair, paired_pair
from tests.server_process import ServerProcess, server_process
from tests.timing import seconds

MARKER = "quokka-lanterns-5190"
"""Inside every box of the round: it must never reach the metrics."""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@asynccontextmanager
async def metered_server(data: Path) -> AsyncIterator[RunningServer]:
    """A server on SQLite in `data`, so that commits wait for a disk, with metrics on any port."""
    running = await start_server(ServerConfig(port=0, data=str(data), metrics_port=0))
    try:
        yield running
    finally:
        await running.close()


async def scrape(port: int) -> tuple[str, Samples]:
    """GET /metrics on `port`: the text, and every sample by name and labels."""
    status, text = await http_get(port, "/metrics")
    assert status == 200, text
    samples: Samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    """Each value of `name`'s samples, by the value of its one label `label`."""
    return {dict(labels)[label]: value for (n, labels), value in samples.items() if n == name}


async def both_hear(pair: Pair, sender: Member, message: dict[str, Any]) -> None:
    """`sender` sends `message` and both members receive the event it makes."""
    await sender.send(message)
    for member in (pair.a, pair.b):
        event = await member.recv()
        assert event["kind"] == message["t"], event


async def test_a_round_is_counted_by_kind_code_and_phase_and_names_nothing(tmp_path: Path) -> None:
    """Events kept by kind match what the round sent, a refusal counts by its code, rooms count
    by phase, both latencies are timed, and nothing of the round is in the text."""
    async with metered_server(tmp_path) as running, paired_pair(running.port) as pair:
        assert running.metrics_port is not None
        await both_hear(pair, pair.a, {"t": "ask", "box": b"\x00ask " + MARKER.encode()})
        await both_hear(pair, pair.b, {"t": "say", "box": b"\x00say " + MARKER.encode()})
        await both_hear(pair, pair.b, {"t": "done"})
        refusal = await pair.a.request({"t": "join", "code": pair.code, "id": 7})
        assert refusal["code"] == ErrorCode.IN_ROOM, refusal

        text, samples = await scrape(running.metrics_port)
        events = by_label(samples, "fireside_events_total", "kind")
        sent = {"joined": 2, "pake": 2, "verify": 2, "hello": 2, "ask": 1, "say": 1, "done": 1}
        assert events == {kind.value: sent.get(kind.value, 0) for kind in EventKind}
        refused = by_label(samples, "fireside_refused_total", "code")
        assert refused == {code.value: int(code is ErrorCode.IN_ROOM) for code in ErrorCode}
        rooms = by_label(samples, "fireside_rooms", "phase")
        assert rooms == {phase.value: int(phase is Phase.REFLECTING) for phase in Phase}
        assert samples["fireside_connections", frozenset()] == 2
        assert samples["fireside_commit_seconds_count", frozenset()] > 0
        assert samples["fireside_commit_seconds_sum", frozenset()] > 0
        # Every event kept was timed once, from its frame to its room's connections.
        assert samples["fireside_relay_seconds_count", frozenset()] == sum(sent.values())
        assert set(by_label(samples, "fireside_store_errors_total", "operation").values()) == {0}

        await pair.a.send({"t": "leave"})
        assert (await pair.b.recv())["kind"] == "left"
        later, samples = await scrape(running.metrics_port)
        assert samples["fireside_events_total", frozenset({("kind", "left")})] == 1
        rooms = by_label(samples, "fireside_rooms", "phase")
        assert rooms == {phase.value: int(phase is Phase.ENDED) for phase in Phase}

    secrets = (MARKER, MARKER.encode().hex(), pair.code, pair.code.replace("-", ""))
    for secret in (*secrets, pair.a_token, pair.b_token, "127.0.0.1"):
        assert secret not in text
        assert secret not in later


def listening_sockets(pid: int) -> int:
    """How many TCP sockets the process `pid` holds in the listening state (Linux's /proc)."""
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        found = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
        if found:
            held.add(found.group(1))
    listening = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            listening += fields[3] == "0A" and fields[9] in held
    return listening


async def metrics_port(running: ServerProcess) -> int:
    """The port of the server's start-up line about metrics, once it has written it."""
    async with asyncio.timeout(seconds(5)):
        while True:
            found = re.search(r"metrics on \S+ port (\d+)", running.log)
            if found:
                return int(found.group(1))
            await asyncio.sleep(0.05)


async def test_without_metrics_port_nothing_serves_metrics() -> None:
    """Without `--metrics-port` the server listens on its websocket port alone, and `/metrics`
    there gets the answer any request without fireside.2 gets, not the metrics."""
    async with server_process() as running:
        assert listening_sockets(running.process.pid) == 1
        status, body = await http_get(running.port, "/metrics")
        assert status == 400
        assert "fireside_" not in body
        assert "metrics on" not in running.log


async def test_metrics_port_listens_apart_and_says_where() -> None:
    """`--metrics-port 0` opens a second listener, logs its bound port, and serves the metrics
    there, not on the websocket port."""
    async with server_process("--metrics-port", "0") as running:
        port = await metrics_port(running)
        assert port != running.port
        assert listening_sockets(running.process.pid) == 2
        _, samples = await scrape(port)
        assert samples["fireside_connections", frozenset()] == 0
        status, _ = await http_get(running.port, "/metrics")
        assert status == 400
