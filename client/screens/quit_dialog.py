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
    """The closing note ("" for none) to leave and quit, or None to stay."""

    CSS_PATH = "quit_dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stay", "Stay"),
        Binding("n", "letter('stay')", "Stay", show=False),
        Binding("y", "letter('leave')", "Leave", show=False),
        Binding("ctrl+s", "leave", "Leave"),
    ]

    AUTO_FOCUS = "#stay"

    def __init__(self, partner: str | None = None, *, may_note: bool = False) -> None:
        super().__init__()
        self.partner = partner or "your partner"
        self.may_note = may_note
        """The room still takes this seat's note: Session.may(me, NOTE)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                "Leave the session? It ends for both of you, and your partner sees that you left."
            )
            if self.may_note:
                yield Static(
                    f"Leave a closing note for {self.partner} (optional; tab to write):",
                    id="note-label",
                )
                note = TextArea(id="note", soft_wrap=True, show_line_numbers=False)
                # Steady, like every field in Fireside (client/widgets/composer.py says why).
                note.cursor_blink = False
                yield note
                yield Static(id="note-trouble")
            with Horizontal(id="answers"):
                yield Button("Stay (n)", id="stay", variant="primary")
                yield Button("Leave (y)", id="leave", variant="error")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the note has focus, y and n are letters in it; ctrl+s and escape still work."""
        return action != "letter" or not isinstance(self.focused, TextArea)

    def action_letter(self, answer: str) -> None:
        if answer == "leave":
            self.action_leave()
        else:
            self.action_stay()

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
