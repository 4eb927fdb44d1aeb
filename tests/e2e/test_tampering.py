"""A server that changes, replays, reorders, drops or relabels a box, or forges a move, is caught
by the receiver.

The relay stands in for that server. It keeps `seq` rising by one, as an
honest server would, so only the sealing can give it away.
"""

from collections.abc import Callable
from typing import Any

import pytest

from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import Seat
from tests.e2e.partner import partner
from tests.e2e.relay import Relay, Tamper

ANSWERS = ("First, the call.", "Second, the tent.", "Third, I miss her.")
Event = dict[str, Any]


def on_says(change: Callable[[int, Event, list[Event]], list[Event]]) -> Tamper:
    """A Tamper that passes every reply but `say` events to `change(n, event, earlier says)`.

    It renumbers what it sends so that `seq` rises by exactly one.
    """
    says: list[Event] = []
    shift = [0]

    def tamper(reply: Event) -> list[Event]:
        if reply.get("t") != "event":
            return [reply]
        if reply["kind"] == "say":
            out = change(len(says), reply, says)
            says.append(reply)
        else:
            out = [reply]
        first = reply["seq"] + shift[0]
        shift[0] += len(out) - 1
        return [event | {"seq": first + n} for n, event in enumerate(out)]

    return tamper


def flip_a_bit(n: int, event: Event, says: list[Event]) -> list[Event]:
    """One bit in the middle of the second say's box."""
    if n != 1:
        return [event]
    box = bytearray(event["box"])
    box[len(box) // 2] ^= 0x01
    return [event | {"box": bytes(box)}]


def replay(n: int, event: Event, says: list[Event]) -> list[Event]:
    """The first say's box again, in place of the second."""
    return [event | {"box": says[0]["box"]}] if n == 1 else [event]


def swap_boxes(n: int, event: Event, says: list[Event]) -> list[Event]:
    """The second and third says arrive with each other's box."""
    if n == 1:
        return []  # held back: it is says[1] when the third comes
    if n == 2:
        second = says[1]
        return [second | {"box": event["box"]}, event | {"box": second["box"]}]
    return [event]


def drop(n: int, event: Event, says: list[Event]) -> list[Event]:
    """The second say never arrives; the third takes its number."""
    return [] if n == 1 else [event]


def relabel(n: int, event: Event, says: list[Event]) -> list[Event]:
    """The second say arrives as a reflection."""
    return [event | {"kind": "reflect"}] if n == 1 else [event]


def other_seat(n: int, event: Event, says: list[Event]) -> list[Event]:
    """The second say arrives as if Ana had said it."""
    return [event | {"by": "a"}] if n == 1 else [event]


@pytest.mark.parametrize(
    "change",
    [flip_a_bit, replay, swap_boxes, drop, relabel, other_seat],
    ids=["bit flipped", "replayed", "reordered", "dropped", "relabelled", "other seat"],
)
async def test_the_listener_stops_at_the_tampered_box_and_shows_nothing_of_it(
    wire: Relay, change: Callable[[int, Event, list[Event]], list[Event]]
) -> None:
    """Ana opens Ben's first answer, stops at the tampered second, and opens nothing after it."""
    async with partner(wire.port, "Ana") as ana, partner(wire.port, "Ben") as ben:
        wire.tamper[0] = on_says(change)
        await ben.join(await ana.create())
        await ana.until(lambda: len(ana.names) == 2, "both names")
        await ana.act(MessageType.ASK, text="What made you smile this week?")
        for answer in ANSWERS:
            await ben.act(MessageType.SAY, text=answer)
        last = await ben.act(MessageType.DONE)
        await ana.until(lambda: ana.tampered is not None, "the tampered box")
        await ana.until(lambda: ana.events[-1].kind is EventKind.DONE, "the rest of the log")

    ben_said = [fields for _, _, kind, fields in ben.opened if kind is MessageType.SAY]
    assert ben_said == [{"text": a} for a in ANSWERS]
    assert ana.events[-1].seq in (last.seq, last.seq - 1)
    said = [fields["text"] for _, _, kind, fields in ana.opened if kind is MessageType.SAY]
    assert said == [ANSWERS[0]], ana.tampered


def forge_done(n: int, event: Event, says: list[Event]) -> list[Event]:
    """A `done` nobody sent right after the first say, with no box: the floor taken early."""
    if n != 0:
        return [event]
    forged = {key: value for key, value in event.items() if key != "box"}
    return [event, forged | {"kind": "done"}]


def forge_done_with_a_box(n: int, event: Event, says: list[Event]) -> list[Event]:
    """The same forged `done`, carrying the first say's box so that it has one."""
    return [event, event | {"kind": "done"}] if n == 0 else [event]


def drop_the_last_say(n: int, event: Event, says: list[Event]) -> list[Event]:
    """The last say before `done` never arrives: no later say would show the gap, `done` does."""
    return [] if n == len(ANSWERS) - 1 else [event]


@pytest.mark.parametrize(
    ("change", "heard"),
    [(forge_done, 1), (forge_done_with_a_box, 1), (drop_the_last_say, len(ANSWERS) - 1)],
    ids=["done forged without a box", "done forged with a say's box", "last say dropped"],
)
async def test_a_forged_move_or_the_last_box_dropped_before_it_stops_the_listener(
    wire: Relay, change: Callable[[int, Event, list[Event]], list[Event]], heard: int
) -> None:
    """Every move is sealed in its sender's count, so a `done` the server made up, or one after
    a dropped say, does not open: Ana stops there, having heard only the says before it."""
    async with partner(wire.port, "Ana") as ana, partner(wire.port, "Ben") as ben:
        wire.tamper[0] = on_says(change)
        await ben.join(await ana.create())
        await ana.until(lambda: len(ana.names) == 2, "both names")
        await ana.act(MessageType.ASK, text="What made you smile this week?")
        for answer in ANSWERS:
            await ben.act(MessageType.SAY, text=answer)
        last = await ben.act(MessageType.DONE)
        await ana.until(lambda: ana.tampered is not None, "the forged or uncounted move")
        await ana.until(
            lambda: any(e.by is Seat.B and e.kind is EventKind.DONE for e in ana.events),
            "a done",
        )

    assert ben.tampered is None
    assert last.box is not None
    said = [fields["text"] for _, _, kind, fields in ana.opened if kind is MessageType.SAY]
    assert said == list(ANSWERS[:heard]), ana.tampered
    assert "done" in (ana.tampered or ""), ana.tampered
    assert not any(kind is MessageType.DONE for _, _, kind, _ in ana.opened)
