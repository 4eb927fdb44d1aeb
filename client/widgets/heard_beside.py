"""While the speaker confirms: their own words this turn beside what the asker heard."""

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from client.reflection import Heard


class HeardBeside(Horizontal):
    """Two columns, "What you said" and "What <partner> heard", so the speaker can compare.

    Both are as tall as the taller one's words, so they line up and read as a pair; past
    half the screen each scrolls on its own.
    """

    DEFAULT_CSS = """
    HeardBeside {
        height: auto;
        max-height: 50%;
    }
    HeardBeside > VerticalScroll {
        width: 1fr;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        border: round $secondary 50%;
        scrollbar-size-vertical: 1;
    }
    HeardBeside #heard-reflected {
        border: round $secondary;
    }
    """

    said: tuple[str, ...] = ()
    """The speaker's words shown on the left, one `say` each."""
    reflected = ""
    """The reflection shown on the right."""
    _said_text = Text()
    _reflected_text = Text()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="heard-said") as said:
            said.border_title = "What you said"
            said.can_focus = False
            yield Static(id="heard-said-words")
        with VerticalScroll(id="heard-reflected") as reflected:
            reflected.can_focus = False
            yield Static(id="heard-reflected-words")

    def show(self, heard: Heard, partner_name: str) -> None:
        """Fill both columns; every word is the people's own, so plain text only."""
        # A Text title: the partner's name is never read as markup.
        self.query_one("#heard-reflected").border_title = Text(f"What {partner_name} heard")
        self.said = heard.said
        self.reflected = heard.reflected or ""
        said = Text("\n\n").join(Text(words) for words in heard.said)
        self.query_one("#heard-said-words", Static).update(said)
        self.query_one("#heard-reflected-words", Static).update(Text(self.reflected))
        self._said_text, self._reflected_text = said, Text(self.reflected)
        self._even_up()

    def on_resize(self, event: events.Resize) -> None:
        self._even_up()

    def _even_up(self) -> None:
        """Give both columns the height of the taller one's words at the width each has now."""
        # Each column is half the width, less its border and padding (two cells each).
        width = self.size.width // 2 - 4
        if width < 1:
            return
        console = self.app.console
        lines = max(
            len(text.wrap(console, width)) for text in (self._said_text, self._reflected_text)
        )
        for column in self.query(VerticalScroll):
            column.styles.height = lines + 2
