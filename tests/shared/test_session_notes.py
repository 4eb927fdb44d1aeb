"""The closing `note`: once per seat, from either seat in an active phase, never an interruption."""

import pytest

from shared.crypto.boxes import Opener, Sealer, Tampered
from shared.crypto.pairing import RoomKey
from shared.errors import ErrorCode, Rejected
from shared.events import Event, EventKind
from shared.fields import NOTE_MAX
from shared.messages import MessageType
from shared.seats import Phase
from tests.shared.rooms import ACTIVE, BOX, FLOOR, A, B, in_phase, joined, message, parse, refused

M = MessageType


@pytest.mark.parametrize("phase", ACTIVE)
def test_either_seat_may_leave_a_note_in_any_active_phase(phase: Phase) -> None:
    """The floor holder and the listener alike: a note is the goodbye, not a move of the turn."""
    session = in_phase(phase)
    listener = FLOOR[phase].partner
    assert session.may(listener, M.NOTE)
    change = session.apply(listener, message(M.NOTE))
    assert change is not None
    assert (change.kind, change.by, change.box) == (EventKind.NOTE, listener, b"note-" + BOX)
    assert session.may(FLOOR[phase], M.NOTE)
    session.apply(FLOOR[phase], message(M.NOTE))
    assert session.phase is phase
    assert session.floor is FLOOR[phase]


@pytest.mark.parametrize("phase", ACTIVE)
def test_a_second_note_from_the_same_seat_is_wrong_phase(phase: Phase) -> None:
    """One note per seat: the second is refused and the partner's is still taken."""
    session = in_phase(phase)
    session.apply(A, message(M.NOTE))
    assert not session.may(A, M.NOTE)
    assert refused(session, A, message(M.NOTE)).code is ErrorCode.WRONG_PHASE
    assert session.may(B, M.NOTE)


def test_no_note_while_waiting_or_after_the_end() -> None:
    """Before the pairing it is `wrong_phase`; after `leave` it is `ended`."""
    session = joined()
    assert refused(session, A, message(M.NOTE)).code is ErrorCode.WRONG_PHASE
    ended = in_phase(Phase.ASKING)
    ended.apply(A, message(M.NOTE))
    ended.apply(A, message(M.LEAVE))
    assert refused(ended, B, message(M.NOTE)).code is ErrorCode.ENDED


def test_the_mirror_counts_notes_from_the_events() -> None:
    """A client that only observes the log knows which seats have left a note."""
    session = in_phase(Phase.SHARING)
    mirror = in_phase(Phase.SHARING)
    change = session.apply(B, message(M.NOTE))
    assert change is not None
    mirror.observe(Event(seq=20, at=0, kind=change.kind, by=change.by, state=session.state))
    assert mirror.noted == session.noted == {B}
    assert not mirror.may(B, M.NOTE)
    assert mirror.may(A, M.NOTE)


def test_a_note_needs_a_box_within_its_size() -> None:
    """No box, text instead of bytes or a box over NOTE_BOX_MAX is `bad_field`."""
    for raw in (
        {"t": "note"},
        {"t": "note", "box": "plain text"},
        {"t": "note", "box": bytes(8_401)},
    ):
        with pytest.raises(Rejected) as caught:
            parse(raw)
        assert caught.value.code is ErrorCode.BAD_FIELD


def test_the_note_box_holds_text_of_at_most_2000_code_points() -> None:
    """Sealed in the seat's counter sequence like every box; longer or other fields are refused."""
    key = RoomKey("K7M2Q-X9P4R", bytes(32))
    sealer = Sealer(key, A, sealed=1)
    opener = Opener(key)
    opener.open(A, M.HELLO, Sealer(key, A).seal(M.HELLO, {"name": "Ana"}))
    box = sealer.seal(M.NOTE, {"text": "é" * NOTE_MAX})
    assert opener.open(A, M.NOTE, box) == {"text": "é" * NOTE_MAX}
    with pytest.raises(ValueError, match="at most 2000"):
        sealer.seal(M.NOTE, {"text": "x" * (NOTE_MAX + 1)})
    with pytest.raises(ValueError, match="note holds text"):
        sealer.seal(M.NOTE, {"text": "hi", "card": "x"})
    # Sealed as a note, it does not open as a say: the type is in the associated data.
    say = sealer.seal(M.NOTE, {"text": "bye"})
    with pytest.raises(Tampered):
        opener.open(A, M.SAY, say)
