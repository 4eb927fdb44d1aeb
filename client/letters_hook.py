"""The letters' notify hook: run the person's command once when it becomes their move, inside
their reminder window, remembering beside the seat which move it was run for."""

import json
import os
import shlex
import subprocess
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from client.settings import REMIND_PATTERN

STATUS_ENV = "FIRESIDE_STATUS"
"""The status line, for a command that would rather read it than take it as its last word."""

SEEN_FILE = "notified.state"
"""Beside the letters seat; not `.json`, so the shelf never takes it for a seat."""


@dataclass(frozen=True)
class Window:
    """From `start` to `end` local time; an `end` before `start` runs past midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> "Window":
        found = REMIND_PATTERN.match(text.strip())
        if found is None:
            raise ValueError(f"{text!r} is not a window like 18:00-22:00")
        h1, m1, h2, m2 = (int(part) for part in found.groups())
        return cls(time(h1, m1), time(h2, m2))

    def holds(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def command_words(notify: str | tuple[str, ...]) -> list[str]:
    """The command as argv: a list as it is, a string split as a shell would, never run by one."""
    return list(notify) if isinstance(notify, tuple) else shlex.split(notify)


def last_notified(directory: Path, code: str) -> int:
    """The seq of the move the command last ran for in room `code`; 0 when it never has."""
    try:
        seen = json.loads((directory / SEEN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(seen, dict) or seen.get("code") != code:
        return 0
    seq = seen.get("seq")
    return seq if isinstance(seq, int) else 0


def notify(
    directory: Path,
    code: str,
    move_seq: int,
    status: str,
    *,
    command: str | tuple[str, ...] | None,
    remind: str | None,
    now: datetime,
) -> bool:
    """Run `command` for the move that began at `move_seq`, unless it already ran for it or
    `now` is outside `remind`; whether it ran. Written down first: never twice for one move,
    even if the command hangs or the window closes meanwhile."""
    if command is None or move_seq <= last_notified(directory, code):
        return False
    if remind is not None and not Window.parse(remind).holds(now.time()):
        return False
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (directory / SEEN_FILE).write_text(json.dumps({"code": code, "seq": move_seq}), "utf-8")
    try:
        subprocess.Popen(
            [*command_words(command), status],
            env={**os.environ, STATUS_ENV: status},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    return True
