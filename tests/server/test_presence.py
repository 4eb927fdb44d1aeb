"""Drops, resumes, takeovers and leaving, over real connections."""

from server.app import RunningServer
from tests.server.wire import member, paired_pair


async def test_a_drop_records_away_and_keeps_the_floor(server: RunningServer) -> None:
    """When the speaker's connection drops, a sees `away` and the phase and floor stay."""
    async with paired_pair(server.port) as pair:
        await pair.a.send({"t": "ask", "box": b"sealed: how was the day?"})
        await pair.a.recv()
        await pair.b.recv()
        await pair.b.connection.close()
        away = await pair.a.recv()
        assert (away["kind"], away["by"], away["seq"]) == ("away", "b", 10)
        state = away["state"]
        assert (state["phase"], state["floor"], state["online"]) == (
            "sharing",
            "b",
            {"a": True, "b": False},
        )
        nod = await pair.a.request({"t": "nod", "kind": "time"})
        assert (nod["kind"], nod["seq"]) == ("nod", 11)


async def test_resume_after_returns_later_events_and_records_back(server: RunningServer) -> None:
    """`resume` with `after` gets only events with a higher seq, its own `back` last."""
    async with paired_pair(server.port) as pair:
        await pair.a.send({"t": "ask", "box": b"sealed: how was the day?"})
        await pair.a.recv()
        await pair.b.recv()
        await pair.b.connection.close()
        assert (await pair.a.recv())["kind"] == "away"
        async with member(server.port) as again:
            reply = await again.request(
                {"t": "resume", "code": pair.code, "token": pair.b_token, "after": 9}
            )
            assert (reply["t"], reply["seat"], reply["token"]) == ("joined", "b", pair.b_token)
            assert [(e["seq"], e["kind"]) for e in reply["events"]] == [(10, "away"), (11, "back")]
            assert reply["state"]["online"] == {"a": True, "b": True}
            back = await pair.a.recv()
            assert (back["kind"], back["by"], back["seq"]) == ("back", "b", 11)
            said = await again.request({"t": "say", "box": b"sealed: long."})
            assert (said["kind"], said["seq"]) == ("say", 12)
            assert (await pair.a.recv())["seq"] == 12


async def test_takeover_closes_the_old_connection_with_4001(server: RunningServer) -> None:
    """A `resume` while the old connection is open closes it with 4001; no away, no back."""
    async with paired_pair(server.port) as pair, member(server.port) as again:
        reply = await again.request(
            {"t": "resume", "code": pair.code, "token": pair.a_token, "after": 8}
        )
        assert (reply["t"], reply["seat"], reply["events"]) == ("joined", "a", [])
        assert await pair.a.closed_with() == 4001
        await pair.b.nothing()
        asked = await again.request({"t": "ask", "box": b"sealed: still me?"})
        assert (asked["kind"], asked["by"], asked["seq"]) == ("ask", "a", 9)
        assert (await pair.b.recv())["seq"] == 9


async def test_leave_closes_the_leaver_with_1000_and_the_partner_gets_ended(
    server: RunningServer,
) -> None:
    """`left` reaches both; only the leaver is closed (1000); the partner stays and gets `ended`."""
    async with paired_pair(server.port) as pair:
        await pair.a.send({"t": "leave"})
        left = await pair.a.recv()
        assert (left["kind"], left["by"], left["state"]["phase"]) == ("left", "a", "ended")
        assert await pair.a.closed_with() == 1000
        assert await pair.b.recv() == left
        ended = await pair.b.request({"t": "nod", "kind": "heart", "id": 3})
        assert (ended["t"], ended["code"], ended["re"]) == ("error", "ended", 3)


async def test_resume_into_an_ended_room_gets_the_log_and_no_back(server: RunningServer) -> None:
    """After a member left, its `resume` is answered with the whole log and records nothing."""
    async with paired_pair(server.port) as pair:
        await pair.a.send({"t": "leave"})
        assert await pair.a.closed_with() == 1000
        assert (await pair.b.recv())["kind"] == "left"
        async with member(server.port) as again:
            reply = await again.request(
                {"t": "resume", "code": pair.code, "token": pair.a_token, "after": 0}
            )
            assert [e["kind"] for e in reply["events"]][-3:] == ["hello", "hello", "left"]
            assert len(reply["events"]) == 9
            assert reply["state"]["phase"] == "ended"
            await pair.b.nothing()
