"""The thin websocket layer: HTTP checks at the handshake, frames in, replies out in order."""

import itertools
import json
import logging
import time
import traceback
from collections import Counter
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from server.config import ServerConfig
from server.connection import MemberConnection
from server.doorway import Entry, peer_key
from server.guard import GuardedConnection
from server.limits import AttemptLimits, ConnectionLimits
from server.metrics import NO_METRICS, Limited, Metrics
from server.outbox import Outbox
from server.rooms import RoomRegistry
from shared.version import installed_version
from shared.wire import PROTOCOL, CloseCode

log = logging.getLogger("server.net")

SUBPROTOCOL = PROTOCOL
"""docs/protocol.md, Transport: the only subprotocol the server speaks; fireside.1 is refused."""

OUTDATED = "This server speaks fireside.2 (end-to-end encrypted); update Fireside.\n"
"""docs/protocol.md, Transport: the 400 to a handshake without fireside.2."""


def now_ms() -> int:
    """The server's time in Unix milliseconds: docs/protocol.md, `at`."""
    return time.time_ns() // 1_000_000


def offered_subprotocols(headers: Headers) -> list[str]:
    """Every subprotocol the client offered, over however many header lines."""
    return [
        offer.strip()
        for line in headers.get_all("Sec-WebSocket-Protocol")
        for offer in line.split(",")
    ]


HEALTHY_STORE = frozenset({"ok", "memory"})
"""What the store says when it keeps changes: anything else makes `/healthz` a 503."""


class Gateway:
    """Answers HTTP before the upgrade and runs one `MemberConnection` per websocket."""

    def __init__(
        self,
        registry: RoomRegistry,
        attempts: AttemptLimits,
        config: ServerConfig,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._registry = registry
        self._metrics = metrics
        self._attempts = attempts
        self._limits = config.limits
        self._close_timeout = config.close_timeout
        self._trust_forwarded_for = config.trust_forwarded_for
        self._open: dict[ServerConnection, Outbox] = {}
        self._per_address: Counter[str] = Counter()
        self._numbers = itertools.count(1)
        self._version = installed_version()

    @property
    def connection_count(self) -> int:
        return len(self._open)

    @property
    def buffered_bytes(self) -> int:
        """Bytes waiting to be written to clients, over every connection: what slow readers cost."""
        return sum(outbox.buffered for outbox in self._open.values())

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """`/healthz`; a 400 to a handshake without `fireside.2` (docs/protocol.md, Transport)."""
        if request.path.split("?", 1)[0] == "/healthz":
            db = self._registry.store_health
            # 503 while the store cannot keep changes: a load balancer's check (deploy/
            # haproxy.cfg) then sends new connections to a server that can.
            ok = db in HEALTHY_STORE
            body = {
                "ok": ok,
                "rooms": self._registry.room_count,
                "connections": self.connection_count,
                "db": db,
                "version": self._version,
            }
            status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
            response = connection.respond(status, json.dumps(body) + "\n")
            # `respond` set text/plain: replaced, as a second header would only be added.
            del response.headers["Content-Type"]
            response.headers["Content-Type"] = "application/json"
            if isinstance(connection, GuardedConnection):
                connection.answered()
            return response
        if isinstance(connection, GuardedConnection) and connection.entry is Entry.SPARE:
            connection.answered()
            return connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE, "The server is full; try again later.\n"
            )
        if SUBPROTOCOL not in offered_subprotocols(request.headers):
            return connection.respond(HTTPStatus.BAD_REQUEST, OUTDATED)
        if self._per_address[self._address(connection)] >= self._limits.connections_per_address:
            self._metrics.limited(Limited.HANDSHAKE)
            return connection.respond(
                HTTPStatus.TOO_MANY_REQUESTS, "Too many connections from this address.\n"
            )
        return None

    async def handle(self, connection: ServerConnection) -> None:
        """Feed frames in order until the connection closes; never let anything escape."""
        number = next(self._numbers)
        address = self._address(connection)
        self._per_address[address] += 1
        outbox = Outbox(
            connection,
            self._limits.outbox_limit,
            max_bytes=self._limits.outbox_bytes,
            write_timeout=self._limits.write_timeout,
            close_timeout=self._close_timeout,
            # websockets' own way to write a frame without awaiting: it skips a connection
            # that is no longer open, whose frames could not go out anyway.
            write_now=lambda frame: broadcast((connection,), frame),
        )
        self._open[connection] = outbox
        member = MemberConnection(
            outbox,
            address,
            self._registry,
            self._attempts,
            ConnectionLimits(self._limits),
            self._metrics,
        )
        log.info("connection %d opened", number, extra={"connection": number})
        try:
            async for frame in connection:
                if isinstance(frame, str):
                    member.close(CloseCode.TEXT_FRAME, "Fireside speaks binary MessagePack frames")
                    continue
                try:
                    member.receive(frame, now_ms())
                except Exception as exc:  # one bad connection must never stop the server
                    _log_unexpected(number, exc)
                    member.close(CloseCode.INTERNAL, "internal error")
        except ConnectionClosed:
            pass
        finally:
            self._open.pop(connection, None)
            self._per_address[address] -= 1
            if self._per_address[address] <= 0:
                del self._per_address[address]
            try:
                member.closed(now_ms())
            except Exception as exc:
                _log_unexpected(number, exc)
            await outbox.finish()
            code = connection.close_code
            log.info(
                "connection %d closed with code %s",
                number,
                code,
                extra={"connection": number, "code": code},
            )

    def _address(self, connection: ServerConnection) -> str:
        """Who is at the other end, for the per-address limits."""
        request = connection.request
        if self._trust_forwarded_for and request is not None:
            forwarded = forwarded_for(request.headers)
            if forwarded is not None:
                return peer_key(forwarded)
        peer = connection.remote_address
        if isinstance(peer, tuple) and peer:
            return peer_key(str(peer[0]))
        return "unknown"


def forwarded_for(headers: Headers) -> str | None:
    """The last `X-Forwarded-For` hop: the one our own proxy added, which a client cannot forge."""
    hops = [hop.strip() for line in headers.get_all("X-Forwarded-For") for hop in line.split(",")]
    return hops[-1] if hops and hops[-1] else None


def _log_unexpected(number: int, exc: Exception) -> None:
    """Where it failed, but not the exception's text: it may quote what someone wrote."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f"{where.filename}:{where.lineno}" if where else "?"
    log.error(
        "connection %d: unexpected %s at %s",
        number,
        type(exc).__name__,
        place,
        extra={"connection": number},
    )
