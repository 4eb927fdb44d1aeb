"""Rejections the session rules own: `listening`, `wrong_phase` and `ended`, changing nothing."""

import pytest

from shared.errors import ErrorCode
from shared.messages import MessageType
from shared.seats import Phase, Seat
from tests.shared.rooms import (
    ACTIVE,
    FLOOR,
    IN_ROOM_TYPES,
    A,
    B,
    in_phase,
    joined,
    message,
    play,
    refused,
    seated,
)

M = MessageType

LISTENER_MAY = (M.NOD, M.LEAVE, M.NOTE)
NOT_FOR_LISTENERS = tuple(kind for kind in IN_ROOM_TYPES if kind not in LISTENER_MAY)

FLOOR_MAY: dict[Phase, frozenset[MessageType]] = {
    Phase.ASKING: frozenset({M.ASK, M.HANDOVER, M.TYPING, M.NOTE, M.LEAVE}),
    Phase.SHARING: frozenset({M.SAY, M.DECLINE, M.TYPING, M.NOTE, M.LEAVE}),
    Phase.REFLECTING: frozenset({M.REFLECT, M.TYPING, M.NOTE, M.LEAVE}),
    Phase.CONFIRMING: frozenset({M.CONFIRM, M.MORE, M.TYPING, M.NOTE, M.LEAVE}),
}
"""docs/protocol.md, Client → server: what the floor holder may send, sharing before any say."""


@pytest.mark.parametrize("phase", ACTIVE)
@pytest.mark.parametrize("kind", NOT_FOR_LISTENERS)
def test_the_listener_is_refused_with_listening(phase: Phase, kind: MessageType) -> None:
    """In each active phase, anything but nod or leave from the non-floor seat is `listening`."""
    session = in_phase(phase)
    rejection = refused(session, FLOOR[phase].partner, message(kind))
    assert rejection.code is ErrorCode.LISTENING


@pytest.mark.parametrize("phase", ACTIVE)
def test_listening_holds_in_round_2_for_the_other_seat(phase: Phase) -> None:
    """With roles swapped in round 2, seat `a` is the one listening while `b` holds the floor."""
    session = play(in_phase(Phase.CONFIRMING), (B, M.CONFIRM))
    moves = {
        Phase.ASKING: (),
        Phase.SHARING: ((B, M.ASK),),
        Phase.REFLECTING: ((B, M.ASK), (A, M.SAY), (A, M.DONE)),
        Phase.CONFIRMING: ((B, M.ASK), (A, M.SAY), (A, M.DONE), (B, M.REFLECT)),
    }[phase]
    play(session, *moves)
    listener = FLOOR[phase]  # round 1's floor holder listens in round 2
    assert session.floor is listener.partner
    assert refused(session, listener, message(M.SAY)).code is ErrorCode.LISTENING
    assert refused(session, listener, message(M.TYPING)).code is ErrorCode.LISTENING


@pytest.mark.parametrize("phase", ACTIVE)
@pytest.mark.parametrize("kind", IN_ROOM_TYPES)
def test_the_floor_holder_is_refused_what_does_not_fit_the_phase(
    phase: Phase, kind: MessageType
) -> None:
    """The floor holder may send just what its phase allows; anything else is `wrong_phase`."""
    session = in_phase(phase)
    seat = FLOOR[phase]
    if kind in FLOOR_MAY[phase]:
        assert session.may(seat, kind)
        session.apply(seat, message(kind))
    else:
        assert not session.may(seat, kind)
        assert refused(session, seat, message(kind)).code is ErrorCode.WRONG_PHASE


@pytest.mark.parametrize("phase", ACTIVE)
def test_a_nod_from_the_floor_holder_is_wrong_phase(phase: Phase) -> None:
    """Nods are for the listener: the floor holder's `nod` is `wrong_phase`, not accepted."""
    session = in_phase(phase)
    assert refused(session, FLOOR[phase], message(M.NOD)).code is ErrorCode.WRONG_PHASE


def test_done_before_any_say_is_wrong_phase() -> None:
    """Right after `ask`, the speaker cannot yield with `done` before saying something."""
    session = in_phase(Phase.SHARING)
    assert refused(session, B, message(M.DONE)).code is ErrorCode.WRONG_PHASE


def test_decline_after_a_say_is_wrong_phase() -> None:
    """Once the speaker has started answering, `decline` is `wrong_phase`."""
    session = play(in_phase(Phase.SHARING), (B, M.SAY))
    assert refused(session, B, message(M.DECLINE)).code is ErrorCode.WRONG_PHASE


def test_done_after_more_needs_a_new_say() -> None:
    """After `more`, the speaker must say something new before `done` is accepted again."""
    session = play(in_phase(Phase.CONFIRMING), (B, M.MORE))
    assert refused(session, B, message(M.DONE)).code is ErrorCode.WRONG_PHASE


def test_decline_after_more_is_wrong_phase() -> None:
    """`more` returns to sharing, but the speaker already answered this ask, so no `decline`."""
    session = play(in_phase(Phase.CONFIRMING), (B, M.MORE))
    assert refused(session, B, message(M.DECLINE)).code is ErrorCode.WRONG_PHASE


def test_a_new_ask_after_decline_allows_decline_again() -> None:
    """The say count restarts with each ask: after decline and a new ask, decline is allowed."""
    session = play(in_phase(Phase.SHARING), (B, M.DECLINE), (A, M.ASK))
    assert session.may(B, M.DECLINE)
    assert not session.may(B, M.DONE)


def test_a_new_round_forgets_the_last_rounds_says() -> None:
    """In round 2 the new speaker cannot `done` before saying, even though round 1 had says."""
    session = play(in_phase(Phase.CONFIRMING), (B, M.CONFIRM), (B, M.ASK))
    assert refused(session, A, message(M.DONE)).code is ErrorCode.WRONG_PHASE
    assert session.may(A, M.DECLINE)


@pytest.mark.parametrize("kind", [kind for kind in IN_ROOM_TYPES if kind not in (M.LEAVE, M.PAKE)])
def test_waiting_alone_refuses_all_but_pake_and_leave_with_wrong_phase(kind: MessageType) -> None:
    """While seat `b` is empty, every in-room message from `a` but pake and leave is
    `wrong_phase` (docs/protocol.md, Pairing, The steps)."""
    session = in_phase(Phase.WAITING)
    assert refused(session, A, message(kind)).code is ErrorCode.WRONG_PHASE


@pytest.mark.parametrize("kind", IN_ROOM_TYPES)
@pytest.mark.parametrize("seat", [A, B])
def test_after_leave_everything_is_ended(kind: MessageType, seat: Seat) -> None:
    """After a `leave`, every message from either seat, a second leave too, is `ended`."""
    session = in_phase(Phase.ENDED)
    assert refused(session, seat, message(kind)).code is ErrorCode.ENDED
    assert not session.may(seat, kind)


@pytest.mark.parametrize("phase", ACTIVE)
def test_presence_does_not_move_the_floor_or_lift_listening(phase: Phase) -> None:
    """With the floor holder away and back, the listener is still refused with `listening`."""
    session = in_phase(phase)
    holder = FLOOR[phase]
    session.presence(holder, online=False)
    assert refused(session, holder.partner, message(M.SAY)).code is ErrorCode.LISTENING
    session.presence(holder, online=True)
    assert session.floor is holder
    assert refused(session, holder.partner, message(M.REFLECT)).code is ErrorCode.LISTENING


def test_the_pairing_not_the_join_is_what_ends_waiting() -> None:
    """An `ask` refused as `wrong_phase` once `b` sits is accepted after the pairing."""
    assert refused(joined(), A, message(M.ASK)).code is ErrorCode.WRONG_PHASE
    assert seated().apply(A, message(M.ASK)) is not None
