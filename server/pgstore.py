"""Rooms in PostgreSQL: each batch one transaction, committed before anyone hears of it.

Several servers may share one database (docs/deploy.md, Several servers on one
database). Each holds every room in memory, as on SQLite, and catches up with
the others' events: a batch moves a room's `head_seq` on only from the seq this
server wrote last, so two servers can never both append the same seq, and the
loser reads back what the winner wrote (`Moved`) and judges its moves again. A
commit notifies channel `fireside` with the room and its new head; the other
servers listen (server/follow.py) and read the events back from here.
"""

import secrets
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg

from server.room import Room
from server.rows import (
    EVENT_COLUMNS,
    ROOM_COLUMNS,
    Damaged,
    Row,
    batch_rows,
    news_from_rows,
    renew_epochs,
    rooms_from_rows,
    session_values,
)
from server.store import HeldRooms, Moved, NotRemoved, RoomNews, StoreError, Writes
from shared.seats import Seat

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
        last_active BIGINT NOT NULL,
        epoch BIGINT NOT NULL,{_STATE}
        paked_a BOOLEAN NOT NULL,
        paked_b BOOLEAN NOT NULL,
        verified_a BOOLEAN NOT NULL,
        verified_b BOOLEAN NOT NULL,
        said_since_sharing BOOLEAN NOT NULL,
        said_since_ask BOOLEAN NOT NULL,
        head_seq BIGINT NOT NULL DEFAULT 0,
        mode TEXT NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'letters'))
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
    # A database made before epochs: each room already there draws one of its own.
    "ALTER TABLE rooms ADD COLUMN IF NOT EXISTS epoch BIGINT NOT NULL "
    "DEFAULT floor(random() * 2147483647)::bigint + 1",
    # A database made before letters: every room already there is live.
    "ALTER TABLE rooms ADD COLUMN IF NOT EXISTS mode TEXT NOT NULL DEFAULT 'live' "
    "CHECK (mode IN ('live', 'letters'))",
)
"""The SQLite layout (server/storage.py) in PostgreSQL's types, and each room's head seq."""

_LOCK = 0x46495245
"""The advisory lock ("FIRE") every server holds shared while it uses the database: one that
can also take it alone at start knows no other server is running."""

EVENTS_CHANNEL = "fireside"
"""Notified on each commit, once a room: `<room key> <head seq>`."""
SEATS_CHANNEL = "fireside_seat"
"""Notified when a server seats a connection that another may still hold:
`<room key> <seat> <instance>`."""

_INSERT_ROOM = f"INSERT INTO rooms ({ROOM_COLUMNS}) VALUES ({', '.join(['%s'] * 20)})"
_INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join(['%s'] * 14)})"
_INSERT_SEAT = "INSERT INTO seats (room_key, seat, token_hash) VALUES (%s, %s, %s)"
_UPDATE_ROOM = (
    "UPDATE rooms SET last_active = %s, phase = %s, round = %s, asker = %s, name_a = %s, "
    "name_b = %s, online_a = %s, online_b = %s, paked_a = %s, paked_b = %s, verified_a = %s, "
    "verified_b = %s, said_since_sharing = %s, said_since_ask = %s, head_seq = %s "
    "WHERE room_key = %s AND head_seq = %s RETURNING room_key"
)
_NOTIFY = "SELECT pg_notify(%s, %s)"
_NEWS_EVENTS = (
    f"SELECT {EVENT_COLUMNS} FROM events JOIN unnest(%s::text[], %s::bigint[]) AS asked(k, above)"
    " ON room_key = asked.k AND seq > asked.above ORDER BY room_key, seq"
)


class PostgresRoomStore(HeldRooms):
    """Rooms in a PostgreSQL database that other servers may share, written on a thread of
    their own; a connection the database dropped is made again at the next write."""

    def __init__(
        self, url: str, db: psycopg.Connection[Row], rooms: dict[str, Room], *, alone: bool
    ) -> None:
        super().__init__(rooms.values())
        self.url = url
        self.alone = alone
        self.instance = secrets.token_hex(8)
        """Names this server in the seats channel, so that it ignores its own notices."""
        self._db: psycopg.Connection[Row] | None = db
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fireside-pg")
        self._failure: str | None = None
        self._unremoved: list[tuple[str, str]] = []
        """Rooms forgotten whose rows a removal could not delete; only the writer touches it."""
        self._closed = False
        self.listening: bool | None = None
        """Whether other servers' news reaches this one (server/follow.py); None until it
        first listens."""

    @classmethod
    def open(cls, url: str) -> "PostgresRoomStore":
        """Connect, make the tables if they are missing, and read every room; StoreError when
        any of it fails (never naming a room's code)."""
        db = connect(url)
        try:
            with db.transaction():
                for statement in _SCHEMA:
                    db.execute(statement)
            alone = _share(db)
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
            raise StoreError(f"cannot use the database: {sqlstate_word(exc)}") from exc
        return cls(url, db, rooms, alone=alone)

    def write(self, writes: Writes) -> Future[None]:
        """Hand `writes` to the writer: one transaction, each room's head moved on only from
        the seq this server last wrote. Every row is taken now."""
        added = {id(room) for room in writes.added}
        new_rooms, seats, events = batch_rows(writes)
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

    def fetch(self, heads: Mapping[str, int]) -> Future[list[RoomNews]]:
        return self._writer.submit(self._fetch, dict(heads))

    def heads(self) -> Future[dict[str, int]]:
        return self._writer.submit(self._heads)

    def seat_taken(self, room: Room, seat: Seat) -> None:
        notice = f"{room.key} {seat} {self.instance}"
        self._writer.submit(self._notify, SEATS_CHANNEL, notice)

    def new_epochs(self) -> int:
        """Give every room a new epoch, in one transaction on the writer; how many rooms."""
        return renew_epochs(
            self.rooms(), lambda rows: self._writer.submit(self._new_epochs, rows).result()
        )

    def _new_epochs(self, rows: list[Row]) -> None:
        try:
            db = self._connection()
            with db.transaction(), db.cursor() as cursor:
                cursor.executemany("UPDATE rooms SET epoch = %s WHERE room_key = %s", rows)
        except psycopg.Error as exc:
            raise StoreError(f"cannot write to the database: {sqlstate_word(exc)}") from exc

    def health(self) -> str:
        if self._failure is not None:
            return self._failure
        if self._closed:
            return "closed"
        return "not listening" if self.listening is False else "ok"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.shutdown(wait=True)
        if self._db is not None:
            self._db.close()

    def _connection(self) -> psycopg.Connection[Row]:
        """On the writer thread: the connection, made again if the database dropped it (a
        restart of PostgreSQL), with this server's share of the database taken again."""
        if self._db is not None and not self._db.closed and not self._db.broken:
            return self._db
        if self._db is not None:
            self._db.close()
            self._db = None
        db = connect(self.url)
        try:
            _share(db)
            db.commit()
        except psycopg.Error:
            db.close()
            raise
        self._db = db
        return db

    def _write(
        self, new_rooms: list[Row], seats: list[Row], events: list[Row], updates: list[Row]
    ) -> None:
        """On the writer thread: new rooms first, for the seats and events that refer to them,
        then each room's guarded update; a room whose head is not where this server left it
        keeps nothing of the batch, the others keep all of theirs, and what the database holds
        of the rooms that lost is read back for this server to catch up with (`Moved`).

        In pipeline mode, two round trips however many rooms the batch holds: BEGIN, the new
        rooms and the guarded updates, answered together; then the seats and events of the
        rooms that passed, their notifications and the COMMIT. Each statement its own round
        trip would wake the database's process and this one again for every room, on the one
        core they share.
        """
        expected = {str(update[-2]): int(str(update[-1])) for update in updates}
        try:
            db = self._connection()
            with (
                db.pipeline() as pipeline,
                db.transaction(),
                db.cursor() as cursor,
                db.cursor() as guarded,
            ):
                if new_rooms:
                    cursor.executemany(_INSERT_ROOM, new_rooms)
                # A second writer's UPDATE waits on the row until the first commits, then
                # finds the head moved and returns no row. A cursor of its own: its results,
                # once answered, are the updates' alone.
                guarded.executemany(_UPDATE_ROOM, updates, returning=True)
                pipeline.sync()
                moved = expected.keys() - _keys_returned(guarded)
                if seats:
                    cursor.executemany(_INSERT_SEAT, [r for r in seats if r[0] not in moved])
                cursor.executemany(_INSERT_EVENT, [r for r in events if r[0] not in moved])
                # Delivered on commit, and only then: no server hears of an event not kept.
                notices = [
                    (EVENTS_CHANNEL, f"{update[-2]} {update[-3]}")
                    for update in updates
                    if update[-2] not in moved
                ]
                cursor.executemany(_NOTIFY, notices)
        except psycopg.Error as exc:
            self._failure = sqlstate_word(exc)
            raise StoreError(f"cannot write to the database: {self._failure}") from exc
        self._failure = None
        if moved:
            raise Moved(self._fetch({key: expected[key] for key in moved}))

    def _fetch(self, heads: dict[str, int]) -> list[RoomNews]:
        """On the writer thread, in one snapshot: each room's row and seats, and its events
        after the seq asked for; a room with no row comes back empty."""
        keys = list(heads)
        try:
            db = self._connection()
            with db.transaction(), db.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                rooms = cursor.execute(
                    f"SELECT {ROOM_COLUMNS} FROM rooms WHERE room_key = ANY(%s)", (keys,)
                ).fetchall()
                seats = cursor.execute(
                    "SELECT room_key, seat, token_hash FROM seats WHERE room_key = ANY(%s)",
                    (keys,),
                ).fetchall()
                events = cursor.execute(_NEWS_EVENTS, (keys, list(heads.values()))).fetchall()
            news = news_from_rows(rooms, seats, events)
        except Damaged as exc:
            raise StoreError(f"the database is damaged: {exc}") from None
        except psycopg.Error as exc:
            self._failure = sqlstate_word(exc)
            raise StoreError(f"cannot read the database: {self._failure}") from exc
        return [news.get(key, RoomNews(key, None, ())) for key in keys]

    def _heads(self) -> dict[str, int]:
        try:
            db = self._connection()
            with db.transaction():
                rows = db.execute("SELECT room_key, head_seq FROM rooms").fetchall()
        except psycopg.Error as exc:
            self._failure = sqlstate_word(exc)
            raise StoreError(f"cannot read the database: {self._failure}") from exc
        return {str(key): int(str(head)) for key, head in rows}

    def _notify(self, channel: str, notice: str) -> None:
        """Best effort: a notice lost tells the other server nothing it cannot live without."""
        try:
            db = self._connection()
            with db.transaction():
                db.execute(_NOTIFY, (channel, notice))
        except psycopg.Error as exc:
            self._failure = sqlstate_word(exc)

    def _remove(self, rooms: list[tuple[str, str]]) -> None:
        rooms = self._unremoved + rooms
        self._unremoved = []
        keys = [(key,) for key, _ in rooms]
        try:
            db = self._connection()
            with db.transaction(), db.cursor() as cursor:
                for table in ("events", "seats", "rooms"):
                    cursor.executemany(f"DELETE FROM {table} WHERE room_key = %s", keys)
        except psycopg.Error as exc:
            self._unremoved = rooms
            self._failure = sqlstate_word(exc)
            raise NotRemoved(self._failure, [label for _, label in rooms]) from exc


def _keys_returned(cursor: psycopg.Cursor[Row]) -> set[str]:
    """The room key each guarded update of an `executemany(..., returning=True)` returned:
    the rooms whose head was where this server left it."""
    keys: set[str] = set()
    while True:
        keys.update(str(row[0]) for row in cursor.fetchall())
        if not cursor.nextset():
            return keys


def connect(url: str) -> psycopg.Connection[Row]:
    """A connection whose statements wait for a commit; StoreError naming only the SQLSTATE."""
    try:
        return psycopg.connect(url, autocommit=False)
    except psycopg.Error as exc:
        raise StoreError(f"cannot reach the database: {sqlstate_word(exc)}") from exc


def _share(db: psycopg.Connection[Row]) -> bool:
    """Take this server's share of the database for as long as the connection lasts; whether
    no other server holds one. Shared first, then alone: both succeed in one session, and
    the lone lock is let go at once."""
    db.execute("SELECT pg_advisory_lock_shared(%s)", (_LOCK,))
    alone = db.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK,)).fetchone()
    if alone is None or not alone[0]:
        return False
    db.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
    return True


def sqlstate_word(exc: psycopg.Error) -> str:
    """A short name for what went wrong: the SQLSTATE, or `unreachable`; never SQL or values."""
    return exc.sqlstate or "unreachable"
