"""Asks before ending the letters: it ends them for both, and the room is gone for good."""

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class EndLettersDialog(ModalScreen[bool]):
    """True to end the letters for both, False to keep them. No answer is a letter key: a
    reply typed in a burst must never end anything (issue 10); ctrl+e ends, escape keeps."""

    CSS_PATH = "end_letters_dialog.tcss"
    AUTO_FOCUS = "#keep"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "keep", "Keep the letters"),
        Binding("ctrl+e", "end_letters", "End them"),
    ]

    def __init__(self, partner: str | None) -> None:
        super().__init__()
        self.partner = partner or "your partner"

    def compose(self) -> ComposeResult:
        with Vertical(id="end-dialog"):
            yield Static(
                f"End the letters with {self.partner}? They end for both of you, and every "
                "letter leaves the server. Your journal on this machine stays."
            )
            with Horizontal(id="end-answers"):
                yield Button("Keep them (esc)", id="keep", variant="primary")
                yield Button("End the letters (ctrl+e)", id="end", variant="error")

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#end")
    def action_end_letters(self) -> None:
        self.dismiss(True)
