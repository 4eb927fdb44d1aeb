"""A small honest fireside.2 client for tests: it pairs, seals and opens with `shared.crypto`.

It follows docs/protocol.md, Pairing and Sealing, and nothing more: no
terminal, no saved seats. What it opened and whether a box was Tampered are
kept for the test to look at; a Tampered box stops it, as the real client stops.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from shared.codec import MAX_REPLY, decode_reply, encode
from shared.crypto.boxes import Opener, Sealer, Tampered
from shared.crypto.invite import draw_words, invite_code, parse_invite
from shared.crypto.pairing import Pairing, PairingError, RoomKey
from shared.events import ErrorReply, Event, EventKind, Joined, parse_reply
from shared.messages import MessageType
from shared.seats import Seat
from shared.vocabulary import MOVE_TYPES, SEALED_AS, WORDED_TYPES, event_kind
from tests.timing import seconds

SUBPROTOCOL = Subprotocol("fireside.2")


class Partner:
    """One seat's client: the log as it arrived, the boxes it opened, and how it stopped."""

    def __init__(self, connection: ClientConnection, name: str) -> None:
        self.connection = connection
        self.name = name
        """The name this seat says hello with."""
        self.seat: Seat | None = None
        self.invite = ""
        """The invite this seat made (`create`) or was given (`join`)."""
        self.code: str | None = None
        self.token: str | None = None
        self.events: list[Event] = []
        self.errors: list[ErrorReply] = []
        self.opened: list[tuple[int, Seat, MessageType, dict[str, str]]] = []
        """Every box that opened, in `seq` order: (seq, sender, type, plaintext fields)."""
        self.names: dict[Seat, str] = {}
        self.key: RoomKey | None = None
        self.tampered: str | None = None
        """Why the first box that did not open was Tampered: the session stopped there."""
        self.mismatched = False
        """The pairing did not match: this seat's check of the partner's `verify`, or theirs."""
        self._pairing: Pairing | None = None
        self._sealer: Sealer | None = None
        self._opener: Opener | None = None
        self._paked: set[Seat] = set()
        self._verified: set[Seat] = set()
        self._sent: set[MessageType] = set()
        self._next_id = 0
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    # -- the pairing, driven by the log --------------------------------------------------

    async def create(self) -> str:
        """Make a room, start pairing at once, and return the invite to pass on."""
        self._reader = asyncio.create_task(self._read())
        await self.send({"t": "create"})
        await self.until(lambda: self.seat is not None, "the reply to create")
        assert self.code is not None
        words = draw_words()
        self._pairing = Pairing(self.code, words)
        await self._send_pake()
        self.invite = invite_code(self.code, words)
        return self.invite

    async def join(self, invite: str) -> None:
        """Take seat b with the invite's nameplate, and pair with its words."""
        self.invite = invite
        parsed = parse_invite(invite)
        self._pairing = Pairing(parsed.nameplate, parsed.words)
        self._reader = asyncio.create_task(self._read())
        await self.send({"t": "join", "code": parsed.nameplate})

    async def _send_pake(self) -> None:
        assert self._pairing is not None
        self._sent.add(MessageType.PAKE)
        await self.send({"t": "pake", "msg": self._pairing.message})

    async def _pair(self, event: Event) -> None:
        """docs/protocol.md, Pairing: pake, then verify once both are in, then hello or mismatch."""
        me = self.seat
        assert me is not None
        if event.kind is EventKind.PAKE:
            self._paked.add(event.by)
            if event.by is not me:
                assert self._pairing is not None
                assert event.msg is not None
                try:
                    self.key = self._pairing.finish(event.msg)
                except PairingError as error:
                    self.tampered = f"pake: {error}"
                    return
                self._sealer = Sealer(self.key, me)
                self._opener = Opener(self.key)
        elif event.kind is EventKind.VERIFY:
            self._verified.add(event.by)
            if event.by is not me:
                assert self.key is not None
                assert event.mac is not None
                if not self.key.verifies(event.by, event.mac):
                    self.mismatched = True
                    self._sent.add(MessageType.MISMATCH)
                    await self.send({"t": "mismatch"})
                    return
        if self.mismatched or self.tampered:
            return
        if MessageType.PAKE not in self._sent:
            await self._send_pake()
        if self._paked == set(Seat) and MessageType.VERIFY not in self._sent:
            assert self.key is not None
            self._sent.add(MessageType.VERIFY)
            await self.send({"t": "verify", "mac": self.key.verifier(me)})
        if self._verified == set(Seat) and MessageType.HELLO not in self._sent:
            self._sent.add(MessageType.HELLO)
            await self.send({"t": "hello", "box": self.seal(MessageType.HELLO, name=self.name)})

    # -- sealing and opening -------------------------------------------------------------

    def seal(self, kind: MessageType, /, **fields: str) -> bytes:
        assert self._sealer is not None, "no key yet"
        return self._sealer.seal(kind, fields)

    async def act(self, kind: MessageType, /, **fields: str) -> Event:
        """Send `kind` and wait for its event: words sealed, a move once paired with its box."""
        message: dict[str, Any] = {"t": str(kind)}
        if kind in WORDED_TYPES:
            message["box"] = self.seal(kind, **fields)
        else:
            message |= fields
            if kind in MOVE_TYPES and self.paired:
                message["box"] = self.seal(kind, **fields)
        after = self.last_seq
        request = await self.send(message)
        expected = event_kind(kind)

        def answered() -> bool:
            return any(e.re == request for e in self.errors) or any(
                e.seq > after and e.by is self.seat and e.kind is expected for e in self.events
            )

        await self.until(answered, f"the event of {kind}")
        refused = [e for e in self.errors if e.re == request]
        assert not refused, f"{kind} was refused: {refused[0]}"
        return next(e for e in self.events if e.seq > after and e.kind is expected)

    @property
    def paired(self) -> bool:
        """Both hellos opened: every move from here on carries a box."""
        return len(self.names) == len(Seat)

    def _open(self, event: Event) -> None:
        kind = SEALED_AS[event.kind]
        if self._opener is None or event.box is None:
            self.tampered = f"{kind} at seq {event.seq} came before a key or without a box"
            return
        try:
            fields = self._opener.open(event.by, kind, event.box)
        except Tampered as tampered:
            self.tampered = str(tampered)
            return
        if kind is MessageType.NOD and fields.get("kind") != event.nod:
            self.tampered = f"the nod at seq {event.seq} is not the nod that was sealed"
            return
        self.opened.append((event.seq, event.by, kind, fields))
        if kind is MessageType.HELLO:
            self.names[event.by] = fields["name"]

    # -- the wire ------------------------------------------------------------------------

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    def texts(self) -> list[str]:
        """Every text, card and name this seat opened, in the order of the log."""
        return [
            value
            for _, _, kind, fields in self.opened
            if kind in WORDED_TYPES
            for value in fields.values()
        ]

    async def send(self, message: dict[str, Any]) -> int:
        """Send `message` with a fresh `id`; that id."""
        self._next_id += 1
        await self.connection.send(encode(message | {"id": self._next_id}))
        return self._next_id

    async def until(self, condition: Callable[[], object], what: str, within: float = 5) -> None:
        """Wait until `condition()` holds, or fail naming `what`."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), seconds(within))
            except TimeoutError:
                raise AssertionError(
                    f"seat {self.seat} still waits for {what}; errors {self.errors}, "
                    f"tampered {self.tampered}"
                ) from None

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.connection:
                assert isinstance(frame, bytes)
                reply = parse_reply(decode_reply(frame))
                if isinstance(reply, Joined):
                    self.seat, self.code, self.token = reply.seat, reply.code, reply.token
                    for event in reply.events:
                        await self._take(event)
                elif isinstance(reply, Event):
                    await self._take(reply)
                elif isinstance(reply, ErrorReply):
                    self.errors.append(reply)
                async with self._changed:
                    self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def _take(self, event: Event) -> None:
        """Apply one event of the log; one already seen (same `seq`) is skipped."""
        if event.seq <= self.last_seq:
            return
        self.events.append(event)
        if self.tampered is not None:
            return  # stopped: nothing after a Tampered box is opened or shown
        if event.kind is EventKind.MISMATCH:
            self.mismatched = True
        if event.kind in (EventKind.PAKE, EventKind.VERIFY):
            await self._pair(event)
        elif event.kind in SEALED_AS and (SEALED_AS[event.kind] in WORDED_TYPES or self.paired):
            self._open(event)

    async def close(self) -> None:
        await self.connection.close()
        if self._reader is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._reader


def url(port: int) -> str:
    return f"ws://127.0.0.1:{port}/"


@contextlib.asynccontextmanager
async def partner(port: int, name: str) -> AsyncIterator[Partner]:
    """A Partner named `name` on a new connection to 127.0.0.1:`port`, closed on the way out."""
    async with connect(
        url(port),
        subprotocols=[SUBPROTOCOL],
        max_size=MAX_REPLY,
        open_timeout=seconds(5),
        close_timeout=seconds(2),
        proxy=None,
    ) as connection:
        client = Partner(connection, name)
        try:
            yield client
        finally:
            await client.close()
