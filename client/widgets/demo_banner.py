"""The one line that says this room is practice: Sam is scripted, and nothing is kept."""

from rich.text import Text
from textual.widgets import Static

from client.demo.lines import PARTNER_NAME

BANNER = Text.assemble(
    ("This is a practice room", "bold"),
    f" with {PARTNER_NAME}, a scripted partner. Nothing is saved.",
)
"""One line even at 80 columns; the footer already says how to leave."""


class DemoBanner(Static):
    """Shown above the session in `fireside demo`, so nobody mistakes Sam for a person."""

    DEFAULT_CSS = """
    DemoBanner {
        height: auto;
        padding: 0 1;
        background: $accent 15%;
        color: $foreground;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(BANNER, id=id)
