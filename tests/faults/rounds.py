"""Scripted rounds played by two real `RoomLink`s, with each move confirmed from the room's log.

The script is a list of moves, checked against `Session` as it is written. A
move is sent, then confirmed when its event comes back. A connection that is
cut after the send leaves the client unable to know whether the server got
it, so the client waits to be seated again: the `joined` of that resume holds
the whole log up to then, and a move from the dead connection can no longer
be accepted after it (docs/protocol.md, Drops, resume and leave). Only a
move that log lacks is sent again. Every text is unique, so a double shows.
"""

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.message import Message

from client.connection import RoomLink
from client.messages import CouldNotEnter, LinkClosed, Refused, RoomEventArrived, Seated
from shared.events import Event, EventKind
from shared.messages import (
    Ask,
    ClientMessage,
    Confirm,
    Create,
    Decline,
    Done,
    Handover,
    Join,
    Leave,
    More,
    Nod,
    Reflect,
    Say,
)
from shared.seats import NodKind, Seat
from shared.session import Change, Session
from tests.timing import seconds

PRESENCE = frozenset({EventKind.JOINED, EventKind.AWAY, EventKind.BACK})
"""Events the connections cause rather than the script."""


@dataclass(frozen=True)
class Move:
    """One scripted message from one seat, and the change the rules say it makes."""

    seat: Seat
    message: ClientMessage
    change: Change


def matches(event: Event, change: Change) -> bool:
    """Whether `event` records `change`: kind, seat, text, card and nod alike."""
    return (event.kind, event.by, event.text, event.card, event.nod) == (
        change.kind,
        change.by,
        change.text,
        change.card,
        change.nod,
    )


class Script:
    """Writes full rounds for two seats, checking every move with the rules as it goes."""

    def __init__(self, rng: random.Random, label: str) -> None:
        self.rng = rng
        self.label = label
        self.session = Session()
        self.session.seat_member(Seat.A, "Ana")
        self.session.seat_member(Seat.B, "Ben")
        self.moves: list[Move] = []

    def _add(self, seat: Seat, message: ClientMessage) -> None:
        change = self.session.apply(seat, message)
        assert change is not None
        self.moves.append(Move(seat, message, change))

    def _text(self, what: str) -> str:
        """A text no other move in any room has: a double of it cannot hide."""
        return f"{self.label} {what} #{len(self.moves)}"

    def _maybe_nod(self) -> None:
        if self.rng.random() < 0.3:
            floor = self.session.floor
            assert floor is not None
            self._add(floor.partner, Nod(kind=self.rng.choice(list(NodKind))))

    def _share(self, speaker: Seat) -> None:
        for _ in range(self.rng.randint(1, 3)):
            self._add(speaker, Say(text=self._text("say")))
            self._maybe_nod()
        self._add(speaker, Done())

    def round(self) -> None:
        """One round: ask (after a handover or a decline, now and then), share, reflect, confirm."""
        rng = self.rng
        if rng.random() < 0.15:
            self._add(self.session.asker, Handover())
        asker = self.session.asker
        speaker = asker.partner
        card = f"card-{rng.randrange(100)}" if rng.random() < 0.5 else None
        self._add(asker, Ask(text=self._text("ask"), card=card))
        if rng.random() < 0.15:
            self._add(speaker, Decline())
            self._add(asker, Ask(text=self._text("ask again")))
        self._maybe_nod()
        self._share(speaker)
        self._add(asker, Reflect(text=self._text("reflect")))
        while rng.random() < 0.3:
            self._add(speaker, More())
            self._share(speaker)
            self._add(asker, Reflect(text=self._text("reflect again")))
        self._add(speaker, Confirm())

    def leave(self) -> Move:
        """Someone leaves: the move that ends the session."""
        self._add(self.rng.choice(list(Seat)), Leave())
        return self.moves[-1]


class Member:
    """One seat's real `RoomLink`, and everything it posted, in order."""

    def __init__(self, url: str, entry: Create | Join, delays: Sequence[float]) -> None:
        self.link = RoomLink(url, entry, self.post, delays=delays)
        self.events: list[Event] = []
        self.moves: list[Event] = []
        """The events the script caused, as this member has seen them."""
        self.seated = 0
        """How many times the link was given a seat: once, then once per resume."""
        self.refused: list[Refused] = []
        self.closed: str | None = None
        """Why the link stopped for good (`LinkClosed`, `CouldNotEnter`), if it did."""
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self.link.run())

    def post(self, message: Message) -> None:
        if isinstance(message, RoomEventArrived):
            self.events.append(message.event)
            if message.event.kind not in PRESENCE:
                self.moves.append(message.event)
        elif isinstance(message, Seated):
            self.seated += 1
        elif isinstance(message, Refused):
            self.refused.append(message)
        elif isinstance(message, LinkClosed | CouldNotEnter):
            self.closed = message.sentence
        self.changed.set()

    @property
    def stopped(self) -> str | None:
        """Why the link stopped for good, if it has."""
        if self.closed is not None:
            return self.closed
        return "its task ended" if self.task.done() else None

    async def until(self, condition: Callable[[], object], what: str, within: float) -> None:
        """Wait for `condition()`; fail after `within` (scaled) seconds or if the link stopped."""
        try:
            async with asyncio.timeout(seconds(within)):
                while not condition():
                    if self.stopped is not None:
                        raise AssertionError(f"{what}: the link stopped: {self.stopped}")
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"{what}: still waiting after {seconds(within):.1f}s") from None

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def play(member: Member, index: int, move: Move, within: float) -> int:
    """Send move `index` until the sender's log holds it; how many times it was sent.

    After a send, either its event comes back, or the link is seated again; the
    `joined` of that seat carries the log, so the move is sent again only when
    the log still lacks it.
    """
    sends = 0
    while len(member.moves) <= index:
        seated_before = member.seated
        if await member.link.send(move.message):
            sends += 1

        def settled(before: int = seated_before) -> bool:
            return len(member.moves) > index or member.seated > before

        await member.until(
            settled,
            f"move {index} ({move.message.TYPE} from {move.seat})",
            within,
        )
    event = member.moves[index]
    assert matches(event, move.change), f"move {index}: {move.change} became {event}"
    return sends


def replay(events: Sequence[Event]) -> None:
    """Every event's state is what the rules give after the events before it."""
    session = Session()
    for event in events:
        if event.kind is EventKind.JOINED:
            name = event.state.names[event.by]
            assert name is not None
            session.seat_member(event.by, name)
        elif event.kind in (EventKind.AWAY, EventKind.BACK):
            session.presence(event.by, online=event.kind is EventKind.BACK)
        else:
            session.apply(event.by, message_of(event))
        assert session.state == event.state, f"seq {event.seq}: {event.state} != {session.state}"


def message_of(event: Event) -> ClientMessage:
    """The message that made a scripted event."""
    kind = event.kind
    if kind is EventKind.ASK:
        assert event.text is not None
        return Ask(text=event.text, card=event.card)
    if kind in (EventKind.SAY, EventKind.REFLECT):
        assert event.text is not None
        return Say(text=event.text) if kind is EventKind.SAY else Reflect(text=event.text)
    if kind is EventKind.NOD:
        assert event.nod is not None
        return Nod(kind=event.nod)
    bare: dict[EventKind, Callable[[], ClientMessage]] = {
        EventKind.HANDOVER: Handover,
        EventKind.DONE: Done,
        EventKind.DECLINE: Decline,
        EventKind.CONFIRM: Confirm,
        EventKind.MORE: More,
        EventKind.LEFT: Leave,
    }
    return bare[kind]()
