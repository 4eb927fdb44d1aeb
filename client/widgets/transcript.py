"""The conversation so far: questions, answers, reflections, nods, comings and goings."""

from textual.containers import VerticalScroll
from textual.widgets import Static

from client.narration import narrate
from shared.events import Event
from shared.seats import Seat


class TranscriptEntry(Static):
    """One event in the transcript, remembered by its `seq`."""

    def __init__(self, event: Event, me: Seat) -> None:
        line = narrate(event, me)
        mine = "mine" if event.by is me else "theirs"
        # A Text renderable is shown as-is: partner words are never read as markup.
        super().__init__(line.text, classes=f"{line.tone} {mine}")
        self.seq = event.seq


class Transcript(VerticalScroll):
    """Every event in order, each exactly once; scrolls to the newest."""

    def add(self, event: Event, me: Seat) -> None:
        """Append `event`; the link already passes each `seq` once, in order."""
        if not self.is_attached:
            # Our own `left` can arrive while the app is closing: nobody is looking any more.
            return
        self.mount(TranscriptEntry(event, me))
        # After the refresh, so the new entry's height counts.
        self.call_after_refresh(self.scroll_end, animate=False)

    @property
    def seqs(self) -> list[int]:
        """The `seq` of every entry shown, top to bottom."""
        return [entry.seq for entry in self.query(TranscriptEntry)]
