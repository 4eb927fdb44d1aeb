"""A letter written across a server restart: real `fireside-server` processes on one SQLite
file, the second with its clock 5 hours ahead (libfaketime), and two real clients on
127.0.0.1 that pair, seal and open with `shared.crypto` (docs/protocol.md, Letters)."""

import asyncio
import contextlib
import glob
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from shared.codec import MAX_REPLY, decode_reply, encode
from shared.crypto.boxes import Opener, Sealer
from shared.crypto.invite import draw_words, invite_code, parse_invite
from shared.crypto.pairing import Pairing, RoomKey
from shared.events import ErrorReply, Event, EventKind, Joined, parse_reply
from shared.messages import MessageType
from shared.seats import Mode, Phase, Seat
from shared.session import Session
from shared.vocabulary import SEALED_AS, event_kind
from tests.db.debian import install_if_missing
from tests.server_process import server_process
from tests.timing import seconds

HOURS_LATER = 5
HOUR_MS = 60 * 60 * 1000
QUESTION = "What are you looking forward to this winter?"
ANA_ANSWERS = "The first snow, and you visiting."
BEN_ANSWERS = "Finishing the boat, finally."


def libfaketime() -> str | None:
    """Where Debian's libfaketime is, if it is installed."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def five_hours_later() -> dict[str, str]:
    """The environment that sets a process's clock 5 hours ahead, monotonic time left alone
    (asyncio's timers run on it): libfaketime, installed from Debian when missing."""
    install_if_missing("faketime", lambda: libfaketime() is not None)
    library = libfaketime()
    if library is None:
        pytest.skip("libfaketime is not installed and cannot be (not root, or no apt-get)")
    return {
        "LD_PRELOAD": library,
        "FAKETIME": f"+{HOURS_LATER}h",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


class Writer:
    """One person's letters client: pairs with the invite's words, seals each move with the
    next counter the log gives it, opens every box (withholding an `answer`'s counter until
    its `reveal`), and follows the room with `Session.observe`. It keeps its seat and its key
    across connections, as a client keeps them on disk."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.room = Session()
        self.events: list[Event] = []
        self.opened: dict[int, dict[str, str]] = {}
        """Each opened box's fields by the seq of the event that brought it."""
        self.errors: list[ErrorReply] = []
        self.joined: list[Joined] = []
        self.seat: Seat | None = None
        self.code = ""
        self.token = ""
        self._pairing: Pairing | None = None
        self._key: RoomKey | None = None
        self._opener: Opener | None = None
        self._sent: set[MessageType] = set()
        self._connection: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    async def create(self, port: int) -> str:
        """Make a letters room and start pairing; the invite to pass on."""
        await self._connect(port)
        await self._send({"t": "create", "mode": "letters"})
        await self.until(lambda: self.seat is not None, "the reply to create")
        words = draw_words()
        self._pairing = Pairing(self.code, words)
        await self._pair()
        return invite_code(self.code, words)

    async def join(self, port: int, invite: str) -> None:
        parsed = parse_invite(invite)
        self._pairing = Pairing(parsed.nameplate, parsed.words)
        await self._connect(port)
        await self._send({"t": "join", "code": parsed.nameplate})

    async def resume(self, port: int) -> Joined:
        """Take the seat back on a new connection, from the last seq seen."""
        await self._connect(port)
        before = len(self.joined)
        await self._send(
            {"t": "resume", "code": self.code, "token": self.token, "after": self.last_seq}
        )
        await self.until(lambda: len(self.joined) > before, "the reply to resume")
        return self.joined[-1]

    async def leave_for_now(self) -> None:
        """Close the connection, as closing the laptop does; the seat stays."""
        assert self._connection is not None
        await self._connection.close()
        await self.gone()

    async def gone(self) -> None:
        """Until the connection has closed, however it closed."""
        if self._reader is not None:
            await asyncio.wait_for(self._reader, seconds(10))

    async def write(self, kind: MessageType, /, **fields: str) -> Event:
        """Seal `fields` as `kind` with the next counter, send it, and wait for its event."""
        assert self.seat is not None
        assert self.room.may(self.seat, kind), f"{self.name} may not {kind} now"
        box = self._seal(kind, fields)
        after = self.last_seq
        await self._send({"t": str(kind), "box": box})
        expected = event_kind(kind)

        def mine() -> Event | None:
            return next(
                (
                    e
                    for e in self.events
                    if e.seq > after and e.kind is expected and e.by is self.seat
                ),
                None,
            )

        await self.until(lambda: mine() is not None or self.errors, f"the event of {kind}")
        assert not self.errors, f"{kind} was refused: {self.errors}"
        event = mine()
        assert event is not None
        return event

    def proposing(self) -> bool:
        """Paired, and no question open: the room's first phase once both hellos are in."""
        return self.room.phase is Phase.PROPOSING

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    def text_of(self, kind: EventKind, by: Seat) -> list[str]:
        """The text of each box of `kind` by `by` that opened, in the log's order."""
        return [
            self.opened[e.seq]["text"]
            for e in self.events
            if e.kind is kind and e.by is by and e.seq in self.opened
        ]

    async def until(self, condition: Callable[[], object], what: str) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), seconds(10))
            except TimeoutError:
                raise AssertionError(f"{self.name} still waits for {what}") from None

    async def _connect(self, port: int) -> None:
        self._connection = await connect(
            f"ws://127.0.0.1:{port}/",
            subprotocols=[Subprotocol("fireside.2")],
            max_size=MAX_REPLY,
            open_timeout=seconds(5),
            proxy=None,
        )
        self._sent.clear()
        self._reader = asyncio.create_task(self._read(self._connection))

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._connection is not None
        await self._connection.send(encode(message))

    async def _read(self, connection: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in connection:
                assert isinstance(frame, bytes)
                reply = parse_reply(decode_reply(frame))
                if isinstance(reply, Joined):
                    self.seat, self.code, self.token = reply.seat, reply.code, reply.token
                    self.room.mode = reply.mode
                    self.joined.append(reply)
                    for event in reply.events:
                        self._take(event)
                elif isinstance(reply, Event):
                    self._take(reply)
                elif isinstance(reply, ErrorReply):
                    self.errors.append(reply)
                await self._pair()
                async with self._changed:
                    self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    def _take(self, event: Event) -> None:
        """The next event of the log, opened; one seen already is skipped, a gap fails."""
        if event.seq <= self.last_seq:
            return
        assert event.seq == self.last_seq + 1, f"{self.name}'s log skips to {event.seq}"
        self.events.append(event)
        self.room.observe(event)
        if event.kind is EventKind.PAKE and event.by is not self.seat:
            assert self._pairing is not None
            assert event.msg is not None
            self._key = self._pairing.finish(event.msg)
            self._opener = Opener(self._key)
        elif event.kind is EventKind.VERIFY and event.by is not self.seat:
            assert self._key is not None
            assert event.mac is not None
            assert self._key.verifies(event.by, event.mac), "the pairing did not match"
        elif event.kind is EventKind.ANSWER:
            assert event.box is None, "the server sent an answer's box before both were in"
            assert self._opener is not None
            self._opener.withhold(event.by)
        elif event.kind is EventKind.REVEAL:
            assert self._opener is not None
            assert event.box is not None
            self.opened[event.seq] = self._opener.release(event.by, event.box)
        elif event.kind in SEALED_AS and event.box is not None:
            assert self._opener is not None
            self.opened[event.seq] = self._opener.open(event.by, SEALED_AS[event.kind], event.box)

    async def _pair(self) -> None:
        """docs/protocol.md, Pairing: each step once it is due, as the log says."""
        me = self.seat
        if me is None or self.room.phase is not Phase.WAITING:
            return
        for kind in (MessageType.PAKE, MessageType.VERIFY, MessageType.HELLO):
            if kind in self._sent or not self.room.may(me, kind):
                continue
            if kind is MessageType.PAKE and self._pairing is not None:
                self._sent.add(kind)
                await self._send({"t": "pake", "msg": self._pairing.message})
            elif kind is MessageType.VERIFY and self._key is not None:
                self._sent.add(kind)
                await self._send({"t": "verify", "mac": self._key.verifier(me)})
            elif kind is MessageType.HELLO:
                # `may` says both verifies are in and this seat's hello is not.
                self._sent.add(kind)
                hello = self._seal(MessageType.HELLO, {"name": self.name})
                await self._send({"t": "hello", "box": hello})

    def _seal(self, kind: MessageType, fields: dict[str, str]) -> bytes:
        assert self._key is not None
        assert self._opener is not None
        assert self.seat is not None
        counter = self._opener.opened(self.seat)
        return Sealer(self._key, self.seat, sealed=counter).seal(kind, fields)


async def test_a_letter_answered_across_a_restart_hours_apart_is_released_and_heard(
    tmp_path: Path, five_hours_later: dict[str, str]
) -> None:
    """Ana proposes and answers, and goes; the server stops (SIGTERM) and starts again on its
    file 5 hours later by its clock; Ben comes back and answers. Both then open both answers,
    the reveal stamped ≥ 5 h after Ana's answer; they reflect, Ana adds more, both feel
    heard, and the next letter is proposing, round 2. Both logs are the same, with no gap."""
    data = str(tmp_path / "data")
    ana, ben = Writer("Ana"), Writer("Ben")
    async with server_process("--data", data) as first:
        invite = await ana.create(first.port)
        await ben.join(first.port, invite)
        for writer in (ana, ben):
            await writer.until(writer.proposing, "the pairing")
        assert ana.joined[0].mode is ben.joined[0].mode is Mode.LETTERS
        await ana.write(MessageType.PROPOSE, text=QUESTION)
        answered = await ana.write(MessageType.ANSWER, text=ANA_ANSWERS)
        await ben.until(lambda: ben.last_seq >= answered.seq, "Ana's answer")
        await ana.leave_for_now()
        await ben.until(lambda: ben.room.online[Seat.A] is False, "Ana away")
        first.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.process.wait(), seconds(10)) == 0
        await ben.gone()
    assert ben.room.phase is Phase.ANSWERING
    assert ben.text_of(EventKind.PROPOSE, Seat.A) == [QUESTION]

    async with server_process("--data", data, env=five_hours_later) as later:
        back = await ben.resume(later.port)
        assert (back.mode, back.resync) == (Mode.LETTERS, False)
        await ben.write(MessageType.ANSWER, text=BEN_ANSWERS)
        await ben.until(
            lambda: [e.kind for e in ben.events[-2:]] == [EventKind.REVEAL] * 2, "the reveals"
        )
        await ana.resume(later.port)
        for writer in (ana, ben):
            assert writer.room.phase is Phase.REVEALED
            assert writer.text_of(EventKind.REVEAL, Seat.A) == [ANA_ANSWERS]
            assert writer.text_of(EventKind.REVEAL, Seat.B) == [BEN_ANSWERS]
        reveal = next(e for e in ana.events if e.kind is EventKind.REVEAL)
        assert reveal.at - answered.at >= HOURS_LATER * HOUR_MS

        # Each move waits until its writer has seen the partner's move it answers.
        heard = await ana.write(MessageType.REFLECT, text="You want the boat done.")
        reflected = await ben.write(MessageType.REFLECT, text="You want snow, and me there.")
        await ana.until(lambda: ana.last_seq >= reflected.seq, "Ben's reflection")
        await ana.write(MessageType.MORE)
        added = await ana.write(MessageType.SAY, text="And a quiet new year.")
        await ben.until(lambda: ben.last_seq >= max(added.seq, heard.seq), "Ana's addition")
        again = await ben.write(MessageType.REFLECT, text="And quiet, too.")
        await ben.write(MessageType.CONFIRM)
        await ana.until(lambda: ana.last_seq >= again.seq, "Ben's second reflection")
        done = await ana.write(MessageType.CONFIRM)
        await ben.until(lambda: ben.last_seq == done.seq, "Ana's confirm")
        for writer in (ana, ben):
            assert (writer.room.phase, writer.room.round) == (Phase.PROPOSING, 2)
            assert writer.text_of(EventKind.SAY, Seat.A) == ["And a quiet new year."]
        assert (done.state.phase, done.state.round) == (Phase.PROPOSING, 2)
        assert [e.seq for e in ana.events] == list(range(1, done.seq + 1))
        assert [e.to_wire() for e in ana.events] == [e.to_wire() for e in ben.events]
        assert not ana.errors
        assert not ben.errors
