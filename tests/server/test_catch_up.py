"""Catching up with other servers' events, by direct calls: `RoomRegistry.catch_up` with the
news a shared store would read back, and a seat taken over elsewhere (server/follow.py feeds
these from PostgreSQL; tests/server/test_instances.py runs them for real)."""

from collections.abc import Callable
from concurrent.futures import Future

from server.room import Room
from server.rooms import RoomRegistry
from server.store import MemoryRoomStore, Moved, RoomNews, StoreError, Writes
from shared.messages import Ask
from shared.seats import Phase, Seat
from shared.wire import CloseCode
from tests.server.fakes import RecordingSender, new_registry, seat_pair
from tests.server.test_storage import registry_on


def news_of(room: Room, after: int) -> RoomNews:
    """What a shared store would give back of `room`: its row's state, seats and the events
    after `after`, in objects of their own."""
    row = Room(
        code=room.code,
        label=room.label,
        last_active=room.last_active,
        session=room.session.copy(),
        token_hashes=dict(room.token_hashes),
        epoch=room.epoch,
    )
    return RoomNews(room.key, row, tuple(room.log[after:]))


def ana_asks_elsewhere(room: Room, a_token: str) -> Room:
    """The room as another server holds it, where Ana resumed (`back`, seq 9) and asked (10)."""
    elsewhere = new_registry()
    twin = news_of(room, 0).room
    assert twin is not None
    for event in room.log:
        twin.keep(event)
    elsewhere._store.add(twin)
    ana = elsewhere.resume(RecordingSender(), room.code, a_token, 8, 2_000)
    elsewhere.act(ana, Ask(box=b"sealed: how are you?"), 2_001)
    return twin


def test_a_room_made_elsewhere_is_held_whole() -> None:
    """A room this server has never seen comes with its whole log: held from then on, its
    bytes counted toward the server-wide budget."""
    elsewhere, here = new_registry(), new_registry()
    theirs = seat_pair(elsewhere).a.room
    assert here.catch_up([news_of(theirs, 0)], 2_000) == []
    held = here._store.get(theirs.key)
    assert held is not None
    assert held.log == theirs.log
    assert held.session == theirs.session
    assert here.log_bytes == theirs.log.size


def test_events_recorded_elsewhere_reach_the_members_here_once_in_order() -> None:
    """Ben is seated here; Ana resumes on another server and asks there: her `back` and `ask`
    reach Ben as events, each once, in order, and the room here takes the other's state."""
    here = new_registry()
    pair = seat_pair(here)
    room = pair.a.room
    twin = ana_asks_elsewhere(room, pair.a_token)
    news = news_of(twin, len(room.log))
    assert here.catch_up([news], 2_002) == []
    assert [(e["seq"], e["kind"]) for e in pair.b_out.take()] == [(9, "back"), (10, "ask")]
    assert room.session.phase is Phase.SHARING
    assert room.log == twin.log
    assert here.catch_up([news], 2_003) == [], "the same news again is nothing new"
    assert pair.b_out.take() == []


def test_news_that_does_not_follow_on_is_read_again_later() -> None:
    """Events that skip past this room's log would leave a gap: nothing is taken, and the room
    is given back to be read again."""
    here = new_registry()
    pair = seat_pair(here)
    room = pair.a.room
    gap = news_of(ana_asks_elsewhere(room, pair.a_token), len(room.log) + 1)
    length = len(room.log)
    assert here.catch_up([gap], 2_000) == [room.key]
    assert len(room.log) == length
    assert pair.b_out.take() == []


def test_a_room_gone_from_the_store_is_forgotten_and_its_members_closed() -> None:
    """Another server's sweep deleted the room: here it is forgotten too, its connections
    closed with 1001, its bytes no longer counted."""
    here = new_registry()
    pair = seat_pair(here)
    room = pair.a.room
    assert here.catch_up([RoomNews(room.key, None, ())], 2_000) == []
    assert here._store.get(room.key) is None
    assert pair.a_out.closed is not None
    assert pair.a_out.closed[0] == CloseCode.GOING_AWAY
    assert pair.b_out.closed is not None
    assert pair.b_out.closed[0] == CloseCode.GOING_AWAY
    assert here.log_bytes == 0


def test_a_seat_taken_elsewhere_closes_it_here_and_records_no_away() -> None:
    """Ana resumed on another server: her connection here is closed as taken over, and its
    drop that follows records nothing."""
    here = new_registry()
    pair = seat_pair(here)
    room = pair.a.room
    length = len(room.log)
    here.seat_taken_elsewhere(room.key, Seat.A)
    assert pair.a_out.closed is not None
    assert pair.a_out.closed[0] == CloseCode.TAKEN_OVER
    here.drop(pair.a, 2_000)
    assert len(room.log) == length
    assert room.session.online[Seat.A], "still online: the seat is held elsewhere"


class MovingStore(MemoryRoomStore):
    """Keeps every batch at once, but for the rooms named in `moving`: as if another server
    had moved them on first, those are lost (`Moved`) once, with no news to catch up on."""

    def __init__(self) -> None:
        super().__init__()
        self.moving: set[str] = set()

    def write(self, writes: Writes) -> Future[None]:
        keys = {room.key for room, _ in writes.events} & self.moving
        self.moving -= keys
        if not keys:
            return super().write(writes)
        lost: Future[None] = Future()
        lost.set_exception(Moved([RoomNews(key, None, ()) for key in keys]))
        return lost


class Soon:
    """Stands in for the event loop: what is scheduled runs at `run`."""

    def __init__(self) -> None:
        self.due: list[Callable[[], object]] = []

    def call_soon(self, callback: Callable[[], object]) -> None:
        self.due.append(callback)

    def call_soon_threadsafe(self, callback: Callable[[], object]) -> None:
        self.due.append(callback)

    def run(self) -> None:
        while self.due:
            self.due.pop(0)()


def test_a_room_moved_elsewhere_loses_its_change_alone_and_the_rest_of_the_batch_goes_out() -> None:
    """Two rooms change in one turn; another server moved one of them on first. That room's
    ask is undone, told to no one, and handed back to be judged again; the other room's ask
    is kept and told, in the same batch."""
    store, soon = MovingStore(), Soon()
    moved, kept = seat_pair(registry_on(store)), seat_pair(registry_on(store))
    rooms = RoomRegistry(store, room_ttl_ms=60_000, max_rooms=100, max_log_bytes=1 << 20, loop=soon)
    store.moving = {moved.a.room.key}
    lost: list[StoreError] = []
    rooms.act(moved.a, Ask(box=b"sealed: and you?"), 2_000, on_lost=lost.append)
    rooms.act(kept.a, Ask(box=b"sealed: how was it?"), 2_000, on_lost=lost.append)
    soon.run()
    assert [type(exc) for exc in lost] == [Moved], "only the moved room's ask is judged again"
    assert moved.a.room.session.phase is Phase.ASKING
    assert len(moved.a.room.log) == 8
    assert (moved.a_out.take(), moved.b_out.take()) == ([], [])
    assert [e["kind"] for e in kept.b_out.take()] == ["ask"]
    assert kept.a.room.session.phase is Phase.SHARING
