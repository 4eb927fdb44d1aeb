"""The check order of `shared.intake.admit`, the field rules, and `id` echoed as `re`.

docs/protocol.md, Error codes: `bad_frame`, `unknown_type`, `in_room` /
`not_in_room`, `ended`, `listening`, `bad_field`, `wrong_phase`.
"""

from typing import Any

import msgpack
import pytest

from shared import fields
from shared.codec import MAX_MESSAGE, encode
from shared.errors import ErrorCode, Rejected
from shared.intake import admit
from shared.messages import ClientMessage, MessageType, Nod, Resume, Typing
from shared.seats import NodKind, Phase, Seat
from shared.session import Session
from tests.shared.rooms import (
    ACTIVE,
    FLOOR,
    IN_ROOM_TYPES,
    VALID,
    A,
    B,
    in_phase,
    pairing_at,
    play,
    refused,
    snapshot,
    wire,
)

M = MessageType
Member = tuple[Session, Seat] | None

SENDER_PHASE: dict[MessageType, Phase] = {
    M.ASK: Phase.ASKING,
    M.HANDOVER: Phase.ASKING,
    M.SAY: Phase.SHARING,
    M.DONE: Phase.SHARING,
    M.DECLINE: Phase.SHARING,
    M.REFLECT: Phase.REFLECTING,
    M.CONFIRM: Phase.CONFIRMING,
    M.MORE: Phase.CONFIRMING,
    M.TYPING: Phase.SHARING,
    M.LEAVE: Phase.SHARING,
}


PAIRING_STEP: dict[MessageType, int] = {M.PAKE: 0, M.VERIFY: 2, M.HELLO: 4, M.MISMATCH: 2}
"""How many steps of the pairing must be in before seat `a` may send each pairing type."""


def sender(kind: MessageType) -> Member:
    """A connection entitled to send `kind`: outside any room for lobby types, else on a seat."""
    if kind in (M.CREATE, M.JOIN, M.RESUME):
        return None
    if kind in PAIRING_STEP:
        return pairing_at(PAIRING_STEP[kind]), A
    if kind is M.NOD:
        return in_phase(Phase.SHARING), FLOOR[Phase.SHARING].partner
    phase = SENDER_PHASE[kind]
    if kind is M.DONE:
        # `done` needs a say first.
        return play(in_phase(phase), (FLOOR[phase], M.SAY)), FLOOR[phase]
    return in_phase(phase), FLOOR[phase]


def rejection(raw: dict[str, Any] | bytes, member: Member) -> Rejected:
    """What `admit` refuses `raw` (a map, or the bytes of a frame) with."""
    frame = raw if isinstance(raw, bytes) else encode(raw)
    with pytest.raises(Rejected) as caught:
        admit(frame, member)
    return caught.value


def code_of(raw: dict[str, Any] | bytes, member: Member) -> ErrorCode:
    return rejection(raw, member).code


def listener(phase: Phase = Phase.SHARING) -> tuple[Session, Seat]:
    return in_phase(phase), FLOOR[phase].partner


def holder(phase: Phase = Phase.SHARING) -> tuple[Session, Seat]:
    return in_phase(phase), FLOOR[phase]


# bad_frame


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xc1", id="never-used-byte"),
        pytest.param(encode({"t": "say", "box": b"hi"})[:-1], id="truncated"),
        pytest.param(encode({"t": "leave"}) + b"\xc0", id="trailing-bytes"),
        pytest.param(b'{"t": "leave"}', id="json"),
        pytest.param(msgpack.packb(["leave"]), id="list"),
        pytest.param(msgpack.packb("leave"), id="string"),
        pytest.param(msgpack.packb(7), id="integer"),
        pytest.param(msgpack.packb(None), id="nil"),
        pytest.param(msgpack.packb({1: "leave"}), id="integer-key"),
        pytest.param(msgpack.packb({"text": "hi"}), id="no-t"),
        pytest.param(msgpack.packb({"t": 7}), id="integer-t"),
        pytest.param(msgpack.packb({"t": None}), id="nil-t"),
        pytest.param(msgpack.packb({"t": b"leave"}, use_bin_type=True), id="binary-t"),
        pytest.param(msgpack.packb({"t": ["leave"]}), id="list-t"),
        pytest.param(b"\x82\xa1t\xa3say\xa4text\xdd\xff\xff\xff\xff", id="array-header-too-big"),
        pytest.param(b"\x82\xa1t\xa3say\xa4text\xdf\xff\xff\xff\xff", id="map-header-too-big"),
        pytest.param(b"\x82\xa1t\xa3say\xa4text" + b"\x91" * 3000 + b"\xc0", id="nested-too-deep"),
    ],
)
@pytest.mark.parametrize("seated", [False, True])
def test_what_is_not_a_map_with_a_string_t_is_bad_frame(frame: bytes, seated: bool) -> None:
    """A frame that is not a MessagePack map with a string `t` is `bad_frame`, in a room or not."""
    member = listener() if seated else None
    caught = rejection(frame, member)
    assert caught.code is ErrorCode.BAD_FRAME
    assert caught.re is None


def test_a_message_over_64_kib_is_bad_frame_before_anything_else() -> None:
    """A map over 64 KiB is `bad_frame`, even from a listener sending too large a box."""
    raw = {"t": "say", "box": b"x" * MAX_MESSAGE, "id": 1}
    assert len(encode(raw)) > MAX_MESSAGE
    assert code_of(raw, listener()) is ErrorCode.BAD_FRAME


def test_a_message_of_exactly_64_kib_is_read() -> None:
    """At exactly 65,536 bytes the frame is read: a box too big is `bad_field`, not `bad_frame`."""
    overhead = len(encode({"t": "say", "box": b""}))
    # This box needs a 3-byte bin 16 header where the empty one had a 2-byte bin 8.
    raw = {"t": "say", "box": b"x" * (MAX_MESSAGE - overhead - 1)}
    assert len(encode(raw)) == MAX_MESSAGE
    caught = rejection(raw, holder(Phase.SHARING))
    assert caught.code is ErrorCode.BAD_FIELD
    assert "box" in caught.message


def test_text_that_is_not_utf8_is_bad_frame() -> None:
    """A MessagePack str that is not UTF-8 cannot be decoded: `bad_frame`."""
    frame = b"\x82\xa1t\xa3say\xa4text\xa2\xc3\x28"
    assert code_of(frame, holder()) is ErrorCode.BAD_FRAME


# unknown_type and the lobby checks


@pytest.mark.parametrize("t", ["greet", "event", "joined", "error", "", "SAY", "say ", "PAKE"])
@pytest.mark.parametrize("seated", [False, True])
def test_an_unknown_type_is_unknown_type_in_a_room_or_not(t: str, seated: bool) -> None:
    """A `t` the contract does not name is `unknown_type`, before `not_in_room` or `listening`."""
    member = listener() if seated else None
    caught = rejection({"t": t, "id": 3}, member)
    assert caught.code is ErrorCode.UNKNOWN_TYPE
    assert caught.re == 3


def test_an_unknown_type_wins_over_an_invalid_id() -> None:
    """An unknown type with a bad `id` is still `unknown_type`, and has no `re`."""
    caught = rejection({"t": "greet", "id": -1}, None)
    assert (caught.code, caught.re) == (ErrorCode.UNKNOWN_TYPE, None)


@pytest.mark.parametrize("kind", IN_ROOM_TYPES)
def test_in_room_messages_outside_a_room_are_not_in_room(kind: MessageType) -> None:
    """Every in-room type from a connection not in a room is `not_in_room`, bad fields or not."""
    assert code_of(wire(kind), None) is ErrorCode.NOT_IN_ROOM
    broken = {"t": str(kind), "box": 7, "msg": "x", "mac": b"", "on": "x", "kind": 0}
    assert code_of(broken, None) is ErrorCode.NOT_IN_ROOM


@pytest.mark.parametrize("kind", [M.CREATE, M.JOIN, M.RESUME])
@pytest.mark.parametrize("phase", [Phase.WAITING, *ACTIVE, Phase.ENDED])
def test_lobby_messages_from_a_seat_are_in_room(kind: MessageType, phase: Phase) -> None:
    """A lobby message from a seated connection is `in_room`, before `ended` and `listening`."""
    member = (in_phase(phase), B if phase in ACTIVE else A)
    assert code_of(wire(kind, code=""), member) is ErrorCode.IN_ROOM


@pytest.mark.parametrize("kind", [M.CREATE, M.JOIN, M.RESUME])
def test_lobby_messages_outside_a_room_are_admitted(kind: MessageType) -> None:
    """A valid `create`, `join` or `resume` from outside a room is admitted as its typed message."""
    msg = admit(encode(VALID[kind]), None)
    assert msg.TYPE is kind
    assert msg.to_wire() == VALID[kind]


# ended and listening


@pytest.mark.parametrize("kind", IN_ROOM_TYPES)
def test_after_the_end_in_room_messages_are_ended_before_their_fields(kind: MessageType) -> None:
    """In an ended room every in-room type is `ended`, even with broken fields or id."""
    member = (in_phase(Phase.ENDED), B)
    assert code_of(wire(kind), member) is ErrorCode.ENDED
    broken = {"t": str(kind), "box": "", "msg": 1, "mac": b"", "kind": "wave", "on": 1, "id": -5}
    assert code_of(broken, member) is ErrorCode.ENDED


@pytest.mark.parametrize("phase", ACTIVE)
@pytest.mark.parametrize(
    "kind", [kind for kind in IN_ROOM_TYPES if kind not in (M.NOD, M.NOTE, M.LEAVE)]
)
def test_a_listener_is_listening_before_its_fields_are_read(
    phase: Phase, kind: MessageType
) -> None:
    """Whatever the listener sends but nod, note or leave is `listening`, valid fields or not."""
    assert code_of(wire(kind), listener(phase)) is ErrorCode.LISTENING
    broken = {"t": str(kind), "box": b"x" * 20_000, "msg": "m", "on": "yes", "id": 1.5}
    assert code_of(broken, listener(phase)) is ErrorCode.LISTENING


def test_a_listeners_oversized_say_is_listening_not_bad_field() -> None:
    """A listener's say with a 16,401-byte box is `listening`, the earlier code, with its `re`."""
    caught = rejection({"t": "say", "box": b"x" * 16_401, "id": 12}, listener())
    assert (caught.code, caught.re) == (ErrorCode.LISTENING, 12)


def test_a_listeners_nod_with_a_bad_kind_is_bad_field() -> None:
    """Nods pass the listening gate, so a listener's nod with an unknown kind is `bad_field`."""
    caught = rejection({"t": "nod", "kind": "wave"}, listener())
    assert caught.code is ErrorCode.BAD_FIELD
    assert "kind" in caught.message


# bad_field before wrong_phase


def test_a_bad_field_wins_over_wrong_phase() -> None:
    """The floor holder's say with an empty box while asking is `bad_field`, not `wrong_phase`."""
    assert code_of({"t": "say", "box": b""}, holder(Phase.ASKING)) is ErrorCode.BAD_FIELD


@pytest.mark.parametrize(
    "raw",
    [{"t": "ask", "box": "a string"}, {"t": "verify", "mac": b"short"}, {"t": "hello"}],
    ids=["ask", "verify", "hello"],
)
def test_a_bad_field_while_waiting_is_bad_field(raw: dict[str, Any]) -> None:
    """While waiting, a broken field is `bad_field` before the `wrong_phase` its step would get."""
    assert code_of(raw, (in_phase(Phase.WAITING), A)) is ErrorCode.BAD_FIELD


def test_wrong_phase_is_left_to_the_session_and_keeps_the_id() -> None:
    """`admit` passes a well-formed misfit; `Session.apply` refuses it, and its id is kept."""
    session, seat = holder(Phase.ASKING)
    msg = admit(encode({"t": "say", "box": b"hi", "id": 9}), (session, seat))
    rejected = refused(session, seat, msg)
    assert rejected.code is ErrorCode.WRONG_PHASE
    assert rejected.with_re(msg.id).re == 9


def test_a_nod_from_the_floor_holder_passes_intake_then_is_wrong_phase() -> None:
    """The floor holder's nod is admitted with its fields, and the session refuses it."""
    session, seat = holder(Phase.REFLECTING)
    msg = admit(encode({"t": "nod", "kind": "time"}), (session, seat))
    assert msg == Nod(kind=NodKind.TIME)
    assert refused(session, seat, msg).code is ErrorCode.WRONG_PHASE


# Field rules: docs/protocol.md, Field rules, On the wire.

MOVES = (M.HANDOVER, M.DONE, M.DECLINE, M.CONFIRM, M.MORE, M.NOD, M.LEAVE)
"""The moves whose box is optional on the wire: docs/protocol.md, Sealing."""

BINARY_FIELDS = [
    pytest.param(M.PAKE, "msg", 256, id="pake.msg"),
    pytest.param(M.HELLO, "box", 256, id="hello.box"),
    pytest.param(M.ASK, "box", 4_400, id="ask.box"),
    pytest.param(M.SAY, "box", 16_400, id="say.box"),
    pytest.param(M.REFLECT, "box", 8_400, id="reflect.box"),
    *(pytest.param(kind, "box", 256, id=f"{kind}.box") for kind in MOVES),
]

EMOJI = "\U0001f525"  # one code point, four UTF-8 bytes, two UTF-16 units

FORBIDDEN = [
    "\x00",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]
ALLOWED_NEIGHBOURS = [" ", "~", "\xa0", "\u2029", "\u202f", "\u2065", "\u206a", "\u200b", EMOJI]


def admitted(raw: dict[str, Any], kind: MessageType) -> ClientMessage:
    """`raw` admitted from a sender entitled to `kind`, and accepted by its session too."""
    member = sender(kind)
    msg = admit(encode(raw), member)
    if member is not None:
        session, seat = member
        session.apply(seat, msg)
    return msg


def field_rejection(raw: dict[str, Any], kind: MessageType, field: str) -> Rejected:
    """The `bad_field` `raw` gets from a sender entitled to `kind`, checked to name `field`."""
    member = sender(kind)
    before = None if member is None else snapshot(member[0])
    caught = rejection(raw, member)
    assert caught.code is ErrorCode.BAD_FIELD, caught
    assert field in caught.message
    if member is not None:
        assert snapshot(member[0]) == before
    return caught


@pytest.mark.parametrize(("kind", "field", "limit"), BINARY_FIELDS)
def test_binary_fields_take_1_to_their_limit_in_bytes(
    kind: MessageType, field: str, limit: int
) -> None:
    """`msg` and each box take 1 byte up to their limit, any byte values, and no more or less."""
    assert getattr(admitted(wire(kind, **{field: b"\x00"}), kind), field) == b"\x00"
    largest = bytes(range(256)) * (limit // 256) + b"\xff" * (limit % 256)
    assert getattr(admitted(wire(kind, **{field: largest}), kind), field) == largest
    field_rejection(wire(kind, **{field: largest + b"\x00"}), kind, field)
    field_rejection(wire(kind, **{field: b""}), kind, field)


@pytest.mark.parametrize("size", [32])
def test_a_verify_mac_of_exactly_32_bytes_is_taken(size: int) -> None:
    """`verify.mac` of 32 bytes is admitted as sent."""
    mac = bytes(range(size))
    assert admitted(wire(M.VERIFY, mac=mac), M.VERIFY).to_wire()["mac"] == mac


@pytest.mark.parametrize("size", [0, 1, 31, 33, 64])
def test_a_verify_mac_of_any_other_length_is_bad_field(size: int) -> None:
    """`verify.mac` is exactly 32 bytes: shorter or longer is `bad_field` naming `mac`."""
    field_rejection(wire(M.VERIFY, mac=b"m" * size), M.VERIFY, "mac")


BINARY_WRONG_TYPES = [7, 1.5, True, None, "a string", "", ["list"], {"a": "map"}]


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (M.PAKE, "msg"),
        (M.VERIFY, "mac"),
        (M.HELLO, "box"),
        (M.ASK, "box"),
        (M.SAY, "box"),
        (M.REFLECT, "box"),
        *((kind, "box") for kind in MOVES),
    ],
)
@pytest.mark.parametrize("value", BINARY_WRONG_TYPES, ids=repr)
def test_a_binary_field_of_another_type_is_bad_field(
    kind: MessageType, field: str, value: object
) -> None:
    """Where the contract wants binary, a string (a fireside.1 text) or anything else is
    `bad_field`: nothing unsealed is stored as if it were a box."""
    field_rejection(wire(kind, **{field: value}), kind, field)


@pytest.mark.parametrize("kind", MOVES)
def test_a_move_box_is_optional_on_the_wire_and_kept_on_its_change(kind: MessageType) -> None:
    """A move without a box is admitted (a `leave` while waiting has none); one with a box
    keeps it, byte for byte, on the change the session records."""
    assert admitted(wire(kind), kind).to_wire().get("box") is None
    box = bytes(range(40))
    member = sender(kind)
    assert member is not None
    session, seat = member
    change = session.apply(seat, admit(encode(wire(kind, box=box)), member))
    assert change is not None
    assert change.box == box


def test_a_string_of_32_bytes_is_not_a_mac() -> None:
    """A str of exactly the right length is still not binary: `bad_field`."""
    caught = field_rejection(wire(M.VERIFY, mac="m" * 32), M.VERIFY, "mac")
    assert "binary" in caught.message


@pytest.mark.parametrize(
    ("kind", "field"), [(M.JOIN, "code"), (M.RESUME, "code"), (M.RESUME, "token"), (M.NOD, "kind")]
)
@pytest.mark.parametrize("value", [7, 1.5, True, None, b"bytes", ["list"], {"a": "map"}], ids=repr)
def test_a_string_field_of_another_type_is_bad_field(
    kind: MessageType, field: str, value: object
) -> None:
    """A field the contract makes a string is `bad_field` when it holds anything else."""
    field_rejection(wire(kind, **{field: value}), kind, field)


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (M.JOIN, "code"),
        (M.RESUME, "code"),
        (M.RESUME, "token"),
        (M.RESUME, "after"),
        (M.PAKE, "msg"),
        (M.VERIFY, "mac"),
        (M.HELLO, "box"),
        (M.ASK, "box"),
        (M.SAY, "box"),
        (M.REFLECT, "box"),
        (M.NOD, "kind"),
        (M.TYPING, "on"),
    ],
)
def test_a_missing_required_field_is_bad_field(kind: MessageType, field: str) -> None:
    """Leaving out a required field is `bad_field` naming it."""
    raw = {key: value for key, value in VALID[kind].items() if key != field}
    field_rejection(raw, kind, field)


@pytest.mark.parametrize(
    ("kind", "legacy"),
    [
        (M.CREATE, {"name": "Ana"}),
        (M.JOIN, {"name": "Ben"}),
        (M.ASK, {"text": "What now?", "card": "deep-07"}),
        (M.SAY, {"text": 5}),
        (M.MISMATCH, {"why": "x"}),
    ],
    ids=["create", "join", "ask", "say", "mismatch"],
)
def test_keys_a_type_does_not_name_are_ignored(kind: MessageType, legacy: dict[str, Any]) -> None:
    """A fireside.1 `name`, `text` or `card`, or any other key, is left alone: the message is
    admitted as if the key were not there, and the key goes nowhere."""
    assert admitted({**VALID[kind], **legacy}, kind).to_wire() == VALID[kind]


# The text rules: no longer on the wire, but what a box must hold (docs/protocol.md, Field
# rules, Inside a box).

TEXT_LIMITS = [
    pytest.param(fields.NAME_MAX, 32, id="name"),
    pytest.param(fields.ASK_MAX, 1000, id="ask"),
    pytest.param(fields.SAY_MAX, 4000, id="say"),
    pytest.param(fields.REFLECT_MAX, 2000, id="reflect"),
    pytest.param(fields.CARD_MAX, 64, id="card"),
]


@pytest.mark.parametrize(("limit", "contract"), TEXT_LIMITS)
@pytest.mark.parametrize("unit", ["x", EMOJI, "é"])
def test_text_lengths_are_counted_in_code_points(limit: int, contract: int, unit: str) -> None:
    """Each text takes 1 to its limit code points, astral ones counting one, and no more."""
    assert limit == contract
    assert fields.text_problem(unit, limit) is None
    assert fields.text_problem(unit * limit, limit) is None
    assert fields.text_problem(unit * (limit + 1), limit) is not None
    assert fields.text_problem("", limit) is not None


@pytest.mark.parametrize("char", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_control_and_bidi_characters_break_the_text_rules(char: str) -> None:
    """C0 controls but tab and newline, DEL, C1 and bidi overrides and isolates are refused in
    a text, a name, and the wire's `code` and `token`."""
    assert fields.text_problem(f"ok{char}ok", 100) is not None
    assert fields.name_problem(f"ok{char}ok") is not None
    with pytest.raises(Rejected):
        fields.check_text("text", f"ok{char}ok", 100)
    field_rejection(wire(M.JOIN, code=f"ok{char}ok"), M.JOIN, "code")
    field_rejection(wire(M.RESUME, token=f"ok{char}ok"), M.RESUME, "token")


@pytest.mark.parametrize(
    "char", ALLOWED_NEIGHBOURS, ids=[f"U+{ord(c):04X}" for c in ALLOWED_NEIGHBOURS]
)
def test_characters_beside_the_forbidden_ranges_are_allowed(char: str) -> None:
    """The characters just outside the forbidden ranges pass, so the ranges are not too wide."""
    assert fields.check_text("text", f"ok{char}ok", 100) == f"ok{char}ok"
    assert fields.name_problem(f"ok{char}ok") is None
    assert admitted(wire(M.JOIN, code=f"ok{char}ok"), M.JOIN).to_wire()["code"] == f"ok{char}ok"


@pytest.mark.parametrize("char", ["\n", "\t"], ids=["newline", "tab"])
def test_texts_may_hold_newlines_and_tabs_but_names_may_not(char: str) -> None:
    """Tab and newline are the control characters a text may hold; a name is one line."""
    assert fields.text_problem(f"a{char}b", 10) is None
    assert fields.name_problem(f"Ana{char}Lee") is not None


@pytest.mark.parametrize("kind", list(NodKind))
def test_each_nod_kind_is_accepted(kind: NodKind) -> None:
    """`heart`, `hear` and `time` are the nods there are."""
    assert admitted(wire(M.NOD, kind=str(kind)), M.NOD) == Nod(kind=kind)


@pytest.mark.parametrize("value", ["HEART", "Heart", "heart ", "", "wave", "hug"])
def test_other_nod_kinds_are_bad_field(value: str) -> None:
    """Any other nod kind, case and spacing variants included, is `bad_field`."""
    field_rejection(wire(M.NOD, kind=value), M.NOD, "kind")


@pytest.mark.parametrize("value", [True, False])
def test_typing_on_takes_a_bool(value: bool) -> None:
    """`typing.on` is true or false."""
    assert admitted(wire(M.TYPING, on=value), M.TYPING) == Typing(on=value)


@pytest.mark.parametrize("value", [1, 0, "true", None, 1.0, ["x"]], ids=repr)
def test_typing_on_that_is_not_a_bool_is_bad_field(value: object) -> None:
    """`typing.on` as a number, string or nil is `bad_field`."""
    field_rejection(wire(M.TYPING, on=value), M.TYPING, "on")


@pytest.mark.parametrize("value", [0, 1, 41, 2**40, 2**64 - 1])
def test_after_is_any_integer_from_zero(value: int) -> None:
    """`resume.after` is an integer ≥ 0, large ones included."""
    assert admitted(wire(M.RESUME, after=value), M.RESUME) == Resume(
        code=VALID[M.RESUME]["code"], token=VALID[M.RESUME]["token"], after=value
    )


@pytest.mark.parametrize("value", [-1, -(2**63), 1.0, "3", True, False, None, [1]], ids=repr)
def test_after_that_is_not_a_non_negative_integer_is_bad_field(value: object) -> None:
    """A negative, fractional, string, bool or nil `after` is `bad_field`."""
    field_rejection(wire(M.RESUME, after=value), M.RESUME, "after")


@pytest.mark.parametrize(
    ("kind", "field"), [(M.JOIN, "code"), (M.RESUME, "code"), (M.RESUME, "token")]
)
def test_codes_and_tokens_follow_the_string_rules(kind: MessageType, field: str) -> None:
    """`code` and `token` may not be empty, longer than 256 code points, or hold controls."""
    field_rejection(wire(kind, **{field: ""}), kind, field)
    field_rejection(wire(kind, **{field: "x" * 257}), kind, field)
    field_rejection(wire(kind, **{field: "ABCDE\rFGHJK"}), kind, field)


# id and re


@pytest.mark.parametrize("value", [0, 1, 2**53, 2**64 - 1])
def test_a_valid_id_is_echoed_as_re_on_every_rules_error(value: int) -> None:
    """An `id` that is a non-negative integer comes back as `re` on the rejection."""
    cases: list[tuple[dict[str, Any], Member, ErrorCode]] = [
        ({"t": "greet"}, None, ErrorCode.UNKNOWN_TYPE),
        ({"t": "say", "text": "x"}, None, ErrorCode.NOT_IN_ROOM),
        ({"t": "create"}, holder(), ErrorCode.IN_ROOM),
        ({"t": "say", "text": "x"}, (in_phase(Phase.ENDED), A), ErrorCode.ENDED),
        ({"t": "say", "text": "x"}, listener(), ErrorCode.LISTENING),
        ({"t": "say", "box": b""}, holder(), ErrorCode.BAD_FIELD),
    ]
    for raw, member, code in cases:
        caught = rejection({**raw, "id": value}, member)
        assert (caught.code, caught.re) == (code, value)


@pytest.mark.parametrize("value", [-1, "7", True, False, 1.0, 2.5, None, [1]], ids=repr)
def test_an_invalid_id_is_bad_field_without_re(value: object) -> None:
    """An `id` that is not a non-negative integer is `bad_field` naming `id`, with no `re`."""
    caught = rejection({"t": "say", "box": b"hi", "id": value}, holder())
    assert caught.code is ErrorCode.BAD_FIELD
    assert "id" in caught.message
    assert caught.re is None


def test_an_invalid_id_from_a_listener_is_listening() -> None:
    """`listening` comes before `bad_field`, so a listener's bad `id` is `listening`, no `re`."""
    caught = rejection({"t": "say", "box": b"hi", "id": -1}, listener())
    assert (caught.code, caught.re) == (ErrorCode.LISTENING, None)


def test_an_admitted_message_keeps_its_id() -> None:
    """A valid `id` is carried on the admitted message so a later `wrong_phase` can echo it."""
    assert admit(encode({"t": "leave", "id": 4}), holder()).id == 4
    assert admit(encode({"t": "leave"}), holder()).id is None
