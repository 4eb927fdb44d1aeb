"""Coverage-guided fuzzing (atheris) of the decoder, the check order and one connection's handling.

Run by tests/hostile/test_atheris.py in a subprocess, since libFuzzer exits
the process when it is done; by hand: `python tests/hostile/fuzz_atheris.py -runs=100000 CORPUS`.
Any exception but `Rejected` from `admit`, or any exception at all from
`MemberConnection.receive`, is a crash: libFuzzer stops and saves the input.
"""

import contextlib
import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports(include=["shared", "server"]):
    from server.config import Limits
    from server.connection import MemberConnection
    from server.limits import AttemptLimits, ConnectionLimits
    from server.rooms import Membership, MemoryRoomStore, RoomRegistry
    from shared.codec import encode
    from shared.errors import Rejected
    from shared.events import Reply
    from shared.intake import admit
    from shared.seats import Phase, Seat
    from shared.session import Session


class Discard:
    """A `Sender` that keeps nothing: the fuzz only cares that nothing raises."""

    def send(self, reply: Reply) -> None:
        encode(reply.to_wire())

    def close(self, code: int, reason: str) -> None:
        pass


def seated_connections() -> list[MemberConnection]:
    """A lobby connection, and both members of a room in `asking`."""
    limits = Limits(message_burst=10**9, rejection_burst=10**9)
    rooms = RoomRegistry(MemoryRoomStore(), room_ttl_ms=60_000, max_rooms=100, max_log_bytes=2**20)
    attempts = AttemptLimits(limits)
    lobby, a, b = (
        MemberConnection(Discard(), "192.0.2.1", rooms, attempts, ConnectionLimits(limits))
        for _ in range(3)
    )
    a.membership = rooms.create(Discard(), "Ana", 0)
    b.membership = rooms.join(Discard(), a.membership.room.code, "Ben", 0)
    return [lobby, a, b]


def member_in(phase_byte: int) -> tuple[Session, Seat] | None:
    """A seat in some phase of some room, or None for a connection not in a room."""
    phases = list(Phase)
    if phase_byte % (len(phases) + 1) == len(phases):
        return None
    session = Session(phase=phases[phase_byte % (len(phases) + 1)])
    seat = Seat.A if phase_byte & 0x80 else Seat.B
    return session, seat


def fuzz_one(data: bytes) -> None:
    if not data:
        return
    head, frame = data[0], data[1:]
    with contextlib.suppress(Rejected):
        admit(frame, member_in(head))
    connection = seated_connections()[head % 3]
    connection.receive(frame, 1_000)
    membership: Membership | None = connection.membership
    if membership is not None:
        log = membership.room.log
        assert [event.seq for event in log] == list(range(1, len(log) + 1))


if __name__ == "__main__":
    atheris.Setup(sys.argv, fuzz_one)
    atheris.Fuzz()
