"""Gentle follow-up prompts under the question, for the asker while they listen and reflect."""

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static


class FollowUps(Static):
    """The follow-ups of the card being answered: ideas for the reflection or the next ask."""

    DEFAULT_CSS = """
    FollowUps {
        height: auto;
        margin: 0 1;
        padding: 0 1;
        border-left: thick $secondary 50%;
        color: $text-muted;
    }
    """

    def show(self, prompts: Sequence[str]) -> None:
        """Show `prompts`, or hide when there are none."""
        self.display = bool(prompts)
        if prompts:
            lines = [Text("You might follow up with:", style="italic")]
            lines.extend(Text(f"· {prompt}") for prompt in prompts)
            self.update(Text("\n").join(lines))
