"""Scripted rounds played by two real `RoomLink`s, with each move confirmed from the room's log.

fireside.2: each link pairs by itself (SPAKE2 `pake`, `verify`, then a sealed
`hello`) as soon as it is seated, and seals and opens every box itself: the
words, and every move after the pairing (docs/protocol.md, Sealing). The
script is a list of moves, checked against `Session` as it is written. A
move is sent, then confirmed when its event comes back, opened. A connection
that is cut after the send leaves the client unable to know whether the
server got it, so the client waits to be seated again: the `joined` of that
resume holds the whole log up to then, and a move from the dead connection
can no longer be accepted after it (docs/protocol.md, Drops, resume and
leave). Only a move that log lacks is sent again, sealed afresh. Every text
is unique, so a double shows in the opened plaintexts; every box the link
seals is noted, so a double, or a box it never sealed, shows in the boxes too.
"""

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from textual.message import Message

from client.connection import RoomLink
from client.messages import CouldNotEnter, LinkClosed, Refused, RoomEventsArrived, Seated
from client.seat.opened import Opened
from client.seat.sealed import SealedMove
from shared.crypto.invite import WORD_COUNT, WORDS
from shared.events import Event, EventKind
from shared.messages import (
    Ask,
    ClientMessage,
    Confirm,
    Create,
    Decline,
    Done,
    Handover,
    Hello,
    Join,
    Leave,
    MessageType,
    Mismatch,
    More,
    Nod,
    Pake,
    Reflect,
    Say,
    Verify,
)
from shared.seats import NodKind, Phase, Seat
from shared.session import Session
from tests.timing import seconds

PRESENCE = frozenset({EventKind.JOINED, EventKind.AWAY, EventKind.BACK})
"""Events the connections cause rather than the script."""
STEPS = (EventKind.PAKE, EventKind.VERIFY, EventKind.HELLO)
"""Each seat's pairing steps, in order: docs/protocol.md, Pairing, The steps."""
PAIRING = frozenset({*STEPS, EventKind.MISMATCH})
"""Events the links cause by themselves when seated: docs/protocol.md, Pairing."""
NAMES = {Seat.A: "Ana", Seat.B: "Ben"}

SEALED = {
    MessageType.HELLO: EventKind.HELLO,
    MessageType.ASK: EventKind.ASK,
    MessageType.SAY: EventKind.SAY,
    MessageType.REFLECT: EventKind.REFLECT,
}
_PLACEHOLDER = {
    MessageType.ASK: Ask,
    MessageType.SAY: Say,
    MessageType.REFLECT: Reflect,
}


@dataclass(frozen=True)
class Move:
    """One scripted message from one seat: a sealed one's words, or the bare message."""

    seat: Seat
    kind: EventKind
    words: Mapping[str, str] = field(default_factory=dict)
    """The plaintext of a sealed move (`text`, and `card` for some asks)."""
    message: ClientMessage | None = None
    """The message of a move that is not sealed; None for a sealed one (the link seals it)."""
    nod: NodKind | None = None

    @property
    def sealed(self) -> MessageType | None:
        for kind, event_kind in SEALED.items():
            if event_kind is self.kind:
                return kind
        return None


def matches(opened: Opened, move: Move) -> bool:
    """Whether `opened` records `move`: kind, seat, opened text and card, and nod alike."""
    return (opened.kind, opened.by, opened.text, opened.card, opened.event.nod) == (
        move.kind,
        move.seat,
        move.words.get("text"),
        move.words.get("card"),
        move.nod,
    )


def paired_session() -> Session:
    """A session both seats joined and paired, as the rules see it (they never read the bytes)."""
    session = Session()
    session.seat_member(Seat.A)
    session.seat_member(Seat.B)
    for seat in Seat:
        session.apply(seat, Pake(msg=b"S"))
    for seat in Seat:
        session.apply(seat, Verify(mac=bytes(32)))
    for seat in Seat:
        session.apply(seat, Hello(box=b"sealed"))
    assert session.phase is Phase.ASKING
    return session


class Script:
    """Writes full rounds for two seats, checking every move with the rules as it goes."""

    def __init__(self, rng: random.Random, label: str) -> None:
        self.rng = rng
        self.label = label
        self.session = paired_session()
        self.moves: list[Move] = []

    def _add(self, seat: Seat, message: ClientMessage, words: Mapping[str, str] = {}) -> None:
        change = self.session.apply(seat, message)
        assert change is not None
        sealed = message.TYPE in _PLACEHOLDER
        self.moves.append(
            Move(
                seat,
                change.kind,
                dict(words),
                None if sealed else message,
                change.nod,
            )
        )

    def _sealed(self, seat: Seat, kind: MessageType, words: Mapping[str, str]) -> None:
        # The rules never look inside a box: a placeholder stands in for the link's sealing.
        self._add(seat, _PLACEHOLDER[kind](box=b"sealed by the link"), words)

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
            self._sealed(speaker, MessageType.SAY, {"text": self._text("say")})
            self._maybe_nod()
        self._add(speaker, Done())

    def round(self) -> None:
        """One round: ask (after a handover or a decline, now and then), share, reflect, confirm."""
        rng = self.rng
        if rng.random() < 0.15:
            self._add(self.session.asker, Handover())
        asker = self.session.asker
        speaker = asker.partner
        words = {"text": self._text("ask")}
        if rng.random() < 0.5:
            words["card"] = f"card-{rng.randrange(100)}"
        self._sealed(asker, MessageType.ASK, words)
        if rng.random() < 0.15:
            self._add(speaker, Decline())
            self._sealed(asker, MessageType.ASK, {"text": self._text("ask again")})
        self._maybe_nod()
        self._share(speaker)
        self._sealed(asker, MessageType.REFLECT, {"text": self._text("reflect")})
        while rng.random() < 0.3:
            self._add(speaker, More())
            self._share(speaker)
            self._sealed(asker, MessageType.REFLECT, {"text": self._text("reflect again")})
        self._add(speaker, Confirm())

    def leave(self) -> Move:
        """Someone leaves: the move that ends the session."""
        self._add(self.rng.choice(list(Seat)), Leave())
        return self.moves[-1]


def words_for(rng: random.Random) -> tuple[str, ...]:
    """Three invite words drawn from `rng`: a seed replays the same pairing password."""
    return tuple(rng.choice(WORDS) for _ in range(WORD_COUNT))


class Member:
    """One seat's real `RoomLink`, pairing with `words`, and everything it posted, in order."""

    def __init__(
        self,
        url: str,
        entry: Create | Join,
        delays: Sequence[float],
        *,
        name: str,
        words: Sequence[str],
        on_seated: Callable[["Member"], object] | None = None,
    ) -> None:
        self.sealed: list[bytes] = []
        """Every box the link sealed, `hello` and each move's, in order; only these may be
        in the log as this seat's."""
        self.link = RoomLink(url, entry, self.post, name=name, words=words, delays=delays)
        self.events: list[Opened] = []
        self.moves: list[Opened] = []
        """The events the script caused, as this member has opened them."""
        self.pairing: list[Opened] = []
        """The pairing events, as this member has seen them."""
        self.seated = 0
        """How many times the link was given a seat: once, then once per resume."""
        self.refused: list[Refused] = []
        self.closed: str | None = None
        """Why the link stopped for good (`LinkClosed`, `CouldNotEnter`), if it did."""
        self.changed = asyncio.Event()
        self._on_seated = on_seated
        self.task = asyncio.create_task(self.link.run())

    def post(self, message: Message) -> None:
        if isinstance(message, RoomEventsArrived):
            for opened in message.opened:
                self.events.append(opened)
                if opened.kind in PAIRING:
                    self.pairing.append(opened)
                elif opened.kind not in PRESENCE:
                    self.moves.append(opened)
        elif isinstance(message, Seated):
            self.seated += 1
            self._note_sealing()
            if self._on_seated is not None:
                # Called before the link sends its pairing steps: a test can arm faults for them.
                self._on_seated(self)
        elif isinstance(message, Refused):
            self.refused.append(message)
        elif isinstance(message, LinkClosed | CouldNotEnter):
            self.closed = message.sentence
        self.changed.set()

    def _note_sealing(self) -> None:
        """Wrap the link's sealing (made with its first seat) so every box it seals is noted."""
        secrets = self.link.secrets
        if secrets is None or self.seated > 1:
            return
        seal, seal_move = secrets.seal, secrets.seal_move

        def noted_seal(kind: MessageType, fields: Mapping[str, str]) -> ClientMessage:
            message = seal(kind, fields)
            self.sealed.append(getattr(message, "box"))  # noqa: B009
            return message

        def noted_move(move: SealedMove) -> SealedMove:
            sealed = seal_move(move)
            if sealed.box is not None:
                self.sealed.append(sealed.box)
            return sealed

        secrets.seal = noted_seal  # type: ignore[method-assign]
        secrets.seal_move = noted_move  # type: ignore[method-assign]

    @property
    def paired(self) -> bool:
        """Both hellos are in the log: round 1 has begun."""
        return bool(self.events) and self.events[-1].state.phase is not Phase.WAITING

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
    the log still lacks it. A sealed move is sealed again for each send, with
    the counter after the boxes the log holds.
    """
    sends = 0
    while len(member.moves) <= index:
        seated_before = member.seated
        sealed = move.sealed
        if sealed is not None:
            went = await member.link.send_sealed(sealed, move.words)
        else:
            assert move.message is not None
            went = await member.link.send(move.message)
        if went:
            sends += 1

        def settled(before: int = seated_before) -> bool:
            return len(member.moves) > index or member.seated > before

        await member.until(settled, f"move {index} ({move.kind} from {move.seat})", within)
    opened = member.moves[index]
    assert matches(opened, move), f"move {index}: {move} became {opened}"
    return sends


def check_pairing(member: Member) -> None:
    """Each seat's `pake`, `verify` and `hello` is in the member's log exactly once; the
    `verify` macs are the ones the room key gives, and both hellos opened to the names."""
    counts = Counter((opened.kind, opened.by) for opened in member.pairing)
    assert counts == {(kind, seat): 1 for kind in STEPS for seat in Seat}, counts
    key = member.link.key
    assert key is not None, "paired without a key"
    for opened in member.pairing:
        if opened.kind is EventKind.VERIFY:
            assert key.verifies(opened.by, opened.event.mac or b""), opened.by
    assert member.events[-1].names == NAMES


def check_boxes(events: Sequence[Event], members: Mapping[Seat, Member]) -> None:
    """Every move after the pairing carries a box; every box in the log is one its seat's link
    sealed, and none is there twice."""
    paired = max(event.seq for event in events if event.kind is EventKind.HELLO)
    for event in events:
        if event.seq > paired and event.kind not in PRESENCE:
            assert event.box is not None, f"seq {event.seq}: a {event.kind} without a box"
    logged = [event for event in events if event.box is not None]
    assert len({event.box for event in logged}) == len(logged), "a box is in the log twice"
    for event in logged:
        assert event.box in members[event.by].sealed, f"seq {event.seq}: a box never sealed"


def replay(events: Sequence[Event]) -> None:
    """Every event's state is what the rules give after the events before it."""
    session = Session()
    for event in events:
        if event.kind is EventKind.JOINED:
            session.seat_member(event.by)
        elif event.kind in (EventKind.AWAY, EventKind.BACK):
            session.presence(event.by, online=event.kind is EventKind.BACK)
        else:
            session.apply(event.by, message_of(event))
        assert session.state == event.state, f"seq {event.seq}: {event.state} != {session.state}"


def message_of(event: Event) -> ClientMessage:
    """The message that made an event of the pairing or of the script, its box included."""
    kind = event.kind
    if kind is EventKind.PAKE:
        assert event.msg is not None
        return Pake(msg=event.msg)
    if kind is EventKind.VERIFY:
        assert event.mac is not None
        return Verify(mac=event.mac)
    if kind is EventKind.MISMATCH:
        return Mismatch()
    if kind is EventKind.NOD:
        assert event.nod is not None
        return Nod(kind=event.nod, box=event.box)
    worded: dict[EventKind, type[Hello] | type[Ask] | type[Say] | type[Reflect]] = {
        EventKind.HELLO: Hello,
        EventKind.ASK: Ask,
        EventKind.SAY: Say,
        EventKind.REFLECT: Reflect,
    }
    if kind in worded:
        assert event.box is not None
        return worded[kind](box=event.box)
    moves: dict[
        EventKind,
        type[Handover] | type[Done] | type[Decline] | type[Confirm] | type[More] | type[Leave],
    ] = {
        EventKind.HANDOVER: Handover,
        EventKind.DONE: Done,
        EventKind.DECLINE: Decline,
        EventKind.CONFIRM: Confirm,
        EventKind.MORE: More,
        EventKind.LEFT: Leave,
    }
    return moves[kind](box=event.box)
