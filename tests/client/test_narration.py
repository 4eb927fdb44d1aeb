"""Each event reads as one calm transcript line, from either seat, with partner words verbatim."""

import pytest

from client.narration import UNSHOWN, narrate
from client.seat.opened import Opened
from client.seat.sealed import MISMATCHED
from shared.events import Event, EventKind, RoomState
from shared.seats import NodKind, Phase, Seat

STATE = RoomState(Phase.SHARING, 2, Seat.A, dict.fromkeys(Seat, b"box"), {})
NAMES = {Seat.A: "Ana", Seat.B: "You"}


def opened(kind: EventKind, by: Seat = Seat.B, text: str | None = None) -> Opened:
    event = Event(7, 0, kind, by, STATE, nod=NodKind.HEAR if kind is EventKind.NOD else None)
    return Opened(event, NAMES, text)


@pytest.mark.parametrize("kind", [kind for kind in EventKind if kind not in UNSHOWN])
def test_every_kind_has_a_sentence(kind: EventKind) -> None:
    """Every kind people should read has its own line, from both seats."""
    line = narrate(opened(kind, text="words"), Seat.A)
    assert line is not None
    assert line.text.plain


def test_the_pairing_steps_are_not_shown() -> None:
    """`pake`, `verify` and one's own `hello` are bytes between clients, not conversation."""
    for kind in UNSHOWN:
        assert narrate(opened(kind), Seat.A) is None
    assert narrate(opened(EventKind.HELLO, by=Seat.A), Seat.A) is None
    hello = narrate(opened(EventKind.HELLO, by=Seat.A), Seat.B)
    assert hello is not None
    assert hello.text.plain.startswith("Paired with Ana:")
    mismatch = narrate(opened(EventKind.MISMATCH), Seat.A)
    assert mismatch is not None
    assert mismatch.text.plain == MISMATCHED


def test_the_handover_names_the_receiver_from_each_side() -> None:
    """Ana reads `You handed the asking to You` for a partner named You; he reads `to you`."""
    for me, expected in (
        (Seat.A, "You handed the asking to You."),
        (Seat.B, "Ana handed the asking to you."),
    ):
        line = narrate(opened(EventKind.HANDOVER, by=Seat.A), me)
        assert line is not None
        assert line.text.plain == expected


def test_partner_words_stay_verbatim() -> None:
    """Markup in what the partner said is kept as characters, with no style parsed out of it."""
    said = narrate(opened(EventKind.SAY, text="[bold]x[/]"), Seat.A)
    assert said is not None
    assert said.text.plain == "You\n[bold]x[/]"
    assert said.tone == "words"


def test_a_partner_not_yet_paired_is_your_partner() -> None:
    """Before the `hello`s are opened, the partner has no name: `Your partner joined the room.`"""
    event = Event(2, 0, EventKind.JOINED, Seat.B, STATE)
    line = narrate(Opened(event), Seat.A)
    assert line is not None
    assert line.text.plain == "Your partner joined the room."


def test_a_continued_answer_drops_the_repeated_name() -> None:
    """The second `say` in a row shows only the words."""
    line = narrate(opened(EventKind.SAY, text="more"), Seat.A, continues=True)
    assert line is not None
    assert line.text.plain == "more"


@pytest.mark.parametrize(
    ("kind", "by", "me", "expected"),
    [
        (EventKind.BACK, Seat.A, Seat.A, "You are back."),
        (EventKind.BACK, Seat.A, Seat.B, "Ana is back."),
        (EventKind.MORE, Seat.A, Seat.A, "You have more to say."),
    ],
)
def test_sentences_agree_with_you(kind: EventKind, by: Seat, me: Seat, expected: str) -> None:
    """`You are back` and `You have more to say`, but `Ana is back`."""
    line = narrate(opened(kind, by=by), me)
    assert line is not None
    assert line.text.plain == expected
