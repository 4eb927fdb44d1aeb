"""`fireside config`: where the file is, each effective value, and where each came from."""

from pathlib import Path

import pytest

from client.cli import main
from client.defaults import DEFAULT_SERVER
from client.settings import config_path


def _write(text: str) -> Path:
    path = config_path()
    path.write_text(text, encoding="utf-8")
    return path


def test_fireside_config_prints_path_values_and_origins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fireside config` shows the file, each effective value, and where each came from."""
    path = _write('name = "Ana"\n')
    monkeypatch.setenv("FIRESIDE_THEME", "nord")
    assert main(["--bell", "config"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == f"config file: {path}"
    assert f'server         = "{DEFAULT_SERVER}"  # default' in lines
    assert 'name           = "Ana"  # file' in lines
    assert 'theme          = "nord"  # env FIRESIDE_THEME' in lines
    assert "bell           = true  # flag" in lines
    assert "pace_minutes   = 0  # default" in lines
    assert err == ""


def test_fireside_config_with_a_broken_file_says_so_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A broken file still prints the defaults, plus one line on stderr naming file and line."""
    path = _write("bell           = [\n")
    assert main(["config"]) == 0
    out, err = capsys.readouterr()
    assert "bell           = false  # default" in out
    assert err.startswith(f"fireside: {path}, line ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
