"""The worked example of letters in docs/protocol.md follows the rules in `shared/`."""

import json
from typing import Any

import msgpack
import pytest

from shared.crypto.boxes import NONCE_BYTES, TAG_BYTES
from shared.events import Event, EventKind, Joined, parse_reply
from shared.messages import Create
from shared.seats import Mode, Phase, Seat
from shared.session import Session
from tests.shared.rooms import PAIRING, hello, message
from tests.shared.test_protocol_doc import SEALED, client_message, example, example_text

TITLE = "A worked example of letters"
EXAMPLE = example(TITLE)


def sent(kind: str) -> list[dict[str, Any]]:
    return [raw for header, raw in EXAMPLE if not header.startswith("server") and raw["t"] == kind]


def events() -> list[Event]:
    """Every event the example shows, once each, in seq order."""
    shown: dict[int, Event] = {}
    for header, raw in EXAMPLE:
        if header.startswith("server"):
            reply = parse_reply(raw)
            for event in reply.events if isinstance(reply, Joined) else (reply,):
                if isinstance(event, Event):
                    assert shown.setdefault(event.seq, event) == event
    return [shown[seq] for seq in sorted(shown)]


@pytest.mark.parametrize(
    ("header", "raw"), EXAMPLE, ids=[f"{n}-{raw['t']}" for n, (_, raw) in enumerate(EXAMPLE)]
)
def test_every_message_of_the_letters_example_is_valid(header: str, raw: dict[str, Any]) -> None:
    """Each client message passes the field rules, and each server message parses as a reply."""
    if header.startswith("server"):
        assert parse_reply(raw).to_wire() == raw
    else:
        assert client_message(raw).to_wire() == raw


def test_the_letters_example_makes_a_letters_room_and_finishes_a_letter() -> None:
    """It starts with `create` for letters, and its last event opens letter 2 for proposing."""
    first = client_message(EXAMPLE[0][1])
    assert isinstance(first, Create)
    assert first.mode is Mode.LETTERS
    last = events()[-1]
    assert (last.kind, last.state.phase, last.state.round) == (
        EventKind.CONFIRM,
        Phase.PROPOSING,
        2,
    )


def test_every_box_of_the_letters_example_is_sealed_at_its_seats_next_counter() -> None:
    """Each box is its nonce, plaintext and tag; counters go on from each seat's `hello` (0)."""
    counters = {"a": 1, "b": 1}
    notes = SEALED.findall(example_text(TITLE))
    assert len(notes) == sum(1 for _, raw in EXAMPLE if "box" in raw and raw["t"] != "event")
    for kind, size, plaintext, seat, sealed_as, counter, _ in notes:
        assert kind == sealed_as
        assert int(counter) == counters[seat], (seat, kind, counter)
        packed = msgpack.packb(json.loads(plaintext))
        assert int(size) == NONCE_BYTES + len(packed) + TAG_BYTES, plaintext
        counters[seat] += 1
    assert counters == {"a": 7, "b": 5}


def test_the_letters_example_follows_the_rules_and_withholds_every_answer() -> None:
    """Replaying the example through `Session` gives each event's state, seq 9 on; each
    `answer` event has no box, and each `reveal` is the server's release of that answer."""
    session = Session(mode=Mode.LETTERS)
    session.seat_member(Seat.A)
    session.seat_member(Seat.B)
    for seat, kind in PAIRING:
        session.apply(seat, hello(seat) if kind == "hello" else message(kind))
    shown = events()
    session.names = dict(shown[0].state.names)
    assert [event.seq for event in shown] == list(range(9, 9 + len(shown)))
    answers = {Seat(raw_seat): raw for raw_seat, raw in zip("ab", sent("answer"), strict=True)}
    moves = {kind: iter(sent(kind)) for kind in ("propose", "reflect", "more", "say", "confirm")}
    for event in shown:
        if event.kind in (EventKind.AWAY, EventKind.BACK):
            session.presence(event.by, online=event.kind is EventKind.BACK)
        elif event.kind is EventKind.REVEAL:
            release = session.release()
            assert release is not None
            assert (release.by, release.box) == (event.by, answers[event.by]["box"])
        elif event.kind is EventKind.ANSWER:
            assert event.box is None
            session.apply(event.by, client_message(answers[event.by]))
        else:
            session.apply(event.by, client_message(next(moves[event.kind])))
        assert session.state == event.state, f"seq {event.seq}"
    assert session.release() is None


def test_the_peek_in_the_letters_example_records_nothing() -> None:
    """The `joined` answering `peek` shows Ana offline and the events after her `after`, and
    the next event is her `back` from `resume`, numbered right after them."""
    (peek,) = sent("peek")
    replies = [parse_reply(raw) for header, raw in EXAMPLE if header.startswith("server")]
    (answer,) = [reply for reply in replies if isinstance(reply, Joined)]
    assert answer.mode is Mode.LETTERS
    assert answer.state.online[Seat.A] is False
    assert [event.seq for event in answer.events] == list(range(peek["after"] + 1, 15))
    back = next(event for event in events() if event.kind is EventKind.BACK)
    assert back.seq == 15
