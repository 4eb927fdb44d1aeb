"""The registry that finds and runs rooms, and holds every reply until its change is kept.

Time (`now`, Unix milliseconds) and each member's `Sender` are passed in, so
the rules here are tested with direct calls and no sockets; the turn-taking
itself is `shared.session.Session`.
"""

import contextlib
import functools
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from server.closing import CloseCode
from server.room import Membership, Room, RoomMark, Sender, token_hash
from server.store import NotRemoved, RoomStore, StoreError
from shared.codes import new_code, normalize_code
from shared.errors import ErrorCode, Rejected
from shared.events import ErrorReply, Event, Joined, Reply, TypingNotice
from shared.messages import ClientMessage, MessageType, Typing
from shared.seats import SEATS, Phase, Seat
from shared.session import Change

log = logging.getLogger("server.rooms")


def _not_kept() -> Rejected:
    """docs/protocol.md, Rate limits: a message answered `rate_limited` was not acted on."""
    return Rejected(ErrorCode.RATE_LIMITED, "the server could not save that; try again soon")


Lost = Callable[[Rejected], None]
"""How the sender of a change is answered when the batch holding it cannot be kept."""


class Loop(Protocol):
    """What the registry asks of the event loop (asyncio's has both)."""

    def call_soon(self, callback: Callable[[], object], /) -> object:
        """Run `callback` once the calls now under way are done."""

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> object:
        """The same, asked from another thread: the store's writer, when a commit is done."""


@dataclass(frozen=True)
class _Close:
    """A close held, like a reply, until the batch before it is kept."""

    code: int
    reason: str


@dataclass(frozen=True)
class _Lost:
    """A change's `on_lost`, held in the place of the replies it would replace."""

    answer: Lost


@dataclass
class _Batch:
    """Changes written to the store but not yet committed, and everything waiting on them."""

    marks: dict[int, tuple[Room, RoomMark]] = field(default_factory=dict)
    """Each room changed, by `id`, with how it was before its first change in the batch."""
    held: list[tuple[Sender, Reply | _Close] | _Lost] = field(default_factory=list)
    """Replies and closes in the order they were made, each change's `_Lost` after its own."""
    gone: list[tuple[Room, Seat, Sender]] = field(default_factory=list)
    """Connections that closed during the batch: undoing it must not seat them again."""
    kept: Future[None] | None = None
    """Once handed to the store: done when the batch is kept, failed when it is lost."""


_TAKEN_WHEN_LOG_FULL = frozenset({MessageType.LEAVE})

BURNED = "this room was closed after a pairing that did not match; start a new room"
"""What `join` of a burned room is answered with (`ended`): docs/protocol.md, Mismatch and
burning."""


class RoomRegistry:
    """Creates, finds and runs rooms; every reply goes out through the members' senders.

    Every change is written into the store's open batch, and every reply and
    close is held until the commit that keeps that batch: docs/protocol.md,
    Rate limits, "the server saves every event before it sends it to anyone".
    Without `loop` each call commits before it returns. With it, what every
    connection did in one turn of the loop is kept by one commit, which shares
    the cost of its fsync, and the loop does not wait for it: one batch at a
    time is in flight with the store while the next one gathers, and that one
    is handed over as soon as the first is kept. A batch that cannot be kept
    is undone whole, with the batch after it, which may build on it: each of
    their changes is answered `rate_limited` through the `on_lost` its call
    was given, and nothing that would tell of them is sent.
    """

    def __init__(
        self,
        store: RoomStore,
        *,
        room_ttl_ms: int,
        max_rooms: int,
        max_log_bytes: int,
        max_total_log_bytes: int | None = None,
        loop: Loop | None = None,
    ) -> None:
        self._store = store
        self._room_ttl_ms = room_ttl_ms
        self._max_rooms = max_rooms
        self._max_log_bytes = max_log_bytes
        self._max_total_log_bytes = max_total_log_bytes
        self._log_bytes = self._count_log_bytes()
        """Every room's log together: added to as events are recorded, and counted again where
        rooms go (a sweep, a lost batch)."""
        self._loop = loop
        self._batch: _Batch | None = None
        """The open batch: changes written to the store, not yet handed over."""
        self._in_flight: _Batch | None = None
        """The batch handed to the store, until the loop hears it is kept or lost."""
        self._commit_due = False

    @property
    def room_count(self) -> int:
        return len(self._store.rooms())

    @property
    def store_health(self) -> str:
        """The store's word for `/healthz`: `ok`, `memory`, or what is wrong."""
        return self._store.health()

    @property
    def committing(self) -> bool:
        """A batch is with the store, and what tells of it waits for its commit."""
        return self._in_flight is not None

    def recover(self, now: int) -> None:
        """After a start on kept rooms: expire the idle ones, then record `away` where needed.

        A restarted server has no connections, yet the store may say a member
        was online: the crash or kill dropped them without the server seeing
        it. docs/protocol.md records `away` when a connection drops, so it is
        recorded now (partner first sees it on resume, just before `back`).
        Raises StoreError when it cannot be kept: a server that cannot write
        should not start.
        """
        self.sweep(now)
        for room in self._store.rooms():
            for seat in Seat:
                if room.session.online[seat] and seat not in room.senders:
                    mark = room.mark()
                    change = room.session.presence(seat, online=False)
                    if change is None:
                        continue
                    self._touch(room, mark)
                    try:
                        self._store.append(room, self._record(room, change, now))
                    except StoreError as exc:
                        self._lose(exc)
                        raise
        self._commit()

    def close(self) -> None:
        """Keep what is in flight and what is open, then let go of the store, once no connection
        is left to record a drop."""
        with contextlib.suppress(StoreError):  # a lost batch is undone, as any other
            self._commit()
        self._store.close()

    def send(self, sender: Sender, reply: Reply) -> None:
        """`reply` to `sender`, behind anything held for it, so that no reply overtakes another."""
        if self._batch is None and self._in_flight is None:
            sender.send(reply)
        else:
            self._open().held.append((sender, reply))

    @property
    def log_bytes(self) -> int:
        """Every room's log together, in bytes: what the server-wide budget counts."""
        return self._log_bytes

    def create(self, sender: Sender, now: int, *, on_lost: Lost | None = None) -> Membership:
        """A new room with the sender in seat `a`; its `joined` event has `seq` 1.

        docs/protocol.md, Rate limits: refused while the server holds `max_rooms`, or while
        its logs fill 90% of `max_total_log_bytes`, the rest kept for the rooms already open.
        """
        if self.room_count >= self._max_rooms:
            raise Rejected(ErrorCode.RATE_LIMITED, "the server has too many rooms; try later")
        budget = self._max_total_log_bytes
        if budget is not None and self._log_bytes * 10 >= budget * 9:
            raise Rejected(ErrorCode.RATE_LIMITED, "the server is full; try again later")
        code = new_code()
        while self._store.get(normalize_code(code)) is not None:
            code = new_code()
        room = Room(code=code, label=secrets.token_hex(4), last_active=now)
        self._touch(room, room.mark())
        token = _new_seat(room, Seat.A)
        self._record(room, room.session.seat_member(Seat.A), now)
        try:
            self._store.add(room)
        except StoreError as exc:
            self._lose(exc)
            raise _not_kept() from None
        log.info("room %s created", room.label, extra={"room": room.label})
        room.senders[Seat.A] = sender
        self.send(sender, Joined(room.code, Seat.A, token, room.log.since(0), room.session.state))
        if not self._settle(on_lost):
            raise _not_kept()
        return Membership(room, Seat.A, sender)

    def join(
        self, sender: Sender, code: str, now: int, *, on_lost: Lost | None = None
    ) -> Membership:
        """The sender takes seat `b`: docs/protocol.md, `join` (`no_room`, `room_full`).

        A burned room says so before `room_full`: its seat `b` is taken, perhaps by
        whoever guessed wrong, and the partner who comes next must learn to start
        again (docs/protocol.md, Mismatch and burning).
        """
        room = self._find(code)
        if room.burned:
            raise Rejected(ErrorCode.ENDED, BURNED)
        if Seat.B in room.token_hashes:
            raise Rejected(ErrorCode.ROOM_FULL, "this room already has two people")
        if room.session.phase is Phase.ENDED:
            raise Rejected(ErrorCode.ENDED, "this session has ended")
        self._touch(room, room.mark())
        token = _new_seat(room, Seat.B)
        event = self._record(room, room.session.seat_member(Seat.B), now)
        if not self._keep(room, event):
            raise _not_kept()
        log.info("room %s joined", room.label, extra={"room": room.label})
        self._tell(room, event)
        room.senders[Seat.B] = sender
        self.send(sender, Joined(room.code, Seat.B, token, room.log.since(0), room.session.state))
        if not self._settle(on_lost):
            raise _not_kept()
        return Membership(room, Seat.B, sender)

    def resume(
        self,
        sender: Sender,
        code: str,
        token: str,
        after: int,
        now: int,
        *,
        on_lost: Lost | None = None,
    ) -> Membership:
        """The sender takes back its seat: docs/protocol.md, Seats, phases and the floor.

        A seat whose old connection is still open is taken over: the old one
        is closed with 4001 and neither `away` nor `back` is recorded. In an
        ended room the log is sent and nothing is recorded.
        """
        room = self._find(code)
        seat = room.seat_with_token(token)
        if seat is None:
            raise Rejected(ErrorCode.BAD_TOKEN, "that token does not belong to this room")
        # A takeover writes nothing, yet it is part of the batch: its `joined` may show events
        # not kept yet, and if they are lost the old connection keeps the seat.
        self._touch(room, room.mark())
        old = room.senders.get(seat)
        if old is not None:
            room.senders[seat] = sender
            self._close(old, CloseCode.TAKEN_OVER, "this seat was resumed on another connection")
            log.info("room %s seat taken over", room.label, extra={"room": room.label})
        else:
            change = room.session.presence(seat, online=True)
            if change is not None:
                event = self._record(room, change, now)
                if not self._keep(room, event):
                    raise _not_kept()
                self._tell(room, event)
            room.senders[seat] = sender
            log.info("room %s resumed", room.label, extra={"room": room.label})
        self.send(sender, Joined(room.code, seat, token, room.since(after), room.session.state))
        if not self._settle(on_lost):
            raise _not_kept()
        return Membership(room, seat, sender)

    def act(
        self,
        member: Membership,
        message: ClientMessage,
        now: int,
        *,
        on_lost: Lost | None = None,
    ) -> None:
        """An in-room message from a seated connection, checked by `Session.apply`."""
        if not member.current:
            return
        room = member.room
        if message.TYPE not in _TAKEN_WHEN_LOG_FULL:
            if room.log.size >= self._max_log_bytes:
                raise Rejected(
                    ErrorCode.RATE_LIMITED, "this room's history is full; only leave is taken"
                )
            budget = self._max_total_log_bytes
            if budget is not None and self._log_bytes >= budget:
                raise Rejected(ErrorCode.RATE_LIMITED, "the server is full; only leave is taken")
        mark = self._mark(room)
        change = room.session.apply(member.seat, message)
        if change is None:
            # docs/protocol.md, Server → client: `typing` goes to the partner alone.
            if isinstance(message, Typing):
                self._tell(room, TypingNotice(member.seat, message.on), besides=member.seat)
            return
        self._touch(room, mark)
        event = self._record(room, change, now)
        if not self._keep(room, event):
            raise _not_kept()
        self._tell(room, event)
        if room.session.phase is Phase.ENDED:
            # docs/protocol.md: after `leave`, only the leaver's connection is closed (1000).
            del room.senders[member.seat]
            self._close(member.sender, CloseCode.LEFT, "you left the session")
            log.info("room %s ended", room.label, extra={"room": room.label})
        if not self._settle(on_lost):
            raise _not_kept()

    def drop(self, member: Membership, now: int) -> None:
        """The connection closed: `away`, unless it was taken over, left, or the room ended."""
        if not member.current:
            return
        room = member.room
        mark = self._mark(room)
        del room.senders[member.seat]
        change = room.session.presence(member.seat, online=False)
        if change is not None:
            self._touch(room, mark)
        if self._batch is not None or self._in_flight is not None:
            self._open().gone.append((room, member.seat, member.sender))
        if change is None:
            return
        event = self._record(room, change, now)
        # A drop has no sender to refuse: an `away` not kept is told to no one, the room
        # stays as it was, and a restart on what was kept records the `away` then.
        if self._keep(room, event):
            self._tell(room, event)
            self._settle(None)

    def sweep(self, now: int) -> list[Room]:
        """Forget the rooms idle for the room TTL and close their connections with 1001, at
        once; the store deletes their rows while the loop goes on (without `loop`, before this
        returns). A room whose rows could not be deleted is logged by label and deleted at the
        next sweep, or by `recover` after a restart, as it is still expired then.

        A room that the open batch or the one in flight changes waits for the next sweep: one
        that recorded an event is not idle, but a takeover records none, and the batch's held
        replies and undo must not outlive the room.
        """
        changing = self._changing()
        expired = [
            room
            for room in self._store.rooms()
            if now - room.last_active >= self._room_ttl_ms and id(room) not in changing
        ]
        # Even with none expired: the store first deletes what an earlier sweep could not.
        removed = self._store.remove(expired)
        for room in expired:
            for sender in room.senders.values():
                sender.close(CloseCode.GOING_AWAY, "the room expired")
            room.senders.clear()
            log.debug("room %s expired", room.label, extra={"room": room.label})
        if expired:
            # One line a sweep: a line a room cost the loop 25 µs each, 250 ms for 10,000.
            log.info("%d room(s) expired", len(expired))
        if self._loop is None:
            _log_not_removed(removed)
        else:
            removed.add_done_callback(_log_not_removed)
        self._log_bytes = self._count_log_bytes()
        return expired

    def _changing(self) -> set[int]:
        """The `id` of every room the open batch or the batch in flight changes."""
        batches = (self._batch, self._in_flight)
        return {key for batch in batches if batch is not None for key in batch.marks}

    def _record(self, room: Room, change: Change, now: int) -> Event:
        """`room.record`, counted toward every log's total."""
        event = room.record(change, now)
        self._log_bytes += len(event.frame)
        return event

    def _count_log_bytes(self) -> int:
        return sum(room.log.size for room in self._store.rooms())

    def _mark(self, room: Room) -> RoomMark | None:
        """How `room` is now, unless the open batch already knows how it was before it: a
        lost batch undoes each room to its first mark, so later ones would go unused."""
        if self._batch is not None and id(room) in self._batch.marks:
            return None
        return room.mark()

    def _touch(self, room: Room, mark: RoomMark | None) -> None:
        """`room` changes in the open batch, from `mark` if it is new to it."""
        batch = self._open()
        if mark is not None:
            batch.marks.setdefault(id(room), (room, mark))

    def _open(self) -> _Batch:
        """The open batch, begun now if none is."""
        if self._batch is None:
            self._batch = _Batch()
        return self._batch

    def _keep(self, room: Room, event: Event) -> bool:
        """Write `event` into the open batch; if the store fails, the batch is lost: False."""
        try:
            self._store.append(room, event)
        except StoreError as exc:
            self._lose(exc)
            return False
        return True

    def _tell(self, room: Room, reply: Reply, *, besides: Seat | None = None) -> None:
        """`reply` to every connected member but `besides`."""
        for seat in SEATS:
            sender = room.senders.get(seat)
            if sender is not None and seat is not besides:
                self.send(sender, reply)

    def _close(self, sender: Sender, code: int, reason: str) -> None:
        """Close `sender`'s connection once what is held for it has gone out."""
        if self._batch is None and self._in_flight is None:
            sender.close(code, reason)
        else:
            self._open().held.append((sender, _Close(code, reason)))

    def _settle(self, on_lost: Lost | None) -> bool:
        """The end of a call that changed something: commit now, or, given `loop`, hold
        `on_lost` and see the batch handed over once the loop's turn is over. False when a
        commit now failed and the change is undone."""
        if self._batch is None:
            return True
        if self._loop is None:
            try:
                self._commit()
            except StoreError:
                return False
            return True
        if on_lost is not None:
            self._batch.held.append(_Lost(on_lost))
        if not self._commit_due:
            self._commit_due = True
            self._loop.call_soon(self._commit_when_due)
        return True

    def _commit_when_due(self) -> None:
        """The turn is over: its batch goes to the store, unless one is in flight, whose
        landing hands it over instead."""
        self._commit_due = False
        if self._in_flight is None:
            self._hand_off()

    def _commit(self) -> None:
        """Keep what is in flight, then what is open, before returning, waiting on the store
        (outside the hot path only); StoreError if anything was lost."""
        lost = self._hand_off() if self._in_flight is None else None
        while self._in_flight is not None and self._in_flight.kept is not None:
            lost = self._landed(self._in_flight.kept) or lost
        if lost is not None:
            raise lost

    def _hand_off(self) -> StoreError | None:
        """The open batch goes to the store to be kept; with nothing in it to keep (only replies
        held behind the batch before), what it holds goes out at once. What it was lost with,
        if the store answered at once."""
        batch, self._batch = self._batch, None
        if batch is None:
            return None
        if not batch.marks:
            self._release(batch)
            return None
        batch.kept = kept = self._store.commit()
        self._in_flight = batch
        if kept.done():
            return self._landed(kept)
        if self._loop is not None:
            kept.add_done_callback(self._answered)
        return None

    def _answered(self, kept: Future[None]) -> None:
        """On the store's writer thread: the batch lands on the loop's. The callback names the
        batch by its future, not the batch itself, which would make a cycle (batch, future,
        callback) that only the garbage collector could free, with all the batch held."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(functools.partial(self._landed, kept))

    def _landed(self, kept: Future[None]) -> StoreError | None:
        """The store has answered for the batch in flight (waiting for it if not, in `_commit`):
        send what it held, in order, and hand over the open batch; or, if it was lost, lose the
        open batch with it. What it, or the batch handed over after it and answered at once,
        was lost with."""
        batch = self._in_flight
        if batch is None or batch.kept is not kept:
            return None  # it landed already, waited for by `_commit`
        try:
            kept.result()
        except StoreError as exc:
            self._lose(exc, in_flight=True)
            return exc
        self._in_flight = None
        self._release(batch)
        return self._hand_off()

    def _release(self, batch: _Batch) -> None:
        """Send what `batch` held, in the order it was made."""
        for item in batch.held:
            if isinstance(item, _Lost):
                continue
            sender, reply = item
            if isinstance(reply, _Close):
                sender.close(reply.code, reply.reason)
            else:
                sender.send(reply)

    def _lose(self, exc: StoreError, *, in_flight: bool = False) -> None:
        """The store kept nothing of the open batch, nor, `in_flight`, of the batch in flight:
        every room goes back to how it was before them, nothing that tells of them is sent, and
        each change is answered `rate_limited`. The open batch may build on the one in flight,
        so it is lost with it, and undone first.

        Errors and typing notices tell nothing of a batch and still go out, but a notice
        only to a connection that is still seated; events, `joined` and closes are dropped.
        Whatever goes out waits behind a batch still in flight, as any reply does.
        """
        lost = [self._batch] if self._batch is not None else []
        self._batch = None
        if in_flight:
            assert self._in_flight is not None, "only a batch in flight can be lost in flight"
            lost.append(self._in_flight)
            self._in_flight = None
        assert lost, "only an open batch can be lost"
        self._store.rollback()
        seated = _seated(lost)
        for batch in lost:
            for room, mark in batch.marks.values():
                room.undo(mark)
                log.error(
                    "room %s changes not saved: %s", room.label, exc, extra={"room": room.label}
                )
        self._log_bytes = self._count_log_bytes()
        for batch in lost:
            for room, seat, sender in batch.gone:
                if room.senders.get(seat) is sender:
                    del room.senders[seat]
            if self._in_flight is not None:
                # Should the batch in flight be lost too, undoing it must not seat them either.
                self._in_flight.gone.extend(batch.gone)
        unseated = seated - _seated(lost)
        for batch in reversed(lost):
            for item in batch.held:
                if isinstance(item, _Lost):
                    item.answer(_not_kept())
                    continue
                sender, reply = item
                if isinstance(reply, ErrorReply) or (
                    isinstance(reply, TypingNotice) and id(sender) not in unseated
                ):
                    self.send(sender, reply)

    def _find(self, code: str) -> Room:
        room = self._store.get(normalize_code(code))
        if room is None:
            raise Rejected(ErrorCode.NO_ROOM, "no room has that code")
        return room


def _log_not_removed(removed: Future[None]) -> None:
    """Log each room whose rows `removed` could not delete, by label, once it is done (waiting
    for it if not, when the registry has no loop)."""
    try:
        removed.result()
    except NotRemoved as failed:
        for label in failed.labels:
            log.error(
                "room %s not removed: %s; the next sweep tries again",
                label,
                failed,
                extra={"room": label},
            )


def _seated(batches: list[_Batch]) -> set[int]:
    """The `id` of every sender seated in a room the batches changed."""
    return {
        id(sender)
        for batch in batches
        for room, _ in batch.marks.values()
        for sender in room.senders.values()
    }


def _new_seat(room: Room, seat: Seat) -> str:
    """A fresh token for `seat`; the room keeps only its hash."""
    token = secrets.token_urlsafe(16)
    room.token_hashes[seat] = token_hash(token)
    return token
