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
    ENDED = "ended"


class NodKind(StrEnum):
    """The quiet signs a listener may send: a heart, "I hear you", "take your time"."""

    HEART = "heart"
    HEAR = "hear"
    TIME = "time"


ACTIVE_PHASES = frozenset({Phase.ASKING, Phase.SHARING, Phase.REFLECTING, Phase.CONFIRMING})
