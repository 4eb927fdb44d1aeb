"""Every transition of docs/protocol.md, Seats, phases and the floor, through `Session`."""

import pytest

from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import NodKind, Phase, Seat
from shared.session import Change, Session
from tests.shared.rooms import ACTIVE, FLOOR, A, B, in_phase, message, parse, play, seated, waiting

M = MessageType


def test_a_fresh_session_waits_with_round_1_asker_a_and_no_floor() -> None:
    """Before anyone sits, the room waits in round 1 with `a` as asker and nobody on the floor."""
    session = Session()
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.WAITING,
        1,
        A,
        None,
    )
    assert session.online == {A: False, B: False}
    assert session.names == {A: None, B: None}


def test_the_creator_taking_seat_a_keeps_the_room_waiting() -> None:
    """Seat `a` sitting down records `joined` by `a`, marks it online, and the room still waits."""
    session = Session()
    change = session.seat_member(A)
    assert change == Change(EventKind.JOINED, A)
    assert session.phase is Phase.WAITING
    assert session.floor is None
    assert session.names == {A: None, B: None}
    assert session.online == {A: True, B: False}


def test_b_joining_keeps_the_room_waiting_for_the_pairing() -> None:
    """`b` taking its seat is recorded and marks it online, but only the pairing starts round 1."""
    session = waiting()
    change = session.seat_member(B)
    assert change == Change(EventKind.JOINED, B)
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.WAITING,
        1,
        A,
        None,
    )
    assert session.names == {A: None, B: None}
    assert session.online == {A: True, B: True}


def test_ask_hands_the_floor_to_the_speaker_for_sharing() -> None:
    """`asking` → `sharing` on `ask`; the change carries the sealed question as it came."""
    session = seated()
    change = session.apply(A, message(M.ASK, box=b"sealed question"))
    assert change == Change(EventKind.ASK, A, box=b"sealed question")
    assert (session.phase, session.asker, session.floor) == (Phase.SHARING, A, B)


def test_ask_with_extra_keys_carries_only_its_box() -> None:
    """A fireside.1 `text` or `card` beside the box is ignored; the change holds the box alone."""
    session = seated()
    change = session.apply(A, parse({"t": "ask", "box": b"q", "text": "hi", "card": "x"}))
    assert change == Change(EventKind.ASK, A, box=b"q")
    assert session.phase is Phase.SHARING


def test_handover_swaps_roles_in_the_same_round() -> None:
    """`asking` → `asking` on `handover`: the partner becomes the asker and round stays the same."""
    session = seated()
    change = session.apply(A, message(M.HANDOVER))
    assert change == Change(EventKind.HANDOVER, A)
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.ASKING,
        1,
        B,
        B,
    )


def test_handover_back_and_forth_returns_the_floor() -> None:
    """Two handovers give the floor back to the first asker, still in the same round."""
    session = play(seated(), (A, M.HANDOVER), (B, M.HANDOVER))
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.ASKING,
        1,
        A,
        A,
    )


def test_decline_returns_to_asking_with_the_same_asker_and_round() -> None:
    """`sharing` → `asking` on `decline`: same asker, same round, the asker has the floor again."""
    session = in_phase(Phase.SHARING)
    change = session.apply(B, message(M.DECLINE))
    assert change == Change(EventKind.DECLINE, B)
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.ASKING,
        1,
        A,
        A,
    )


def test_say_keeps_sharing_and_carries_the_box() -> None:
    """A `say` leaves the phase in `sharing`, the floor with the speaker, and carries its box."""
    session = in_phase(Phase.SHARING)
    change = session.apply(B, message(M.SAY, box=b"sealed answer"))
    assert change == Change(EventKind.SAY, B, box=b"sealed answer")
    assert (session.phase, session.floor) == (Phase.SHARING, B)


def test_done_after_a_say_moves_to_reflecting() -> None:
    """`sharing` → `reflecting` on `done` after a `say`; the asker holds the floor."""
    session = play(in_phase(Phase.SHARING), (B, M.SAY), (B, M.SAY))
    change = session.apply(B, message(M.DONE))
    assert change == Change(EventKind.DONE, B)
    assert (session.phase, session.floor) == (Phase.REFLECTING, A)


def test_reflect_moves_to_confirming() -> None:
    """`reflecting` → `confirming` on `reflect`; the speaker holds the floor to confirm."""
    session = in_phase(Phase.REFLECTING)
    change = session.apply(A, message(M.REFLECT, box=b"sealed reflection"))
    assert change == Change(EventKind.REFLECT, A, box=b"sealed reflection")
    assert (session.phase, session.floor) == (Phase.CONFIRMING, B)


def test_more_returns_to_sharing_with_the_speaker() -> None:
    """`confirming` → `sharing` on `more`: the speaker goes on, same round and asker."""
    session = in_phase(Phase.CONFIRMING)
    change = session.apply(B, message(M.MORE))
    assert change == Change(EventKind.MORE, B)
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.SHARING,
        1,
        A,
        B,
    )


def test_more_then_say_then_done_reaches_reflecting_again() -> None:
    """After `more`, a new `say` lets the speaker yield with `done` again."""
    session = play(in_phase(Phase.CONFIRMING), (B, M.MORE), (B, M.SAY), (B, M.DONE))
    assert (session.phase, session.floor) == (Phase.REFLECTING, A)


def test_confirm_starts_the_next_round_with_roles_swapped() -> None:
    """`confirming` → `asking` on `confirm`: round + 1, the old speaker asks and holds the floor."""
    session = in_phase(Phase.CONFIRMING)
    change = session.apply(B, message(M.CONFIRM))
    assert change == Change(EventKind.CONFIRM, B)
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.ASKING,
        2,
        B,
        B,
    )


def test_round_2_runs_with_b_asking_and_a_speaking() -> None:
    """In round 2 the seats' roles are swapped through every phase, and confirm leads to round 3."""
    session = play(in_phase(Phase.CONFIRMING), (B, M.CONFIRM))
    session.apply(B, message(M.ASK))
    assert (session.phase, session.floor) == (Phase.SHARING, A)
    play(session, (A, M.SAY), (A, M.DONE))
    assert (session.phase, session.floor) == (Phase.REFLECTING, B)
    play(session, (B, M.REFLECT))
    assert (session.phase, session.floor) == (Phase.CONFIRMING, A)
    play(session, (A, M.CONFIRM))
    assert (session.phase, session.round, session.asker, session.floor) == (
        Phase.ASKING,
        3,
        A,
        A,
    )


@pytest.mark.parametrize(
    ("phase", "seat"), [(Phase.WAITING, A), *((phase, seat) for phase in ACTIVE for seat in (A, B))]
)
def test_leave_from_any_phase_ends_the_session(phase: Phase, seat: Seat) -> None:
    """Any phase → `ended` on `leave` from either seat, listener included; the leaver is offline."""
    session = in_phase(phase)
    change = session.apply(seat, message(M.LEAVE))
    assert change == Change(EventKind.LEFT, seat)
    assert session.phase is Phase.ENDED
    assert session.floor is None
    assert session.online[seat] is False


@pytest.mark.parametrize("phase", ACTIVE)
@pytest.mark.parametrize("nod", list(NodKind))
def test_the_listener_may_nod_and_it_changes_nothing_but_the_log(
    phase: Phase, nod: NodKind
) -> None:
    """A listener's `nod` is accepted as a change carrying its kind; the phase and floor stay."""
    session = in_phase(phase)
    listener = FLOOR[phase].partner
    change = session.apply(listener, message(M.NOD, kind=str(nod)))
    assert change == Change(EventKind.NOD, listener, nod=nod)
    assert (session.phase, session.floor) == (phase, FLOOR[phase])


@pytest.mark.parametrize("phase", ACTIVE)
@pytest.mark.parametrize("on", [True, False])
def test_typing_from_the_floor_holder_is_accepted_and_records_no_change(
    phase: Phase, on: bool
) -> None:
    """`typing` from the floor holder is accepted but is no event: apply returns None."""
    session = in_phase(phase)
    assert session.apply(FLOOR[phase], message(M.TYPING, on=on)) is None
    assert (session.phase, session.floor) == (phase, FLOOR[phase])


@pytest.mark.parametrize("phase", [Phase.WAITING, *ACTIVE])
@pytest.mark.parametrize("seat", [A, B])
def test_presence_changes_only_who_is_online(phase: Phase, seat: Seat) -> None:
    """`away` and `back` flip `online` for that seat and change neither phase, round nor floor."""
    session = in_phase(phase)
    before = (session.phase, session.round, session.asker, session.floor)
    away = session.presence(seat, online=False)
    assert away == Change(EventKind.AWAY, seat)
    assert session.online[seat] is False
    assert (session.phase, session.round, session.asker, session.floor) == before
    back = session.presence(seat, online=True)
    assert back == Change(EventKind.BACK, seat)
    assert session.online[seat] is True
    assert (session.phase, session.round, session.asker, session.floor) == before


def test_the_member_still_online_goes_on_while_the_partner_is_away() -> None:
    """A drop does not pause the room: the online speaker may still say and yield."""
    session = in_phase(Phase.SHARING)
    session.presence(A, online=False)
    play(session, (B, M.SAY), (B, M.DONE))
    assert (session.phase, session.floor, session.online[A]) == (Phase.REFLECTING, A, False)


def test_presence_after_the_end_records_nothing() -> None:
    """Once ended, a drop or a return is no change: presence returns None and online stays."""
    session = in_phase(Phase.ENDED)
    before = dict(session.online)
    assert session.presence(B, online=False) is None
    assert session.presence(A, online=True) is None
    assert session.online == before
