"""Starting and stopping a server in-process: the embedding API for `fireside host` and tests."""

import asyncio
import contextlib
import errno
import gc
import logging
import signal
import ssl
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import Server, serve
from websockets.typing import Subprotocol

from server.accepts import AcceptFailures
from server.config import ServerConfig
from server.doorway import ACCEPT_BACKLOG, Doorway, descriptor_budget
from server.guard import GuardedConnection, guarded
from server.limits import AttemptLimits
from server.metrics import NO_METRICS, Census, Metrics
from server.net import SUBPROTOCOL, Gateway, now_ms
from server.outbox import WRITE_LIMIT
from server.rooms import RoomRegistry
from server.storage import open_store
from server.store import SharedStore
from server.tls import server_context
from shared.codec import MAX_MESSAGE
from shared.version import installed_version
from shared.wire import CloseCode

if TYPE_CHECKING:
    from server.exporter import MetricsListener, PrometheusMetrics

log = logging.getLogger("server.app")

MAX_QUEUE = 4
"""Incoming frames buffered per connection: at most 4 x 64 KiB held for a slow handler."""


def cannot_listen(host: str, port: int, exc: OSError, flag: str = "--port") -> str:
    """One sentence for a port the server could not listen on, for either command line."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use; choose another with {flag}."
    return f"cannot listen on {host} port {port}: {exc.strerror or exc}."


class RunningServer:
    """A listening server; `port` is the bound port, useful when the config asked for 0."""

    def __init__(
        self,
        server: Server,
        gateway: Gateway,
        chores: "list[asyncio.Task[None]]",
        registry: RoomRegistry,
        metrics: "MetricsListener | None",
    ) -> None:
        self._server = server
        self._gateway = gateway
        self._chores = chores
        """The sweep, and with a shared store the follower of other servers' news."""
        self._registry = registry
        self._metrics = metrics
        self.port: int = server.sockets[0].getsockname()[1]

    @property
    def metrics_port(self) -> int | None:
        """The port the metrics are served on, None without `metrics_port` in the config."""
        return None if self._metrics is None else self._metrics.port

    @property
    def connection_count(self) -> int:
        return self._gateway.connection_count

    @property
    def buffered_bytes(self) -> int:
        """Bytes queued for clients that have not read them yet, over every connection."""
        return self._gateway.buffered_bytes

    async def close(self) -> None:
        """Close every connection with 1001 and stop: docs/protocol.md, Close codes."""
        for chore in self._chores:
            chore.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chore
        self._server.close(code=CloseCode.GOING_AWAY, reason="the server is shutting down")
        await self._server.wait_closed()
        if self._metrics is not None:
            await self._metrics.close()
        # Only now: every handler has recorded its member's `away` on the way out.
        self._registry.close()


def _tls(config: ServerConfig) -> ssl.SSLContext | None:
    """Built-in TLS when both files are given; `CertificateError` says what is wrong with them."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    return server_context(config.tls_cert, config.tls_key)


def websocket_options(config: ServerConfig) -> dict[str, Any]:
    """How the server's websockets are set up; bench/relay.py's baseline takes the same."""
    return {
        "subprotocols": [Subprotocol(SUBPROTOCOL)],
        "compression": None,
        "max_size": MAX_MESSAGE,
        "max_queue": MAX_QUEUE,
        "write_limit": WRITE_LIMIT,
        # docs/protocol.md, Keepalive: a link that went silent is closed, and its member away.
        "ping_interval": config.ping_interval,
        "ping_timeout": config.ping_timeout,
        "close_timeout": config.close_timeout,
    }


def _prometheus(config: ServerConfig) -> "PrometheusMetrics | None":
    """The counters of `--metrics-port`, or None without it. Imported only then, as the
    follower of a shared store is: prometheus_client takes some 40 ms to load, which
    `fireside host` and a server without metrics need not spend."""
    if config.metrics_port is None:
        return None
    from server.exporter import PrometheusMetrics

    return PrometheusMetrics(config.metrics_host, config.metrics_port)


async def start_server(config: ServerConfig) -> RunningServer:
    """Listen on `config.host`:`config.port` and serve rooms until `close()`."""
    tls = _tls(config)
    limits = config.limits
    prometheus = _prometheus(config)
    metrics: Metrics = NO_METRICS if prometheus is None else prometheus
    store = open_store(config.data)
    registry = RoomRegistry(
        store,
        room_ttl_ms=round(config.room_ttl * 1000),
        letters_ttl_ms=round(config.letters_ttl * 1000),
        max_rooms=limits.max_rooms,
        max_log_bytes=limits.max_log_bytes,
        max_total_log_bytes=limits.max_total_log_bytes,
        # Group commits: what every connection did in one turn of the loop, one commit keeps,
        # and the store's writer thread waits for it while the loop goes on.
        loop=asyncio.get_running_loop(),
        metrics=metrics,
    )
    attempts = AttemptLimits(limits, room_ttl_ms=round(config.room_ttl * 1000))
    gateway = Gateway(registry, attempts, config, metrics)
    doorway = Doorway[GuardedConnection](
        per_address=limits.connections_per_address + limits.handshakes_per_address,
        total=limits.max_connections or descriptor_budget(),
    )
    connection = guarded(
        doorway,
        stall_timeout=limits.write_timeout,
        close_timeout=config.close_timeout,
        count_peer=not config.trust_forwarded_for,
    )
    try:
        registry.recover(now_ms())
        server = await serve(
            gateway.handle,
            config.host,
            config.port,
            **websocket_options(config),
            process_request=gateway.process_request,
            create_connection=connection,
            backlog=ACCEPT_BACKLOG,
            ssl=tls,
        )
    except BaseException:
        registry.close()
        raise
    listener = None
    if prometheus is not None:
        try:
            listener = prometheus.listen(
                lambda: Census(registry.phases(), gateway.connection_count)
            )
        except BaseException:
            server.close()
            await server.wait_closed()
            registry.close()
            raise

    async def sweep() -> None:
        """docs/protocol.md, Expiry: rooms idle for `room_ttl` (a letters room not ended, for
        `letters_ttl`) are removed. The sweep never waits for the disk; the store deletes
        their rows behind the commits (docs/deploy.md, Expiry)."""
        while True:
            await asyncio.sleep(config.sweep_interval)
            now = now_ms()
            registry.sweep(now)
            attempts.prune(now)

    chores = [asyncio.create_task(sweep())]
    if isinstance(store, SharedStore):
        # Imported here, as the store is: only a server on PostgreSQL loads the driver.
        from server.follow import RoomFollower

        chores.append(asyncio.create_task(RoomFollower(store, registry, now_ms).run()))
    return RunningServer(server, gateway, chores, registry, listener)


COLLECTOR_THRESHOLDS = (50_000, 20, 100)
"""The cycle collector's thresholds in a server process: docs/performance.md, The collector.

With Python's defaults (700, 10, 10) replies and frames that wait a few turns of
the loop for a commit outlive the youngest generations, and the full
collections they bring on walk every connection's objects: about a fifth of
the server's CPU at peak. Nearly all garbage here dies by reference counting;
the rare cycles (closed connections) wait a little longer.
"""


def tune_collector() -> None:
    """Collect cycles less often, and never walk what exists once the server has started."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    gc.freeze()


async def serve_until_signalled(config: ServerConfig) -> None:
    """Serve until SIGTERM or SIGINT, then close every connection with 1001.

    This is a process of its own (`fireside-server`), so it tunes the cycle collector;
    `fireside host` leaves its app's collector alone.
    """
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(AcceptFailures())
    running = await start_server(config)
    tune_collector()
    scheme = "wss" if config.tls_cert else "ws"
    # The release in the line that says it started: a start that fails says only why, in
    # one sentence of stderr (server/cli.py).
    log.info(
        "fireside-server %s listening on %s port %d (%s://)",
        installed_version(),
        config.host,
        running.port,
        scheme,
    )
    if running.metrics_port is not None:
        log.info("metrics on %s port %d (http://)", config.metrics_host, running.metrics_port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await running.close()
    log.info("stopped")
