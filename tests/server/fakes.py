"""A recording `Sender` and a seated pair, for driving the registry by direct calls."""

from dataclasses import dataclass
from typing import Any

from server.rooms import Membership, MemoryRoomStore, RoomRegistry
from shared.events import Reply


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


def seat_pair(rooms: RoomRegistry, now: int = 1_000) -> Pair:
    a_out, b_out = RecordingSender(), RecordingSender()
    a = rooms.create(a_out, "Ann", now)
    b = rooms.join(b_out, a.room.code, "Bo", now)
    a_token = a_out.take()[0]["token"]
    b_token = b_out.take()[0]["token"]
    return Pair(a, a_out, a_token, b, b_out, b_token)
