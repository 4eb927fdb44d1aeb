"""F7: the verification phrase, four words both windows derive from the room key."""

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

EXPLAINED = (
    "Read these four words to each other over the phone: if they match, nobody is in between."
)


class PhraseDialog(ModalScreen[None]):
    """The phrase, and what to do with it; escape or F7 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f7,enter", "dismiss", "Close"),
    ]

    def __init__(self, phrase: str) -> None:
        super().__init__()
        self.phrase = phrase

    def compose(self) -> ComposeResult:
        with Vertical(id="phrase-dialog"):
            yield Static(Text(self.phrase, style="bold"), id="phrase")
            yield Static(EXPLAINED)
