"""Sam: a real fireside.2 client that pairs with the invite and follows a gentle script.

It speaks the same protocol as the app (docs/protocol.md, Pairing and
Sealing): it joins with the invite, pairs with `shared.crypto`, seals every
move, opens every box of the person's, and only does what `Session.may` allows.
"""

import asyncio
import logging
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from client.connection import SUBPROTOCOL
from client.demo import lines
from shared.codec import MAX_REPLY, decode_reply, encode
from shared.crypto.boxes import Opener, Sealer
from shared.crypto.invite import parse_invite
from shared.crypto.pairing import Pairing, RoomKey
from shared.events import ErrorReply, Event, EventKind, Joined, parse_reply
from shared.messages import MessageType
from shared.seats import NodKind, Phase, Seat
from shared.session import Session
from shared.vocabulary import SEALED_AS, event_kind

log = logging.getLogger(__name__)

_NODS = (NodKind.HEAR, NodKind.HEART, NodKind.TIME)


class DemoPartner:
    """Sam in the room of `invite`: answers, nods, reflects, confirms, asks, says goodbye.

    `pace` scales every pause (about one to two seconds at 1.0); 0 is for tests.
    """

    def __init__(self, url: str, invite: str, *, pace: float = 1.0) -> None:
        self.url = url
        self.invite = parse_invite(invite)
        self.pace = pace
        self.name = lines.PARTNER_NAME
        self.seat = Seat.B
        self.room = Session()
        self._websocket: ClientConnection | None = None
        self._opener: Opener | None = None
        self._pairing = Pairing(self.invite.nameplate, self.invite.words)
        self._key: RoomKey | None = None
        self._shared: list[str] = []
        """The person's words since their turn to share began: what Sam reflects."""
        self._turn: tuple[Phase, int, Seat] | None = None
        """The last turn Sam acted on, so its own events do not make it act twice."""
        self._pending: list[Event] = []
        """Events taken in but not yet reacted to, in `seq` order."""
        self._asked = 0
        self._nods = 0
        self._saying_goodbye = False

    async def run(self) -> None:
        """Join, pair and follow the room until it ends or the connection closes."""
        try:
            async with connect(
                self.url,
                subprotocols=[SUBPROTOCOL],
                max_size=MAX_REPLY,
                compression=None,
                proxy=None,
            ) as websocket:
                self._websocket = websocket
                await self._send(t="join", code=self.invite.nameplate)
                await self._follow()
        except (ConnectionClosed, OSError) as exc:
            log.info("the demo partner stopped: %s", type(exc).__name__)

    async def _follow(self) -> None:
        while self.room.phase is not Phase.ENDED:
            if not self._pending:
                await self._read()
                continue
            await self._react(self._pending.pop(0))

    async def _read(self) -> ErrorReply | None:
        """Take in the next reply's events (opened, mirrored, queued); a refusal is returned."""
        assert self._websocket is not None
        while True:
            frame = await self._websocket.recv()
            assert isinstance(frame, bytes)
            reply = parse_reply(decode_reply(frame))
            if isinstance(reply, ErrorReply):
                return reply
            if isinstance(reply, Joined):
                self.seat = reply.seat
                await self._send(t="pake", msg=self._pairing.message)
                events = list(reply.events)
            elif isinstance(reply, Event):
                events = [reply]
            else:
                continue
            for event in events:
                self._take_in(event)
            return None

    def _take_in(self, event: Event) -> None:
        """Open the event's box, follow the room, and keep what the person shares."""
        sealed = SEALED_AS.get(event.kind)
        words: dict[str, str] = {}
        if sealed is not None and event.box is not None and self._opener is not None:
            words = self._opener.open(event.by, sealed, event.box)
        self.room.observe(event)
        self._pending.append(event)
        if event.by is self.seat:
            return
        if event.kind is EventKind.SAY:
            self._shared.append(words.get("text", ""))
        elif event.kind is EventKind.ASK:
            self._shared = []

    async def _react(self, event: Event) -> None:
        if self.room.phase is Phase.WAITING or event.kind is EventKind.HELLO:
            await self._pair(event)
        if event.by is not self.seat and event.kind is EventKind.SAY:
            await self._nod()
        turn = (self.room.phase, self.room.round, self.room.asker)
        if self.room.floor is self.seat and turn != self._turn:
            self._turn = turn
            await self._take_turn()

    async def _pair(self, event: Event) -> None:
        """docs/protocol.md, Pairing, The steps: pake, then verify, then hello."""
        if event.by is self.seat:
            return
        if event.kind is EventKind.PAKE:
            self._key = self._pairing.finish(event.msg or b"")
            self._opener = Opener(self._key)
            await self._send(t="verify", mac=self._key.verifier(self.seat))
        elif event.kind is EventKind.VERIFY and self._key is not None:
            if not self._key.verifies(event.by, event.mac or b""):
                await self._send(t="mismatch")
                return
            await self._sealed(MessageType.HELLO, {"name": self.name})

    async def _take_turn(self) -> None:
        phase = self.room.phase
        if phase is Phase.ASKING:
            await self._pause(1.5)
            question = lines.QUESTIONS[self._asked % len(lines.QUESTIONS)]
            self._asked += 1
            await self._write(MessageType.ASK, question)
        elif phase is Phase.SHARING:
            await self._share()
        elif phase is Phase.REFLECTING:
            await self._pause(1.5)
            await self._write(MessageType.REFLECT, lines.reflection(self._shared))
        elif phase is Phase.CONFIRMING:
            await self._pause(1.0)
            await self._sealed(MessageType.CONFIRM, {})
            if self._saying_goodbye:
                await self._pause(1.0)
                await self._sealed(MessageType.LEAVE, {})

    async def _share(self) -> None:
        """Answer in two or three gentle messages, then hand the floor back with done."""
        said: tuple[str, ...]
        if self._saying_goodbye:
            said = lines.MORE
        elif self.room.round >= 3:
            said = lines.GOODBYE
            self._saying_goodbye = True
        else:
            said = self._answer_or_more()
        for text in said:
            await self._pause(1.0 + min(len(text), 100) / 100)
            await self._write(MessageType.SAY, text)
        await self._pause(1.0)
        await self._sealed(MessageType.DONE, {})

    def _answer_or_more(self) -> tuple[str, ...]:
        answered = self.room.said_since_ask
        return lines.MORE if answered else lines.ANSWER

    async def _nod(self) -> None:
        """A quiet nod now and then while the person shares."""
        await self._pause(0.5)
        kind = _NODS[self._nods % len(_NODS)]
        self._nods += 1
        if self.room.may(self.seat, MessageType.NOD):
            await self._sealed(MessageType.NOD, {"kind": str(kind)}, kind=str(kind))

    async def _write(self, kind: MessageType, text: str) -> None:
        """Show "Sam is writing…" for a moment, then send `text` sealed."""
        await self._send(t="typing", on=True)
        await self._pause(0.5)
        await self._sealed(kind, {"text": text})

    async def _sealed(self, move: MessageType, fields: dict[str, str], **extra: Any) -> None:
        """Send `move` with `fields` sealed, then read on until the room has recorded it.

        Each box is sealed with the count of Sam's boxes in the log so far
        (docs/protocol.md, Sealing), so a refused move, such as a nod that
        crossed the person's `done`, costs no counter and breaks nothing.
        """
        assert self._key is not None
        assert self._opener is not None
        sealer = Sealer(self._key, self.seat, sealed=self._opener.opened(self.seat))
        await self._send(t=str(move), box=sealer.seal(move, fields), **extra)
        kind = event_kind(move)
        since = len(self._pending)
        while not any(e.by is self.seat and e.kind is kind for e in self._pending[since:]):
            if await self._read() is not None:
                return

    async def _send(self, **message: Any) -> None:
        assert self._websocket is not None
        await self._websocket.send(encode(message))

    async def _pause(self, base: float) -> None:
        if self.pace > 0:
            await asyncio.sleep(base * self.pace)
        else:
            await asyncio.sleep(0)
