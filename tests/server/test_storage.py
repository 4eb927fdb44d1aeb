"""The SQLite room store by direct calls: what it keeps, what a restart finds, what failure does."""

import hashlib
import logging
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

import pytest

import server.storage
from server.room import Room
from server.rooms import RoomRegistry
from server.storage import (
    APPLICATION_ID,
    DB_FILE,
    MIGRATIONS,
    RESTORE,
    SCHEMA_VERSION,
    SqliteRoomStore,
    plainly,
)
from server.store import MemoryRoomStore, RoomStore, StoreError, Writes
from shared.errors import ErrorCode, Rejected
from shared.fields import EPOCH_MAX
from shared.messages import Ask, Done, Hello, Leave, Nod, Pake, Say, Verify
from shared.seats import Mode, NodKind, Phase, Seat
from tests.server.fakes import (
    MAC,
    PAKE_MSG,
    CheckingSender,
    RecordingSender,
    hello_box,
    join_pair,
    seat_pair,
)
from tests.timing import seconds

PAIRED = ["joined", "joined", "pake", "pake", "verify", "verify", "hello", "hello"]
"""The log of a room `seat_pair` made: docs/protocol.md, Pairing."""


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the file, committed and closed on the way out: an open one would
    hold a lock that keeps the store out."""
    db = sqlite3.connect(path)
    try:
        with db:
            yield db
    finally:
        db.close()


def registry_on(store: RoomStore, ttl_ms: int = 60_000) -> RoomRegistry:
    return RoomRegistry(store, room_ttl_ms=ttl_ms, max_rooms=100, max_log_bytes=1024 * 1024)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data: Path) -> Iterator[SqliteRoomStore]:
    opened = SqliteRoomStore.open(data)
    try:
        yield opened
    finally:
        opened.close()


def half_a_round(rooms: RoomRegistry) -> Room:
    """A paired pair, an ask, two says with a nod between, and `done`: the asker must reflect."""
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(box=b"\x00sealed: what made you smile today?"), 2_000)
    rooms.act(pair.b, Say(box=b"\x01sealed: the tram driver waved."), 2_100)
    rooms.act(pair.a, Nod(kind=NodKind.HEART, box=b"\x02sealed: heart"), 2_200)
    rooms.act(pair.b, Say(box=bytes(range(256)) * 64), 2_300)
    rooms.act(pair.b, Done(box=b"\x03sealed: {}"), 2_400)
    return pair.a.room


def count(path: Path, table: str, key: str) -> int:
    """Rows of `table` for the room `key`, read from the file with a connection of its own."""
    with raw(path) as db:
        (rows,) = db.execute(f"SELECT count(*) FROM {table} WHERE room_key = ?", (key,)).fetchone()
    assert isinstance(rows, int)
    return rows


def test_a_room_and_its_log_come_back_the_same_from_the_file(data: Path) -> None:
    """Closed and reopened, the store gives back each room's code, session (pairing progress and
    sealed names included), seats and log, every byte of every box as it was."""
    store = SqliteRoomStore.open(data)
    room = half_a_round(registry_on(store))
    store.close()
    again = SqliteRoomStore.open(data)
    try:
        (back,) = again.rooms()
        assert back is not room
        assert (back.code, back.label, back.last_active) == (room.code, room.label, 2_400)
        assert back.session == room.session
        assert back.token_hashes == room.token_hashes
        assert back.log == room.log
        assert back.log.size == room.log.size
        assert [e.kind for e in back.log] == [*PAIRED, "ask", "say", "nod", "say", "done"]
        assert back.log[2].msg == PAKE_MSG
        assert back.log[4].mac == MAC
        assert back.log[6].box == hello_box(Seat.A)
        assert back.log[8].box == b"\x00sealed: what made you smile today?"
        assert back.log[11].box == bytes(range(256)) * 64
        assert back.log[10].nod is NodKind.HEART
        assert back.log[10].box == b"\x02sealed: heart"
        assert back.log[12].box == b"\x03sealed: {}"
        assert back.session.names == {Seat.A: hello_box(Seat.A), Seat.B: hello_box(Seat.B)}
        assert back.session.paked == back.session.verified == {Seat.A, Seat.B}
        assert again.get(room.key) is back
    finally:
        again.close()


def test_seq_goes_on_after_a_reopen_without_a_gap_or_a_repeat(data: Path) -> None:
    """On a reopened file, a seat's token still resumes it and the next event has the next seq."""
    store = SqliteRoomStore.open(data)
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(box=b"sealed: how was the week?"), 2_000)
    store.close()
    store = SqliteRoomStore.open(data)
    try:
        rooms = registry_on(store)
        a_out, b_out = RecordingSender(), RecordingSender()
        a = rooms.resume(a_out, pair.a.room.code, pair.a_token, 9, 3_000)
        b = rooms.resume(b_out, pair.a.room.code, pair.b_token, 9, 3_001)
        rooms.act(b, Say(box=b"sealed: long."), 3_002)
        assert [e.seq for e in a.room.log] == list(range(1, 13))
        assert [(m["seq"], m["kind"]) for m in a_out.take()[1:]] == [(11, "back"), (12, "say")]
        assert [(m["seq"], m["kind"]) for m in b_out.take()[1:]] == [(12, "say")]
        assert b.room.session.phase is Phase.SHARING
    finally:
        store.close()
    with raw(data / DB_FILE) as db:
        seqs = [seq for (seq,) in db.execute("SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, 13))


def test_a_restart_records_away_for_every_member_the_file_had_online(data: Path) -> None:
    """`recover` after an unclean stop records `away` for each seat left online; `back` follows."""
    store = SqliteRoomStore.open(data)
    pair = seat_pair(registry_on(store))
    store.close()  # no drop was recorded: as after kill -9
    store = SqliteRoomStore.open(data)
    try:
        rooms = registry_on(store)
        rooms.recover(5_000)
        (room,) = store.rooms()
        assert [(e.seq, e.kind, e.by, e.at) for e in room.log[8:]] == [
            (9, "away", Seat.A, 5_000),
            (10, "away", Seat.B, 5_000),
        ]
        assert room.session.online == {Seat.A: False, Seat.B: False}
        rooms.recover(5_001)
        assert len(room.log) == 10, "a second recover finds nobody online and records nothing"
        out = RecordingSender()
        rooms.resume(out, room.code, pair.b_token, 8, 6_000)
        assert [e["kind"] for e in out.take()[0]["events"]] == ["away", "away", "back"]
    finally:
        store.close()


def test_recover_removes_rooms_that_expired_while_the_server_was_down(data: Path) -> None:
    """A room idle past the TTL when the server comes back is deleted, not revived by an `away`."""
    store = SqliteRoomStore.open(data)
    seat_pair(registry_on(store), now=1_000)
    store.close()
    store = SqliteRoomStore.open(data)
    try:
        registry_on(store, ttl_ms=10_000).recover(11_000)
        assert store.rooms() == []
    finally:
        store.close()
    with raw(data / DB_FILE) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_an_expired_room_loses_its_rows_and_its_words_and_other_rooms_keep_theirs(
    data: Path, store: SqliteRoomStore
) -> None:
    """The sweep deletes an idle room's rows, leaves no copy of its boxes, and keeps the others."""
    words = b"marmalade-zebra-7731 sealed, still not to be left behind"
    rooms = registry_on(store, ttl_ms=10_000)
    idle = seat_pair(rooms, now=0)
    rooms.act(idle.a, Ask(box=words), 0)
    busy = seat_pair(rooms, now=0)
    rooms.act(busy.a, Ask(box=b"sealed: still here?"), 5_000)
    assert rooms.sweep(10_000) == [idle.a.room]
    path = data / DB_FILE
    assert Path(f"{path}-wal").stat().st_size == 0, "the WAL still holds the deleted pages"
    assert words not in path.read_bytes()
    store.close()
    for table, idle_rows, busy_rows in (("rooms", 0, 1), ("seats", 0, 2), ("events", 0, 9)):
        assert count(path, table, idle.a.room.key) == idle_rows, table
        assert count(path, table, busy.a.room.key) == busy_rows, table


def test_every_event_is_committed_before_anyone_is_told(store: SqliteRoomStore) -> None:
    """Each event a member receives, alone or in `joined`, is a committed row when it is sent."""
    rooms = registry_on(store)
    a_out, b_out = CheckingSender(store.path), CheckingSender(store.path)
    a = rooms.create(a_out, 1_000)
    b = rooms.join(b_out, a.room.code, 1_001)
    for message in (Pake(msg=PAKE_MSG), Verify(mac=MAC), Hello(box=b"sealed name")):
        rooms.act(a, message, 1_002)
        rooms.act(b, message, 1_002)
    rooms.act(a, Ask(box=b"sealed: ready?"), 1_002)
    rooms.drop(a, 1_003)
    again = CheckingSender(store.path)
    a = rooms.resume(again, a.room.code, a_out.sent[0]["token"], 10, 1_004)
    rooms.act(b, Say(box=b"sealed: yes."), 1_005)
    rooms.act(b, Leave(), 1_006)
    assert [m["kind"] for m in b_out.sent if m["t"] == "event"] == [
        *PAIRED[2:],
        "ask",
        "away",
        "back",
        "say",
        "left",
    ]


def test_no_commit_checkpoints_yet_the_wal_comes_back_into_the_file_on_its_own(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every commit still waits for the WAL on the disk (`synchronous=FULL`) but never for a
    checkpoint, which the store's own thread runs: soon after the events are kept, the file
    alone, copied without its WAL, holds them all."""
    monkeypatch.setattr(server.storage, "CHECKPOINT_INTERVAL", 0.02)
    store = SqliteRoomStore.open(data)
    try:
        assert store._db.execute("PRAGMA synchronous").fetchone() == (2,), "FULL"
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        room = half_a_round(registry_on(store))
        copy = tmp_path / "alone.sqlite3"
        deadline = time.monotonic() + seconds(10)
        while True:
            shutil.copyfile(data / DB_FILE, copy)
            with raw(copy) as alone:
                (kept,) = alone.execute("SELECT count(*) FROM events").fetchone()
            if kept == len(room.log) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert kept == len(room.log)
    finally:
        store.close()


class FlakyStore(MemoryRoomStore):
    """A memory store that fails while `failing` is set, as a full disk's would: at `at`,
    either at the `write` itself (it raises) or only at the commit after it (its future
    fails). Either way the whole batch is lost, as SQLite's can be."""

    def __init__(self, at: str) -> None:
        super().__init__()
        self.at = at
        self.failing = False

    def write(self, writes: Writes) -> Future[None]:
        if self.failing and self.at == "write":
            raise StoreError("full")
        if self.failing and self.at == "commit":
            lost: Future[None] = Future()
            lost.set_exception(StoreError("full"))
            return lost
        return super().write(writes)


@pytest.fixture(params=["write", "commit"])
def flaky(request: pytest.FixtureRequest) -> FlakyStore:
    """A FlakyStore failing at each write, and one failing only at the commit."""
    return FlakyStore(request.param)


def test_a_move_the_store_cannot_keep_is_refused_changes_nothing_and_is_told_to_nobody(
    flaky: FlakyStore,
) -> None:
    """A move whose write or commit fails is answered `rate_limited`, tells neither member, and
    the retry gets seq 9."""
    rooms = registry_on(flaky)
    pair = seat_pair(rooms, now=1_000)
    room = pair.a.room
    flaky.failing = True
    with pytest.raises(Rejected) as refused:
        rooms.act(pair.a, Ask(box=b"sealed: how are you?"), 2_000)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    assert (pair.a_out.take(), pair.b_out.take()) == ([], [])
    assert (len(room.log), room.session.phase, room.last_active) == (8, Phase.ASKING, 1_000)
    flaky.failing = False
    rooms.act(pair.a, Ask(box=b"sealed: how are you?"), 2_001)
    for out in (pair.a_out, pair.b_out):
        assert [(m["seq"], m["kind"]) for m in out.take()] == [(9, "ask")]


def test_a_pairing_step_the_store_cannot_keep_leaves_the_pairing_where_it_was(
    flaky: FlakyStore,
) -> None:
    """A `hello` not kept is refused: no sealed name is set, the room still waits, and the same
    `hello` is taken once the store writes again."""
    rooms = registry_on(flaky)
    pair = join_pair(rooms)
    for message in (Pake(msg=PAKE_MSG), Verify(mac=MAC)):
        rooms.act(pair.a, message, 1_000)
        rooms.act(pair.b, message, 1_000)
    rooms.act(pair.a, Hello(box=hello_box(Seat.A)), 1_000)
    flaky.failing = True
    with pytest.raises(Rejected):
        rooms.act(pair.b, Hello(box=hello_box(Seat.B)), 2_000)
    session = pair.a.room.session
    assert (session.phase, session.names[Seat.B]) == (Phase.WAITING, None)
    flaky.failing = False
    rooms.act(pair.b, Hello(box=hello_box(Seat.B)), 2_001)
    assert (session.phase, session.names[Seat.B]) == (Phase.ASKING, hello_box(Seat.B))


def test_a_leave_the_store_cannot_keep_ends_nothing_and_closes_no_one(flaky: FlakyStore) -> None:
    """A `leave` that is not kept is refused: the room goes on and the leaver stays open."""
    rooms = registry_on(flaky)
    pair = seat_pair(rooms)
    flaky.failing = True
    with pytest.raises(Rejected):
        rooms.act(pair.a, Leave(), 2_000)
    assert pair.a_out.closed is None
    assert pair.a.current
    assert pair.a.room.session.phase is Phase.ASKING
    assert pair.b_out.take() == []


def test_a_create_or_join_the_store_cannot_keep_makes_no_room_and_takes_no_seat(
    flaky: FlakyStore,
) -> None:
    """A refused `create` leaves no room; a refused `join` leaves seat b free and a untold."""
    rooms = registry_on(flaky)
    flaky.failing = True
    lost = RecordingSender()
    with pytest.raises(Rejected):
        rooms.create(lost, 1_000)
    assert (rooms.room_count, lost.sent) == (0, [])
    flaky.failing = False
    a_out = RecordingSender()
    a = rooms.create(a_out, 1_000)
    a_out.take()
    flaky.failing = True
    with pytest.raises(Rejected):
        rooms.join(RecordingSender(), a.room.code, 1_001)
    assert list(a.room.token_hashes) == [Seat.A]
    assert a.room.session.names[Seat.B] is None
    assert a_out.take() == []
    flaky.failing = False
    rooms.join(RecordingSender(), a.room.code, 1_002)
    assert [(m["seq"], m["kind"]) for m in a_out.take()] == [(2, "joined")]


def test_an_away_or_back_the_store_cannot_keep_is_told_to_no_one(flaky: FlakyStore) -> None:
    """A drop not kept tells the partner nothing; a resume not kept is refused and seats no one."""
    rooms = registry_on(flaky)
    pair = seat_pair(rooms)
    flaky.failing = True
    rooms.drop(pair.b, 2_000)
    assert pair.a_out.take() == []
    assert len(pair.a.room.log) == 8
    again = RecordingSender()
    with pytest.raises(Rejected):
        rooms.resume(again, pair.a.room.code, pair.b_token, 8, 2_001)
    assert again.sent == []
    assert Seat.B not in pair.a.room.senders
    flaky.failing = False
    rooms.resume(again, pair.a.room.code, pair.b_token, 8, 2_002)
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(9, "back")]


@pytest.mark.parametrize("then", ["sweep", "restart"])
def test_rows_a_sweep_cannot_delete_are_logged_by_label_and_deleted_later(
    data: Path, then: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An expired room whose rows cannot be deleted is still forgotten and its members closed;
    the log names it by label, never its code, and the next sweep or start deletes the rows."""
    store = SqliteRoomStore.open(data)
    rooms = registry_on(store, ttl_ms=10_000)
    pair = seat_pair(rooms, now=0)
    room = pair.a.room
    store._db.execute("PRAGMA query_only = ON")  # the writer is idle: its writes now fail
    with caplog.at_level(logging.ERROR, logger="server.rooms"):
        assert rooms.sweep(10_000) == [room]
    assert pair.a_out.closed == pair.b_out.closed == (1001, "the room expired")
    assert (store.get(room.key), rooms.room_count) == (None, 0)
    assert count(data / DB_FILE, "events", room.key) == 8
    (line,) = caplog.messages
    assert f"room {room.label} not removed" in line
    assert "readonly" in line
    assert room.key not in caplog.text
    assert room.code not in caplog.text
    store._db.execute("PRAGMA query_only = OFF")
    if then == "restart":
        store.close()
        store = SqliteRoomStore.open(data)
        registry_on(store, ttl_ms=10_000).recover(10_001)
    else:
        assert rooms.sweep(10_001) == []
    store.close()
    for table in ("rooms", "seats", "events"):
        assert count(data / DB_FILE, table, room.key) == 0, table


def test_a_full_disk_refuses_the_move_names_it_in_health_and_the_retry_follows_on(
    data: Path, store: SqliteRoomStore
) -> None:
    """When the file cannot grow, a long `say` is refused and health says `full`; then it fits."""
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(box=b"sealed: tell me everything?"), 2_000)
    pair.a_out.take()
    pair.b_out.take()
    db = store._db  # max_page_count holds per connection: limit the store's own
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages}")
    long_say = Say(box=b"\xe9" * 16_400)
    with pytest.raises(Rejected) as refused:
        rooms.act(pair.b, long_say, 2_100)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    assert (pair.a_out.take(), pair.b_out.take()) == ([], [])
    assert store.health() == "full"
    db.execute("PRAGMA max_page_count = 1000000")
    rooms.act(pair.b, long_say, 2_200)
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(10, "say")]
    assert store.health() == "ok"
    store.close()
    again = SqliteRoomStore.open(data)
    try:
        assert [e.seq for e in again.rooms()[0].log] == list(range(1, 11))
    finally:
        again.close()


V1_TABLES = (
    """CREATE TABLE rooms (
        room_key TEXT PRIMARY KEY, code TEXT NOT NULL, label TEXT NOT NULL,
        created INTEGER NOT NULL, last_active INTEGER NOT NULL, phase TEXT NOT NULL,
        round INTEGER NOT NULL, asker TEXT NOT NULL, name_a TEXT, name_b TEXT,
        online_a INTEGER NOT NULL, online_b INTEGER NOT NULL,
        said_since_sharing INTEGER NOT NULL, said_since_ask INTEGER NOT NULL)""",
    """CREATE TABLE seats (
        room_key TEXT NOT NULL REFERENCES rooms (room_key),
        seat TEXT NOT NULL CHECK (seat IN ('a', 'b')), token_hash BLOB NOT NULL,
        PRIMARY KEY (room_key, seat))""",
    """CREATE TABLE events (
        room_key TEXT NOT NULL REFERENCES rooms (room_key), seq INTEGER NOT NULL CHECK (seq >= 1),
        at INTEGER NOT NULL, kind TEXT NOT NULL,
        by_seat TEXT NOT NULL CHECK (by_seat IN ('a', 'b')), text TEXT, card TEXT, nod TEXT,
        phase TEXT NOT NULL, round INTEGER NOT NULL, asker TEXT NOT NULL, name_a TEXT,
        name_b TEXT, online_a INTEGER NOT NULL, online_b INTEGER NOT NULL,
        PRIMARY KEY (room_key, seq))""",
)
"""Schema version 1 as released, frozen here: a file written by it must open with today's code."""

V1_TOKEN = "v1-token-for-seat-b-of-this-room"
V1_WORDS = "The walk by the canal-7731."
"""What b said in the v1 room: it must be gone from the file once it is v2."""


def write_v1_file(data: Path) -> None:
    """A version-1 file as a v1 server left it after a kill: b has said something, both online."""
    data.mkdir(mode=0o700)
    with raw(data / DB_FILE) as db:
        for statement in V1_TABLES:
            db.execute(statement)
        names = ("Ann", "Bo")
        db.execute(
            "INSERT INTO rooms VALUES ('ABCDEFGHJK', 'ABCDE-FGHJK', 'feedf00d', 1000, 1300, "
            "'sharing', 1, 'a', ?, ?, 1, 1, 1, 1)",
            names,
        )
        db.execute(
            "INSERT INTO seats VALUES ('ABCDEFGHJK', 'b', ?)",
            (hashlib.sha256(V1_TOKEN.encode()).digest(),),
        )
        db.execute("INSERT INTO seats VALUES ('ABCDEFGHJK', 'a', x'00')")
        for seq, at, kind, by, text, phase, online_b in (
            (1, 1000, "joined", "a", None, "waiting", 0),
            (2, 1100, "joined", "b", None, "asking", 1),
            (3, 1200, "ask", "a", "What was good?", "sharing", 1),
            (4, 1300, "say", "b", V1_WORDS, "sharing", 1),
        ):
            db.execute(
                "INSERT INTO events VALUES ('ABCDEFGHJK', ?, ?, ?, ?, ?, NULL, NULL, ?, 1, 'a', "
                "?, ?, 1, ?)",
                (seq, at, kind, by, text, phase, *names, online_b),
            )
        db.execute("PRAGMA user_version = 1")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def test_a_version_1_file_loses_its_rooms_and_its_words_and_then_works_as_v2(data: Path) -> None:
    """Opening a frozen v1 file migrates it to v2: every fireside.1 room is deleted (its rows in
    all three tables, and its words from the file and the WAL), the columns are v2's, and a
    fireside.2 room then pairs, is kept, and comes back after a reopen."""
    write_v1_file(data)
    path = data / DB_FILE
    assert V1_WORDS.encode() in path.read_bytes()
    store = SqliteRoomStore.open(data)
    try:
        assert store.rooms() == []
        assert store.get("ABCDEFGHJK") is None
        wal = Path(f"{path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        assert V1_WORDS.encode() not in path.read_bytes()
        assert b"Ann" not in path.read_bytes()
        rooms = registry_on(store)
        with pytest.raises(Rejected) as gone:
            rooms.resume(RecordingSender(), "abcde fghjk", V1_TOKEN, 0, 2_000)
        assert gone.value.code is ErrorCode.NO_ROOM
        pair = seat_pair(rooms, now=2_001)
        rooms.act(pair.a, Ask(box=b"\x00sealed"), 2_002)
    finally:
        store.close()
    with raw(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (4,)
        assert db.execute("SELECT count(*) FROM seats").fetchone() == (2,)
        events = [row[1] for row in db.execute("PRAGMA table_info(events)")]
        rooms_columns = [row[1] for row in db.execute("PRAGMA table_info(rooms)")]
    assert "sealed" in events
    assert not {"text", "card"} & set(events)
    assert {"paked_a", "verified_b"} <= set(rooms_columns)
    again = SqliteRoomStore.open(data)
    try:
        (room,) = again.rooms()
        assert room.log[-1].box == b"\x00sealed"
        assert room.session.names == {Seat.A: hello_box(Seat.A), Seat.B: hello_box(Seat.B)}
    finally:
        again.close()


def test_a_v2_file_refuses_text_where_sealed_bytes_belong(
    data: Path, store: SqliteRoomStore
) -> None:
    """The v2 columns for what members sealed take BLOBs only: text written there by hand (or
    by a bug) is refused by the file itself."""
    seat_pair(registry_on(store))
    store.close()
    with pytest.raises(sqlite3.IntegrityError), raw(data / DB_FILE) as db:
        db.execute("UPDATE events SET sealed = 'plain words' WHERE seq = 7")
    with pytest.raises(sqlite3.IntegrityError), raw(data / DB_FILE) as db:
        db.execute("UPDATE rooms SET name_a = 'Ann'")


def test_migrations_run_once_each_in_order_up_to_the_newest(data: Path) -> None:
    """A step added after the newest runs once on a v2 file, which keeps its rooms."""
    store = SqliteRoomStore.open(data)
    seat_pair(registry_on(store))
    code = store.rooms()[0].code
    store.close()
    ran: list[int] = []

    def add_notes(db: sqlite3.Connection) -> None:
        ran.append(SCHEMA_VERSION + 1)
        db.execute("ALTER TABLE rooms ADD COLUMN note TEXT")

    for _ in range(2):
        SqliteRoomStore.open(data, migrations=(*MIGRATIONS, add_notes)).close()
    assert ran == [SCHEMA_VERSION + 1]
    with raw(data / DB_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
        assert db.execute("SELECT note, code FROM rooms").fetchall() == [(None, code)]


def test_a_version_2_file_gives_each_room_an_epoch_of_its_own(data: Path) -> None:
    """v2 → v3 gives every room already kept a random epoch from 1 to 2^31 - 1, each its own
    (docs/protocol.md, Drops, resume and leave), and keeps the rooms."""
    data.mkdir(mode=0o700)
    codes = [f"ABCDE-FGH{tail}" for tail in ("JK", "JM", "JN", "JP")]
    with raw(data / DB_FILE) as db:
        for step in MIGRATIONS[:2]:
            step(db)
        db.execute("PRAGMA user_version = 2")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for code in codes:
            db.execute(
                "INSERT INTO rooms VALUES (?, ?, 'feedf00d', 1000, 1300, 'waiting', 1, 'a', "
                "NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0)",
                (code.replace("-", ""), code),
            )
    store = SqliteRoomStore.open(data)
    try:
        epochs = {room.code: room.epoch for room in store.rooms()}
    finally:
        store.close()
    assert sorted(epochs) == codes
    assert all(1 <= epoch <= EPOCH_MAX for epoch in epochs.values())
    assert len(set(epochs.values())) == len(codes)


def test_a_version_3_file_keeps_its_rooms_as_live_ones_and_takes_letters_rooms(
    data: Path,
) -> None:
    """v3 → v4 gives `rooms` a `mode`: every room already kept is live (no server before
    letters made any other) and keeps its epoch; a letters room is kept as one from then on,
    and a mode no server writes is refused by the file itself."""
    data.mkdir(mode=0o700)
    with raw(data / DB_FILE) as db:
        for step in MIGRATIONS[:3]:
            step(db)
        db.execute("PRAGMA user_version = 3")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(
            "INSERT INTO rooms VALUES ('ABCDEFGHJK', 'ABCDE-FGHJK', 'feedf00d', 1000, 1300, "
            "'waiting', 1, 'a', NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 77)"
        )
    store = SqliteRoomStore.open(data)
    try:
        (old,) = store.rooms()
        assert (old.session.mode, old.epoch) == (Mode.LIVE, 77)
        letters = registry_on(store).create(RecordingSender(), 2_000, mode=Mode.LETTERS)
    finally:
        store.close()
    with raw(data / DB_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("UPDATE rooms SET mode = 'chat'")
    again = SqliteRoomStore.open(data)
    try:
        modes = {room.code: room.session.mode for room in again.rooms()}
    finally:
        again.close()
    assert modes == {"ABCDE-FGHJK": Mode.LIVE, letters.room.code: Mode.LETTERS}


def test_a_failed_migration_leaves_the_file_at_its_old_version(data: Path) -> None:
    """A step that fails half way is rolled back whole, the v1 → v2 step before it too: the file
    still says v1, still holds its room, and then migrates."""
    write_v1_file(data)

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE rooms ADD COLUMN note TEXT")
        db.execute("SELECT no_such_column FROM rooms")

    with pytest.raises(StoreError, match="cannot use"):
        SqliteRoomStore.open(data, migrations=(*MIGRATIONS, half_done))
    with raw(data / DB_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        columns = [row[1] for row in db.execute("PRAGMA table_info(rooms)")]
        assert db.execute("SELECT count(*) FROM events").fetchone() == (4,)
    assert "note" not in columns
    assert "name_a" in columns
    SqliteRoomStore.open(data).close()


@pytest.mark.parametrize(
    ("prepare", "says"),
    [
        ("PRAGMA user_version = 99", "newer fireside-server"),
        ("CREATE TABLE photos (id INTEGER)", "not a Fireside data file"),
    ],
)
def test_a_newer_or_foreign_file_is_refused_untouched(data: Path, prepare: str, says: str) -> None:
    """A file from a newer server or from another program is refused with a reason, untouched."""
    data.mkdir()
    with raw(data / DB_FILE) as db:
        if "user_version" in prepare:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(prepare)
        before = db.execute("SELECT sql FROM sqlite_schema").fetchall()
    with pytest.raises(StoreError, match=says):
        SqliteRoomStore.open(data)
    with raw(data / DB_FILE) as db:
        assert db.execute("SELECT sql FROM sqlite_schema").fetchall() == before


def test_the_data_directory_is_0700_and_its_files_0600(data: Path, store: SqliteRoomStore) -> None:
    """The directory the store makes is 0700; the database and its WAL are 0600."""
    seat_pair(registry_on(store))
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in (DB_FILE, f"{DB_FILE}-wal"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def test_a_second_store_on_the_same_data_is_refused(data: Path, store: SqliteRoomStore) -> None:
    """While one store holds the file, opening it again fails and says another server has it."""
    seat_pair(registry_on(store))
    with pytest.raises(StoreError, match="in use by another server"):
        SqliteRoomStore.open(data)
    assert store.health() == "ok"


def test_the_live_database_can_be_backed_up_while_the_server_runs(
    data: Path, store: SqliteRoomStore, tmp_path: Path
) -> None:
    """Another process's `.backup` reads the open database whole, as docs/deploy.md tells."""
    pair = seat_pair(registry_on(store))
    copy = tmp_path / "backup.sqlite3"
    with raw(data / DB_FILE) as live, raw(copy) as backup:
        live.backup(backup)
    with raw(copy) as backup:
        kept = backup.execute("SELECT count(*) FROM events").fetchone()[0]
    assert kept == len(pair.a.room.log) == 8
    assert store.health() == "ok"


def test_a_data_file_copied_in_with_a_loose_mode_is_made_0600(data: Path) -> None:
    """A restored file readable by others is tightened to 0600 when the store opens it."""
    SqliteRoomStore.open(data).close()
    (data / DB_FILE).chmod(0o644)
    SqliteRoomStore.open(data).close()
    assert stat.S_IMODE((data / DB_FILE).stat().st_mode) == 0o600


UNCHECKED = "PRAGMA ignore_check_constraints = ON"
"""Lets a plain connection write what the schema's CHECKs refuse, as a bad edit or disk can."""

DAMAGE = [
    (["UPDATE events SET kind = 'gossip' WHERE seq = 3"], "an event has an unknown kind"),
    ([UNCHECKED, "UPDATE events SET by_seat = 'c' WHERE seq = 3"], "an event has an unknown seat"),
    (["UPDATE events SET nod = 'wink' WHERE seq = 3"], "an event has an unknown nod"),
    (["UPDATE rooms SET phase = 'dancing'"], "a room has an unknown phase"),
    (["UPDATE rooms SET asker = 'c'"], "a room has an unknown asker"),
    (["UPDATE rooms SET round = 'one'"], "a room has a round that is not a number"),
    (["UPDATE rooms SET code = 'AAAAA-AAAAA'"], "a room has a code that is not its key"),
    ([UNCHECKED, "UPDATE seats SET seat = 'c' WHERE seat = 'b'"], "a seat row has an unknown seat"),
    (["UPDATE seats SET token_hash = 'abc'"], "a seat row has a token hash that is not bytes"),
    (["DELETE FROM events", "DELETE FROM rooms"], "a seat row belongs to no room"),
    (["DELETE FROM seats", "DELETE FROM rooms"], "an event belongs to no room"),
]
"""Each way a file SQLite reads well can hold rows no Fireside server wrote, and what it says."""


@pytest.mark.parametrize(("statements", "says"), DAMAGE)
def test_a_damaged_file_is_refused_saying_what_is_wrong_and_never_a_code(
    data: Path, statements: list[str], says: str
) -> None:
    """A file whose rows hold an unknown value, or seats and events of no room, is refused with
    StoreError naming the problem and the backup, and the room's code appears nowhere in it."""
    store = SqliteRoomStore.open(data)
    room = seat_pair(registry_on(store)).a.room
    store.close()
    db = sqlite3.connect(data / DB_FILE, isolation_level=None)  # foreign keys off, as by default
    try:
        for statement in statements:
            db.execute(statement)
    finally:
        db.close()
    with pytest.raises(StoreError) as refused:
        SqliteRoomStore.open(data)
    said = str(refused.value)
    assert said == f"cannot use {data / DB_FILE}: it is damaged: {says}{RESTORE}"
    assert room.key not in said


def test_a_log_with_a_gap_is_damaged_and_named_by_label(data: Path) -> None:
    """A room whose log skips a `seq` is refused as damaged, naming the room by its label."""
    store = SqliteRoomStore.open(data)
    room = seat_pair(registry_on(store)).a.room
    store.close()
    with raw(data / DB_FILE) as db:
        db.execute("UPDATE events SET seq = 20 WHERE seq = 8")
    with pytest.raises(StoreError, match=f"it is damaged: room {room.label}'s log skips from 7"):
        SqliteRoomStore.open(data)


@pytest.mark.parametrize(
    ("word", "says"),
    [
        ("full", "the disk is full"),
        ("ioerr_shmsize", "the disk is full"),
        ("ioerr_write", "the disk failed to read or write it"),
        ("readonly", "it is read-only"),
        ("readonly_dbmoved", "it is read-only"),
        ("cantopen", "it cannot be opened"),
        ("busy", "another program holds a lock on it"),
        ("locked_sharedcache", "another program holds a lock on it"),
        ("constraint", "SQLite failed"),
    ],
)
def test_each_sqlite_failure_word_reads_as_plain_words_and_still_names_the_word(
    word: str, says: str
) -> None:
    """A failure word becomes what it means to a person, followed by the word itself."""
    assert plainly(word) == f"{says} (SQLite says {word})"


@pytest.mark.parametrize(
    ("word", "says"),
    [("notadb", "it is not a database, or it is damaged"), ("corrupt_index", "it is damaged")],
)
def test_a_damaged_database_word_says_to_restore_from_a_backup(word: str, says: str) -> None:
    """The words for a file SQLite cannot read as its own send the reader to the backup."""
    assert plainly(word) == f"{says} (SQLite says {word}){RESTORE}"
