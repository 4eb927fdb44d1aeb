"""Where the floor holder writes: a multi-line box that tells when its owner writes and stops."""

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea

QUIET_AFTER = 3.0
"""Seconds without a keystroke before the writer counts as stopped: one notice per burst."""
SEND_KEY = "ctrl+s"
"""The key the session screen sends the words with (client/screens/session.py, BINDINGS)."""


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
        self._at_send_key: list[str] = []
        """The words as they stood each time SEND_KEY reached the box, until they are sent:
        a question and its answer typed in one burst are two sends (client/screens/letters.py)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # F6 and F7 are the session's ("there's more", the phrase), not select line / all:
        # the box has the focus at every turn to write, so it lets them go on to the screen.
        return action not in ("select_line", "select_all")

    def on_key(self, event: events.Key) -> None:
        # The screen's binding runs only once the key has bubbled up to the app, and the box
        # goes on typing the keys behind it in a burst meanwhile: note here, in the order the
        # keys came, where the words to send end.
        if event.key == SEND_KEY:
            self._at_send_key.append(self.text)

    def outgoing(self) -> str:
        """The words to send now: those before the first send key not yet taken, else all."""
        return self._at_send_key.pop(0) if self._at_send_key else self.text

    def take_sent(self, words: str) -> None:
        """Remove `words`, just sent from the start of the box, and keep what was typed after
        them; a box changed before their end meanwhile is emptied."""
        rest = self.text[len(words) :] if self.text.startswith(words) else ""
        # A later send key in the same burst marked the words after these.
        marks = [mark[len(words) :] if mark.startswith(words) else "" for mark in self._at_send_key]
        self.take_text()
        self._at_send_key = marks
        if rest:
            self.insert(rest)

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
        self._at_send_key = []
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
