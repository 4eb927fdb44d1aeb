"""`Session.recall`: what a store reads back from the log that the room's columns do not say."""

from shared.events import EventKind
from shared.letters import Letter, Thread
from shared.seats import Mode, Seat
from shared.session import Session

A, B = Seat.A, Seat.B


def test_a_live_room_recalls_its_notes_and_no_letter() -> None:
    """A live room's `say`, `reflect` and `confirm` are turns, not a letter's: read back, the
    session is the one the server had, whose letter stayed empty."""
    session = Session()
    for kind, by in (
        (EventKind.SAY, B),
        (EventKind.REFLECT, A),
        (EventKind.MORE, B),
        (EventKind.NOTE, A),
    ):
        session.recall(kind, by, b"sealed")
    assert session.noted == {A}
    assert session.letter == Letter()


def test_a_letters_room_recalls_its_open_letter_and_the_box_it_withholds() -> None:
    """Read back after one answer, a letters room withholds that answer's box again; after
    both and their reveals, each thread is where the log left it."""
    session = Session(mode=Mode.LETTERS)
    session.recall(EventKind.PROPOSE, A, b"sealed question")
    session.recall(EventKind.ANSWER, B, b"sealed answer of b")
    assert session.letter == Letter((B,), {B: b"sealed answer of b"}, {})
    session.recall(EventKind.ANSWER, A, b"sealed answer of a")
    session.recall(EventKind.REVEAL, B, b"sealed answer of b")
    session.recall(EventKind.REVEAL, A, b"sealed answer of a")
    session.recall(EventKind.REFLECT, A, b"sealed reflection")
    assert session.letter == Letter((B, A), {}, {B: Thread.CONFIRM, A: Thread.REFLECT})
