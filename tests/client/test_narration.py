"""Each event reads as one calm transcript line, from either seat, with partner words verbatim."""

import pytest

from client.narration import narrate
from shared.events import Event, EventKind, RoomState
from shared.seats import NodKind, Phase, Seat

STATE = RoomState(Phase.SHARING, 2, Seat.A, {Seat.A: "Ana", Seat.B: "You"}, {})


def event(kind: EventKind, by: Seat = Seat.B, **extra: object) -> Event:
    return Event(7, 0, kind, by, STATE, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_kind_has_a_sentence(kind: EventKind) -> None:
    """Every kind of the contract has its own line, from both seats."""
    for me in Seat:
        assert narrate(event(kind, text="words", nod=NodKind.HEAR), me).text.plain


def test_the_handover_names_the_receiver_from_each_side() -> None:
    """Ana reads `You handed the asking to You` for a partner named You; he reads `to you`."""
    handover = event(EventKind.HANDOVER, by=Seat.A)
    assert narrate(handover, Seat.A).text.plain == "You handed the asking to You."
    assert narrate(handover, Seat.B).text.plain == "Ana handed the asking to you."


def test_partner_words_stay_verbatim() -> None:
    """Markup in what the partner said is kept as characters, with no style parsed out of it."""
    said = narrate(event(EventKind.SAY, text="[bold]x[/]"), Seat.A)
    assert said.text.plain == "You\n[bold]x[/]"
    assert said.tone == "words"


def test_a_continued_answer_drops_the_repeated_name() -> None:
    """The second `say` in a row shows only the words."""
    assert narrate(event(EventKind.SAY, text="more"), Seat.A, continues=True).text.plain == "more"


def test_sentences_agree_with_you() -> None:
    """`You are back` and `You have more to say`, but `Ana is back`."""
    assert narrate(event(EventKind.BACK, by=Seat.A), Seat.A).text.plain == "You are back."
    assert narrate(event(EventKind.BACK, by=Seat.A), Seat.B).text.plain == "Ana is back."
    assert narrate(event(EventKind.MORE, by=Seat.A), Seat.A).text.plain == "You have more to say."
