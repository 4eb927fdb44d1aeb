"""Rooms on disk: one SQLite file in WAL mode, each change committed before anyone hears of it.

Since fireside.2 the file holds only what the members sealed (docs/security.md, What
the server still sees): the server cannot read it, yet it is still what people wrote
to each other, so
the data directory is made 0700 and the file 0600 (SQLite gives its WAL file
the same mode), and nothing read from it is ever logged. Every room is
read into memory at start, as every store holds them (`HeldRooms`). The group
commit (`server.commits`) hands over every change of one turn of the event
loop at once: each event's row and, for `joined`, the new seat's token hash.
One writer thread writes them, each room's latest state with them, and
commits them, so the event loop never waits on the disk.
"""

import fcntl
import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from server.config import MEMORY_DATA
from server.room import Room
from server.rows import (
    EVENT_COLUMNS,
    ROOM_COLUMNS,
    Damaged,
    Row,
    batch_rows,
    renew_epochs,
    rooms_from_rows,
    session_values,
)
from server.store import HeldRooms, MemoryRoomStore, NotRemoved, RoomStore, StoreError, Writes

DB_FILE = "fireside.sqlite3"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
LOCK_FILE = "fireside.lock"
"""Held with flock while a server uses the directory; the kernel lets go when the process dies."""

APPLICATION_ID = 0x46495245
"""`PRAGMA application_id`, "FIRE": tells a Fireside file from any other SQLite file."""

REMOVE_CHUNK = 200
"""Expired rooms deleted per transaction: a commit of what the live rooms did waits behind one
chunk at most, never behind a whole sweep (docs/deploy.md, Expiry)."""

CHECKPOINT_INTERVAL = 0.5
"""Seconds between the checkpointer's copies of the WAL into the file, off the commit's path."""

RESTORE = "; restore it from a backup (docs/deploy.md, Backing up)"
"""How a sentence about a damaged file ends: where to read how to put a good one back."""

Migration = Callable[[sqlite3.Connection], None]
"""One step of the schema, from version N to N+1, run inside the opening transaction."""


def _create_v1(db: sqlite3.Connection) -> None:
    """The first layout: rooms with their session, seats with token hashes, and the event log.

    `room_key` is the normalised code. Each event row keeps the room state it
    carried on the wire, so a `joined` reply after a restart is byte for byte
    what it was. PRIMARY KEY (room_key, seq) makes a repeated `seq` impossible.
    """
    for statement in (
        """CREATE TABLE rooms (
            room_key TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            label TEXT NOT NULL,
            created INTEGER NOT NULL,
            last_active INTEGER NOT NULL,
            phase TEXT NOT NULL,
            round INTEGER NOT NULL,
            asker TEXT NOT NULL,
            name_a TEXT,
            name_b TEXT,
            online_a INTEGER NOT NULL,
            online_b INTEGER NOT NULL,
            said_since_sharing INTEGER NOT NULL,
            said_since_ask INTEGER NOT NULL
        )""",
        """CREATE TABLE seats (
            room_key TEXT NOT NULL REFERENCES rooms (room_key),
            seat TEXT NOT NULL CHECK (seat IN ('a', 'b')),
            token_hash BLOB NOT NULL,
            PRIMARY KEY (room_key, seat)
        )""",
        """CREATE TABLE events (
            room_key TEXT NOT NULL REFERENCES rooms (room_key),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            by_seat TEXT NOT NULL CHECK (by_seat IN ('a', 'b')),
            text TEXT,
            card TEXT,
            nod TEXT,
            phase TEXT NOT NULL,
            round INTEGER NOT NULL,
            asker TEXT NOT NULL,
            name_a TEXT,
            name_b TEXT,
            online_a INTEGER NOT NULL,
            online_b INTEGER NOT NULL,
            PRIMARY KEY (room_key, seq)
        )""",
    ):
        db.execute(statement)


def _to_v2(db: sqlite3.Connection) -> None:
    """fireside.2: the server keeps only sealed bytes (docs/protocol.md, What changed).

    A fireside.1 room cannot go on: neither member has a key, and its words
    were never sealed. So every room is deleted first, with `secure_delete`
    on (`_configure`) so their words are zeroed in the file's pages and the
    freed pages too. Then, the tables empty, `rooms` and `events` are made
    anew: the names are two BLOBs (each seat's sealed `hello` box), the
    pairing progress has columns of its own, and an event keeps `msg`, `mac`
    or `box` in one BLOB `sealed`, its kind saying which. A CHECK keeps text
    out of every column that holds what a member sealed. `seats` is as it was.
    """
    for table in ("events", "seats", "rooms"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DROP TABLE events")
    db.execute("DROP TABLE rooms")
    for statement in (
        """CREATE TABLE rooms (
            room_key TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            label TEXT NOT NULL,
            created INTEGER NOT NULL,
            last_active INTEGER NOT NULL,
            phase TEXT NOT NULL,
            round INTEGER NOT NULL,
            asker TEXT NOT NULL,
            name_a BLOB CHECK (name_a IS NULL OR typeof(name_a) = 'blob'),
            name_b BLOB CHECK (name_b IS NULL OR typeof(name_b) = 'blob'),
            online_a INTEGER NOT NULL,
            online_b INTEGER NOT NULL,
            paked_a INTEGER NOT NULL,
            paked_b INTEGER NOT NULL,
            verified_a INTEGER NOT NULL,
            verified_b INTEGER NOT NULL,
            said_since_sharing INTEGER NOT NULL,
            said_since_ask INTEGER NOT NULL
        )""",
        """CREATE TABLE events (
            room_key TEXT NOT NULL REFERENCES rooms (room_key),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            by_seat TEXT NOT NULL CHECK (by_seat IN ('a', 'b')),
            sealed BLOB CHECK (sealed IS NULL OR typeof(sealed) = 'blob'),
            nod TEXT,
            phase TEXT NOT NULL,
            round INTEGER NOT NULL,
            asker TEXT NOT NULL,
            name_a BLOB CHECK (name_a IS NULL OR typeof(name_a) = 'blob'),
            name_b BLOB CHECK (name_b IS NULL OR typeof(name_b) = 'blob'),
            online_a INTEGER NOT NULL,
            online_b INTEGER NOT NULL,
            PRIMARY KEY (room_key, seq)
        )""",
    ):
        db.execute(statement)


def _to_v3(db: sqlite3.Connection) -> None:
    """Each room's log gets an epoch (docs/protocol.md, Drops, resume and leave), drawn at
    random for the rooms already here. SQLite takes no expression as the default of a column
    it adds, so the column comes with 0, which no room keeps, and the rooms get theirs next."""
    db.execute("ALTER TABLE rooms ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE rooms SET epoch = abs(random() % 2147483646) + 1")


def _to_v4(db: sqlite3.Connection) -> None:
    """Each room says whether it is live or letters (docs/protocol.md, Letters); every room
    already here is live, as no server before letters made any other."""
    db.execute(
        "ALTER TABLE rooms ADD COLUMN mode TEXT NOT NULL DEFAULT 'live' "
        "CHECK (mode IN ('live', 'letters'))"
    )


MIGRATIONS: tuple[Migration, ...] = (_create_v1, _to_v2, _to_v3, _to_v4)
"""`MIGRATIONS[n]` takes a file from schema version n to n + 1; the last gives SCHEMA_VERSION."""

SCHEMA_VERSION = len(MIGRATIONS)

_INSERT_ROOM = f"INSERT INTO rooms ({ROOM_COLUMNS}) VALUES ({', '.join('?' * 20)})"
_INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 14)})"
_INSERT_SEAT = "INSERT INTO seats (room_key, seat, token_hash) VALUES (?, ?, ?)"
_UPDATE_ROOM = (
    "UPDATE rooms SET last_active = ?, phase = ?, round = ?, asker = ?, name_a = ?, "
    "name_b = ?, online_a = ?, online_b = ?, paked_a = ?, paked_b = ?, verified_a = ?, "
    "verified_b = ?, said_since_sharing = ?, said_since_ask = ? WHERE room_key = ?"
)


def open_store(data: str) -> RoomStore:
    """`data` is a directory for the SQLite file, a `postgresql://` URL (one server per
    database for now: server/pgstore.py), or `:memory:` for rooms that die with us."""
    if data == MEMORY_DATA:
        return MemoryRoomStore()
    if data.startswith(POSTGRES_SCHEMES):
        # Imported here: a server on SQLite or in memory never loads the driver.
        from server.pgstore import PostgresRoomStore

        return PostgresRoomStore.open(data)
    return SqliteRoomStore.open(Path(data))


def new_epochs(data: str) -> int:
    """Give every room kept in `data` (as `open_store` takes it) a new epoch, and say how many
    rooms there are: after a backup is restored, so that each client that saw events the
    backup lacks is sent the whole log again (docs/deploy.md). StoreError as `open_store`,
    and while a server uses the data."""
    if data == MEMORY_DATA:
        raise StoreError("rooms kept in memory are gone already; there is nothing to renew")
    if data.startswith(POSTGRES_SCHEMES):
        from server.pgstore import PostgresRoomStore

        with closing(PostgresRoomStore.open(data)) as postgres:
            return postgres.new_epochs()
    with closing(SqliteRoomStore.open(Path(data))) as sqlite:
        return sqlite.new_epochs()


def failure_word(exc: sqlite3.Error) -> str:
    """A short name for what went wrong, such as `full` or `ioerr_write`, never SQL or values."""
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str) and name.startswith("SQLITE_"):
        return name.removeprefix("SQLITE_").lower()
    return type(exc).__name__.lower()


_MEANINGS = (
    ("full", "the disk is full"),
    # SQLite's word when the -shm file cannot grow: no space left (or no quota) for it.
    ("ioerr_shmsize", "the disk is full"),
    ("ioerr", "the disk failed to read or write it"),
    ("readonly", "it is read-only"),
    ("cantopen", "it cannot be opened"),
    ("notadb", "it is not a database, or it is damaged"),
    ("corrupt", "it is damaged"),
    ("busy", "another program holds a lock on it"),
    ("locked", "another program holds a lock on it"),
)
"""What each SQLite failure word (or the start of one, `ioerr_write`) means to a person."""


def plainly(word: str) -> str:
    """A failure word as the end of a sentence for stderr or the log, still naming the word."""
    meaning = next((said for start, said in _MEANINGS if word.startswith(start)), "SQLite failed")
    advice = RESTORE if word.startswith(("notadb", "corrupt")) else ""
    return f"{meaning} (SQLite says {word}){advice}"


def _damaged(what: str) -> StoreError:
    """A file SQLite reads well whose rows no Fireside server wrote: `what` names the row's
    kind and the problem, never a value from it (a room's code included)."""
    return StoreError(f"it is damaged: {what}{RESTORE}")


@dataclass
class _Removal:
    """Expired rooms whose rows the writer deletes a chunk at a time, and how it went."""

    rooms: list[tuple[str, str]]
    """Each room by key and label; an earlier removal's leftovers join them when it begins."""
    start: int = 0
    """How many of `rooms` are deleted: the next chunk begins here."""
    failure: StoreError | None = None
    """Why the rest, from `start` on, could not be deleted."""
    done: Future[None] = field(default_factory=Future)

    def answer(self) -> None:
        """Tell whoever removed the rooms how it went: done, or NotRemoved naming the rest."""
        if self.failure is None:
            self.done.set_result(None)
        else:
            labels = [label for _, label in self.rooms[self.start :]]
            self.done.set_exception(NotRemoved(str(self.failure), labels))


class SqliteRoomStore(HeldRooms):
    """Rooms in one SQLite file, read whole at start and written through, a batch at a time.

    One writer thread owns the connection once the file is open: it writes
    and commits each batch handed over by `write`, and deletes what `remove`
    hands it. The event loop's thread only keeps the rooms in memory and
    builds the rows, so a commit's fsync (`synchronous=FULL`) never holds up
    the loop, and the writer, alone on the file, needs no lock of ours around it.
    """

    def __init__(self, db: sqlite3.Connection, path: Path, lock: int) -> None:
        self._db = db
        self.path = path
        self._lock = lock
        self._failure: str | None = None
        """The last write's failure word, until a write succeeds again: what `health` says,
        without asking the connection the writer owns."""
        super().__init__(self._load().values())
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fireside-store")
        self._removals: list[Future[None]] = []
        """Each removal not yet answered: `close` lets its chunks in before the writer stops."""
        self._unremoved: list[tuple[str, str]] = []
        """Rooms forgotten whose rows a removal could not delete, for the next one to begin
        with; only the writer thread touches it."""
        self._closed = False
        self.commits = 0
        """Batches committed since the file was opened: how well the writes are grouped."""
        self._checkpointer = _Checkpointer(path, self._checkpoint_failed)

    @classmethod
    def open(
        cls, directory: Path, *, migrations: Sequence[Migration] = MIGRATIONS
    ) -> "SqliteRoomStore":
        """Open or create `directory`/fireside.sqlite3, bringing its schema up to date.

        Raises StoreError when the directory or file cannot be used, when the
        file belongs to something else or to a newer server, or when another
        server already uses the directory.
        """
        path = directory / DB_FILE
        try:
            # 0700 and 0600: the file holds what people wrote to each other.
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock = _lock_directory(directory)
        except FileExistsError as exc:
            raise StoreError(f"cannot use {directory}: it is not a directory") from exc
        except OSError as exc:
            raise StoreError(f"cannot use {directory}: {exc.strerror or exc}") from exc
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            if path.stat().st_mode & 0o077:  # a file restored or copied in with a looser mode
                os.chmod(path, 0o600)
        except OSError as exc:
            os.close(lock)
            raise StoreError(f"cannot use {path}: {exc.strerror or exc}") from exc
        # Opened here, then used by the writer thread alone: one thread at a time, never two.
        db = sqlite3.connect(path, isolation_level=None, timeout=1.0, check_same_thread=False)
        try:
            _configure(db)
            if migrate(db, migrations):
                # As in `remove`: a step may have deleted rooms (v1 → v2 does), and
                # their zeroed pages go back into the file and out of the WAL.
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return cls(db, path, lock)
        except (sqlite3.Error, StoreError) as exc:
            db.close()
            os.close(lock)
            said = plainly(failure_word(exc)) if isinstance(exc, sqlite3.Error) else str(exc)
            raise StoreError(f"cannot use {path}: {said}") from exc

    def write(self, writes: Writes) -> Future[None]:
        """Hand `writes` to the writer, which writes them in one transaction and commits it with
        one fsync of the WAL (`synchronous=FULL`). Every row is taken now, each room's with the
        state every change in the batch left it in."""
        added = {id(room) for room in writes.added}
        new_rooms, seats, events = batch_rows(writes)
        updates = [
            (room.last_active, *session_values(room.session), room.key)
            for room in writes.rooms
            if id(room) not in added
        ]
        return self._writer.submit(self._write, new_rooms, seats, events, updates)

    def remove(self, rooms: Sequence[Room]) -> Future[None]:
        """Forget `rooms` now; the writer deletes their rows, their words included, REMOVE_CHUNK
        rooms to a transaction, with any batch handed over meanwhile between two chunks, then
        copies the WAL back into the file and truncates it.

        `secure_delete` zeroes the deleted rows in the file's pages; the
        checkpoint moves those pages out of the WAL and empties it, so no old
        copy of the words stays behind in either file. A chunk that fails
        leaves the rest for the next removal, which deletes them first.
        """
        self.forget(rooms)
        removal = _Removal([(room.key, room.label) for room in rooms])
        self._removals = [removing for removing in self._removals if not removing.done()]
        self._removals.append(removal.done)
        self._delete_next(removal)
        return removal.done

    def new_epochs(self) -> int:
        """Give every room a new epoch, in one transaction on the writer; how many rooms."""
        return renew_epochs(
            self.rooms(), lambda rows: self._writer.submit(self._new_epochs, rows).result()
        )

    def _new_epochs(self, rows: list[Row]) -> None:
        with self._transaction():
            self._db.executemany("UPDATE rooms SET epoch = ? WHERE room_key = ?", rows)

    def health(self) -> str:
        """`ok`, `closed`, or a word for the last write that failed; it asks nothing of the file,
        which the writer may be busy with."""
        if self._failure is not None:
            return self._failure
        return "closed" if self._closed else "ok"

    def close(self) -> None:
        """Let the writer finish what it was handed, then close the file (SQLite checkpoints
        and removes the WAL) and let go of the directory's lock."""
        if self._closed:
            return
        self._closed = True
        # A removal queues its next chunk as each is done: the writer must still take them.
        wait(self._removals)
        self._writer.shutdown(wait=True)
        self._checkpointer.stop()
        self._db.close()
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1

    def _write(
        self, new_rooms: list[Row], seats: list[Row], events: list[Row], updates: list[Row]
    ) -> None:
        """On the writer thread: one batch, in one transaction, and its commit. The rooms go
        first, for the seats and events that refer to them; one executemany per table, so
        each statement is looked up once per batch, not once per row."""
        with self._transaction():
            if new_rooms:
                self._db.executemany(_INSERT_ROOM, new_rooms)
            if seats:
                self._db.executemany(_INSERT_SEAT, seats)
            self._db.executemany(_INSERT_EVENT, events)
            if updates:
                self._db.executemany(_UPDATE_ROOM, updates)
        self.commits += 1

    def _delete_next(self, removal: _Removal) -> None:
        """Queue `removal`'s next chunk for the writer, behind whatever was handed to it since."""
        deleting = self._writer.submit(self._delete_chunk, removal)
        deleting.add_done_callback(functools.partial(self._chunk_deleted, removal))

    def _chunk_deleted(self, removal: _Removal, deleting: Future[bool]) -> None:
        """Once a chunk is done (on the writer thread): queue the next, or answer."""
        failed = deleting.exception()
        if failed is not None:
            removal.done.set_exception(failed)
        elif deleting.result():
            self._delete_next(removal)
        else:
            removal.answer()

    def _delete_chunk(self, removal: _Removal) -> bool:
        """On the writer thread: `removal`'s next chunk, in one transaction. True while chunks
        are left; after the last one, or one that failed, the checkpoint."""
        if removal.start == 0:
            removal.rooms += self._unremoved
            self._unremoved = []
        chunk = [key for key, _ in removal.rooms[removal.start : removal.start + REMOVE_CHUNK]]
        try:
            if chunk:
                with self._transaction():
                    for table in ("events", "seats", "rooms"):
                        self._db.executemany(
                            f"DELETE FROM {table} WHERE room_key = ?", [(key,) for key in chunk]
                        )
        except StoreError as exc:
            removal.failure = exc
            self._unremoved += removal.rooms[removal.start :]
        else:
            removal.start += len(chunk)
            if removal.start < len(removal.rooms):
                return True
        if removal.start:
            self._checkpoint()
        return False

    def _checkpoint(self) -> None:
        """Copy the WAL back into the file and empty it; a failure is for `health` to say."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            self._checkpoint_failed(exc)

    def _checkpoint_failed(self, exc: sqlite3.Error) -> None:
        self._failure = failure_word(exc)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction; a failure rolls it back and is raised as StoreError."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            yield
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._abandon()
            self._failure = failure_word(exc)
            raise StoreError(f"cannot write {self.path}: {plainly(self._failure)}") from exc
        except BaseException:
            self._abandon()
            raise
        self._failure = None

    def _abandon(self) -> None:
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolls back on its own after the errors that leave no transaction.

    def _load(self) -> dict[str, Room]:
        """Every room with its seats and log (server/rows.py); StoreError saying what is
        damaged, when a row is not what this server writes."""
        try:
            return rooms_from_rows(
                self._db.execute(f"SELECT {ROOM_COLUMNS} FROM rooms ORDER BY created, room_key"),
                self._db.execute("SELECT room_key, seat, token_hash FROM seats"),
                self._db.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY room_key, seq"),
            )
        except Damaged as exc:
            raise _damaged(str(exc)) from None


class _Checkpointer:
    """A thread with a connection of its own that copies the WAL back into the file every
    CHECKPOINT_INTERVAL, so that no commit waits for a checkpoint.

    SQLite's own checkpoint (`wal_autocheckpoint`, turned off in `_configure`) runs inside
    the commit that takes the WAL past 1,000 pages: that commit waits while the pages are
    copied and the file is fsynced, and so do the events it keeps. A PASSIVE checkpoint
    here takes no lock the writer needs; the writer starts the WAL again from the top at
    its next transaction once every frame is copied. Nothing of durability moves: a commit
    is on the disk once its WAL frames are, checkpointed or not.
    """

    def __init__(self, path: Path, failed: Callable[[sqlite3.Error], None]) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, timeout=1.0, check_same_thread=False)
        self._failed = failed
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fireside-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the checkpoint under way, if any, and close the connection."""
        self._stopping.set()
        self._thread.join()
        self._db.close()

    def _run(self) -> None:
        while not self._stopping.wait(CHECKPOINT_INTERVAL):
            try:
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                self._failed(exc)


def _lock_directory(directory: Path) -> int:
    """Take the data directory for this process, or StoreError if another server has it.

    Two servers on one file would number events from the same `seq`. The lock
    is an flock on a file of its own rather than SQLite's exclusive locking
    mode, so that `sqlite3 .backup` can read the live database (docs/deploy.md,
    Backups); the kernel drops it when the process dies, even by `kill -9`.
    """
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(f"{directory} is in use by another server") from None
    return fd


def _configure(db: sqlite3.Connection) -> None:
    """The PRAGMAs, in the order that makes them work.

    `synchronous=FULL`: every commit waits for the WAL to reach the disk
    before the commit returns, and so before anyone is told of the events in it.
    With NORMAL a commit would survive `kill -9` (the written WAL is in the
    OS's cache) but not a power cut or a kernel panic, after which the server
    would hand out a `seq` that a client already holds for another event. The
    fsync is what a commit costs, so the registry groups the changes of one
    turn of the event loop into one commit, however many rooms they touch, and
    the writer thread waits for it, not the event loop.
    """
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        raise StoreError(f"the database would not use WAL (it says {mode})")
    db.execute("PRAGMA synchronous = FULL")
    # The checkpointer copies the WAL back instead, off the commit's path (`_Checkpointer`).
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> bool:
    """Bring the schema to `len(migrations)` in one transaction, or leave the file as it was.

    True when a step ran.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        application = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
        if application != APPLICATION_ID and (application != 0 or version != 0 or tables):
            raise StoreError("it is not a Fireside data file")
        if version > len(migrations):
            raise StoreError(
                f"it has schema version {version}, written by a newer fireside-server; "
                f"this one knows up to {len(migrations)}"
            )
        for step in migrations[version:]:
            step(db)
        # Both PRAGMAs are part of the transaction: a failed step leaves the old version.
        db.execute(f"PRAGMA user_version = {len(migrations):d}")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return bool(version < len(migrations))
