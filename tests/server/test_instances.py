"""Several `fireside-server` processes on one PostgreSQL database serve the same rooms: each
move is judged once, seq by seq, whichever server its sender is on (docs/deploy.md, Several
servers on one database)."""

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import psycopg
from websockets.exceptions import ConnectionClosed

from shared.events import Event
from shared.session import Session
from tests.server.holder import DONE_BOX, NOD_BOX, Holder, move, seqs_of
from tests.server.wire import member, pairing
from tests.server_process import ServerProcess, server_process
from tests.timing import seconds


@asynccontextmanager
async def servers(url: str, count: int = 2) -> AsyncIterator[list[ServerProcess]]:
    """`count` real server processes on the database at `url`, each on a port of its own."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(server_process("--data", url)) for _ in range(count)]


@asynccontextmanager
async def holders(*ports: int) -> AsyncIterator[list[Holder]]:
    async with AsyncExitStack() as stack:
        yield [Holder(await stack.enter_async_context(member(port))) for port in ports]


async def seat_across(a: Holder, b: Holder) -> tuple[dict[str, Any], dict[str, Any]]:
    """`a` creates a room on its server and `b` joins it on another, at once, as a partner
    typing the code fast would; both pair. The `joined` replies."""
    created = await a.request({"t": "create"})
    joined = await b.request({"t": "join", "code": created["code"]})
    assert joined["t"] == "joined", joined
    await a.next()
    for step_a, step_b in zip(pairing("a"), pairing("b"), strict=True):
        await move(a, b, step_a)
        await move(b, a, step_b)
    return created, joined


async def until_quiet(holder: Holder) -> list[dict[str, Any]]:
    """What arrives until nothing has for half a second, or the server closes."""
    received: list[dict[str, Any]] = []
    with contextlib.suppress(ConnectionClosed):
        while True:
            try:
                received.append(await holder.connection.recv(within=0.5))
            except TimeoutError:
                break
    return received


def replayed(holder: Holder) -> Session:
    """The room as the shared rules make it from the events alone, seq 1 on."""
    session = Session()
    for seq in sorted(holder.events):
        session.observe(Event.from_wire(holder.events[seq]))
    return session


async def test_partners_on_two_servers_finish_a_round(postgres_url: str) -> None:
    """Ana on one server and Ben on the other pair, ask, share, nod, reflect and confirm; each
    sees every event once, in order, the same as the other, and round 2 begins."""
    async with servers(postgres_url) as (one, two), holders(one.port, two.port) as (a, b):
        await seat_across(a, b)
        await move(a, b, {"t": "ask", "box": b"\x00sealed: what made you smile today?"})
        await move(b, a, {"t": "say", "box": b"\x01sealed: the tram driver waved."})
        await move(a, b, {"t": "nod", "kind": "heart", "box": NOD_BOX})
        await move(b, a, {"t": "done", "box": DONE_BOX})
        await move(a, b, {"t": "reflect", "box": b"\x02sealed: small kindnesses"})
        await move(b, a, {"t": "confirm", "box": b"\x03sealed: yes"})
        assert a.events == b.events
        assert seqs_of(a) == list(range(1, 15))
        state = a.events[14]["state"]
        assert (state["round"], state["asker"], state["phase"]) == (2, "b", "asking")
        assert replayed(a).state.to_wire() == state


async def test_moves_racing_through_two_servers_each_take_one_seq(postgres_url: str) -> None:
    """Ben shares 30 times on one server while Ana nods 30 times on the other, in three rooms
    at once, as fast as each can send: every move is accepted exactly once, the seqs run with
    no gap or double, both partners hold the same log, and the floor is what the rules make
    of it."""
    says, nods = 30, 30  # within one connection's burst of 40, with the pairing before
    async with servers(postgres_url) as (one, two), AsyncExitStack() as stack:
        rooms = []
        for _ in range(3):
            a, b = await stack.enter_async_context(holders(one.port, two.port))
            await seat_across(a, b)
            await move(a, b, {"t": "ask", "box": b"\x00sealed: how was it?"})
            rooms.append((a, b))

        async def race(a: Holder, b: Holder) -> None:
            for i in range(max(says, nods)):
                if i < says:
                    await b.connection.send({"t": "say", "box": bytes([i]) * 20})
                if i < nods:
                    await a.connection.send({"t": "nod", "kind": "heart", "box": NOD_BOX})
            head = 9 + says + nods
            while a.last_seq < head or b.last_seq < head:
                await asyncio.gather(*(h.next() for h in (a, b) if h.last_seq < head))

        await asyncio.wait_for(asyncio.gather(*(race(a, b) for a, b in rooms)), seconds(30))
        for a, b in rooms:
            assert a.events == b.events
            assert seqs_of(a) == list(range(1, 10 + says + nods))
            kinds = [a.events[seq]["kind"] for seq in range(10, 10 + says + nods)]
            assert (kinds.count("say"), kinds.count("nod")) == (says, nods)
            shared = [a.events[seq]["box"] for seq in range(10, 10 + says + nods)]
            assert [box for box in shared if box != NOD_BOX] == [
                bytes([i]) * 20 for i in range(says)
            ], "Ben's words in the order he sent them"
            assert replayed(a).state.to_wire() == a.events[max(a.events)]["state"]
            await a.connection.nothing(0.3)
    with psycopg.connect(postgres_url) as db:
        kept = db.execute(
            "SELECT count(*), count(DISTINCT seq), max(seq), min(head_seq) FROM events"
            " JOIN rooms USING (room_key) GROUP BY room_key"
        ).fetchall()
    # The partners' `away`s as they close may land or not; whatever is kept runs 1…head.
    assert len(kept) == 3
    for count, distinct, highest, head in kept:
        assert count == distinct == highest == head >= 9 + says + nods


async def test_two_leaves_at_once_on_two_servers_end_the_room_once(postgres_url: str) -> None:
    """Both partners leave at the same moment, each through a server of their own: one `left`
    is recorded, the other leave gets the answer one server would give it after the first."""
    async with servers(postgres_url) as (one, two), holders(one.port, two.port) as (a, b):
        await seat_across(a, b)
        await asyncio.gather(
            a.connection.send({"t": "leave", "id": 1}),
            b.connection.send({"t": "leave", "id": 2}),
        )
        replies = [reply for holder in (a, b) for reply in await until_quiet(holder)]
        lefts = {r["seq"]: r for r in replies if r.get("t") == "event" and r["kind"] == "left"}
        errors = [r for r in replies if r.get("t") == "error"]
        assert len(lefts) == 1, replies
        assert [e["code"] for e in errors] == ["ended"], replies
        refused = {1: "a", 2: "b"}[errors[0]["re"]]
        assert next(iter(lefts.values()))["by"] != refused, "the leave that lost is the other"


async def test_a_seat_resumed_on_the_other_server_closes_the_old_connection(
    postgres_url: str,
) -> None:
    """Ben resumes on the other server while his first connection is still open: the old one
    is closed as taken over (4001) and records no `away`. Ben's `back` is recorded, since no
    server can tell a seat held elsewhere from one whose server died."""
    async with servers(postgres_url) as (one, two), holders(one.port, two.port) as (a, b):
        created, joined = await seat_across(a, b)
        async with member(one.port) as again:
            back = await again.request(
                {"t": "resume", "code": created["code"], "token": joined["token"], "after": 8}
            )
            assert (back["t"], [e["kind"] for e in back["events"]]) == ("joined", ["back"])
            assert await b.connection.closed_with() == 4001
            assert (await a.next())["kind"] == "back"
            await a.connection.nothing(0.3)
            await again.send({"t": "ask", "box": b"\x00sealed: not b's turn"})
            assert (await again.recv())["code"] == "listening", "b is a listener, seated"


async def test_a_killed_server_s_members_go_on_through_the_other(postgres_url: str) -> None:
    """`kill -9` the server Ana is on, mid-round: she resumes on the other within a few seconds
    and the round goes on, nothing lost or doubled, Ben untouched on his."""
    async with servers(postgres_url) as (one, two), holders(one.port, two.port) as (a, b):
        created, _ = await seat_across(a, b)
        await move(a, b, {"t": "ask", "box": b"\x00sealed: what was hard?"})
        await move(b, a, {"t": "say", "box": b"\x01sealed: the move."})
        one.process.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(one.process.wait(), seconds(5)) == -signal.SIGKILL
        await a.connection.closed_with()
        async with member(two.port) as again:
            a.connection = again
            back = await a.request(
                {"t": "resume", "code": created["code"], "token": created["token"], "after": 10}
            )
            assert [(e["kind"], e["by"]) for e in back["events"]] == [("back", "a")]
            assert (back["resync"], back["epoch"]) == (False, created["epoch"])
            await b.next()
            await move(a, b, {"t": "nod", "kind": "heart", "box": NOD_BOX})
            await move(b, a, {"t": "done", "box": DONE_BOX})
            assert a.events == b.events
            assert seqs_of(a) == list(range(1, 14)), "nothing lost, nothing doubled"
