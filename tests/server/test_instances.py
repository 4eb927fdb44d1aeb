"""Several `fireside-server` processes on one PostgreSQL database serve the same rooms: each
move is judged once, seq by seq, whichever server its sender is on (docs/deploy.md, Several
servers on one database)."""

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import psycopg
import pytest
from websockets.exceptions import ConnectionClosed

from server.app import start_server
from server.config import ServerConfig
from shared.events import Event
from shared.session import Session
from tests.db.haproxy import load_balancer
from tests.db.postgres import crash, fresh_database, restart, throwaway_postgres
from tests.server.holder import DONE_BOX, NOD_BOX, Holder, move, seqs_of
from tests.server.http import http_get
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


async def test_partners_on_two_servers_finish_a_round(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana on one server and Ben on the other pair, ask, share, nod, reflect and confirm; each
    sees every event once, in order, the same as the other, and round 2 begins. The second
    server has its database from FIRESIDE_DATABASE_URL, as a unit's environment file gives it;
    the first from `--store`, the name `--data` also goes by."""
    monkeypatch.setenv("FIRESIDE_DATABASE_URL", postgres_url)
    async with (
        server_process("--store", postgres_url) as one,
        server_process() as two,
        holders(one.port, two.port) as (a, b),
    ):
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


async def connections_on(port: int) -> int:
    status, body = await http_get(port, "/healthz")
    assert status == 200
    count = json.loads(body)["connections"]
    assert isinstance(count, int)
    return count


async def test_behind_haproxy_a_killed_server_s_member_resumes_on_the_other(
    postgres_url: str,
) -> None:
    """Two servers behind a real HAProxy, one address for both partners: the balancer puts
    them on different servers and they pair and start a round. `kill -9` one server: the
    partner it held connects to the same address again, reaches the other server, resumes
    within a few seconds, and the round goes on, nothing lost or doubled."""
    async with servers(postgres_url) as (one, two):
        with load_balancer([one.port, two.port]) as balancer:
            async with holders(balancer.port, balancer.port) as (a, b):
                created, joined = await seat_across(a, b)
                assert [await connections_on(one.port), await connections_on(two.port)] == [1, 1]
                await move(a, b, {"t": "ask", "box": b"\x00sealed: what was hard?"})
                await move(b, a, {"t": "say", "box": b"\x01sealed: the move."})
                one.process.send_signal(signal.SIGKILL)
                assert await asyncio.wait_for(one.process.wait(), seconds(5)) == -signal.SIGKILL
                dropped, token = await asyncio.wait_for(
                    first_closed(a, created, b, joined), seconds(5)
                )
                started = time.monotonic()
                async with member(balancer.port) as again:
                    dropped.connection = again
                    back = await dropped.request(
                        {
                            "t": "resume",
                            "code": created["code"],
                            "token": token,
                            "after": dropped.last_seq,
                        }
                    )
                    took = time.monotonic() - started
                    assert back["resync"] is False
                    assert [e["kind"] for e in back["events"]] == ["back"]
                    await (b if dropped is a else a).next()
                    await move(a, b, {"t": "nod", "kind": "heart", "box": NOD_BOX})
                    await move(b, a, {"t": "done", "box": DONE_BOX})
                    await move(a, b, {"t": "reflect", "box": b"\x02sealed: it was a lot"})
                    await move(b, a, {"t": "confirm", "box": b"\x03sealed: yes"})
                    assert a.events == b.events
                    assert seqs_of(a) == list(range(1, 16)), "no gap, no double"
                    assert a.events[15]["state"]["round"] == 2
                    assert took < 5, f"back after {took:.1f} s"


async def first_closed(
    a: Holder, a_joined: dict[str, Any], b: Holder, b_joined: dict[str, Any]
) -> tuple[Holder, str]:
    """The member whose connection the killed server held, and its seat's token."""
    while True:
        for holder, joined in ((a, a_joined), (b, b_joined)):
            if holder.connection.connection.close_code is not None:
                return holder, joined["token"]
        await asyncio.sleep(0.02)


async def test_an_event_acknowledged_before_postgresql_is_killed_is_there_after() -> None:
    """`kill -9` PostgreSQL (every process of it) right after a move is acknowledged: the
    server's `/healthz` turns 503 while it is gone; once it has started again, the event is in
    the database and in a resume's log, and the round goes on through the same server, which
    connects again by itself."""
    with throwaway_postgres() as database:
        url = fresh_database(database)
        async with servers(url, count=1) as (one,), holders(one.port, one.port) as (a, b):
            created, _ = await seat_across(a, b)
            await move(a, b, {"t": "ask", "box": b"\x00sealed: what do you miss?"})
            crash(database)
            # Its balancer's check now takes it out: it could not keep a move.
            assert await healthz_db(one.port, until=lambda db: db != "ok") == "not listening"
            restart(database)
            with psycopg.connect(url) as db:
                row = db.execute("SELECT kind, sealed FROM events WHERE seq = 9").fetchone()
            assert row == ("ask", b"\x00sealed: what do you miss?")
            # The server's connection died with the database: the first write after may be
            # refused `rate_limited`, never lost or doubled, and sent again as a client would.
            for _ in range(3):
                await b.connection.send({"t": "say", "id": 7, "box": b"\x01sealed: you."})
                reply = await b.connection.recv()
                if reply["t"] == "event":
                    b.hold(reply)
                    break
                assert (reply["code"], reply["re"]) == ("rate_limited", 7)
            assert (await a.next())["kind"] == "say"
            async with member(one.port) as again:
                log = await again.request(
                    {"t": "resume", "code": created["code"], "token": created["token"], "after": 0}
                )
            kinds = [e["kind"] for e in log["events"]]
            assert kinds[8:10] == ["ask", "say"], "each once, in order"
            assert await healthz_db(one.port) == "ok", "listening to the others again too"


async def healthz_db(
    port: int, until: Callable[[str], bool] = "ok".__eq__, within: float = 5.0
) -> str:
    """What `/healthz` says of the database, once it says what `until` waits for or `within`
    seconds pass; its status is 200 for `ok` alone."""
    deadline = time.monotonic() + seconds(within)
    while True:
        status, body = await http_get(port, "/healthz")
        said = json.loads(body)["db"]
        assert isinstance(said, str)
        assert status == (200 if said == "ok" else 503), (status, said)
        if until(said) or time.monotonic() > deadline:
            return said
        await asyncio.sleep(0.1)


async def test_an_idle_room_expires_on_every_server_and_its_rows_go(postgres_url: str) -> None:
    """Expiry runs on each server: a room idle past the TTL is gone from both, its members on
    each closed with 1001, and no row of it is left in the database."""
    config = ServerConfig(port=0, data=postgres_url, room_ttl=1.0, sweep_interval=0.2)
    one = await start_server(config)
    two = await start_server(config)
    try:
        async with holders(one.port, two.port) as (a, b):
            await seat_across(a, b)
            codes = await asyncio.gather(  # both closed by the sweep of their own server
                a.connection.closed_with(within=5), b.connection.closed_with(within=5)
            )
            assert list(codes) == [1001, 1001]
        for running in (one, two):
            _, body = await http_get(running.port, "/healthz")
            assert json.loads(body)["rooms"] == 0
        # The sweep closes at once and deletes the rows behind the commits: wait for them.
        deadline = time.monotonic() + seconds(5)
        while (counts := rows_left(postgres_url)) != [0] * len(TABLES):
            assert time.monotonic() < deadline, counts
            await asyncio.sleep(0.05)
    finally:
        await one.close()
        await two.close()


TABLES = ("rooms", "seats", "events")


def rows_left(url: str) -> list[int]:
    with psycopg.connect(url) as db:
        counts = [db.execute(f"SELECT count(*) FROM {t}").fetchone() for t in TABLES]
    return [0 if row is None else int(row[0]) for row in counts]
