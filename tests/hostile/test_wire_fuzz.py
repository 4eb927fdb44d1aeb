"""Thousands of hostile frames over real websockets: no error in the server log, and an honest
room on the same server goes on playing whole rounds meanwhile."""

import asyncio
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from websockets.exceptions import ConnectionClosed

from server.app import RunningServer, start_server
from server.config import Limits, ServerConfig
from tests.hostile.frames import hostile_frames
from tests.hostile.honest import honest_pair, play_round
from tests.server.wire import Member, member, pair_up
from tests.soak import SEED, rounds
from tests.timing import seconds

DRAWN = rounds(ci=700, soak=20_000)
"""Frames drawn by hypothesis; each also goes out cut short and with a byte changed."""
FUZZERS = 4
SEATED = ("paired", None, "waiting", None)
"""Where each fuzzer sends from: a paired room of its own, the lobby, a room still pairing."""

GENEROUS = Limits(
    message_burst=10**9,
    rejection_burst=10**9,
    failed_attempts=10**9,
    rooms_per_address=10**9,
    bytes_per_address=10**12,
)
"""Limits that let every fuzz frame reach the rules; the flood tests keep the real ones."""


@pytest.fixture
async def roomy_server() -> AsyncIterator[RunningServer]:
    running = await start_server(ServerConfig(port=0, limits=GENEROUS))
    try:
        yield running
    finally:
        await running.close()


def variants(frames: list[bytes]) -> list[bytes]:
    """Each frame as drawn, cut at a random point, and with one random byte changed."""
    rng = random.Random(SEED)
    out: list[bytes] = []
    for frame in frames:
        out.append(frame)
        out.append(frame[: rng.randrange(len(frame) + 1)])
        if frame:
            at = rng.randrange(len(frame))
            out.append(frame[:at] + bytes([rng.randrange(256)]) + frame[at + 1 :])
    return out


BATCH = 50
"""Frames sent before waiting for the answer to a MARK: what a close can leave unread."""
MARK = 2**53
"""The `id` of the frame after each batch: its answer means the batch's replies are in."""


async def replies_until_mark(someone: Member, replies: Counter[str]) -> None:
    """Count every reply until the answer to MARK; ConnectionClosed if the server closes first."""
    while True:
        reply = await someone.recv(within=30)
        if reply.get("re") == MARK:
            return
        replies[reply["t"] if reply["t"] != "error" else reply["code"]] += 1


async def fuzz(
    port: int, frames: list[bytes], seated: str | None, honest_code: str, tally: Counter[str]
) -> None:
    """Send `frames` in batches, from a room of its own if `seated` (`waiting` to pair, or
    `paired` and in round 1), on a new connection after
    the server closes one; `tally` counts replies, closes and frames left unread by a close."""
    sent = 0
    while sent < len(frames):
        async with member(port) as someone, member(port) as partner:
            tally["connections"] += 1
            if seated is not None:
                created = await someone.request({"t": "create"})
                await partner.request({"t": "join", "code": created["code"]})
                await someone.recv()
                if seated == "paired":
                    await pair_up(someone, partner)
            hearing = asyncio.create_task(partner.drain())
            # The honest room's code, so joins and resumes aimed at it are fuzzed too.
            await someone.send({"t": "join", "code": honest_code})
            await someone.send({"t": "resume", "code": honest_code, "token": "x" * 22, "after": 0})
            try:
                while sent < len(frames):
                    batch = frames[sent : sent + BATCH]
                    sent += len(batch)
                    for frame in batch:
                        await someone.connection.send(frame)
                    await someone.send({"t": "dance", "id": MARK})
                    answered: Counter[str] = Counter()
                    try:
                        await replies_until_mark(someone, answered)
                    finally:
                        tally.update(answered)
                    # Accepted `typing` is the one message with no reply to its sender.
                    assert answered.total() >= 0.9 * len(batch), answered
            except ConnectionClosed:
                tally[f"closed {someone.connection.close_code}"] += 1
                tally["left unread by a close"] += len(batch) - answered.total()
            await partner.connection.close()
            await hearing


async def test_hostile_frames_leave_no_error_and_an_honest_round_finishes(
    roomy_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """No hostile frame puts an ERROR in the server log, and an honest pair pairs and finishes
    sealed rounds meanwhile."""
    caplog.set_level(logging.INFO)
    frames = variants(hostile_frames(DRAWN))
    tally: Counter[str] = Counter()
    port = roomy_server.port
    async with honest_pair(port) as pair:
        # Half the fuzzers send from a room of their own, one still pairing and one paired, so
        # the pairing and the rounds are fuzzed too.
        fuzzers = [
            asyncio.create_task(fuzz(port, frames[i::FUZZERS], SEATED[i], pair.code, tally))
            for i in range(FUZZERS)
        ]
        rounds_played = 0
        while not all(task.done() for task in fuzzers) or rounds_played == 0:
            rounds_played += 1
            await play_round(pair, rounds_played)
        await asyncio.wait_for(asyncio.gather(*fuzzers), seconds(60))
    print(
        f"\nwire fuzz: {len(frames)} frames from {DRAWN} hypothesis draws: {dict(tally)};"
        f" {rounds_played} honest rounds finished meanwhile"
    )
    assert len(frames) >= 3 * DRAWN - DRAWN // 10
    assert tally["left unread by a close"] <= BATCH * tally["connections"]
    for code in ("bad_frame", "unknown_type", "bad_field", "not_in_room", "in_room", "wrong_phase"):
        assert tally[code] > 0, code
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert any("opened" in r.getMessage() for r in caplog.records), "the log was not captured"
    assert rounds_played >= 1
