"""`fireside-server --check`: whether the data is sound and how much it holds, read without
changing a byte of it, even while a server runs on it (docs/deploy.md, Checking the data).

SQLite's file is opened read-only and without the directory's lock. The lock is there so that
two *writers* never number events from the same seq; a reader in WAL mode sees one committed
snapshot however the server writes meanwhile, as `sqlite3 .backup` does. So the check works on
the live data (`docker compose exec`, a unit still running) as well as on a copy, and cannot be
what breaks it. PostgreSQL is read in one REPEATABLE READ, READ ONLY transaction, beside any
number of servers.

What it says names no room, code, token or anything anyone wrote: counts and sizes only.
"""

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from server.config import MEMORY_DATA
from server.room import Room
from server.rows import EVENT_COLUMNS, ROOM_COLUMNS, Damaged, Row, rooms_from_rows
from server.storage import (
    APPLICATION_ID,
    DB_FILE,
    MIGRATIONS,
    POSTGRES_SCHEMES,
    RESTORE,
    SCHEMA_VERSION,
    failure_word,
    migrate,
    plainly,
)
from server.store import StoreError

_TABLES = ("rooms", "seats", "events")


@dataclass(frozen=True)
class Checked:
    """What a sound store holds: counts and sizes, nothing from inside a room."""

    what: str
    """The file's path, or `the PostgreSQL database` (never its URL, which may hold a
    password)."""
    rooms: int
    events: int
    size: int
    """Bytes on disk: the SQLite file and its WAL, or the three tables with their indexes."""
    schema: str
    """Which layout it has, as a clause: `schema version 4`."""

    def sentence(self) -> str:
        return (
            f"{self.what} is sound: {self.schema}, {self.rooms} room(s), {self.events} event(s), "
            f"{_size(self.size)} on disk."
        )


def check(data: str) -> Checked:
    """Read every row of the store `data` names (as `open_store` takes it) and check it;
    StoreError in one sentence, naming no one's words, when it is missing or damaged."""
    if data == MEMORY_DATA:
        raise StoreError(
            "rooms kept in memory are gone with their server; there is nothing to check"
        )
    if data.startswith(POSTGRES_SCHEMES):
        return _check_postgres(data)
    return _check_sqlite(Path(data) / DB_FILE)


def _check_sqlite(path: Path) -> Checked:
    if not path.is_file():
        raise StoreError(f"cannot check {path}: there is no such file")
    try:
        # mode=ro: SQLite writes nothing to the file; beside a file no server has open it makes
        # an empty -wal and -shm (given the file's owner), as any reader in WAL mode does.
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        with closing(db):
            # One read transaction: every query sees the same commit of a server still writing.
            db.execute("BEGIN")
            schema, rooms = _sqlite_rooms(db)
            db.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot use {path}: {plainly(failure_word(exc))}") from exc
    except Damaged as exc:
        raise StoreError(f"cannot use {path}: it is damaged: {exc}{RESTORE}") from None
    except StoreError as exc:
        raise StoreError(f"cannot use {path}: {exc}") from None
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return Checked(str(path), len(rooms), _events(rooms), size, schema)


def _sqlite_rooms(db: sqlite3.Connection) -> tuple[str, dict[str, Room]]:
    """The schema as a clause, and every room read back, from inside a read transaction."""
    application = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if application != APPLICATION_ID:
        raise StoreError("it is not a Fireside data file")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"it has schema version {version}, written by a newer fireside-server; "
            f"this one knows up to {SCHEMA_VERSION}"
        )
    # Its messages name pages and indexes, never a value; even so only their number is said.
    problems = db.execute("PRAGMA integrity_check").fetchall()
    if problems != [("ok",)]:
        raise StoreError(
            f"it is damaged (SQLite's integrity_check found {len(problems)} problem(s)){RESTORE}"
        )
    schema = f"schema version {version}"
    if version == SCHEMA_VERSION:
        return schema, _load(db.execute)
    # The rows are read as this server will read them, from a copy in memory brought up to
    # date: the file itself is not to be changed.
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as copy:
        db.backup(copy)
        migrate(copy, MIGRATIONS)
        return f"{schema}, which a server's start brings to {SCHEMA_VERSION}", _load(copy.execute)


def _check_postgres(url: str) -> Checked:
    # Imported here, as in `open_store`: a check of a SQLite file never loads the driver.
    import psycopg

    from server.pgstore import connect, sqlstate_word

    what = "the PostgreSQL database"
    try:
        with closing(connect(url)) as db, db.transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            missing = [
                table
                for table in _TABLES
                if db.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,)
            ]
            if missing:
                raise StoreError(
                    f"cannot use {what}: it has no table {', '.join(missing)} (no fireside-server "
                    "has started on it yet, or it is another database)"
                )
            rooms = _load(db.execute)
            size = db.execute(
                "SELECT sum(pg_total_relation_size(t::regclass))::bigint "
                "FROM unnest(%s::text[]) AS t",
                (list(_TABLES),),
            ).fetchone()
    except Damaged as exc:
        raise StoreError(f"cannot use {what}: it is damaged: {exc}") from None
    except psycopg.Error as exc:
        raise StoreError(f"cannot read {what}: {sqlstate_word(exc)}") from exc
    total = int(str(size[0])) if size is not None else 0
    return Checked(what, len(rooms), _events(rooms), total, "tables rooms, seats and events")


def _load(execute: Callable[[str], Iterable[Row]]) -> dict[str, Room]:
    """Every room as a server's start reads it (server/rows.py); Damaged when a row is not
    what a server writes."""
    return rooms_from_rows(
        execute(f"SELECT {ROOM_COLUMNS} FROM rooms ORDER BY created, room_key"),
        execute("SELECT room_key, seat, token_hash FROM seats"),
        execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY room_key, seq"),
    )


def _events(rooms: dict[str, Room]) -> int:
    return sum(len(room.log) for room in rooms.values())


def _size(size: int) -> str:
    """Bytes for a person: `812 bytes`, `12.3 MiB`."""
    if size < 1024:
        return f"{size} bytes"
    amount = size / 1024
    for unit in ("KiB", "MiB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"
