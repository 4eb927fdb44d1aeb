"""The conversation so far: questions, answers, reflections, nods, comings and goings."""

from textual.containers import VerticalScroll
from textual.widgets import Static

from client.narration import narrate
from shared.events import Event, EventKind
from shared.seats import Seat


class TranscriptEntry(Static):
    """One event in the transcript, remembered by its `seq`."""

    def __init__(self, event: Event, me: Seat, *, continues: bool = False) -> None:
        line = narrate(event, me, continues=continues)
        mine = "mine" if event.by is me else "theirs"
        # A Text renderable is shown as-is: partner words are never read as markup.
        super().__init__(line.text, classes=f"{line.tone} {mine}" + (" more" if continues else ""))
        self.seq = event.seq


class Transcript(VerticalScroll):
    """Every event in order, each exactly once; scrolls to the newest."""

    # Tab moves between the things that act (cards, starters, the composer); the
    # screen scrolls the transcript with page up and page down instead.
    can_focus = False

    _last: Event | None = None

    def add(self, event: Event, me: Seat) -> None:
        """Append `event`; the link already passes each `seq` once, in order."""
        if not self.is_attached:
            # Our own `left` can arrive while the app is closing: nobody is looking any more.
            return
        last = self._last
        # A second `say` in a row from the same person reads on without their name again.
        continues = (
            last is not None and last.kind is event.kind is EventKind.SAY and last.by is event.by
        )
        self._last = event
        self.mount(TranscriptEntry(event, me, continues=continues))
        # After the refresh, so the new entry's height counts.
        self.call_after_refresh(self.scroll_end, animate=False)

    @property
    def seqs(self) -> list[int]:
        """The `seq` of every entry shown, top to bottom."""
        return [entry.seq for entry in self.query(TranscriptEntry)]
