"""A member that stops reading: the server's memory for it stays bounded, it is dropped in
time, and its partner goes on unaffected."""

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import partial
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from client.connection import SUBPROTOCOL
from server.app import RunningServer, start_server
from server.config import ServerConfig
from server.outbox import WRITE_LIMIT
from shared.codec import MAX_REPLY, decode_reply
from shared.crypto.boxes import Opener
from shared.crypto.invite import Invite
from shared.events import Event, EventKind
from shared.messages import Create, MessageType, Nod
from shared.seats import NodKind, Seat
from tests.client.drive import WirePartner
from tests.faults.conftest import SCRIPT_LIMITS
from tests.faults.figures import FIGURES
from tests.faults.rounds import Member, replay, words_for
from tests.soak import SEED
from tests.timing import seconds

WRITE_TIMEOUT = 1.0
CLOSE_TIMEOUT = 0.3
OUTBOX_BYTES = 256 * 1024
BIG = "🔥" * 3990
"""Nearly the longest `say` there is (4,000 code points): a 16 KB box on the wire."""
RECEIVE_BUFFER = 4096
"""The non-reader's socket takes this little; the server's kernel still takes megabytes."""
FRAME = 17 * 1024
"""More than the largest event in this test, `say` of BIG with its state."""


@pytest.fixture
async def impatient() -> AsyncIterator[RunningServer]:
    """A server that gives up on a stuck reply after a second instead of half a minute."""
    limits = replace(
        SCRIPT_LIMITS,
        write_timeout=WRITE_TIMEOUT,
        outbox_bytes=OUTBOX_BYTES,
        # The kernel takes megabytes before the server has to wait: room for that many says.
        max_log_bytes=64 * 1024 * 1024,
    )
    running = await start_server(ServerConfig(port=0, close_timeout=CLOSE_TIMEOUT, limits=limits))
    try:
        yield running
    finally:
        await running.close()


async def _open(port: int, *, receive_buffer: int | None = None) -> ClientConnection:
    """A raw websocket, with a small socket receive buffer when asked, and no keepalive."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await connect(
        f"ws://127.0.0.1:{port}",
        sock=sock,
        subprotocols=[SUBPROTOCOL],
        max_size=MAX_REPLY,
        compression=None,
        proxy=None,
        ping_interval=None,
    )


async def _reply(websocket: ClientConnection, t: str) -> dict[str, Any]:
    """The next reply of type `t`, skipping others."""
    async with asyncio.timeout(seconds(5)):
        while True:
            frame = await websocket.recv()
            assert isinstance(frame, bytes)
            reply = decode_reply(frame)
            if reply["t"] == t:
                return reply


def opened_texts(log: list[Event], opener: Opener) -> list[str]:
    """The text of every box in `log` that holds one, opening every box in order (hellos and
    the moves' boxes too: they count alike)."""
    texts = []
    for event in log:
        if event.box is not None:
            kind = MessageType.LEAVE if event.kind is EventKind.LEFT else MessageType(event.kind)
            words = opener.open(event.by, kind, event.box)
            if "text" in words:
                texts.append(words["text"])
    return texts


def _more_than(member: Member, seen: int) -> bool:
    return len(member.events) > seen


async def _say_until_refused(ben: WirePartner) -> int:
    """Ben goes on saying, sealed, until his connection is gone; how many says he got out."""
    said = 0
    with contextlib.suppress(ConnectionClosed, OSError):
        while True:
            await ben.say(f"more {said} {BIG}")
            said += 1
            await asyncio.sleep(0.001)
    return said


@pytest.mark.parametrize("keeps_talking", [False, True], ids=["goes-quiet", "keeps-talking"])
async def test_a_reader_that_stops_is_dropped_with_bounded_memory(
    impatient: RunningServer, keeps_talking: bool
) -> None:
    """Ben stops reading mid-answer: the server holds at most its limits for him (and stops
    reading what he sends) and drops him in time, while Ana's every nod comes straight back;
    then Ben resumes on a new connection and the round finishes whole."""
    port = impatient.port
    words = words_for(random.Random(f"{SEED}-slow-reader"))
    ana = Member(f"ws://127.0.0.1:{port}", Create(), (0.05,), name="Ana", words=words)
    raw = await _open(port, receive_buffer=RECEIVE_BUFFER)
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, impatient.buffered_bytes)
            await asyncio.sleep(0.002)

    sampler = asyncio.create_task(sample())
    flood: asyncio.Task[int] | None = None
    try:
        await ana.until(lambda: ana.seated, "Ana seated", 5)
        assert ana.link.ticket is not None
        # Ben is a real second client on a raw socket: he pairs, seals and opens with the key.
        ben = WirePartner(raw, Invite(ana.link.ticket.code, words), "Ben")
        await ben.send(t="join", code=ana.link.ticket.code)
        ticket = await ben.seated()
        await ben.pair()
        await ana.until(lambda: ana.paired, "Ana paired", 5)
        assert await ana.link.send_sealed(MessageType.ASK, {"text": "What was today like?"})
        assert (await ben.until_kind(EventKind.ASK)).text == "What was today like?"

        # Ben stops reading and answers at length: every sealed say comes back to him as well.
        raw.transport.pause_reading()
        said = 0
        while impatient.buffered_bytes < WRITE_LIMIT:
            await ben.say(f"{said} {BIG}")
            said += 1
            await asyncio.sleep(0.001)
            assert said < 2000, "the server never had to wait for Ben"
        stuck_at, kernel_took = time.monotonic(), said * len(BIG.encode())
        if keeps_talking:
            flood = asyncio.create_task(_say_until_refused(ben))

        # Ana listens and nods; each nod must come back to her at once while Ben is stuck.
        slowest = 0.0
        async with asyncio.timeout(seconds(10)):
            while not any(e.kind is EventKind.AWAY and e.by is Seat.B for e in ana.events):
                before, seen = time.monotonic(), len(ana.events)
                assert await ana.link.send(Nod(kind=NodKind.HEAR))
                # Long enough for a nod held by a server waiting on Ben, which the bound below
                # then catches: this wait only keeps the test from hanging.
                await ana.until(partial(_more_than, ana, seen), "Ana's nod", 3)
                slowest = max(slowest, time.monotonic() - before)
                await asyncio.sleep(0.01)
        dropped_after = time.monotonic() - stuck_at
        if flood is not None:
            await flood
        await ana.until(lambda: impatient.buffered_bytes == 0, "Ben's bytes let go", 1)

        bound = OUTBOX_BYTES + WRITE_LIMIT + 2 * FRAME
        FIGURES.append(
            f"slow reader ({'keeps talking' if keeps_talking else 'goes quiet'}): "
            f"the kernel took {kernel_took // 1024} KiB of says first; then the "
            f"server held at most {peak} bytes (bound {bound}) and dropped him "
            f"{dropped_after:.2f}s after it had to wait (write {WRITE_TIMEOUT}s + close "
            f"{CLOSE_TIMEOUT}s); Ana's slowest nod {slowest * 1000:.0f} ms"
        )
        assert peak <= bound
        assert dropped_after <= WRITE_TIMEOUT + CLOSE_TIMEOUT + seconds(0.5)
        if keeps_talking:
            # While Ben reads nothing the server reads nothing of his (server/guard.py): his
            # says wait in the kernel, and only those read before the pause reach his outbox
            # (a few; more on a loaded machine, whose reads take more at once). A server that
            # went on reading would fill the outbox to its limit before dropping him.
            assert peak <= WRITE_LIMIT + 8 * FRAME < OUTBOX_BYTES
        # A server that waited on Ben would hold Ana's nod until his write timed out; a
        # shorter wait is the test machine's load (four test workers share two cores).
        assert slowest < WRITE_TIMEOUT
        assert ana.seated == 1, "Ana's own connection never dropped"

        # Ben's seat was kept: he resumes on a connection he reads, and the round goes on.
        raw.transport.abort()
        raw = ben.websocket = await _open(port)
        await ben.send(t="resume", code=ticket.code, token=ticket.token, after=0)
        log = [Event.from_wire(e) for e in (await _reply(raw, "joined"))["events"]]
        # Like the app, Ben numbers his next box after his boxes in the log, not after all he
        # sealed: the says the server never took leave no gap.
        ben.sealed = sum(1 for event in log if event.by is Seat.B and event.box is not None)
        await ben.send(t="done")
        await ana.until(lambda: ana.events[-1].kind is EventKind.DONE, "Ben's done", 5)
        reflected = "a long day, told at length"
        assert await ana.link.send_sealed(MessageType.REFLECT, {"text": reflected})
        await ana.until(lambda: ana.events[-1].kind is EventKind.REFLECT, "the reflect", 5)
        await ben.send(t="confirm")
        await ana.until(lambda: ana.events[-1].kind is EventKind.CONFIRM, "the confirm", 5)
        while log[-1].kind is not EventKind.CONFIRM:
            log.append(Event.from_wire(await _reply(raw, "event")))

        assert log == [opened.event for opened in ana.events]
        assert [event.seq for event in log] == list(range(1, len(log) + 1))
        replay(log)
        assert log[-1].state.round == 2
        # The whole log opens again with the key alone, and Ana opened every box as it is.
        assert ben.key is not None
        texts = opened_texts(log, Opener(ben.key))
        assert texts == [opened.text for opened in ana.events if opened.text is not None]
        says = texts[1:-1]
        assert len(says) == len(set(says)) >= said
        assert texts[-1] == reflected
        assert ana.stopped is None
        assert not ana.refused
    finally:
        sampler.cancel()
        if flood is not None:
            flood.cancel()
        raw.transport.abort()
        await ana.stop()
