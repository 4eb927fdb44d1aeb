"""Recording `Sender`s and a seated pair, for driving the registry by direct calls."""

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.room import Membership
from server.rooms import RoomRegistry
from server.store import MemoryRoomStore
from shared.codes import normalize_code
from shared.events import Event, Joined, Reply
from shared.messages import Hello, Pake, Verify
from shared.seats import Seat

PAKE_MSG = b"\x01" + bytes(range(32))
MAC = bytes(range(32))


class RecordingSender:
    """Keeps every reply as its wire map, and the close it was asked for."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    def send(self, reply: Reply) -> None:
        self.sent.append(reply.to_wire())

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def take(self) -> list[dict[str, Any]]:
        """Everything sent since the last take."""
        sent, self.sent = self.sent, []
        return sent


class CheckingSender(RecordingSender):
    """Records replies, checking first that every event in them is a committed row of the
    SQLite file at `path`: docs/protocol.md, Rate limits, "the server saves every event
    before it sends it to anyone"."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.room_key: str | None = None
        """The room this connection is in, learnt from the `joined` that comes first."""

    def send(self, reply: Reply) -> None:
        if isinstance(reply, Joined):
            self.room_key = normalize_code(reply.code)
        events = reply.events if isinstance(reply, Joined) else (reply,)
        seqs = {event.seq for event in events if isinstance(event, Event)}
        if seqs:
            # A connection of its own reads only what the store has committed.
            db = sqlite3.connect(self.path)
            try:
                rows = db.execute("SELECT seq FROM events WHERE room_key = ?", (self.room_key,))
                kept = {seq for (seq,) in rows}
            finally:
                db.close()
            assert seqs <= kept, f"seq {sorted(seqs - kept)} told before its commit"
        super().send(reply)


def new_registry(ttl_ms: int = 60_000, max_log_bytes: int = 1024 * 1024) -> RoomRegistry:
    return RoomRegistry(
        MemoryRoomStore(), room_ttl_ms=ttl_ms, max_rooms=100, max_log_bytes=max_log_bytes
    )


@dataclass
class Pair:
    """Both seats of one room taken, with what each member's connection received."""

    a: Membership
    a_out: RecordingSender
    a_token: str
    b: Membership
    b_out: RecordingSender
    b_token: str


def hello_box(seat: Seat) -> bytes:
    """A stand-in for `seat`'s sealed name: the registry stores and relays it unread."""
    return b"\x00sealed name of " + str(seat).encode() + b"\xff"


def join_pair(rooms: RoomRegistry, now: int = 1_000) -> Pair:
    """`a` creates a room and `b` joins it; still `waiting`, every reply so far taken."""
    a_out, b_out = RecordingSender(), RecordingSender()
    a = rooms.create(a_out, now)
    b = rooms.join(b_out, a.room.code, now)
    a_token = a_out.take()[0]["token"]
    b_token = b_out.take()[0]["token"]
    a_out.take()
    return Pair(a, a_out, a_token, b, b_out, b_token)


def seat_pair(rooms: RoomRegistry, now: int = 1_000) -> Pair:
    """`join_pair`, then both seats pair with fixed bytes (docs/protocol.md, Pairing):
    round 1, `a` asks, the log at `seq` 8, every reply so far taken."""
    pair = join_pair(rooms, now)
    for message in (Pake(msg=PAKE_MSG), Verify(mac=MAC)):
        rooms.act(pair.a, message, now)
        rooms.act(pair.b, message, now)
    rooms.act(pair.a, Hello(box=hello_box(Seat.A)), now)
    rooms.act(pair.b, Hello(box=hello_box(Seat.B)), now)
    pair.a_out.take()
    pair.b_out.take()
    return pair
