"""How fast the client starts and how still it sits: `--help`, the welcome screen, idle CPU.

Each figure comes from fresh subprocesses whose home, state, config and data
directories are a temporary directory, so nothing the person keeps changes it.
The welcome screen is timed in a pseudo-terminal of 80x24, the way a person sees it.
"""

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

WELCOME_TEXT = b"Join with the invite"
"""The welcome form's join button: on the terminal only once the welcome screen is painted."""

COLUMNS = 80
ROWS = 24
TERM = "xterm-256color"

SETTLE_SECONDS = 2.0
"""After the welcome text shows, the app still lays out and paints the rest of the screen."""

IDLE_SECONDS = 10.0
"""How long the painted welcome screen is watched for CPU use, once settled."""

WELCOME_TIMEOUT = 30.0
"""Seconds to wait for the welcome screen before calling the run a failure."""

_ISOLATED_DIRS = {
    "HOME": "home",
    "FIRESIDE_STATE_DIR": "state",
    "FIRESIDE_CONFIG_DIR": "config",
    "FIRESIDE_DATA_DIR": "data",
}
_DROPPED_PREFIXES = ("FIRESIDE_", "TEXTUAL", "XDG_")
"""Settings, Textual switches and platform directories from the caller's environment."""
_DROPPED = {"COLUMNS", "LINES"}
"""The terminal's own size (80x24) must win over any size the caller's environment names."""


class WelcomeNotSeen(RuntimeError):
    """The app exited, or WELCOME_TIMEOUT passed, before the welcome text reached the terminal."""


def measure_client(
    python: str, repeats: int = 5, idle_seconds: float = IDLE_SECONDS
) -> dict[str, float]:
    """Median seconds to `fireside --help` and to the painted welcome screen, and idle CPU.

    `python` is a venv's interpreter; the `fireside` console script sits beside it.
    `idle_cpu_percent` is the share of one core the last welcome run used over
    `idle_seconds`, SETTLE_SECONDS after it was painted. Raises WelcomeNotSeen if the
    welcome text never shows.
    """
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    fireside = Path(python).parent / "fireside"
    with tempfile.TemporaryDirectory(prefix="fireside-bench-") as scratch:
        environ = isolated_environ(Path(scratch))
        help_s = [_time_help(fireside, environ) for _ in range(repeats)]
        welcome_s: list[float] = []
        idle_cpu_percent = 0.0
        for run in range(repeats):
            with Terminal([str(fireside)], environ) as app:
                welcome_s.append(app.wait_for(WELCOME_TEXT, WELCOME_TIMEOUT))
                if run == repeats - 1:
                    app.cpu_percent_over(SETTLE_SECONDS)  # the tail of start-up, not idling
                    idle_cpu_percent = app.cpu_percent_over(idle_seconds)
    return {
        "help_s": statistics.median(help_s),
        "welcome_s": statistics.median(welcome_s),
        "idle_cpu_percent": idle_cpu_percent,
    }


def isolated_environ(scratch: Path) -> dict[str, str]:
    """The caller's environment without Fireside's or Textual's settings, homed in `scratch`."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_DROPPED_PREFIXES) and name not in _DROPPED
    }
    for variable, folder in _ISOLATED_DIRS.items():
        directory = scratch / folder
        directory.mkdir(exist_ok=True)
        environ[variable] = str(directory)
    environ["TERM"] = TERM
    return environ


def _time_help(fireside: Path, environ: Mapping[str, str]) -> float:
    """Wall seconds from spawning `fireside --help` until it has exited."""
    started = time.perf_counter()
    subprocess.run(
        [str(fireside), "--help"],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


class Terminal:
    """A command (`argv`) alone in a pseudo-terminal of COLUMNS x ROWS; killed when the block ends.

    Everything the app writes is read as it comes, also while only CPU is watched:
    a full pseudo-terminal would block the app and make it look idle.
    """

    def __init__(self, argv: Sequence[str], environ: Mapping[str, str]) -> None:
        self.output = bytearray()
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == pty.CHILD:
            try:
                # Before the exec, so the app's first look at the terminal finds 80x24.
                size = struct.pack("HHHH", ROWS, COLUMNS, 0, 0)
                fcntl.ioctl(pty.STDIN_FILENO, termios.TIOCSWINSZ, size)
                os.execve(argv[0], list(argv), environ)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Not yet reaped, so the pid is still ours even if the app has exited.
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def wait_for(self, text: bytes, timeout: float) -> float:
        """Seconds from the spawn until `text` is on the terminal; WelcomeNotSeen if it never is."""
        deadline = time.perf_counter() + timeout
        while text not in self.output:
            if time.perf_counter() >= deadline or not self._read_until(deadline):
                raise WelcomeNotSeen(
                    f"{text.decode()!r} not seen within {timeout:.0f} s; the terminal's last "
                    f"output: {bytes(self.output[-400:])!r}"
                )
        return time.perf_counter() - self.started

    def cpu_percent_over(self, seconds: float) -> float:
        """The CPU the app used (user and system) over `seconds`, as percent of one core.

        RuntimeError if the app exits meanwhile: an app that has gone is not idle.
        """
        before = _cpu_ticks(self.pid)
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            if not self._read_until(deadline):
                raise RuntimeError(f"the app exited while idle: {bytes(self.output[-400:])!r}")
        used = (_cpu_ticks(self.pid) - before) / os.sysconf("SC_CLK_TCK")
        return 100 * used / (time.perf_counter() - started)

    def _read_until(self, deadline: float) -> bool:
        """Read what the app writes by `deadline`; False once it closed the terminal (exited)."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.perf_counter()))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every copy of the terminal's other end is closed
            return False
        self.output += chunk
        return bool(chunk)


def _cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process, in clock ticks: proc(5), /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The name in parentheses may hold spaces; fields 14 and 15 follow the state (field 3).
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def main() -> None:
    """`python -m bench.client`: the three figures for this venv (or `--python`)."""
    parser = argparse.ArgumentParser(prog="python -m bench.client", description=__doc__)
    parser.add_argument("--python", default=sys.executable, help="the venv's python")
    parser.add_argument("--repeats", type=int, default=5, help="runs per median (default 5)")
    args = parser.parse_args()
    figures = measure_client(args.python, args.repeats)
    print(f"fireside --help       {figures['help_s']:.3f} s")
    print(f"welcome screen shown  {figures['welcome_s']:.3f} s")
    print(f"idle CPU over {IDLE_SECONDS:.0f} s    {figures['idle_cpu_percent']:.2f} % of one core")


if __name__ == "__main__":
    main()
