"""The registry that finds and runs rooms: create, join, resume, peek, act, drop and sweep.

Time (`now`, Unix milliseconds) and each member's `Sender` are passed in, so
the rules here are tested with direct calls and no sockets; the turn-taking
itself is `shared.session.Session`, and when anyone hears of a change is
`server.commits`.
"""

import contextlib
import functools
import logging
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from server.commits import GroupCommit, Loop, Lost, not_kept
from server.config import LETTERS_TTL
from server.metrics import NO_METRICS, Metrics, StoreOperation
from server.room import Membership, Room, RoomMark, Sender, new_epoch, token_hash
from server.store import Moved, NotRemoved, RoomNews, RoomStore, SharedStore, StoreError
from shared.codes import new_code, normalize_code
from shared.errors import ErrorCode, Rejected
from shared.events import Event, Joined, Reply, TypingNotice
from shared.messages import ClientMessage, MessageType, Typing
from shared.seats import LETTER_PHASES, SEATS, Mode, Phase, Seat
from shared.session import Change
from shared.wire import CloseCode

log = logging.getLogger("server.rooms")

_TAKEN_WHEN_LOG_FULL = frozenset({MessageType.LEAVE})

BURNED = "this room was closed after a pairing that did not match; start a new room"
"""What `join` of a burned room is answered with (`ended`): docs/protocol.md, Mismatch and
burning."""


class RoomRegistry:
    """Creates, finds and runs rooms; every reply goes out through the members' senders.

    Every change to a room takes one step, `_change`, into the open batch of the
    group commit (`server.commits`), and every reply and close is held until the
    batch is kept: docs/protocol.md, Rate limits, "the server saves every event
    before it sends it to anyone". Without `loop` each call is kept before it
    returns; with it, one turn of the loop is kept by one write. A change whose
    batch is lost is answered `rate_limited`: raised, when it is known before the
    call returns, or else through the `on_lost` the call was given.
    """

    def __init__(
        self,
        store: RoomStore,
        *,
        room_ttl_ms: int,
        letters_ttl_ms: int = LETTERS_TTL * 1000,
        max_rooms: int,
        max_log_bytes: int,
        max_total_log_bytes: int | None = None,
        loop: Loop | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._room_ttl_ms = room_ttl_ms
        self._letters_ttl_ms = letters_ttl_ms
        self._max_rooms = max_rooms
        self._max_log_bytes = max_log_bytes
        self._max_total_log_bytes = max_total_log_bytes
        self._log_bytes = self._count_log_bytes()
        """Every room's log together: added to as events are recorded, and counted again where
        rooms go (a sweep, a lost batch)."""
        self._commits = GroupCommit(store, loop, undone=self._undone, metrics=metrics)
        self._loop = loop
        self._on_loop = loop is not None
        self._shared = store if isinstance(store, SharedStore) else None
        """Set when other servers write to the same store: docs/deploy.md, Several servers."""
        """With a loop, the store deletes a sweep's rooms after it returns; without, before."""

    @property
    def room_count(self) -> int:
        return len(self._store.rooms())

    def phases(self) -> Counter[Phase]:
        """How many rooms are in each phase, for the metrics: docs/deploy.md, Metrics."""
        return Counter(room.session.phase for room in self._store.rooms())

    @property
    def store_health(self) -> str:
        """The store's word for `/healthz`: `ok`, `memory`, or what is wrong."""
        return self._store.health()

    @property
    def committing(self) -> bool:
        """A batch is with the store, and what tells of it waits for its write."""
        return self._commits.committing

    @property
    def log_bytes(self) -> int:
        """Every room's log together, in bytes: what the server-wide budget counts."""
        return self._log_bytes

    def recover(self, now: int) -> None:
        """After a start on kept rooms: expire the idle ones, then record `away` where needed.

        A restarted server has no connections, yet the store may say a member
        was online: the crash or kill dropped them without the server seeing
        it. docs/protocol.md records `away` when a connection drops, so it is
        recorded now (partner first sees it on resume, just before `back`).
        Raises StoreError when it cannot be kept: a server that cannot write
        should not start. Beside other servers on a shared store, a seat marked
        online may be held by one of them, so nothing is recorded.
        """
        self.sweep(now)
        if self._shared is not None and not self._shared.alone:
            return
        for room in self._store.rooms():
            for seat in Seat:
                if room.session.online[seat] and seat not in room.senders:
                    mark = self._commits.mark(room)
                    change = room.session.presence(seat, online=False)
                    if change is not None:
                        self._change(room, mark, change, now)
        self._commits.flush()

    def close(self) -> None:
        """Keep what is in flight and what is open, then let go of the store, once no connection
        is left to record a drop."""
        with contextlib.suppress(StoreError):  # a lost batch is undone, as any other
            self._commits.flush()
        self._store.close()

    def send(self, sender: Sender, reply: Reply) -> None:
        """`reply` to `sender`, behind anything held for it, so that no reply overtakes another."""
        self._commits.send(sender, reply)

    def hang_up(self, sender: Sender, code: int, reason: str) -> None:
        """Close `sender`'s connection behind what is held for it: a flood's last answers,
        `rate_limited` among them, still reach it before the close."""
        self._commits.close(sender, code, reason)

    def create(
        self,
        sender: Sender,
        now: int,
        *,
        mode: Mode = Mode.LIVE,
        on_lost: Lost | None = None,
    ) -> Membership:
        """A new room of `mode` with the sender in seat `a`; its `joined` event has `seq` 1.

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
        room = Room(code=code, label=secrets.token_hex(4), last_active=now, epoch=new_epoch())
        room.session.mode = mode
        mark = room.mark()
        token = _new_seat(room, Seat.A)
        self._commits.add(room)
        self._change(room, mark, room.session.seat_member(Seat.A), now)
        log.info("room %s created", room.label, extra={"room": room.label})
        return self._seat(room, Seat.A, sender, token, 0, on_lost)

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
        mark = self._commits.mark(room)
        token = _new_seat(room, Seat.B)
        self._change(room, mark, room.session.seat_member(Seat.B), now)
        log.info("room %s joined", room.label, extra={"room": room.label})
        return self._seat(room, Seat.B, sender, token, 0, on_lost)

    def resume(
        self,
        sender: Sender,
        code: str,
        token: str,
        after: int,
        now: int,
        *,
        epoch: int | None = None,
        on_lost: Lost | None = None,
    ) -> Membership:
        """The sender takes back its seat: docs/protocol.md, Seats, phases and the floor.

        A seat whose old connection is still open is taken over: the old one
        is closed with 4001 and neither `away` nor `back` is recorded. In an
        ended room the log is sent and nothing is recorded.

        A client whose place is not in this log, because it names another `epoch` or has
        seen past the log's head (a restore from a backup, a lost log), is sent the whole
        log with `resync`, rather than the events after a `seq` that meant something else.
        """
        room, seat = self._seat_of(code, token)
        # The head before this resume's own `back`: docs/protocol.md, Drops, resume and leave.
        resync = _resyncs(room, after, epoch)
        mark = self._commits.mark(room)
        old = room.senders.get(seat)
        if old is not None:
            # A takeover records nothing, yet it is part of the batch: its `joined` may show
            # events not kept yet, and if they are lost the old connection keeps the seat.
            self._change(room, mark, None, now)
            self._commits.close(
                old, CloseCode.TAKEN_OVER, "this seat was resumed on another connection", room
            )
            log.info("room %s seat taken over", room.label, extra={"room": room.label})
        else:
            if self._shared is not None and room.session.online[seat]:
                # Online with no connection here: another server may still hold the seat.
                self._shared.seat_taken(room, seat)
            self._change(room, mark, room.session.presence(seat, online=True), now)
            log.info("room %s resumed", room.label, extra={"room": room.label})
        if resync:
            log.info("room %s resynced", room.label, extra={"room": room.label})
            return self._seat(room, seat, sender, token, 0, on_lost, resync=True)
        return self._seat(room, seat, sender, token, after, on_lost)

    def peek(
        self,
        sender: Sender,
        code: str,
        token: str,
        after: int,
        now: int,
        *,
        epoch: int | None = None,
        on_lost: Lost | None = None,
    ) -> None:
        """What `resume` would answer, without taking the seat: docs/protocol.md, Letters,
        Peeking. Nothing is recorded and no member is told; the seat's own connection, if any,
        is left alone, and `sender` stays out of the room.

        The `joined` waits behind the room's changes not kept yet, as it may show them; if
        they are lost, so is it, and `on_lost` answers instead.
        """
        room, seat = self._seat_of(code, token)
        resync = _resyncs(room, after, epoch)
        # Part of the batch, as a takeover is, though it records nothing: see `resume`.
        self._change(room, self._commits.mark(room), None, now)
        joined = _joined(room, seat, token, 0 if resync else after, resync)
        self._commits.send(sender, joined, room)
        self._settle(on_lost)

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
        mark = self._commits.mark(room)
        change = room.session.apply(member.seat, message)
        if change is None:
            # docs/protocol.md, Server → client: `typing` goes to the partner alone.
            if isinstance(message, Typing):
                self._tell(room, TypingNotice(member.seat, message.on), besides=member.seat)
            return
        self._change(room, mark, change, now)
        # docs/protocol.md, Letters: the second `answer` releases both, in the same batch, so
        # that no member hears of it without its `reveal`s and no restart falls between them.
        while (release := room.session.release()) is not None:
            self._change(room, None, release, now)
        if room.session.phase is Phase.ENDED:
            # docs/protocol.md: after `leave`, only the leaver's connection is closed (1000).
            del room.senders[member.seat]
            self._commits.close(member.sender, CloseCode.LEFT, "you left the session", room)
            log.info("room %s ended", room.label, extra={"room": room.label})
        self._settle(on_lost)

    def drop(self, member: Membership, now: int) -> None:
        """The connection closed: `away`, unless it was taken over, left, or the room ended."""
        if not member.current:
            return
        room = member.room
        mark = self._commits.mark(room)
        del room.senders[member.seat]
        change = room.session.presence(member.seat, online=False)
        if change is not None:
            self._change(room, mark, change, now)
        self._commits.gone(room, member.seat, member.sender)
        if change is not None:
            # A drop has no sender to refuse: an `away` not kept is told to no one, the room
            # stays as it was, and a restart on what was kept records the `away` then. Lost
            # to another server's move, it is recorded again once this one has caught up.
            self._commits.settle(functools.partial(self._away_again, room, member.seat, now))

    def sweep(self, now: int) -> list[Room]:
        """Forget the rooms idle for their TTL (`_ttl_ms`) and close their connections with
        1001, at once; the store deletes their rows while the loop goes on (without `loop`,
        before this returns). A room whose rows could not be deleted is logged by label and
        deleted at the next sweep, or by `recover` after a restart, as it is still expired then.

        A room that the open batch or the one in flight changes waits for the next sweep: one
        that recorded an event is not idle, but a takeover records none, and the batch's held
        replies and undo must not outlive the room.
        """
        changing = self._commits.changing()
        expired = [
            room
            for room in self._store.rooms()
            if now - room.last_active >= self._ttl_ms(room) and id(room) not in changing
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
        not_removed = functools.partial(_log_not_removed, self._metrics)
        if self._on_loop:
            removed.add_done_callback(not_removed)
        else:
            not_removed(removed)
        self._recount()
        return expired

    def _ttl_ms(self, room: Room) -> int:
        """How long `room` may go without an event: a paired letters room lasts; one that
        ended is kept as long as a live room, for its partner to learn that it ended, and
        one still waiting for its pairing as long too, since an invite is read aloud for a
        pairing now, and a year of unpaired rooms would fill the server (docs/protocol.md,
        Letters, How long a letters room lasts)."""
        if room.session.phase in LETTER_PHASES:
            return self._letters_ttl_ms
        return self._room_ttl_ms

    def catch_up(self, news: Sequence[RoomNews], now: int | None) -> list[str]:
        """What other servers sharing the store recorded: each room takes the events it lacks
        and its state as the store has it, and its members here are told of them. A room the
        store no longer has is forgotten, its connections closed with 1001. The keys of rooms
        a batch here is changing are given back, for their news to be read again after it.
        With `now`, a seat connected here that the store says is away is recorded `back`;
        without it (a lost batch catching up), the moves judged again come first.
        """
        changing = self._commits.changing()
        later: list[str] = []
        for item in news:
            room = self._store.get(item.key)
            if room is not None and id(room) in changing:
                later.append(item.key)
            elif item.room is None:
                if room is not None:
                    self._gone_elsewhere(room)
            elif room is None:
                self._hold_from_elsewhere(item.room, item.events)
            elif not self._take_news(room, item.room, item.events, now):
                later.append(item.key)
        return later

    def seat_taken_elsewhere(self, key: str, seat: Seat) -> None:
        """Another server seated a connection in `seat`: the one here, if any, is closed as taken
        over (4001), and its drop records nothing."""
        room = self._store.get(key)
        sender = None if room is None else room.senders.pop(seat, None)
        if room is None or sender is None:
            return
        self._commits.gone(room, seat, sender)
        self._commits.close(
            sender, CloseCode.TAKEN_OVER, "this seat was resumed on another connection"
        )
        log.info("room %s seat taken over elsewhere", room.label, extra={"room": room.label})

    def behind(self, code: str, after: int) -> bool:
        """A resume from `after` in a room here whose log ends before it: on a shared store,
        another server has recorded events this one has not read yet, perhaps."""
        room = self._store.get(normalize_code(code))
        return self._shared is not None and room is not None and after > len(room.log)

    def look_elsewhere(self, code: str, now: int, then: Callable[[], None]) -> bool:
        """For a code no room here has, or one `behind`: read the room from a shared store, in
        case another server has just made it or moved it on, and call `then` on the loop once
        that is taken in. False, calling nothing, when there is no other server to look at."""
        if self._shared is None or self._loop is None:
            return False
        loop = self._loop
        key = normalize_code(code)
        room = self._store.get(key)
        fetched = self._shared.fetch({key: 0 if room is None else len(room.log)})

        def landed() -> None:
            with contextlib.suppress(StoreError):  # then the room is not found, as before
                self.catch_up(fetched.result(), now)
            then()

        fetched.add_done_callback(lambda _: loop.call_soon_threadsafe(landed))
        return True

    def _hold_from_elsewhere(self, room: Room, events: Sequence[Event]) -> None:
        """A room another server made: held here from its first event on."""
        if not events or events[0].seq != 1:
            return
        for event in events:
            room.keep(event)
            # What the row does not say: the notes left, the open letter and its withheld boxes.
            room.session.recall(event.kind, event.by, event.box)
        self._store.add(room)
        self._log_bytes += room.log.size

    def _take_news(self, room: Room, fresh: Room, events: Sequence[Event], now: int | None) -> bool:
        """`room` takes the events after its own and `fresh`'s state, which is the room's after
        the last of them; news with no event past its log is old and changes nothing. False
        when they do not follow on from its log, to be read again."""
        events = [event for event in events if event.seq > len(room.log)]
        if not events:
            return True
        if events[0].seq != len(room.log) + 1:
            return False
        # What the row does not say (the notes left, the open letter and its withheld boxes)
        # is this room's, followed through the news.
        recalled = room.session
        for event in events:
            room.keep(event)
            self._log_bytes += len(event.frame)
            self._tell(room, event, kept=True)
            recalled.recall(event.kind, event.by, event.box)
        room.session = fresh.session
        room.session.noted = recalled.noted
        room.session.letter = recalled.letter
        room.token_hashes = fresh.token_hashes
        room.epoch = fresh.epoch
        room.last_active = max(room.last_active, fresh.last_active)
        if now is None:
            return True
        for seat in list(room.senders):
            if room.session.online[seat]:
                continue
            # Connected here, away there: a drop elsewhere raced this seat's resume here.
            change = room.session.presence(seat, online=True)
            if change is not None:
                self._change(room, self._commits.mark(room), change, now)
                self._commits.settle(None)
        return True

    def _gone_elsewhere(self, room: Room) -> None:
        """A room another server's sweep removed: expired here too."""
        self._store.forget([room])
        self._log_bytes -= room.log.size
        for sender in room.senders.values():
            sender.close(CloseCode.GOING_AWAY, "the room expired")
        room.senders.clear()

    def _away_again(self, room: Room, seat: Seat, now: int, lost: StoreError) -> None:
        """An `away` lost with its batch: recorded again if another server moved the room on
        first and the seat is still empty here, now that this server has caught up."""
        if (
            not isinstance(lost, Moved)
            or seat in room.senders
            or self._store.get(room.key) is not room
        ):
            return
        mark = self._commits.mark(room)
        change = room.session.presence(seat, online=False)
        if change is not None:
            self._change(room, mark, change, now)
            self._commits.settle(functools.partial(self._away_again, room, seat, now))

    def _undone(self, lost: StoreError) -> None:
        """A batch was lost and undone: count the logs again, and, when another server moved
        its rooms on first, catch up with what it recorded before the changes are judged
        again."""
        if isinstance(lost, Moved):
            self.catch_up(lost.news, None)
        self._recount()

    def _change(self, room: Room, mark: RoomMark | None, change: Change | None, now: int) -> None:
        """The one step every change to a room takes, once the caller has made it from `mark`
        (`GroupCommit.mark`, taken just before): the room joins the open batch, `change`, if
        the caller's made an event, is recorded into it, and every connected member is told of
        that event, held until the batch is kept."""
        if change is None:
            self._commits.changed(room, mark, None)
            return
        event = room.record(change, now)
        self._log_bytes += len(event.frame)
        self._commits.changed(room, mark, event)
        self._tell(room, event)

    def _seat(
        self,
        room: Room,
        seat: Seat,
        sender: Sender,
        token: str,
        after: int,
        on_lost: Lost | None,
        *,
        resync: bool = False,
    ) -> Membership:
        """The end of `create`, `join` and `resume`: `sender` takes `seat` and is sent its
        `joined`, with every event after `after`, behind what tells of the change."""
        room.senders[seat] = sender
        self._commits.send(sender, _joined(room, seat, token, after, resync), room)
        self._settle(on_lost)
        return Membership(room, seat, sender)

    def _settle(self, on_lost: Lost | None) -> None:
        """The end of a call that changed a room: refused `rate_limited` when it was written at
        once and lost, and so is undone."""
        if not self._commits.settle(on_lost):
            raise not_kept()

    def _tell(
        self, room: Room, reply: Reply, *, besides: Seat | None = None, kept: bool = False
    ) -> None:
        """`reply` to every connected member but `besides`, as part of the change under way,
        or `kept` already (another server's event): that is told even if a change here is lost."""
        for seat in SEATS:
            sender = room.senders.get(seat)
            if sender is not None and seat is not besides:
                self._commits.send(sender, reply, None if kept else room)

    def _recount(self) -> None:
        """Count every room's log again, once rooms have gone or been undone."""
        self._log_bytes = self._count_log_bytes()

    def _count_log_bytes(self) -> int:
        return sum(room.log.size for room in self._store.rooms())

    def _seat_of(self, code: str, token: str) -> tuple[Room, Seat]:
        """The room `code` names and the seat `token` holds in it: `no_room`, `bad_token`."""
        room = self._find(code)
        seat = room.seat_with_token(token)
        if seat is None:
            raise Rejected(ErrorCode.BAD_TOKEN, "that token does not belong to this room")
        return room, seat

    def _find(self, code: str) -> Room:
        room = self._store.get(normalize_code(code))
        if room is None:
            raise Rejected(ErrorCode.NO_ROOM, "no room has that code")
        return room


def _log_not_removed(metrics: Metrics, removed: Future[None]) -> None:
    """Log each room whose rows `removed` could not delete, by label, once it is done (waiting
    for it if not, when the registry has no loop)."""
    try:
        removed.result()
    except NotRemoved as failed:
        metrics.store_failed(StoreOperation.REMOVE)
        for label in failed.labels:
            log.error(
                "room %s not removed: %s; the next sweep tries again",
                label,
                failed,
                extra={"room": label},
            )


def _resyncs(room: Room, after: int, epoch: int | None) -> bool:
    """A client's place is not in this log: it names another epoch, or has seen past the head
    (docs/protocol.md, Drops, resume and leave), and so is sent the whole log again."""
    return (epoch is not None and epoch != room.epoch) or after > len(room.log)


def _joined(room: Room, seat: Seat, token: str, after: int, resync: bool) -> Joined:
    """What `create`, `join`, `resume` and `peek` answer: the events after `after` (every one
    with `resync`), the room's state and its mode (docs/protocol.md, Letters, Making one)."""
    return Joined(
        room.code,
        seat,
        token,
        room.since(after),
        room.session.state,
        room.epoch,
        resync,
        room.session.mode,
    )


def _new_seat(room: Room, seat: Seat) -> str:
    """A fresh token for `seat`; the room keeps only its hash."""
    token = secrets.token_urlsafe(16)
    room.token_hashes[seat] = token_hash(token)
    return token
