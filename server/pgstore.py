"""Rooms in PostgreSQL: each batch one transaction, committed before anyone hears of it.

One server per database for now: the store takes an advisory lock on open, as the SQLite
store locks its directory, because the registry keeps every room in memory and would not
see another instance's events. Sharing rooms between instances (issue 12) builds on the
guard already here: a room's row carries `head_seq`, and a batch updates it only from the
seq it expects, so two writers can never both append the same seq.
"""

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg

from server.room import Room
from server.rows import (
    EVENT_COLUMNS,
    ROOM_COLUMNS,
    Damaged,
    Row,
    event_row,
    room_row,
    rooms_from_rows,
    session_values,
)
from server.store import HeldRooms, NotRemoved, StoreError, Writes
from shared.events import EventKind

_STATE = """
        phase TEXT NOT NULL,
        round INTEGER NOT NULL,
        asker TEXT NOT NULL,
        name_a BYTEA,
        name_b BYTEA,
        online_a BOOLEAN NOT NULL,
        online_b BOOLEAN NOT NULL,"""
"""The room state a room keeps and every event carries (shared.events.RoomState)."""

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS rooms (
        room_key TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        label TEXT NOT NULL,
        created BIGINT NOT NULL,
        last_active BIGINT NOT NULL,{_STATE}
        paked_a BOOLEAN NOT NULL,
        paked_b BOOLEAN NOT NULL,
        verified_a BOOLEAN NOT NULL,
        verified_b BOOLEAN NOT NULL,
        said_since_sharing BOOLEAN NOT NULL,
        said_since_ask BOOLEAN NOT NULL,
        head_seq BIGINT NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS seats (
        room_key TEXT NOT NULL REFERENCES rooms (room_key),
        seat TEXT NOT NULL CHECK (seat IN ('a', 'b')),
        token_hash BYTEA NOT NULL,
        PRIMARY KEY (room_key, seat)
    )""",
    f"""CREATE TABLE IF NOT EXISTS events (
        room_key TEXT NOT NULL REFERENCES rooms (room_key),
        seq BIGINT NOT NULL CHECK (seq >= 1),
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        by_seat TEXT NOT NULL CHECK (by_seat IN ('a', 'b')),
        sealed BYTEA,
        nod TEXT,{_STATE}
        PRIMARY KEY (room_key, seq)
    )""",
)
"""The SQLite layout (server/storage.py) in PostgreSQL's types, and each room's head seq."""

_LOCK = 0x46495245
"""The advisory lock one server holds on its database: "FIRE"."""

_INSERT_ROOM = f"INSERT INTO rooms ({ROOM_COLUMNS}) VALUES ({', '.join(['%s'] * 18)})"
_INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join(['%s'] * 14)})"
_INSERT_SEAT = "INSERT INTO seats (room_key, seat, token_hash) VALUES (%s, %s, %s)"
_UPDATE_ROOM = (
    "UPDATE rooms SET last_active = %s, phase = %s, round = %s, asker = %s, name_a = %s, "
    "name_b = %s, online_a = %s, online_b = %s, paked_a = %s, paked_b = %s, verified_a = %s, "
    "verified_b = %s, said_since_sharing = %s, said_since_ask = %s, head_seq = %s "
    "WHERE room_key = %s AND head_seq = %s"
)


class PostgresRoomStore(HeldRooms):
    """Rooms in a PostgreSQL database, written on a thread of their own."""

    def __init__(self, db: psycopg.Connection[Row], rooms: dict[str, Room]) -> None:
        super().__init__(rooms.values())
        self._db = db
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fireside-pg")
        self._failure: str | None = None
        self._unremoved: list[tuple[str, str]] = []
        """Rooms forgotten whose rows a removal could not delete; only the writer touches it."""
        self._closed = False

    @classmethod
    def open(cls, url: str) -> "PostgresRoomStore":
        """Connect, make the tables if they are missing, take the database for this server
        and read every room; StoreError when any of it fails (never naming a room's code)."""
        try:
            db: psycopg.Connection[Row] = psycopg.connect(url, autocommit=False)
        except psycopg.Error as exc:
            raise StoreError(f"cannot reach the database: {_word(exc)}") from exc
        try:
            with db.transaction():
                for statement in _SCHEMA:
                    db.execute(statement)
            locked = db.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK,)).fetchone()
            if locked is None or not locked[0]:
                raise StoreError("the database is in use by another server")
            rooms = rooms_from_rows(
                db.execute(f"SELECT {ROOM_COLUMNS} FROM rooms ORDER BY created, room_key"),
                db.execute("SELECT room_key, seat, token_hash FROM seats"),
                db.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY room_key, seq"),
            )
            db.commit()
        except Damaged as exc:
            db.close()
            raise StoreError(f"the database is damaged: {exc}") from None
        except psycopg.Error as exc:
            db.close()
            raise StoreError(f"cannot use the database: {_word(exc)}") from exc
        except StoreError:
            db.close()
            raise
        return cls(db, rooms)

    def write(self, writes: Writes) -> Future[None]:
        """Hand `writes` to the writer: one transaction, each room's head moved on only from
        the seq this server last wrote. Every row is taken now."""
        added = {id(room) for room in writes.added}
        new_rooms = [room_row(room) for room in writes.added]
        seats: list[Row] = [
            (room.key, str(event.by), room.token_hashes[event.by])
            for room, event in writes.events
            if event.kind is EventKind.JOINED
        ]
        events = [event_row(room.key, event) for room, event in writes.events]
        first_seq: dict[int, int] = {}
        for room, event in writes.events:
            first_seq.setdefault(id(room), event.seq)
        updates = [
            (
                room.last_active,
                *session_values(room.session),
                len(room.log),
                room.key,
                0 if id(room) in added else first_seq[id(room)] - 1,
            )
            for room in writes.rooms
        ]
        return self._writer.submit(self._write, new_rooms, seats, events, updates)

    def remove(self, rooms: Sequence[Room]) -> Future[None]:
        """Forget `rooms` now; the writer deletes their rows in one transaction, after any
        left over from a removal that failed."""
        self.forget(rooms)
        return self._writer.submit(self._remove, [(room.key, room.label) for room in rooms])

    def health(self) -> str:
        if self._failure is not None:
            return self._failure
        return "closed" if self._closed else "ok"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.shutdown(wait=True)
        self._db.close()

    def _write(
        self, new_rooms: list[Row], seats: list[Row], events: list[Row], updates: list[Row]
    ) -> None:
        """On the writer thread: the rooms first, for the seats and events that refer to them;
        a room whose head is not where this server left it loses the whole batch.

        In pipeline mode: BEGIN, every insert and every room's guarded update go out at once
        and are answered in one round trip, then the COMMIT in a second, however many rooms
        the batch holds. Each statement its own round trip would wake the database's process
        and this one again for every room, on the one core they share.
        """
        try:
            with (
                self._db.pipeline() as pipeline,
                self._db.transaction(),
                self._db.cursor() as cursor,
                self._db.cursor() as guarded,
            ):
                if new_rooms:
                    cursor.executemany(_INSERT_ROOM, new_rooms)
                if seats:
                    cursor.executemany(_INSERT_SEAT, seats)
                cursor.executemany(_INSERT_EVENT, events)
                # A cursor of their own: its rowcount, once answered, is the updates' alone.
                guarded.executemany(_UPDATE_ROOM, updates, returning=True)
                pipeline.sync()
                if _rows_changed(guarded) != len(updates):
                    raise _Moved
        except _Moved:
            self._failure = None
            raise StoreError("a room was changed by another server") from None
        except psycopg.Error as exc:
            self._failure = _word(exc)
            raise StoreError(f"cannot write to the database: {self._failure}") from exc
        self._failure = None

    def _remove(self, rooms: list[tuple[str, str]]) -> None:
        rooms = self._unremoved + rooms
        self._unremoved = []
        keys = [(key,) for key, _ in rooms]
        try:
            with self._db.transaction(), self._db.cursor() as cursor:
                for table in ("events", "seats", "rooms"):
                    cursor.executemany(f"DELETE FROM {table} WHERE room_key = %s", keys)
        except psycopg.Error as exc:
            self._unremoved = rooms
            self._failure = _word(exc)
            raise NotRemoved(self._failure, [label for _, label in rooms]) from exc


def _rows_changed(cursor: psycopg.Cursor[Row]) -> int:
    """Rows changed by every statement of an `executemany(..., returning=True)`."""
    changed = max(cursor.rowcount, 0)
    while cursor.nextset():
        changed += max(cursor.rowcount, 0)
    return changed


class _Moved(Exception):
    """A room's head seq in the database is not the one this server wrote last."""


def _word(exc: psycopg.Error) -> str:
    """A short name for what went wrong: the SQLSTATE, or `unreachable`; never SQL or values."""
    return exc.sqlstate or "unreachable"
