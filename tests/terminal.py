"""A real `fireside` in a pseudo-terminal of 80x24, its screen read back with pyte: keys arrive in
one burst, as a terminal delivers them, and not one by one as Pilot sends them
(shared/field-notes.md, "Pilot waits for messages to settle between keys")."""

import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyte

from client.journal import DATA_DIR_ENV
from client.saved_seats import STATE_DIR_ENV
from client.settings import CONFIG_DIR_ENV
from tests.timing import seconds

COLUMNS, LINES = 80, 24

# What the keys send in an xterm, as Textual reads them.
CTRL_S = b"\x13"
F3 = b"\x1bOR"
F5 = b"\x1b[15~"

_KEPT = {STATE_DIR_ENV: "state", CONFIG_DIR_ENV: "config", DATA_DIR_ENV: "data"}
"""Where each app keeps saved seats, its config and journals (tests/conftest.py)."""


def fireside() -> str:
    """The `fireside` script installed beside this Python."""
    found = shutil.which("fireside", path=str(Path(sys.executable).parent))
    assert found is not None, "fireside is not installed beside this Python"
    return found


def terminal_env(home: Path | None = None) -> dict[str, str]:
    """This environment in an xterm of 80x24; with `home`, state, config and data dirs of its
    own under it, so two people on one machine keep apart what each app keeps."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)}
    if home is not None:
        for variable, name in _KEPT.items():
            env[variable] = str(home / name)
    return env


class Terminal:
    """A pseudo-terminal with a program in it, and a pyte screen of what the program drew.

    A thread reads the program's output all the time: an app whose output nobody drains blocks
    on its next write, and a test waiting on one window must not stall the other.
    """

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        screen: pyte.Screen | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.fd, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.screen = screen if screen is not None else pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self._drawn = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                select.select([self.fd], [], [])
                output = os.read(self.fd, 65536)
            except OSError:  # the program ended: the pty reads EIO
                output = b""
            with self._drawn:
                if output:
                    self.stream.feed(output)
                else:
                    self._ended = True
                self._drawn.notify_all()
            if not output:
                return

    def text(self) -> str:
        """The screen as it stands, one line of text per row."""
        with self._drawn:
            return "\n".join(self.screen.display)

    def until(self, condition: Callable[[str], bool], within: float) -> str:
        """Wait until `condition(screen text)` holds and return that text; fail after `within`
        (scaled) seconds, or once the program has ended, with the screen in the message."""
        deadline = time.monotonic() + seconds(within)
        with self._drawn:
            while not condition(shown := "\n".join(self.screen.display)):
                left = deadline - time.monotonic()
                assert left > 0, f"still waiting after {seconds(within):.1f}s; the screen:\n{shown}"
                assert not self._ended, f"the program ended; the screen:\n{shown}"
                self._drawn.wait(left)
        return shown

    def write(self, data: bytes) -> None:
        """Send `data` as one write: the program reads it as one burst."""
        assert os.write(self.fd, data) == len(data)

    def wait(self, within: float) -> int:
        """The program's exit status, once it ends within `within` (scaled) seconds."""
        return self.process.wait(seconds(within))

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """End the program (SIGTERM, then SIGKILL) and let go of the pty."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(seconds(5))
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(seconds(5))
        os.close(self.fd)
