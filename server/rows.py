"""A room, its seats and its events as table rows, and back: what every store on disk writes
and reads, whatever the database (SQLite in server/storage.py, PostgreSQL in server/pgstore.py)."""

from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import TypeVar

from server.room import Room, new_epoch
from server.store import RoomNews, Writes
from shared.events import Event, EventKind, RoomState
from shared.fields import EPOCH_MAX
from shared.seats import Mode, NodKind, Phase, Seat
from shared.session import Session
from shared.vocabulary import carries

Row = tuple[object, ...]
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

ROOM_COLUMNS = (
    "room_key, code, label, created, last_active, epoch, phase, round, asker, name_a, name_b, "
    "online_a, online_b, paked_a, paked_b, verified_a, verified_b, "
    "said_since_sharing, said_since_ask, mode"
)
EVENT_COLUMNS = (
    "room_key, seq, at, kind, by_seat, sealed, nod, "
    "phase, round, asker, name_a, name_b, online_a, online_b"
)


class Damaged(Exception):
    """Rows no Fireside server wrote: the text names the row's kind and the problem, never a
    value from it (a room's code included)."""


def rooms_from_rows(
    room_rows: Iterable[Row], seat_rows: Iterable[Row], event_rows: Iterable[Row]
) -> dict[str, Room]:
    """Every room with its seats and log, checking that each log runs 1, 2, … n. The events
    come ordered by room and seq; Damaged when a row is not what this server writes."""
    rooms: dict[str, Room] = {}
    for row in room_rows:
        room = _read("a room", room_from_row, row)
        rooms[room.key] = room
    for row in seat_rows:
        room = _owner(rooms, row[0], "a seat row")
        seat, kept = _read("a seat row", _seat_from_row, row)
        room.token_hashes[seat] = kept
    for row in event_rows:
        room = _owner(rooms, row[0], "an event")
        event = _read("an event", event_from_row, row)
        if event.seq != len(room.log) + 1:
            raise Damaged(f"room {room.label}'s log skips from {len(room.log)}")
        room.keep(event)
        # Read from the log, not a column: the closing notes left, and the open letter with
        # its withheld answers, whose boxes the events' rows keep (docs/protocol.md, Letters).
        room.session.recall(event.kind, event.by, event.box)
    return rooms


def news_from_rows(
    room_rows: Iterable[Row], seat_rows: Iterable[Row], event_rows: Iterable[Row]
) -> dict[str, RoomNews]:
    """Each room as its row says now, with its seats and the events read after some seq, in
    order; Damaged when a row is not what this server writes."""
    rooms = {room.key: room for room in (_read("a room", room_from_row, row) for row in room_rows)}
    for row in seat_rows:
        room = _owner(rooms, row[0], "a seat row")
        seat, kept = _read("a seat row", _seat_from_row, row)
        room.token_hashes[seat] = kept
    events: dict[str, list[Event]] = {key: [] for key in rooms}
    for row in event_rows:
        _owner(rooms, row[0], "an event")
        events[str(row[0])].append(_read("an event", event_from_row, row))
    return {key: RoomNews(key, room, tuple(events[key])) for key, room in rooms.items()}


class _Unreadable(Exception):
    """One value in a row is not what this server writes; the text names the column, never
    the value."""


def _read(what: str, parse: Callable[[Row], T], row: Row) -> T:
    """`parse(row)`, or the file is damaged: `what` (a room, a seat row, an event) has a value
    this server would never have written."""
    try:
        return parse(row)
    except _Unreadable as exc:
        raise Damaged(f"{what} has {exc}") from None


def _owner(rooms: dict[str, Room], key: object, what: str) -> Room:
    """The room a seat or event row belongs to; the key itself is a code, so it is not said."""
    room = rooms.get(key) if isinstance(key, str) else None
    if room is None:
        raise Damaged(f"{what} belongs to no room")
    return room


def session_values(session: Session) -> tuple[object, ...]:
    return (
        str(session.phase),
        session.round,
        str(session.asker),
        session.names[Seat.A],
        session.names[Seat.B],
        session.online[Seat.A],
        session.online[Seat.B],
        Seat.A in session.paked,
        Seat.B in session.paked,
        Seat.A in session.verified,
        Seat.B in session.verified,
        session.said_since_sharing,
        session.said_since_ask,
    )


def room_row(room: Room) -> Row:
    created = room.log[0].at if room.log else room.last_active
    return (
        room.key,
        room.code,
        room.label,
        created,
        room.last_active,
        room.epoch,
        *session_values(room.session),
        # Set by `create` and never changed after: written once, with the room's first row.
        str(room.session.mode),
    )


def room_from_row(row: tuple[object, ...]) -> Room:
    (
        key,
        code,
        label,
        _created,
        last_active,
        epoch,
        phase,
        round_,
        asker,
        name_a,
        name_b,
        online_a,
        online_b,
        paked_a,
        paked_b,
        verified_a,
        verified_b,
        said_since_sharing,
        said_since_ask,
        mode,
    ) = row
    state = _state(phase, round_, asker, name_a, name_b, online_a, online_b)
    session = Session(
        phase=state.phase,
        round=state.round,
        asker=state.asker,
        names=dict(state.names),
        online=dict(state.online),
        paked=_seats(paked_a, paked_b),
        verified=_seats(verified_a, verified_b),
        said_since_sharing=bool(said_since_sharing),
        said_since_ask=bool(said_since_ask),
        mode=_member(Mode, mode, "mode"),
    )
    room = Room(
        code=_str(code, "code"),
        label=_str(label, "label"),
        last_active=_int(last_active, "last activity"),
        epoch=_epoch(epoch),
        session=session,
    )
    if room.key != key:
        raise _Unreadable("a code that is not its key")
    return room


def event_row(key: str, event: Event) -> Row:
    state = event.state
    return (
        key,
        event.seq,
        event.at,
        str(event.kind),
        str(event.by),
        _sealed(event),
        None if event.nod is None else str(event.nod),
        str(state.phase),
        state.round,
        str(state.asker),
        state.names.get(Seat.A),
        state.names.get(Seat.B),
        bool(state.online.get(Seat.A)),
        bool(state.online.get(Seat.B)),
    )


def event_from_row(row: tuple[object, ...]) -> Event:
    (
        _key,
        seq,
        at,
        kind,
        by,
        sealed,
        nod,
        phase,
        round_,
        asker,
        name_a,
        name_b,
        online_a,
        online_b,
    ) = row
    state = _state(phase, round_, asker, name_a, name_b, online_a, online_b)
    event_kind = _member(EventKind, kind, "kind")
    field = carries(event_kind).field
    held = _blob(sealed, "sealed value")
    return Event(
        seq=_int(seq, "seq"),
        at=_int(at, "time"),
        kind=event_kind,
        by=_member(Seat, by, "seat"),
        state=state,
        msg=held if field == "msg" else None,
        mac=held if field == "mac" else None,
        box=held if field == "box" else None,
        nod=None if nod is None else _member(NodKind, nod, "nod"),
    )


def _state(*columns: object) -> RoomState:
    """The state columns a room's row and every event's row both keep, in that order: phase,
    round, asker, name_a, name_b, online_a, online_b."""
    phase, round_, asker, name_a, name_b, online_a, online_b = columns
    return RoomState(
        phase=_member(Phase, phase, "phase"),
        round=_int(round_, "round"),
        asker=_member(Seat, asker, "asker"),
        names={Seat.A: _blob(name_a, "name"), Seat.B: _blob(name_b, "name")},
        online={Seat.A: bool(online_a), Seat.B: bool(online_b)},
    )


def _sealed(event: Event) -> bytes | None:
    """The one BLOB an event keeps: its `msg`, `mac` or `box`, whichever its kind has."""
    for held in (event.msg, event.mac, event.box):
        if held is not None:
            return held
    return None


def _seats(a: object, b: object) -> frozenset[Seat]:
    return frozenset(seat for seat, flag in ((Seat.A, a), (Seat.B, b)) if flag)


def _seat_from_row(row: Row) -> tuple[Seat, bytes]:
    _key, seat, kept = row
    if not isinstance(kept, bytes):
        raise _Unreadable("a token hash that is not bytes")
    return _member(Seat, seat, "seat"), kept


def _member(kind: type[E], value: object, name: str) -> E:
    """`value` as a member of `kind`, or _Unreadable naming `name` (never the value)."""
    try:
        return kind(_str(value, name))
    except ValueError:
        raise _Unreadable(f"an unknown {name}") from None


def _int(value: object, name: str) -> int:
    if not isinstance(value, int):
        raise _Unreadable(f"a {name} that is not a number")
    return value


def _epoch(value: object) -> int:
    epoch = _int(value, "epoch")
    if not 1 <= epoch <= EPOCH_MAX:
        raise _Unreadable("an epoch out of its range")
    return epoch


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise _Unreadable(f"a {name} that is not text")
    return value


def _blob(value: object, name: str) -> bytes | None:
    if value is not None and not isinstance(value, bytes):
        raise _Unreadable(f"a {name} that is not bytes")
    return value


def renew_epochs(rooms: Sequence[Room], keep: Callable[[list[Row]], None]) -> int:
    """Draw each room a new epoch, have `keep` write them as `(epoch, room_key)` rows, then
    give them to the rooms; how many rooms."""
    epochs = [new_epoch(instead_of=room.epoch) for room in rooms]
    keep([(epoch, room.key) for epoch, room in zip(epochs, rooms, strict=True)])
    for epoch, room in zip(epochs, rooms, strict=True):
        room.epoch = epoch
    return len(rooms)


def batch_rows(writes: Writes) -> tuple[list[Row], list[Row], list[Row]]:
    """The rows a batch inserts, taken now: its new rooms, the seats its `joined`s bring (the
    token hash of each), and its events."""
    new_rooms = [room_row(room) for room in writes.added]
    seats: list[Row] = [
        (room.key, str(event.by), room.token_hashes[event.by])
        for room, event in writes.events
        if event.kind is EventKind.JOINED
    ]
    return new_rooms, seats, [event_row(room.key, event) for room, event in writes.events]
