"""Full rounds through a proxy that cuts, stalls and delays at random points: nothing lost."""

import asyncio
import random
import time
from dataclasses import dataclass
from functools import partial

import pytest

from server.app import RunningServer
from shared.events import Event, EventKind
from shared.messages import Create, Join
from shared.seats import Phase, Seat
from tests.faults.figures import FIGURES
from tests.faults.proxy import FaultProxy, RandomFaults
from tests.faults.rounds import (
    Member,
    Script,
    check_boxes,
    check_pairing,
    matches,
    play,
    replay,
    words_for,
)
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
    pairing_cuts: int = 0
    """Cuts that landed before both seats were paired."""


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
    """One room: seat both, pair and play rounds through faults until the cut target, calm, leave.

    Entering has no resume to fall back on, so each seat's first connection is healthy until
    it is seated; the faults are armed from there, so every pairing step can be cut.
    """
    rng = random.Random(f"{SEED}-faults-{index}")
    words = words_for(rng)
    proxy = await FaultProxy(server.port).start()
    total_cuts.append(proxy)
    figures = RoomFigures()
    members: dict[Seat, Member] = {}

    def arm_open(member: Member) -> None:
        # a alone: its open connection is cut from here; new ones stay healthy until b is in.
        if member.seated == 1:
            proxy.arm(RandomFaults(rng), fresh=False)

    def arm_all(member: Member) -> None:
        if member.seated == 1:
            proxy.arm(RandomFaults(rng))

    try:
        members[Seat.A] = Member(
            proxy.url, Create(), DELAYS, name="Ana", words=words, on_seated=arm_open
        )
        await members[Seat.A].until(lambda: members[Seat.A].seated, "seat a", MOVE_WITHIN)
        ticket = members[Seat.A].link.ticket
        assert ticket is not None
        members[Seat.B] = Member(
            proxy.url, Join(code=ticket.code), DELAYS, name="Ben", words=words, on_seated=arm_all
        )
        a, b = members[Seat.A], members[Seat.B]
        await _both(members, lambda: a.paired and b.paired, "paired")
        figures.pairing_cuts = proxy.cuts

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

        def caught_up() -> bool:
            return (
                a.link.websocket is not None
                and b.link.websocket is not None
                and logged(a) == logged(b)
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

        # Both transcripts are the same, numbered 1..N, opened alike, and hold every move once.
        events = logged(a)
        assert events == logged(b)
        assert opened(a) == opened(b)
        assert [event.seq for event in events] == list(range(1, len(events) + 1))
        assert len(a.moves) == len(script.moves)
        for number, (seen, move) in enumerate(zip(a.moves, script.moves, strict=True)):
            assert matches(seen, move), f"move {number}: {move} became {seen}"
        texts = [seen.text for seen in a.moves if seen.text is not None]
        assert len(texts) == len(set(texts)), "a plaintext was opened twice"
        check_pairing(a)
        check_pairing(b)
        check_boxes(events, members)
        replay(events)
        assert events[-1].state.phase is Phase.ENDED
        assert not a.refused, a.refused
        assert not b.refused, b.refused

        figures.cuts, figures.stalls = proxy.cuts, proxy.stalls
        figures.connections = proxy.accepted
        figures.moves, figures.events = len(script.moves), len(events)
        return figures
    finally:
        for member in members.values():
            await member.stop()
        await proxy.close()


def logged(member: Member) -> list[Event]:
    """The events of the log as the member got them."""
    return [seen.event for seen in member.events]


def opened(member: Member) -> list[tuple[str | None, str | None, dict[Seat, str | None]]]:
    """What the member opened from each event: text, card, and the names known then."""
    return [(seen.text, seen.card, dict(seen.names)) for seen in member.events]


@pytest.mark.timeout(rounds(120, 7200))
async def test_random_cuts_lose_nothing_and_double_nothing(server: RunningServer) -> None:
    """Over 500+ random cuts, pairing included, both transcripts match and open alike, seq runs
    1..N, each move's plaintext and box is there once."""
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
        f"{sum(r.resent for r in results)} sent again after a cut; "
        f"{sum(r.pairing_cuts for r in results)} cuts during pairing; none lost, none doubled "
        f"(seed {SEED})"
    )
    assert cuts >= CUT_POINTS


PAIRINGS = rounds(120, 2_000)
"""Rooms that only pair, with every fault aimed at the pairing's few hundred bytes."""
PAIRING_FAULTS = {"up_span": 600, "down_span": 2500}
"""After the seat a `pake`, a `verify` and a `hello` go up (about 160 bytes) and their six
events come down (about 1,200 bytes); a new connection first spends some 300 bytes up on its
handshake and `resume` and gets the log back. Some connections stay whole, or none would
ever be seated again once the log outgrew the span."""


async def _pair_room(index: int, server: RunningServer) -> tuple[int, int]:
    """One room pairs through faults aimed at its pairing, then a sealed question goes across.

    Returns the cuts that landed before both were paired, and how many times the two links
    were seated again (each resume re-reads the log and sends only the steps it lacks)."""
    rng = random.Random(f"{SEED}-pairing-{index}")
    words = words_for(rng)
    proxy = await FaultProxy(server.port).start()
    members: dict[Seat, Member] = {}

    def arm(member: Member, *, fresh: bool) -> None:
        if member.seated == 1:
            proxy.arm(RandomFaults(rng, cut_chance=0.6, **PAIRING_FAULTS), fresh=fresh)

    try:
        a = members[Seat.A] = Member(
            proxy.url,
            Create(),
            DELAYS,
            name="Ana",
            words=words,
            on_seated=partial(arm, fresh=False),
        )
        await a.until(lambda: a.seated, "seat a", MOVE_WITHIN)
        assert a.link.ticket is not None
        b = members[Seat.B] = Member(
            proxy.url,
            Join(code=a.link.ticket.code),
            DELAYS,
            name="Ben",
            words=words,
            on_seated=partial(arm, fresh=True),
        )
        await _both(members, lambda: a.paired and b.paired, "paired")
        cuts = proxy.cuts
        proxy.calm()
        check_pairing(a)
        check_pairing(b)
        assert a.link.key == b.link.key
        script = Script(rng, f"pairing{index}")
        script.round()
        for number, move in enumerate(script.moves):
            await play(members[move.seat], number, move, MOVE_WITHIN)
        await _both(members, lambda: logged(a)[-1:] == logged(b)[-1:], "both see the round")
        assert opened(a)[-len(script.moves) :] == opened(b)[-len(script.moves) :]
        replay(logged(a))
        assert not a.refused, a.refused
        assert not b.refused, b.refused
        return cuts, a.seated + b.seated - 2
    finally:
        for member in members.values():
            await member.stop()
        await proxy.close()


@pytest.mark.timeout(rounds(120, 7200))
async def test_pairing_survives_cuts_in_every_step(server: RunningServer) -> None:
    """Cuts aimed at the pairing: each seat's `pake`, `verify` and `hello` lands in the log
    exactly once (a repeat would be refused `wrong_phase`), the keys agree, and a round follows."""
    started = time.monotonic()
    results = []
    for batch in range(0, PAIRINGS, ROOMS):
        results += await asyncio.gather(
            *(_pair_room(i, server) for i in range(batch, min(batch + ROOMS, PAIRINGS)))
        )
    took = time.monotonic() - started
    cuts = sum(cut for cut, _ in results)
    FIGURES.append(
        f"pairing: {cuts} cuts landed in {PAIRINGS} pairings ({sum(r for _, r in results)} "
        f"resumes) in {took:.1f}s; every step logged once, keys equal, a round after each "
        f"(seed {SEED})"
    )
    assert cuts >= PAIRINGS // 2
