"""Asks before leaving: quitting ends the session for both partners, with an optional note."""

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from shared.fields import NOTE_MAX


class QuitDialog(ModalScreen[str | None]):
    """The closing note ("" for none) to leave and quit, or None to stay.

    No answer is a letter: a note typed in one burst must never leave by its `y`
    (issue 10). With a note box, the box has the focus from the start and keeps it
    (the buttons are for the mouse), so every printable key is a letter of the note;
    ctrl+s leaves and escape stays. Without one, tab and enter work the buttons too.
    """

    CSS_PATH = "quit_dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stay", "Stay"),
        Binding("ctrl+s", "leave", "Leave"),
    ]

    def __init__(self, partner: str | None = None, *, may_note: bool = False) -> None:
        super().__init__()
        self.partner = partner or "your partner"
        self.may_note = may_note
        """The room still takes this seat's note: Session.may(me, NOTE)."""

    # The first of these in the dialog: the note box when there is one.
    AUTO_FOCUS = "#note, #stay"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                "Leave the session? It ends for both of you, and your partner sees that you left."
            )
            if self.may_note:
                yield Static(
                    f"Leave a closing note for {self.partner} (optional):", id="note-label"
                )
                note = TextArea(id="note", soft_wrap=True, show_line_numbers=False)
                # Steady, like every field in Fireside (client/widgets/composer.py says why).
                note.cursor_blink = False
                yield note
                yield Static(id="note-trouble")
            with Horizontal(id="answers"):
                answers = (
                    Button("Stay (esc)", id="stay", variant="primary"),
                    Button("Leave (ctrl+s)", id="leave", variant="error"),
                )
                for answer in answers:
                    # Beside a note nothing else takes the focus: neither a tab nor a click
                    # can move the letters typed next away from it.
                    answer.can_focus = not self.may_note
                    yield answer

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#leave")
    def action_leave(self) -> None:
        note = self.query_one("#note", TextArea).text.strip() if self.may_note else ""
        if len(note) > NOTE_MAX:
            self.query_one("#note-trouble", Static).update(
                f"The note is {len(note)} characters; at most {NOTE_MAX} fit."
            )
            return
        self.dismiss(note)
