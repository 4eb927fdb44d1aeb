"""Reflecting back: the three gentle steps the asker may lean on, and what the speaker is shown."""

from collections.abc import Sequence
from dataclasses import dataclass

from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import Seat


@dataclass(frozen=True)
class Step:
    """One step of an Imago-style reflection: its name, what it is for, and words to start it."""

    name: str
    purpose: str
    starters: tuple[str, ...]


STEPS = (
    Step(
        "Mirror",
        "say back what you heard",
        ("What I heard you say is… ", "Did I get that? ", "Is there more? "),
    ),
    Step("Validate", "show it makes sense", ("That makes sense, because… ",)),
    Step("Empathise", "guess at the feeling", ("I imagine you might feel… ",)),
)
"""Mirror, validate, empathise: a guide the asker may pick from or ignore, never a form."""

STARTERS = tuple(words for step in STEPS for words in step.starters)
"""Every starter, in the order the guide shows them."""


@dataclass(frozen=True)
class Heard:
    """The speaker's own words this turn beside what the asker reflected back."""

    said: tuple[str, ...]
    reflected: str | None


def heard_this_turn(room_log: Sequence[Opened], speaker: Seat) -> Heard:
    """What `speaker` said since the round's question, and the latest reflection of it.

    After "there's more" the turn goes on: the words before it still count.
    """
    said: list[str] = []
    reflected: str | None = None
    for opened in room_log:
        if opened.kind is EventKind.ASK:
            said, reflected = [], None
        elif opened.kind is EventKind.SAY and opened.by is speaker and opened.text is not None:
            said.append(opened.text)
        elif opened.kind is EventKind.REFLECT and opened.by is speaker.partner:
            reflected = opened.text
    return Heard(tuple(said), reflected)
