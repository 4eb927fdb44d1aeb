"""No `python -m server` started by a test keeps rooms in the real home."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_data_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`$XDG_DATA_HOME` in a fresh directory: a `python -m server` without `--data` keeps its
    rooms there (platformdirs reads it), never in the real home, never shared between tests."""
    directory = tmp_path_factory.mktemp("data-home")
    monkeypatch.setenv("XDG_DATA_HOME", str(directory))
    return directory
