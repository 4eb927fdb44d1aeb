"""Helpers that drive the client in tests: wait for things, enter a room, partners on the wire."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from textual import events
from textual.app import App
from textual.message import Message
from textual.pilot import Pilot
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from client.app import FiresideApp
from client.connection import SUBPROTOCOL
from client.entry import Entry
from client.screens.session import SessionScreen
from shared.codec import MAX_REPLY, decode_reply, decode_request, encode
from shared.crypto.boxes import Opener, Sealer
from shared.crypto.invite import Invite, parse_invite
from shared.crypto.pairing import Pairing, RoomKey
from shared.events import Event, EventKind, Joined, parse_reply
from shared.messages import MessageType
from shared.seats import Phase, Seat
from shared.vocabulary import MOVE_TYPES, SEALED_AS
from tests.timing import seconds

STEP = 0.02


async def until(pilot: Pilot[Any], condition: Callable[[], object], within: float = 3.0) -> None:
    """Let the app run until `condition()` holds, or fail after `within` (scaled) seconds.

    A condition that reads the log's last entry before there is one (IndexError) does not hold
    yet: right after a resume, `in_room` can be true an instant before the log arrives.
    """
    for _ in range(int(seconds(within) / STEP)):
        if _holds(condition):
            # The room (the link's mirror) moves as soon as an event is read; the screen
            # shows it when it has handled the news, which may still be queued.
            await pilot.pause()
            return
        await pilot.pause(STEP)
    assert condition(), f"still waiting after {seconds(within):.1f}s"


def burst(text: str) -> list[events.Key]:
    """Key events for `text`, as the terminal driver makes them from one read: post them all
    with `app.post_message` before a pause, since Pilot's press() waits between keys and so
    lets a focus change catch up (shared/field-notes.md)."""
    names = {" ": "space", "?": "question_mark", ",": "comma", ".": "full_stop", "\t": "tab"}
    return [events.Key(names.get(character, character), character) for character in text]


def _holds(condition: Callable[[], object]) -> bool:
    try:
        return bool(condition())
    except IndexError:
        return False


def session_of(app: App[Any]) -> SessionScreen:
    """The app's session screen (it may sit under a dialog)."""
    screens = [screen for screen in app.screen_stack if isinstance(screen, SessionScreen)]
    assert screens, f"no session screen; the screen is {app.screen!r}"
    return screens[-1]


def in_room(app: App[Any]) -> bool:
    """Whether the app holds a seat in a room."""
    return any(isinstance(s, SessionScreen) and s.me is not None for s in app.screen_stack)


async def invite_of(pilot: Pilot[Any], app: FiresideApp) -> str:
    """The invite the app shows once it has made its room."""
    await until(pilot, lambda: in_room(app))
    invite = session_of(app).invite
    assert invite is not None
    return invite


async def paired_partner(pilot: Pilot[Any], app: FiresideApp, name: str = "Ben") -> "WirePartner":
    """A wire partner joins the app's new room with its invite; both are paired, round 1 begun."""
    invite = await invite_of(pilot, app)
    room = session_of(app)
    partner = await WirePartner.join(room.link.url, invite, name)
    await until(pilot, lambda: room.room.phase is Phase.ASKING)
    return partner


@contextlib.asynccontextmanager
async def two_windows(
    server_url: str,
    size: tuple[int, int],
    *,
    ben_hook: Callable[[Message], None] | None = None,
) -> AsyncIterator[tuple[Pilot[Any], SessionScreen, Pilot[Any], SessionScreen]]:
    """Two real apps, Ana's and Ben's, paired through the server at `server_url` with Ana's
    invite, round 1 begun (`ben_hook` sees every message of Ben's app): each one's pilot and
    session screen, Ana's first."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=size) as ana_pilot:
        invite = await invite_of(ana_pilot, ana)
        ben = FiresideApp(Entry.joining(server_url, "Ben", invite), enter_now=True)
        async with ben.run_test(size=size, message_hook=ben_hook) as ben_pilot:
            ana_room, ben_room = session_of(ana), session_of(ben)
            await until(ana_pilot, lambda: ana_room.room.phase is Phase.ASKING)
            await until(ben_pilot, lambda: ben_room.room.phase is Phase.ASKING)
            yield ana_pilot, ana_room, ben_pilot, ben_room


class WireMember:
    """A member that speaks the protocol directly: raw msgpack maps over a websocket, no keys."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket

    @classmethod
    async def open(cls, url: str) -> "WireMember":
        websocket = await connect(
            url, subprotocols=[SUBPROTOCOL], max_size=MAX_REPLY, compression=None, proxy=None
        )
        return cls(websocket)

    @classmethod
    async def join(cls, url: str, code: str, name: str = "Ben") -> "WireMember":
        """A partner seated in the room `code` (its `joined` reply read)."""
        member = await cls.open(url)
        await member.send(t="join", code=code, name=name)
        await member.receive_until("joined")
        return member

    async def send(self, **message: Any) -> None:
        await self.websocket.send(encode(message))

    async def receive(self) -> dict[str, Any]:
        async with asyncio.timeout(seconds(3)):
            frame = await self.websocket.recv()
        assert isinstance(frame, bytes)
        return decode_reply(frame)

    async def receive_until(self, t: str) -> dict[str, Any]:
        """The next reply whose `t` is `t`, skipping others."""
        while True:
            reply = await self.receive()
            if reply["t"] == t:
                return reply

    async def close(self) -> None:
        await self.websocket.close()


@dataclass(frozen=True)
class Heard:
    """An event as the wire partner read it, its box opened."""

    event: Event
    words: Mapping[str, str]

    @property
    def kind(self) -> EventKind:
        return self.event.kind

    @property
    def text(self) -> str | None:
        return self.words.get("text")


class WirePartner(WireMember):
    """A real second client on the wire: it pairs with shared.crypto, seals and opens every box.

    Not a mock: it does what the app does (docs/protocol.md, Pairing and
    Sealing), seals its moves once paired, and fails the test on any box of
    the app's that does not open, or any move of the app's without one.
    """

    def __init__(self, websocket: ClientConnection, invite: Invite, name: str) -> None:
        super().__init__(websocket)
        self.invite = invite
        self.name = name
        self.seat = Seat.B
        self.key: RoomKey | None = None
        self.opener: Opener | None = None
        self.sealed = 0
        """Boxes this partner sealed so far: the next one's counter."""
        self.heard: list[Heard] = []
        self.names: dict[Seat, str | None] = dict.fromkeys(Seat)
        self.backlog: list[Event] = []
        """Events read from `joined` not yet handed out by `next_event`."""

    @classmethod
    async def join(cls, url: str, invite: str, name: str = "Ben") -> "WirePartner":
        """A partner seated in the room of `invite` and paired with whoever made it.

        Returns once the pairing is over: matched (round 1 has begun) or not.
        """
        partner = cls(await _connect(url), parse_invite(invite), name)
        await partner.send(t="join", code=partner.invite.nameplate)
        await partner.seated()
        await partner.pair()
        return partner

    async def seated(self) -> Joined:
        reply = parse_reply(await self.receive_until("joined"))
        assert isinstance(reply, Joined)
        self.seat = reply.seat
        self.backlog.extend(reply.events)
        return reply

    async def pair(self) -> None:
        """Send `pake`, then `verify` and `hello` as the log allows, until paired or mismatched."""
        pairing = Pairing(self.invite.nameplate, self.invite.words)
        await self.send(t="pake", msg=pairing.message)
        while True:
            heard = await self.next_event()
            event = heard.event
            if event.kind is EventKind.PAKE and event.by is not self.seat:
                self.key = pairing.finish(event.msg or b"")
                self.opener = Opener(self.key)
                await self.send(t="verify", mac=self.key.verifier(self.seat))
            elif event.kind is EventKind.VERIFY and event.by is not self.seat:
                assert self.key is not None
                if not self.key.verifies(event.by, event.mac or b""):
                    await self.send(t="mismatch")
                    return
                await self.send_box("hello", self.seal(MessageType.HELLO, {"name": self.name}))
            elif event.kind is EventKind.MISMATCH or event.state.phase is not Phase.WAITING:
                return

    @property
    def paired(self) -> bool:
        """Both hellos opened: every move now carries a box."""
        return all(name is not None for name in self.names.values())

    async def send(self, **message: Any) -> None:
        """Send `message`; a move after the pairing gets its box (`{}` or the nod's kind)."""
        kind = message.get("t")
        if self.paired and kind in MOVE_TYPES and "box" not in message:
            fields = {"kind": str(message.get("kind"))} if kind == MessageType.NOD else {}
            with contextlib.suppress(ValueError):  # a nod of no kind, sent to be refused
                message["box"] = self.seal(MessageType(kind), fields)
        await super().send(**message)

    def seal(self, kind: MessageType, fields: Mapping[str, str]) -> bytes:
        """`fields` sealed as this seat's next box."""
        assert self.key is not None
        box = Sealer(self.key, self.seat, sealed=self.sealed).seal(kind, fields)
        self.sealed += 1
        return box

    async def send_box(self, t: str, box: bytes) -> None:
        await self.send(t=t, box=box)

    async def say(self, text: str) -> None:
        await self.send_box("say", self.seal(MessageType.SAY, {"text": text}))

    async def ask(self, text: str) -> None:
        await self.send_box("ask", self.seal(MessageType.ASK, {"text": text}))

    async def reflect(self, text: str) -> None:
        await self.send_box("reflect", self.seal(MessageType.REFLECT, {"text": text}))

    async def next_event(self) -> Heard:
        """The next event of the log, its box opened (an AssertionError if it does not open)."""
        if self.backlog:
            event = self.backlog.pop(0)
        else:
            reply = parse_reply(await self.receive_until("event"))
            assert isinstance(reply, Event)
            event = reply
        words: dict[str, str] = {}
        # The moves are sealed once both hellos are in: docs/protocol.md, Sealing.
        sealed = SEALED_AS.get(event.kind)
        if sealed in MOVE_TYPES and not self.paired:
            sealed = None
        if sealed is not None:
            assert self.opener is not None
            assert event.box is not None
            words = self.opener.open(event.by, sealed, event.box)
            if event.kind is EventKind.HELLO:
                self.names[event.by] = words["name"]
        heard = Heard(event, words)
        self.heard.append(heard)
        return heard

    async def until_kind(self, kind: EventKind) -> Heard:
        """Read the log up to the next event of `kind`."""
        while True:
            heard = await self.next_event()
            if heard.kind is kind:
                return heard


async def _connect(url: str) -> ClientConnection:
    return await connect(
        url, subprotocols=[SUBPROTOCOL], max_size=MAX_REPLY, compression=None, proxy=None
    )


class FrameRecorder:
    """A websocket relay in front of the server that notes the type of every client message.

    What the server was sent, seen from outside both: the way to show that
    nothing was said when a pairing did not match.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.sent: list[str] = []
        self.url = ""
        self._server: Any = None

    async def __aenter__(self) -> "FrameRecorder":
        self._server = await serve(
            self._relay, "127.0.0.1", 0, subprotocols=[SUBPROTOCOL], compression=None
        )
        self.url = f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _relay(self, client: ServerConnection) -> None:
        async with await _connect(self.upstream) as server:

            async def outward() -> None:
                async for frame in client:
                    assert isinstance(frame, bytes)
                    self.sent.append(str(decode_request(frame)["t"]))
                    await server.send(frame)

            async def inward() -> None:
                async for frame in server:
                    await client.send(frame)

            tasks = [asyncio.create_task(outward()), asyncio.create_task(inward())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                    await task


async def ben_answers(
    pilot: Pilot[Any], ana: FiresideApp, text: str
) -> tuple[SessionScreen, "WirePartner"]:
    """Ana's window pairs with Ben over the wire, Ana asks and Ben says `text`:
    Ana's session screen, and Ben."""
    ben = await paired_partner(pilot, ana)
    room = session_of(ana)
    await pilot.press("f8")
    await ben.until_kind(EventKind.ASK)
    await ben.say(text)
    await until(pilot, lambda: room.room_log[-1].kind is EventKind.SAY)
    return room, ben


async def ben_asks(
    pilot: Pilot[Any], ana: FiresideApp, question: str
) -> tuple[SessionScreen, "WirePartner"]:
    """Ana's window pairs with Ben over the wire, hands him the asking, and Ben asks `question`:
    Ana's session screen at her turn to share, and Ben."""
    ben = await paired_partner(pilot, ana)
    room = session_of(ana)
    await pilot.press("f2")
    await ben.until_kind(EventKind.HANDOVER)
    await ben.ask(question)
    await until(pilot, lambda: room.room.phase is Phase.SHARING)
    return room, ben
