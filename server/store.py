"""Where rooms are kept: the contract every store meets, and the store that keeps them in memory.

A store holds its rooms in memory and writes what it is handed; it keeps no
batch of its own. The group commit (`server.commits`) gathers the changes of
one turn of the event loop, hands them over whole in one `write`, and tells no
one of them before that write is done; it alone knows what is in flight.
"""

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from server.room import Room
from shared.events import Event
from shared.seats import Seat


class StoreError(Exception):
    """A store could not keep a change; nothing of it was kept. The text names no one's words."""


class NotRemoved(StoreError):
    """Rooms the store has forgotten whose rows it could not delete yet; the next `remove`
    deletes them. Each is named by its label, never its code."""

    def __init__(self, reason: str, labels: Sequence[str]) -> None:
        super().__init__(reason)
        self.labels = tuple(labels)


@dataclass(frozen=True)
class RoomNews:
    """What a shared store holds of a room now, read back so that this server catches up with
    what other servers recorded in it."""

    key: str
    room: Room | None
    """The room as its row says now (session, seats, last activity) with an empty log; None
    when no row is left, a sweep elsewhere having removed it."""
    events: tuple[Event, ...]
    """Every event after the seq asked for, in order, read in the same snapshot as the row."""


class Moved(StoreError):
    """Another server moved some of the batch's rooms on first: nothing of those rooms was
    kept, and every other room of the batch was. `news` holds what the store has of each room
    that moved, so that this server catches up and judges again what it had accepted there
    (docs/deploy.md, Several servers on one database)."""

    def __init__(self, news: Sequence[RoomNews]) -> None:
        super().__init__("a room was changed by another server")
        self.news = tuple(news)

    @property
    def keys(self) -> frozenset[str]:
        """The rooms that moved."""
        return frozenset(item.key for item in self.news)


@dataclass(frozen=True)
class Writes:
    """One batch of changes, for a store to keep whole or not at all."""

    added: Sequence[Room]
    """The rooms new in the batch, each held since its `add`: their row is inserted, not
    updated. Their seats and events come in `events`, as any room's do."""
    events: Sequence[tuple[Room, Event]]
    """Every event the batch recorded, with its room, in the order recorded; at least one. A
    `joined` brings its seat: the room's token hash for `event.by`."""

    @property
    def rooms(self) -> list[Room]:
        """Each room the batch changed, once, in the order first written: each is kept with its
        state as it is now, after every change in the batch."""
        return list({id(room): room for room, _ in self.events}.values())


class RoomStore(Protocol):
    """Where rooms live: in memory, or on disk (`server.storage`), behind the same calls.

    Every call comes from one thread, the event loop's; a store may finish a
    `write` or a `remove` on a thread of its own and answer through the
    future, so that the loop never waits on a disk. A future rather than a
    callback: the store need not know the event loop (the group commit brings
    the answer back to it), a store that keeps at once returns a future
    already done, and a caller outside the hot path may simply wait on it.
    """

    def rooms(self) -> list[Room]:
        """Every room held: read back at start, or added since, its write done or not."""

    def get(self, key: str) -> Room | None:
        """The room held whose normalised code is `key`."""

    def add(self, room: Room) -> None:
        """Hold a new room from now on, so that `get` and `rooms` find it; nothing is written
        until the `write` that has it among its `added`."""

    def forget(self, rooms: Sequence[Room]) -> None:
        """Let go of rooms added whose write was lost: nothing of them was kept."""

    def write(self, writes: Writes) -> Future[None]:
        """Keep `writes`, every row at once or none: done once they are kept (a restart finds
        them), failed with StoreError when nothing is. May instead raise StoreError at once,
        keeping nothing. A shared store fails with `Moved` when other servers moved some
        rooms on first: then every row but theirs is kept.

        Every value is taken before this returns: the rooms go on changing. Writes are kept
        in the order they were handed over, and the next is handed over only once this one
        is done.
        """

    def remove(self, rooms: Sequence[Room]) -> Future[None]:
        """Forget `rooms` at once, and delete everything they held without the caller waiting:
        done once it is deleted, failed with NotRemoved naming the rooms whose rows are still
        kept, which the next `remove` deletes first (a restart finds them, still expired).
        No write not yet done may hold a change to any of them."""

    def health(self) -> str:
        """One word for `/healthz`: `ok`, `memory`, or what is wrong."""

    def close(self) -> None:
        """Let go of what the store holds open, once what it was handed is done; nothing is
        written after this."""


class HeldRooms:
    """The rooms a store holds in memory, by key: `rooms`, `get`, `add` and `forget` of the
    contract, for every store to build on, whatever else it keeps them in."""

    def __init__(self, rooms: Iterable[Room] = ()) -> None:
        self._rooms = {room.key: room for room in rooms}

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    def get(self, key: str) -> Room | None:
        return self._rooms.get(key)

    def add(self, room: Room) -> None:
        self._rooms[room.key] = room

    def forget(self, rooms: Sequence[Room]) -> None:
        for room in rooms:
            self._rooms.pop(room.key, None)


class MemoryRoomStore(HeldRooms):
    """Rooms in a dict: gone when the process ends."""

    def write(self, writes: Writes) -> Future[None]:
        """Kept at once: the dict holds the live objects, every change already in them."""
        kept: Future[None] = Future()
        kept.set_result(None)
        return kept

    def remove(self, rooms: Sequence[Room]) -> Future[None]:
        """Deleted at once: the dict held them and nothing else."""
        self.forget(rooms)
        removed: Future[None] = Future()
        removed.set_result(None)
        return removed

    def health(self) -> str:
        return "memory"

    def close(self) -> None:
        """Nothing is held open."""


@runtime_checkable
class SharedStore(Protocol):
    """A store that other servers write to as well (server/pgstore.py): what this server reads
    back of their changes, and what it tells them. Every call comes from the event loop; the
    reads run behind any write handed over before them."""

    url: str
    """Where the store is, for the connection that listens for other servers' news."""
    alone: bool
    """No other server had the store open when this one opened it: a seat marked online with
    no connection here was dropped by a crash, not held elsewhere."""

    def fetch(self, heads: Mapping[str, int]) -> Future[list[RoomNews]]:
        """For each room key, the news after the seq given (0 for a room not held here); a
        room with no row comes back with `room` None."""

    def heads(self) -> Future[dict[str, int]]:
        """Every room's head seq, as the store has it now."""

    def seat_taken(self, room: Room, seat: Seat) -> None:
        """Tell the other servers that `seat` is held here now: a connection one of them holds
        in it is closed as taken over (4001)."""

    instance: str
    """Names this server in what it tells the others, so that it ignores its own notices."""
    listening: bool | None
    """Whether the others' news reaches this server now (server/follow.py sets it); None
    before it first listens. `health` says `not listening` while it is False."""

    def rooms(self) -> list[Room]:
        """As `RoomStore.rooms`."""

    def get(self, key: str) -> Room | None:
        """As `RoomStore.get`."""
