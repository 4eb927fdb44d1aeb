"""Floods from one address, each refused by a stated limit while an honest room plays a round.

The attackers are on 127.0.0.1 and the honest pair on 127.0.0.2 (tests/hostile/honest.py),
against a server with the default limits of server/config.py, which docs/protocol.md states.
"""

import asyncio
import random
import string
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from pathlib import Path

from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.app import RunningServer, start_server
from server.config import Limits, ServerConfig
from tests.hostile.honest import honest_member, honest_pair, play_round
from tests.server.wire import Member, member, pair_up
from tests.soak import SEED, rounds
from tests.timing import seconds

LIMITS = Limits()
FLOOD_SECONDS = rounds(ci=2, soak=30)


async def during(flood: Callable[[asyncio.Event], Coroutine[None, None, None]], port: int) -> float:
    """Run `flood` for FLOOD_SECONDS; halfway through, an honest pair pairs and plays a round.

    The pairing (real SPAKE2) and the sealed round must finish while the flood is still going.
    Returns the seconds of both.
    """
    stop = asyncio.Event()
    attack = asyncio.create_task(flood(stop))
    await asyncio.sleep(seconds(FLOOD_SECONDS) / 2)
    assert not attack.done(), attack
    started = time.monotonic()
    async with honest_pair(port) as pair:
        await play_round(pair)
    took = time.monotonic() - started
    assert not attack.done(), "the flood ended before the honest round did"
    await asyncio.sleep(max(0.0, seconds(FLOOD_SECONDS) / 2 - took))
    stop.set()
    await asyncio.wait_for(attack, seconds(10))
    return took


async def test_connections_past_the_per_address_limit_get_429(server: RunningServer) -> None:
    """One address gets `connections_per_address` connections; every further handshake is 429."""
    opened = 0
    refused: Counter[int] = Counter()
    started = time.monotonic()

    async def flood(stop: asyncio.Event) -> None:
        nonlocal opened
        async with AsyncExitStack() as held:
            while not stop.is_set():
                try:
                    await held.enter_async_context(member(server.port))
                    opened += 1
                except InvalidStatus as exc:
                    refused[exc.response.status_code] += 1

    took = await during(flood, server.port)
    elapsed = time.monotonic() - started
    attempts = opened + refused.total()
    print(
        f"\nconnection flood: {attempts} handshakes in {elapsed:.1f} s"
        f" ({attempts / elapsed:.0f}/s); {opened} opened, {refused[429]} refused with 429"
        f" ({refused[429] / elapsed:.0f}/s); the honest pair took {took:.2f} s"
    )
    assert opened == LIMITS.connections_per_address
    assert set(refused) == {429}
    assert refused[429] > LIMITS.connections_per_address


async def test_a_frame_flood_is_limited_then_closed_with_1008(server: RunningServer) -> None:
    """A listener nodding flat out gets `message_burst` nods, `strikes` `rate_limited`, then 1008;
    resuming its seat again and again gives it no new allowance, and soon no resume either."""
    offered = accepted = limited = 0
    closes: Counter[int | None] = Counter()
    resumes_refused: Counter[str] = Counter()
    started = time.monotonic()

    async def flood_once(b: Member) -> None:
        """Nod flat out on `b` until the server closes it; check what one connection got."""
        nonlocal offered, accepted, limited
        counts: Counter[str] = Counter()
        began = time.monotonic()

        async def read() -> None:
            try:
                while True:
                    reply = await b.recv(within=10)
                    counts[reply.get("code") or reply.get("kind") or reply["t"]] += 1
            except ConnectionClosed:
                return

        reader = asyncio.create_task(read())
        try:
            while True:
                await b.send({"t": "nod", "kind": "heart"})
                offered += 1
                # send() seldom waits, and the server shares this event loop.
                await asyncio.sleep(0)
        except ConnectionClosed:
            pass
        await reader
        closes[b.connection.close_code] += 1
        accepted += counts["nod"]
        limited += counts["rate_limited"]
        lasted = time.monotonic() - began
        assert counts["nod"] <= LIMITS.message_burst + LIMITS.messages_per_second * lasted + 1
        assert LIMITS.strikes <= counts["rate_limited"] <= LIMITS.strikes + lasted + 1

    async def flooder(stop: asyncio.Event) -> None:
        async with member(server.port) as a:
            created = await a.request({"t": "create"})
            async with member(server.port) as b:
                joined = await b.request({"t": "join", "code": created["code"]})
                await a.recv()
                # Paired (with bytes the server cannot tell from SPAKE2): round 1, b listens.
                await pair_up(a, b)
                hearing = asyncio.create_task(a.drain())
                await flood_once(b)
            while not stop.is_set():
                async with member(server.port) as b:
                    resume = {"t": "resume", "code": created["code"], "token": joined["token"]}
                    back = await b.request({**resume, "after": 10**9})
                    if back.get("code") == "rate_limited":
                        resumes_refused[back["message"]] += 1
                        await asyncio.sleep(0.05)
                        continue
                    assert back["t"] == "joined", back
                    await flood_once(b)
            await a.connection.close()
            await hearing

    async def flood(stop: asyncio.Event) -> None:
        await asyncio.gather(*(flooder(stop) for _ in range(6)))

    took = await during(flood, server.port)
    elapsed = time.monotonic() - started
    refused = offered - accepted
    print(
        f"\nframe flood: {offered} nods offered in {elapsed:.1f} s ({offered / elapsed:.0f}/s);"
        f" {accepted} accepted ({accepted / elapsed:.0f}/s), {refused} refused"
        f" ({refused / elapsed:.0f}/s), {limited} of them answered rate_limited and the rest"
        f" unread after a close; closes {dict(closes)}; resumes refused {dict(resumes_refused)};"
        f" the honest pair took {took:.2f} s"
    )
    assert set(closes) == {1008}
    assert closes[1008] > 6
    assert resumes_refused["too many resumes; wait a little"] > 0
    # Six seats, each with one allowance however many connections sat in it.
    assert accepted <= 6 * (LIMITS.message_burst + LIMITS.messages_per_second * elapsed + 1)


async def test_join_code_guessing_is_refused_after_the_failed_attempt_limit(
    server: RunningServer,
) -> None:
    """After `failed_attempts` wrong codes an address gets `rate_limited`, even for a right code."""
    rng = random.Random(SEED)
    answers: Counter[str] = Counter()
    started = time.monotonic()
    async with honest_member(server.port) as host:
        waiting = await host.request({"t": "create"})

        async def guesser(stop: asyncio.Event) -> None:
            while not stop.is_set():
                async with member(server.port) as someone:
                    try:
                        while not stop.is_set():
                            code = "".join(rng.choices(string.ascii_uppercase, k=10))
                            reply = await someone.request({"t": "join", "code": code})
                            answers[reply.get("code", reply["t"])] += 1
                    except ConnectionClosed:
                        answers["closed"] += 1

        async def flood(stop: asyncio.Event) -> None:
            await asyncio.gather(*(guesser(stop) for _ in range(4)))

        took = await during(flood, server.port)
        async with member(server.port) as late:
            right = await late.request({"t": "join", "code": waiting["code"]})
        assert right["code"] == "rate_limited"
        async with honest_member(server.port) as partner:
            joined = await partner.request({"t": "join", "code": waiting["code"]})
        assert joined["t"] == "joined"
    elapsed = time.monotonic() - started
    guesses = answers["no_room"] + answers["rate_limited"]
    limited = answers["rate_limited"]
    print(
        f"\ncode guessing: {guesses} guesses answered in {elapsed:.1f} s"
        f" ({guesses / elapsed:.0f}/s); {answers['no_room']} reached the rooms,"
        f" {limited} refused rate_limited ({limited / elapsed:.0f}/s);"
        f" {answers['closed']} guessing connections closed with 1008;"
        f" the honest pair took {took:.2f} s"
    )
    allowed = LIMITS.failed_attempts + LIMITS.failed_attempts_per_second * elapsed
    assert LIMITS.failed_attempts <= answers["no_room"] <= allowed
    assert answers["rate_limited"] > 10 * answers["no_room"]


async def test_one_address_cannot_fill_the_server_with_rooms() -> None:
    """An address creating rooms in a loop gets `rate_limited` after `rooms_per_address`, so a
    server with room for more still seats an honest pair from another address."""
    limits = Limits(max_rooms=3 * Limits().rooms_per_address)
    running = await start_server(ServerConfig(port=0, limits=limits))
    answers: Counter[str] = Counter()
    started = time.monotonic()
    try:

        async def flood(stop: asyncio.Event) -> None:
            while not stop.is_set():
                async with member(running.port) as someone:
                    reply = await someone.request({"t": "create"})
                    answers[reply["code"] if reply["t"] == "error" else reply["t"]] += 1

        took = await during(flood, running.port)
    finally:
        await running.close()
    elapsed = time.monotonic() - started
    print(
        f"\nroom flood: {answers.total()} creates in {elapsed:.1f} s"
        f" ({answers.total() / elapsed:.0f}/s); {answers['joined']} rooms made,"
        f" {answers['rate_limited']} refused rate_limited"
        f" ({answers['rate_limited'] / elapsed:.0f}/s); the honest pair took {took:.2f} s"
    )
    allowed = limits.rooms_per_address + limits.rooms_per_address_per_second * elapsed
    assert limits.rooms_per_address <= answers["joined"] <= allowed
    assert answers["rate_limited"] > answers["joined"]


def test_the_documented_defaults_are_the_servers() -> None:
    """docs/protocol.md, Rate limits, states the defaults of `Limits` as they are."""
    doc = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()
    section = doc.split("## Rate limits", 1)[1].split("\n## ", 1)[0]
    every = {1 / n: f"1 every {n} seconds" for n in (2, 5, 10, 30)}
    rows = [
        (LIMITS.message_burst, f"{LIMITS.messages_per_second:g} a second"),
        (LIMITS.rejection_burst, every[LIMITS.rejections_per_second]),
        (LIMITS.strikes, every[LIMITS.strikes_per_second]),
        (LIMITS.failed_attempts, every[LIMITS.failed_attempts_per_second]),
        (LIMITS.rooms_per_address, every[LIMITS.rooms_per_address_per_second]),
        (LIMITS.resumes_per_address, every[LIMITS.resumes_per_address_per_second]),
        (LIMITS.resumes_per_seat, every[LIMITS.resumes_per_seat_per_second]),
    ]
    for burst, refill in rows:
        assert f"{burst}, then {refill} |" in section, (burst, refill)
    assert f"| connections open from one address | {LIMITS.connections_per_address} |" in section
    assert f"| rooms on the server | {LIMITS.max_rooms:,} |" in section
    assert f"| one room's event log | {LIMITS.max_log_bytes // 2**20} MiB |" in section
    per_address = (LIMITS.bytes_per_address // 2**20, LIMITS.bytes_per_address_per_second // 1024)
    assert (
        "| bytes of frames from one address | {} MiB, then {:g} KiB a second |".format(*per_address)
        in section
    )
    total = LIMITS.max_total_log_bytes // 2**20
    assert f"| every room's log together | {total} MiB |" in section
    assert f"within one room TTL | {LIMITS.rooms_per_address_per_ttl} |" in section
    assert f"beyond those | {LIMITS.handshakes_per_address} |" in section
