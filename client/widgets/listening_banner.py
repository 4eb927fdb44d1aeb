"""The calm note shown in listening mode: who has the floor, and what listening means here."""

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static


class ListeningBanner(Static):
    """Shown while the partner has the floor; the composer is closed meanwhile."""

    speaker: var[str | None] = var(None)
    """The name of whoever holds the floor (plain text), or None when not listening."""

    def watch_speaker(self, speaker: str | None) -> None:
        self.display = speaker is not None
        if speaker is None:
            return
        self.update(
            Text.assemble(
                (speaker, "bold"),
                " has the floor. You are listening: no judging, no fixing, just listen.\n",
                "Nod quietly with 1 ♥   2 I hear you   3 take your time",
            )
        )
