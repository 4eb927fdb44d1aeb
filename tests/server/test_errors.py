"""Every error code of the contract, its precedence, `re`, and who hears a rejection."""

from typing import Any

import msgpack
import pytest

from server.app import RunningServer
from tests.server.wire import MAC, PAKE_MSG, Member, joined_pair, member, paired_pair


async def rejected(sender: Member, message: dict[str, Any]) -> dict[str, Any]:
    reply = await sender.request(message)
    assert reply["t"] == "error", reply
    return reply


@pytest.mark.parametrize(
    "frame",
    [b"\xc1", msgpack.packb([1, 2]), msgpack.packb({"name": "x"}), msgpack.packb({"t": 3})],
    ids=["not-msgpack", "a-list", "no-t", "t-not-a-string"],
)
async def test_bad_frame(server: RunningServer, frame: bytes) -> None:
    """A frame that is not a map with a string `t` is `bad_frame`, and the connection stays."""
    async with member(server.port) as someone:
        await someone.connection.send(frame)
        reply = await someone.recv()
        assert (reply["t"], reply["code"]) == ("error", "bad_frame")
        assert "re" not in reply
        created = await someone.request({"t": "create"})
        assert created["t"] == "joined"


async def test_lobby_errors(server: RunningServer) -> None:
    """unknown_type, bad_field naming its field, not_in_room, no_room, in_room, each with `re`."""
    async with member(server.port) as someone:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"t": "dance", "id": 1}, "unknown_type"),
            ({"t": "join", "code": "", "id": 2}, "bad_field"),
            ({"t": "ask", "box": b"sealed", "id": 3}, "not_in_room"),
            ({"t": "pake", "msg": b"m", "id": 3}, "not_in_room"),
            ({"t": "join", "code": "00000-00000", "id": 4}, "no_room"),
        ]
        for message, code in cases:
            reply = await rejected(someone, message)
            assert (reply["code"], reply["re"]) == (code, message["id"])
        bad = await rejected(someone, {"t": "join", "code": "ABCDE\rFGHJK"})
        assert bad["code"] == "bad_field"
        assert "code" in bad["message"]
        await someone.request({"t": "create"})
        again = await rejected(someone, {"t": "create", "id": 5})
        assert (again["code"], again["re"]) == ("in_room", 5)


async def test_bad_token(server: RunningServer) -> None:
    """A `resume` with a token of no seat in the room is `bad_token`."""
    async with paired_pair(server.port) as pair, member(server.port) as other:
        reply = await rejected(
            other, {"t": "resume", "code": pair.code, "token": "x" * 22, "after": 0, "id": 6}
        )
        assert (reply["code"], reply["re"]) == ("bad_token", 6)


async def test_in_room_errors_reach_the_sender_alone(server: RunningServer) -> None:
    """listening, wrong_phase and bad_field go to the sender; the partner receives nothing."""
    async with paired_pair(server.port) as pair:
        listening = await rejected(pair.b, {"t": "ask", "box": b"Me first?", "id": 10})
        assert (listening["code"], listening["re"]) == ("listening", 10)
        nod = await rejected(pair.a, {"t": "nod", "kind": "heart", "id": 11})
        assert (nod["code"], nod["re"]) == ("wrong_phase", 11)
        too_big = await rejected(pair.a, {"t": "ask", "box": b"x" * 4_401, "id": 12})
        assert (too_big["code"], too_big["re"]) == ("bad_field", 12)
        assert "box" in too_big["message"]
        again = await rejected(pair.a, {"t": "hello", "box": b"a second name", "id": 13})
        assert (again["code"], again["re"]) == ("wrong_phase", 13)
        await pair.a.send({"t": "ask", "box": b"x" * 4_400})
        assert (await pair.a.recv())["kind"] == "ask"
        assert (await pair.b.recv())["kind"] == "ask"
        early = await rejected(pair.b, {"t": "done"})
        assert early["code"] == "wrong_phase"
        await pair.a.nothing()


async def test_wrong_phase_while_waiting(server: RunningServer) -> None:
    """Before b joins, everything but `pake` and `leave` is `wrong_phase`."""
    async with member(server.port) as a:
        await a.request({"t": "create"})
        for message in (
            {"t": "ask", "box": b"Anyone?"},
            {"t": "verify", "mac": MAC},
            {"t": "hello", "box": b"name"},
            {"t": "mismatch"},
        ):
            assert (await rejected(a, message))["code"] == "wrong_phase"


async def test_pairing_out_of_order_or_repeated_is_wrong_phase(server: RunningServer) -> None:
    """Each pairing step is taken once per seat and in order; any other is `wrong_phase` to
    its sender alone, with `re`, and the partner hears nothing of it."""
    async with joined_pair(server.port) as pair:
        await pair.a.send({"t": "pake", "msg": PAKE_MSG})
        assert (await pair.a.recv())["kind"] == (await pair.b.recv())["kind"] == "pake"
        for sender, message in (
            (pair.a, {"t": "pake", "msg": PAKE_MSG, "id": 1}),
            (pair.a, {"t": "verify", "mac": MAC, "id": 2}),
            (pair.b, {"t": "mismatch", "id": 3}),
            (pair.b, {"t": "hello", "box": b"too soon", "id": 4}),
            (pair.b, {"t": "ask", "box": b"too soon", "id": 5}),
        ):
            reply = await rejected(sender, message)
            assert (reply["code"], reply["re"]) == ("wrong_phase", message["id"])
        await pair.a.nothing()
        await pair.b.nothing()


async def test_a_mismatch_ends_the_room_and_burns_it_for_a_later_join(
    server: RunningServer,
) -> None:
    """`mismatch` after both pakes is an event for both with phase `ended`; a later `join` gets
    `ended` with the sentence of docs/protocol.md, Mismatch and burning, and the members get
    `ended` too."""
    async with joined_pair(server.port) as pair, member(server.port) as late:
        for sender in (pair.a, pair.b):
            await sender.send({"t": "pake", "msg": PAKE_MSG})
            assert (await pair.a.recv())["kind"] == (await pair.b.recv())["kind"] == "pake"
        await pair.b.send({"t": "mismatch"})
        burned = await pair.a.recv()
        assert await pair.b.recv() == burned
        assert (burned["kind"], burned["by"], burned["state"]["phase"]) == (
            "mismatch",
            "b",
            "ended",
        )
        reply = await rejected(late, {"t": "join", "code": pair.code, "id": 7})
        assert reply == {
            "t": "error",
            "code": "ended",
            "message": "this room was closed after a pairing that did not match; start a new room",
            "re": 7,
        }
        assert (await rejected(pair.a, {"t": "verify", "mac": MAC}))["code"] == "ended"


async def test_ended_after_the_partner_left(server: RunningServer) -> None:
    """After b leaves, a's messages are `ended`, even ones that would be `listening`."""
    async with paired_pair(server.port) as pair:
        await pair.b.send({"t": "leave"})
        assert (await pair.a.recv())["kind"] == "left"
        for message in ({"t": "ask", "box": b"Still there?"}, {"t": "nod", "kind": "hear"}):
            assert (await rejected(pair.a, message))["code"] == "ended"


@pytest.mark.parametrize(
    ("who", "message", "code"),
    [
        ("lobby", {"t": "dance", "id": "seven"}, "unknown_type"),
        ("lobby", {"t": "ask", "box": ""}, "not_in_room"),
        ("a", {"t": "join", "code": ""}, "in_room"),
        ("b", {"t": "ask", "box": ""}, "listening"),
        ("a", {"t": "say", "box": b""}, "bad_field"),
        ("a", {"t": "pake", "msg": "not binary"}, "bad_field"),
        ("a", {"t": "ask", "box": "a fireside.1 question"}, "bad_field"),
        ("a", {"t": "nod", "kind": "wave"}, "bad_field"),
    ],
    ids=[
        "unknown_type-before-bad_field",
        "not_in_room-before-bad_field",
        "in_room-before-bad_field",
        "listening-before-bad_field",
        "bad_field-before-wrong_phase",
        "bad_field-before-wrong_phase-pairing",
        "a-string-is-not-a-box",
        "bad_field-for-the-floor-holder",
    ],
)
async def test_precedence(
    server: RunningServer, who: str, message: dict[str, Any], code: str
) -> None:
    """Where several errors apply, the first in the contract's order wins."""
    async with paired_pair(server.port) as pair, member(server.port) as lobby:
        sender = {"lobby": lobby, "a": pair.a, "b": pair.b}[who]
        assert (await rejected(sender, message))["code"] == code


async def test_ended_before_listening(server: RunningServer) -> None:
    """In an ended room, a message that would be `listening` with a bad field is `ended`."""
    async with paired_pair(server.port) as pair:
        await pair.a.send({"t": "leave"})
        assert (await pair.b.recv())["kind"] == "left"
        assert (await rejected(pair.b, {"t": "reflect", "box": ""}))["code"] == "ended"


@pytest.mark.parametrize("bad_id", [-1, "7", 1.5, True])
async def test_an_invalid_id_is_bad_field_without_re(server: RunningServer, bad_id: object) -> None:
    """An `id` that is not a non-negative integer is `bad_field` naming id, with no `re`."""
    async with member(server.port) as someone:
        reply = await rejected(someone, {"t": "create", "id": bad_id})
        assert reply["code"] == "bad_field"
        assert "id" in reply["message"]
        assert "re" not in reply
