"""The embedding API: listening on every interface, and the periodic sweep of idle rooms."""

import json

from server.app import start_server
from server.config import ServerConfig
from tests.server.http import http_get
from tests.server.wire import member


async def test_host_0_0_0_0_listens_on_every_interface() -> None:
    """With host 0.0.0.0 the server takes connections on 127.0.0.1 too."""
    running = await start_server(ServerConfig(host="0.0.0.0", port=0))
    try:
        assert running.port > 0
        async with member(running.port) as someone:
            assert (await someone.request({"t": "create"}))["t"] == "joined"
    finally:
        await running.close()


async def test_idle_rooms_are_swept_and_their_members_closed_with_1001() -> None:
    """A room idle past `room_ttl` is removed by the sweep and its member closed with 1001."""
    running = await start_server(ServerConfig(port=0, room_ttl=0.05, sweep_interval=0.05))
    try:
        async with member(running.port) as someone:
            await someone.request({"t": "create"})
            assert await someone.closed_with() == 1001
        status, body = await http_get(running.port, "/healthz")
        assert (status, json.loads(body)["rooms"]) == (200, 0)
    finally:
        await running.close()


async def test_close_closes_every_connection_with_1001() -> None:
    """`RunningServer.close()` closes members and idle connections alike with 1001."""
    running = await start_server(ServerConfig(port=0))
    async with member(running.port) as seated, member(running.port) as idle:
        await seated.request({"t": "create"})
        await running.close()
        assert await seated.closed_with() == 1001
        assert await idle.closed_with() == 1001
