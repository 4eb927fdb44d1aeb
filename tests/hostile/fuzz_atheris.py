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
    from server.room import Membership
    from server.rooms import RoomRegistry
    from server.store import MemoryRoomStore
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


PAIRING_STEPS = [
    {"t": "pake", "msg": b"S" + bytes(32)},
    {"t": "verify", "mac": bytes(32)},
    {"t": "hello", "box": bytes(40)},
]
"""Each seat's pairing, with bytes the server cannot tell from a real one (it never looks)."""


def seated_connections() -> list[MemberConnection]:
    """A lobby connection, both members of a room still pairing, and both of a paired room."""
    limits = Limits(message_burst=10**9, rejection_burst=10**9, bytes_per_address=10**12)
    rooms = RoomRegistry(MemoryRoomStore(), room_ttl_ms=60_000, max_rooms=100, max_log_bytes=2**20)
    attempts = AttemptLimits(limits)
    lobby, a, b, paired_a, paired_b = (
        MemberConnection(Discard(), "192.0.2.1", rooms, attempts, ConnectionLimits(limits))
        for _ in range(5)
    )
    a.membership = rooms.create(Discard(), 0)
    b.membership = rooms.join(Discard(), a.membership.room.code, 0)
    paired_a.membership = rooms.create(Discard(), 0)
    paired_b.membership = rooms.join(Discard(), paired_a.membership.room.code, 0)
    for step in PAIRING_STEPS:
        for member in (paired_a, paired_b):
            member.receive(encode(step), 0)
    assert paired_a.membership.room.session.phase is Phase.ASKING
    return [lobby, a, b, paired_a, paired_b]


def _paired_to(steps: int) -> Session:
    """Both seated and the first `steps` of the pairing recorded, a first, then b."""
    session = Session()
    session.seat_member(Seat.A)
    session.seat_member(Seat.B)
    for number in range(steps):
        seat = Seat.A if number % 2 == 0 else Seat.B
        session.apply(seat, admit(encode(PAIRING_STEPS[number // 2]), (session, seat)))
    return session


_CHOICES: list[Session | None] = []


def member_in(phase_byte: int) -> tuple[Session, Seat] | None:
    """A seat in some phase of some room (or some step of its pairing), or None for a
    connection not in a room."""
    if not _CHOICES:
        # `admit` only reads the session: built once, shared by every input.
        _CHOICES.extend([None, *(Session(phase=phase) for phase in Phase)])
        _CHOICES.extend(_paired_to(steps) for steps in range(1, 2 * len(PAIRING_STEPS)))
    session = _CHOICES[(phase_byte & 0x7F) % len(_CHOICES)]
    if session is None:
        return None
    seat = Seat.A if phase_byte & 0x80 else Seat.B
    return session, seat


def fuzz_one(data: bytes) -> None:
    if not data:
        return
    head, frame = data[0], data[1:]
    with contextlib.suppress(Rejected):
        admit(frame, member_in(head))
    connection = seated_connections()[head % 5]
    connection.receive(frame, 1_000)
    membership: Membership | None = connection.membership
    if membership is not None:
        log = membership.room.log
        assert [event.seq for event in log] == list(range(1, len(log) + 1))


if __name__ == "__main__":
    atheris.Setup(sys.argv, fuzz_one)
    atheris.Fuzz()
