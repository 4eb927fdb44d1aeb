"""The steps of docs/protocol.md, Pairing, The steps: what `waiting` takes, in which order."""

import pytest

from shared.errors import ErrorCode
from shared.events import EventKind
from shared.messages import PAIRING_TYPES, MessageType
from shared.seats import Phase, Seat
from shared.session import Change, Session
from tests.shared.rooms import (
    ACTIVE,
    BOX,
    FLOOR,
    IN_ROOM_TYPES,
    MAC,
    PAKE_MSG,
    A,
    B,
    hello,
    in_phase,
    joined,
    message,
    pairing_at,
    refused,
    waiting,
)

M = MessageType


def step(session: Session, seat: Seat, kind: MessageType) -> Change | None:
    """`seat` sends its valid message of `kind`; a `hello` carries a box naming the seat."""
    return session.apply(seat, hello(seat) if kind is M.HELLO else message(kind))


def test_each_step_is_recorded_with_its_bytes_and_the_room_waits_until_the_last() -> None:
    """pake, verify, hello from each seat become events carrying their bytes; only the last
    `hello` moves the room to `asking`, round 1, asker `a`, floor `a`."""
    session = joined()
    assert session.apply(A, message(M.PAKE)) == Change(EventKind.PAKE, A, msg=PAKE_MSG)
    assert session.apply(B, message(M.PAKE)) == Change(EventKind.PAKE, B, msg=PAKE_MSG)
    assert session.paked == {A, B}
    assert session.apply(A, message(M.VERIFY)) == Change(EventKind.VERIFY, A, mac=MAC)
    assert session.apply(B, message(M.VERIFY)) == Change(EventKind.VERIFY, B, mac=MAC)
    assert session.verified == {A, B}
    assert session.phase is Phase.WAITING
    assert session.apply(B, hello(B)) == Change(EventKind.HELLO, B, box=b"name of b")
    assert session.names == {A: None, B: b"name of b"}
    assert (session.phase, session.floor) == (Phase.WAITING, None)
    assert session.apply(A, hello(A)) == Change(EventKind.HELLO, A, box=b"name of a")
    assert session.names == {A: b"name of a", B: b"name of b"}
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.ASKING,
        1,
        A,
        A,
    )


def test_a_may_send_its_pake_before_b_joins() -> None:
    """`a`'s `pake` is taken while it sits alone; `b` sends its own after joining."""
    session = waiting()
    assert session.may(A, M.PAKE)
    assert session.apply(A, message(M.PAKE)) == Change(EventKind.PAKE, A, msg=PAKE_MSG)
    session.seat_member(B)
    assert session.may(B, M.PAKE)
    assert not session.may(A, M.VERIFY)
    step(session, B, M.PAKE)
    assert session.may(A, M.VERIFY)
    assert session.may(B, M.VERIFY)


def test_the_seats_may_interleave_their_steps() -> None:
    """Each seat goes at its own pace: `b` may pake and verify first, `a` say hello first."""
    session = joined()
    for seat, kind in ((B, M.PAKE), (A, M.PAKE), (B, M.VERIFY), (A, M.VERIFY), (A, M.HELLO)):
        step(session, seat, kind)
    assert session.phase is Phase.WAITING
    step(session, B, M.HELLO)
    assert session.state.phase is Phase.ASKING


ALLOWED_AFTER: dict[int, dict[Seat, frozenset[MessageType]]] = {
    0: {A: frozenset({M.PAKE}), B: frozenset({M.PAKE})},
    1: {A: frozenset(), B: frozenset({M.PAKE})},
    2: {A: frozenset({M.VERIFY, M.MISMATCH}), B: frozenset({M.VERIFY, M.MISMATCH})},
    3: {A: frozenset({M.MISMATCH}), B: frozenset({M.VERIFY, M.MISMATCH})},
    4: {A: frozenset({M.HELLO, M.MISMATCH}), B: frozenset({M.HELLO, M.MISMATCH})},
    5: {A: frozenset({M.MISMATCH}), B: frozenset({M.HELLO, M.MISMATCH})},
}
"""The table of docs/protocol.md, Pairing, The steps, written out after each step of PAIRING."""


@pytest.mark.parametrize("count", list(ALLOWED_AFTER))
@pytest.mark.parametrize("seat", [A, B])
@pytest.mark.parametrize("kind", [kind for kind in IN_ROOM_TYPES if kind is not M.LEAVE])
def test_waiting_takes_each_step_once_in_order_and_refuses_the_rest(
    count: int, seat: Seat, kind: MessageType
) -> None:
    """While pairing, a step out of order or repeated, and every non-pairing message but leave,
    is `wrong_phase` and changes nothing; `may` agrees with what is accepted."""
    session = pairing_at(count)
    if kind in ALLOWED_AFTER[count][seat]:
        assert session.may(seat, kind)
        assert step(session, seat, kind) is not None
    else:
        assert not session.may(seat, kind)
        assert refused(session, seat, message(kind)).code is ErrorCode.WRONG_PHASE


@pytest.mark.parametrize("count", list(ALLOWED_AFTER))
@pytest.mark.parametrize("seat", [A, B])
def test_leave_is_taken_at_every_step_of_the_pairing(count: int, seat: Seat) -> None:
    """Either seat may leave while pairing, which ends the room."""
    session = pairing_at(count)
    assert session.may(seat, M.LEAVE)
    assert session.apply(seat, message(M.LEAVE)) == Change(EventKind.LEFT, seat)
    assert session.phase is Phase.ENDED


@pytest.mark.parametrize("count", [2, 3, 4, 5])
@pytest.mark.parametrize("seat", [A, B])
def test_mismatch_after_both_pakes_ends_the_room(count: int, seat: Seat) -> None:
    """From either seat, once both pakes are in, `mismatch` is recorded and the room is ended."""
    session = pairing_at(count)
    assert session.apply(seat, message(M.MISMATCH)) == Change(EventKind.MISMATCH, seat)
    assert (session.phase, session.floor) == (Phase.ENDED, None)
    for kind in IN_ROOM_TYPES:
        assert refused(session, seat.partner, message(kind)).code is ErrorCode.ENDED


def test_the_reasons_say_what_the_pairing_waits_for() -> None:
    """Each refusal while pairing says which step is missing or was already sent."""
    assert "already" in refused(pairing_at(1), A, message(M.PAKE)).message
    assert "both pairing messages" in refused(pairing_at(1), A, message(M.VERIFY)).message
    assert "both pairing messages" in refused(pairing_at(1), A, message(M.MISMATCH)).message
    assert "already" in refused(pairing_at(3), A, message(M.VERIFY)).message
    assert "both verifications" in refused(pairing_at(3), A, hello(A)).message
    assert "already" in refused(pairing_at(5), A, hello(A)).message
    assert "not complete" in refused(pairing_at(5), B, message(M.ASK)).message


@pytest.mark.parametrize("phase", ACTIVE)
@pytest.mark.parametrize("kind", sorted(PAIRING_TYPES))
def test_pairing_messages_after_the_pairing_are_refused(phase: Phase, kind: MessageType) -> None:
    """Once round 1 has started, a pairing message is `listening` from the listener and
    `wrong_phase` from the floor holder: the pairing cannot be redone or burned late."""
    session = in_phase(phase)
    assert refused(session, FLOOR[phase].partner, message(kind)).code is ErrorCode.LISTENING
    assert refused(session, FLOOR[phase], message(kind)).code is ErrorCode.WRONG_PHASE


def test_a_hello_box_is_kept_as_sent() -> None:
    """The sealed name in `names` is the box byte for byte; the rules never open it."""
    session = pairing_at(4)
    box = b"\x00\xff" + BOX
    session.apply(A, message(M.HELLO, box=box))
    assert session.names[A] == box
    assert session.state.names == {A: box, B: None}
