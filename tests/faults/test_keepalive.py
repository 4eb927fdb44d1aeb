"""Keepalive: a link that goes silent without a FIN is found out, and its member shown away."""

import random
import time
from collections.abc import AsyncIterator

import pytest

from server.app import RunningServer, start_server
from server.config import ServerConfig
from shared.events import EventKind
from shared.messages import Create, Join, Nod
from shared.seats import NodKind, Seat
from shared.wire import CloseCode
from tests.faults.conftest import SCRIPT_LIMITS
from tests.faults.figures import FIGURES
from tests.faults.proxy import Direction, FaultProxy
from tests.faults.rounds import Member, words_for
from tests.server.wire import member
from tests.soak import SEED
from tests.timing import seconds

PING_INTERVAL = 0.2
PING_TIMEOUT = 0.3
CLOSE_TIMEOUT = 0.2
BOUND = PING_INTERVAL + PING_TIMEOUT + CLOSE_TIMEOUT
"""docs/protocol.md, Keepalive: away within ping interval + ping timeout + close timeout."""
DELAYS = (0.05,)


@pytest.fixture
async def quick_keepalive() -> AsyncIterator[RunningServer]:
    """A server whose keepalive runs in tenths of a second instead of tens of seconds."""
    running = await start_server(
        ServerConfig(
            port=0,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            close_timeout=CLOSE_TIMEOUT,
            limits=SCRIPT_LIMITS,
        )
    )
    try:
        yield running
    finally:
        await running.close()


async def test_a_half_open_link_is_away_within_the_stated_bound(
    quick_keepalive: RunningServer,
) -> None:
    """Once paired, a blackholed connection (no FIN, no RST) becomes `away` within the bound;
    Ben goes on."""
    proxy = await FaultProxy(quick_keepalive.port).start()
    members: list[Member] = []
    try:
        words = words_for(random.Random(f"{SEED}-keepalive"))
        ana = Member(proxy.url, Create(), DELAYS, name="Ana", words=words)
        members.append(ana)
        await ana.until(lambda: ana.seated, "Ana seated", 5)
        assert ana.link.ticket is not None
        direct = f"ws://127.0.0.1:{quick_keepalive.port}"
        ben = Member(direct, Join(code=ana.link.ticket.code), DELAYS, name="Ben", words=words)
        members.append(ben)
        await ben.until(lambda: ben.paired, "Ben paired", 5)
        await ana.until(lambda: ana.paired, "Ana paired", 5)

        # Ana's link goes silent both ways and stays open: a laptop lid shut, a dead NAT entry.
        proxy.blackhole()
        silent_at = time.monotonic()
        await ben.until(
            lambda: ben.events[-1].kind is EventKind.AWAY and ben.events[-1].by is Seat.A,
            "Ben sees Ana away",
            BOUND * 10,
        )
        took = time.monotonic() - silent_at
        FIGURES.append(
            f"keepalive: a silent link was away after {took:.2f}s "
            f"(bound {BOUND:.2f}s = ping {PING_INTERVAL} + timeout {PING_TIMEOUT} "
            f"+ close {CLOSE_TIMEOUT})"
        )
        # Before the pong was due nothing could tell; after the bound it must be known.
        assert PING_TIMEOUT <= took <= BOUND + seconds(0.3)

        # Ben is unaffected: as the listener he may still nod, and the room records it.
        assert await ben.link.send(Nod(kind=NodKind.HEART))
        await ben.until(lambda: ben.events[-1].kind is EventKind.NOD, "Ben's nod", 5)
        assert not ben.refused
    finally:
        await proxy.close()
        for member in members:
            await member.stop()


async def test_a_peer_that_never_answers_pings_is_closed_with_going_away(
    quick_keepalive: RunningServer,
) -> None:
    """A peer whose pongs never arrive is closed with 1001, not 1011: the peer went away, the
    server did not fail (docs/protocol.md, Close codes)."""
    async with FaultProxy(quick_keepalive.port) as proxy, member(proxy.port) as peer:
        assert (await peer.request({"t": "create"}))["t"] == "joined"
        # It still reads what the server sends, the close frame included; its pongs stay here.
        proxy.hold(Direction.UP)
        assert await peer.closed_with(within=BOUND * 10) == CloseCode.GOING_AWAY
