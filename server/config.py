"""How a server runs: where it listens, how long idle rooms live, and its limits."""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """The knobs that keep one client from hurting the others.

    docs/protocol.md, Error codes: at least 30 messages in a burst and at least
    20 rejected messages are answered normally before `rate_limited` or a close.
    """

    message_burst: int = 40
    """Messages a connection may send at once before `rate_limited`; once in a room the
    allowance is its seat's, so that a new connection does not start it afresh."""
    messages_per_second: float = 5.0
    """How fast the message allowance refills: a person types far slower."""
    bytes_per_address: int = 1024 * 1024
    """Bytes of frames one address may send at once, over all its connections; past this,
    `rate_limited`. A person typing sends a few KiB a minute; a `say` is at most 16 KiB."""
    bytes_per_address_per_second: float = 64 * 1024
    rejection_burst: int = 30
    """Rejected messages answered with their own error before `rate_limited`."""
    rejections_per_second: float = 0.5
    strikes: int = 10
    """`rate_limited` answers a connection may collect before it is closed with 1008."""
    strikes_per_second: float = 0.2
    failed_attempts: int = 10
    """`join` to an unknown code or `resume` with a wrong token, per address, at once."""
    failed_attempts_per_second: float = 1 / 30
    rooms_per_address: int = 30
    """Rooms one address may create at once; past this `create` is answered `rate_limited`."""
    rooms_per_address_per_second: float = 0.1
    """At 360 an hour, one address alone cannot fill `max_rooms` before idle rooms expire."""
    rooms_per_address_per_ttl: int = 100
    """Rooms one address may create within one room TTL (24 hours by default), burst or not."""
    resumes_per_address: int = 30
    """`resume`s from one address at once, right or wrong; past this, `rate_limited`."""
    resumes_per_address_per_second: float = 0.5
    resumes_per_seat: int = 10
    """`resume`s of one seat at once, from anywhere: each sends the whole log again."""
    resumes_per_seat_per_second: float = 0.1
    max_rooms: int = 10_000
    """Open rooms on this server; `create` past this is answered `rate_limited`."""
    max_log_bytes: int = 4 * 1024 * 1024
    """A room's event log travels whole in `joined`; past this, only `leave` is taken."""
    max_total_log_bytes: int = 256 * 1024 * 1024
    """Every room's log together, in memory and on disk: past 90% of this no room is created,
    and past all of it only `leave` is taken (docs/deploy.md, Limits)."""
    connections_per_address: int = 32
    """Open websockets from one address; past this the handshake gets HTTP 429."""
    handshakes_per_address: int = 8
    """TCP connections from one address beyond its open websockets, handshakes under way
    included; past `connections_per_address` + this, a new one is dropped at once."""
    max_connections: int | None = None
    """TCP connections in all; `None`: as many as the soft limit on open files allows, less a
    reserve (server/doorway.py). Past this, only `/healthz` is answered (HTTP 503 otherwise)."""
    outbox_limit: int = 1024
    """Replies waiting for a reader that does not read; past this it is closed with 1008."""
    outbox_bytes: int = 1024 * 1024
    """Bytes of replies waiting for that reader; past this, 1008 too (one reply always fits)."""
    write_timeout: float = 30.0
    """Seconds one reply may take to go out before its reader counts as gone (1008)."""


LETTERS_TTL = 365 * 24 * 60 * 60
"""Seconds a letters room may go without any event before it is removed: docs/protocol.md,
Letters, How long a letters room lasts. Its partners are rarely awake at the same time."""

MEMORY_DATA = ":memory:"
"""`--data :memory:`: rooms live in this process alone, as tests and `fireside host` want."""


@dataclass(frozen=True)
class ServerConfig:
    """Where to listen and how long rooms last; port 0 picks any free port."""

    host: str = "127.0.0.1"
    port: int = 8765
    room_ttl: float = 24 * 60 * 60
    """Seconds a room may go without any event before it is removed; an ended letters room too."""
    letters_ttl: float = LETTERS_TTL
    """Seconds a letters room not ended may go without any event before it is removed."""
    sweep_interval: float = 60.0
    """Seconds between looks for expired rooms."""
    ping_interval: float = 20.0
    """Seconds between keepalive pings: docs/protocol.md, Keepalive."""
    ping_timeout: float = 20.0
    """Seconds a ping may go unanswered before the connection is closed and the member is away."""
    close_timeout: float = 5.0
    """Seconds a closing handshake may take before the TCP connection is dropped."""
    data: str = MEMORY_DATA
    """The directory of the rooms' SQLite file, or MEMORY_DATA to keep rooms in memory only."""
    trust_forwarded_for: bool = False
    """Behind a reverse proxy every peer is the proxy: take the address it adds instead."""
    tls_cert: Path | None = None
    """A PEM certificate chain: with `tls_key`, the server speaks `wss://` itself."""
    tls_key: Path | None = None
    limits: Limits = field(default_factory=Limits)
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port, 0 for any free one; None, the default, serves
    none. Never the websocket port: docs/deploy.md, Metrics, says why."""
    metrics_host: str = "127.0.0.1"
    """Where the metrics listen: this machine alone unless said otherwise."""
