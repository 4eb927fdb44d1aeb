"""The room link: one websocket to the server, kept across drops; pairs and opens what arrives."""

import asyncio
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence

from textual.message import Message
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from client.messages import (
    CouldNotEnter,
    LinkClosed,
    LinkDown,
    Paired,
    PairingNews,
    PartnerTyping,
    Refused,
    RoomEventsArrived,
    Seated,
)
from client.seat.mirror import RoomMirror
from client.seat.opened import Opened
from client.seat.refusals import entry_refusal
from client.seat.sealed import MISMATCHED, TAMPERED, CannotPair, SealedMove, SealedRoom
from client.seat.ticket import SeatTicket
from shared.codec import MAX_MESSAGE, MAX_REPLY, decode_reply, encode
from shared.crypto.boxes import Tampered
from shared.crypto.pairing import RoomKey
from shared.errors import Rejected
from shared.events import (
    ErrorReply,
    Event,
    Joined,
    MalformedReply,
    Reply,
    TypingNotice,
    parse_reply,
)
from shared.messages import ClientMessage, Create, Join, Leave, MessageType, Resume
from shared.seats import Phase
from shared.wire import PROTOCOL, CloseCode

SUBPROTOCOL = Subprotocol(PROTOCOL)

RECONNECT_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 3.0, 5.0)
"""Seconds before each new attempt; short at first, since most drops are blips.

The last delay repeats for as long as we hold a seat: a server restart of any
length is survived, and once it is back we are in again within 5 seconds.
"""

OPEN_IN_STEPS = 500
"""Boxes opened between two turns of the loop: a long log never holds the screen still for long."""

OPEN_TIMEOUT = 5.0
CLOSE_TIMEOUT = 2.0
"""Quitting waits at most this long for the server to acknowledge the close."""

_NOT_FIRESIDE = "The server at {url} does not speak Fireside's protocol; check the address."


class NotFireside(Exception):
    """The server accepted the websocket, but its first reply is not one of Fireside's."""


class RoomLink:
    """Connects, enters the room, pairs, and keeps the seat across drops until we leave.

    Every event is numbered by `seq`; the link passes on only those above the
    last one seen, so a resume never doubles the transcript. A `joined` with
    `resync` starts the count again: the mirror forgets the log, takes the
    whole one sent, and the screen shows it in place of what it showed. Each
    box is opened here, in `seq` order, before anything of it reaches the screen.
    """

    def __init__(
        self,
        url: str,
        entry: Create | Join | Resume,
        post: Callable[[Message], object],
        *,
        name: str,
        words: Sequence[str] = (),
        saved_key: str | None = None,
        delays: Sequence[float] = RECONNECT_DELAYS,
    ) -> None:
        self.url = url
        self.entry = entry
        """The first message: make a room, join one, or take back a seat saved on disk."""
        self.mirror = RoomMirror(name, words=words, saved_key=saved_key)
        """The room as this seat knows it: the link feeds it, the screen reads it."""
        self.websocket: ClientConnection | None = None
        """The connection we hold a seat on, or None while (re)connecting."""
        self._post = post
        self._delays = delays
        self._leaving = False
        """The person left: until the room has ended, every new seat goes on to leave."""
        self._parting_note: str | None = None
        """The closing note to send before `leave`, while the room still takes it."""
        self._failures = 0
        """Attempts since we last held a seat: the backoff grows until a resume succeeds."""
        self._progress = ""

    async def run(self) -> None:
        """Stay in the room until we leave, the seat moves elsewhere or the room is gone."""
        while True:
            try:
                async with connect(
                    self.url,
                    subprotocols=[SUBPROTOCOL],
                    max_size=MAX_REPLY,
                    compression=None,
                    proxy=None,
                    open_timeout=OPEN_TIMEOUT,
                    close_timeout=CLOSE_TIMEOUT,
                ) as websocket:
                    try:
                        stop = await self._converse(websocket)
                    except asyncio.CancelledError:
                        # The window is closing. Without this the connection would close
                        # with 1011, which reads as a fault; the seat is kept either way.
                        await websocket.close(CloseCode.GOING_AWAY, "the window was closed")
                        raise
                    except NotFireside:
                        await websocket.close(CloseCode.PROTOCOL_ERROR, "not a Fireside reply")
                        raise
                    close_code = websocket.close_code
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI, NotFireside) as exc:
                if self.ticket is None:
                    self._post(CouldNotEnter(_unreachable(self.url, exc)))
                    return
                if isinstance(exc, NotFireside):
                    # Another program took the server's place: wait as for one that is down,
                    # and say so, since the seat may come back once the real server does.
                    await self._wait(_NOT_FIRESIDE.format(url=self.url))
                    continue
                stop = False
                close_code = None
            except ConnectionClosed as exc:
                stop = False
                close_code = exc.rcvd.code if exc.rcvd is not None else None
            finally:
                self.websocket = None
            if stop or (self._leaving and self.ended):
                return
            if self.ended:
                # Nothing can happen in an ended room: coming back would only show the same end.
                self._post(LinkClosed("The session has ended and the connection is closed."))
                return
            # docs/protocol.md, Close codes: 4001 means a newer connection resumed this seat.
            # Every other close keeps the seat, so we resume; the 1000 after our own `leave`
            # comes once the room has ended, and that, not the code, is what stops us.
            if close_code == CloseCode.TAKEN_OVER:
                self._post(
                    LinkClosed("This seat was opened elsewhere, so this window has stopped.")
                )
                return
            if self.ticket is None:
                self._post(CouldNotEnter(f"The server at {self.url} closed the connection."))
                return
            await self._wait("Connection lost — reconnecting…")

    async def _wait(self, sentence: str) -> None:
        """Say `sentence` and wait before the next attempt, a little longer each time."""
        delay = self._delays[min(self._failures, len(self._delays) - 1)]
        self._post(LinkDown(sentence, retry_in=delay))
        await asyncio.sleep(delay)
        self._failures += 1

    @property
    def ticket(self) -> SeatTicket | None:
        return self.mirror.ticket

    @property
    def secrets(self) -> SealedRoom | None:
        return self.mirror.secrets

    @property
    def key(self) -> RoomKey | None:
        """The room key once the partner's `verify` matched: what the phrase comes from."""
        secrets = self.secrets
        if secrets is None or not secrets.verified or secrets.mismatched:
            return None
        return secrets.key

    async def send(self, message: ClientMessage) -> bool:
        """Send one message; False when there is no open connection to send it on.

        A move made after the pairing (a nod and `leave` too) is sealed on its way:
        docs/protocol.md, Sealing.
        """
        websocket = self.websocket
        if websocket is None or self.ticket is None:
            return False
        secrets = self.secrets
        if secrets is not None and isinstance(message, SealedMove):
            message = secrets.seal_move(message)
        try:
            await websocket.send(encode(message.to_wire()))
        except ConnectionClosed:
            if secrets is not None:
                secrets.refused(message.id)
            return False
        return True

    async def send_sealed(self, kind: MessageType, fields: Mapping[str, str]) -> bool:
        """Seal `fields` as `kind` and send them; False when not paired or not connected.

        The caller checks the field rules first (docs/protocol.md, Field rules, Inside a box).
        """
        secrets = self.secrets
        if secrets is None or not secrets.can_seal or self.websocket is None:
            return False
        message = secrets.seal(kind, fields)
        if await self.send(message):
            return True
        secrets.refused(message.id)
        return False

    @property
    def ended(self) -> bool:
        """The last event seen says the room has ended: after our `leave`, its acknowledgement."""
        return self.mirror.ended

    async def leave(self, note: str | None = None) -> None:
        """Leave the room for good, with `note` first if the room still takes it.

        Sent now if we are connected, and again on every seat taken back until an
        event shows the room ended: a `leave` lost with its connection is not the end
        (docs/protocol.md, Drops, resume and leave). The server records `left` and
        closes with 1000; `run` returns then.
        """
        self._leaving = True
        self._parting_note = note
        await self._part()

    async def _part(self) -> None:
        """Send the parting note, if the room still takes it, and `leave`, on this connection."""
        secrets, ticket = self.secrets, self.ticket
        if self.websocket is None or secrets is None or ticket is None:
            return
        note = self._parting_note
        # Once per seat: a note already in the log (sent before a drop) is not sent again.
        if note and secrets.can_seal and self.mirror.may(MessageType.NOTE):
            await self.send_sealed(MessageType.NOTE, {"text": note})
        await self.send(Leave())

    async def _converse(self, websocket: ClientConnection) -> bool:
        """Enter or resume, then pass on replies until the connection ends; True to stop."""
        if self.ticket is None:
            first: ClientMessage = self.entry
        else:
            first = Resume(
                code=self.ticket.code,
                token=self.ticket.token,
                after=self.ticket.last_seq,
                epoch=self.ticket.epoch,
            )
        await websocket.send(encode(first.to_wire()))
        seated_here = False
        stop = False
        async for frame in websocket:
            try:
                reply = await _read(frame)
            except (Rejected, MalformedReply) as exc:
                if not seated_here:
                    # Not even the answer to our first message makes sense: whatever
                    # listens there is not a Fireside server, and waiting will not change it.
                    raise NotFireside(str(exc)) from exc
                # A frame we cannot read changes nothing we know; the next event carries the state.
                continue
            if isinstance(reply, Joined):
                seated_here = True
                stop = await self._seat(reply)
                # Only now may the person's messages go out: before it, the server would
                # answer them `not_in_room`, and we would take that for a failed resume;
                # and a box sealed before the whole log is open would take a used counter.
                self.websocket = websocket
                if self._leaving and self.ended:
                    stop = True  # the leave landed before the drop: nothing is left to do
                elif self._leaving and not stop:
                    await self._part()
            elif not seated_here and not isinstance(reply, ErrorReply):
                raise NotFireside(f"a {type(reply).__name__} before joined")
            elif isinstance(reply, Event):
                stop = await self._pass_on((reply,))
            elif isinstance(reply, TypingNotice):
                if self.ticket is not None and reply.by is not self.ticket.seat:
                    self._post(PartnerTyping(reply.on))
            elif not seated_here:
                # The entry or the resume itself was refused: there is no seat on this connection.
                return self._entry_refused(reply)
            else:
                if self.secrets is not None:
                    self.secrets.refused(reply.re)
                self._post(Refused(reply))
            if not stop:
                stop = await self._pair(websocket)
            if stop:
                self.websocket = None
                return True
        return False

    async def _seat(self, joined: Joined) -> bool:
        """Take the seat and read the log; True to stop (see `_pass_on`)."""
        self._failures = 0
        resumed = self.ticket is not None or isinstance(self.entry, Resume)
        try:
            self.mirror.seat(joined)
        except ValueError:
            # Only a server that breaks the contract sends a room code that cannot be
            # paired with: stop as for a box that does not open.
            self._post(LinkClosed(TAMPERED, seat_gone=True))
            return True
        self._post(Seated(joined, resumed))
        return await self._pass_on(joined.events)

    async def _pass_on(self, events: Iterable[Event]) -> bool:
        """Open the new events and post them together; True to stop, having said why.

        A box that does not open, or a move after the pairing that has none, stops
        everything at once: docs/protocol.md, Sealing, What a receiver must check;
        nothing of it is shown, nor anything after it. The events before it are.
        """
        assert self.secrets is not None
        secrets = self.secrets
        opened: list[Opened] = []
        stopped: LinkClosed | None = None
        for event in self.mirror.fresh(events):
            if opened and len(opened) % OPEN_IN_STEPS == 0:
                await asyncio.sleep(0)  # the screen paints and takes keys between steps
            had_key = secrets.key is not None
            try:
                opened.append(self.mirror.take(event))
            except Tampered:
                stopped = LinkClosed(TAMPERED, seat_gone=True)
                break
            except CannotPair as exc:
                stopped = LinkClosed(str(exc), seat_gone=True)
                break
            if secrets.key is not None and not had_key:
                self._post(Paired(secrets.key))
        if opened:
            self._post(RoomEventsArrived(tuple(opened)))
        if stopped is not None:
            self._post(stopped)
            return True
        if self.mirror.room.phase is Phase.WAITING and not secrets.mismatched:
            progress = secrets.progress
            if progress != self._progress:
                self._progress = progress
                self._post(PairingNews(progress))
        return False

    async def _pair(self, websocket: ClientConnection) -> bool:
        """Send the pairing steps now due; after a mismatch, say so and stop (True)."""
        secrets = self.secrets
        if secrets is None:
            return False
        for step in secrets.due():
            await websocket.send(encode(step.to_wire()))
        if secrets.mismatched:
            self._post(LinkClosed(MISMATCHED, seat_gone=True))
            return True
        return False

    def _entry_refused(self, error: ErrorReply) -> bool:
        """A refused `create`, `join` or `resume`: True to stop, False to try again later."""
        refusal = entry_refusal(error, self.entry, seated_before=self.ticket is not None)
        if refusal is None:
            return False
        stop = CouldNotEnter if refusal.entering else LinkClosed
        self._post(stop(refusal.sentence, seat_gone=refusal.seat_gone))
        return True


async def _read(frame: str | bytes) -> Reply:
    """The reply in `frame`; Rejected or MalformedReply for one we cannot read.

    A `joined` with a long log takes seconds to decode: that is done off the loop,
    so the screen keeps painting and taking keys meanwhile.
    """
    if isinstance(frame, str):
        raise MalformedReply("a text frame")
    if len(frame) <= MAX_MESSAGE:
        return parse_reply(decode_reply(frame))
    return await asyncio.to_thread(lambda: parse_reply(decode_reply(frame)))


def _unreachable(url: str, exc: Exception) -> str:
    """One sentence for a server we could not talk to at all."""
    if isinstance(exc, NotFireside):
        return _NOT_FIRESIDE.format(url=url)
    if isinstance(exc, InvalidURI):
        return f"{url!r} is not a server address; it should look like ws://host:8765."
    # Certificates are checked for every wss:// connection (websockets' default context);
    # a private CA is trusted through SSL_CERT_FILE, which Python's default context reads.
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The server's certificate could not be verified: {exc.verify_message}."
    # A plain ws:// server answers a TLS hello by resetting the connection.
    if url.startswith("wss://") and isinstance(exc, ssl.SSLError | ConnectionResetError):
        return f"Could not make a secure connection to {url}; does it really serve wss://?"
    if isinstance(exc, InvalidHandshake):
        return f"The server at {url} did not accept a Fireside connection."
    if isinstance(exc, TimeoutError):
        return f"The server at {url} did not answer in time."
    return f"Could not reach the server at {url}. Is it running, and is the address right?"
