"""The reflection guide: mirror, validate, empathise, as openings the asker may pick or ignore."""

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from client.reflection import STEPS
from client.widgets.cursor_list import CursorList


class ReflectionStarters(CursorList):
    """Pick a starter to put it into the composer, then finish the sentence; or write freely.

    The session screen puts in `highlighted_words` on F8; a click puts the starter in too.
    """

    @dataclass
    class StarterChosen(Message):
        """The asker picked an opening to build their reflection on."""

        words: str

    def __init__(self, *, id: str | None = None) -> None:
        options: list[Option] = []
        self._words: dict[str, str] = {}
        for step_index, step in enumerate(STEPS):
            # The step names are headings to read, not choices: disabled, so the cursor skips them.
            heading = Text.assemble((step.name, "bold"), (f" · {step.purpose}", "dim"))
            options.append(Option(heading, disabled=True))
            for index, words in enumerate(step.starters):
                key = f"step-{step_index}-{index}"
                self._words[key] = words
                options.append(Option(Text(f"  {words.strip()}"), id=key))
        super().__init__(*options, id=id)
        self.border_title = "A guide, if it helps"
        self.border_subtitle = "^↑↓ pick · F8 use"
        self.highlighted = 1

    @property
    def highlighted_words(self) -> str | None:
        """The starter under the cursor: the words F8 puts into the composer."""
        if self.highlighted is None:
            return None
        option_id = self.get_option_at_index(self.highlighted).id
        return self._words.get(option_id) if option_id is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.StarterChosen(self._words[event.option.id]))
