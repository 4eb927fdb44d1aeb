"""Fixtures for the client tests: a real in-process server on a free port."""

from collections.abc import AsyncIterator

import pytest

from server.app import RunningServer, start_server
from server.config import ServerConfig


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    """A real Fireside server on 127.0.0.1 and a free port, closed after the test."""
    running = await start_server(ServerConfig(port=0))
    yield running
    await running.close()


@pytest.fixture
def server_url(server: RunningServer) -> str:
    """The `ws://` address of the test server."""
    return f"ws://127.0.0.1:{server.port}"
