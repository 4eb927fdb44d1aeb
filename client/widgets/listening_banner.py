"""The calm note shown in listening mode: who has the floor, and what listening means here."""

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static


class ListeningBanner(Static):
    """Shown while the partner has the floor; the composer is closed meanwhile."""

    speaker: var[str | None] = var(None)
    """The name of whoever holds the floor (plain text), or None when not listening."""

    reminded: var[bool] = var(False)
    """The listener tried to write or send: say that nothing went out, until the floor moves."""

    def remind(self) -> None:
        """Tell the listener, in place, that what they tried was not sent."""
        self.reminded = True

    def watch_speaker(self, speaker: str | None) -> None:
        self.reminded = False
        self._show()

    def watch_reminded(self) -> None:
        self._show()

    def _show(self) -> None:
        self.display = self.speaker is not None
        if self.speaker is None:
            return
        nods = "Nod quietly with 1 ♥   2 I hear you   3 take your time"
        self.set_class(self.reminded, "reminded")
        self.update(
            Text.assemble(
                (self.speaker, "bold"),
                " has the floor. You are listening: no judging, no fixing, just listen.\n",
                f"Nothing was sent. {nods}." if self.reminded else nods,
            )
        )
