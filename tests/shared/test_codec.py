"""The MessagePack codec and the server's replies, to the wire and back."""

from typing import Any

import msgpack
import pytest

from shared.codec import MAX_MESSAGE, MAX_REPLY, decode_reply, decode_request, encode
from shared.errors import ErrorCode, Rejected
from shared.events import (
    ErrorReply,
    Event,
    EventKind,
    Joined,
    MalformedReply,
    RoomState,
    TypingNotice,
    parse_reply,
)
from shared.seats import NodKind, Phase
from tests.shared.rooms import MAC, PAKE_MSG, VALID, A, B, in_phase, message

STATE = RoomState(
    phase=Phase.SHARING,
    round=2,
    asker=B,
    names={A: b"sealed name of a", B: b"\x00\xffsealed name of b"},
    online={A: True, B: False},
)


WAITING = in_phase(Phase.WAITING).state


def event(seq: int = 7, **overrides: Any) -> Event:
    fields: dict[str, Any] = {
        "seq": seq,
        "at": 1_764_158_400_000 + seq,
        "kind": EventKind.SAY,
        "by": A,
        "state": STATE,
        "box": b"\x00sealed: Tired, but good.\xff",
    }
    return Event(**{**fields, **overrides})


def through_the_wire(wire: dict[str, Any]) -> object:
    return parse_reply(decode_reply(encode(wire)))


@pytest.mark.parametrize("raw", list(VALID.values()), ids=[str(kind) for kind in VALID])
def test_a_client_message_survives_encode_and_decode(raw: dict[str, Any]) -> None:
    """Every client message encodes to bytes that decode to the same map."""
    assert decode_request(encode(raw)) == raw


def test_a_typed_message_to_wire_is_its_valid_map() -> None:
    """`ClientMessage.to_wire` gives back the map it was parsed from, enum values as strings."""
    for kind, raw in VALID.items():
        assert message(kind).to_wire() == raw


def test_strings_and_binaries_stay_apart() -> None:
    """Strings decode as str and binaries as bytes, so a bytes field is not mistaken for text."""
    decoded = decode_reply(encode({"t": "x", "s": "é", "b": b"\xc3\xa9"}))
    assert decoded == {"t": "x", "s": "é", "b": b"\xc3\xa9"}


@pytest.mark.parametrize(
    "state",
    [
        in_phase(phase).state
        for phase in (Phase.WAITING, Phase.ASKING, Phase.SHARING, Phase.CONFIRMING, Phase.ENDED)
    ],
    ids=lambda state: str(state.phase),
)
def test_room_state_survives_the_wire(state: RoomState) -> None:
    """A room state in any phase comes back equal after to_wire, encode, decode and from_wire."""
    assert RoomState.from_wire(decode_reply(encode({"t": "x", "s": state.to_wire()}))["s"]) == (
        state
    )


def test_room_state_on_the_wire_names_the_floor_and_both_seats() -> None:
    """`state` carries phase, round, asker, floor, and names and online for both seats."""
    assert STATE.to_wire() == {
        "phase": "sharing",
        "round": 2,
        "asker": "b",
        "floor": "a",
        "names": {"a": b"sealed name of a", "b": b"\x00\xffsealed name of b"},
        "online": {"a": True, "b": False},
    }
    waiting = in_phase(Phase.WAITING).state.to_wire()
    assert (waiting["floor"], waiting["names"]["b"], waiting["online"]["b"]) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    "sent",
    [
        event(),
        event(kind=EventKind.ASK, by=B, box=b"sealed question"),
        event(kind=EventKind.NOD, by=B, box=None, nod=NodKind.HEAR),
        event(kind=EventKind.DONE, box=None),
        event(seq=1, kind=EventKind.JOINED, box=None, state=in_phase(Phase.WAITING).state),
        event(seq=2, kind=EventKind.PAKE, box=None, msg=PAKE_MSG, state=WAITING),
        event(seq=3, kind=EventKind.VERIFY, box=None, mac=MAC, state=WAITING),
        event(seq=4, kind=EventKind.HELLO, by=B, box=b"sealed name", state=WAITING),
        event(seq=5, kind=EventKind.MISMATCH, box=None, state=in_phase(Phase.ENDED).state),
    ],
    ids=["say", "ask", "nod", "done", "joined", "pake", "verify", "hello", "mismatch"],
)
def test_an_event_survives_the_wire(sent: Event) -> None:
    """An event comes back equal through to_wire, encode, decode_reply and parse_reply."""
    assert through_the_wire(sent.to_wire()) == sent


def test_an_event_on_the_wire_leaves_out_what_its_kind_lacks() -> None:
    """An event map has `msg`, `mac`, `box` or `nod` only where its kind has one; the bytes
    travel as MessagePack binary."""
    wire = event(kind=EventKind.DONE, box=None).to_wire()
    assert set(wire) == {"t", "seq", "at", "kind", "by", "state"}
    nod = event(kind=EventKind.NOD, box=None, nod=NodKind.TIME).to_wire()
    assert (nod["nod"], "box" in nod) == ("time", False)
    pake = event(kind=EventKind.PAKE, box=None, msg=PAKE_MSG).to_wire()
    assert set(pake) - {"t", "seq", "at", "kind", "by", "state"} == {"msg"}
    frame = encode(event().to_wire())
    assert b"\xc4" + bytes([len(event().box or b"")]) + (event().box or b"") in frame


def test_joined_survives_the_wire_with_its_log() -> None:
    """A `joined` reply comes back with its code, seat, token, whole event log and state."""
    log = tuple(event(seq, kind=EventKind.SAY, box=f"box {seq}".encode()) for seq in range(1, 40))
    sent = Joined(code="K7M2Q-X9P4R", seat=B, token="t" * 22, events=log, state=STATE)
    assert through_the_wire(sent.to_wire()) == sent


def test_a_joined_reply_larger_than_a_client_message_is_read() -> None:
    """A long log makes `joined` exceed 64 KiB; the client still decodes it."""
    log = tuple(event(seq, box=b"x" * 16_400) for seq in range(1, 40))
    sent = Joined(code="K7M2Q-X9P4R", seat=A, token="t" * 22, events=log, state=STATE)
    frame = encode(sent.to_wire())
    assert MAX_MESSAGE < len(frame) < MAX_REPLY
    assert parse_reply(decode_reply(frame)) == sent
    with pytest.raises(Rejected):
        decode_request(frame)


@pytest.mark.parametrize(
    "sent",
    [
        TypingNotice(by=A, on=True),
        TypingNotice(by=B, on=False),
        ErrorReply(ErrorCode.LISTENING, "you are listening", re=4),
        ErrorReply(ErrorCode.BAD_FRAME, "not a MessagePack map"),
    ],
    ids=["typing-on", "typing-off", "error-re", "error"],
)
def test_typing_and_error_survive_the_wire(sent: TypingNotice | ErrorReply) -> None:
    """`typing` and `error` replies come back equal; an error without `re` has no `re` key."""
    assert through_the_wire(sent.to_wire()) == sent
    if isinstance(sent, ErrorReply) and sent.re is None:
        assert "re" not in sent.to_wire()


def map_frame(entries: list[tuple[str, object]]) -> bytes:
    """A map with exactly these entries, in this order, repeated keys and all."""
    packer = msgpack.Packer()
    parts = [packer.pack_map_header(len(entries))]
    parts += [packer.pack(key) + packer.pack(value) for key, value in entries]
    return b"".join(parts)


MANY = [(f"k{n}", n) for n in range(20)]
"""Enough keys beside `t` that the map's header is a map 16, not a fixmap."""


@pytest.mark.parametrize(
    "entries",
    [
        [("t", "say"), ("box", b"first"), ("box", b"second")],
        [("t", "create"), ("id", 1), ("id", 2)],
        [("t", "ask"), ("t", "say"), ("box", b"sealed")],
        [("t", "create"), *MANY, ("k0", 0)],
    ],
    ids=["box", "id", "t", "map16"],
)
def test_a_key_twice_in_a_client_message_is_a_bad_frame(entries: list[tuple[str, object]]) -> None:
    """A client map that holds a key twice is refused, not read as its last value: which one
    was meant is the sender's secret (docs/protocol.md, Field rules, Faults)."""
    with pytest.raises(Rejected) as caught:
        decode_request(map_frame(entries))
    assert caught.value.code is ErrorCode.BAD_FRAME
    assert caught.value.re is None


def test_a_map16_of_distinct_keys_is_read() -> None:
    """A long map whose keys are all different is a map, whatever its header's width."""
    assert decode_request(map_frame([("t", "create"), *MANY])) == {"t": "create", **dict(MANY)}


def test_decode_reply_refuses_what_is_not_a_map_with_a_string_t() -> None:
    """A server frame that is not a map with a string `t` is refused, as the server refuses one."""
    for frame in (b"\xc1", msgpack.packb([1]), msgpack.packb({"seq": 1}), msgpack.packb({"t": 1})):
        with pytest.raises(Rejected) as caught:
            decode_reply(frame)
        assert caught.value.code is ErrorCode.BAD_FRAME


def good_event() -> dict[str, Any]:
    return event().to_wire()


def with_state(**changes: Any) -> dict[str, Any]:
    wire = good_event()
    wire["state"] = {**wire["state"], **changes}
    return wire


MALFORMED: dict[str, dict[str, Any]] = {
    "no-t": {"seq": 1},
    "unknown-t": {"t": "hello"},
    "event-no-seq": {k: v for k, v in good_event().items() if k != "seq"},
    "event-seq-string": {**good_event(), "seq": "7"},
    "event-seq-bool": {**good_event(), "seq": True},
    "event-at-float": {**good_event(), "at": 1.5},
    "event-unknown-kind": {**good_event(), "kind": "shout"},
    "event-unknown-by": {**good_event(), "by": "c"},
    "event-box-int": {**good_event(), "box": 5},
    "event-box-string": {**good_event(), "box": "plain text"},
    "event-msg-string": {**good_event(), "msg": "m"},
    "event-mac-list": {**good_event(), "mac": [1]},
    "event-unknown-nod": {**good_event(), "nod": "wave"},
    "event-no-state": {k: v for k, v in good_event().items() if k != "state"},
    "event-state-list": {**good_event(), "state": []},
    "state-unknown-phase": with_state(phase="dozing"),
    "state-round-string": with_state(round="2"),
    "state-unknown-asker": with_state(asker="c"),
    "state-names-list": with_state(names=["Ana"]),
    "state-name-int": with_state(names={"a": 1, "b": None}),
    "state-name-string": with_state(names={"a": "Ana", "b": None}),
    "state-online-missing": {
        **good_event(),
        "state": {k: v for k, v in good_event()["state"].items() if k != "online"},
    },
    "joined-events-not-list": {
        "t": "joined",
        "code": "K",
        "seat": "a",
        "token": "x",
        "events": {},
        "state": STATE.to_wire(),
    },
    "joined-bad-event": {
        "t": "joined",
        "code": "K",
        "seat": "a",
        "token": "x",
        "events": [{"t": "event"}],
        "state": STATE.to_wire(),
    },
    "joined-no-token": {
        "t": "joined",
        "code": "K",
        "seat": "a",
        "events": [],
        "state": STATE.to_wire(),
    },
    "joined-unknown-seat": {
        "t": "joined",
        "code": "K",
        "seat": "z",
        "token": "x",
        "events": [],
        "state": STATE.to_wire(),
    },
    "typing-on-int": {"t": "typing", "by": "a", "on": 1},
    "typing-no-by": {"t": "typing", "on": True},
    "error-unknown-code": {"t": "error", "code": "oops", "message": "m"},
    "error-no-message": {"t": "error", "code": "listening"},
    "error-re-string": {"t": "error", "code": "listening", "message": "m", "re": "4"},
}


@pytest.mark.parametrize("wire", list(MALFORMED.values()), ids=list(MALFORMED))
def test_parse_reply_refuses_a_map_that_breaks_the_contract(wire: dict[str, Any]) -> None:
    """A server map missing a key, with a wrong type or an unknown name raises MalformedReply."""
    with pytest.raises(MalformedReply):
        parse_reply(wire)
