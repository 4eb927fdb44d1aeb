"""Asks before leaving: quitting ends the session for both partners."""

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitDialog(ModalScreen[bool]):
    """True to leave and quit, False to stay."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "stay", "Stay"),
        Binding("y", "leave", "Leave"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                "Leave the session? It ends for both of you, and your partner sees that you left."
            )
            with Horizontal(id="answers"):
                yield Button("Stay (n)", id="stay", variant="primary")
                yield Button("Leave (y)", id="leave", variant="error")

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#leave")
    def action_leave(self) -> None:
        self.dismiss(True)
