"""The worked example in docs/protocol.md follows the rules in `shared/`, message by message."""

import json
import re
from pathlib import Path
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.config import Limits, ServerConfig
from shared.crypto.boxes import NONCE_BYTES, TAG_BYTES, Sealer
from shared.crypto.pairing import RoomKey
from shared.events import Event, EventKind, Joined, parse_reply
from shared.messages import ClientMessage, MessageType, message_type, parse_fields
from shared.seats import Seat
from shared.session import Session
from shared.vocabulary import MOVE_TYPES
from shared.wire import CloseCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
HEADER = re.compile(r"^(a|b|server) → (.+?)(?:  \(.*\))?$")
BINARY = re.compile(r"<(?:box )?(\d+) bytes>")
"""How the example shows binary values: `<33 bytes>`, `<box 38 bytes>`."""
STAND_IN = "\x00binary of "
SEALED = re.compile(
    r'^\{"t": "(\w+)", "box": <box (\d+) bytes>.*\n'
    r"\(the box holds (\{.*\}), sealed by ([ab]) as (\w+) number (\d+)(; refused.*)?\)$",
    flags=re.MULTILINE,
)
"""A client message with a box, and the note under it that says what the box holds."""


def example_text(title: str = "A worked example") -> str:
    """The text of the worked example called `title`, up to the next `## ` heading."""
    return DOC.read_text(encoding="utf-8").split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def binary(value: Any) -> Any:
    """`value` with each stand-in for `<N bytes>` made N bytes, the same N bytes for each N."""
    if isinstance(value, str) and value.startswith(STAND_IN):
        return bytes(int(value.removeprefix(STAND_IN)))
    if isinstance(value, dict):
        return {key: binary(item) for key, item in value.items()}
    if isinstance(value, list):
        return [binary(item) for item in value]
    return value


def example(title: str = "A worked example") -> list[tuple[str, dict[str, Any]]]:
    """Each message of the worked example `title` as (who sent it to whom, the map)."""
    messages: list[tuple[str, dict[str, Any]]] = []
    decoder = json.JSONDecoder()
    for block in re.findall(r"```\n(.*?)```", example_text(title), flags=re.DOTALL):
        rest = BINARY.sub(lambda size: json.dumps(STAND_IN + size[1]), block)
        while rest.strip():
            line, _, rest = rest.lstrip().partition("\n")
            if not HEADER.match(line):
                continue  # a note in parentheses, such as a connection closing
            value, end = decoder.raw_decode(rest.lstrip())
            rest = rest.lstrip()[end:]
            messages.append((line, binary(value)))
    return messages


def client_message(raw: dict[str, Any]) -> ClientMessage:
    return parse_fields(message_type(raw), raw)


def test_the_example_is_there() -> None:
    """The worked example holds a complete session: at least 30 messages, from create to leave."""
    messages = EXAMPLE
    assert len(messages) >= 30
    assert messages[0][1]["t"] == "create"
    assert any(raw["t"] == "leave" for _, raw in messages)


EXAMPLE = example()


def test_the_example_pairs_before_round_one() -> None:
    """Each seat sends pake, verify and hello, in that order, before the first ask."""
    sent = [(header[0], raw["t"]) for header, raw in EXAMPLE if not header.startswith("server")]
    first_ask = sent.index(("a", "ask"))
    for seat in "ab":
        steps = [t for who, t in sent[:first_ask] if who == seat]
        assert [t for t in steps if t in ("pake", "verify", "hello")] == ["pake", "verify", "hello"]


def test_every_box_in_the_example_is_as_large_as_what_it_holds() -> None:
    """Each box is its nonce, MessagePack plaintext and tag, at its seat's next counter."""
    counters = {"a": 0, "b": 0}
    notes = SEALED.findall(example_text())
    assert len(notes) == sum(1 for _, raw in EXAMPLE if "box" in raw and raw["t"] != "event")
    for kind, size, plaintext, seat, sealed_as, counter, refused in notes:
        assert kind == sealed_as
        assert int(counter) == counters[seat], (seat, kind, counter)
        packed = msgpack.packb(json.loads(plaintext))
        assert int(size) == NONCE_BYTES + len(packed) + TAG_BYTES, plaintext
        if not refused:
            counters[seat] += 1
    assert counters == {"a": 5, "b": 9}


def test_every_move_in_the_example_carries_a_box() -> None:
    """After the pairing, every move a seat makes is sealed: docs/protocol.md, Sealing."""
    moves = {str(kind) for kind in MOVE_TYPES}
    sent = [raw for header, raw in EXAMPLE if not header.startswith("server")]
    assert {raw["t"] for raw in sent} >= moves - {"handover", "decline"}
    for raw in sent:
        if raw["t"] in moves:
            assert isinstance(raw.get("box"), bytes), raw
    for header, raw in EXAMPLE:
        if header.startswith("server") and raw["t"] == "event" and raw["kind"] in moves | {"left"}:
            assert isinstance(raw.get("box"), bytes), raw


@pytest.mark.parametrize(
    ("header", "raw"), EXAMPLE, ids=[f"{n}-{raw['t']}" for n, (_, raw) in enumerate(EXAMPLE)]
)
def test_every_message_in_the_example_is_valid(header: str, raw: dict[str, Any]) -> None:
    """Each client message passes the field rules, and each server message parses as a reply."""
    if header.startswith("server"):
        assert parse_reply(raw).to_wire() == raw
    else:
        assert client_message(raw).to_wire() == raw


def test_the_events_in_the_example_follow_the_rules() -> None:
    """Replaying the example's events through `Session` gives each event's `state`, seq 1 to N."""
    events: dict[int, Event] = {}
    for header, raw in EXAMPLE:
        if not header.startswith("server"):
            continue
        reply = parse_reply(raw)
        shown = reply.events if isinstance(reply, Joined) else (reply,)
        for event in shown:
            if isinstance(event, Event):
                assert events.setdefault(event.seq, event) == event
    assert sorted(events) == list(range(1, len(events) + 1))
    session = Session()
    for seq in sorted(events):
        event = events[seq]
        if event.kind is EventKind.JOINED:
            session.seat_member(event.by)
        elif event.kind in (EventKind.AWAY, EventKind.BACK):
            session.presence(event.by, online=event.kind is EventKind.BACK)
        else:
            wire: dict[str, Any] = {"t": "leave" if event.kind is EventKind.LEFT else event.kind}
            keys = (("msg", event.msg), ("mac", event.mac), ("box", event.box))
            wire |= {key: value for key, value in keys if value is not None}
            if event.nod is not None:
                wire["kind"] = str(event.nod)
            session.apply(event.by, client_message(wire))
        assert session.state == event.state, f"seq {seq}"


def section(title: str) -> str:
    """The text of the `## title` section, up to the next `## ` heading."""
    return DOC.read_text(encoding="utf-8").split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


AD_EXAMPLE = re.compile(r"^ *(\w+), seat ([ab]), counter (\d+):\n *([0-9a-f ]+)$", re.MULTILINE)
"""docs/protocol.md, Sealing, A box: the associated data of a box, in hex."""


def test_the_associated_data_in_hex_is_what_a_box_is_sealed_with() -> None:
    """A box sealed by `Sealer` opens with the bytes the page gives as its associated data."""
    examples = AD_EXAMPLE.findall(section("Sealing"))
    assert len(examples) == 2
    key = RoomKey("K7M2Q-X9P4R", bytes(range(32)))
    for kind, seat, counter, hex_bytes in examples:
        plaintext = {"name": "Ana"} if kind == "hello" else {"text": "Yes."}
        box = Sealer(key, Seat(seat), int(counter)).seal(MessageType(kind), plaintext)
        cipher = ChaCha20Poly1305(key.sealing_key(Seat(seat)))
        opened = cipher.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], bytes.fromhex(hex_bytes))
        assert msgpack.unpackb(opened) == plaintext


def hkdf(purpose: str) -> bytes:
    """docs/protocol.md, Keys: HKDF-SHA256 of the test vector's K, empty salt, 32 bytes."""
    derive = HKDF(hashes.SHA256(), length=32, salt=b"", info=f"fireside.2 {purpose}".encode())
    return derive.derive(bytes(range(32)))


def test_the_key_test_vectors_are_the_keys_derived() -> None:
    """docs/protocol.md, Sealing, Keys: the verifiers, the sealing keys and the phrase of the
    test vector's K are what `RoomKey` derives, the phrase bits read most significant first."""
    text = section("Sealing")
    vectors = dict(
        re.findall(r"^(verify a|verify b|seal a|seal b|phrase key) +(\w{64})$", text, re.M)
    )
    key = RoomKey("K7M2Q-X9P4R", bytes(range(32)))
    for seat in Seat:
        # `verify.mac` is the HKDF output itself, nothing computed over it.
        assert vectors[f"verify {seat}"] == hkdf(f"verify {seat}").hex()
        assert vectors[f"verify {seat}"] == key.verifier(seat).hex()
        assert vectors[f"seal {seat}"] == hkdf(f"seal {seat}").hex()
        assert vectors[f"seal {seat}"] == key.sealing_key(seat).hex()
    assert vectors["phrase key"] == hkdf("phrase").hex()
    bits = format(int(vectors["phrase key"][:12], 16), "048b")
    words = [bits[start : start + 11] for start in range(0, 44, 11)]
    assert f"first 44 bits  {' '.join(words)} (then {bits[44:]}, dropped)" in text
    assert f"indexes        {' '.join(str(int(word, 2)) for word in words)}\n" in text
    assert f"phrase         {key.phrase()}\n" in text


def test_the_server_numbers_on_the_page_are_the_servers_defaults() -> None:
    """The endpoint's port, the sweep of expired rooms, the keepalive and the burst of bad
    frames before a close are stated as `ServerConfig` and `Limits` have them."""
    config, limits = ServerConfig(), Limits()
    assert f"`ws://HOST:{config.port}/`" in section("Transport")
    expiry = section("Nameplates and tokens")
    assert f"no event for {config.room_ttl / 3600:g} hours, by default" in expiry
    assert f"every {config.sweep_interval:g} seconds, the first time" in expiry
    assert f"up\nto {config.sweep_interval:g} seconds" in expiry
    keepalive = section("Keepalive")
    assert f"ping every {config.ping_interval:g} seconds" in keepalive
    assert f"a ping within {config.ping_timeout:g} seconds" in keepalive
    bound = config.ping_interval + config.ping_timeout + config.close_timeout
    assert f"a drop within **{bound:g} seconds**" in keepalive
    burst = limits.rejection_burst
    assert (
        f"bad frames sent all at once get {burst} `bad_frame`\n    answers, then "
        f"{limits.strikes} `rate_limited`, and frame {burst + limits.strikes + 1} closes"
    ) in section("Rate limits")


def test_every_close_code_the_server_sends_is_in_the_table() -> None:
    """docs/protocol.md, Close codes: a row for each `CloseCode`, and a keepalive timeout is
    1001's, not 1011's."""
    rows = dict(re.findall(r"^\| (\d{4}) \| (.*?) \|", section("Close codes"), re.MULTILINE))
    assert set(rows) == {str(int(code)) for code in CloseCode}
    assert "keepalive ping unanswered" in rows[str(int(CloseCode.GOING_AWAY))]
    assert "never sent for a keepalive timeout" in rows[str(int(CloseCode.INTERNAL))]
