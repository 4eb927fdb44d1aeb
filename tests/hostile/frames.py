"""Hostile frames: random bytes, random MessagePack, forged headers, and near-valid messages."""

from typing import Any

import msgpack
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from shared.messages import MessageType
from tests.shared.rooms import VALID
from tests.soak import SEED

TYPES = [str(kind) for kind in MessageType] + ["", "dance", "CREATE", "event", "joined", "error"]
KEYS = ["t", "id", "code", "token", "after", "msg", "mac", "box", "kind", "on", "re", "seq"]
"""fireside.2 keys, and `re` and `seq` a client has no business sending; `name`, `text` and
`card` of fireside.1 are now ignored keys (they travel sealed), and come in among random keys."""

NASTY_TEXT = [
    "\x1b[31mred",
    "\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\",
    "\x9b31m",
    "\u202egnp.exe",
    "\u2066x\u2069",
    "\x00",
    "\x7f",
    "a\rb",
    "[bold]x[/]",
    "[link=http://evil]x[/link]",
    "[/]",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "e\u0301\u0301\u0301",
    "x" * 4001,
    "\n" * 200,
    "\ud7ff\ue000\uffff\U0010ffff",
]
"""Strings a hostile partner would try: escapes, markup, bidi, and the edges of the length rules.
In fireside.2 they go where bytes belong (a fireside.1 client's `text` as a `box`), and sealed
(tests/hostile/test_sealed_text.py)."""

NASTY_BYTES = [
    b"",
    b"S",
    b"S" + bytes(32),
    b"S" + bytes(255),
    b"S" + bytes(256),
    bytes(31),
    bytes(33),
    bytes(28),
    bytes(256),
    bytes(257),
    bytes(4_400),
    bytes(4_401),
    bytes(8_401),
    bytes(16_400),
    bytes(16_401),
]
"""Bytes at the edges of docs/protocol.md's Field rules: `pake.msg` 1 to 256, `verify.mac` exactly
32, boxes up to 256 (`hello`), 4,400 (`ask`), 8,400 (`reflect`) and 16,400 (`say`)."""

FORGED = [
    b"\xdf\xff\xff\xff\xff",  # a map of 4 Gi entries
    b"\xdd\xff\xff\xff\xff",  # an array of 4 Gi entries
    b"\xdb\xff\xff\xff\xff",  # a string of 4 GiB
    b"\xc6\xff\xff\xff\xff",  # a bin of 4 GiB
    b"\xc9\xff\xff\xff\xff\x01",  # an ext of 4 GiB
    b"\xde\xff\xff",  # a map of 65,535 entries
    b"\x81\xa1t\xdb\xff\xff\xff\xff",  # {"t": <a string of 4 GiB>}
    b"\x82\xa1t\xa3say\xa3box\xc6\x7f\xff\xff\xff",  # a say whose box claims 2 GiB
    b"\x91" * 60_000 + b"\xc0",  # arrays nested 60,000 deep
    b"\x81\xa1t" * 20_000 + b"\xc0",  # maps nested 20,000 deep
    b"\x81\xa1t\xa3say\xc1",  # the one byte MessagePack never uses
    b"\x82\xa1t\xa3say\xa1t\xa3ask",  # a key given twice
    b"\x81\xa1t\xa3say\xc0",  # one message and a trailing byte
]
"""Hand-made headers that promise more than the frame holds, or nest deeper than any stack."""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(width=32),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(TYPES),
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_BYTES),
    st.builds(msgpack.ExtType, st.integers(min_value=0, max_value=127), st.binary(max_size=16)),
    st.builds(msgpack.Timestamp, st.integers(min_value=0, max_value=2**34 - 1)),
)
keys = st.one_of(
    st.sampled_from(KEYS),
    st.text(max_size=8),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.binary(max_size=4),
)
structures = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(keys, children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=24,
)
"""Any MessagePack value: nested maps and lists of ints, floats, strings, bins and exts."""


@st.composite
def near_valid(draw: st.DrawFn) -> dict[Any, Any]:
    """A valid message of any type with some of its fields, `id` or `t` swapped for anything."""
    kind = draw(st.sampled_from(list(MessageType)))
    message: dict[Any, Any] = dict(VALID[kind])
    # `t` rarely, or nearly every frame would stop at `bad_frame`.
    for key in [k for k in message if k != "t"] + ["id"] + ["t"] * draw(st.booleans()):
        if draw(st.booleans()):
            message[key] = draw(
                st.one_of(structures, st.sampled_from(NASTY_TEXT), st.sampled_from(NASTY_BYTES))
            )
    if draw(st.booleans()):
        message["id"] = draw(st.integers(min_value=-1, max_value=2**64 - 1))
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        message[draw(keys)] = draw(structures)
    return message


@st.composite
def packed(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> bytes:
    """A value as MessagePack; some as old-style raw, so `raw=False` meets undecodable bytes."""
    return msgpack.packb(draw(values), use_bin_type=draw(st.booleans()))


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A near-valid frame cut short, with bytes flipped, or with bytes spliced in."""
    frame = bytearray(draw(packed(near_valid())))
    cut = draw(st.integers(min_value=0, max_value=len(frame)))
    if draw(st.booleans()):
        del frame[cut:]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if frame:
            at = draw(st.integers(min_value=0, max_value=len(frame) - 1))
            frame[at] = draw(st.integers(min_value=0, max_value=255))
    insert_at = draw(st.integers(min_value=0, max_value=len(frame)))
    frame[insert_at:insert_at] = draw(st.sampled_from([b"", *FORGED[:8]]))
    return bytes(frame)


frames = st.one_of(
    st.binary(max_size=300),
    packed(structures),
    packed(near_valid()),
    packed(near_valid()),
    packed(near_valid()),
    mangled(),
    st.sampled_from(FORGED),
)
"""Every kind of hostile frame, as the bytes of one binary websocket message."""


def hostile_frames(count: int) -> list[bytes]:
    """`count` frames drawn by hypothesis from `frames`, from SEED.

    Hypothesis also draws on constants it finds in the loaded modules, so the
    frames can differ between a lone test and the whole suite.
    """
    drawn: list[bytes] = []

    @seed(SEED)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_given(frames)
    def collect(frame: bytes) -> None:
        drawn.append(frame)

    collect()
    return drawn
