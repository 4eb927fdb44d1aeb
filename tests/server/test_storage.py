"""The SQLite room store by direct calls: what it keeps, what a restart finds, what failure does."""

import hashlib
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from server.rooms import MemoryRoomStore, Room, RoomRegistry, StoreError
from server.storage import (
    APPLICATION_ID,
    DB_FILE,
    MIGRATIONS,
    SCHEMA_VERSION,
    SqliteRoomStore,
)
from shared.errors import ErrorCode, Rejected
from shared.events import Event, Joined, Reply
from shared.messages import Ask, Done, Leave, Nod, Say
from shared.seats import NodKind, Phase, Seat
from tests.server.fakes import RecordingSender, seat_pair


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


def registry_on(store: SqliteRoomStore | MemoryRoomStore, ttl_ms: int = 60_000) -> RoomRegistry:
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
    """A seated pair, an ask, two says with a nod between, and `done`: the asker must reflect."""
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(text="What made you smile today?", card="warm-1"), 2_000)
    rooms.act(pair.b, Say(text="The tram driver waved."), 2_100)
    rooms.act(pair.a, Nod(kind=NodKind.HEART), 2_200)
    rooms.act(pair.b, Say(text="And the bread was still warm.\nTwice."), 2_300)
    rooms.act(pair.b, Done(), 2_400)
    return pair.a.room


def count(path: Path, table: str, key: str) -> int:
    """Rows of `table` for the room `key`, read from the file with a connection of its own."""
    with raw(path) as db:
        (rows,) = db.execute(f"SELECT count(*) FROM {table} WHERE room_key = ?", (key,)).fetchone()
    assert isinstance(rows, int)
    return rows


def test_a_room_and_its_log_come_back_the_same_from_the_file(data: Path) -> None:
    """Closed and reopened, the store gives back each room's code, session, seats and log."""
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
        assert back.log_bytes == room.log_bytes
        assert [e.kind for e in back.log] == [
            "joined",
            "joined",
            "ask",
            "say",
            "nod",
            "say",
            "done",
        ]
        assert back.log[2].card == "warm-1"
        assert back.log[4].nod is NodKind.HEART
        assert again.get(room.key) is back
    finally:
        again.close()


def test_seq_goes_on_after_a_reopen_without_a_gap_or_a_repeat(data: Path) -> None:
    """On a reopened file, a seat's token still resumes it and the next event has the next seq."""
    store = SqliteRoomStore.open(data)
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(text="How was the week?"), 2_000)
    store.close()
    store = SqliteRoomStore.open(data)
    try:
        rooms = registry_on(store)
        a_out, b_out = RecordingSender(), RecordingSender()
        a = rooms.resume(a_out, pair.a.room.code, pair.a_token, 3, 3_000)
        b = rooms.resume(b_out, pair.a.room.code, pair.b_token, 3, 3_001)
        rooms.act(b, Say(text="Long."), 3_002)
        assert [e.seq for e in a.room.log] == [1, 2, 3, 4, 5, 6]
        assert [(m["seq"], m["kind"]) for m in a_out.take()[1:]] == [(5, "back"), (6, "say")]
        assert [(m["seq"], m["kind"]) for m in b_out.take()[1:]] == [(6, "say")]
        assert b.room.session.phase is Phase.SHARING
    finally:
        store.close()
    with raw(data / DB_FILE) as db:
        seqs = [seq for (seq,) in db.execute("SELECT seq FROM events ORDER BY seq")]
    assert seqs == [1, 2, 3, 4, 5, 6]


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
        assert [(e.seq, e.kind, e.by, e.at) for e in room.log[2:]] == [
            (3, "away", Seat.A, 5_000),
            (4, "away", Seat.B, 5_000),
        ]
        assert room.session.online == {Seat.A: False, Seat.B: False}
        rooms.recover(5_001)
        assert len(room.log) == 4, "a second recover finds nobody online and records nothing"
        out = RecordingSender()
        rooms.resume(out, room.code, pair.b_token, 2, 6_000)
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
    """The sweep deletes an idle room's rows, leaves no copy of its words, and keeps the others."""
    words = "marmalade-zebra-7731 is what I never told anyone"
    rooms = registry_on(store, ttl_ms=10_000)
    idle = seat_pair(rooms, now=0)
    rooms.act(idle.a, Ask(text=words), 0)
    busy = seat_pair(rooms, now=0)
    rooms.act(busy.a, Ask(text="Still here?"), 5_000)
    assert rooms.sweep(10_000) == [idle.a.room]
    path = data / DB_FILE
    assert Path(f"{path}-wal").stat().st_size == 0, "the WAL still holds the deleted pages"
    assert words.encode() not in path.read_bytes()
    store.close()
    for table, idle_rows, busy_rows in (("rooms", 0, 1), ("seats", 0, 2), ("events", 0, 3)):
        assert count(path, table, idle.a.room.key) == idle_rows, table
        assert count(path, table, busy.a.room.key) == busy_rows, table


class CheckingSender(RecordingSender):
    """Records replies, checking first that every event in them is already a committed row."""

    def __init__(self, store: SqliteRoomStore) -> None:
        super().__init__()
        self.store = store

    def send(self, reply: Reply) -> None:
        events = reply.events if isinstance(reply, Joined) else (reply,)
        db = self.store._db  # the store's own connection sees what it committed
        assert not db.in_transaction
        for event in events:
            if isinstance(event, Event):
                kept = db.execute("SELECT count(*) FROM events WHERE seq = ?", (event.seq,))
                assert kept.fetchone() == (1,), f"seq {event.seq} was told before its commit"
        super().send(reply)


def test_every_event_is_committed_before_anyone_is_told(store: SqliteRoomStore) -> None:
    """Each event a member receives, alone or in `joined`, is a committed row when it is sent."""
    rooms = registry_on(store)
    a_out, b_out = CheckingSender(store), CheckingSender(store)
    a = rooms.create(a_out, "Ann", 1_000)
    b = rooms.join(b_out, a.room.code, "Bo", 1_001)
    rooms.act(a, Ask(text="Ready?"), 1_002)
    rooms.drop(a, 1_003)
    again = CheckingSender(store)
    a = rooms.resume(again, a.room.code, a_out.sent[0]["token"], 4, 1_004)
    rooms.act(b, Say(text="Yes."), 1_005)
    rooms.act(b, Leave(), 1_006)
    assert [m["kind"] for m in b_out.sent if m["t"] == "event"] == [
        "ask",
        "away",
        "back",
        "say",
        "left",
    ]


class FlakyStore(MemoryRoomStore):
    """A memory store whose writes fail while `failing` is set, as a full disk's would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def _write(self) -> None:
        if self.failing:
            raise StoreError("full")

    def add(self, room: Room) -> None:
        self._write()
        super().add(room)

    def append(self, room: Room, event: Event) -> None:
        self._write()

    def remove(self, key: str) -> None:
        self._write()
        super().remove(key)


def test_a_move_the_store_cannot_keep_is_refused_changes_nothing_and_is_told_to_nobody() -> None:
    """A failed write answers `rate_limited`, tells neither member, and the retry gets seq 3."""
    store = FlakyStore()
    rooms = registry_on(store)
    pair = seat_pair(rooms, now=1_000)
    room = pair.a.room
    store.failing = True
    with pytest.raises(Rejected) as refused:
        rooms.act(pair.a, Ask(text="How are you?"), 2_000)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    assert (pair.a_out.take(), pair.b_out.take()) == ([], [])
    assert (len(room.log), room.session.phase, room.last_active) == (2, Phase.ASKING, 1_000)
    store.failing = False
    rooms.act(pair.a, Ask(text="How are you?"), 2_001)
    for out in (pair.a_out, pair.b_out):
        assert [(m["seq"], m["kind"]) for m in out.take()] == [(3, "ask")]


def test_a_leave_the_store_cannot_keep_ends_nothing_and_closes_no_one() -> None:
    """A `leave` that is not kept is refused: the room goes on and the leaver stays open."""
    store = FlakyStore()
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    store.failing = True
    with pytest.raises(Rejected):
        rooms.act(pair.a, Leave(), 2_000)
    assert pair.a_out.closed is None
    assert pair.a.current
    assert pair.a.room.session.phase is Phase.ASKING
    assert pair.b_out.take() == []


def test_a_create_or_join_the_store_cannot_keep_makes_no_room_and_takes_no_seat() -> None:
    """A refused `create` leaves no room; a refused `join` leaves seat b free and a untold."""
    store = FlakyStore()
    rooms = registry_on(store)
    store.failing = True
    lost = RecordingSender()
    with pytest.raises(Rejected):
        rooms.create(lost, "Ann", 1_000)
    assert (rooms.room_count, lost.sent) == (0, [])
    store.failing = False
    a_out = RecordingSender()
    a = rooms.create(a_out, "Ann", 1_000)
    a_out.take()
    store.failing = True
    with pytest.raises(Rejected):
        rooms.join(RecordingSender(), a.room.code, "Bo", 1_001)
    assert list(a.room.token_hashes) == [Seat.A]
    assert a.room.session.names[Seat.B] is None
    assert a_out.take() == []
    store.failing = False
    rooms.join(RecordingSender(), a.room.code, "Bo", 1_002)
    assert [(m["seq"], m["kind"]) for m in a_out.take()] == [(2, "joined")]


def test_an_away_or_back_the_store_cannot_keep_is_told_to_no_one() -> None:
    """A drop not kept tells the partner nothing; a resume not kept is refused and seats no one."""
    store = FlakyStore()
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    store.failing = True
    rooms.drop(pair.b, 2_000)
    assert pair.a_out.take() == []
    assert len(pair.a.room.log) == 2
    again = RecordingSender()
    with pytest.raises(Rejected):
        rooms.resume(again, pair.a.room.code, pair.b_token, 2, 2_001)
    assert again.sent == []
    assert Seat.B not in pair.a.room.senders
    store.failing = False
    rooms.resume(again, pair.a.room.code, pair.b_token, 2, 2_002)
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(3, "back")]


def test_a_room_whose_rows_cannot_be_deleted_stays_for_the_next_sweep() -> None:
    """A sweep whose delete fails keeps the room and its member; the next sweep removes it."""
    store = FlakyStore()
    rooms = registry_on(store, ttl_ms=10_000)
    pair = seat_pair(rooms, now=0)
    store.failing = True
    assert rooms.sweep(10_000) == []
    assert pair.a_out.closed is None
    store.failing = False
    assert rooms.sweep(10_001) == [pair.a.room]
    assert pair.a_out.closed is not None


def test_a_full_disk_refuses_the_move_names_it_in_health_and_the_retry_follows_on(
    data: Path, store: SqliteRoomStore
) -> None:
    """When the file cannot grow, a long `say` is refused and health says `full`; then it fits."""
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(text="Tell me everything?"), 2_000)
    pair.a_out.take()
    pair.b_out.take()
    db = store._db  # max_page_count holds per connection: limit the store's own
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages}")
    long_say = Say(text="é" * 4000)
    with pytest.raises(Rejected) as refused:
        rooms.act(pair.b, long_say, 2_100)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    assert (pair.a_out.take(), pair.b_out.take()) == ([], [])
    assert store.health() == "full"
    db.execute("PRAGMA max_page_count = 1000000")
    rooms.act(pair.b, long_say, 2_200)
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(4, "say")]
    assert store.health() == "ok"
    store.close()
    again = SqliteRoomStore.open(data)
    try:
        assert [e.seq for e in again.rooms()[0].log] == [1, 2, 3, 4]
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
            (4, 1300, "say", "b", "The walk.", "sharing", 1),
        ):
            db.execute(
                "INSERT INTO events VALUES ('ABCDEFGHJK', ?, ?, ?, ?, ?, NULL, NULL, ?, 1, 'a', "
                "?, ?, 1, ?)",
                (seq, at, kind, by, text, phase, *names, online_b),
            )
        db.execute("PRAGMA user_version = 1")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def test_a_version_1_file_opens_with_the_current_code(data: Path) -> None:
    """A file in the frozen v1 layout loads, recovers with `away`, and b's token resumes b."""
    write_v1_file(data)
    store = SqliteRoomStore.open(data)
    try:
        rooms = registry_on(store)
        rooms.recover(2_000)
        out = RecordingSender()
        member = rooms.resume(out, "abcde fghjk", V1_TOKEN, 4, 2_001)
        (joined,) = out.take()
        assert [(e["seq"], e["kind"], e["by"]) for e in joined["events"]] == [
            (5, "away", "a"),
            (6, "away", "b"),
            (7, "back", "b"),
        ]
        assert member.room.log[3].text == "The walk."
        rooms.act(member, Done(), 2_002)
        assert member.room.session.phase is Phase.REFLECTING
    finally:
        store.close()


def test_migrations_run_once_each_in_order_up_to_the_newest(data: Path) -> None:
    """A step added after v1 runs once on a v1 file, which then has version 2 and its rooms."""
    write_v1_file(data)
    ran: list[int] = []

    def add_notes(db: sqlite3.Connection) -> None:
        ran.append(2)
        db.execute("ALTER TABLE rooms ADD COLUMN note TEXT")

    for _ in range(2):
        SqliteRoomStore.open(data, migrations=(*MIGRATIONS, add_notes)).close()
    assert ran == [2]
    with raw(data / DB_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
        assert db.execute("SELECT note, code FROM rooms").fetchall() == [(None, "ABCDE-FGHJK")]


def test_a_failed_migration_leaves_the_file_at_its_old_version(data: Path) -> None:
    """A step that fails half way is rolled back whole: the file still says v1 and still opens."""
    write_v1_file(data)

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE rooms ADD COLUMN note TEXT")
        db.execute("SELECT no_such_column FROM rooms")

    with pytest.raises(StoreError, match="cannot use"):
        SqliteRoomStore.open(data, migrations=(*MIGRATIONS, half_done))
    with raw(data / DB_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        columns = [row[1] for row in db.execute("PRAGMA table_info(rooms)")]
    assert "note" not in columns
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
    assert kept == len(pair.a.room.log) == 2
    assert store.health() == "ok"


def test_a_data_file_copied_in_with_a_loose_mode_is_made_0600(data: Path) -> None:
    """A restored file readable by others is tightened to 0600 when the store opens it."""
    SqliteRoomStore.open(data).close()
    (data / DB_FILE).chmod(0o644)
    SqliteRoomStore.open(data).close()
    assert stat.S_IMODE((data / DB_FILE).stat().st_mode) == 0o600
