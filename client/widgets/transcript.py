"""The conversation so far: questions, answers, reflections, nods, comings and goings."""

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from client.folding import PRESENCE, more_nods, presence_line
from client.narration import Line, narrate
from client.sealed_room import Opened
from shared.events import EventKind
from shared.seats import Seat


class TranscriptEntry(Static):
    """One event in the transcript, remembered by its `seq`."""

    def __init__(self, line: Line, seq: int, *, mine: bool, continues: bool = False) -> None:
        whose = "mine" if mine else "theirs"
        # A Text renderable is shown as-is: partner words are never read as markup.
        super().__init__(line.text, classes=f"{line.tone} {whose}" + (" more" if continues else ""))
        self.seq = seq
        self.shown = line.text
        """What the entry shows; nods that follow on are added to it."""

    def run_on(self, text: Text) -> None:
        """Show `text` instead: the same entry, grown by a nod."""
        self.shown = text
        self.update(text)


class Transcript(VerticalScroll):
    """Every event worth reading, in order, each exactly once; scrolls to the newest."""

    # Tab moves between the things that act (cards, starters, the composer); the
    # screen scrolls the transcript with page up and page down instead.
    can_focus = False

    _last: Opened | None = None

    def add(self, opened: Opened, me: Seat) -> None:
        """Append `opened`; the link already passes each `seq` once, in order."""
        if not self.is_attached:
            # Our own `left` can arrive while the app is closing: nobody is looking any more.
            return
        last = self._last
        # A second `say` in a row from the same person reads on without their name again.
        continues = (
            last is not None and last.kind is opened.kind is EventKind.SAY and last.by is opened.by
        )
        if opened.kind is EventKind.NOD and last is not None and last.kind is EventKind.NOD:
            # Nods in a row from one person run on in one dim line, not one line each.
            entries = self.query(TranscriptEntry)
            if last.by is opened.by and entries:
                entries.last().run_on(more_nods(entries.last().shown, opened))
                self._last = opened
                return
        if opened.kind in PRESENCE:
            line = presence_line(opened, me, last)
        else:
            line = narrate(opened, me, continues=continues)
        if line is None:
            return
        self._last = opened
        self.mount(TranscriptEntry(line, opened.seq, mine=opened.by is me, continues=continues))
        # After the refresh, so the new entry's height counts.
        self.call_after_refresh(self.scroll_end, animate=False)

    @property
    def seqs(self) -> list[int]:
        """The `seq` of every entry shown, top to bottom."""
        return [entry.seq for entry in self.query(TranscriptEntry)]
