"""`fireside-server --check` reads the data without changing it: exit 0 and counts when sound,
exit 2 and one sentence when not, and never a code, token or word in either."""

import asyncio
import hashlib
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from server.pgstore import PostgresRoomStore
from server.rooms import RoomRegistry
from server.storage import DB_FILE, MIGRATIONS, RESTORE, SqliteRoomStore, migrate
from server.store import RoomStore
from tests.server.fakes import Pair, seat_pair
from tests.server.test_letters import ANA_SAYS, ana_proposes_and_answers, pair_letters
from tests.server.test_restart import (
    not_a_database,
    room_on_disk,
    seats_of_no_room,
    unknown_kind,
)
from tests.server.wire import member, pair_up
from tests.server_process import server_process
from tests.timing import seconds


@dataclass
class Said:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return (self.stdout + self.stderr).splitlines()


def run_check(data: str | Path) -> Said:
    """`python -m server --check --data DATA`, to its end."""
    done = subprocess.run(
        [sys.executable, "-m", "server", "--check", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=seconds(20),
    )
    return Said(done.returncode, done.stdout, done.stderr)


def secrets_of(pair: Pair) -> tuple[str, ...]:
    room = pair.a.room
    return (room.code, room.key, room.label, pair.a_token, pair.b_token)


def room_in(store: RoomStore) -> Pair:
    """One paired room (8 events) kept in `store`, which is closed after it."""
    try:
        rooms = RoomRegistry(store, room_ttl_ms=86_400_000, max_rooms=1, max_log_bytes=1 << 20)
        return seat_pair(rooms, now=int(time.time() * 1000))
    finally:
        store.close()


def test_a_sound_file_is_counted_and_left_byte_for_byte_as_it_was(tmp_path: Path) -> None:
    """A check of a stopped server's data says rooms, events and size on stdout, exits 0, and
    leaves the file's bytes as they were; a server starts on it afterwards."""
    data = tmp_path / "data"
    pair = room_on_disk(data)
    before = hashlib.sha256((data / DB_FILE).read_bytes()).hexdigest()
    said = run_check(data)
    assert said.code == 0, said
    assert said.stderr == ""
    assert re.fullmatch(
        rf"fireside-server: {re.escape(str(data / DB_FILE))} is sound: schema version "
        rf"{len(MIGRATIONS)}, 1 room\(s\), 8 event\(s\), \d+\.\d KiB on disk\.\n",
        said.stdout,
    ), said.stdout
    assert hashlib.sha256((data / DB_FILE).read_bytes()).hexdigest() == before
    for secret in secrets_of(pair):
        assert secret not in said.stdout
    store = SqliteRoomStore.open(data)
    try:
        (room,) = store.rooms()
        assert room.log == pair.a.room.log
    finally:
        store.close()


async def test_a_check_beside_a_running_server_sees_its_rooms_and_holds_nothing_up(
    tmp_path: Path,
) -> None:
    """The check reads the live file without the server's lock: it counts what the server has
    committed, and the server goes on taking events during and after it."""
    data = tmp_path / "data"
    async with (
        server_process("--data", str(data)) as server,
        member(server.port) as a,
        member(server.port) as b,
        member(server.port) as c,
    ):
        created = await a.request({"t": "create"})
        await b.request({"t": "join", "code": created["code"]})
        assert (await a.recv())["kind"] == "joined"
        assert (await pair_up(a, b))["seq"] == 8
        said = await asyncio.to_thread(run_check, data)
        assert said.code == 0, said
        assert ", 1 room(s), 8 event(s), " in said.stdout
        assert created["code"] not in said.stdout + said.stderr
        assert "code" in await c.request({"t": "create"})
        again = await asyncio.to_thread(run_check, data)
        assert ", 2 room(s), " in again.stdout, again


def _an_index_entry_changed(path: Path) -> None:
    """Another key, of the same length, in the rooms table's key index, which the rows' reads
    never use: the b-tree is still well formed, so only SQLite's integrity_check finds it."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (key,) = db.execute("SELECT room_key FROM rooms").fetchone()
        (page,) = db.execute(
            "SELECT rootpage FROM sqlite_schema WHERE name = 'sqlite_autoindex_rooms_1'"
        ).fetchone()
        (size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    with path.open("r+b") as file:
        file.seek((page - 1) * size)
        content = file.read(size)
        at = content.index(key.encode())
        file.seek((page - 1) * size + at)
        file.write(b"~" * len(key))


def _schema_from_a_newer_server(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (unknown_kind, re.escape(f"it is damaged: an event has an unknown kind{RESTORE}")),
        (seats_of_no_room, re.escape(f"it is damaged: a seat row belongs to no room{RESTORE}")),
        (
            not_a_database,
            re.escape(f"it is not a database, or it is damaged (SQLite says notadb){RESTORE}"),
        ),
        (
            _an_index_entry_changed,
            r"it is damaged \(SQLite's integrity_check found \d+ problem\(s\)\)"
            + re.escape(RESTORE),
        ),
        (
            _schema_from_a_newer_server,
            re.escape(
                f"it has schema version {len(MIGRATIONS) + 1}, written by a newer "
                f"fireside-server; this one knows up to {len(MIGRATIONS)}"
            ),
        ),
    ],
    ids=[
        "unknown-kind",
        "seats-of-no-room",
        "not-a-database",
        "index-entry-changed",
        "newer-schema",
    ],
)
def test_a_damaged_file_is_exit_2_one_sentence_and_no_code_or_token(
    tmp_path: Path, damage: Callable[[Path], None], says: str
) -> None:
    """Each kind of damage, in the rows or in SQLite's pages, exits 2 with one line on stderr
    saying what is wrong, as a refused start does, naming no room, code or token."""
    data = tmp_path / "data"
    pair = room_on_disk(data)
    damage(data / DB_FILE)
    said = run_check(data)
    assert said.code == 2
    assert said.stdout == ""
    (line,) = said.lines
    assert re.fullmatch(
        rf"fireside-server: cannot use {re.escape(str(data / DB_FILE))}: {says}\.", line
    )
    for secret in secrets_of(pair):
        assert secret not in line


def test_missing_or_foreign_data_is_exit_2_and_one_sentence(tmp_path: Path) -> None:
    """No file, another program's SQLite file, or rooms in memory: exit 2, one sentence each,
    and no file made where there was none."""
    empty = tmp_path / "empty"
    said = run_check(empty)
    assert (said.code, said.lines) == (
        2,
        [f"fireside-server: cannot check {empty / DB_FILE}: there is no such file."],
    )
    assert not empty.exists()
    other = tmp_path / "other"
    other.mkdir()
    with sqlite3.connect(other / DB_FILE) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    db.close()
    said = run_check(other)
    assert (said.code, said.lines) == (
        2,
        [f"fireside-server: cannot use {other / DB_FILE}: it is not a Fireside data file."],
    )
    said = run_check(":memory:")
    assert said.code == 2
    assert len(said.lines) == 1


def test_an_older_schema_is_checked_as_the_next_start_will_read_it(tmp_path: Path) -> None:
    """A file at an older schema version is sound (a server's start migrates it): the check
    says so, migrating a copy in memory, and leaves the file at its version."""
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / DB_FILE, isolation_level=None) as db:
        db.execute("PRAGMA journal_mode = WAL")
        migrate(db, MIGRATIONS[:2])
    db.close()
    said = run_check(data)
    assert said.code == 0, said
    assert f": schema version 2, which a server's start brings to {len(MIGRATIONS)}, 0 room(s)" in (
        said.stdout
    )
    with sqlite3.connect(data / DB_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
    db.close()


def test_a_sound_postgresql_database_is_counted_without_its_url(postgres_url: str) -> None:
    """On PostgreSQL the check reads every room and sums the tables' size; what it prints names
    neither the URL nor any room."""
    pair = room_in(PostgresRoomStore.open(postgres_url))
    said = run_check(postgres_url)
    assert said.code == 0, said
    assert re.fullmatch(
        r"fireside-server: the PostgreSQL database is sound: tables rooms, seats and events, "
        r"1 room\(s\), 8 event\(s\), \d+\.\d KiB on disk\.\n",
        said.stdout,
    ), said.stdout
    for secret in (*secrets_of(pair), postgres_url):
        assert secret not in said.stdout


def test_a_damaged_or_empty_postgresql_database_is_exit_2_and_one_sentence(
    postgres_url: str,
) -> None:
    """A database with no tables yet, and one with a row no server wrote: exit 2 with one line
    each, no table made by the check and no code or URL in what it says."""
    said = run_check(postgres_url)
    assert said.code == 2
    assert said.lines == [
        "fireside-server: cannot use the PostgreSQL database: it has no table rooms, seats, "
        "events (no fireside-server has started on it yet, or it is another database)."
    ]
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT to_regclass('rooms')").fetchone() == (None,)
    pair = room_in(PostgresRoomStore.open(postgres_url))
    with psycopg.connect(postgres_url) as db:
        db.execute("UPDATE events SET kind = 'gossip' WHERE seq = 3")
    said = run_check(postgres_url)
    assert said.code == 2
    assert said.lines == [
        "fireside-server: cannot use the PostgreSQL database: it is damaged: "
        "an event has an unknown kind."
    ]
    for secret in (*secrets_of(pair), postgres_url):
        assert secret not in said.stderr


def test_a_letters_room_withholding_an_answer_is_sound_and_its_box_never_said(
    tmp_path: Path,
) -> None:
    """`--check` reads a schema 4 file with a letters room whose answer is withheld as a
    server's start would, says it is sound, and names nothing of the room."""
    data = tmp_path / "data"
    store = SqliteRoomStore.open(data)
    try:
        rooms = RoomRegistry(store, room_ttl_ms=86_400_000, max_rooms=1, max_log_bytes=1 << 20)
        letters = pair_letters(rooms, now=int(time.time() * 1000))
        ana_proposes_and_answers(letters, now=int(time.time() * 1000))
    finally:
        store.close()
    said = run_check(data)
    assert said.code == 0, said
    assert f"schema version {len(MIGRATIONS)}, 1 room(s), 10 event(s)" in said.stdout
    assert len(MIGRATIONS) == 4
    room = letters.ana.room
    for secret in (room.code, room.key, room.label, letters.ana_token, ANA_SAYS.decode("latin-1")):
        assert secret not in said.stdout + said.stderr
