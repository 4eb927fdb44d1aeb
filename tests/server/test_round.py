"""Whole sessions over a real websocket: a round, a handover, a decline, a third party."""

import asyncio
from typing import Any

from server.app import RunningServer
from tests.server.wire import (
    MAC,
    PAKE_MSG,
    Member,
    Pair,
    hello_box,
    joined_pair,
    member,
    paired_pair,
    pairing,
)


async def step(pair: Pair, sender: Member, message: dict[str, Any]) -> dict[str, Any]:
    """`sender` sends `message`; both members receive the same event, which is returned."""
    await sender.send(message)
    seen_by_a = await pair.a.recv()
    seen_by_b = await pair.b.recv()
    assert seen_by_a == seen_by_b
    assert seen_by_a["t"] == "event"
    return seen_by_a


async def test_a_full_round_ends_in_round_2_with_roles_swapped(server: RunningServer) -> None:
    """ask, say, done, reflect, more, say, done, reflect, confirm: round 2, b asks, seq 9..17
    (after the two joins and six pairing steps); every box comes back byte for byte."""
    async with paired_pair(server.port) as pair:
        a, b = pair.a, pair.b
        script: list[tuple[Member, dict[str, Any], str]] = [
            (a, {"t": "ask", "box": b"\x00sealed question\xff"}, "sharing"),
            (b, {"t": "say", "box": b"\x01sealed answer"}, "sharing"),
            (b, {"t": "done"}, "reflecting"),
            (a, {"t": "reflect", "box": b"\x02sealed reflection"}, "confirming"),
            (b, {"t": "more"}, "sharing"),
            (b, {"t": "say", "box": b"\x03" * 16_400}, "sharing"),
            (b, {"t": "done"}, "reflecting"),
            (a, {"t": "reflect", "box": b"\x04" * 8_400}, "confirming"),
            (b, {"t": "confirm"}, "asking"),
        ]
        events = [await step(pair, sender, message) for sender, message, _ in script]
        assert [e["seq"] for e in events] == list(range(9, 18))
        assert [e["kind"] for e in events] == [m["t"] for _, m, _ in script]
        assert [e["state"]["phase"] for e in events] == [phase for _, _, phase in script]
        assert [e.get("box") for e in events] == [m.get("box") for _, m, _ in script]
        assert all(isinstance(e["box"], bytes) for e in events if "box" in e)
        assert events[1]["state"]["floor"] == "b"
        last = events[-1]["state"]
        assert (last["round"], last["asker"], last["floor"]) == (2, "b", "b")
        assert all(isinstance(e["at"], int) and e["at"] > 1_700_000_000_000 for e in events)


async def test_handover_swaps_the_asker_within_the_round(server: RunningServer) -> None:
    """`handover` keeps `asking` and round 1 and gives b the asker's seat and the floor."""
    async with paired_pair(server.port) as pair:
        event = await step(pair, pair.a, {"t": "handover"})
        state = event["state"]
        assert (event["kind"], event["by"]) == ("handover", "a")
        assert (state["phase"], state["round"], state["asker"], state["floor"]) == (
            "asking",
            1,
            "b",
            "b",
        )


async def test_decline_returns_to_asking_with_the_same_asker(server: RunningServer) -> None:
    """A speaker who declines before saying anything sends the room back to `asking` for a."""
    async with paired_pair(server.port) as pair:
        await step(pair, pair.a, {"t": "ask", "box": b"sealed hard one"})
        event = await step(pair, pair.b, {"t": "decline"})
        state = event["state"]
        assert (state["phase"], state["round"], state["asker"], state["floor"]) == (
            "asking",
            1,
            "a",
            "a",
        )


async def test_a_third_party_gets_room_full(server: RunningServer) -> None:
    """A `join` to a room whose two seats are taken is answered `room_full`, with `re`."""
    async with paired_pair(server.port) as pair, member(server.port) as third:
        reply = await third.request({"t": "join", "code": pair.code, "id": 9})
        assert (reply["t"], reply["code"], reply["re"]) == ("error", "room_full", 9)
        await pair.a.nothing()


async def test_join_ignores_case_spaces_and_dashes(server: RunningServer) -> None:
    """A code typed lower-case with spaces instead of the dash finds the room."""
    async with member(server.port) as a, member(server.port) as b:
        created = await a.request({"t": "create"})
        typed = " " + created["code"].lower().replace("-", "  ") + " "
        joined = await b.request({"t": "join", "code": typed})
        assert (joined["t"], joined["seat"], joined["code"]) == ("joined", "b", created["code"])
        assert len(joined["token"]) >= 22
        assert joined["state"]["names"] == {"a": None, "b": None}
        assert joined["state"]["phase"] == "waiting"


async def test_typing_reaches_the_partner_alone(server: RunningServer) -> None:
    """The floor holder's `typing` reaches the partner as `typing`, and not the sender."""
    async with paired_pair(server.port) as pair:
        await pair.a.send({"t": "typing", "on": True})
        assert await pair.b.recv() == {"t": "typing", "by": "a", "on": True}
        await pair.a.nothing()


async def test_both_members_see_the_same_events_in_the_same_order(server: RunningServer) -> None:
    """Says and nods sent at once from both sides reach both members identically, seq by seq."""
    async with paired_pair(server.port) as pair:
        await step(pair, pair.a, {"t": "ask", "box": b"sealed: tell me everything"})

        async def speak() -> None:
            for number in range(10):
                await pair.b.send({"t": "say", "box": f"part {number}".encode()})

        async def nod() -> None:
            for _ in range(10):
                await pair.a.send({"t": "nod", "kind": "hear"})

        await asyncio.gather(speak(), nod())
        seen_by_a = [await pair.a.recv() for _ in range(20)]
        seen_by_b = [await pair.b.recv() for _ in range(20)]
        assert seen_by_a == seen_by_b
        assert [e["seq"] for e in seen_by_a] == list(range(10, 30))
        says = [e["box"] for e in seen_by_a if e["kind"] == "say"]
        assert says == [f"part {number}".encode() for number in range(10)]


async def test_the_pairing_is_relayed_and_the_hellos_fill_names(server: RunningServer) -> None:
    """Over the wire, each pairing step reaches both members with its bytes unchanged, seq 3
    to 8, the room waiting until the second `hello`, whose state names both sealed boxes."""
    async with joined_pair(server.port) as pair:
        events: list[dict[str, Any]] = []
        for step_a, step_b in zip(pairing("a"), pairing("b"), strict=True):
            for sender, message in ((pair.a, step_a), (pair.b, step_b)):
                events.append(await step(pair, sender, message))
        assert [(e["seq"], e["kind"], e["by"]) for e in events] == [
            (3, "pake", "a"),
            (4, "pake", "b"),
            (5, "verify", "a"),
            (6, "verify", "b"),
            (7, "hello", "a"),
            (8, "hello", "b"),
        ]
        assert [e.get("msg") or e.get("mac") or e.get("box") for e in events] == [
            PAKE_MSG,
            PAKE_MSG,
            MAC,
            MAC,
            hello_box("a"),
            hello_box("b"),
        ]
        assert [e["state"]["phase"] for e in events] == ["waiting"] * 5 + ["asking"]
        assert events[-1]["state"]["names"] == {"a": hello_box("a"), "b": hello_box("b")}
        assert events[-1]["state"]["floor"] == "a"
