"""Where the floor holder writes: a multi-line box that tells when its owner writes and stops."""

from dataclasses import dataclass

from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea

QUIET_AFTER = 3.0
"""Seconds without a keystroke before the writer counts as stopped: one notice per burst."""


class Composer(TextArea):
    """Multi-line text for a question, an answer or a reflection; sent with a key binding."""

    @dataclass
    class Writing(Message):
        """Its owner started (`on`) or stopped writing."""

        on: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, tab_behavior="focus")
        # A steady cursor: blinking repaints twice a second for as long as the box has focus,
        # which is most of a session and most of it spent thinking, not typing (issue 6).
        self.cursor_blink = False
        self._writing = False
        self._quiet_timer: Timer | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # F6 and F7 are the session's ("there's more", the phrase), not select line / all:
        # the box has the focus at every turn to write, so it lets them go on to the screen.
        return action not in ("select_line", "select_all")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if not self.text.strip():
            self._stop_writing()
            return
        if not self._writing:
            self._writing = True
            self.post_message(self.Writing(True))
        if self._quiet_timer is not None:
            self._quiet_timer.stop()
        self._quiet_timer = self.set_timer(QUIET_AFTER, self._stop_writing)

    def take_text(self) -> str:
        """Empty the box and return what was in it."""
        text = self.text
        self.clear()
        self._stop_writing()
        return text

    def _stop_writing(self) -> None:
        if self._quiet_timer is not None:
            self._quiet_timer.stop()
            self._quiet_timer = None
        if self._writing:
            self._writing = False
            self.post_message(self.Writing(False))
