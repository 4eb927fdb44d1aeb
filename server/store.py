"""Where rooms are kept: the contract every store meets, and the store that keeps them in memory."""

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Protocol

from server.room import Room
from shared.events import Event


class StoreError(Exception):
    """A store could not keep a change; nothing of it was kept. The text names no one's words."""


class NotRemoved(StoreError):
    """Rooms the store has forgotten whose rows it could not delete yet; the next `remove`
    deletes them. Each is named by its label, never its code."""

    def __init__(self, reason: str, labels: Sequence[str]) -> None:
        super().__init__(reason)
        self.labels = tuple(labels)


class RoomStore(Protocol):
    """Where rooms live: in memory, or on disk (`server.storage`), behind the same calls.

    Writes go into one open batch and are kept together, or not at all:
    `commit` hands the batch over and returns a future that is done once it
    is kept. The registry tells no one of an event before then, so what
    anyone was told survives a restart. A future rather than a callback: the
    store need not know the event loop (the registry brings the answer back
    to it), a store that keeps at once returns a future already done, and a
    caller outside the hot path may simply wait on it. A write that fails
    raises StoreError, a commit that fails fails its future with one, and
    the whole batch is lost: nothing of it is kept, and after `rollback` the
    rooms it added are forgotten.
    """

    def get(self, key: str) -> Room | None:
        """The room whose normalised code is `key`."""

    def add(self, room: Room) -> None:
        """Write a new room into the open batch: its state, its seats and its log."""

    def append(self, room: Room, event: Event) -> None:
        """Write `event`, just recorded, into the open batch with the room's state after it
        (and, for `joined`, the new seat)."""

    def commit(self) -> Future[None]:
        """Hand the open batch over to be kept, every write in it at once, and open the next:
        done when it is kept, failed with StoreError when it is lost. One at a time: the next
        is handed over only once this one is done."""

    def rollback(self) -> None:
        """Lose the open batch, and the one handed over if it failed: keep none of them, and
        forget the rooms they added."""

    def remove(self, rooms: Sequence[Room]) -> Future[None]:
        """Forget `rooms` at once, and delete everything they held without the caller waiting:
        done once it is deleted, failed with NotRemoved naming the rooms whose rows are still
        kept, which the next `remove` deletes first (a restart finds them, still expired).
        Neither the open batch nor the one handed over may hold a change to any of them."""

    def rooms(self) -> list[Room]:
        """Every room kept, and those added in the open batch."""

    def health(self) -> str:
        """One word for `/healthz`: `ok`, `memory`, or what is wrong."""

    def close(self) -> None:
        """Let go of what the store holds open; nothing is written after this."""


class MemoryRoomStore:
    """Rooms in a dict: gone when the process ends."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._added: list[str] = []
        """The rooms added in the open batch, forgotten again if it is rolled back."""

    def get(self, key: str) -> Room | None:
        return self._rooms.get(key)

    def add(self, room: Room) -> None:
        self._rooms[room.key] = room
        self._added.append(room.key)

    def append(self, room: Room, event: Event) -> None:
        """Nothing to do: the dict holds the live object."""

    def commit(self) -> Future[None]:
        """Kept at once: the dict already holds every change."""
        self._added.clear()
        kept: Future[None] = Future()
        kept.set_result(None)
        return kept

    def rollback(self) -> None:
        for key in self._added:
            self._rooms.pop(key, None)
        self._added.clear()

    def remove(self, rooms: Sequence[Room]) -> Future[None]:
        """Deleted at once: the dict held them and nothing else."""
        for room in rooms:
            self._rooms.pop(room.key, None)
        removed: Future[None] = Future()
        removed.set_result(None)
        return removed

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    def health(self) -> str:
        return "memory"

    def close(self) -> None:
        """Nothing is held open."""
