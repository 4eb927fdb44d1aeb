"""One generated room: two links, the pairing, and full rounds played step by step.

A round is what two people do (docs/protocol.md, Transitions): the asker
asks, the speaker says three things while the asker nods once, the speaker
is done, the asker reflects, the speaker confirms, and the roles swap. A
step may go out once its seat has received every earlier step of the
partner's, as a person answers only what they have seen; a seat may have
`window` steps of its own on their way. Latency is a step's send to the
partner's receipt of it, on this process's monotonic clock.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack

from bench.wire import Link
from shared.codec import encode
from shared.crypto.boxes import Sealer
from shared.crypto.invite import draw_words
from shared.crypto.pairing import Pairing, RoomKey
from shared.messages import (
    Ask,
    ClientMessage,
    Confirm,
    Create,
    Done,
    Hello,
    Join,
    MessageType,
    Nod,
    Pake,
    Reflect,
    Say,
    Verify,
)
from shared.seats import NodKind, Seat

ASK = "What is a small thing from your week that you would like me to know about?"
SAY = (
    "On Tuesday I walked home the long way, past the bakery that opens at six, and the "
    "smell of bread reminded me of the mornings we used to have. I stood there longer "
    "than I meant to. It was a good kind of missing you, if that makes any sense at all."
)
REFLECT = (
    "What I heard is that a walk past the bakery brought back our mornings, and that "
    "missing me felt warm rather than heavy. Did I get that right?"
)
STEP_KINDS = (
    MessageType.ASK,
    MessageType.SAY,
    MessageType.SAY,
    MessageType.NOD,
    MessageType.SAY,
    MessageType.DONE,
    MessageType.REFLECT,
    MessageType.CONFIRM,
)
"""One round; the asker sends ask, nod and reflect, the speaker the rest."""
_ASKER_STEPS = frozenset({0, 3, 6})
_EVENT_KINDS = frozenset(str(kind) for kind in STEP_KINDS)


class SetupFailed(Exception):
    """A room could not be created, joined or paired."""


@dataclass
class Tally:
    """What the rooms of one process saw while measuring."""

    latencies_us: array[int] = field(default_factory=lambda: array("q"))
    sent: int = 0
    delivered: int = 0
    errors: int = 0
    measuring_from: int = 0
    measuring_until: int = 0

    def counts(self, sent_at: int) -> bool:
        return self.measuring_from <= sent_at < self.measuring_until


class Room:
    """Two links speaking either to a Fireside server or to the bare relay."""

    def __init__(self, a: Link, b: Link, key: RoomKey, sealed: int, relay: bool) -> None:
        self.links = {Seat.A: a, Seat.B: b}
        self._sealers = {seat: Sealer(key, seat, sealed=sealed) for seat in Seat}
        self._relay = relay
        self._step = 0
        self._ids = {Seat.A: 10, Seat.B: 10}
        self._inflight: dict[Seat, deque[int]] = {Seat.A: deque(), Seat.B: deque()}
        """Send times of each seat's steps that its partner has not received yet."""
        self.tally = Tally()
        self.window = 1
        self.due = False
        """A timed step came due while it had to wait for the partner: send it on receipt."""
        self.on_progress: Callable[[Room], None] = _nothing
        for seat, link in self.links.items():
            link.on_frame = self._receiver(seat)

    @property
    def next_seat(self) -> Seat:
        round_, index = divmod(self._step, len(STEP_KINDS))
        asker = Seat.A if round_ % 2 == 0 else Seat.B
        return asker if index in _ASKER_STEPS else asker.partner

    def ready(self) -> bool:
        """The next step's seat has all of the partner's steps and room in its window."""
        seat = self.next_seat
        return not self._inflight[seat.partner] and len(self._inflight[seat]) < self.window

    def send_next(self) -> None:
        seat = self.next_seat
        kind = STEP_KINDS[self._step % len(STEP_KINDS)]
        self._step += 1
        frame = encode(self._message(seat, kind).to_wire())
        now = time.monotonic_ns()
        self._inflight[seat].append(now)
        self.links[seat].send(frame)
        if self.tally.counts(now):
            self.tally.sent += 1

    def _message(self, seat: Seat, kind: MessageType) -> ClientMessage:
        self._ids[seat] += 1
        number = self._ids[seat]
        sealer = self._sealers[seat]
        if kind is MessageType.ASK:
            return Ask(box=sealer.seal(kind, {"text": ASK, "card": "warm-week"}), id=number)
        if kind is MessageType.SAY:
            return Say(box=sealer.seal(kind, {"text": SAY}), id=number)
        if kind is MessageType.NOD:
            box = sealer.seal(kind, {"kind": "heart"})
            return Nod(kind=NodKind.HEART, box=box, id=number)
        if kind is MessageType.DONE:
            return Done(box=sealer.seal(kind, {}), id=number)
        if kind is MessageType.REFLECT:
            return Reflect(box=sealer.seal(kind, {"text": REFLECT}), id=number)
        return Confirm(box=sealer.seal(kind, {}), id=number)

    def _receiver(self, seat: Seat) -> Callable[[bytes], None]:
        partner = seat.partner
        inflight = self._inflight[partner]

        def received(frame: bytes) -> None:
            tally = self.tally
            if not self._relay:
                reply = msgpack.unpackb(frame)
                if reply.get("t") != "event":
                    tally.errors += reply.get("t") == "error"
                    return
                if reply.get("by") != partner.value or reply.get("kind") not in _EVENT_KINDS:
                    return
            if not inflight:
                tally.errors += 1
                return
            sent_at = inflight.popleft()
            if tally.counts(sent_at):
                tally.delivered += 1
                tally.latencies_us.append((time.monotonic_ns() - sent_at) // 1000)
            self.on_progress(self)

        return received

    def close(self) -> None:
        for link in self.links.values():
            link.close()


def _nothing(room: Room) -> None:
    """No one is driving the room yet."""


class Inbox:
    """Frames of one link in order, for the setup's request and answer."""

    def __init__(self, link: Link) -> None:
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        link.on_frame = lambda frame: self.frames.put_nowait(msgpack.unpackb(frame))

    async def expect(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while True:
            reply = await self.frames.get()
            if reply.get("t") == "error":
                raise SetupFailed(f"{reply.get('code')}: {reply.get('message')}")
            if wanted(reply):
                return reply


def _partner_event(seat: Seat, kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda reply: reply.get("kind") == kind and reply.get("by") == seat.partner.value


def _asking(reply: dict[str, Any]) -> bool:
    return bool(reply.get("state", {}).get("phase") == "asking")


async def fireside_room(connect_a: Callable[[str], Any], connect_b: Callable[[str], Any]) -> Room:
    """Create, join and pair a room as two clients do, then ready for rounds; each seat
    connects with its own `connect`, so the two may reach two servers on one database."""
    a: Link = await connect_a("/")
    inbox_a = Inbox(a)
    a.send(encode(Create(id=1).to_wire()))
    joined = await inbox_a.expect(lambda reply: reply.get("t") == "joined")
    nameplate = joined["code"]
    b: Link = await connect_b("/")
    inbox_b = Inbox(b)
    b.send(encode(Join(code=nameplate, id=1).to_wire()))
    await inbox_b.expect(lambda reply: reply.get("t") == "joined")
    words = draw_words()
    links = {Seat.A: (a, inbox_a), Seat.B: (b, inbox_b)}
    pairings = {seat: Pairing(nameplate, words) for seat in Seat}
    for seat, (link, _) in links.items():
        link.send(encode(Pake(msg=pairings[seat].message, id=2).to_wire()))
    keys: dict[Seat, RoomKey] = {}
    for seat, (link, inbox) in links.items():
        pake = await inbox.expect(_partner_event(seat, "pake"))
        keys[seat] = pairings[seat].finish(pake["msg"])
        link.send(encode(Verify(mac=keys[seat].verifier(seat), id=3).to_wire()))
    for seat, (link, inbox) in links.items():
        verify = await inbox.expect(_partner_event(seat, "verify"))
        if not keys[seat].verifies(seat.partner, verify["mac"]):
            raise SetupFailed("the pairing did not match")
        box = Sealer(keys[seat], seat).seal(MessageType.HELLO, {"name": f"Seat {seat.value}"})
        link.send(encode(Hello(box=box, id=4).to_wire()))
    for _, inbox in links.values():
        await inbox.expect(_asking)
    return Room(a, b, keys[Seat.A], sealed=1, relay=False)


async def relay_room(connect: Callable[[str], Any], number: int) -> Room:
    """Two links to the same path of the bare relay: a pair, with a key of their own."""
    path = f"/pair/{number}"
    a: Link = await connect(path)
    b: Link = await connect(path)
    key = RoomKey(nameplate="00000-00000", secret=secrets.token_bytes(32))
    return Room(a, b, key, sealed=1, relay=True)
