"""An honest pair on its own loopback address, playing whole rounds while a test attacks."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from shared.codec import MAX_REPLY
from tests.server.wire import Member, Pair, url
from tests.timing import seconds

HONEST_HOST = "127.0.0.2"
"""Linux routes all of 127.0.0.0/8 to loopback: the honest pair is another address, so the
per-address limits the attackers on 127.0.0.1 run into are not theirs."""


@asynccontextmanager
async def honest_member(port: int, host: str = HONEST_HOST) -> AsyncIterator[Member]:
    """A connection from `host` offering `fireside.1`, closed on the way out."""
    async with connect(
        url(port),
        subprotocols=[Subprotocol("fireside.1")],
        max_size=MAX_REPLY,
        open_timeout=seconds(5),
        close_timeout=seconds(2),
        proxy=None,
        local_addr=(host, 0),
    ) as connection:
        yield Member(connection)


@asynccontextmanager
async def honest_pair(port: int) -> AsyncIterator[Pair]:
    """`a` creates a room and `b` joins it, both from HONEST_HOST."""
    async with honest_member(port) as a, honest_member(port) as b:
        created = await a.request({"t": "create", "name": "Ann"})
        assert created["t"] == "joined", created
        joined = await b.request({"t": "join", "code": created["code"], "name": "Bo"})
        assert joined["t"] == "joined", joined
        assert (await a.recv())["kind"] == "joined"
        yield Pair(a, b, created["code"], created["token"], joined["token"])


async def play_round(pair: Pair, number: int = 1) -> float:
    """Round `number`: ask, say, done, reflect, confirm; both see each event. Seconds taken."""
    started = time.monotonic()
    state: dict[str, Any] | None = None
    asker_is_a = number % 2 == 1
    for by_asker, message, phase in (
        (True, {"t": "ask", "text": "What made you smile?"}, "sharing"),
        (False, {"t": "say", "text": "The rain on the window."}, "sharing"),
        (False, {"t": "done"}, "reflecting"),
        (True, {"t": "reflect", "text": "The rain made you smile."}, "confirming"),
        (False, {"t": "confirm"}, "asking"),
    ):
        sender = pair.a if by_asker == asker_is_a else pair.b
        await sender.send(message)
        seen_by_a, seen_by_b = await pair.a.recv(within=5), await pair.b.recv(within=5)
        assert seen_by_a == seen_by_b, (seen_by_a, seen_by_b)
        assert (seen_by_a["t"], seen_by_a["kind"]) == ("event", message["t"]), seen_by_a
        state = seen_by_a["state"]
        assert state["phase"] == phase, state
    assert state is not None
    assert (state["round"], state["asker"]) == (number + 1, "b" if asker_is_a else "a"), state
    return time.monotonic() - started
