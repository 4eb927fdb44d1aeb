"""Following the other servers on a shared store: their news heard by LISTEN, read back, taken in.

docs/deploy.md, Several servers on one database. Each commit notifies
`fireside` with a room and its new head seq; this server listens on a
connection of its own, and reads back from the store (behind its own writes)
the events of every room whose head is past its own. A notification carries
no event, and those sent while this connection was down are lost, so after
every (re)connect every room's head is compared again.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg

from server.pgstore import EVENTS_CHANNEL, SEATS_CHANNEL
from server.rooms import RoomRegistry
from server.store import SharedStore, StoreError
from shared.seats import Seat

log = logging.getLogger("server.follow")

RECONNECT_AFTER = (0.1, 0.5, 1.0, 2.0)
"""Seconds before each try to listen again, the last repeated: the database restarting."""
AGAIN_AFTER = 0.02
"""Seconds before reading again the news of a room that a batch here was changing."""


class RoomFollower:
    """Listens for the other servers' commits and brings each room here up to date."""

    def __init__(
        self, store: SharedStore, registry: RoomRegistry, clock: Callable[[], int]
    ) -> None:
        self._store = store
        self._registry = registry
        self._clock = clock
        self._stale: set[str] = set()
        """Rooms whose head elsewhere is past the one here."""
        self._due = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled, connecting again whenever the database drops us."""
        reader = asyncio.create_task(self._read_news())
        tries = 0
        try:
            while True:
                try:
                    await self._listen()
                except (psycopg.Error, OSError) as exc:
                    word = exc.sqlstate if isinstance(exc, psycopg.Error) else None
                    log.warning("not hearing other servers: %s", word or "unreachable")
                else:
                    tries = 0
                self._store.listening = False
                await asyncio.sleep(RECONNECT_AFTER[min(tries, len(RECONNECT_AFTER) - 1)])
                tries += 1
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._store.url, autocommit=True) as db:
            await db.execute(f"LISTEN {EVENTS_CHANNEL}")
            await db.execute(f"LISTEN {SEATS_CHANNEL}")
            self._store.listening = True
            # Whatever was notified while we were not listening: every head compared again.
            await self._compare_heads()
            async for notice in db.notifies():
                if notice.channel == EVENTS_CHANNEL:
                    self._heard_of_events(notice.payload)
                else:
                    self._heard_of_seat(notice.payload)

    async def _compare_heads(self) -> None:
        try:
            heads = await asyncio.wrap_future(self._store.heads())
        except StoreError:
            return
        here = {room.key: len(room.log) for room in self._store.rooms()}
        self._stale |= {key for key, head in heads.items() if here.get(key, 0) < head}
        self._stale |= here.keys() - heads.keys()  # gone elsewhere, or not yet written here
        self._due.set()

    def _heard_of_events(self, payload: str) -> None:
        key, _, head = payload.partition(" ")
        room = self._store.get(key)
        if room is not None and head.isdigit() and len(room.log) >= int(head):
            return  # our own commit, or one already read
        self._stale.add(key)
        self._due.set()

    def _heard_of_seat(self, payload: str) -> None:
        key, seat, instance = [*payload.split(" "), "", ""][:3]
        if instance != self._store.instance and seat in ("a", "b"):
            self._registry.seat_taken_elsewhere(key, Seat(seat))

    async def _read_news(self) -> None:
        """Read back the stale rooms' news, behind the writes handed over before, and take it
        in; a room a batch here is changing is read again a moment later."""
        while True:
            await self._due.wait()
            self._due.clear()
            if not self._stale:
                continue
            heads = {key: _head(self._store, key) for key in self._stale}
            self._stale.clear()
            try:
                news = await asyncio.wrap_future(self._store.fetch(heads))
            except StoreError:
                self._stale |= heads.keys()
                await asyncio.sleep(RECONNECT_AFTER[-1])
                self._due.set()
                continue
            later = self._registry.catch_up(news, self._clock())
            if later:
                self._stale.update(later)
                await asyncio.sleep(AGAIN_AFTER)
                self._due.set()


def _head(store: SharedStore, key: str) -> int:
    room = store.get(key)
    return 0 if room is None else len(room.log)
