"""The worked example in docs/protocol.md follows the rules in `shared/`, message by message."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared.events import Event, EventKind, Joined, parse_reply
from shared.messages import ClientMessage, message_type, parse_fields
from shared.session import Session

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
HEADER = re.compile(r"^(a|b|server) → (.+?)(?:  \(.*\))?$")


def example() -> list[tuple[str, dict[str, Any]]]:
    """Each message of the worked example as (who sent it to whom, the map)."""
    text = DOC.read_text(encoding="utf-8").split("## A worked example", 1)[1]
    messages: list[tuple[str, dict[str, Any]]] = []
    decoder = json.JSONDecoder()
    for block in re.findall(r"```\n(.*?)```", text, flags=re.DOTALL):
        rest = block
        while rest.strip():
            line, _, rest = rest.lstrip().partition("\n")
            if not HEADER.match(line):
                continue  # a note in parentheses, such as a connection closing
            value, end = decoder.raw_decode(rest.lstrip())
            rest = rest.lstrip()[end:]
            messages.append((line, value))
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

if not any(raw.get("t") == "pake" for _, raw in EXAMPLE):
    # docs/protocol.md still tells fireside.1; its rewrite for fireside.2 is on its way, and
    # until then its example cannot follow the fireside.2 rules (docs/e2e-design.md).
    pytest.skip("docs/protocol.md's worked example is still fireside.1", allow_module_level=True)


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
