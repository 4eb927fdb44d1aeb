"""Group commits: a turn of the event loop is kept by one commit, told only after it, or undone.

The commit runs on the store's writer thread while the loop goes on; one batch at a time is
in flight, and the next waits for it.
"""

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server import app, storage
from server.app import start_server
from server.config import Limits, ServerConfig
from server.connection import MemberConnection
from server.limits import AttemptLimits, ConnectionLimits
from server.metrics import Limited, StoreOperation
from server.room import Membership, Room
from server.rooms import RoomRegistry
from server.rows import Row
from server.storage import SqliteRoomStore, open_store
from server.store import RoomStore, StoreError, Writes
from shared.codec import encode
from shared.errors import ErrorCode
from shared.events import EventKind
from shared.messages import Ask, Hello, Leave, Nod, Pake, Say, Typing, Verify
from shared.seats import NodKind, Phase, Seat
from shared.wire import CloseCode
from tests.server.fakes import MAC, PAKE_MSG, CheckingSender, hello_box
from tests.server.http import http_get
from tests.server.wire import paired_pair
from tests.timing import seconds


class Turns:
    """Stands in for the event loop: what is scheduled runs when `run` says, whether the
    registry scheduled it or the store's writer thread did, once a commit was done."""

    def __init__(self) -> None:
        self.due: list[Callable[[], object]] = []
        self._arrived = threading.Condition()

    def call_soon(self, callback: Callable[[], object]) -> None:
        with self._arrived:
            self.due.append(callback)

    def call_soon_threadsafe(self, callback: Callable[[], object]) -> None:
        with self._arrived:
            self.due.append(callback)
            self._arrived.notify_all()

    def run(self) -> None:
        """The end of a turn of the loop: run what was scheduled before it."""
        with self._arrived:
            due, self.due = self.due, []
        for callback in due:
            callback()

    def wait(self) -> None:
        """Until something is scheduled: the writer's word that a commit is done."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: self.due, timeout=seconds(10)), (
                "the writer never answered"
            )

    def settle(self, rooms: RoomRegistry) -> None:
        """Turns until no batch is in flight: each kept or lost, and what it held sent."""
        self.run()
        while rooms.committing:
            self.wait()
            self.run()


class FailingStore(SqliteRoomStore):
    """The SQLite store, made to fail at `write` (StoreError at once, nothing kept) or on the
    writer thread at the commit as a full disk can, and able to hold its writer on a gate
    before each batch, as a slow disk would."""

    failing: str | None = None
    gated = False

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.gate = threading.Semaphore(0)
        """Each release lets one batch through while `gated`."""
        self.writes: list[tuple[str, int]] = []
        """Each batch by its number of events, in order: ("handed", n) when the registry hands
        it over, ("kept", n) or ("lost", n) when the writer is done with it."""

    def write(self, writes: Writes) -> Future[None]:
        if self.failing == "write":
            raise StoreError("full")
        self.writes.append(("handed", len(writes.events)))
        return super().write(writes)

    def _write(
        self, new_rooms: list[Row], seats: list[Row], events: list[Row], updates: list[Row]
    ) -> None:
        if self.gated:
            assert self.gate.acquire(timeout=seconds(10)), "the test never opened the gate"
        if self.failing == "commit":
            self.writes.append(("lost", len(events)))
            raise StoreError("full")
        super()._write(new_rooms, seats, events, updates)
        self.writes.append(("kept", len(events)))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FailingStore]:
    opened = FailingStore.open(tmp_path / "data")
    assert isinstance(opened, FailingStore)
    try:
        yield opened
    finally:
        opened.gated = False
        opened.gate.release()
        opened.close()


def batched(store: RoomStore, turns: Turns, ttl_ms: int = 60_000) -> RoomRegistry:
    """A registry that commits once a turn, as the server's does on its event loop."""
    return RoomRegistry(
        store, room_ttl_ms=ttl_ms, max_rooms=100, max_log_bytes=1024 * 1024, loop=turns
    )


@dataclass
class Pair:
    a: Membership
    a_out: CheckingSender
    b: Membership
    b_out: CheckingSender
    b_token: str


def paired(rooms: RoomRegistry, turns: Turns, store: SqliteRoomStore) -> Pair:
    """A room made, joined and paired a turn at a time; round 1, `a` asks, nothing left unread."""
    a_out, b_out = CheckingSender(store.path), CheckingSender(store.path)
    a = rooms.create(a_out, 1_000)
    turns.settle(rooms)
    b = rooms.join(b_out, a.room.code, 1_000)
    turns.settle(rooms)
    b_token = b_out.sent[0]["token"]
    for message in (Pake(msg=PAKE_MSG), Verify(mac=MAC)):
        rooms.act(a, message, 1_000)
        rooms.act(b, message, 1_000)
        turns.settle(rooms)
    rooms.act(a, Hello(box=hello_box(Seat.A)), 1_000)
    rooms.act(b, Hello(box=hello_box(Seat.B)), 1_000)
    turns.settle(rooms)
    a_out.take()
    b_out.take()
    return Pair(a, a_out, b, b_out, b_token)


def told(out: CheckingSender) -> list[tuple[Any, ...]]:
    """What a connection was sent, shortly: events by seq and kind, the rest by type."""
    return [
        (m["seq"], m["kind"]) if m["t"] == "event" else (m["t"], m.get("code"), m.get("re"))
        for m in out.take()
    ]


def test_changes_in_two_rooms_in_one_turn_are_one_commit_and_told_only_after_it(
    store: FailingStore,
) -> None:
    """Moves, a typing notice, a nod and a leave from two rooms in one turn: nothing reaches
    anyone before the commit, one commit keeps them all, and then each connection gets its
    replies in the order they were made, every event already in the file."""
    turns = Turns()
    rooms = batched(store, turns)
    one, two = paired(rooms, turns, store), paired(rooms, turns, store)
    before = store.commits
    rooms.act(one.a, Ask(box=b"sealed: how was it?"), 2_000)
    rooms.act(two.a, Ask(box=b"sealed: and you?"), 2_001)
    rooms.act(one.b, Say(box=b"sealed: good."), 2_002)
    rooms.act(one.b, Typing(on=True), 2_002)
    rooms.act(two.a, Nod(kind=NodKind.HEART, box=b"sealed: heart"), 2_003)
    rooms.act(one.a, Nod(kind=NodKind.HEAR, box=b"sealed: hear"), 2_004)
    rooms.act(two.b, Leave(box=b"sealed: {}"), 2_005)
    outs = (one.a_out, one.b_out, two.a_out, two.b_out)
    assert [out.sent for out in outs] == [[], [], [], []], "told before the commit"
    assert two.b_out.closed is None, "closed before the commit"
    assert store.commits == before
    assert len(turns.due) == 1, "one commit scheduled for the whole turn"
    turns.settle(rooms)
    assert store.commits == before + 1
    assert told(one.a_out) == [(9, "ask"), (10, "say"), ("typing", None, None), (11, "nod")]
    assert told(one.b_out) == [(9, "ask"), (10, "say"), (11, "nod")]
    assert told(two.a_out) == [(9, "ask"), (10, "nod"), (11, "left")]
    assert told(two.b_out) == [(9, "ask"), (10, "nod"), (11, "left")]
    assert two.b_out.closed is not None
    assert two.b_out.closed[0] == 1000
    assert turns.due == [], "nothing left to commit"


def test_a_takeover_lost_with_its_batch_leaves_the_old_connection_seated(
    store: FailingStore,
) -> None:
    """A takeover in a batch whose commit fails is undone too: the old connection keeps the
    seat, open, and the new one is answered `rate_limited` and told nothing of the room, not
    even the partner's typing."""
    turns = Turns()
    rooms = batched(store, turns)
    pair = paired(rooms, turns, store)
    token = pair.b_token
    lost: list[StoreError] = []
    again = CheckingSender(store.path)
    store.failing = "commit"
    rooms.resume(again, pair.a.room.code, token, 8, 2_000, on_lost=lost.append)
    rooms.act(pair.a, Typing(on=True), 2_001)
    rooms.act(pair.a, Ask(box=b"sealed: still there?"), 2_002, on_lost=lost.append)
    turns.settle(rooms)
    store.failing = None
    assert [type(exc) for exc in lost] == [StoreError, StoreError], "answered rate_limited"
    assert (again.sent, again.closed) == ([], None)
    assert (pair.b_out.sent, pair.b_out.closed) == ([], None)
    assert pair.b.current
    assert pair.a_out.sent == []
    rooms.resume(again, pair.a.room.code, token, 8, 2_003)
    turns.settle(rooms)
    assert pair.b_out.closed is not None
    assert pair.b_out.closed[0] == 4001
    assert [m["t"] for m in again.take()] == ["joined"]


def frame(**fields: Any) -> bytes:
    return encode(fields)


@dataclass
class Member:
    """One connection's logic, fed frames by hand, and what it was sent."""

    connection: MemberConnection
    out: CheckingSender

    def send(self, now: int, **fields: Any) -> None:
        self.connection.receive(frame(**fields), now)


def member(rooms: RoomRegistry, store: SqliteRoomStore, address: str) -> Member:
    out = CheckingSender(store.path)
    limits = Limits()
    connection = MemberConnection(
        out, address, rooms, AttemptLimits(limits), ConnectionLimits(limits)
    )
    return Member(connection, out)


def two_rooms(
    rooms: RoomRegistry, turns: Turns, a: Member, b: Member, host: Member
) -> tuple[str, Room, Room]:
    """`a` and `b` paired in one room, `host` alone in another, every reply so far taken:
    the other room's code, and both rooms."""
    a.send(1_000, t="create")
    host.send(1_000, t="create")
    turns.settle(rooms)
    code, other_code = a.out.sent[0]["code"], host.out.sent[0]["code"]
    b.send(1_000, t="join", code=code)
    turns.settle(rooms)
    for step in ({"t": "pake", "msg": PAKE_MSG}, {"t": "verify", "mac": MAC}):
        a.send(1_000, **step)
        b.send(1_000, **step)
    a.send(1_000, t="hello", box=hello_box(Seat.A))
    b.send(1_000, t="hello", box=hello_box(Seat.B))
    turns.settle(rooms)
    for someone in (a, b, host):
        someone.out.take()
    assert a.connection.membership is not None
    assert host.connection.membership is not None
    return other_code, a.connection.membership.room, host.connection.membership.room


@pytest.mark.parametrize("at", ["write", "commit"])
def test_a_lost_batch_undoes_both_rooms_and_answers_each_change_rate_limited(
    store: FailingStore, at: str
) -> None:
    """A batch with moves in one room and a join and a leave in another, lost at a write or
    at its commit: both rooms are as before it, no one hears of a lost event, each change is
    answered `rate_limited` with its id, errors and typing still go out, the joiner has no
    seat, the leaver is still seated and open, and the same messages sent again get the same
    seqs."""
    turns = Turns()
    rooms = batched(store, turns)
    a, b = member(rooms, store, "192.0.2.1"), member(rooms, store, "192.0.2.2")
    host, guest = member(rooms, store, "192.0.2.3"), member(rooms, store, "192.0.2.4")
    other_code, room, other = two_rooms(rooms, turns, a, b, host)
    marks = room.mark(), other.mark()
    rows = store.commits

    *first, (last, fields) = [
        (a, {"t": "ask", "box": b"sealed: what now?", "id": 1}),
        (b, {"t": "typing", "on": True}),
        (a, {"t": "say", "box": b"sealed: not yours to say", "id": 2}),
        (b, {"t": "leave", "box": b"sealed: {}", "id": 3}),
        (guest, {"t": "join", "code": other_code, "id": 4}),
        (guest, {"t": "pake", "msg": PAKE_MSG, "id": 5}),
    ]
    if at == "commit":
        store.failing = "commit"
    for someone, step in first:
        someone.send(2_000, **step)
    if at == "write":
        store.failing = "write"  # the batch is lost as it is handed over, at the turn's end
    last.send(2_000, **fields)
    turns.settle(rooms)
    store.failing = None

    assert (room.mark(), other.mark()) == marks, "a room is not as it was before the batch"
    assert store.commits == rows
    assert told(a.out) == [
        ("error", "rate_limited", 1),
        ("typing", None, None),
        ("error", "listening", 2),
    ]
    assert told(b.out) == [("error", "rate_limited", 3)]
    assert told(host.out) == []
    assert told(guest.out) == [("error", "rate_limited", 4), ("error", "rate_limited", 5)]
    assert guest.connection.membership is None
    assert Seat.B not in other.token_hashes
    assert list(other.senders) == [Seat.A]
    assert b.out.closed is None
    assert b.connection.membership is not None
    assert b.connection.membership.current
    assert room.session.phase is Phase.ASKING

    a.send(3_000, t="ask", box=b"sealed: what now?", id=1)
    b.send(3_001, t="leave", box=b"sealed: {}", id=3)
    guest.send(3_002, t="join", code=other_code, id=4)
    guest.send(3_003, t="pake", msg=PAKE_MSG, id=5)
    turns.settle(rooms)
    assert store.commits == rows + 1
    assert told(a.out) == [(9, "ask"), (10, "left")]
    assert told(b.out) == [(9, "ask"), (10, "left")]
    assert b.out.closed is not None
    assert [(m["t"], m.get("seq"), m.get("kind")) for m in guest.out.take()] == [
        ("joined", None, None),
        ("event", 3, "pake"),
    ]
    assert told(host.out) == [(2, "joined"), (3, "pake")]
    assert [e.seq for e in other.log] == [1, 2, 3]


async def test_two_hundred_says_from_twenty_rooms_arrive_in_order_over_few_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over real websockets to a SQLite server, 20 speakers each send 10 says at once: both
    members of each room get all 10, in order, once each, and far fewer than 200 commits
    keep them."""
    opened: list[SqliteRoomStore] = []

    def open_and_keep(data: str) -> RoomStore:
        store = open_store(data)
        assert isinstance(store, SqliteRoomStore)
        opened.append(store)
        return store

    monkeypatch.setattr(app, "open_store", open_and_keep)
    # 40 connections from 127.0.0.1: more than one address may hold by default.
    config = ServerConfig(
        port=0, data=str(tmp_path / "data"), limits=Limits(connections_per_address=64)
    )
    running = await start_server(config)
    try:
        async with AsyncExitStack() as stack:
            pairs = [await stack.enter_async_context(paired_pair(running.port)) for _ in range(20)]
            for pair in pairs:
                await pair.a.send({"t": "ask", "box": b"sealed: tell me?"})
                assert (await pair.a.recv())["kind"] == (await pair.b.recv())["kind"] == "ask"
            (store,) = opened
            before = store.commits
            says = [bytes([n]) + b" sealed" for n in range(10)]

            async def speak(speaker: Any) -> None:
                for box in says:
                    await speaker.send({"t": "say", "box": box})

            async def hear(listener: Any) -> list[dict[str, Any]]:
                return [await listener.recv(within=10) for _ in says]

            await asyncio.gather(*(speak(pair.b) for pair in pairs))
            heard = await asyncio.gather(*(hear(m) for pair in pairs for m in (pair.a, pair.b)))
            await asyncio.gather(*(m.nothing() for pair in pairs for m in (pair.a, pair.b)))
            commits = store.commits - before
    finally:
        await running.close()
    for events in heard:
        assert [(e["seq"], e["kind"], e["box"]) for e in events] == [
            (seq, "say", box) for seq, box in enumerate(says, start=10)
        ]
    assert 0 < commits <= 50, f"{commits} commits for 200 says"


def test_the_loop_takes_messages_while_a_commit_is_in_flight_and_tells_each_batch_after_it(
    store: FailingStore,
) -> None:
    """While the writer is held on one batch, the registry goes on taking moves into the next:
    nothing of either is told before its own commit, the second goes to the writer only once
    the first is kept, and each connection gets its replies in the order they were made."""
    turns = Turns()
    rooms = batched(store, turns)
    pair = paired(rooms, turns, store)
    room = pair.a.room
    commits = store.commits
    store.gated = True
    store.writes.clear()
    rooms.act(pair.a, Ask(box=b"sealed: what surprised you?"), 2_000)
    turns.run()
    assert rooms.committing
    rooms.act(pair.b, Say(box=b"sealed: the snow."), 2_001)
    rooms.act(pair.b, Typing(on=True), 2_002)
    rooms.act(pair.a, Nod(kind=NodKind.HEAR, box=b"sealed: hear"), 2_003)
    rooms.act(pair.b, Say(box=b"sealed: in April."), 2_004)
    turns.run()
    assert [e.seq for e in room.log][8:] == [9, 10, 11, 12], "the moves were not taken"
    assert store.writes == [("handed", 1)], "handed over while a batch is in flight"
    assert (pair.a_out.sent, pair.b_out.sent) == ([], []), "told before the commit"

    store.gate.release()
    turns.wait()
    turns.run()
    assert told(pair.a_out) == told(pair.b_out) == [(9, "ask")]
    assert store.writes == [("handed", 1), ("kept", 1), ("handed", 3)]
    assert rooms.committing

    store.gate.release()
    turns.settle(rooms)
    assert told(pair.a_out) == [(10, "say"), ("typing", None, None), (11, "nod"), (12, "say")]
    assert told(pair.b_out) == [(10, "say"), (11, "nod"), (12, "say")]
    assert store.writes[-1] == ("kept", 3)
    assert store.commits == commits + 2


def test_a_batch_lost_in_flight_takes_the_next_one_with_it(store: FailingStore) -> None:
    """The writer fails the batch in flight, which made a room, while the next one holds moves
    that build on it, a join in another room and a leave: both are undone, the new room is
    forgotten, each change is answered `rate_limited` with its id, errors and typing still go
    out, no lost event reaches anyone, the next batch never reaches the writer, and the same
    messages sent again get the same seqs."""
    turns = Turns()
    rooms = batched(store, turns)
    a, b = member(rooms, store, "192.0.2.1"), member(rooms, store, "192.0.2.2")
    host, guest = member(rooms, store, "192.0.2.3"), member(rooms, store, "192.0.2.4")
    newcomer = member(rooms, store, "192.0.2.5")
    other_code, room, other = two_rooms(rooms, turns, a, b, host)
    marks = room.mark(), other.mark()
    commits = store.commits
    store.gated = True
    store.writes.clear()

    a.send(2_000, t="ask", box=b"sealed: what now?", id=1)
    newcomer.send(2_000, t="create", id=7)
    turns.run()
    b.send(2_001, t="typing", on=True)
    a.send(2_001, t="say", box=b"sealed: not yours to say", id=2)
    b.send(2_002, t="say", box=b"sealed: this, on the ask", id=3)
    b.send(2_003, t="leave", box=b"sealed: {}", id=4)
    guest.send(2_004, t="join", code=other_code, id=5)
    guest.send(2_005, t="pake", msg=PAKE_MSG, id=6)
    turns.run()
    store.failing = "commit"
    store.gate.release()
    turns.settle(rooms)
    store.failing = None
    store.gated = False

    assert store.writes == [("handed", 2), ("lost", 2)], "the next batch reached the writer"
    assert store.commits == commits
    assert told(newcomer.out) == [("error", "rate_limited", 7)]
    assert newcomer.connection.membership is None
    assert store.rooms() == [room, other], "the room made in the lost batch is still there"
    assert (room.mark(), other.mark()) == marks, "a room is not as it was before the batches"
    assert told(a.out) == [
        ("error", "rate_limited", 1),
        ("typing", None, None),
        ("error", "listening", 2),
    ]
    assert told(b.out) == [("error", "rate_limited", 3), ("error", "rate_limited", 4)]
    assert told(host.out) == []
    assert told(guest.out) == [("error", "rate_limited", 5), ("error", "rate_limited", 6)]
    assert guest.connection.membership is None
    assert list(other.senders) == [Seat.A]
    assert b.out.closed is None
    assert b.connection.membership is not None
    assert b.connection.membership.current

    a.send(3_000, t="ask", box=b"sealed: what now?", id=1)
    turns.run()
    b.send(3_001, t="say", box=b"sealed: this, on the ask", id=3)
    b.send(3_002, t="leave", box=b"sealed: {}", id=4)
    guest.send(3_003, t="join", code=other_code, id=5)
    guest.send(3_004, t="pake", msg=PAKE_MSG, id=6)
    turns.settle(rooms)
    assert told(a.out) == [(9, "ask"), (10, "say"), (11, "left")]
    assert told(b.out) == [(9, "ask"), (10, "say"), (11, "left")]
    assert b.out.closed is not None
    assert [(m["t"], m.get("seq"), m.get("kind")) for m in guest.out.take()] == [
        ("joined", None, None),
        ("event", 3, "pake"),
    ]
    assert told(host.out) == [(2, "joined"), (3, "pake")]


def test_close_waits_for_the_batch_in_flight_and_keeps_the_open_one(
    store: FailingStore, tmp_path: Path
) -> None:
    """`close()` called while the writer is still held on one batch and the next is open waits
    for the first, keeps both, tells each in order, and only then closes the file; the first
    batch's own word, arriving after, changes nothing."""
    turns = Turns()
    rooms = batched(store, turns)
    pair = paired(rooms, turns, store)
    store.gated = True
    rooms.act(pair.a, Ask(box=b"sealed: one more?"), 2_000)
    turns.run()
    rooms.act(pair.b, Say(box=b"sealed: yes."), 2_001)
    rooms.act(pair.b, Leave(box=b"sealed: {}"), 2_002)

    closing = threading.Thread(target=rooms.close)  # the loop's thread, stopping
    closing.start()
    store.gate.release()  # before or after `close` begins to wait: either way it must wait
    store.gate.release()
    closing.join(seconds(10))
    assert not closing.is_alive()
    assert told(pair.a_out) == [(9, "ask"), (10, "say"), (11, "left")]
    assert told(pair.b_out) == [(9, "ask"), (10, "say"), (11, "left")]
    assert pair.b_out.closed is not None
    assert store.health() == "closed"
    turns.run()
    assert (pair.a_out.sent, pair.b_out.sent) == ([], [])
    again = SqliteRoomStore.open(tmp_path / "data")
    try:
        (back,) = again.rooms()
        assert [e.seq for e in back.log] == list(range(1, 12))
    finally:
        again.close()


def test_a_sweep_while_a_batch_is_in_flight_removes_at_once_and_deletes_after_it(
    store: FailingStore,
) -> None:
    """A sweep while a batch is in flight and the next is open forgets the idle room and closes
    its members at once, without waiting for either; both are then kept and told in order, and
    the idle room's rows are deleted behind them."""
    turns = Turns()
    rooms = batched(store, turns, ttl_ms=10_000)
    idle, busy = paired(rooms, turns, store), paired(rooms, turns, store)
    store.gated = True
    rooms.act(busy.a, Ask(box=b"sealed: still here?"), 9_000)
    turns.run()
    rooms.act(busy.b, Say(box=b"sealed: yes."), 9_001)
    assert rooms.sweep(11_000) == [idle.a.room]
    assert idle.a_out.closed == idle.b_out.closed == (1001, "the room expired")
    assert rooms.room_count == 1
    assert (busy.a_out.sent, busy.b_out.sent) == ([], [])
    store.gate.release()
    store.gate.release()
    turns.settle(rooms)
    assert told(busy.a_out) == told(busy.b_out) == [(9, "ask"), (10, "say")]
    store.close()
    with sqlite3.connect(store.path) as db:
        keys = db.execute("SELECT room_key FROM events GROUP BY room_key").fetchall()
    assert keys == [(busy.a.room.key,)]
    assert [e.seq for e in busy.a.room.log] == list(range(1, 11))


def test_a_sweep_never_waits_for_the_writer_and_commits_go_between_its_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real store's writer held inside the first chunk of a sweep's deletes, the sweep
    has returned, every idle room is gone and closed, and a live room's move is handed over; the
    writer then commits that move before the sweep's next chunk."""
    monkeypatch.setattr(storage, "REMOVE_CHUNK", 2)
    store = SqliteRoomStore.open(tmp_path / "data")
    turns = Turns()
    rooms = batched(store, turns, ttl_ms=10_000)
    idle = [paired(rooms, turns, store) for _ in range(5)]
    busy = paired(rooms, turns, store)
    rooms.act(busy.a, Ask(box=b"sealed: still here?"), 9_000)
    turns.settle(rooms)
    busy.a_out.take()
    busy.b_out.take()
    writer = HeldWriter(store)
    try:
        assert rooms.sweep(11_000) == [pair.a.room for pair in idle]
        assert writer.inside.wait(seconds(10)), "the writer never began deleting"
        assert not writer.left.is_set(), "the sweep waited for the writer"
        assert all(pair.a_out.closed == (1001, "the room expired") for pair in idle)
        assert rooms.room_count == 1
        rooms.act(busy.b, Say(box=b"sealed: yes."), 11_000)
        turns.run()
        assert rooms.committing, "the move is handed over while the writer deletes"
    finally:
        writer.gate.set()
    turns.settle(rooms)
    assert told(busy.a_out) == [(10, "say")]
    store.close()
    assert writer.order() == ["delete", "insert", "delete", "delete"]


class HeldWriter:
    """Watches every statement the store's own SQLite connection runs, in order, and holds its
    writer thread at its first delete of events until `gate` is set."""

    def __init__(self, store: SqliteRoomStore) -> None:
        self.statements: list[str] = []
        self.gate = threading.Event()
        self.inside = threading.Event()
        self.left = threading.Event()
        store._db.set_trace_callback(self._ran)  # the writer is idle: set before it runs again

    def _ran(self, statement: str) -> None:
        self.statements.append(statement)
        if statement.startswith("DELETE FROM events") and not self.inside.is_set():
            self.inside.set()
            self.gate.wait(seconds(10))
            self.left.set()

    def order(self) -> list[str]:
        """Each transaction that deleted or inserted events, in order, by which it did."""
        kinds: list[str] = []
        for statement in self.statements:
            if statement.startswith("BEGIN"):
                kinds.append("")
            elif statement.startswith("DELETE FROM events"):
                kinds[-1] = "delete"
            elif statement.startswith("INSERT INTO events"):
                kinds[-1] = "insert"
        return [kind for kind in kinds if kind]


def test_a_room_a_batch_is_changing_waits_for_the_next_sweep(store: FailingStore) -> None:
    """An idle room whose seat is taken over in the open batch is not removed by a sweep in that
    turn; once the batch is kept, its `joined` has gone out and the next sweep removes it."""
    turns = Turns()
    rooms = batched(store, turns, ttl_ms=10_000)
    idle = paired(rooms, turns, store)
    again = CheckingSender(store.path)
    rooms.resume(again, idle.a.room.code, idle.b_token, 8, 11_000)
    assert rooms.sweep(11_000) == []
    assert again.closed is None
    turns.settle(rooms)
    assert [m["t"] for m in again.take()] == ["joined"]
    assert idle.b_out.closed is not None
    assert idle.b_out.closed[0] == 4001
    assert rooms.sweep(11_001) == [idle.a.room]
    assert again.closed == (1001, "the room expired")


async def test_over_websockets_the_server_answers_while_its_writer_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real server whose writer is held on a commit still answers `/healthz` and takes the
    next moves; both members get nothing until the commits are done, then every event once,
    in order."""
    opened: list[FailingStore] = []

    def open_gated(data: str) -> RoomStore:
        store = FailingStore.open(Path(data))
        assert isinstance(store, FailingStore)
        opened.append(store)
        return store

    monkeypatch.setattr(app, "open_store", open_gated)
    running = await start_server(ServerConfig(port=0, data=str(tmp_path / "data")))
    (store,) = opened
    try:
        async with paired_pair(running.port) as pair:
            store.gated = True
            await pair.a.send({"t": "ask", "box": b"sealed: and the rest?"})
            await pair.b.send({"t": "say", "box": b"sealed: later."})
            await pair.b.send({"t": "say", "box": b"sealed: much later."})
            status, body = await http_get(running.port, "/healthz")
            assert (status, json.loads(body)["db"]) == (200, "ok")
            await pair.a.nothing()
            await pair.b.nothing()
            store.gated = False
            store.gate.release()
            for member_ in (pair.a, pair.b):
                heard = [await member_.recv(within=5) for _ in range(3)]
                assert [(e["seq"], e["kind"]) for e in heard] == [
                    (9, "ask"),
                    (10, "say"),
                    (11, "say"),
                ]
                await member_.nothing()
    finally:
        store.gated = False
        store.gate.release()
        await running.close()


def test_a_flood_closed_while_its_answers_are_held_gets_them_before_the_close(
    store: FailingStore,
) -> None:
    """A connection flooding in the same turn as its `create` is answered behind the batch;
    the 1008 for the flood waits behind those answers, so `rate_limited` still reaches it."""
    turns = Turns()
    rooms = batched(store, turns)
    flooder = member(rooms, store, "10.0.0.9")
    flooder.send(1_000, t="create")
    for number in range(100):
        flooder.send(1_000, t="dance", id=number)
    assert flooder.out.sent == []
    assert flooder.out.closed is None, "the close went out before the answers held for it"
    turns.settle(rooms)
    codes = [reply.get("code") for reply in flooder.out.sent if reply["t"] == "error"]
    assert "rate_limited" in codes
    assert flooder.out.closed is not None
    assert flooder.out.closed[0] == CloseCode.ABUSE


class RecordedMetrics:
    """A `Metrics` that writes down every call, on a clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[tuple[str, object]] = []

    def clock(self) -> float:
        return self.now

    def accepted(self, kind: EventKind) -> None:
        self.calls.append(("accepted", kind))

    def refused(self, code: ErrorCode) -> None:
        self.calls.append(("refused", code))

    def limited(self, how: Limited) -> None:
        self.calls.append(("limited", how))

    def committed(self, seconds: float) -> None:
        self.calls.append(("committed", seconds))

    def relayed(self, seconds: float) -> None:
        self.calls.append(("relayed", seconds))

    def store_failed(self, operation: StoreOperation) -> None:
        self.calls.append(("store_failed", operation))


def test_metrics_time_a_commit_from_hand_over_and_count_only_what_is_kept(
    store: FailingStore,
) -> None:
    """A kept batch is timed from its hand-over to the loop hearing of it, and each of its
    events counted by kind and timed from when it was judged; a lost batch counts a store
    error and no event."""
    turns = Turns()
    metrics = RecordedMetrics()
    rooms = RoomRegistry(
        store, room_ttl_ms=60_000, max_rooms=100, max_log_bytes=1 << 20, loop=turns, metrics=metrics
    )
    metrics.now = 1.0
    rooms.create(CheckingSender(store.path), 1_000)
    metrics.now = 3.0
    # Held at the gate: a writer that finished before the hand-over returned would be heard
    # of at once, at 3.0, and never through the loop.
    store.gated = True
    turns.run()  # the turn is over: the batch is handed over at 3.0
    metrics.now = 10.0
    store.gate.release()
    turns.wait()
    store.gated = False
    turns.run()  # the loop hears it is kept at 10.0, and releases it
    assert metrics.calls == [
        ("committed", 7.0),
        ("accepted", EventKind.JOINED),
        ("relayed", 9.0),
    ]

    metrics.calls.clear()
    store.failing = "commit"
    rooms.create(CheckingSender(store.path), 2_000, on_lost=lambda _: None)
    turns.settle(rooms)
    store.failing = None
    assert metrics.calls == [("store_failed", StoreOperation.WRITE)]
