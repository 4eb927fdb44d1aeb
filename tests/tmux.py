"""A real `fireside` in a tmux window of 80x24, read back with capture-pane: the same screens as
in tests/terminal.py's pty, drawn by a terminal people use, keys sent in bursts with send-keys.

Each window has a tmux server of its own on a private socket, so a test never touches a tmux
someone is using, and closing it ends only its own server.
"""

import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.db.debian import install_if_missing
from tests.terminal import COLUMNS, LINES
from tests.timing import seconds

_SOCKETS = itertools.count()
_POLL = 0.05


def tmux() -> str:
    """The tmux binary, installed from Debian first where it is missing (CI has none)."""
    install_if_missing("tmux", lambda: shutil.which("tmux") is not None)
    found = shutil.which("tmux")
    assert found is not None, "tmux is not installed and could not be"
    return found


class TmuxWindow:
    """One program in a detached tmux session of 80x24; its exit status is written to a file,
    as tmux may mark a pane dead when the terminal closes, before it learns the status."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self._socket = f"fireside-test-{os.getpid()}-{next(_SOCKETS)}"
        self._env = {**env, "TERM": "xterm-256color"}
        self._kept = Path(tempfile.mkdtemp(prefix="fireside-tmux-"))
        self._status = self._kept / "status"
        size = ["-x", str(COLUMNS), "-y", str(LINES)]
        # The shell writes the status once the program has ended, and stays: the window with it.
        ran = '"$@"; echo $? > "$FIRESIDE_TMUX_STATUS"; exec sleep 3600'
        self._env["FIRESIDE_TMUX_STATUS"] = str(self._status)
        self._tmux("new-session", "-d", *size, "--", "sh", "-c", ran, "sh", *argv)

    def _tmux(self, *arguments: str) -> str:
        done = subprocess.run(
            [tmux(), "-L", self._socket, "-f", os.devnull, *arguments],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=seconds(10),
            check=True,
        )
        return done.stdout

    def text(self) -> str:
        """The window as it stands, one line of text per row."""
        return self._tmux("capture-pane", "-p")

    def until(self, condition: Callable[[str], bool], within: float) -> str:
        """Wait until `condition(screen text)` holds and return that text; fail after `within`
        (scaled) seconds, or once the program has ended, with the screen in the message."""
        deadline = time.monotonic() + seconds(within)
        while not condition(shown := self.text()):
            assert time.monotonic() < deadline, (
                f"still waiting after {seconds(within):.1f}s; the window:\n{shown}"
            )
            assert self.exit_status() is None, f"the program ended; the window:\n{shown}"
            time.sleep(_POLL)
        return shown

    def write(self, data: bytes) -> None:
        """Send `data` in one send-keys, as bytes: tmux passes them on as they come, with no
        wait between keys as a person's terminal does."""
        self._tmux("send-keys", "-H", *(f"{byte:02x}" for byte in data))

    def exit_status(self) -> int | None:
        """The program's exit status once it has ended; None while it runs."""
        try:
            written = self._status.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        # Read as the shell writes it: an empty file is one not written yet.
        return int(written) if written.strip() else None

    def wait(self, within: float) -> int:
        """The program's exit status, once it ends within `within` (scaled) seconds."""
        deadline = time.monotonic() + seconds(within)
        while (status := self.exit_status()) is None:
            assert time.monotonic() < deadline, f"still running; the window:\n{self.text()}"
            time.sleep(_POLL)
        return status

    def __enter__(self) -> "TmuxWindow":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """End this window's own tmux server, and the program with it."""
        subprocess.run(
            [tmux(), "-L", self._socket, "kill-server"],
            env=self._env,
            capture_output=True,
            timeout=seconds(10),
            check=False,
        )
        shutil.rmtree(self._kept, ignore_errors=True)
