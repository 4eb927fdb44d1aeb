"""The bottom line: the connection's state and any message the server sent back."""

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    """One sentence at a time; its tone (`calm`, `trouble`) picks the style."""

    sentence = ""
    """What the line says now."""

    def say(self, sentence: str, *, trouble: bool = False) -> None:
        """Show `sentence` as plain text: it may hold words the server echoed."""
        self.sentence = sentence
        self.set_class(trouble, "trouble")
        # Trouble is marked in words too, not by colour alone (NO_COLOR, 16 colours).
        self.update(Text.assemble(("! ", "bold"), sentence) if trouble else Text(sentence))
