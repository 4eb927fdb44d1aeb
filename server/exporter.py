"""`--metrics-port`: the server's metrics for Prometheus, on an address of their own.

Not on the websocket port: that one faces the internet through the reverse
proxy (deploy/Caddyfile), and how busy the server is, how often it refuses and
how its store fares is for whoever runs it. A listener of its own also keeps
scraping out of what limits people's connections (server/doorway.py, the
per-address limits): a scrape never takes a descriptor from them, and a full
server can still be scraped. docs/deploy.md, Metrics.

prometheus_client's own HTTP server answers on a thread of its own, so that a
scrape costs the event loop only the census below. Counters and histograms
are thread-safe there; the gauges are not counted as things change but taken
on scrape, on the event loop, which alone may read the rooms.
"""

import asyncio
import threading
from collections.abc import Callable, Iterable
from time import perf_counter
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from server.metrics import Census, Limited, MetricsAddressError, StoreOperation
from shared.errors import ErrorCode
from shared.events import EventKind
from shared.seats import Phase

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
"""Seconds: a commit on SQLite takes about a millisecond, and past a second people notice
(docs/performance.md)."""

CENSUS_TIMEOUT = 5.0
"""Seconds a scrape waits for the event loop to count rooms: a loop that busy fails the scrape,
which Prometheus records as the target down."""


class PrometheusMetrics:
    """`server.metrics.Metrics` for Prometheus, in a registry of its own: nothing another
    library registers by default (Python's garbage collector, its platform) is served. They
    are counted from the start, and served on `host`:`port` once `listen` is called."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        # A `_created` series beside every counter and histogram doubles what is scraped for
        # a start time the process metrics already give. The switch is the library's, for the
        # whole process: this server's is the only registry in it that is served. The library
        # leaves this one function unannotated.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        # The process's CPU, memory and descriptors: each connection is a descriptor, and the
        # soft limit on them is the server's connection budget (server/doorway.py).
        ProcessCollector(registry=self.registry)
        events = Counter(
            "fireside_events",
            "Events the store kept and the server told the room of, by kind.",
            ["kind"],
            registry=self.registry,
        )
        refused = Counter(
            "fireside_refused",
            "Messages answered with an error, by its code (docs/protocol.md, Error codes).",
            ["code"],
            registry=self.registry,
        )
        limited = Counter(
            "fireside_rate_limited",
            "Refusals by a limit: answer (a message answered rate_limited), handshake (HTTP 429, "
            "too many connections from one address), close (a connection closed with 1008).",
            ["how"],
            registry=self.registry,
        )
        store_errors = Counter(
            "fireside_store_errors",
            "Writes (batches of changes, undone and answered rate_limited) and removals of "
            "expired rooms that the store could not do.",
            ["operation"],
            registry=self.registry,
        )
        self._commit = Histogram(
            "fireside_commit_seconds",
            "Seconds from a batch of changes handed to the store to the event loop hearing that "
            "it is kept.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._relay = Histogram(
            "fireside_relay_seconds",
            "Seconds from a frame judged to its event handed to the room's connections: the "
            "rest of the loop's turn, the batch before it, and the commit.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Every label value now, from its fixed set: each series exists from the start at 0,
        # and a lookup on the hot path is a dict's.
        self._events = {kind: events.labels(kind.value) for kind in EventKind}
        self._refused = {code: refused.labels(code.value) for code in ErrorCode}
        self._limited = {how: limited.labels(how.value) for how in Limited}
        self._store_errors = {op: store_errors.labels(op.value) for op in StoreOperation}

    def listen(self, census: Callable[[], Census]) -> "MetricsListener":
        """Serve the metrics, with the gauges from `census`; MetricsAddressError if the
        address cannot be listened on."""
        self.registry.register(_Gauges(census, asyncio.get_running_loop()))
        try:
            return MetricsListener(*start_http_server(self._port, self._host, self.registry))
        except OSError as exc:
            raise MetricsAddressError(exc) from exc

    def clock(self) -> float:
        return perf_counter()

    def accepted(self, kind: EventKind) -> None:
        self._events[kind].inc()

    def refused(self, code: ErrorCode) -> None:
        self._refused[code].inc()

    def limited(self, how: Limited) -> None:
        self._limited[how].inc()

    def committed(self, seconds: float) -> None:
        self._commit.observe(seconds)

    def relayed(self, seconds: float) -> None:
        self._relay.observe(seconds)

    def store_failed(self, operation: StoreOperation) -> None:
        self._store_errors[operation].inc()


class _Gauges:
    """The rooms by phase and the open connections, counted on the event loop at each scrape
    rather than kept up to date on every change."""

    def __init__(self, census: Callable[[], Census], loop: asyncio.AbstractEventLoop) -> None:
        self._census = census
        self._loop = loop

    def describe(self) -> Iterable[Metric]:
        """The families without samples: registering must not wait on the loop it runs on."""
        return self._families(None)

    def collect(self) -> Iterable[Metric]:
        """On the scrape's thread: the census is taken on the loop's."""

        async def take() -> Census:
            return self._census()

        taken = asyncio.run_coroutine_threadsafe(take(), self._loop)
        try:
            census = taken.result(CENSUS_TIMEOUT)
        except TimeoutError:
            taken.cancel()
            raise
        return self._families(census)

    def _families(self, census: Census | None) -> list[Metric]:
        rooms = GaugeMetricFamily(
            "fireside_rooms", "Rooms this server holds, by phase.", labels=["phase"]
        )
        connections = GaugeMetricFamily(
            "fireside_connections", "Open websocket connections to this server."
        )
        if census is not None:
            for phase in Phase:
                rooms.add_metric([phase.value], census.rooms.get(phase, 0))
            connections.add_metric([], census.connections)
        return [rooms, connections]


class MetricsListener:
    """prometheus_client's HTTP server and the thread it answers on; `port` is the bound one,
    for a config that asked for 0."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port: int = server.server_port

    async def close(self) -> None:
        """Stop answering: `shutdown` waits for the server's thread, so not on the loop."""
        await asyncio.to_thread(self._server.shutdown)
        self._server.server_close()
        self._thread.join()
