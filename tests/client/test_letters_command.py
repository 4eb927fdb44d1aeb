"""`fireside letters` on the command line: the sentences without a server, without letters, and
with a server that is not there; `--status` loads no Textual."""

import os
import subprocess
import sys
import time

import pytest

from client.cli import main
from client.letters_command import NO_LETTERS, NO_SERVER, status
from client.saved_seats import SavedSeat, SeatShelf
from client.settings import Settings
from shared.crypto.pairing import RoomKey
from shared.seats import Mode, Seat

NAMEPLATE = "K7M2Q-X9P4R"


def saved_letters_seat(server: str) -> SavedSeat:
    """A letters seat on disk, as a first visit leaves it once paired."""
    key = RoomKey(nameplate=NAMEPLATE, secret=os.urandom(32)).saved()
    seat = SavedSeat(
        server, NAMEPLATE, Seat.A, "token", "Ana", partner="Ben", key=key, mode=Mode.LETTERS
    )
    SeatShelf.letters().save(seat)
    return seat


def test_letters_without_a_server_say_so_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """No --server, FIRESIDE_SERVER or config: one sentence on stderr, exit 2, no traceback."""
    assert main(["letters"]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == NO_SERVER
    assert "Traceback" not in out + err


def test_status_without_letters_says_how_to_start(capsys: pytest.CaptureFixture[str]) -> None:
    """With no saved letters seat `--status` prints how to start, and exits 1."""
    assert main(["letters", "--status"]) == 1
    assert capsys.readouterr().out == f"{NO_LETTERS}\n"


def test_status_with_the_server_down_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    """A saved seat on a server that is not listening: one sentence, exit 2."""
    saved_letters_seat("ws://127.0.0.1:9")
    assert main(["letters", "--status"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "could not reach the letters server at ws://127.0.0.1:9" in err


def test_a_live_seat_never_sees_the_letters_seat() -> None:
    """The live shelf's offers and `resume` never list the letters seat, and a letters seat
    unwritten for months is kept: a letters room lasts a year between visits."""
    saved_letters_seat("ws://127.0.0.1:9")
    months_ago = time.time() - 90 * 24 * 60 * 60
    for path in SeatShelf.letters().directory.glob("*.json"):
        os.utime(path, (months_ago, months_ago))
    assert SeatShelf.default().all() == []
    assert len(SeatShelf.letters().all()) == 1


def test_status_loads_no_textual() -> None:
    """`fireside letters --status` answers without the TUI: no textual or rich imported."""
    saved_letters_seat("ws://127.0.0.1:9")
    script = (
        "import sys\nfrom client.cli import main\nmain(['letters', '--status'])\n"
        "print(' '.join(sorted({n.partition('.')[0] for n in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = done.stdout.split()
    assert "textual" not in loaded
    assert "rich" not in loaded


def test_joining_again_with_letters_kept_says_to_end_them_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One letters room per person: a second invite is refused in one sentence, exit 2."""
    saved_letters_seat("ws://127.0.0.1:9")
    assert main(["letters", "join", "K7M2Q-X9P4R-orbit-velvet-canyon"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "fireside: you already have letters with Ben; end them first with fireside letters --end\n"
    )


def test_ending_with_the_server_down_keeps_the_letters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--end` that the server cannot hear says so in one sentence, exits 2 and keeps the seat."""
    saved_letters_seat("ws://127.0.0.1:9")
    assert main(["letters", "--end"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "the letters are kept" in err
    assert len(SeatShelf.letters().all()) == 1


async def test_status_of_letters_the_server_no_longer_has_says_they_are_over(
    server_url: str,
) -> None:
    """Ended a day ago or idle a year, the room is gone from the server: `--status` says the
    letters are over in one line, as an answer (exit 0, as for ended letters), and forgets
    the seat."""
    saved = saved_letters_seat(server_url)
    line, reached = await status(saved, Settings())
    assert (line, reached) == ("Letters with Ben are over: the server no longer has them.", True)
    assert SeatShelf.letters().all() == []
