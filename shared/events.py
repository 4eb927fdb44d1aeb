"""What the server tells members: room state, events and other replies, to and from the wire."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol, TypeVar, runtime_checkable

from shared import fields
from shared.codec import encode, encode_with_frames
from shared.errors import ErrorCode
from shared.seats import ACTIVE_PHASES, SEATS, Mode, NodKind, Phase, Seat

E = TypeVar("E", bound=StrEnum)


class MalformedReply(ValueError):
    """A server message that does not follow the contract."""


class EventKind(StrEnum):
    """docs/protocol.md, Server → client, Event kinds: the pairing steps among them."""

    JOINED = "joined"
    AWAY = "away"
    BACK = "back"
    PAKE = "pake"
    VERIFY = "verify"
    HELLO = "hello"
    MISMATCH = "mismatch"
    ASK = "ask"
    HANDOVER = "handover"
    SAY = "say"
    DONE = "done"
    DECLINE = "decline"
    REFLECT = "reflect"
    CONFIRM = "confirm"
    MORE = "more"
    NOD = "nod"
    NOTE = "note"
    LEFT = "left"
    PROPOSE = "propose"
    ANSWER = "answer"
    REVEAL = "reveal"


WITHHELD = frozenset({EventKind.ANSWER})
"""docs/protocol.md, Letters: events the server keeps the box of but never sends it with; the
box goes out in the `reveal` the server records once both seats have answered."""


_ASKER_FLOOR = frozenset({Phase.ASKING, Phase.REFLECTING})
_SPEAKER_FLOOR = frozenset({Phase.SHARING, Phase.CONFIRMING})


def floor_of(phase: Phase, asker: Seat) -> Seat | None:
    """docs/protocol.md, Seats, phases and the floor: who may act besides nodding."""
    if phase in _ASKER_FLOOR:
        return asker
    if phase in _SPEAKER_FLOOR:
        return asker.partner
    return None


@dataclass(frozen=True)
class RoomState:
    """The room after a change: who asks, which phase, who is here.

    `names` maps each seat to its sealed `hello` box, or None before it: the
    server never has a name (docs/protocol.md, State); the client opens the box.
    """

    phase: Phase
    round: int
    asker: Seat
    names: Mapping[Seat, bytes | None]
    online: Mapping[Seat, bool]

    @property
    def floor(self) -> Seat | None:
        return floor_of(self.phase, self.asker)

    def listening(self, seat: Seat) -> bool:
        """Whether `seat` is in listening mode: an active phase, and the partner has the floor."""
        return self.phase in ACTIVE_PHASES and self.floor is not seat

    def to_wire(self) -> dict[str, Any]:
        # Enum members as they are: each is a str, and msgpack packs it as one.
        return {
            "phase": self.phase,
            "round": self.round,
            "asker": self.asker,
            "floor": floor_of(self.phase, self.asker),
            "names": {seat: self.names.get(seat) for seat in SEATS},
            "online": {seat: bool(self.online.get(seat)) for seat in SEATS},
        }

    @classmethod
    def from_wire(cls, raw: object) -> "RoomState":
        wire = _map(raw, "state")
        names = _map(wire.get("names"), "state.names")
        online = _map(wire.get("online"), "state.online")
        return cls(
            phase=_enum(Phase, wire.get("phase"), "state.phase"),
            round=_int(wire.get("round"), "state.round"),
            asker=_enum(Seat, wire.get("asker"), "state.asker"),
            names={seat: _optional_bytes(names.get(seat.value), "state.names") for seat in SEATS},
            online={seat: bool(online.get(seat.value)) for seat in SEATS},
        )


@dataclass(frozen=True)
class Event:
    """One accepted change, numbered by `seq` within its room; `at` is Unix milliseconds.

    The kind says which of the rest are set (docs/protocol.md, Event kinds): `msg`
    on a `pake`, `mac` on a `verify`, `box` on a `hello`, `ask`, `say`, `reflect` or
    `note`, and as sent on the moves and `left`; a `nod` carries its `nod` and its `box`. In
    letters, `propose` and `reveal` carry a `box`; an `answer` holds its box on the server but
    never sends it (`WITHHELD`).
    """

    seq: int
    at: int
    kind: EventKind
    by: Seat
    state: RoomState
    msg: bytes | None = None
    mac: bytes | None = None
    box: bytes | None = None
    nod: NodKind | None = None

    @cached_property
    def frame(self) -> bytes:
        """The event as the bytes of its frame: encoded once, whoever it is sent to."""
        return encode(self.to_wire())

    def keep_frame(self, frame: bytes) -> None:
        """`frame` is this event's, as read back from it: `frame` will not encode it again."""
        self.__dict__["frame"] = frame

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "t": "event",
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "by": self.by,
            "state": self.state.to_wire(),
        }
        box = None if self.kind in WITHHELD else self.box
        for key, value in (("msg", self.msg), ("mac", self.mac), ("box", box)):
            if value is not None:
                wire[key] = value
        if self.nod is not None:
            wire["nod"] = str(self.nod)
        return wire

    @classmethod
    def from_wire(cls, raw: object) -> "Event":
        wire = _map(raw, "event")
        nod = wire.get("nod")
        return cls(
            seq=_int(wire.get("seq"), "seq"),
            at=_int(wire.get("at"), "at"),
            kind=_enum(EventKind, wire.get("kind"), "kind"),
            by=_enum(Seat, wire.get("by"), "by"),
            state=RoomState.from_wire(wire.get("state")),
            msg=_optional_bytes(wire.get("msg"), "msg"),
            mac=_optional_bytes(wire.get("mac"), "mac"),
            box=_optional_bytes(wire.get("box"), "box"),
            nod=None if nod is None else _enum(NodKind, nod, "nod"),
        )


@runtime_checkable
class Framed(Protocol):
    """Events kept as the frames they went out in, as the server keeps its logs."""

    @property
    def frames(self) -> Sequence[bytes]:
        """Each event's frame, in order."""


@dataclass(frozen=True)
class Joined:
    """The reply to `create`, `join` and `resume`: the seat, its token, and the log.

    `epoch` names the room's log (docs/protocol.md, Server → client, The event log and
    `joined`); None only from a server older than epochs. `resync` says `events` is the
    whole log, sent because the `resume` named a place that is not in it: the client
    forgets what it took from the room and takes the log again from seq 1.
    """

    code: str
    seat: Seat
    token: str
    events: Sequence[Event]
    state: RoomState
    epoch: int | None = None
    resync: bool = False
    mode: Mode = Mode.LIVE
    """docs/protocol.md, Letters: the room's kind, set by `create`; a server older than
    letters sends none, and its rooms are live."""

    @property
    def frame(self) -> bytes:
        """The reply's bytes, with each event's own frame as it is: a long log is not encoded
        again on every `resume`, nor read back first when it is kept as frames."""
        events = self.events
        frames = events.frames if isinstance(events, Framed) else [e.frame for e in events]
        return encode_with_frames(self._head(), "events", frames)

    def _head(self) -> dict[str, Any]:
        """Everything but the events."""
        head: dict[str, Any] = {
            "t": "joined",
            "code": self.code,
            "seat": str(self.seat),
            "token": self.token,
        }
        if self.epoch is not None:
            head["epoch"] = self.epoch
        head["resync"] = self.resync
        head["mode"] = str(self.mode)
        head["state"] = self.state.to_wire()
        return head

    def to_wire(self) -> dict[str, Any]:
        return {**self._head(), "events": [event.to_wire() for event in self.events]}


@dataclass(frozen=True)
class TypingNotice:
    """The floor holder started or stopped writing."""

    by: Seat
    on: bool

    def to_wire(self) -> dict[str, Any]:
        return {"t": "typing", "by": str(self.by), "on": self.on}


@dataclass(frozen=True)
class ErrorReply:
    """A rejected message, answered to its sender alone."""

    code: ErrorCode
    message: str
    re: int | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"t": "error", "code": str(self.code), "message": self.message}
        if self.re is not None:
            wire["re"] = self.re
        return wire


Reply = Joined | Event | TypingNotice | ErrorReply


def frame_of(reply: Reply) -> bytes:
    """The bytes of `reply`'s frame; an event's are kept, as it goes to both seats."""
    if isinstance(reply, Event | Joined):
        return reply.frame
    return encode(reply.to_wire())


def parse_reply(wire: Mapping[str, Any]) -> Reply:
    """A decoded server map as a typed reply, or MalformedReply."""
    kind = wire.get("t")
    if kind == "event":
        return Event.from_wire(wire)
    if kind == "joined":
        events = wire.get("events")
        if not isinstance(events, list):
            raise MalformedReply("joined.events is not a list")
        epoch = wire.get("epoch")
        resync = wire.get("resync", False)
        if not isinstance(resync, bool):
            raise MalformedReply("joined.resync is not a bool")
        return Joined(
            code=_str(wire.get("code"), "code"),
            seat=_enum(Seat, wire.get("seat"), "seat"),
            token=_str(wire.get("token"), "token"),
            events=tuple(Event.from_wire(event) for event in events),
            state=RoomState.from_wire(wire.get("state")),
            # A server older than epochs sends neither: nothing to resync against.
            epoch=None if epoch is None else _int(epoch, "epoch"),
            resync=resync,
            mode=_enum(Mode, wire.get("mode", "live"), "mode"),
        )
    if kind == "typing":
        on = wire.get("on")
        if not isinstance(on, bool):
            raise MalformedReply("typing.on is not a bool")
        return TypingNotice(by=_enum(Seat, wire.get("by"), "by"), on=on)
    if kind == "error":
        re = wire.get("re")
        return ErrorReply(
            code=_enum(ErrorCode, wire.get("code"), "code"),
            message=_str(wire.get("message"), "message"),
            re=None if re is None else _int(re, "re"),
        )
    raise MalformedReply(f"unknown reply type {kind!r:.40}")


def _map(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedReply(f"{what} is not a map")
    return value


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise MalformedReply(f"{what} is not a string")
    # docs/protocol.md, Plain text: whatever the server let through, no control reaches the screen.
    return fields.displayable(value)


def _optional_bytes(value: object, what: str) -> bytes | None:
    if value is not None and not isinstance(value, bytes):
        raise MalformedReply(f"{what} is not binary")
    return value


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedReply(f"{what} is not an integer")
    return value


def _enum(cls: type[E], value: object, what: str) -> E:
    try:
        return cls(_str(value, what))
    except ValueError:
        raise MalformedReply(f"{what} is not a known value") from None
