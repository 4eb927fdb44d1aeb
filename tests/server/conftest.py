"""A real server on 127.0.0.1, port 0, for each test; no server keeps rooms in the real home."""

from collections.abc import AsyncIterator
from pathlib import Path

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


@pytest.fixture(autouse=True)
def private_data_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`$XDG_DATA_HOME` in a fresh directory: a `python -m server` without `--data` keeps its
    rooms there (platformdirs reads it), never in the real home, never shared between tests."""
    directory = tmp_path_factory.mktemp("data-home")
    monkeypatch.setenv("XDG_DATA_HOME", str(directory))
    return directory
