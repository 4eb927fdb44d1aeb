"""The transport rules: frames, sizes, the handshake, /healthz, and the limits on abuse."""

import json

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from server.app import RunningServer, start_server
from server.config import Limits, ServerConfig
from server.net import forwarded_for
from tests.project import VERSION
from tests.server.http import http_get
from tests.server.wire import Member, member, paired_pair, url
from tests.timing import seconds


async def test_a_text_frame_is_closed_with_1003(server: RunningServer) -> None:
    """A text frame gets close code 1003."""
    async with member(server.port) as someone:
        await someone.connection.send('{"t": "create"}')
        assert await someone.closed_with() == 1003


async def test_a_message_over_64_kib_is_closed_with_1009(server: RunningServer) -> None:
    """A binary message of 65,537 bytes gets close code 1009; one of 65,536 does not."""
    async with member(server.port) as someone:
        overhead = len(msgpack.packb({"t": "join", "code": "x" * 300})) - 300
        at_limit = msgpack.packb({"t": "join", "code": "x" * (65_536 - overhead)})
        assert len(at_limit) == 65_536
        reply = await someone.request_raw(at_limit)
        assert reply["code"] == "bad_field"
        await someone.connection.send(b"\x00" * 65_537)
        assert await someone.closed_with() == 1009


OUTDATED = "This server speaks fireside.2 (end-to-end encrypted); update Fireside."
"""docs/protocol.md, Transport: the one line a fireside.1 client is shown."""


async def test_a_handshake_without_the_subprotocol_gets_400_naming_it(
    server: RunningServer,
) -> None:
    """A client that offers no subprotocol is refused with HTTP 400 naming `fireside.2`."""
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url(server.port), open_timeout=seconds(2), proxy=None):
            pass
    response = refused.value.response
    assert response.status_code == 400
    assert (response.body or b"").decode().strip() == OUTDATED


@pytest.mark.parametrize("offered", ["fireside.1", "chat, fireside.1", "fireside.3, fireside.10"])
async def test_a_fireside_1_client_gets_400_saying_to_update(
    server: RunningServer, offered: str
) -> None:
    """A handshake offering only `fireside.1` (or anything but `fireside.2`) gets HTTP 400 with
    the design's one line, which names `fireside.2`."""
    status, body = await http_get(
        server.port,
        "/",
        {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": offered,
        },
    )
    assert status == 400
    assert body.strip() == OUTDATED
    assert "fireside.2" in body
    assert "\n" not in body.strip()


async def test_a_client_offering_both_versions_is_spoken_to_in_fireside_2(
    server: RunningServer,
) -> None:
    """A client offering `fireside.1` and `fireside.2` is accepted with `fireside.2`."""
    async with connect(
        url(server.port),
        subprotocols=[Subprotocol("fireside.1"), Subprotocol("fireside.2")],
        open_timeout=seconds(2),
        proxy=None,
    ) as connection:
        assert connection.subprotocol == "fireside.2"


async def test_healthz_counts_rooms_and_connections(server: RunningServer) -> None:
    """`GET /healthz` is 200 JSON with `ok` true, the live counts, `db` for the store, and the
    server's version."""
    assert await http_get(server.port, "/healthz") == (
        200,
        json.dumps({"ok": True, "rooms": 0, "connections": 0, "db": "memory", "version": VERSION})
        + "\n",
    )
    async with paired_pair(server.port), member(server.port):
        status, body = await http_get(server.port, "/healthz")
        assert status == 200
        assert json.loads(body) == {
            "ok": True,
            "rooms": 1,
            "connections": 3,
            "db": "memory",
            "version": VERSION,
        }


async def test_a_burst_of_30_is_taken_then_flooding_is_limited_and_closed(
    server: RunningServer,
) -> None:
    """30 nods at once are all accepted; a flood then gets `rate_limited` and close 1008."""
    async with paired_pair(server.port) as pair:
        for _ in range(30):
            await pair.b.send({"t": "nod", "kind": "heart"})
        replies = [await pair.b.recv() for _ in range(30)]
        assert [r.get("kind") for r in replies] == ["nod"] * 30
        for _ in range(100):
            await pair.b.send({"t": "nod", "kind": "heart", "id": 1})
        codes = await replies_until_closed(pair.b)
        assert "rate_limited" in codes
        assert pair.b.connection.close_code == 1008
        heard = await pair.a.quiet()
        assert [e["kind"] for e in heard] == ["nod"] * (30 + codes.count("nod")) + ["away"]


async def test_20_rejections_are_answered_before_rate_limited_and_1008(
    server: RunningServer,
) -> None:
    """At least 20 rejected messages get their own error; repeated ones then lead to 1008."""
    async with member(server.port) as someone:
        for number in range(100):
            await someone.send({"t": "dance", "id": number})
        codes = await replies_until_closed(someone)
        first = codes.index("rate_limited")
        assert first >= 20
        assert codes[:first] == ["unknown_type"] * first
        assert someone.connection.close_code == 1008


async def replies_until_closed(someone: Member) -> list[str]:
    """The error codes (or event kinds) received until the server closed the connection."""
    codes: list[str] = []
    while True:
        try:
            reply = await someone.recv(within=3)
        except Exception:
            assert someone.connection.close_code is not None
            return codes
        codes.append(reply.get("code") or reply["kind"])


async def test_failed_joins_are_limited_per_address(server: RunningServer) -> None:
    """After 10 joins to unknown codes, even a right code is `rate_limited`, on any connection."""
    async with member(server.port) as host, member(server.port) as guesser:
        created = await host.request({"t": "create"})
        for guess in range(10):
            reply = await guesser.request({"t": "join", "code": f"{guess:010d}"})
            assert reply["code"] == "no_room"
        limited = await guesser.request({"t": "join", "code": created["code"], "id": 4})
        assert (limited["code"], limited["re"]) == ("rate_limited", 4)
        async with member(server.port) as fresh:
            retry = await fresh.request({"t": "join", "code": created["code"]})
            assert retry["code"] == "rate_limited"


async def test_wrong_tokens_count_toward_the_same_limit(server: RunningServer) -> None:
    """10 resumes with a wrong token make the next right one `rate_limited`."""
    async with paired_pair(server.port) as pair, member(server.port) as guesser:
        for guess in range(10):
            wrong = {"t": "resume", "code": pair.code, "token": f"{guess:022d}", "after": 0}
            assert (await guesser.request(wrong))["code"] == "bad_token"
        right = {"t": "resume", "code": pair.code, "token": pair.a_token, "after": 0}
        assert (await guesser.request(right))["code"] == "rate_limited"


async def test_connections_per_address_are_capped_with_429() -> None:
    """Past `connections_per_address` open websockets, one more handshake gets HTTP 429."""
    running = await start_server(ServerConfig(port=0, limits=Limits(connections_per_address=2)))
    try:
        async with member(running.port), member(running.port):
            with pytest.raises(InvalidStatus) as refused:
                async with member(running.port):
                    pass
            assert refused.value.response.status_code == 429
        async with member(running.port) as later:
            assert (await later.request({"t": "create"}))["t"] == "joined"
    finally:
        await running.close()


async def test_forwarded_for_is_used_only_when_trusted() -> None:
    """With `trust_forwarded_for`, the last X-Forwarded-For hop is the address that is limited."""
    limits = Limits(connections_per_address=1)
    running = await start_server(ServerConfig(port=0, limits=limits, trust_forwarded_for=True))
    try:
        async with (
            member(running.port, {"X-Forwarded-For": "198.51.100.7, 192.0.2.1"}),
            member(running.port, {"X-Forwarded-For": "192.0.2.2"}),
        ):
            with pytest.raises(InvalidStatus):
                async with member(running.port, {"X-Forwarded-For": "203.0.113.9, 192.0.2.1"}):
                    pass
    finally:
        await running.close()


async def test_forwarded_for_is_ignored_unless_trusted() -> None:
    """Without `trust_forwarded_for`, different X-Forwarded-For headers share the peer's limit."""
    running = await start_server(ServerConfig(port=0, limits=Limits(connections_per_address=1)))
    try:
        async with member(running.port, {"X-Forwarded-For": "198.51.100.7"}):
            with pytest.raises(InvalidStatus) as refused:
                async with member(running.port, {"X-Forwarded-For": "192.0.2.2"}):
                    pass
            assert refused.value.response.status_code == 429
    finally:
        await running.close()


def test_forwarded_for_reads_the_last_hop_over_every_line() -> None:
    """The address the proxy added is the last one, even across repeated header lines."""
    headers = Headers([("X-Forwarded-For", "1.1.1.1, 2.2.2.2"), ("X-Forwarded-For", "3.3.3.3")])
    assert forwarded_for(headers) == "3.3.3.3"
    assert forwarded_for(Headers()) is None
