"""A real server on 127.0.0.1, port 0, with the default limits, for each hostile test."""

from collections.abc import AsyncIterator

import pytest

from server.app import RunningServer, start_server
from server.config import ServerConfig


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    running = await start_server(ServerConfig(port=0))
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
def server_url(server: RunningServer) -> str:
    """The `ws://` address of the test server, for the client app."""
    return f"ws://127.0.0.1:{server.port}"
