"""The person's settings: defaults, then config.toml, then FIRESIDE_* variables, then flags."""

import contextlib
import json
import os
import re
import tempfile
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from client.defaults import DEFAULT_SERVER
from client.entry import default_name

CONFIG_DIR_ENV = "FIRESIDE_CONFIG_DIR"
"""Where config.toml (and custom decks) live instead of the platform's config dir (tests: tmp)."""

CONFIG_FILE = "config.toml"

DEFAULT_THEME = "textual-dark"
"""Textual's own default, so an unset theme looks the way Textual looks."""

DEFAULT = "default"
FILE = "file"
FLAG = "flag"
"""Where a value came from, besides `env FIRESIDE_…` (see `Settings.origins`)."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """What the person chose, merged: flags beat environment beat the file beat defaults."""

    server: str = DEFAULT_SERVER
    """The server `fireside create` (and the welcome screen) uses unless told otherwise."""
    name: str = field(default_factory=default_name)
    """The name the partner sees."""
    theme: str = DEFAULT_THEME
    """A Textual theme name; chosen in the command palette, it is written back to the file."""
    journal: bool = True
    """Keep a journal of each session on this machine."""
    bell: bool = False
    """Ring the terminal bell when it becomes your turn."""
    pace_minutes: int = 0
    """A gentle reminder after this many minutes of one turn; 0 is off."""
    zone: str | None = None
    """`letters.zone`: the IANA time zone letters show times in; None is the system's own."""
    remind: str | None = None
    """`letters.remind`: `HH:MM-HH:MM`, when the notify command may run; None is any time."""
    notify: str | tuple[str, ...] | None = None
    """`letters.notify`: a command run when it becomes your move in the letters (a string is
    split like a shell line, a list is taken as it is; never through a shell); None is none."""
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)
    """For each field set by something other than the default: `file`, `env NAME` or `flag`."""
    problem: str | None = field(default=None, compare=False)
    """One sentence about a config file or variable that could not be used, else None."""

    def origin(self, key: str) -> str:
        """Where `key`'s value came from: `default`, `file`, `env FIRESIDE_…` or `flag`."""
        return self.origins.get(key, DEFAULT)


KEYS = ("server", "name", "theme", "journal", "bell", "pace_minutes", "zone", "remind", "notify")
"""The settings a config file may hold, in the order `fireside config` shows them."""

LETTERS_KEYS = frozenset({"zone", "remind", "notify"})
"""The settings of `fireside letters`, kept in the file's `[letters]` table: only letters use
them, and `letters.zone` says so where a bare `zone` would not."""

REMIND_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
"""`letters.remind`: from HH:MM to HH:MM, 24-hour clock; the end may be past midnight."""

ENV_VARS = {
    "server": "FIRESIDE_SERVER",
    "name": "FIRESIDE_NAME",
    "theme": "FIRESIDE_THEME",
    "journal": "FIRESIDE_JOURNAL",
    "bell": "FIRESIDE_BELL",
    "zone": "FIRESIDE_ZONE",
    "remind": "FIRESIDE_REMIND",
    "notify": "FIRESIDE_NOTIFY",
}


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$FIRESIDE_CONFIG_DIR`, else the platform's config dir for fireside."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(CONFIG_DIR_ENV)
    return Path(chosen) if chosen else Path(platformdirs.user_config_dir("fireside"))


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The settings file, whether or not it exists yet."""
    return config_dir(environ) / CONFIG_FILE


def load_settings(
    flags: Mapping[str, object] | None = None, *, environ: Mapping[str, str] | None = None
) -> Settings:
    """The merged settings; `flags` maps field names to command-line values (None: not given).

    Nothing here raises on bad input: a broken file or variable becomes `Settings.problem`
    and its values are left out, so the defaults (or the other sources) are used.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    origins: dict[str, str] = {}
    problems: list[str] = []

    from_file, problem = _read_file(config_path(environ))
    if problem is not None:
        problems.append(problem)
    values.update(from_file)
    origins.update(dict.fromkeys(from_file, FILE))

    for key, variable in ENV_VARS.items():
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        value = _from_text(key, raw)
        if value is None:
            problems.append(f"{variable}={raw!r} is not {_KINDS[key][1]}, so it is not used.")
            continue
        values[key] = value
        origins[key] = f"env {variable}"

    for key, value in (flags or {}).items():
        if value is not None and key in KEYS:
            values[key] = value
            origins[key] = FLAG

    settings = replace(Settings(), **values)  # type: ignore[arg-type]
    return replace(settings, origins=origins, problem=" ".join(problems) or None)


def remember(key: str, value: str | bool | int, environ: Mapping[str, str] | None = None) -> Path:
    """Write `key = value` into the config file, keeping every other line as it was.

    Hand-written rather than a TOML writer: the keys are flat, and rewriting one line keeps
    the person's comments and layout. OSError if the file cannot be written.
    """
    path = config_path(environ)
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    written = f"{key} = {_toml_value(value)}\n"
    pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
    for number, line in enumerate(lines):
        if line.lstrip().startswith("["):
            # A table starts: top-level keys must come before it.
            lines.insert(number, written)
            break
        if pattern.match(line):
            lines[number] = written
            break
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(written)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.writelines(lines)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def _toml_value(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A JSON string of printable text is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _read_file(path: Path) -> tuple[dict[str, object], str | None]:
    """The usable values in the file at `path`, and one sentence if some could not be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"{path} could not be read ({exc}), so the defaults are used."
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's error has no lineno attribute; its message ends "(at line N, column M)".
        reason, _, where = str(exc).partition(" (at ")
        line = re.search(r"line (\d+)", where)
        number = line.group(1) if line else str(max(1, len(text.splitlines())))
        at = f", line {number}"  # "(at end of document)": the last line
        return {}, f"{path}{at} is not valid TOML ({reason.lower()}), so the defaults are used."
    values: dict[str, object] = {}
    problems: list[str] = []
    letters = table.get("letters")
    letters = letters if isinstance(letters, dict) else {}
    for key in KEYS:
        holder = letters if key in LETTERS_KEYS else table
        if key not in holder:
            continue
        value = holder[key]
        check, kind = _KINDS[key]
        if check(value):
            values[key] = tuple(value) if isinstance(value, list) else value
        else:
            problems.append(
                f"{path}, line {_line_of(text, key)}: {shown_key(key)} must be {kind}, "
                "so the default is used."
            )
    return values, " ".join(problems) or None


def _line_of(text: str, key: str) -> int:
    pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
    return next(
        (number for number, line in enumerate(text.splitlines(), 1) if pattern.match(line)), 1
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_switch(value: object) -> bool:
    return isinstance(value, bool)


def _is_minutes(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60


def _is_zone(value: object) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        zoneinfo.ZoneInfo(value.strip())
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def _is_window(value: object) -> bool:
    return isinstance(value, str) and REMIND_PATTERN.match(value.strip()) is not None


def _is_command(value: object) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(part, str) and part for part in value)
    return _is_text(value)


def shown_key(key: str) -> str:
    """A key as the person writes it in the file: `letters.zone` for those in `[letters]`."""
    return f"letters.{key}" if key in LETTERS_KEYS else key


_KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "server": (_is_text, "a server URL in quotes"),
    "name": (_is_text, "a name in quotes"),
    "theme": (_is_text, "a theme name in quotes"),
    "journal": (_is_switch, "true or false"),
    "bell": (_is_switch, "true or false"),
    "pace_minutes": (_is_minutes, "a whole number of minutes from 0 (off) to 1440"),
    "zone": (_is_zone, 'a time zone such as "Europe/Berlin"'),
    "remind": (_is_window, 'a window of time such as "18:00-22:00"'),
    "notify": (_is_command, "a command in quotes, or a list of its words"),
}


def _from_text(key: str, raw: str) -> object | None:
    """An environment variable's value as the field's type, or None if it is not one."""
    if _KINDS[key][0] in (_is_zone, _is_window):
        return raw.strip() if _KINDS[key][0](raw) else None
    if _KINDS[key][0] is _is_switch:
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return None
    return raw.strip() or None


def described(settings: Settings, path: Path) -> str:
    """What `fireside config` prints: the file, then each value and where it came from."""
    exists = "" if path.exists() else " (not written yet)"
    lines = [f"config file: {path}{exists}"]
    width = max(len(shown_key(key)) for key in KEYS)
    for key in KEYS:
        value = getattr(settings, key)
        if value is None or isinstance(value, tuple | str):
            # Unset letters settings, and commands given as a list, read as JSON does.
            shown = json.dumps(list(value) if isinstance(value, tuple) else value)
        else:
            shown = _toml_value(value)
        lines.append(f"{shown_key(key).ljust(width)} = {shown}  # {settings.origin(key)}")
    return "\n".join(lines)
