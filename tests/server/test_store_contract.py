"""What every store keeps, run against memory, SQLite and a real PostgreSQL of the suite's own;
what only a store on disk keeps (a restart), against the last two."""

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from server.pgstore import PostgresRoomStore
from server.storage import SqliteRoomStore
from server.store import MemoryRoomStore, RoomStore, StoreError
from shared.errors import ErrorCode, Rejected
from shared.messages import Answer, Ask, Say
from shared.seats import Mode, Phase, Seat
from tests.server.fakes import RecordingSender, seat_pair
from tests.server.test_letters import (
    ANA_SAYS,
    BEN_SAYS,
    FrameSender,
    ana_proposes_and_answers,
    pair_letters,
)
from tests.server.test_storage import PAIRED, half_a_round, registry_on

Opener = Callable[[], RoomStore]


@pytest.fixture(params=["sqlite", "postgresql"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the store of one fresh place, as often as a test asks: a restart each time."""
    opened: list[RoomStore] = []
    if request.param == "sqlite":

        def open_store() -> RoomStore:
            opened.append(SqliteRoomStore.open(tmp_path / "data"))
            return opened[-1]

    else:
        url: str = request.getfixturevalue("postgres_url")

        def open_store() -> RoomStore:
            opened.append(PostgresRoomStore.open(url))
            return opened[-1]

    yield open_store
    for store in opened:
        store.close()


def test_a_room_and_its_log_come_back_the_same(reopen: Opener) -> None:
    """Closed and opened again, the store gives back each room's session, seats and log, every
    byte of every box as it was."""
    store = reopen()
    room = half_a_round(registry_on(store))
    store.close()
    (back,) = reopen().rooms()
    assert back is not room
    assert (back.code, back.label, back.last_active) == (room.code, room.label, 2_400)
    assert back.epoch == room.epoch
    assert back.session == room.session
    assert back.token_hashes == room.token_hashes
    assert back.log == room.log
    assert [e.kind for e in back.log] == [*PAIRED, "ask", "say", "nod", "say", "done"]


def test_seq_goes_on_after_a_restart_without_a_gap_or_a_repeat(reopen: Opener) -> None:
    """After a restart a seat's token still resumes it, and the next event has the next seq."""
    store = reopen()
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(box=b"sealed: how was the week?"), 2_000)
    store.close()
    rooms = registry_on(reopen())
    a = rooms.resume(RecordingSender(), pair.a.room.code, pair.a_token, 9, 3_000)
    b = rooms.resume(RecordingSender(), pair.a.room.code, pair.b_token, 9, 3_001)
    rooms.act(b, Say(box=b"sealed: long."), 3_002)
    assert [e.seq for e in a.room.log] == list(range(1, 13))
    assert b.room.session.phase is Phase.SHARING


def test_a_removed_room_is_gone_after_a_restart(reopen: Opener) -> None:
    """`remove` forgets the room at once, and a restart does not find it again."""
    store = reopen()
    room = half_a_round(registry_on(store))
    store.remove([room]).result(timeout=10)
    assert store.rooms() == []
    store.close()
    assert reopen().rooms() == []


def test_a_second_server_on_one_sqlite_directory_is_refused(tmp_path: Path) -> None:
    """Two servers on one SQLite file would number events from the same seq."""
    first = SqliteRoomStore.open(tmp_path / "data")
    try:
        with pytest.raises(StoreError, match="in use by another server"):
            SqliteRoomStore.open(tmp_path / "data")
    finally:
        first.close()


def test_a_server_knows_whether_it_shares_its_database(postgres_url: str) -> None:
    """PostgreSQL takes any number of servers; the first knows it is alone, so that it may
    record `away` for seats a crash dropped, and the next knows it is not. Once the first has
    gone, a server is alone again."""
    first = PostgresRoomStore.open(postgres_url)
    second = PostgresRoomStore.open(postgres_url)
    try:
        assert (first.alone, second.alone) == (True, False)
    finally:
        first.close()
        second.close()
    third = PostgresRoomStore.open(postgres_url)
    third.close()
    assert third.alone


def test_a_room_another_writer_moved_on_keeps_nothing_of_the_batch(postgres_url: str) -> None:
    """PostgreSQL: a room's row carries its head seq, and a batch moves it on only from the seq
    this server wrote last. Another writer's move in between (as a second instance would
    make) makes the whole batch fail, so no seq is ever written twice; without a loop to
    judge it again on, the move is refused `rate_limited`."""
    url = postgres_url
    store = PostgresRoomStore.open(url)
    try:
        rooms = registry_on(store)
        pair = seat_pair(rooms)
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("UPDATE rooms SET head_seq = head_seq + 1")
            with pytest.raises(Rejected) as refused:
                rooms.act(pair.a, Ask(box=b"sealed: and you?"), 2_000)
            assert refused.value.code is ErrorCode.RATE_LIMITED
            assert store.health() == "ok"
            row = other.execute("SELECT count(*), max(seq) FROM events").fetchone()
            assert row == (len(PAIRED), len(PAIRED))
        assert pair.a.room.session.phase is Phase.ASKING, "the refused ask was undone"
    finally:
        store.close()


def test_new_epochs_gives_every_room_a_new_one_that_a_restart_keeps(reopen: Opener) -> None:
    """`new_epochs` changes each room's epoch, says how many rooms, and the new ones are what
    the store reads back; a client resuming with the old epoch is sent the whole log."""
    store = reopen()
    rooms = registry_on(store)
    pairs = [seat_pair(rooms), seat_pair(rooms)]
    old = {pair.a.room.code: pair.a.room.epoch for pair in pairs}
    for pair in pairs:
        rooms.drop(pair.b, 2_000)
    assert new_epochs_of(store) == 2
    store.close()
    store = reopen()
    renewed = {room.code: room.epoch for room in store.rooms()}
    assert renewed.keys() == old.keys()
    assert all(renewed[code] != old[code] for code in old)
    rooms = registry_on(store)
    again = RecordingSender()
    code = pairs[0].a.room.code
    rooms.resume(again, code, pairs[0].b_token, 9, 3_000, epoch=old[code])
    (reply,) = again.take()
    assert (reply["epoch"], reply["resync"]) == (renewed[code], True)
    assert [event["seq"] for event in reply["events"]] == list(range(1, 11))


def new_epochs_of(store: RoomStore) -> int:
    assert isinstance(store, SqliteRoomStore | PostgresRoomStore)
    return store.new_epochs()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RoomStore]:
    """One store of each kind, memory included: the contract every one of them meets."""
    store: RoomStore
    if request.param == "memory":
        store = MemoryRoomStore()
    elif request.param == "sqlite":
        store = SqliteRoomStore.open(tmp_path / "data")
    else:
        store = PostgresRoomStore.open(request.getfixturevalue("postgres_url"))
    yield store
    store.close()


def test_every_store_holds_what_the_registry_adds_and_writes(any_store: RoomStore) -> None:
    """A room added is found by its key at once; a round on it numbers its events the same on
    every store, and the store says it keeps them."""
    rooms = registry_on(any_store)
    room = half_a_round(rooms)
    assert any_store.get(room.key) is room
    assert any_store.rooms() == [room]
    assert [e.seq for e in room.log] == list(range(1, len(PAIRED) + 6))
    assert any_store.health() in ("ok", "memory")


def test_every_store_forgets_a_removed_room_at_once(any_store: RoomStore) -> None:
    """`remove` forgets at once and its future is done without error once the rows are gone."""
    room = half_a_round(registry_on(any_store))
    removed = any_store.remove([room])
    assert any_store.get(room.key) is None
    assert any_store.rooms() == []
    removed.result(timeout=10)


def test_every_store_lets_go_of_a_room_whose_write_was_lost(any_store: RoomStore) -> None:
    """`forget` drops a room held since `add` whose write was lost: nothing of it is found."""
    room = half_a_round(registry_on(any_store))
    any_store.forget([room])
    assert any_store.get(room.key) is None


def test_a_letters_room_keeps_its_withheld_answer_over_a_restart_and_then_releases_it(
    reopen: Opener,
) -> None:
    """A letters room with one answer in comes back a letters room that still withholds that
    answer's box, byte for byte, though no frame ever carried it; the partner's answer then
    releases both (docs/protocol.md, Letters, Withheld until both are in)."""
    store = reopen()
    letters = pair_letters(registry_on(store))
    ana_proposes_and_answers(letters)
    room = letters.ana.room
    store.close()
    store = reopen()
    (back,) = store.rooms()
    assert back.session.mode is Mode.LETTERS
    assert back.session.letter.withheld == {Seat.A: ANA_SAYS}
    assert back.session == room.session
    assert back.log == room.log
    assert back.log[-1].box is None, "read back from its frame, an answer has no box"
    rooms = registry_on(store)
    ben_out = FrameSender()
    ben = rooms.resume(ben_out, room.code, letters.ben_token, 0, 3_000)
    (joined,) = ben_out.take()
    assert joined["mode"] == "letters"
    assert "box" not in joined["events"][9]
    rooms.act(ben, Answer(box=BEN_SAYS), 3_001)
    told = ben_out.take()
    assert [(event["kind"], event.get("box")) for event in told] == [
        ("answer", None),
        ("reveal", ANA_SAYS),
        ("reveal", BEN_SAYS),
    ]
    assert [event["seq"] for event in told] == [12, 13, 14]
    store.close()
    (again,) = reopen().rooms()
    assert again.session.letter.withheld == {}
    assert again.session.phase is Phase.REVEALED
