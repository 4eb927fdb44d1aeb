"""A quiet line that shows the partner is writing."""

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static


class TypingIndicator(Static):
    """`Ana is writing…` while the partner holding the floor types."""

    writer: var[str | None] = var(None)
    """The partner's name (plain text) while they write, else None."""

    def watch_writer(self, writer: str | None) -> None:
        self.update(Text(f"{writer} is writing…") if writer is not None else Text(""))
