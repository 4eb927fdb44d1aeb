"""Sam: a real fireside.2 client that pairs with the invite and follows a gentle script.

It drives the same seat core as the app (client/seat/): a `RoomMirror` follows the
room and opens every box of the person's, its `SealedRoom` owes the pairing steps
and seals every move, and Sam only does what the room's rules allow.
"""

import asyncio
import logging
from collections.abc import Sequence

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from client.connection import SUBPROTOCOL
from client.demo import lines
from client.seat.mirror import RoomMirror
from client.seat.opened import Opened
from client.seat.sealed import SealedMove
from shared.codec import MAX_REPLY, decode_reply, encode
from shared.crypto.invite import parse_invite
from shared.events import ErrorReply, Event, EventKind, Joined, parse_reply
from shared.messages import ClientMessage, Confirm, Done, Join, Leave, MessageType, Nod, Typing
from shared.seats import NodKind, Phase, Seat
from shared.session import Session
from shared.vocabulary import event_kind

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
        self.mirror = RoomMirror(lines.PARTNER_NAME, words=self.invite.words)
        self._websocket: ClientConnection | None = None
        self._shared: list[str] = []
        """The person's words since their turn to share began: what Sam reflects."""
        self._turn: tuple[Phase, int, Seat] | None = None
        """The last turn Sam acted on, so its own events do not make it act twice."""
        self._pending: list[Opened] = []
        """Events taken in but not yet reacted to, in `seq` order."""
        self._asked = 0
        self._nods = 0
        self._saying_goodbye = False

    @property
    def room(self) -> Session:
        return self.mirror.room

    @property
    def seat(self) -> Seat:
        return self.mirror.me or Seat.B

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
                await self._send(Join(code=self.invite.nameplate))
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
                if self.mirror.secrets is not None:
                    self.mirror.secrets.refused(reply.re)
                return reply
            if isinstance(reply, Joined):
                self.mirror.seat(reply)
                events: Sequence[Event] = reply.events
            elif isinstance(reply, Event):
                events = (reply,)
            else:
                continue
            for event in self.mirror.fresh(events):
                self._take_in(self.mirror.take(event))
            assert self.mirror.secrets is not None
            for step in self.mirror.secrets.due():
                await self._send(step)
            return None

    def _take_in(self, opened: Opened) -> None:
        """Queue the event, and keep what the person shares."""
        self._pending.append(opened)
        if opened.by is self.seat:
            return
        if opened.kind is EventKind.SAY:
            self._shared.append(opened.text or "")
        elif opened.kind is EventKind.ASK:
            self._shared = []

    async def _react(self, opened: Opened) -> None:
        if opened.by is not self.seat and opened.kind is EventKind.SAY:
            await self._nod()
        turn = (self.room.phase, self.room.round, self.room.asker)
        if self.room.floor is self.seat and turn != self._turn:
            self._turn = turn
            await self._take_turn()

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
            await self._move(Confirm())
            if self._saying_goodbye:
                await self._pause(1.0)
                await self._move(Leave())

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
        await self._move(Done())

    def _answer_or_more(self) -> tuple[str, ...]:
        answered = self.room.said_since_ask
        return lines.MORE if answered else lines.ANSWER

    async def _nod(self) -> None:
        """A quiet nod now and then while the person shares."""
        await self._pause(0.5)
        kind = _NODS[self._nods % len(_NODS)]
        self._nods += 1
        if self.mirror.may(MessageType.NOD):
            await self._move(Nod(kind=kind))

    async def _write(self, kind: MessageType, text: str) -> None:
        """Show "Sam is writing…" for a moment, then send `text` sealed."""
        await self._send(Typing(on=True))
        await self._pause(0.5)
        assert self.mirror.secrets is not None
        await self._recorded(self.mirror.secrets.seal(kind, {"text": text}))

    async def _move(self, move: SealedMove) -> None:
        assert self.mirror.secrets is not None
        await self._recorded(self.mirror.secrets.seal_move(move))

    async def _recorded(self, message: ClientMessage) -> None:
        """Send `message`, then read on until the room has recorded it or refused it.

        Its box is numbered after every box of Sam's the log has (client/seat/sealed.py),
        so a refused move, such as a nod that crossed the person's `done`, costs no
        counter and breaks nothing.
        """
        await self._send(message)
        kind = event_kind(message.TYPE)
        since = len(self._pending)
        while not any(e.by is self.seat and e.kind is kind for e in self._pending[since:]):
            if await self._read() is not None:
                return

    async def _send(self, message: ClientMessage) -> None:
        assert self._websocket is not None
        await self._websocket.send(encode(message.to_wire()))

    async def _pause(self, base: float) -> None:
        if self.pace > 0:
            await asyncio.sleep(base * self.pace)
        else:
            await asyncio.sleep(0)
