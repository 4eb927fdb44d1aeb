"""Openings that help the asker mirror what they heard and validate it."""

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from client.decks import STARTERS


class ReflectionStarters(OptionList):
    """Pick a starter to put it into the composer, then finish the sentence."""

    @dataclass
    class StarterChosen(Message):
        """The asker picked an opening to build their reflection on."""

        words: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(*(Option(Text(words.strip())) for words in STARTERS), id=id)
        self.border_title = "Reflection starters"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.StarterChosen(STARTERS[event.option_index]))
