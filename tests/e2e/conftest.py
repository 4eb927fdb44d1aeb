"""A real server on 127.0.0.1 with its rooms in a temporary `--data` directory; logs at debug."""

import io
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.app import RunningServer, start_server
from server.config import ServerConfig
from server.logs import JsonFormatter
from tests.e2e.relay import Relay, relay


@dataclass(frozen=True)
class Logs:
    """Everything logged while the test ran, at debug level, as text lines and as JSON lines."""

    text: io.StringIO
    json: io.StringIO


@pytest.fixture
def logs() -> Iterator[Logs]:
    """Every logger at debug, websockets' frame logs included, into both of the server's formats."""
    captured = Logs(io.StringIO(), io.StringIO())
    text = logging.StreamHandler(captured.text)
    text.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    json = logging.StreamHandler(captured.json)
    json.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(text)
    root.addHandler(json)
    try:
        yield captured
    finally:
        root.removeHandler(text)
        root.removeHandler(json)
        root.setLevel(level)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The server's `--data` directory."""
    directory = tmp_path / "data"
    directory.mkdir()
    return directory


@pytest.fixture
async def server(data: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(ServerConfig(port=0, data=str(data)))
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def wire(server: RunningServer) -> AsyncIterator[Relay]:
    """A recording relay in front of the server: connect to `wire.port`."""
    async with relay(server.port) as running:
        yield running
