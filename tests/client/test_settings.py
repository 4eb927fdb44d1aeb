"""Settings: defaults, config.toml, FIRESIDE_* variables, flags; and `fireside config`."""

from pathlib import Path

import pytest

from client.defaults import DEFAULT_SERVER
from client.settings import DEFAULT_THEME, Settings, config_path, load_settings, remember

FILE = """# my fireside
server = "ws://file.example:8765"
name = "Ana"
theme = "nord"
journal = false
bell = true
pace_minutes = 10
"""


def _write(text: str) -> Path:
    path = config_path()
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    """With no file, no variables and no flags every value is the default, and says so."""
    settings = load_settings()
    assert settings == Settings()
    assert (settings.server, settings.theme) == (DEFAULT_SERVER, DEFAULT_THEME)
    assert (settings.journal, settings.bell, settings.pace_minutes) == (True, False, 0)
    assert settings.problem is None
    assert settings.origin("bell") == "default"


def test_flags_beat_environment_beat_file_beat_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each source overrides only the keys it sets, and each value knows where it came from."""
    _write('name = "Ana"\ntheme = "nord"\nbell = true\n')
    monkeypatch.setenv("FIRESIDE_THEME", "gruvbox")
    monkeypatch.setenv("FIRESIDE_BELL", "off")
    monkeypatch.setenv("FIRESIDE_SERVER", "ws://env.example:1")
    settings = load_settings({"server": "ws://flag.example:2", "name": None, "bell": None})
    assert settings.server == "ws://flag.example:2"
    assert settings.origin("server") == "flag"
    assert settings.theme == "gruvbox"
    assert settings.origin("theme") == "env FIRESIDE_THEME"
    assert settings.bell is False
    assert settings.origin("bell") == "env FIRESIDE_BELL"
    assert settings.name == "Ana"
    assert settings.origin("name") == "file"
    assert settings.journal is True
    assert settings.origin("journal") == "default"


def test_every_key_is_read_from_the_file() -> None:
    """A file holding every key sets every field."""
    _write(FILE)
    settings = load_settings()
    assert settings == Settings(
        server="ws://file.example:8765",
        name="Ana",
        theme="nord",
        journal=False,
        bell=True,
        pace_minutes=10,
    )


def test_a_broken_file_is_one_sentence_with_file_and_line() -> None:
    """Unparsable TOML: every file value is dropped; the problem names the file and line."""
    path = _write('name = "Ana"\nbell = tru\n')
    settings = load_settings({"theme": "nord"})
    assert settings.name == Settings().name
    assert settings.bell is False
    assert settings.theme == "nord"
    assert settings.problem is not None
    assert settings.problem.startswith(f"{path}, line 2 is not valid TOML")
    assert settings.problem.endswith("so the defaults are used.")
    assert "\n" not in settings.problem


def test_a_wrong_value_drops_only_that_value() -> None:
    """A value of the wrong kind is named with its line; the rest of the file still counts."""
    path = _write('name = "Ana"\n\npace_minutes = "ten"\n')
    settings = load_settings()
    assert settings.name == "Ana"
    assert settings.pace_minutes == 0
    assert settings.problem == (
        f"{path}, line 3: pace_minutes must be a whole number of minutes from 0 (off) to 1440, "
        "so the default is used."
    )


def test_a_bad_variable_is_named_and_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """FIRESIDE_BELL must be a switch; anything else is reported and the file's value kept."""
    _write("bell = true\n")
    monkeypatch.setenv("FIRESIDE_BELL", "maybe")
    settings = load_settings()
    assert settings.bell is True
    assert settings.problem == "FIRESIDE_BELL='maybe' is not true or false, so it is not used."


def test_remember_rewrites_one_key_and_keeps_the_rest() -> None:
    """Remembering the theme replaces its line only: comments, order and other keys stay."""
    _write(FILE + "\n[decks]\nextra = 1\n")
    remember("theme", "dracula")
    text = config_path().read_text(encoding="utf-8")
    assert text == FILE.replace('"nord"', '"dracula"') + "\n[decks]\nextra = 1\n"
    assert load_settings().theme == "dracula"


def test_remember_adds_a_missing_key_before_any_table() -> None:
    """A key not yet in the file goes at the top level, where TOML reads it as a setting."""
    _write('name = "Ana"\n[decks]\nextra = 1\n')
    remember("theme", "nord")
    assert config_path().read_text(encoding="utf-8") == (
        'name = "Ana"\ntheme = "nord"\n[decks]\nextra = 1\n'
    )
    assert load_settings().theme == "nord"


def test_remember_creates_the_file(private_config_dir: Path) -> None:
    """With no file yet, remembering writes one holding just that key."""
    config_path().unlink(missing_ok=True)
    assert remember("bell", True) == private_config_dir / "config.toml"
    assert config_path().read_text(encoding="utf-8") == "bell = true\n"


def test_letters_settings_come_from_their_table_the_environment_and_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`[letters]` holds zone, remind and notify (a list stays a list); FIRESIDE_REMIND beats
    the file and a flag beats both; a bare top-level `zone` is not the letters' zone."""
    _write(
        'zone = "Asia/Tokyo"\n[letters]\nzone = "Europe/Berlin"\nremind = "18:00-22:00"\n'
        'notify = ["notify-send", "Fireside"]\n'
    )
    settings = load_settings()
    assert settings.zone == "Europe/Berlin"
    assert settings.remind == "18:00-22:00"
    assert settings.notify == ("notify-send", "Fireside")
    assert settings.problem is None
    monkeypatch.setenv("FIRESIDE_REMIND", "07:30-09:00")
    assert load_settings().remind == "07:30-09:00"
    assert load_settings({"remind": "20:00-01:00"}).origin("remind") == "flag"


def test_a_zone_or_window_that_cannot_be_used_is_said_and_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown zone in the file and a window that is not HH:MM-HH:MM in the environment
    each become one sentence, and the defaults stand."""
    _write('[letters]\nzone = "Mars/Olympus"\n')
    monkeypatch.setenv("FIRESIDE_REMIND", "6pm-10pm")
    settings = load_settings()
    assert settings.zone is None
    assert settings.remind is None
    assert settings.problem is not None
    assert "letters.zone" in settings.problem
    assert "FIRESIDE_REMIND" in settings.problem
