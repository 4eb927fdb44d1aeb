"""What the server counts as it runs, as calls the rules make: no registry, no socket, no clock.

The registry, the group commit and the connections call a `Metrics` they are
given; `NO_METRICS` does nothing, so that the rules and their tests need no
exporter. `server.exporter` is the one that counts, for Prometheus. Every
argument is from a small fixed set (an event kind, an error code, a `Limited`)
or a duration: nothing a person wrote, no code, token, label or address can
reach a metric through these calls (docs/deploy.md, Metrics).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from shared.errors import ErrorCode
from shared.events import EventKind
from shared.seats import Phase


class Limited(StrEnum):
    """How a limit refused someone: docs/protocol.md, Rate limits."""

    ANSWER = "answer"
    """A message answered `rate_limited` because a limit was reached (not a change the store
    lost: that is a store error)."""
    HANDSHAKE = "handshake"
    """A handshake answered HTTP 429: too many open connections from one address."""
    CLOSE = "close"
    """A connection closed with 1008 for sending too much, or too much that was refused."""


class StoreOperation(StrEnum):
    """What the store failed to do."""

    WRITE = "write"
    """A batch was not kept: its changes are undone and answered `rate_limited`."""
    REMOVE = "remove"
    """Expired rooms' rows were not deleted: the next sweep tries again."""


class Metrics(Protocol):
    """The calls the server makes as things happen, from the event loop but for a removal the
    store failed, which its own thread reports: an implementation must be thread-safe."""

    def clock(self) -> float:
        """Seconds on a monotonic clock, for the durations below."""

    def accepted(self, kind: EventKind) -> None:
        """An event the store kept, its news handed to the room's connections."""

    def refused(self, code: ErrorCode) -> None:
        """A message answered with an error."""

    def limited(self, how: Limited) -> None:
        """A limit refused someone."""

    def committed(self, seconds: float) -> None:
        """A batch the store answered for, `seconds` after it was handed over."""

    def relayed(self, seconds: float) -> None:
        """An event handed to its room's connections `seconds` after its frame was judged."""

    def store_failed(self, operation: StoreOperation) -> None:
        """The store could not do `operation`."""


@dataclass(frozen=True)
class Census:
    """What the gauges say, counted on the event loop at a scrape rather than on every change."""

    rooms: Mapping[Phase, int]
    connections: int


class MetricsAddressError(Exception):
    """The metrics could not listen where they were asked to; `cause` says why."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _NoMetrics:
    """Counts nothing, and its clock stands still: no system call on the hot path."""

    def clock(self) -> float:
        return 0.0

    def accepted(self, kind: EventKind) -> None:
        pass

    def refused(self, code: ErrorCode) -> None:
        pass

    def limited(self, how: Limited) -> None:
        pass

    def committed(self, seconds: float) -> None:
        pass

    def relayed(self, seconds: float) -> None:
        pass

    def store_failed(self, operation: StoreOperation) -> None:
        pass


NO_METRICS: Metrics = _NoMetrics()
"""The default: a server without `--metrics-port`, and every test of the rules."""
