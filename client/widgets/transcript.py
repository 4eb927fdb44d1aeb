"""The conversation so far: questions, answers, reflections, nods, comings and goings."""

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from client.folding import PRESENCE, more_nods, presence_line
from client.narration import Line, narrate
from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import Seat

WINDOW = 200
"""Entries mounted at first, and how many more each look further back brings.

A log of thousands of events is narrated whole but mounted a window at a time:
mounting a widget per event would keep the screen still for many seconds.
"""


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


@dataclass
class _Entry:
    """One transcript line, mounted or waiting further up."""

    line: Line
    seq: int
    mine: bool
    continues: bool

    def widget(self) -> TranscriptEntry:
        return TranscriptEntry(self.line, self.seq, mine=self.mine, continues=self.continues)


class Transcript(VerticalScroll):
    """Every event worth reading, in order, each exactly once; scrolls to the newest.

    Only the newest entries are mounted; "Earlier: N more" at the top says how
    many wait above, and page up at the top (or a click on it) brings them in.
    """

    # The composer keeps the focus at every turn to write; the screen scrolls the
    # transcript with page up and page down instead.
    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: list[_Entry] = []
        self._first_mounted = 0
        """Index in `_entries` of the top mounted entry; everything from it on is mounted."""
        self._newest: TranscriptEntry | None = None
        self._last: Opened | None = None
        """The last event that made or grew a line: how the next one reads depends on it."""

    def compose(self) -> ComposeResult:
        yield Static(id="earlier")

    def on_mount(self) -> None:
        self._show_hint()

    def add(self, batch: Sequence[Opened], me: Seat) -> None:
        """Append `batch`; the link already passes each `seq` once, in order."""
        if not self.is_attached:
            # Our own `left` can arrive while the app is closing: nobody is looking any more.
            return
        known = len(self._entries)
        grown = False
        for opened in batch:
            grown = self._take(opened, me) or grown
        if grown and self._newest is not None and known - 1 >= self._first_mounted:
            self._newest.run_on(self._entries[known - 1].line.text)
        fresh = self._entries[known:]
        if not fresh:
            return
        if len(fresh) > WINDOW:
            # A whole log at once: start again from its newest window, older lines wait above.
            self.query(TranscriptEntry).remove()
            self._first_mounted = len(self._entries) - WINDOW
            fresh = self._entries[self._first_mounted :]
        widgets = [entry.widget() for entry in fresh]
        self._newest = widgets[-1]
        self.mount_all(widgets)
        self._show_hint()
        # After the refresh, so the new entries' heights count.
        self.call_after_refresh(self.scroll_end, animate=False)

    def restart(self) -> None:
        """Forget every line: the log is to be shown again from its first event (a resync)."""
        self._entries = []
        self._first_mounted = 0
        self._newest = None
        self._last = None
        if self.is_attached:
            self.query(TranscriptEntry).remove()
            self._show_hint()

    def page_up(self) -> None:
        """Scroll a page up; at the top, bring in the entries waiting above."""
        if self.scroll_y > 0 or not self.show_earlier():
            self.scroll_page_up()

    def show_earlier(self) -> bool:
        """Mount up to WINDOW more entries above the top one; False when none wait there."""
        if self._first_mounted == 0:
            return False
        start = max(0, self._first_mounted - WINDOW)
        anchor = self.query(TranscriptEntry).first()
        self.mount_all(
            [entry.widget() for entry in self._entries[start : self._first_mounted]], before=anchor
        )
        self._first_mounted = start
        self._show_hint()
        # The page just above the entry that was on top: reading goes on upwards.
        self.call_after_refresh(self._scroll_above, anchor)
        return True

    @property
    def seqs(self) -> list[int]:
        """The `seq` of every entry, top to bottom, mounted or waiting above."""
        return [entry.seq for entry in self._entries]

    @property
    def earlier(self) -> int:
        """How many entries wait above the mounted ones."""
        return self._first_mounted

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "earlier":
            self.show_earlier()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.scroll_y <= 0:
            self.show_earlier()

    def _take(self, opened: Opened, me: Seat) -> bool:
        """Narrate `opened` into the lines; True when it grew the last line instead."""
        last = self._last
        # A second `say` in a row from the same person reads on without their name again.
        continues = (
            last is not None and last.kind is opened.kind is EventKind.SAY and last.by is opened.by
        )
        nods = opened.kind is EventKind.NOD and last is not None and last.kind is EventKind.NOD
        if nods and last is not None and last.by is opened.by and self._entries:
            # Nods in a row from one person run on in one dim line, not one line each.
            newest = self._entries[-1]
            newest.line = Line(newest.line.tone, more_nods(newest.line.text, opened))
            self._last = opened
            return True
        if opened.kind in PRESENCE:
            line = presence_line(opened, me, last)
        else:
            line = narrate(opened, me, continues=continues)
        if line is None:
            return False
        self._last = opened
        self._entries.append(_Entry(line, opened.seq, opened.by is me, continues))
        return False

    def _show_hint(self) -> None:
        hint = self.query_one("#earlier", Static)
        hint.display = self._first_mounted > 0
        hint.update(
            Text(f"Earlier: {self._first_mounted:,} more · page up at the top or click to see them")
        )

    def _scroll_above(self, anchor: TranscriptEntry) -> None:
        view = self.scrollable_content_region.height
        self.scroll_to(y=max(0, anchor.virtual_region.y - view), animate=False)
