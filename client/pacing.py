"""Gentle pacing: how long the turn has run, from the server's event times, and when to say so."""

from collections.abc import Sequence

from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import Phase

TURN_PHASES = frozenset({Phase.SHARING, Phase.REFLECTING, Phase.CONFIRMING})
"""A turn runs from the question to "yes, you heard me"."""


def turn_started_at(room_log: Sequence[Opened], phase: Phase) -> int | None:
    """The `at` (Unix ms) of the question that opened the running turn, or None between turns."""
    if phase not in TURN_PHASES:
        return None
    asked = [opened for opened in room_log if opened.kind is EventKind.ASK]
    return asked[-1].event.at if asked else None


def minutes_between(started_at: int, now: float) -> int:
    """Whole minutes from `started_at` (Unix ms) to `now` (Unix s); 0 if the clocks disagree."""
    return max(0, int((now * 1000 - started_at) // 60_000))


def pace_words(minutes: int, phase: Phase) -> str:
    """The soft words for the header row: nothing in the first minute."""
    if minutes < 1:
        return ""
    if phase is Phase.SHARING:
        return f"sharing for {minutes} min"
    return f"{minutes} min into this turn"


REMINDER = "Take your time, or wrap up when it feels right."
"""The one gentle line at the time the pair chose: never a cut-off. The minutes are beside it
(pace_words), so it leaves them out and fits their row at 80 columns."""
