"""Where a letters room stands, in words: whose move, since when, and the times as the person's
zone reads them; and the notify hook, once per move and only inside the window."""

import os
import sys
import time as clock
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from client.letters_hook import STATUS_ENV, Window, last_notified, notify
from client.letters_story import follow, status_line, when
from shared.events import Event, EventKind, RoomState
from shared.seats import Phase, Seat

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 3, 21, 30, tzinfo=BERLIN)  # a Thursday


def _state(phase: Phase, round: int = 1) -> RoomState:
    return RoomState(phase=phase, round=round, asker=Seat.A, names={}, online={})


def _log(*steps: tuple[EventKind, Seat, Phase]) -> list[Event]:
    rounds = 1
    events = []
    for seq, (kind, by, phase) in enumerate(steps, 1):
        if kind is EventKind.CONFIRM and phase is Phase.PROPOSING:
            rounds += 1
        events.append(
            Event(seq=seq, at=seq * 60_000, kind=kind, by=by, state=_state(phase, rounds))
        )
    return events


A, B = Seat.A, Seat.B
P, ANS, REV = Phase.PROPOSING, Phase.ANSWERING, Phase.REVEALED
OPENED = [(EventKind.HELLO, B, P), (EventKind.PROPOSE, A, ANS)]
BOTH_IN = [
    *OPENED,
    (EventKind.ANSWER, A, ANS),
    (EventKind.ANSWER, B, REV),
    (EventKind.REVEAL, A, REV),
    (EventKind.REVEAL, B, REV),
]


@pytest.mark.parametrize(
    ("steps", "me", "line", "mine"),
    [
        (OPENED[:1], A, "Propose the first question", True),
        (OPENED, B, "Ana proposed a question; your turn to answer", True),
        ([*OPENED, (EventKind.ANSWER, A, ANS)], B, "Ana answered; your turn", True),
        ([*OPENED, (EventKind.ANSWER, A, ANS)], A, "Your answer is sealed; waiting for Ana", False),
        (BOTH_IN, A, "Reflect what you heard in Ana's answer", True),
        (
            [*BOTH_IN, (EventKind.REFLECT, B, REV)],
            A,
            "Ana reflected your answer; say if you felt heard; reflect what you heard in "
            "Ana's answer",
            True,
        ),
        (
            [*BOTH_IN, (EventKind.REFLECT, B, REV), (EventKind.REFLECT, A, REV)],
            B,
            "Ana reflected your answer; say if you felt heard",
            True,
        ),
        (
            [
                *BOTH_IN,
                (EventKind.REFLECT, B, REV),
                (EventKind.REFLECT, A, REV),
                (EventKind.CONFIRM, A, REV),
                (EventKind.CONFIRM, B, P),
            ],
            B,
            "Both felt heard; propose the next question",
            True,
        ),
        ([*OPENED, (EventKind.LEFT, B, Phase.ENDED)], A, "Letters with Ana ended.", False),
    ],
)
def test_the_status_line_says_whose_move_it_is(
    steps: list[tuple[EventKind, Seat, Phase]], me: Seat, line: str, mine: bool
) -> None:
    """Each state of a letter reads as one line from either seat, and is their move or not."""
    standing = follow(_log(*steps), me)
    assert status_line(standing, "Ana") == line
    assert standing.my_move is mine


def test_a_finished_letter_counts_and_the_move_began_where_it_turned() -> None:
    """After both felt heard one conversation is counted, and the move dates from the confirm
    that finished it, not from the first event."""
    steps = [
        *BOTH_IN,
        (EventKind.REFLECT, B, REV),
        (EventKind.REFLECT, A, REV),
        (EventKind.CONFIRM, A, REV),
        (EventKind.CONFIRM, B, P),
    ]
    standing = follow(_log(*steps), A)
    assert standing.conversations == 1
    assert standing.move_since is not None
    assert standing.move_since.kind is EventKind.CONFIRM


def test_times_read_in_the_persons_zone() -> None:
    """Today shows the time, this week the weekday too, older the date; all in `zone`."""
    today = int(datetime(2026, 12, 3, 20, 4, tzinfo=BERLIN).timestamp() * 1000)
    tuesday = int(datetime(2026, 12, 1, 21, 4, tzinfo=BERLIN).timestamp() * 1000)
    long_ago = int(datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN).timestamp() * 1000)
    assert when(today, NOW, BERLIN) == "20:04"
    assert when(tuesday, NOW, BERLIN) == "Tue 21:04"
    assert when(long_ago, NOW, BERLIN) == "2 Nov 2026"
    # In Tokyo it is already Friday 05:30, so Thursday 20:04 in Berlin is today, at 04:04.
    assert when(today, NOW, ZoneInfo("Asia/Tokyo")) == "04:04"


def test_a_window_may_run_past_midnight() -> None:
    """22:00-07:00 holds at 23:00 and 06:59, not at 07:00 or noon."""
    window = Window.parse("22:00-07:00")
    assert window.holds(time(23, 0))
    assert window.holds(time(6, 59))
    assert not window.holds(time(7, 0))
    assert not window.holds(time(12, 0))


def _ran(path: Path) -> list[str]:
    deadline = clock.monotonic() + 5
    while clock.monotonic() < deadline and not path.exists():
        clock.sleep(0.02)
    return path.read_text().splitlines() if path.exists() else []


def test_the_hook_runs_once_per_move_and_only_inside_the_window(tmp_path: Path) -> None:
    """Outside the window nothing runs; inside it the command runs once with the status as its
    last word and in FIRESIDE_STATUS; the same move never again; a new move runs it again."""
    out = tmp_path / "ran"
    script = (
        f"import os, sys; open({str(out)!r}, 'a')"
        f".write(sys.argv[1] + '|' + os.environ[{STATUS_ENV!r}] + chr(10))"
    )
    command = (sys.executable, "-c", script)
    early = NOW.replace(hour=17)
    kept = tmp_path / "letters"
    line = "Ana answered; your turn"
    window = "18:00-22:00"
    assert not notify(kept, "ROOM", 7, line, command=command, remind=window, now=early)
    assert not out.exists()
    assert notify(kept, "ROOM", 7, line, command=command, remind=window, now=NOW)
    assert _ran(out) == [f"{line}|{line}"]
    assert last_notified(kept, "ROOM") == 7
    assert not notify(kept, "ROOM", 7, line, command=command, remind=window, now=NOW)
    assert notify(kept, "ROOM", 9, "Both felt heard", now=NOW, command=command, remind=None)
    clock.sleep(0.3)
    assert len(out.read_text().splitlines()) == 2
    assert os.environ.get(STATUS_ENV) is None
