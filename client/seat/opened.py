"""An event of the log as this seat reads it: its box opened."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.events import Event, EventKind, RoomState
from shared.seats import Seat


@dataclass(frozen=True)
class Opened:
    """An event as this seat reads it: the words opened from its box, and the names known then."""

    event: Event
    names: Mapping[Seat, str | None] = field(default_factory=lambda: dict.fromkeys(Seat))
    text: str | None = None
    card: str | None = None

    @property
    def seq(self) -> int:
        return self.event.seq

    @property
    def kind(self) -> EventKind:
        return self.event.kind

    @property
    def by(self) -> Seat:
        return self.event.by

    @property
    def state(self) -> RoomState:
        return self.event.state
