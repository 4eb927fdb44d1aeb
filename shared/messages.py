"""Typed messages of the wire contract (fireside.2), client to server, with their field rules."""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from shared import fields
from shared.errors import ErrorCode, Rejected
from shared.seats import Mode, NodKind


class MessageType(StrEnum):
    """docs/protocol.md, Client → server, and Pairing."""

    CREATE = "create"
    JOIN = "join"
    RESUME = "resume"
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
    TYPING = "typing"
    NOTE = "note"
    LEAVE = "leave"
    PROPOSE = "propose"
    ANSWER = "answer"
    PEEK = "peek"


LOBBY_TYPES = frozenset(
    {MessageType.CREATE, MessageType.JOIN, MessageType.RESUME, MessageType.PEEK}
)
"""Accepted only from a connection that is not in a room."""

PAIRING_TYPES = frozenset(
    {MessageType.PAKE, MessageType.VERIFY, MessageType.HELLO, MessageType.MISMATCH}
)
"""docs/protocol.md, Pairing: accepted only while the room is `waiting`."""


@dataclass(frozen=True, kw_only=True)
class ClientMessage:
    """A message a member sends; `id` is echoed as `re` on the error it causes."""

    TYPE: ClassVar[MessageType]
    id: int | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"t": str(self.TYPE)}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None:
                wire[field.name] = str(value) if isinstance(value, StrEnum) else value
        return wire


@dataclass(frozen=True, kw_only=True)
class Create(ClientMessage):
    """No name: the server never learns one (docs/protocol.md, Pairing); `hello` seals it."""

    TYPE = MessageType.CREATE
    mode: Mode | None = None
    """`letters` for a lasting letters room; None (or `live`) for a live session room."""


@dataclass(frozen=True, kw_only=True)
class Join(ClientMessage):
    """`code` is the nameplate alone; the invite's words never leave the client."""

    TYPE = MessageType.JOIN
    code: str


@dataclass(frozen=True, kw_only=True)
class Resume(ClientMessage):
    TYPE = MessageType.RESUME
    code: str
    token: str
    after: int
    epoch: int | None = None
    """The room's epoch from the last `joined`, which `after` counts in; None when the client
    knows none (docs/protocol.md, Drops, resume and leave)."""


@dataclass(frozen=True, kw_only=True)
class Peek(ClientMessage):
    """What `resume` is told, without taking the seat: docs/protocol.md, Letters, Peeking.

    Nothing is recorded and the connection stays out of the room, so a shell prompt or a
    cron job can ask whose move it is as often as it likes without filling the log."""

    TYPE = MessageType.PEEK
    code: str
    token: str
    after: int
    epoch: int | None = None


@dataclass(frozen=True, kw_only=True)
class Pake(ClientMessage):
    """This seat's SPAKE2 message."""

    TYPE = MessageType.PAKE
    msg: bytes


@dataclass(frozen=True, kw_only=True)
class Verify(ClientMessage):
    """This seat's key confirmation, which the partner recomputes and compares."""

    TYPE = MessageType.VERIFY
    mac: bytes


@dataclass(frozen=True, kw_only=True)
class Hello(ClientMessage):
    """This seat's name, sealed."""

    TYPE = MessageType.HELLO
    box: bytes


@dataclass(frozen=True, kw_only=True)
class Mismatch(ClientMessage):
    """The partner's `verify` did not match: the room is burned."""

    TYPE = MessageType.MISMATCH


@dataclass(frozen=True, kw_only=True)
class Ask(ClientMessage):
    """The question (and its card, if any), sealed."""

    TYPE = MessageType.ASK
    box: bytes


@dataclass(frozen=True, kw_only=True)
class Handover(ClientMessage):
    TYPE = MessageType.HANDOVER
    box: bytes | None = None
    """`{}` sealed, after the pairing: docs/protocol.md, Sealing."""


@dataclass(frozen=True, kw_only=True)
class Say(ClientMessage):
    TYPE = MessageType.SAY
    box: bytes


@dataclass(frozen=True, kw_only=True)
class Done(ClientMessage):
    TYPE = MessageType.DONE
    box: bytes | None = None
    """`{}` sealed, after the pairing: docs/protocol.md, Sealing."""


@dataclass(frozen=True, kw_only=True)
class Decline(ClientMessage):
    TYPE = MessageType.DECLINE
    box: bytes | None = None
    """`{}` sealed, after the pairing: docs/protocol.md, Sealing."""


@dataclass(frozen=True, kw_only=True)
class Reflect(ClientMessage):
    TYPE = MessageType.REFLECT
    box: bytes


@dataclass(frozen=True, kw_only=True)
class Confirm(ClientMessage):
    TYPE = MessageType.CONFIRM
    box: bytes | None = None
    """`{}` sealed, after the pairing: docs/protocol.md, Sealing."""


@dataclass(frozen=True, kw_only=True)
class More(ClientMessage):
    TYPE = MessageType.MORE
    box: bytes | None = None
    """`{}` sealed, after the pairing: docs/protocol.md, Sealing."""


@dataclass(frozen=True, kw_only=True)
class Nod(ClientMessage):
    TYPE = MessageType.NOD
    kind: NodKind
    box: bytes | None = None
    """`{"kind": kind}` sealed: docs/protocol.md, Sealing."""


@dataclass(frozen=True, kw_only=True)
class Typing(ClientMessage):
    TYPE = MessageType.TYPING
    on: bool


@dataclass(frozen=True, kw_only=True)
class Note(ClientMessage):
    """A closing note for the partner, sealed: once per seat, from either seat, not a turn."""

    TYPE = MessageType.NOTE
    box: bytes


@dataclass(frozen=True, kw_only=True)
class Leave(ClientMessage):
    TYPE = MessageType.LEAVE
    box: bytes | None = None
    """`{}` sealed, after the pairing; none while `waiting`: docs/protocol.md, Sealing."""


@dataclass(frozen=True, kw_only=True)
class Propose(ClientMessage):
    """A letters question (and its card, if any), sealed: docs/protocol.md, Letters."""

    TYPE = MessageType.PROPOSE
    box: bytes


@dataclass(frozen=True, kw_only=True)
class Answer(ClientMessage):
    """One seat's answer to the open question, sealed; the server withholds it until both
    seats have answered (docs/protocol.md, Letters, Withheld until both are in)."""

    TYPE = MessageType.ANSWER
    box: bytes


FieldRule = Callable[[object], object]
E = TypeVar("E", bound=StrEnum)


def _string(field: str) -> FieldRule:
    def rule(value: object) -> str:
        if not isinstance(value, str):
            raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be a string")
        return fields.check_text(field, value, fields.MAX_OPAQUE)

    return rule


def _binary(field: str, low: int, high: int) -> FieldRule:
    return lambda value: fields.check_bytes(field, value, low, high)


def _box(limit: int) -> FieldRule:
    return _binary("box", 1, limit)


def _count(field: str) -> FieldRule:
    def rule(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be an integer ≥ 0")
        return value

    return rule


def _epoch(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= fields.EPOCH_MAX:
        raise Rejected(
            ErrorCode.BAD_FIELD, f"epoch must be an integer from 1 to {fields.EPOCH_MAX}"
        )
    return value


def _bool(field: str) -> FieldRule:
    def rule(value: object) -> bool:
        if not isinstance(value, bool):
            raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be true or false")
        return value

    return rule


def _one_of(cls: type[E], field: str, allowed: str) -> Callable[[object], E]:
    """A field that holds one of an enum's values, `bad_field` saying which are `allowed`."""

    def rule(value: object) -> E:
        for member in cls:
            if value == member.value:
                return member
        raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be {allowed}")

    return rule


_nod_kind = _one_of(NodKind, "kind", "heart, hear or time")
_mode = _one_of(Mode, "mode", "live or letters")


_MOVE_BOX = (_box(fields.MOVE_BOX_MAX), False)
"""docs/protocol.md, Sealing: a move's box, optional on the wire (a `leave` while `waiting`
has none); the receiving client, not the server, insists on it after the pairing."""
_MOVE_BOX_FIELD = {"box": _MOVE_BOX}

# Each type's fields: name → (rule, required). docs/protocol.md, Field rules, and
# Sealing for the bytes. Keys a type does not name are ignored, as in fireside.1.
_RESUME_FIELDS: dict[str, tuple[FieldRule, bool]] = {
    "code": (_string("code"), True),
    "token": (_string("token"), True),
    "after": (_count("after"), True),
    "epoch": (_epoch, False),
}
_SCHEMA: dict[MessageType, tuple[type[ClientMessage], dict[str, tuple[FieldRule, bool]]]] = {
    MessageType.CREATE: (Create, {"mode": (_mode, False)}),
    MessageType.JOIN: (Join, {"code": (_string("code"), True)}),
    MessageType.RESUME: (Resume, _RESUME_FIELDS),
    MessageType.PEEK: (Peek, _RESUME_FIELDS),
    MessageType.PAKE: (Pake, {"msg": (_binary("msg", 1, fields.PAKE_MSG_MAX), True)}),
    MessageType.VERIFY: (
        Verify,
        {"mac": (_binary("mac", fields.VERIFY_MAC_LEN, fields.VERIFY_MAC_LEN), True)},
    ),
    MessageType.HELLO: (Hello, {"box": (_box(fields.HELLO_BOX_MAX), True)}),
    MessageType.MISMATCH: (Mismatch, {}),
    MessageType.ASK: (Ask, {"box": (_box(fields.ASK_BOX_MAX), True)}),
    MessageType.HANDOVER: (Handover, _MOVE_BOX_FIELD),
    MessageType.SAY: (Say, {"box": (_box(fields.SAY_BOX_MAX), True)}),
    MessageType.DONE: (Done, _MOVE_BOX_FIELD),
    MessageType.DECLINE: (Decline, _MOVE_BOX_FIELD),
    MessageType.REFLECT: (Reflect, {"box": (_box(fields.REFLECT_BOX_MAX), True)}),
    MessageType.CONFIRM: (Confirm, _MOVE_BOX_FIELD),
    MessageType.MORE: (More, _MOVE_BOX_FIELD),
    MessageType.NOD: (Nod, {"kind": (_nod_kind, True), **_MOVE_BOX_FIELD}),
    MessageType.TYPING: (Typing, {"on": (_bool("on"), True)}),
    MessageType.NOTE: (Note, {"box": (_box(fields.NOTE_BOX_MAX), True)}),
    MessageType.LEAVE: (Leave, _MOVE_BOX_FIELD),
    MessageType.PROPOSE: (Propose, {"box": (_box(fields.ASK_BOX_MAX), True)}),
    MessageType.ANSWER: (Answer, {"box": (_box(fields.SAY_BOX_MAX), True)}),
}


def message_type(raw: Mapping[str, Any]) -> MessageType:
    """The type named by `t`, or `unknown_type`."""
    try:
        return MessageType(raw["t"])
    except ValueError:
        raise Rejected(ErrorCode.UNKNOWN_TYPE, f"unknown message type {raw['t']!r:.40}") from None


def request_id(raw: Mapping[str, Any]) -> int | None:
    """The `id` to echo as `re`, or None when absent or invalid (an invalid one gets no `re`)."""
    value = raw.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def parse_fields(kind: MessageType, raw: Mapping[str, Any]) -> ClientMessage:
    """The typed message, or `bad_field` naming the first field that breaks its rule."""
    if "id" in raw and request_id(raw) is None:
        raise Rejected(ErrorCode.BAD_FIELD, "id must be an integer ≥ 0")
    cls, schema = _SCHEMA[kind]
    values: dict[str, object] = {"id": raw.get("id")}
    for name, (rule, required) in schema.items():
        if name in raw:
            values[name] = rule(raw[name])
        elif required:
            raise Rejected(ErrorCode.BAD_FIELD, f"{name} is missing")
    return cls(**values)  # type: ignore[arg-type]
