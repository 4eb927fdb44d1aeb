"""The welcome screen's first choice: go back into a session kept on disk."""

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button

from client.saved_seats import SavedSeat

MAX_OFFERS = 3
"""The most recent seats offered; more would push the form off an 80x24 screen."""


class ResumeOffers(Vertical):
    """One button per saved seat, the most recent first; hidden when there is none."""

    DEFAULT_CSS = """
    ResumeOffers {
        height: auto;
    }
    ResumeOffers Button {
        width: 100%;
        margin-bottom: 1;
    }
    """

    @dataclass
    class Chosen(Message):
        """The person picked a saved seat to take back."""

        seat: SavedSeat

    def __init__(self, seats: list[SavedSeat], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.seats = seats[:MAX_OFFERS]
        self._offered: dict[Button, SavedSeat] = {}

    def compose(self) -> ComposeResult:
        self._offered = {
            # Plain text: the partner's name is theirs to choose, never markup.
            Button(Text(seat.offer), variant="primary", compact=True): seat
            for seat in self.seats
        }
        yield from self._offered

    def on_mount(self) -> None:
        self.display = bool(self.seats)

    async def show(self, seats: list[SavedSeat]) -> None:
        """Offer `seats` instead, e.g. after one of them turned out to be gone."""
        self.seats = seats[:MAX_OFFERS]
        await self.recompose()
        self.display = bool(self.seats)

    @on(Button.Pressed)
    def choose(self, event: Button.Pressed) -> None:
        event.stop()
        seat = self._offered.get(event.button)
        if seat is not None:
            self.post_message(self.Chosen(seat))
