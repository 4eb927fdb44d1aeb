"""Who gets a descriptor: TCP connections counted per address and in all, handshakes included.

A connection costs a file descriptor from the moment it is accepted, long
before its handshake says anything, so the bounds are taken here, when the
TCP connection is made (server/guard.py), not after the upgrade: a peer that
opens connections and never sends a request holds no more than its share.
docs/protocol.md, Rate limits, "Connections per address".
"""

import ipaddress
import resource
from collections import Counter
from enum import Enum
from typing import Generic, TypeVar

ACCEPT_BACKLOG = 100
"""The listening socket's backlog; asyncio also accepts up to this many connections at once
before any of them can be refused, so that many descriptors must always be free."""

DESCRIPTOR_RESERVE = ACCEPT_BACKLOG + 64
"""Descriptors kept back from connections: one burst of accepts, the listening sockets, the
database and its WAL, the lock file, the logs and what Python itself holds open."""

HEALTH_SPARES = 16
"""Connections let in past `max_connections`, for `/healthz` alone, so that a full server can
still say so (docs/deploy.md, Limits)."""


H = TypeVar("H")
"""Whatever holds a connection: the guard passes itself."""


class Entry(Enum):
    """What a new TCP connection may do."""

    IN = "in"
    """Go on to the handshake as usual."""
    SPARE = "spare"
    """The server is full: only `/healthz` is answered, anything else gets HTTP 503."""
    SHUT = "shut"
    """Dropped at once, before it can hold a descriptor for long."""


def peer_key(host: str) -> str:
    """The address the per-address limits count: an IPv4 address, or an IPv6 address's /64.

    One IPv6 subscriber is usually given a whole /64, so counting single IPv6
    addresses would give one person 2^64 allowances. An IPv4-mapped IPv6
    address counts as the IPv4 address it maps.
    """
    if ":" not in host:
        return host  # IPv4, as the socket gave it: no need to parse it on every accept
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def descriptor_budget() -> int:
    """Connections this process can hold open: its soft limit on open files, less a reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(soft - DESCRIPTOR_RESERVE - HEALTH_SPARES, 1)


def raise_open_files() -> None:
    """Take the hard limit on open files as the soft one: each connection is a descriptor,
    and the usual soft limit of 1,024 would cap a server at about 900 of them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Doorway(Generic[H]):
    """Counts open TCP connections per address and in all; no sockets, no clock.

    `per_address` bounds every connection from one address, those still in
    their handshake included; `None` as an address (behind a trusted proxy,
    where every peer is the proxy) counts toward the total alone. Past `total`
    a connection is a spare, for `/healthz` alone; when the spares are taken
    too, the oldest makes room for the newest, so that silent peers cannot
    keep a health check out for longer than it takes to ask.
    """

    def __init__(self, *, per_address: int, total: int) -> None:
        self._per_address_limit = per_address
        self._total_limit = total
        self._per_address: Counter[str] = Counter()
        self._inside: dict[H, str | None] = {}
        self._spares: dict[H, None] = {}
        """The spares, oldest first (a dict keeps its order)."""

    @property
    def total(self) -> int:
        return len(self._inside)

    def enter(self, holder: H, address: str | None) -> tuple[Entry, H | None]:
        """`holder`'s TCP connection was made from `address`: how it may go on, and the spare
        it takes the place of, which must be dropped now."""
        if address is not None and self._per_address[address] >= self._per_address_limit:
            return Entry.SHUT, None
        evicted = None
        if self.total >= self._total_limit + HEALTH_SPARES:
            if not self._spares:
                return Entry.SHUT, None
            evicted = next(iter(self._spares))
            self.leave(evicted)
        entry = Entry.SPARE if self.total >= self._total_limit else Entry.IN
        self._inside[holder] = address
        if entry is Entry.SPARE:
            self._spares[holder] = None
        if address is not None:
            self._per_address[address] += 1
        return entry, evicted

    def answered(self, holder: H) -> None:
        """A spare was answered: it no longer needs to be made room for."""
        self._spares.pop(holder, None)

    def leave(self, holder: H) -> None:
        """`holder`'s connection is gone (or was made room for): it counts no more."""
        if holder not in self._inside:
            return
        address = self._inside.pop(holder)
        self._spares.pop(holder, None)
        if address is not None:
            self._per_address[address] -= 1
            if self._per_address[address] <= 0:
                del self._per_address[address]
