"""Seats kept on disk: private, written whole, one file per room; `fireside resume` picks one."""

import json
import os
import stat
import time
from dataclasses import replace
from pathlib import Path

import pytest

from client.cli import main
from client.saved_seats import (
    FORGOTTEN_AFTER,
    STATE_DIR_ENV,
    UNSEALED,
    SavedSeat,
    SeatKeeper,
    SeatShelf,
    state_dir,
)
from client.seat.opened import Opened
from shared.crypto.pairing import RoomKey
from shared.events import Event, EventKind, RoomState
from shared.seats import Phase, Seat

KEY = RoomKey("K7M2Q-X9P4R", bytes(range(32))).saved()

SEAT = SavedSeat(
    server="ws://127.0.0.1:8765",
    code="K7M2Q-X9P4R",
    seat=Seat.B,
    token="t" * 22,
    name="Ben",
    partner="Ana",
    key=KEY,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_dir_follows_the_environment(private_state_dir: Path) -> None:
    """`$FIRESIDE_STATE_DIR` decides where seats go, so tests never touch the real home."""
    assert os.environ[STATE_DIR_ENV] == str(private_state_dir)
    assert state_dir() == private_state_dir
    assert SeatShelf.default().directory == private_state_dir / "seats"


def test_a_saved_seat_is_private_and_reads_back_whole(tmp_path: Path) -> None:
    """The file is 0600 in a 0700 directory, holds the seat as JSON, and nothing else is left."""
    shelf = SeatShelf(tmp_path / "state" / "seats")
    shelf.save(SEAT)
    files = list(shelf.directory.iterdir())
    assert len(files) == 1
    assert mode(files[0]) == 0o600
    assert mode(shelf.directory) == 0o700
    assert json.loads(files[0].read_text()) == {
        "format": 3,
        "server": "ws://127.0.0.1:8765",
        "code": "K7M2Q-X9P4R",
        "seat": "b",
        "token": "t" * 22,
        "name": "Ben",
        "partner": "Ana",
        "key": KEY,
    }
    assert shelf.all() == [SEAT]
    assert RoomKey.from_saved(SEAT.code, KEY).secret == bytes(range(32))


def test_saving_again_replaces_and_rooms_are_kept_apart(tmp_path: Path) -> None:
    """One file per server and room: a newer save replaces its own seat and no other."""
    shelf = SeatShelf(tmp_path)
    other_room = SavedSeat("ws://127.0.0.1:8765", "AAAAA-BBBBB", Seat.A, "u" * 22, "Ben", key=KEY)
    other_server = SavedSeat("wss://fireside.example", SEAT.code, Seat.A, "v" * 22, "Ben", key=KEY)
    for seat in (SEAT, other_room, other_server):
        shelf.save(seat)
    moved_on = replace(SEAT, token="x" * 22)
    shelf.save(moved_on)
    assert len(list(tmp_path.glob("*.json"))) == 3
    assert moved_on in shelf.all()
    assert SEAT not in shelf.all()
    shelf.forget(SEAT.server, "k7m2q x9p4r")
    assert moved_on not in shelf.all()
    assert len(shelf.all()) == 2


def test_a_code_matches_the_way_the_server_matches_it(tmp_path: Path) -> None:
    """`fireside resume k7m2qx9p4r` finds room K7M2Q-X9P4R; another code finds nothing."""
    shelf = SeatShelf(tmp_path)
    shelf.save(SEAT)
    assert shelf.matching("k7m2q x9p4r") == [SEAT]
    assert shelf.matching("ZZZZZ-ZZZZZ") == []
    assert shelf.matching(None) == [SEAT]


def test_unreadable_and_old_files_are_not_offered(tmp_path: Path) -> None:
    """A broken or foreign file is skipped; a seat unwritten for a week is removed."""
    shelf = SeatShelf(tmp_path)
    shelf.save(SEAT)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "foreign.json").write_text(json.dumps({"format": 99}))
    damaged = {**SEAT.to_json(), "code": "AAAAA-BBBBB", "key": "not a key"}
    (tmp_path / "damaged.json").write_text(json.dumps(damaged))
    old = SavedSeat("ws://old.example", "OLDOL-DOLDO", Seat.A, "w" * 22, "Ben", key=KEY)
    shelf.save(old)
    [old_file] = [p for p in tmp_path.glob("*.json") if "OLDOL" in p.read_text()]
    long_ago = time.time() - FORGOTTEN_AFTER - 60
    os.utime(old_file, (long_ago, long_ago))
    assert shelf.all() == [SEAT]
    assert not old_file.exists()


def test_resume_with_nothing_saved_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`fireside resume` with no saved seat, or none in that room, says so and starts nothing."""
    assert main(["resume"]) == 1
    assert capsys.readouterr().err == "fireside: there is no saved session to resume.\n"
    SeatShelf.default().save(SEAT)
    assert main(["resume", "ZZZZZ-ZZZZZ"]) == 1
    assert capsys.readouterr().err == (
        "fireside: there is no saved session for room ZZZZZ-ZZZZZ to resume.\n"
    )


def test_resume_with_several_saved_asks_which(capsys: pytest.CaptureFixture[str]) -> None:
    """With two saved sessions and no code, `fireside resume` names both rooms."""
    shelf = SeatShelf.default()
    shelf.save(SEAT)
    shelf.save(SavedSeat("ws://127.0.0.1:8765", "AAAAA-BBBBB", Seat.A, "u" * 22, "Ben", key=KEY))
    assert main(["resume"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fireside: you have saved sessions in rooms ")
    assert "K7M2Q-X9P4R" in err
    assert "AAAAA-BBBBB" in err
    assert err.endswith("; say which with: fireside resume CODE\n")


def test_a_seat_without_a_key_is_forgotten_by_resume(capsys: pytest.CaptureFixture[str]) -> None:
    """A fireside.1 seat file (no key) reads back unresumable; `fireside resume` forgets it."""
    shelf = SeatShelf.default()
    shelf.save(SEAT)
    [path] = shelf.directory.glob("*.json")
    old = {key: value for key, value in SEAT.to_json().items() if key != "key"}
    path.write_text(json.dumps({**old, "format": 1}))
    [read] = shelf.all()
    assert not read.resumable
    assert main(["resume"]) == 1
    assert capsys.readouterr().err == f"fireside: {UNSEALED.format(code=SEAT.code)}\n"
    assert shelf.all() == []


def test_a_format_2_seat_reads_back_and_is_written_without_its_last_seq(tmp_path: Path) -> None:
    """A seat file as format 2 wrote it is offered as it was; saving it again writes format 3,
    with everything but the `last_seq` that no window ever read."""
    shelf = SeatShelf(tmp_path)
    shelf.save(SEAT)
    [path] = tmp_path.glob("*.json")
    # Byte for byte what format 2 wrote for SEAT, with the seq it never read back.
    path.write_text(
        '{"format": 2, "server": "ws://127.0.0.1:8765", "code": "K7M2Q-X9P4R", "seat": "b", '
        '"token": "tttttttttttttttttttttt", "name": "Ben", "partner": "Ana", "last_seq": 7, '
        '"key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}'
    )
    assert shelf.all() == [SEAT]
    shelf.save(shelf.all()[0])
    assert list(tmp_path.glob("*.json")) == [path]
    written = json.loads(path.read_text())
    assert written["format"] == 3
    assert "last_seq" not in written
    assert written == SEAT.to_json()
    assert shelf.all() == [SEAT]


def an_event(phase: Phase, partner: str | None) -> Opened:
    state = RoomState(phase, 1, Seat.A, dict.fromkeys(Seat, b"box"), dict.fromkeys(Seat, True))
    return Opened(Event(5, 0, EventKind.SAY, Seat.A, state), {Seat.A: partner, Seat.B: "Ben"})


def test_the_keeper_writes_what_changes_and_forgets_the_end(tmp_path: Path) -> None:
    """An event is written only when it brings the partner's name; the room's end removes it."""
    shelf = SeatShelf(tmp_path)
    keeper = SeatKeeper(shelf, SEAT.server, replace(SEAT, partner=None, key=None))
    assert keeper.paired(KEY) is None
    [path] = tmp_path.glob("*.json")
    long_ago = time.time() - 60
    os.utime(path, (long_ago, long_ago))
    assert keeper.saw(an_event(Phase.SHARING, None)) is None
    assert path.stat().st_mtime == long_ago, "an event that changes nothing kept is not written"
    assert keeper.saw(an_event(Phase.SHARING, "Ana")) is None
    assert shelf.all() == [SEAT]
    keeper.saw(an_event(Phase.ENDED, "Ana"))
    assert shelf.all() == []
    assert not keeper.kept


def test_a_seat_being_left_keeps_its_note_and_is_never_offered(tmp_path: Path) -> None:
    """A seat marked leaving reads back with its note, is not among the offers, and only
    `leaving()` hands it out; a staying seat's file says nothing of leaving."""
    shelf = SeatShelf(tmp_path)
    left = replace(SEAT, leaving=True, note="[b]bye[/b], see you")
    staying = SavedSeat("ws://127.0.0.1:8765", "AAAAA-BBBBB", Seat.A, "u" * 22, "Ben", key=KEY)
    shelf.save(left)
    shelf.save(staying)
    written = {p.name: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    [raw_left] = [raw for raw in written.values() if raw["code"] == SEAT.code]
    [raw_staying] = [raw for raw in written.values() if raw["code"] == "AAAAA-BBBBB"]
    assert (raw_left["leaving"], raw_left["note"]) == (True, "[b]bye[/b], see you")
    assert "leaving" not in raw_staying
    assert "note" not in raw_staying
    assert sorted(seat.code for seat in shelf.all()) == ["AAAAA-BBBBB", SEAT.code]
    assert shelf.offers() == [staying]
    assert shelf.leaving() == [left]

    (tmp_path / "odd.json").write_text(json.dumps({**raw_left, "leaving": "yes"}))
    assert len(shelf.all()) == 2, "a leaving that is not true or false is not read"
