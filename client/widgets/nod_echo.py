"""A nod, shown to the speaker for a moment at the edge of the screen, then gone."""

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

NOD_SHOWN = 5.0
"""Seconds a nod stays in view: long enough to notice in passing, short enough not to nag."""


class NodEcho(Static):
    """`Ana: ♥`, quietly: no dialog, no bell; the transcript keeps the nod, dimmed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.nod: str | None = None
        """The nod in view, or None when it has faded."""
        self.shown_for = NOD_SHOWN
        self._fade: Timer | None = None
        self.display = False

    def show(self, nod: str, partner_name: str) -> None:
        """Show `nod` from the partner (plain text), and let it go after `shown_for` seconds."""
        self.nod = nod
        self.display = True
        self.update(Text.assemble(f"{partner_name}: ", (nod, "bold")))
        if self._fade is not None:
            self._fade.stop()
        # One timer per nod, stopped when it fires: nothing ticks while the room is quiet.
        self._fade = self.set_timer(self.shown_for, self.clear)

    def clear(self) -> None:
        """Let the nod go."""
        self._fade = None
        self.nod = None
        self.display = False
        self.update(Text(""))
