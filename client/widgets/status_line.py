"""The bottom line: the connection's state and any message the server sent back."""

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    """One sentence at a time; its tone (`calm`, `trouble`) picks the style.

    A sentence about the turn (a hint, the pace reminder) lasts only as long as the turn: once
    it moves on, the line goes back to the sentence before it, most often the connection's state.
    """

    sentence = ""
    """What the line says now."""
    _lasting: tuple[str, bool] = ("", False)
    """The last sentence not about the turn, and whether it was trouble."""
    _for_turn = False

    def say(self, sentence: str, *, trouble: bool = False, for_turn: bool = False) -> None:
        """Show `sentence` as plain text: it may hold words the server echoed."""
        if not for_turn:
            self._lasting = (sentence, trouble)
        self._for_turn = for_turn
        self._show(sentence, trouble)

    def turn_moved(self) -> None:
        """The turn has moved on: a sentence about it gives way to the one before."""
        if self._for_turn:
            self._for_turn = False
            self._show(*self._lasting)

    def _show(self, sentence: str, trouble: bool) -> None:
        self.sentence = sentence
        self.set_class(trouble, "trouble")
        # Trouble is marked in words too, not by colour alone (NO_COLOR, 16 colours).
        self.update(Text.assemble(("! ", "bold"), sentence) if trouble else Text(sentence))
