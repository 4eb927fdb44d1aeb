"""Sealed boxes: each opens once, in order, as what it was sealed as, or the session stops."""

from collections.abc import Mapping

import msgpack
import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from shared.crypto.boxes import NONCE_BYTES, TAG_BYTES, Opener, Sealer, Tampered
from shared.crypto.invite import draw_words
from shared.crypto.pairing import Pairing, RoomKey
from shared.fields import MOVE_BOX_MAX
from shared.messages import MessageType
from shared.seats import Seat
from shared.vocabulary import MOVE_TYPES, SEALED_TYPES

NAMEPLATE = "K7M2Q-X9P4R"
HELLO, ASK, SAY, REFLECT = MessageType.HELLO, MessageType.ASK, MessageType.SAY, MessageType.REFLECT
DONE, CONFIRM, NOD, LEAVE = (
    MessageType.DONE,
    MessageType.CONFIRM,
    MessageType.NOD,
    MessageType.LEAVE,
)
SECRET = "the words nobody else may read"


@pytest.fixture
def key() -> RoomKey:
    """A room key both seats agreed on through a real pairing."""
    words = draw_words()
    a, b = Pairing(NAMEPLATE, words), Pairing(NAMEPLATE, words)
    key = a.finish(b.message)
    assert key == b.finish(a.message)
    return key


def sealed_log(key: RoomKey) -> list[tuple[Seat, MessageType, bytes]]:
    """A round as the log holds it: both hellos, an ask, a say, a reflect."""
    a, b = Sealer(key, Seat.A), Sealer(key, Seat.B)
    return [
        (Seat.A, HELLO, a.seal(HELLO, {"name": "Ann"})),
        (Seat.B, HELLO, b.seal(HELLO, {"name": "Bo"})),
        (Seat.A, ASK, a.seal(ASK, {"text": "What was hard this week?", "card": "week"})),
        (Seat.B, SAY, b.seal(SAY, {"text": SECRET})),
        (Seat.A, REFLECT, a.seal(REFLECT, {"text": "You heard me."})),
        (Seat.B, SAY, b.seal(SAY, {"text": "And one more thing."})),
    ]


def raw_box(
    key: RoomKey, seat: Seat, kind: str, counter: int, plaintext: bytes, room: bytes = b"K7M2QX9P4R"
) -> bytes:
    """A box sealed by hand with the real key, as a malicious partner would: the design's bytes."""
    nonce = bytes(12)
    associated = msgpack.packb(["fireside.2", room, seat.value, kind, counter])
    return nonce + ChaCha20Poly1305(key.sealing_key(seat)).encrypt(nonce, plaintext, associated)


def opener_after(key: RoomKey, log: list[tuple[Seat, MessageType, bytes]]) -> Opener:
    """An Opener that has read all of `log`."""
    opener = Opener(key)
    for seat, kind, box in log:
        opener.open(seat, kind, box)
    return opener


def test_every_type_round_trips(key: RoomKey) -> None:
    """hello, ask (with and without card), say and reflect open as sealed, own and partner's."""
    log = sealed_log(key)
    opener = Opener(key)
    opened = [opener.open(seat, kind, box) for seat, kind, box in log]
    assert opened == [
        {"name": "Ann"},
        {"name": "Bo"},
        {"text": "What was hard this week?", "card": "week"},
        {"text": SECRET},
        {"text": "You heard me."},
        {"text": "And one more thing."},
    ]
    assert (opener.opened(Seat.A), opener.opened(Seat.B)) == (3, 3)
    no_card = Sealer(key, Seat.A, sealed=3).seal(ASK, {"text": "And you?"})
    assert opener.open(Seat.A, ASK, no_card) == {"text": "And you?"}


def test_a_box_is_the_design_bytes(key: RoomKey) -> None:
    """A box is a 12-byte nonce and ChaCha20Poly1305 of a MessagePack map under the design's AD."""
    box = Sealer(key, Seat.B).seal(HELLO, {"name": "Bo"})
    associated = msgpack.packb(["fireside.2", b"K7M2QX9P4R", "b", "hello", 0])
    plaintext = ChaCha20Poly1305(key.sealing_key(Seat.B)).decrypt(box[:12], box[12:], associated)
    assert msgpack.unpackb(plaintext) == {"name": "Bo"}
    assert len(box) == 12 + len(plaintext) + 16


def test_a_resumed_client_continues_where_the_log_left_off(key: RoomKey) -> None:
    """A fresh Opener replays the log, and a Sealer started at `opened(seat)` seals the next box."""
    log = sealed_log(key)
    opener = Opener(key)
    for seat, kind, box in log:
        opener.open(seat, kind, box)
    resumed = Sealer(key, Seat.B, sealed=opener.opened(Seat.B))
    box = resumed.seal(SAY, {"text": "after the restart"})
    assert opener.open(Seat.B, SAY, box) == {"text": "after the restart"}


def test_the_same_text_never_seals_to_the_same_box(key: RoomKey) -> None:
    """Nonces are random: a hundred seals of one text have a hundred nonces and boxes."""
    sealer = Sealer(key, Seat.A, sealed=1)
    boxes = [sealer.seal(SAY, {"text": "again"}) for _ in range(100)]
    assert len({box[:12] for box in boxes}) == 100
    assert len(set(boxes)) == 100


def test_the_ciphertext_does_not_hold_the_text(key: RoomKey) -> None:
    """What the server stores does not contain the plaintext."""
    box = Sealer(key, Seat.B, sealed=1).seal(SAY, {"text": SECRET})
    assert SECRET.encode() not in box


def test_every_flipped_bit_is_tampering(key: RoomKey) -> None:
    """A box with any one of its bits flipped does not open."""
    box = Sealer(key, Seat.A).seal(HELLO, {"name": "Ann"})
    for bit in range(len(box) * 8):
        flipped = bytearray(box)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(Tampered, match="does not open"):
            Opener(key).open(Seat.A, HELLO, bytes(flipped))


@pytest.mark.parametrize("keep", [0, 11, 12, 27, -1])
def test_a_cut_box_is_tampering(key: RoomKey, keep: int) -> None:
    """A box cut short, down to nothing, does not open."""
    box = Sealer(key, Seat.A).seal(HELLO, {"name": "Ann"})
    with pytest.raises(Tampered):
        Opener(key).open(Seat.A, HELLO, box[:keep])


def test_a_replayed_box_is_tampering(key: RoomKey) -> None:
    """The same box again, as the sender's next one, does not open."""
    opener = Opener(key)
    _, _, hello = sealed_log(key)[0]
    opener.open(Seat.A, HELLO, hello)
    sealer = Sealer(key, Seat.A, sealed=1)
    ask = sealer.seal(ASK, {"text": "Well?"})
    opener.open(Seat.A, ASK, ask)
    with pytest.raises(Tampered, match="box 2 of seat a as ask does not open"):
        opener.open(Seat.A, ASK, ask)


def test_swapped_boxes_are_tampering(key: RoomKey) -> None:
    """Two boxes of one sender in the wrong order do not open."""
    sealer = Sealer(key, Seat.B, sealed=1)
    first, second = sealer.seal(SAY, {"text": "one"}), sealer.seal(SAY, {"text": "two"})
    in_order = opener_after(key, sealed_log(key)[:2])
    assert [in_order.open(Seat.B, SAY, box) for box in (first, second)] == [
        {"text": "one"},
        {"text": "two"},
    ]
    with pytest.raises(Tampered):
        opener_after(key, sealed_log(key)[:2]).open(Seat.B, SAY, second)


def test_a_dropped_box_is_tampering(key: RoomKey) -> None:
    """When the server leaves a box out, the one after it does not open."""
    sealer = Sealer(key, Seat.B, sealed=1)
    sealer.seal(SAY, {"text": "dropped"})
    after = sealer.seal(SAY, {"text": "after"})
    opener = opener_after(key, sealed_log(key)[:2])
    with pytest.raises(Tampered):
        opener.open(Seat.B, SAY, after)


def test_a_say_relabelled_as_reflect_is_tampering(key: RoomKey) -> None:
    """The type is in the associated data: a `say` shown as a `reflect` does not open."""
    box = Sealer(key, Seat.B, sealed=1).seal(SAY, {"text": "short"})
    opener = opener_after(key, sealed_log(key)[:2])
    with pytest.raises(Tampered):
        opener.open(Seat.B, REFLECT, box)


def test_a_box_from_the_other_seat_is_tampering(key: RoomKey) -> None:
    """A box seat a sealed, presented as seat b's, does not open."""
    box = Sealer(key, Seat.A).seal(HELLO, {"name": "Ann"})
    with pytest.raises(Tampered):
        Opener(key).open(Seat.B, HELLO, box)


def test_a_box_from_another_room_is_tampering(key: RoomKey) -> None:
    """The nameplate is in the associated data: the same K in another room does not open it."""
    elsewhere = RoomKey(nameplate="K7M2Q-X9P4S", secret=key.secret)
    box = Sealer(elsewhere, Seat.A).seal(HELLO, {"name": "Ann"})
    with pytest.raises(Tampered):
        Opener(key).open(Seat.A, HELLO, box)


def test_a_wrong_guess_of_the_words_opens_nothing(key: RoomKey) -> None:
    """A third party pairing with seat a on a wrong guess neither verifies nor opens a's boxes."""
    words = ("orbit", "velvet", "canyon")
    a, mallory = Pairing(NAMEPLATE, words), Pairing(NAMEPLATE, ("orbit", "velvet", "cannon"))
    key_a, key_mallory = a.finish(mallory.message), mallory.finish(a.message)
    assert not key_mallory.verifies(Seat.A, key_a.verifier(Seat.A))
    box = Sealer(key_a, Seat.A).seal(HELLO, {"name": "Ann"})
    with pytest.raises(Tampered):
        Opener(key_mallory).open(Seat.A, HELLO, box)


def test_after_tampering_nothing_more_opens(key: RoomKey) -> None:
    """Once a box is Tampered the Opener refuses every later box, even a good one."""
    hello = Sealer(key, Seat.A).seal(HELLO, {"name": "Ann"})
    opener = Opener(key)
    with pytest.raises(Tampered):
        opener.open(Seat.A, HELLO, hello[:-1])
    with pytest.raises(Tampered, match="an earlier box was tampered"):
        opener.open(Seat.A, HELLO, hello)
    assert opener.opened(Seat.A) == 0


@pytest.mark.parametrize(
    ("kind", "plaintext"),
    [
        ("say", msgpack.packb(["not", "a", "map"])),
        ("say", msgpack.packb("just text")),
        ("say", b"\xc1"),
        ("say", msgpack.packb({"text": "ok"}) + b"\x00"),
        ("say", b""),
        ("say", msgpack.packb({})),
        ("say", msgpack.packb({"text": "ok", "card": "extra"})),
        ("say", msgpack.packb({"words": "ok"})),
        ("say", msgpack.packb({b"text": "ok"})),
        ("say", msgpack.packb({"text": b"bytes, not text"})),
        ("say", msgpack.packb({"text": 7})),
        ("say", msgpack.packb({"text": ""})),
        ("say", msgpack.packb({"text": "x" * 4001})),
        ("say", msgpack.packb({"text": "clear \x1b[2J the screen"})),
        ("say", msgpack.packb({"text": "turn \u202e around"})),
        ("reflect", msgpack.packb({"text": "x" * 2001})),
        ("ask", msgpack.packb({"text": "x" * 1001})),
        ("ask", msgpack.packb({"card": "no text"})),
        ("ask", msgpack.packb({"text": "ok", "card": "x" * 65})),
        ("ask", msgpack.packb({"text": "ok", "card": "\x07"})),
        ("ask", msgpack.packb({"text": "ok", "card": None})),
    ],
)
def test_a_partner_breaking_the_field_rules_is_tampering(
    key: RoomKey, kind: str, plaintext: bytes
) -> None:
    """A box that opens with the real key but holds no valid plaintext for its type is Tampered."""
    opener = opener_after(key, sealed_log(key)[:2])
    box = raw_box(key, Seat.B, kind, 1, plaintext)
    with pytest.raises(Tampered):
        opener.open(Seat.B, MessageType(kind), box)


@pytest.mark.parametrize(
    "fields",
    [{"name": "two\nlines"}, {"name": "tab\there"}, {"name": "x" * 33}, {"name": ""}, {}],
)
def test_a_partner_breaking_the_name_rules_is_tampering(
    key: RoomKey, fields: Mapping[str, str]
) -> None:
    """A hello whose name is not one line of 1 to 32 characters is Tampered."""
    box = raw_box(key, Seat.B, "hello", 0, msgpack.packb(dict(fields)))
    with pytest.raises(Tampered):
        Opener(key).open(Seat.B, HELLO, box)


def test_a_hello_comes_first_and_only_first(key: RoomKey) -> None:
    """A partner's `say` as box 0 or `hello` as box 1 is Tampered, even sealed with the real key."""
    say_first = raw_box(key, Seat.B, "say", 0, msgpack.packb({"text": "early"}))
    with pytest.raises(Tampered, match="hello is a seat's first box"):
        Opener(key).open(Seat.B, SAY, say_first)
    second_hello = raw_box(key, Seat.B, "hello", 1, msgpack.packb({"name": "Bo again"}))
    with pytest.raises(Tampered, match="hello is a seat's first box"):
        opener_after(key, sealed_log(key)[:2]).open(Seat.B, HELLO, second_hello)


def test_the_rules_allow_the_longest_valid_plaintexts(key: RoomKey) -> None:
    """Text at each limit, in four-byte characters, opens, and fits the server's box limits."""
    wide = "\U0001f525"
    a, b = Sealer(key, Seat.A), Sealer(key, Seat.B)
    boxes = [
        (Seat.A, HELLO, a.seal(HELLO, {"name": wide * 32}), 256),
        (Seat.B, HELLO, b.seal(HELLO, {"name": "Bo"}), 256),
        (Seat.A, ASK, a.seal(ASK, {"text": wide * 1000, "card": wide * 64}), 4_400),
        (Seat.B, SAY, b.seal(SAY, {"text": wide * 4000}), 16_400),
        (Seat.A, REFLECT, a.seal(REFLECT, {"text": wide * 2000}), 8_400),
    ]
    opener = Opener(key)
    for seat, kind, box, limit in boxes:
        assert opener.open(seat, kind, box)
        # docs/protocol.md, Field rules, On the wire: the box sizes the server checks.
        assert len(box) <= limit


@pytest.mark.parametrize(
    ("kind", "fields", "problem"),
    [
        (HELLO, {"name": "two\nlines"}, "hello name must be one line without tabs"),
        (ASK, {"text": "x" * 1001}, "ask text must be at most 1000 characters"),
        (ASK, {"text": "ok", "card": ""}, "ask card must not be empty"),
        (SAY, {"text": SECRET + "\x1b"}, "say text holds a control or bidirectional-override"),
        (SAY, {"text": "ok", "card": "no"}, "say holds text, and nothing else"),
        (REFLECT, {"text": "x" * 2001}, "reflect text must be at most 2000 characters"),
        (ASK, {"card": "only"}, "ask holds text, and may hold card, and nothing else"),
    ],
)
def test_the_sealer_refuses_what_the_opener_would(
    key: RoomKey, kind: MessageType, fields: Mapping[str, str], problem: str
) -> None:
    """Sealing a plaintext that breaks the rules raises ValueError naming the rule, not the text."""
    sealer = Sealer(key, Seat.A, sealed=0 if kind == HELLO else 1)
    with pytest.raises(ValueError, match=problem) as refused:
        sealer.seal(kind, fields)
    assert SECRET not in str(refused.value)


def test_a_refused_seal_does_not_count(key: RoomKey) -> None:
    """After a refused seal the next box still carries the counter the Opener expects."""
    opener = opener_after(key, sealed_log(key)[:2])
    sealer = Sealer(key, Seat.B, sealed=1)
    with pytest.raises(ValueError, match="at most"):
        sealer.seal(SAY, {"text": "x" * 4001})
    assert opener.open(Seat.B, SAY, sealer.seal(SAY, {"text": "shorter"})) == {"text": "shorter"}


def test_the_sealer_keeps_hello_first(key: RoomKey) -> None:
    """A seat's box 0 is its hello and no other box is."""
    with pytest.raises(ValueError, match="hello is a seat's first box"):
        Sealer(key, Seat.A).seal(ASK, {"text": "too soon"})
    with pytest.raises(ValueError, match="hello is a seat's first box"):
        Sealer(key, Seat.A, sealed=1).seal(HELLO, {"name": "again"})


def test_only_the_sealed_types_are_sealed(key: RoomKey) -> None:
    """Every move after the pairing is sealed; the pairing steps and `typing` are not."""
    moves = {DONE, CONFIRM, NOD, LEAVE, MessageType.HANDOVER, MessageType.DECLINE, MessageType.MORE}
    worded = {HELLO, ASK, SAY, REFLECT, MessageType.NOTE, MessageType.PROPOSE, MessageType.ANSWER}
    assert worded | moves == SEALED_TYPES
    assert moves == MOVE_TYPES
    for kind in (MessageType.TYPING, MessageType.PAKE, MessageType.VERIFY, MessageType.MISMATCH):
        with pytest.raises(ValueError, match="not a sealed type"):
            Sealer(key, Seat.A, sealed=1).seal(kind, {})
        with pytest.raises(ValueError, match="not a sealed type"):
            Opener(key).open(Seat.A, kind, bytes(40))


def moves_log(key: RoomKey) -> list[tuple[Seat, MessageType, bytes]]:
    """The round of `sealed_log` with its moves sealed too: a nod, done, confirm and a leave."""
    a, b = Sealer(key, Seat.A), Sealer(key, Seat.B)
    return [
        (Seat.A, HELLO, a.seal(HELLO, {"name": "Ann"})),
        (Seat.B, HELLO, b.seal(HELLO, {"name": "Bo"})),
        (Seat.A, ASK, a.seal(ASK, {"text": "What was hard this week?"})),
        (Seat.B, SAY, b.seal(SAY, {"text": SECRET})),
        (Seat.A, NOD, a.seal(NOD, {"kind": "heart"})),
        (Seat.B, DONE, b.seal(DONE, {})),
        (Seat.A, REFLECT, a.seal(REFLECT, {"text": "You heard me."})),
        (Seat.B, CONFIRM, b.seal(CONFIRM, {})),
        (Seat.A, LEAVE, a.seal(LEAVE, {})),
    ]


def test_every_move_round_trips_in_the_same_count(key: RoomKey) -> None:
    """Moves open as `{}` (a nod as its kind), and count in their seat's one sequence of boxes."""
    log = moves_log(key)
    opener = Opener(key)
    opened = [opener.open(seat, kind, box) for seat, kind, box in log]
    assert opened[4:6] == [{"kind": "heart"}, {}]
    assert opened[7:] == [{}, {}]
    assert (opener.opened(Seat.A), opener.opened(Seat.B)) == (5, 4)
    for kind in MOVE_TYPES - {NOD}:
        box = Sealer(key, Seat.B, sealed=1).seal(kind, {})
        assert len(box) == NONCE_BYTES + 1 + TAG_BYTES
        assert opener_after(key, log[:2]).open(Seat.B, kind, box) == {}


def test_a_done_relabelled_as_confirm_is_tampering(key: RoomKey) -> None:
    """The speaker's `done` shown as a `confirm` does not open: the type is in the AD."""
    log = moves_log(key)
    opener = opener_after(key, log[:5])
    seat, _, done = log[5]
    with pytest.raises(Tampered, match="as confirm does not open"):
        opener.open(seat, CONFIRM, done)


def test_a_dropped_say_before_done_is_tampering(key: RoomKey) -> None:
    """The last say before `done` left out: the `done` comes with a count that skips."""
    log = moves_log(key)
    opener = opener_after(key, log[:3])
    seat, kind, done = log[5]
    with pytest.raises(Tampered, match="box 1 of seat b as done does not open"):
        opener.open(seat, kind, done)


@pytest.mark.parametrize("plaintext", [{"kind": "wave"}, {}, {"kind": "heart", "x": "y"}])
def test_a_nod_holds_one_of_the_three_kinds(key: RoomKey, plaintext: dict[str, str]) -> None:
    """A nod box holds exactly `kind`, one of heart, hear and time; anything else is Tampered."""
    box = raw_box(key, Seat.A, "nod", 2, msgpack.packb(plaintext))
    opener = opener_after(key, moves_log(key)[:4])
    with pytest.raises(Tampered, match="breaks the field rules"):
        opener.open(Seat.A, NOD, box)
    with pytest.raises(ValueError, match="nod"):
        Sealer(key, Seat.A, sealed=2).seal(NOD, plaintext)


@pytest.mark.parametrize("plaintext", [{"text": SECRET}, {"kind": "heart"}, {"": ""}])
def test_a_move_holds_an_empty_map(key: RoomKey, plaintext: dict[str, str]) -> None:
    """`{}` and nothing else: a `done` that carries words is Tampered, and never sealed."""
    box = raw_box(key, Seat.B, "done", 2, msgpack.packb(plaintext))
    opener = opener_after(key, moves_log(key)[:4])
    with pytest.raises(Tampered, match="done holds an empty map"):
        opener.open(Seat.B, DONE, box)
    with pytest.raises(ValueError, match="done holds an empty map"):
        Sealer(key, Seat.B, sealed=2).seal(DONE, plaintext)


def test_a_move_box_fits_the_wire_limit(key: RoomKey) -> None:
    """The largest move box, a `heart` nod, is well within the 256 bytes the server allows."""
    box = Sealer(key, Seat.A, sealed=1).seal(NOD, {"kind": "heart"})
    assert len(box) == NONCE_BYTES + len(msgpack.packb({"kind": "heart"})) + TAG_BYTES == 40
    assert len(box) <= MOVE_BOX_MAX


def test_tampering_never_carries_the_plaintext(key: RoomKey) -> None:
    """A Tampered box's message, repr and chained exceptions hold none of what it said."""
    cases = [
        raw_box(key, Seat.B, "say", 1, msgpack.packb({"text": SECRET * 200})),
        raw_box(key, Seat.B, "say", 1, msgpack.packb({"text": SECRET}) + SECRET.encode()),
        raw_box(key, Seat.B, "say", 1, msgpack.packb({SECRET: SECRET})),
        raw_box(key, Seat.B, "say", 1, msgpack.packb([SECRET])),
    ]
    for box in cases:
        opener = opener_after(key, sealed_log(key)[:2])
        with pytest.raises(Tampered) as tampered:
            opener.open(Seat.B, SAY, box)
        assert SECRET not in str(tampered.value)
        assert SECRET not in repr(tampered.value)
        assert tampered.value.__cause__ is None
        assert tampered.value.__context__ is None


def test_a_withheld_answer_opens_with_the_counter_taken_where_its_answer_was(
    key: RoomKey,
) -> None:
    """docs/protocol.md, Letters, Withheld until both are in: the answer's counter is taken at
    the `answer` event, so later boxes of the seat open first and the `reveal` opens after."""
    a = Sealer(key, Seat.A)
    hello = a.seal(HELLO, {"name": "Ana"})
    answer = a.seal(MessageType.ANSWER, {"text": "The sea at dawn."})
    after = a.seal(MessageType.REFLECT, {"text": "What I heard…"})
    opener = Opener(key)
    opener.open(Seat.A, HELLO, hello)
    opener.withhold(Seat.A)
    assert opener.open(Seat.A, REFLECT, after) == {"text": "What I heard…"}
    assert opener.release(Seat.A, answer) == {"text": "The sea at dawn."}


def test_a_reveal_the_server_swapped_or_made_up_does_not_open(key: RoomKey) -> None:
    """A `reveal` with another box of the seat, or with no `answer` withheld, is Tampered."""
    a = Sealer(key, Seat.A)
    hello = a.seal(HELLO, {"name": "Ana"})
    first = a.seal(MessageType.ANSWER, {"text": "first letter"})
    second = a.seal(MessageType.ANSWER, {"text": "second letter"})
    opener = Opener(key)
    opener.open(Seat.A, HELLO, hello)
    with pytest.raises(Tampered, match="no answer withheld"):
        Opener(key).release(Seat.A, first)
    opener.withhold(Seat.A)
    with pytest.raises(Tampered, match="does not open"):
        opener.release(Seat.A, second)
    with pytest.raises(Tampered, match="an earlier box"):
        opener.open(Seat.B, HELLO, hello)


def test_a_second_answer_before_the_first_is_revealed_is_a_forgery(key: RoomKey) -> None:
    """Each letter has one answer per seat: two withheld at once cannot come from a client."""
    opener = Opener(key)
    opener.withhold(Seat.B)
    with pytest.raises(Tampered, match="second answer"):
        opener.withhold(Seat.B)
