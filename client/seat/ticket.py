"""What it takes to come back to a seat after a drop."""

from collections.abc import Iterable
from dataclasses import dataclass

from shared.events import Event
from shared.seats import Seat


@dataclass
class SeatTicket:
    """What it takes to come back after a drop: the room, the seat, its token, the last seq seen
    and the epoch of the log it counts in (docs/protocol.md, Drops, resume and leave)."""

    code: str
    seat: Seat
    token: str
    last_seq: int = 0
    epoch: int | None = None
    """From the last `joined`; None from a server older than epochs."""

    def take_fresh(self, events: Iterable[Event]) -> list[Event]:
        """The events above `last_seq`, in order, moving `last_seq` past them: each counts once."""
        fresh = []
        for event in events:
            if event.seq > self.last_seq:
                self.last_seq = event.seq
                fresh.append(event)
        return fresh
