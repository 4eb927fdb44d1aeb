"""Full rounds through a proxy that cuts, stalls and delays at random points: nothing lost."""

import asyncio
import random
import time
from dataclasses import dataclass

import pytest

from server.app import RunningServer
from shared.events import EventKind
from shared.messages import Create, Join
from shared.seats import Phase, Seat
from tests.faults.figures import FIGURES
from tests.faults.proxy import FaultProxy, RandomFaults
from tests.faults.rounds import Member, Script, matches, play, replay
from tests.soak import SEED, rounds
from tests.timing import seconds

CUT_POINTS = rounds(500, 20_000)
"""Cuts that must really happen across all rooms before the rooms stop playing."""
ROOMS = rounds(6, 40)
"""Rooms played at once, each through its own proxy with its own seeded faults."""
MAX_ROUNDS = rounds(200, 5_000)
"""A room stops here even short of the cut target, so a run stays bounded."""
DELAYS = (0.0, 0.005)
"""The link's reconnect delays: at once, then every 5 ms; the real ones are for people."""
MOVE_WITHIN = 10.0
"""Seconds one move may take, through every cut and resume on the way."""


@dataclass
class RoomFigures:
    cuts: int = 0
    stalls: int = 0
    connections: int = 0
    moves: int = 0
    events: int = 0
    resent: int = 0
    rounds: int = 0


async def _both(members: dict[Seat, Member], condition: object, what: str) -> None:
    """Poll until `condition()` holds for the pair; bounded."""
    assert callable(condition)
    async with asyncio.timeout(seconds(MOVE_WITHIN)):
        while not condition():
            for member in members.values():
                assert member.stopped is None, f"{what}: the link stopped: {member.stopped}"
            await asyncio.sleep(0.005)


async def _play_room(
    index: int, server: RunningServer, total_cuts: list[FaultProxy]
) -> RoomFigures:
    """One room: seat both, arm the faults, play rounds until the cut target, calm, leave."""
    rng = random.Random(f"{SEED}-faults-{index}")
    proxy = await FaultProxy(server.port).start()
    total_cuts.append(proxy)
    figures = RoomFigures()
    members: dict[Seat, Member] = {}
    try:
        # Entering has no resume to fall back on: the first connections stay healthy until seated.
        members[Seat.A] = Member(proxy.url, Create(name="Ana"), DELAYS)
        await members[Seat.A].until(lambda: members[Seat.A].seated, "seat a", MOVE_WITHIN)
        ticket = members[Seat.A].link.ticket
        assert ticket is not None
        members[Seat.B] = Member(proxy.url, Join(code=ticket.code, name="Ben"), DELAYS)
        await members[Seat.B].until(lambda: members[Seat.B].seated, "seat b", MOVE_WITHIN)

        proxy.arm(RandomFaults(rng))
        script = Script(rng, f"room{index}")
        played = 0
        while sum(p.cuts for p in total_cuts) < CUT_POINTS and figures.rounds < MAX_ROUNDS:
            script.round()
            figures.rounds += 1
            for move in script.moves[played:]:
                sends = await play(members[move.seat], played, move, MOVE_WITHIN)
                figures.resent += sends > 1
                played += 1

        # Faults off: both links come back, catch up, and someone leaves.
        proxy.calm()
        a, b = members[Seat.A], members[Seat.B]

        def caught_up() -> bool:
            return (
                a.link.websocket is not None
                and b.link.websocket is not None
                and a.events == b.events
                and a.events[-1].state.online == dict.fromkeys(Seat, True)
            )

        await _both(members, caught_up, "both back and caught up")
        leave = script.leave()
        await members[leave.seat].link.leave()
        await _both(
            members,
            lambda: all(m.moves and m.moves[-1].kind is EventKind.LEFT for m in (a, b)),
            "both see the leave",
        )

        # Both transcripts are the same, numbered 1..N, and hold every move exactly once.
        assert a.events == b.events
        assert [event.seq for event in a.events] == list(range(1, len(a.events) + 1))
        assert len(a.moves) == len(script.moves)
        for number, (event, move) in enumerate(zip(a.moves, script.moves, strict=True)):
            assert matches(event, move.change), f"move {number}: {move.change} became {event}"
        replay(a.events)
        assert a.events[-1].state.phase is Phase.ENDED
        assert not a.refused, a.refused
        assert not b.refused, b.refused

        figures.cuts, figures.stalls = proxy.cuts, proxy.stalls
        figures.connections = proxy.accepted
        figures.moves, figures.events = len(script.moves), len(a.events)
        return figures
    finally:
        for member in members.values():
            await member.stop()
        await proxy.close()


@pytest.mark.timeout(rounds(120, 7200))
async def test_random_cuts_lose_nothing_and_double_nothing(server: RunningServer) -> None:
    """Over 500+ random cuts, both transcripts match, seq runs 1..N, each move is there once."""
    started = time.monotonic()
    proxies: list[FaultProxy] = []
    results = await asyncio.gather(*(_play_room(i, server, proxies) for i in range(ROOMS)))
    took = time.monotonic() - started
    cuts = sum(r.cuts for r in results)
    FIGURES.append(
        f"cuts: {cuts} cut points tried ({sum(r.stalls for r in results)} stalls, "
        f"{sum(r.connections for r in results)} connections) over {len(results)} rooms and "
        f"{sum(r.rounds for r in results)} rounds in {took:.1f}s; "
        f"{sum(r.moves for r in results)} moves, {sum(r.events for r in results)} events, "
        f"{sum(r.resent for r in results)} sent again after a cut; none lost, none doubled "
        f"(seed {SEED})"
    )
    assert cuts >= CUT_POINTS
