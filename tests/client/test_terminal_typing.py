"""Typing into the real `fireside demo --fast` in a pseudo-terminal of 80x24, read back with
pyte: keys that arrive in one burst, as a terminal delivers them, and not one by one as Pilot
sends them (shared/field-notes.md, "Pilot waits for messages to settle between keys")."""

import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyte
import pytest

from tests.timing import seconds

COLUMNS, LINES = 80, 24
QUESTION = "What did the rain sound like?"
"""Has d, l and r in it: the keys that once changed the deck instead of writing."""


class Terminal:
    """A pseudo-terminal with a program in it, and a pyte screen of what the program drew."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.fd, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        """The screen as it stands, one line of text per row."""
        return "\n".join(self.screen.display)

    def until(self, condition: Callable[[str], bool], within: float) -> str:
        """Read the program's output until `condition(screen text)` holds; fail after `within`
        (scaled) seconds with the screen in the message."""
        deadline = time.monotonic() + seconds(within)
        while not condition(self.text()):
            left = deadline - time.monotonic()
            assert left > 0, (
                f"still waiting after {seconds(within):.1f}s; the screen:\n{self.text()}"
            )
            readable, _, _ = select.select([self.fd], [], [], min(left, 0.1))
            if readable:
                try:
                    self.stream.feed(os.read(self.fd, 65536))
                except OSError:  # the program ended: the pty reads EIO
                    assert condition(self.text()), f"the program ended; the screen:\n{self.text()}"
        return self.text()

    def write(self, data: bytes) -> None:
        """Send `data` as one write: the program reads it as one burst."""
        assert os.write(self.fd, data) == len(data)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(seconds(5))
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self.fd)


@pytest.fixture
def demo_terminal() -> Iterator[Terminal]:
    """`fireside demo --fast` in an 80x24 pty; the state, config and data dirs are the tests'
    own (tests/conftest.py puts them in the environment this inherits)."""
    fireside = shutil.which("fireside", path=str(Path(sys.executable).parent))
    assert fireside is not None, "fireside is not installed beside this Python"
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)}
    terminal = Terminal([fireside, "demo", "--fast", "--name", "Ana"], env)
    try:
        yield terminal
    finally:
        terminal.close()


def _composer_rows(screen: str) -> str:
    """The rows of the composer box: from its top border, the first full-width one from the
    bottom, up to the status line."""
    rows = screen.splitlines()
    tops = [i for i, row in enumerate(rows) if row.startswith("╭─") and row.endswith("─╮")]
    assert tops, f"no composer on the screen:\n{screen}"
    top = tops[-1]
    return "\n".join(rows[top : top + 5])


def test_a_question_typed_in_one_burst_lands_whole_in_the_composer(
    demo_terminal: Terminal,
) -> None:
    """At the asker's first turn the whole question, written in one go, is in the composer with
    every letter in order, no card key took any, and ctrl+s asks it."""
    demo_terminal.until(lambda screen: "Write your own question" in screen, within=10)
    demo_terminal.write(QUESTION.encode())
    shown = demo_terminal.until(lambda screen: "like?" in _composer_rows(screen), within=3)
    assert QUESTION in _composer_rows(shown)
    assert "all decks · warm-up" in shown, "no letter reached the cards"

    demo_terminal.write(b"\x13")  # ctrl+s
    asked = demo_terminal.until(
        lambda screen: "like?" not in _composer_rows(screen) and "What did the rain" in screen,
        within=5,
    )
    assert " ".join(asked.split()).count(QUESTION) >= 1, "the transcript shows the question"


def test_a_closing_note_typed_in_one_burst_lands_whole_in_the_note(
    demo_terminal: Terminal,
) -> None:
    """ctrl+q and a note written in the same go: the dialog stays open with every letter of the
    note in order (its `y` left nothing), and ctrl+s leaves with it."""
    note = "yes, thank you Sam"
    demo_terminal.until(lambda screen: "Write your own question" in screen, within=10)
    demo_terminal.write(b"\x11" + note.encode())  # ctrl+q, then the note
    shown = demo_terminal.until(lambda screen: "thank you Sam" in screen, within=5)
    assert f"│ {note} " in shown, "the note, whole, in its box"
    assert "The session has ended" not in shown

    demo_terminal.write(b"\x13")  # ctrl+s
    ended = demo_terminal.until(lambda screen: "Your note for Sam" in screen, within=5)
    assert note in ended.split("Your note for Sam")[1]
