"""Text rules in fireside.2: the server cannot read a word, so the clients keep them.

The sender's `Sealer` refuses to seal a name, question, card, answer or reflection with an
escape sequence, a C0/C1 control or a bidi override; the receiver's `Opener` refuses to hand
one over when a partner who holds the key sealed it anyway (docs/protocol.md, Field rules,
Inside a box). On the wire the server checks only that a box is bytes of the right size,
and relays it unread.
"""

import secrets
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from server.app import RunningServer
from shared.codes import normalize_code
from shared.crypto.boxes import Opener, Sealer, Tampered
from shared.crypto.pairing import RoomKey
from shared.fields import ASK_MAX, CARD_MAX, NAME_MAX, REFLECT_MAX, SAY_MAX
from shared.messages import MessageType
from shared.seats import Seat
from tests.hostile.honest import honest_pair

HOSTILE = {
    "CSI colour": "a\x1b[31mred",
    "OSC 8 hyperlink": "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "8-bit CSI": "a\x9b31mred",
    "right-to-left override": "abc\u202egnp.exe",
    "left-to-right isolate": "a\u2066b\u2069",
    "NUL": "a\x00b",
    "DEL": "a\x7fb",
    "carriage return": "over\rwrite",
    "bell": "ding\x07",
}
"""Each a string a partner might send to take over the other's terminal or mislead them."""

KEY = RoomKey("K7M2Q-X9P4R", bytes(range(32)))

FIELDS: list[tuple[MessageType, str, int]] = [
    (MessageType.HELLO, "name", NAME_MAX),
    (MessageType.ASK, "text", ASK_MAX),
    (MessageType.ASK, "card", CARD_MAX),
    (MessageType.SAY, "text", SAY_MAX),
    (MessageType.REFLECT, "text", REFLECT_MAX),
]
"""Every text a partner controls, each in the box that carries it, with its length limit."""


def counter_of(kind: MessageType) -> int:
    """`hello` is a seat's box 0; the others follow it."""
    return 0 if kind is MessageType.HELLO else 1


def plaintext(kind: MessageType, field: str, value: str) -> dict[str, str]:
    """The plaintext map of `kind` with `value` in `field` and valid text elsewhere."""
    fields = {"text": "Fine?"} if kind is MessageType.ASK else {}
    return {**fields, field: value}


def forged(kind: MessageType, content: Any, seat: Seat = Seat.B) -> bytes:
    """A box sealed the way docs/protocol.md, Sealing, says, around any `content`, without the
    Sealer's checks: what a partner who holds the key, and a changed client, can send."""
    return forged_for(KEY, seat, kind, content, counter_of(kind))


def opener_at(kind: MessageType, seat: Seat = Seat.B) -> Opener:
    """An opener that has read `seat`'s boxes before the one `kind` would be."""
    opener = Opener(KEY)
    if kind is not MessageType.HELLO:
        hello = Sealer(KEY, seat).seal(MessageType.HELLO, {"name": "Ben"})
        assert opener.open(seat, MessageType.HELLO, hello) == {"name": "Ben"}
    return opener


def refuses(opener: Opener, kind: MessageType, box: bytes, secret: str) -> Tampered:
    """The opener raises Tampered for `box`, saying nothing of `secret` there or in a cause."""
    with pytest.raises(Tampered) as tampered:
        opener.open(Seat.B, kind, box)
    problem = tampered.value
    for said in (str(problem), repr(problem.__cause__), repr(problem.__context__)):
        assert secret not in said, said
    return problem


@pytest.mark.parametrize(("kind", "field", "limit"), FIELDS, ids=lambda v: str(v))
def test_the_sealer_refuses_every_hostile_text(kind: MessageType, field: str, limit: int) -> None:
    """Each hostile string, an empty text and one past the limit: ValueError naming the field,
    nothing sealed, and the next valid box still takes the counter the partner expects."""
    sealer = Sealer(KEY, Seat.B, sealed=counter_of(kind))
    for value in [*HOSTILE.values(), "", "x" * (limit + 1)]:
        with pytest.raises(ValueError, match=field) as refused:
            sealer.seal(kind, plaintext(kind, field, value))
        assert value not in str(refused.value) or not value
    box = sealer.seal(kind, plaintext(kind, field, "x" * limit))
    assert opener_at(kind).open(Seat.B, kind, box) == plaintext(kind, field, "x" * limit)


def test_the_sealer_keeps_names_to_one_line() -> None:
    """A name with a newline or a tab is refused, as in fireside.1; texts may hold both."""
    for name in ("Ben\nAna", "Ben\tAna"):
        with pytest.raises(ValueError, match="name"):
            Sealer(KEY, Seat.B).seal(MessageType.HELLO, {"name": name})
    box = Sealer(KEY, Seat.B, sealed=1).seal(MessageType.SAY, {"text": "one\n\ttwo"})
    assert opener_at(MessageType.SAY).open(Seat.B, MessageType.SAY, box) == {"text": "one\n\ttwo"}


@pytest.mark.parametrize(("kind", "field", "limit"), FIELDS, ids=lambda v: str(v))
@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_opener_refuses_hostile_text_a_partner_sealed_anyway(
    kind: MessageType, field: str, limit: int, name: str
) -> None:
    """A box that opens with the right key but holds a control or an override is Tampered,
    without the text in the exception, and every later box is refused too: the session stops."""
    value = HOSTILE[name]
    opener = opener_at(kind)
    problem = refuses(opener, kind, forged(kind, plaintext(kind, field, value)), value)
    assert field in str(problem)
    honest = Sealer(KEY, Seat.B, sealed=counter_of(kind)).seal(kind, plaintext(kind, field, "ok"))
    refuses(opener, kind, honest, value)


BAD_PLAINTEXTS: list[Any] = [
    ["not", "a", "map"],
    "a string",
    {"text": 7},
    {"text": b"bytes"},
    {"text": "fine", "name": "extra"},
    {1: "integer key"},
    {},
]


@pytest.mark.parametrize("content", BAD_PLAINTEXTS, ids=repr)
def test_the_opener_refuses_plaintexts_of_the_wrong_shape(content: Any) -> None:
    """A sealed `say` whose plaintext is no map, lacks its text, holds a non-text or an extra
    field is Tampered."""
    refuses(opener_at(MessageType.SAY), MessageType.SAY, forged(MessageType.SAY, content), "\x00")


MOVE_PLAINTEXTS: list[tuple[MessageType, Any]] = [
    (MessageType.DONE, {"text": "a done that talks"}),
    (MessageType.CONFIRM, {"": ""}),
    (MessageType.HANDOVER, []),
    (MessageType.LEAVE, "bye"),
    (MessageType.NOD, {"kind": "\x1b[31mheart"}),
    (MessageType.NOD, {"kind": "kiss"}),
    (MessageType.NOD, {}),
]


@pytest.mark.parametrize(("kind", "content"), MOVE_PLAINTEXTS, ids=repr)
def test_the_opener_refuses_a_move_box_that_holds_anything_else(
    kind: MessageType, content: Any
) -> None:
    """Every move after the pairing is sealed as `{}` (a nod as its kind): a move box a partner
    filled with text, another shape or a nod of no kind is Tampered, and says none of it."""
    refuses(opener_at(kind), kind, forged(kind, content), "\x1b")
    honest = Sealer(KEY, Seat.B, sealed=1).seal(
        kind, {"kind": "heart"} if kind is MessageType.NOD else {}
    )
    assert opener_at(kind).open(Seat.B, kind, honest) == (
        {"kind": "heart"} if kind is MessageType.NOD else {}
    )


def test_a_box_moved_relabelled_or_replayed_does_not_open() -> None:
    """The same honest box as another type, from the other seat, at another counter, twice,
    or with a byte changed: Tampered each time (each case on a fresh opener)."""
    box = Sealer(KEY, Seat.B, sealed=1).seal(MessageType.SAY, {"text": "mine"})
    for kind, seat, changed in (
        (MessageType.REFLECT, Seat.B, box),
        (MessageType.SAY, Seat.A, box),
        (MessageType.SAY, Seat.B, box[:-1] + bytes([box[-1] ^ 1])),
    ):
        opener = opener_at(MessageType.SAY, seat)
        with pytest.raises(Tampered):
            opener.open(seat, kind, changed)
    opener = opener_at(MessageType.SAY)
    assert opener.open(Seat.B, MessageType.SAY, box) == {"text": "mine"}
    with pytest.raises(Tampered):
        opener.open(Seat.B, MessageType.SAY, box)


async def test_the_server_refuses_text_where_a_box_belongs_and_relays_boxes_unread(
    server: RunningServer,
) -> None:
    """A fireside.1 `text` (hostile or not) where a box belongs is `bad_field` and the partner
    hears nothing; a box holding hostile text the server cannot see is relayed byte for byte,
    and it is the partner's Opener that refuses it."""
    async with honest_pair(server.port) as pair:
        for value in [*HOSTILE.values(), "Fine?"]:
            for message, field in (
                ({"t": "ask", "text": value}, "box"),
                ({"t": "ask", "box": value}, "box"),
            ):
                reply = await pair.a.request({**message, "id": 7})
                assert (reply["t"], reply["code"], reply["re"]) == ("error", "bad_field", 7)
                assert field in reply["message"], reply
        await pair.b.nothing()
        evil = HOSTILE["OSC 8 hyperlink"]
        box = forged_for(pair.key, Seat.A, MessageType.ASK, {"text": evil}, counter=1)
        await pair.a.send({"t": "ask", "box": box})
        relayed = await pair.b.recv()
        assert (relayed["kind"], relayed["box"]) == ("ask", box)
        assert evil.encode() not in relayed["box"]
        with pytest.raises(Tampered):
            pair.openers[Seat.B].open(Seat.A, MessageType.ASK, relayed["box"])


def forged_for(key: RoomKey, seat: Seat, kind: MessageType, content: Any, counter: int) -> bytes:
    """`content` sealed by hand as `seat`'s box number `counter`: nonce, then ChaCha20-Poly1305
    under the seat's key with `["fireside.2", nameplate, seat, type, counter]` bound in."""
    associated = msgpack.packb(
        ["fireside.2", normalize_code(key.nameplate).encode(), str(seat), str(kind), counter]
    )
    nonce = secrets.token_bytes(12)
    packed = msgpack.packb(content)
    return nonce + ChaCha20Poly1305(key.sealing_key(seat)).encrypt(nonce, packed, associated)
