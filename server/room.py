"""One room: its two seats, their turn-taking session, the numbered event log and who is in it.

Time (`now`, Unix milliseconds) and each member's `Sender` are passed in, so a
room is changed by direct calls and no sockets; the turn-taking itself is
`shared.session.Session`.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from server.eventlog import EventLog, LogRun
from shared.codes import normalize_code
from shared.events import Event, EventKind, Reply
from shared.fields import EPOCH_MAX
from shared.seats import Seat
from shared.session import Change, Session


class Sender(Protocol):
    """One connection's way out: replies leave in the order they are sent."""

    def send(self, reply: Reply) -> None:
        """Queue `reply` for this connection, after everything queued before it."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection with `code` once what is queued has gone out."""


def token_hash(token: str) -> bytes:
    """What the server keeps of a token: docs/protocol.md, Server → client, `token`."""
    return hashlib.sha256(token.encode()).digest()


def new_epoch(instead_of: int | None = None) -> int:
    """A room log's epoch, drawn at random from 1 to EPOCH_MAX (docs/protocol.md, Drops,
    resume and leave), and never `instead_of`, the epoch it replaces. Random, not counted: a
    count would start again from the same number on a log restored from a backup."""
    epoch = secrets.randbelow(EPOCH_MAX) + 1
    while epoch == instead_of:
        epoch = secrets.randbelow(EPOCH_MAX) + 1
    return epoch


@dataclass
class Room:
    """Two seats, their turn-taking session, the numbered event log and who is connected."""

    code: str
    """As shown to people, `XXXXX-XXXXX`; looked up by `normalize_code(code)`."""
    label: str
    """An opaque id for logs: never the code, which would let a log reader join."""
    last_active: int
    epoch: int
    """Which log this is: a client whose `resume` names another is sent the whole log again
    (docs/protocol.md, Drops, resume and leave)."""
    session: Session = field(default_factory=Session)
    log: EventLog = field(default_factory=EventLog)
    token_hashes: dict[Seat, bytes] = field(default_factory=dict)
    senders: dict[Seat, Sender] = field(default_factory=dict)

    @cached_property
    def key(self) -> str:
        """`normalize_code(code)`, worked out once: the store names the room on every write."""
        return normalize_code(self.code)

    def record(self, change: Change, now: int) -> Event:
        """Number and time an accepted change: docs/protocol.md, `seq` grows by exactly 1."""
        event = Event(
            seq=len(self.log) + 1,
            at=now,
            kind=change.kind,
            by=change.by,
            state=self.session.state,
            msg=change.msg,
            mac=change.mac,
            box=change.box,
            nod=change.nod,
        )
        self.keep(event)
        self.last_active = now
        return event

    def keep(self, event: Event) -> None:
        """Add `event` to the log: recorded now, or read back from a store."""
        self.log.append(event)

    @property
    def burned(self) -> bool:
        """Ended by a `mismatch`: docs/protocol.md, Mismatch and burning. Nothing is recorded
        after an end, so the last event says how the room ended."""
        return bool(self.log) and self.log[-1].kind is EventKind.MISMATCH

    def mark(self) -> "RoomMark":
        """What `record`, a new seat and a connection coming or going change, so that a change
        no store kept can be undone."""
        return RoomMark(
            self.session.copy(),
            len(self.log),
            self.last_active,
            dict(self.token_hashes),
            dict(self.senders),
        )

    def undo(self, mark: "RoomMark") -> None:
        """Back to `mark`: the session, the log, the last activity, the seats and who is in them."""
        self.session = mark.session
        self.log.truncate(mark.log_length)
        self.last_active = mark.last_active
        self.token_hashes = dict(mark.token_hashes)
        self.senders = dict(mark.senders)

    def seat_with_token(self, token: str) -> Seat | None:
        """The seat `token` belongs to, compared by hash in constant time."""
        presented = token_hash(token)
        found = None
        for seat, kept in self.token_hashes.items():
            if hmac.compare_digest(presented, kept):
                found = seat
        return found

    def since(self, after: int) -> LogRun:
        """Every event with `seq` > `after`."""
        return self.log.since(after)


@dataclass(frozen=True)
class RoomMark:
    """A room as it was before a change: `Room.undo` goes back to it."""

    session: Session
    log_length: int
    last_active: int
    token_hashes: dict[Seat, bytes]
    senders: dict[Seat, Sender]


@dataclass(frozen=True)
class Membership:
    """A connection's seat in a room; it goes stale when the seat is taken over or left."""

    room: Room
    seat: Seat
    sender: Sender

    @property
    def current(self) -> bool:
        return self.room.senders.get(self.seat) is self.sender
