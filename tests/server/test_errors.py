"""Every error code of the contract, its precedence, `re`, and who hears a rejection."""

from typing import Any

import msgpack
import pytest

from server.app import RunningServer
from tests.server.wire import Member, member, seated_pair


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
        created = await someone.request({"t": "create", "name": "Ann"})
        assert created["t"] == "joined"


async def test_lobby_errors(server: RunningServer) -> None:
    """unknown_type, bad_field naming its field, not_in_room, no_room, in_room, each with `re`."""
    async with member(server.port) as someone:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"t": "dance", "id": 1}, "unknown_type"),
            ({"t": "create", "name": "", "id": 2}, "bad_field"),
            ({"t": "ask", "text": "hi", "id": 3}, "not_in_room"),
            ({"t": "join", "code": "00000-00000", "name": "Bo", "id": 4}, "no_room"),
        ]
        for message, code in cases:
            reply = await rejected(someone, message)
            assert (reply["code"], reply["re"]) == (code, message["id"])
        bad = await rejected(someone, {"t": "create", "name": "tab\there"})
        assert bad["code"] == "bad_field"
        assert "name" in bad["message"]
        await someone.request({"t": "create", "name": "Ann"})
        again = await rejected(someone, {"t": "create", "name": "Ann", "id": 5})
        assert (again["code"], again["re"]) == ("in_room", 5)


async def test_bad_token(server: RunningServer) -> None:
    """A `resume` with a token of no seat in the room is `bad_token`."""
    async with seated_pair(server.port) as pair, member(server.port) as other:
        reply = await rejected(
            other, {"t": "resume", "code": pair.code, "token": "x" * 22, "after": 0, "id": 6}
        )
        assert (reply["code"], reply["re"]) == ("bad_token", 6)


async def test_in_room_errors_reach_the_sender_alone(server: RunningServer) -> None:
    """listening, wrong_phase and bad_field go to the sender; the partner receives nothing."""
    async with seated_pair(server.port) as pair:
        listening = await rejected(pair.b, {"t": "ask", "text": "Me first?", "id": 10})
        assert (listening["code"], listening["re"]) == ("listening", 10)
        nod = await rejected(pair.a, {"t": "nod", "kind": "heart", "id": 11})
        assert (nod["code"], nod["re"]) == ("wrong_phase", 11)
        too_long = await rejected(pair.a, {"t": "ask", "text": "x" * 1001, "id": 12})
        assert (too_long["code"], too_long["re"]) == ("bad_field", 12)
        assert "text" in too_long["message"]
        await pair.a.send({"t": "ask", "text": "Ready?"})
        assert (await pair.a.recv())["kind"] == "ask"
        assert (await pair.b.recv())["kind"] == "ask"
        early = await rejected(pair.b, {"t": "done"})
        assert early["code"] == "wrong_phase"
        await pair.a.nothing()


async def test_wrong_phase_while_waiting(server: RunningServer) -> None:
    """Before b joins, everything but `leave` is `wrong_phase`."""
    async with member(server.port) as a:
        await a.request({"t": "create", "name": "Ann"})
        reply = await rejected(a, {"t": "ask", "text": "Anyone?"})
        assert reply["code"] == "wrong_phase"


async def test_ended_after_the_partner_left(server: RunningServer) -> None:
    """After b leaves, a's messages are `ended`, even ones that would be `listening`."""
    async with seated_pair(server.port) as pair:
        await pair.b.send({"t": "leave"})
        assert (await pair.a.recv())["kind"] == "left"
        for message in ({"t": "ask", "text": "Still there?"}, {"t": "nod", "kind": "hear"}):
            assert (await rejected(pair.a, message))["code"] == "ended"


@pytest.mark.parametrize(
    ("who", "message", "code"),
    [
        ("lobby", {"t": "dance", "id": "seven"}, "unknown_type"),
        ("lobby", {"t": "ask", "text": ""}, "not_in_room"),
        ("a", {"t": "create", "name": ""}, "in_room"),
        ("b", {"t": "ask", "text": ""}, "listening"),
        ("a", {"t": "say", "text": ""}, "bad_field"),
        ("a", {"t": "nod", "kind": "wave"}, "bad_field"),
    ],
    ids=[
        "unknown_type-before-bad_field",
        "not_in_room-before-bad_field",
        "in_room-before-bad_field",
        "listening-before-bad_field",
        "bad_field-before-wrong_phase",
        "bad_field-for-the-floor-holder",
    ],
)
async def test_precedence(
    server: RunningServer, who: str, message: dict[str, Any], code: str
) -> None:
    """Where several errors apply, the first in the contract's order wins."""
    async with seated_pair(server.port) as pair, member(server.port) as lobby:
        sender = {"lobby": lobby, "a": pair.a, "b": pair.b}[who]
        assert (await rejected(sender, message))["code"] == code


async def test_ended_before_listening(server: RunningServer) -> None:
    """In an ended room, a message that would be `listening` with a bad field is `ended`."""
    async with seated_pair(server.port) as pair:
        await pair.a.send({"t": "leave"})
        assert (await pair.b.recv())["kind"] == "left"
        assert (await rejected(pair.b, {"t": "reflect", "text": ""}))["code"] == "ended"


@pytest.mark.parametrize("bad_id", [-1, "7", 1.5, True])
async def test_an_invalid_id_is_bad_field_without_re(server: RunningServer, bad_id: object) -> None:
    """An `id` that is not a non-negative integer is `bad_field` naming id, with no `re`."""
    async with member(server.port) as someone:
        reply = await rejected(someone, {"t": "create", "name": "Ann", "id": bad_id})
        assert reply["code"] == "bad_field"
        assert "id" in reply["message"]
        assert "re" not in reply
