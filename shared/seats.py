"""Seats, phases and nods: the fixed vocabulary of a room."""

from enum import StrEnum


class Seat(StrEnum):
    """A room has two seats: `a` made the room, `b` joined it."""

    A = "a"
    B = "b"

    @property
    def partner(self) -> "Seat":
        return Seat.B if self is Seat.A else Seat.A


SEATS: tuple[Seat, Seat] = (Seat.A, Seat.B)
"""Both seats, for loops on every reply: iterating the enum itself costs a generator each time."""


class Phase(StrEnum):
    """docs/protocol.md, Seats, phases and the floor."""

    WAITING = "waiting"
    ASKING = "asking"
    SHARING = "sharing"
    REFLECTING = "reflecting"
    CONFIRMING = "confirming"
    PROPOSING = "proposing"
    """Letters: no question is open; either seat may propose one."""
    ANSWERING = "answering"
    """Letters: a question is open, and each seat writes its sealed answer."""
    REVEALED = "revealed"
    """Letters: both answers are out; each seat reflects the other's, and each writer says
    whether they felt heard."""
    ENDED = "ended"


class Mode(StrEnum):
    """docs/protocol.md, Letters: what kind of room `create` makes."""

    LIVE = "live"
    """Both at once, taking turns with the floor: the session rooms of fireside.2."""
    LETTERS = "letters"
    """A lasting room where each answers the same question in their own time."""


class NodKind(StrEnum):
    """The quiet signs a listener may send: a heart, "I hear you", "take your time"."""

    HEART = "heart"
    HEAR = "hear"
    TIME = "time"


ACTIVE_PHASES = frozenset({Phase.ASKING, Phase.SHARING, Phase.REFLECTING, Phase.CONFIRMING})

LETTER_PHASES = frozenset({Phase.PROPOSING, Phase.ANSWERING, Phase.REVEALED})
"""The phases of a letters room once it is paired: no floor, no listening mode."""
