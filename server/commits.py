"""Group commits: the changes of one turn of the event loop kept by one write, told only after it.

docs/protocol.md, Rate limits: "the server saves every event before it sends
it to anyone". Each change joins the open batch, and every reply and close is
held until the write that keeps that batch is done. Without a `Loop` each
call that changed something is written before it returns. With one, what
every connection did in one turn of the loop is kept by one write, which
shares the cost of its fsync, and the loop does not wait for it: one batch
at a time is in flight with the store while the next one gathers, and that
one is handed over as soon as the first is kept. A batch that cannot be kept
is undone whole, with the batch after it, which may build on it: each of
their changes is answered `rate_limited` through the `Lost` its call gave,
and nothing that would tell of them is sent.
"""

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from server.metrics import NO_METRICS, Metrics, StoreOperation
from server.room import Room, RoomMark, Sender
from server.store import Moved, RoomStore, StoreError, Writes
from shared.errors import ErrorCode, Rejected
from shared.events import ErrorReply, Event, Reply, TypingNotice
from shared.seats import Seat

# The rooms' logger, as the registry's: docs/deploy.md, Logs, names it in every line.
log = logging.getLogger("server.rooms")


def not_kept() -> Rejected:
    """docs/protocol.md, Rate limits: a message answered `rate_limited` was not acted on."""
    return Rejected(ErrorCode.RATE_LIMITED, "the server could not save that; try again soon")


Lost = Callable[[StoreError], None]
"""How the sender of a change is answered when the batch holding it cannot be kept: with
`not_kept()`, or, when another server moved a room on first (`Moved`), by judging the change
again once this server has caught up."""


class Loop(Protocol):
    """What the group commit asks of the event loop (asyncio's has both)."""

    def call_soon(self, callback: Callable[[], object], /) -> object:
        """Run `callback` once the calls now under way are done."""

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> object:
        """The same, asked from another thread: the store's writer, when a write is done."""


@dataclass(frozen=True)
class _Close:
    """A close held, like a reply, until the batch before it is kept."""

    code: int
    reason: str


@dataclass(frozen=True)
class _Lost:
    """A change's `on_lost`, held in the place of the replies it would replace."""

    answer: Lost
    room: int
    """The `id` of the room the change was to: lost alone if another server moved it on."""


class _Held(NamedTuple):
    """A reply or close held until the batch before it is kept; `room` is the `id` of the
    room whose change it tells of, or None when it tells of none (an error, a flood's close):
    that goes out even when the room's changes are lost."""

    sender: Sender
    reply: Reply | _Close
    room: int | None


@dataclass
class _Batch:
    """Changes not yet kept, and everything waiting on them."""

    marks: dict[int, tuple[Room, RoomMark]] = field(default_factory=dict)
    """Each room changed, by `id`, with how it was before its first change in the batch."""
    added: list[Room] = field(default_factory=list)
    """The rooms new in the batch: the store forgets them again if it is lost."""
    events: list[tuple[Room, Event]] = field(default_factory=list)
    """Every event recorded in the batch, in order: what the store is to keep."""
    held: list[_Held | _Lost] = field(default_factory=list)
    """Replies and closes in the order they were made, each change's `_Lost` after its own."""
    gone: list[tuple[Room, Seat, Sender]] = field(default_factory=list)
    """Connections that closed during the batch: undoing it must not seat them again."""
    kept: Future[None] | None = None
    """Once handed to the store: done when the batch is kept, failed when it is lost."""
    judged: dict[int, float] = field(default_factory=dict)
    """When each event was recorded, by its `id`, on the metrics' clock: what relay latency
    is timed from."""
    handed_over: float = 0.0
    """When the batch went to the store, on the metrics' clock: what commit latency is timed
    from."""


class GroupCommit:
    """The open batch, the one in flight with the store, and the replies held behind them."""

    def __init__(
        self,
        store: RoomStore,
        loop: Loop | None,
        undone: Callable[[StoreError], None],
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store = store
        self._loop = loop
        self._undone = undone
        self._metrics = metrics
        """Called once a lost batch is undone, when rooms may hold fewer events, and before its
        changes are answered: with `Moved`, the rooms catch up first."""
        self._batch: _Batch | None = None
        """The open batch: changes made, not yet handed to the store."""
        self._in_flight: _Batch | None = None
        """The batch handed to the store, until the loop hears it is kept or lost."""
        self._commit_due = False
        self._last_changed = 0
        """The `id` of the room the call under way changed: a call changes one room."""

    @property
    def committing(self) -> bool:
        """A batch is with the store, and what tells of it waits for its write."""
        return self._in_flight is not None

    def changing(self) -> set[int]:
        """The `id` of every room the open batch or the batch in flight changes."""
        batches = (self._batch, self._in_flight)
        return {key for batch in batches if batch is not None for key in batch.marks}

    def mark(self, room: Room) -> RoomMark | None:
        """How `room` is now, to be taken before changing it, unless the open batch already
        knows how it was before it: a lost batch undoes each room to its first mark, so later
        ones would go unused."""
        if self._batch is not None and id(room) in self._batch.marks:
            return None
        return room.mark()

    def add(self, room: Room) -> None:
        """A new room: the store holds it from now on, and the open batch writes it."""
        self._store.add(room)
        self._open().added.append(room)

    def changed(self, room: Room, mark: RoomMark | None, event: Event | None) -> None:
        """`room` changed in the open batch, from `mark` if it is new to it, recording `event`
        if the change made one."""
        batch = self._open()
        self._last_changed = id(room)
        if mark is not None:
            batch.marks.setdefault(id(room), (room, mark))
        if event is not None:
            batch.events.append((room, event))
            batch.judged[id(event)] = self._metrics.clock()

    def gone(self, room: Room, seat: Seat, sender: Sender) -> None:
        """`sender`'s connection in `seat` closed: should a batch under way be lost, undoing it
        must not seat it again."""
        if self._batch is not None or self._in_flight is not None:
            self._open().gone.append((room, seat, sender))

    def send(self, sender: Sender, reply: Reply, room: Room | None = None) -> None:
        """`reply` to `sender`, behind anything held for it, so that no reply overtakes another;
        `room` when it tells of a change to that room."""
        if self._batch is None and self._in_flight is None:
            sender.send(reply)
        else:
            self._open().held.append(_Held(sender, reply, None if room is None else id(room)))

    def close(self, sender: Sender, code: int, reason: str, room: Room | None = None) -> None:
        """Close `sender`'s connection once what is held for it has gone out; `room` when the
        close is part of a change to that room (a leave, a takeover)."""
        if self._batch is None and self._in_flight is None:
            sender.close(code, reason)
        else:
            closing = _Close(code, reason)
            self._open().held.append(_Held(sender, closing, None if room is None else id(room)))

    def settle(self, on_lost: Lost | None) -> bool:
        """The end of a call that changed something: write now, or, given a loop, hold
        `on_lost` and see the batch handed over once the loop's turn is over. False when a
        write now failed and the change is undone."""
        if self._batch is None:
            return True
        if self._loop is None:
            try:
                self.flush()
            except StoreError:
                return False
            return True
        if on_lost is not None:
            self._batch.held.append(_Lost(on_lost, self._last_changed))
        if not self._commit_due:
            self._commit_due = True
            self._loop.call_soon(self._commit_when_due)
        return True

    def flush(self) -> None:
        """Keep what is in flight, then what is open, before returning, waiting on the store
        (outside the hot path only); StoreError if anything was lost."""
        lost = self._hand_off() if self._in_flight is None else None
        while self._in_flight is not None and self._in_flight.kept is not None:
            lost = self._landed(self._in_flight.kept) or lost
        if lost is not None:
            raise lost

    def _open(self) -> _Batch:
        """The open batch, begun now if none is."""
        if self._batch is None:
            self._batch = _Batch()
        return self._batch

    def _commit_when_due(self) -> None:
        """The turn is over: its batch goes to the store, unless one is in flight, whose
        landing hands it over instead."""
        self._commit_due = False
        if self._in_flight is None:
            self._hand_off()

    def _hand_off(self) -> StoreError | None:
        """The open batch goes to the store to be kept; with nothing in it to write (a takeover,
        or only replies held behind the batch before), what it holds goes out at once. What it
        was lost with, if the store answered at once."""
        batch, self._batch = self._batch, None
        if batch is None:
            return None
        if not batch.events:
            self._release(batch)
            return None
        batch.handed_over = self._metrics.clock()
        try:
            kept = self._store.write(Writes(batch.added, batch.events))
        except StoreError as exc:
            kept = Future()
            kept.set_exception(exc)
        batch.kept = kept
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
        """The store has answered for the batch in flight (waiting for it if not, in `flush`):
        send what it held, in order, and hand over the open batch; or, if it was lost, lose the
        open batch with it. What it, or the batch handed over after it and answered at once,
        was lost with."""
        batch = self._in_flight
        if batch is None or batch.kept is not kept:
            return None  # it landed already, waited for by `flush`
        try:
            kept.result()
        except Moved as exc:
            self._metrics.committed(self._metrics.clock() - batch.handed_over)
            self._lose_rooms(exc)
            return exc if self._loop is None else self._hand_off()
        except StoreError as exc:
            self._metrics.store_failed(StoreOperation.WRITE)
            self._lose(exc)
            return exc
        self._metrics.committed(self._metrics.clock() - batch.handed_over)
        self._in_flight = None
        self._release(batch)
        self._told(batch, batch.events)
        return self._hand_off()

    def _told(self, batch: _Batch, events: list[tuple[Room, Event]]) -> None:
        """`events` of `batch` were kept and have gone out to their rooms: counted by kind,
        and each timed from when it was judged."""
        now = self._metrics.clock()
        for _, event in events:
            self._metrics.accepted(event.kind)
            self._metrics.relayed(now - batch.judged[id(event)])

    def _release(self, batch: _Batch) -> None:
        """Send what `batch` held, in the order it was made."""
        for item in batch.held:
            if not isinstance(item, _Lost):
                _deliver(item)

    def _lose_rooms(self, exc: Moved) -> None:
        """The store kept the batch in flight but for the rooms another server moved on first:
        those rooms go back to how they were before it, in the open batch too, which may build
        on it; nothing that tells of their changes is sent, and each is judged again through
        its `on_lost`, once the rooms have caught up. Everything else goes out as kept."""
        batch = self._in_flight
        assert batch is not None, "only a batch in flight can be lost"
        self._in_flight = None
        later = self._batch
        moved = {key for key, (room, _) in batch.marks.items() if room.key in exc.keys}
        for key in moved:
            room, mark = batch.marks[key]
            room.undo(mark)
            log.warning(
                "room %s moved on by another server; judging again",
                room.label,
                extra={"room": room.label},
            )
        if later is not None:
            later.marks = {k: v for k, v in later.marks.items() if k not in moved}
            later.events = [(r, e) for r, e in later.events if id(r) not in moved]
        for gone in (batch.gone, [] if later is None else later.gone):
            for room, seat, sender in gone:
                if id(room) in moved and room.senders.get(seat) is sender:
                    del room.senders[seat]
        # The changes lost, in the order they were made: the batch in flight's, then the open
        # one's, whose replies about the rooms that moved are taken out now, before catching up
        # adds what the other server recorded.
        answers = [i.answer for i in batch.held if isinstance(i, _Lost) and i.room in moved]
        if later is not None:
            answers += [i.answer for i in later.held if isinstance(i, _Lost) and i.room in moved]
            later.held = [
                item
                for item in later.held
                if item.room not in moved or (isinstance(item, _Held) and _tells_nothing(item))
            ]
        for item in batch.held:
            if isinstance(item, _Held) and (item.room not in moved or _tells_nothing(item)):
                _deliver(item)
        self._told(batch, [(room, event) for room, event in batch.events if id(room) not in moved])
        self._undone(exc)
        for answer in answers:
            answer(exc)

    def _lose(self, exc: StoreError) -> None:
        """The store kept nothing of the batch in flight: every room goes back to how it was
        before it, nothing that tells of it is sent, and each change is answered
        `rate_limited` (or judged again, after `Moved`). The open batch may build on it, so
        it is lost with it, and undone first.

        Errors and typing notices tell nothing of a batch and still go out, but a notice
        only to a connection that is still seated; events, `joined` and closes are dropped.
        """
        assert self._in_flight is not None, "only a batch in flight can be lost"
        lost = [self._batch, self._in_flight] if self._batch is not None else [self._in_flight]
        self._batch = self._in_flight = None
        self._store.forget([room for batch in lost for room in batch.added])
        seated = _seated(lost)
        for batch in lost:
            for room, mark in batch.marks.values():
                room.undo(mark)
                log.error(
                    "room %s changes not saved: %s", room.label, exc, extra={"room": room.label}
                )
        self._undone(exc)
        for batch in lost:
            for room, seat, sender in batch.gone:
                if room.senders.get(seat) is sender:
                    del room.senders[seat]
        unseated = seated - _seated(lost)
        for batch in reversed(lost):
            for item in batch.held:
                if isinstance(item, _Lost):
                    item.answer(exc)
                    continue
                reply = item.reply
                if isinstance(reply, ErrorReply) or (
                    isinstance(reply, TypingNotice) and id(item.sender) not in unseated
                ):
                    self.send(item.sender, reply)


def _deliver(item: _Held) -> None:
    if isinstance(item.reply, _Close):
        item.sender.close(item.reply.code, item.reply.reason)
    else:
        item.sender.send(item.reply)


def _tells_nothing(item: _Held) -> bool:
    """An error or a typing notice: it tells of no change, so it goes out even when the
    change it came with is lost."""
    return isinstance(item.reply, ErrorReply | TypingNotice)


def _seated(batches: list[_Batch]) -> set[int]:
    """The `id` of every sender seated in a room the batches changed."""
    return {
        id(sender)
        for batch in batches
        for room, _ in batch.marks.values()
        for sender in room.senders.values()
    }
