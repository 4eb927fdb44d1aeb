"""Fixtures for the client's tests."""

from collections.abc import Iterator

import pytest

from tests.client.snapshot_room import ServerThread


@pytest.fixture(scope="module")
def server_thread() -> Iterator[ServerThread]:
    """One threaded server for the snapshot tests of a module."""
    running = ServerThread()
    yield running
    running.close()
