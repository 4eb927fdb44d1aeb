"""Fixtures for every test: nothing the client keeps may land in the real home directory."""

from pathlib import Path

import pytest

from client.saved_seats import STATE_DIR_ENV


@pytest.fixture(autouse=True)
def private_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`$FIRESIDE_STATE_DIR` in a fresh temporary directory, so saved seats stay in the test."""
    directory = tmp_path_factory.mktemp("state")
    monkeypatch.setenv(STATE_DIR_ENV, str(directory))
    return directory
