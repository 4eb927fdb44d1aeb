"""`Session.may_after`: what a seat may send right behind its own messages still on their way."""

import itertools

import pytest

from shared.errors import Rejected
from shared.messages import MessageType
from shared.seats import Phase, Seat
from shared.session import Session
from tests.shared.rooms import ACTIVE, IN_ROOM_TYPES, A, B, in_phase, message

M = MessageType
RECORDED = tuple(kind for kind in IN_ROOM_TYPES if kind is not M.TYPING)
"""The messages that become events, so they can be on their way to the log."""


def _as_the_server_would(session: Session, seat: Seat, coming: tuple[M, ...], kind: M) -> bool:
    """Apply `coming` for real on a copy, then ask whether `kind` would be taken."""
    after = session.copy()
    try:
        for move in coming:
            after.apply(seat, message(move))
    except Rejected:
        return False
    return after.may(seat, kind)


@pytest.mark.parametrize("phase", [*ACTIVE, Phase.ENDED])
@pytest.mark.parametrize("seat", [A, B])
def test_it_answers_as_the_server_would_after_taking_the_messages_in_order(
    phase: Phase, seat: Seat
) -> None:
    """Every message behind every one or two recorded messages, in every phase, for both seats:
    the same answer as applying them for real, and the room asked is not changed."""
    session = in_phase(phase)
    before = session.copy()
    for count in (0, 1, 2):
        for coming in itertools.product(RECORDED, repeat=count):
            for kind in RECORDED:
                expected = _as_the_server_would(session, seat, coming, kind)
                assert session.may_after(seat, coming, kind) is expected, (coming, kind)
    assert session == before


def test_done_right_behind_the_first_say_of_a_turn_is_taken() -> None:
    """The case it is for: done is not yet possible, but will be once the say is in."""
    sharing = in_phase(Phase.SHARING)
    assert not sharing.may(B, M.DONE)
    assert sharing.may_after(B, [M.SAY], M.DONE)
    assert not sharing.may_after(A, [M.SAY], M.DONE)
