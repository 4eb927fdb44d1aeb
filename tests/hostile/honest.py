"""An honest pair on its own loopback address: it pairs for real, then plays whole sealed rounds
while a test attacks."""

import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from shared.codec import MAX_REPLY
from shared.crypto.boxes import Opener, Sealer
from shared.crypto.invite import WORD_COUNT, WORDS
from shared.crypto.pairing import Pairing, RoomKey
from shared.messages import MessageType
from shared.seats import Seat
from tests.server.wire import Member, Pair, url
from tests.soak import SEED
from tests.timing import seconds

HONEST_HOST = "127.0.0.2"
"""Linux routes all of 127.0.0.0/8 to loopback: the honest pair is another address, so the
per-address limits the attackers on 127.0.0.1 run into are not theirs."""

_words = random.Random(f"{SEED}-honest")


@asynccontextmanager
async def honest_member(port: int, host: str = HONEST_HOST) -> AsyncIterator[Member]:
    """A connection from `host` offering `fireside.2`, closed on the way out."""
    async with connect(
        url(port),
        subprotocols=[Subprotocol("fireside.2")],
        max_size=MAX_REPLY,
        open_timeout=seconds(5),
        close_timeout=seconds(2),
        proxy=None,
        local_addr=(host, 0),
    ) as connection:
        yield Member(connection)


class HonestPair(Pair):
    """Two members paired with SPAKE2 over the same words: each seals with its seat's key and
    opens everything the room relays, its own boxes and the partner's."""

    def __init__(self, pair: Pair, key: RoomKey) -> None:
        super().__init__(pair.a, pair.b, pair.code, pair.a_token, pair.b_token)
        self.key = key
        self.sealers = {seat: Sealer(key, seat, sealed=1) for seat in Seat}
        self.openers = {seat: Opener(key) for seat in Seat}
        """Each member's own opener, as its client would hold it."""

    def member(self, seat: Seat) -> Member:
        return self.a if seat is Seat.A else self.b


async def _both_see(a: Member, b: Member, kind: str) -> dict[str, Any]:
    """The next event, the same for both, of `kind`."""
    seen_by_a, seen_by_b = await a.recv(within=5), await b.recv(within=5)
    assert seen_by_a == seen_by_b, (seen_by_a, seen_by_b)
    assert (seen_by_a["t"], seen_by_a["kind"]) == ("event", kind), seen_by_a
    return seen_by_a


@asynccontextmanager
async def honest_pair(port: int) -> AsyncIterator[HonestPair]:
    """`a` creates a room and `b` joins it, both from HONEST_HOST; they pair with real SPAKE2,
    check each other's `verify`, and each opens both sealed hellos: round 1, `a` asks."""
    words = tuple(_words.choice(WORDS) for _ in range(WORD_COUNT))
    async with honest_member(port) as a, honest_member(port) as b:
        created = await a.request({"t": "create"})
        assert created["t"] == "joined", created
        joined = await b.request({"t": "join", "code": created["code"]})
        assert joined["t"] == "joined", joined
        assert (await a.recv())["kind"] == "joined"
        members = {Seat.A: a, Seat.B: b}
        pairings = {seat: Pairing(created["code"], words) for seat in Seat}
        messages = {}
        for seat in Seat:
            await members[seat].send({"t": "pake", "msg": pairings[seat].message})
            messages[seat] = (await _both_see(a, b, "pake"))["msg"]
        keys = {seat: pairings[seat].finish(messages[seat.partner]) for seat in Seat}
        assert keys[Seat.A] == keys[Seat.B], "the honest pairing did not agree"
        for seat in Seat:
            await members[seat].send({"t": "verify", "mac": keys[seat].verifier(seat)})
            mac = (await _both_see(a, b, "verify"))["mac"]
            assert keys[seat.partner].verifies(seat, mac)
        pair = HonestPair(
            Pair(a, b, created["code"], created["token"], joined["token"]), keys[Seat.A]
        )
        names = {Seat.A: "Ann", Seat.B: "Bo"}
        last: dict[str, Any] = {}
        for seat in Seat:
            box = Sealer(pair.key, seat).seal(MessageType.HELLO, {"name": names[seat]})
            await members[seat].send({"t": "hello", "box": box})
            last = await _both_see(pair.a, pair.b, "hello")
            for opener in pair.openers.values():
                assert opener.open(seat, MessageType.HELLO, last["box"]) == {"name": names[seat]}
        assert last["state"]["phase"] == "asking", last
        yield pair


async def play_round(pair: HonestPair, number: int = 1) -> float:
    """Round `number`: ask, say, done, reflect, confirm, each sealed; both see each event and
    open each box to what was sealed. Seconds taken."""
    started = time.monotonic()
    state: dict[str, Any] | None = None
    asker = Seat.A if number % 2 == 1 else Seat.B
    steps: tuple[tuple[Seat, str, dict[str, str], str], ...] = (
        (asker, "ask", {"text": f"What made you smile? ({number})"}, "sharing"),
        (asker.partner, "say", {"text": "The rain on the window."}, "sharing"),
        (asker.partner, "done", {}, "reflecting"),
        (asker, "reflect", {"text": "The rain made you smile."}, "confirming"),
        (asker.partner, "confirm", {}, "asking"),
    )
    for seat, t, words, phase in steps:
        # Every move after the pairing is sealed, a `done` and a `confirm` as an empty map.
        box = pair.sealers[seat].seal(MessageType(t), words)
        await pair.member(seat).send({"t": t, "box": box})
        seen = await _both_see(pair.a, pair.b, t)
        assert seen["box"] == box
        for opener in pair.openers.values():
            assert opener.open(seat, MessageType(t), seen["box"]) == words
        state = seen["state"]
        assert state["phase"] == phase, state
    assert state is not None
    assert (state["round"], state["asker"]) == (number + 1, str(asker.partner)), state
    return time.monotonic() - started
