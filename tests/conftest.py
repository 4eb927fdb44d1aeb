"""Fixtures for every test: nothing the client keeps may land in the real home directory, and
a real server on 127.0.0.1, port 0, with the default limits, for the tests that ask for one."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from client.journal import DATA_DIR_ENV
from client.saved_seats import STATE_DIR_ENV
from client.settings import CONFIG_DIR_ENV, ENV_VARS
from server.app import RunningServer, start_server
from server.config import ServerConfig
from tests.db.postgres import fresh_database, throwaway_postgres


@pytest.fixture(autouse=True)
def private_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`$FIRESIDE_STATE_DIR` in a fresh temporary directory, so saved seats stay in the test."""
    directory = tmp_path_factory.mktemp("state")
    monkeypatch.setenv(STATE_DIR_ENV, str(directory))
    return directory


@pytest.fixture(autouse=True)
def private_config_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`$FIRESIDE_CONFIG_DIR` in a fresh temporary directory and no FIRESIDE_* settings in the
    environment, so the person's own config.toml never changes what a test sees."""
    directory = tmp_path_factory.mktemp("config")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(directory))
    for variable in ENV_VARS.values():
        monkeypatch.delenv(variable, raising=False)
    return directory


@pytest.fixture(autouse=True)
def private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`$FIRESIDE_DATA_DIR` in a fresh temporary directory, so journals stay in the test."""
    directory = tmp_path_factory.mktemp("data")
    monkeypatch.setenv(DATA_DIR_ENV, str(directory))
    return directory


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    """A real Fireside server on 127.0.0.1 and a free port, closed after the test."""
    running = await start_server(ServerConfig(port=0))
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
def server_url(server: RunningServer) -> str:
    """The `ws://` address of the test server, for the client app."""
    return f"ws://127.0.0.1:{server.port}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL for this worker's tests (tests/db/postgres.py), started the first
    time a test asks; each test takes a database of its own with `postgres_url`."""
    with throwaway_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: str) -> str:
    """A new, empty database, as the `postgresql://` URL `--data` takes."""
    return fresh_database(postgres)
