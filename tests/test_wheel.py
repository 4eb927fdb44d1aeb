"""The wheel installs anywhere: built from this checkout and installed, not editable, in a fresh
venv outside it for each Python the project supports, where every command runs with the decks
and styles it loads (issue 14, "For the people who run it")."""

import fcntl
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.project import ROOT, VERSION
from tests.terminal import Terminal, terminal_env
from tests.timing import seconds

pytestmark = pytest.mark.wheel

MINORS = (11, 12, 13)
"""Python 3.11 up (pyproject.toml, requires-python), to the newest this machine may have."""

PACKAGES = ("client", "server", "shared")
"""What the wheel ships (pyproject.toml, [tool.setuptools.packages.find])."""

CTRL_Q, CTRL_S = b"\x11", b"\x13"

_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)
"""What a fresh clone lacks: an old `build/` would put files in the wheel that a clone has not."""


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel` builds from a copy of this checkout, once per run: xdist's
    workers take the one the first of them built, in the run's directory above their own."""
    run = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        run = run.parent
    with (run / "wheel.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = run / "wheel"
        if not out.exists():
            source = tmp_path_factory.mktemp("source") / "fireside"
            shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
            building = tmp_path_factory.mktemp("wheel")
            argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(building)]
            _run([*argv, str(source)])
            building.rename(out)
    (built,) = out.glob("fireside-*.whl")
    return built


@dataclass
class Installed:
    """A fresh venv with the wheel in it, and a directory outside the checkout to run from."""

    bin: Path
    elsewhere: Path

    def env(self, home: Path | None = None) -> dict[str, str]:
        """A terminal's environment with nothing pointing back into the checkout."""
        env = terminal_env(home)
        for variable in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
            env.pop(variable, None)
        return env

    def run(self, *argv: str) -> str:
        """Run one of the venv's programs from outside the checkout; its stdout."""
        return _run([str(self.bin / argv[0]), *argv[1:]], cwd=self.elsewhere, env=self.env())


@pytest.fixture(params=MINORS, ids=[f"py3.{minor}" for minor in MINORS])
def installed(request: pytest.FixtureRequest, wheel: Path, tmp_path: Path) -> Installed:
    """The wheel with its dependencies from the configured index, in a venv of that Python."""
    python = _python(request.param)
    if python is None:
        pytest.skip(f"no python3.{request.param} that can make a venv on this machine")
    venv = tmp_path / "venv"
    _run([python, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not elsewhere.is_relative_to(ROOT)
    return Installed(venv / "bin", elsewhere)


def test_the_wheel_holds_every_file_of_the_packages(wheel: Path, tmp_path: Path) -> None:
    """Every file under client/, server/ and shared/ is in the wheel, .tcss and decks too, and
    the licence pyproject names travels with it."""
    shipped = set(zipfile.ZipFile(wheel).namelist())
    kept = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {name for name in kept if not name.endswith(".py")}, "the decks and styles are found"
    assert kept - shipped == set()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in shipped)


def test_every_command_runs_from_the_installed_wheel(installed: Installed, tmp_path: Path) -> None:
    """Outside the checkout, the installed code is the venv's; both commands print the version;
    the server listens, answers /healthz and stops on SIGTERM; `fireside`, `fireside demo` and
    `fireside host` show their screens, the demo a card from the warm-up deck, and quit."""
    where = installed.run("python", "-c", "import client, server, shared; print(shared.__file__)")
    assert Path(where.strip()).is_relative_to(installed.bin.parent)
    assert installed.run("fireside", "--version") == f"fireside {VERSION}\n"
    assert installed.run("fireside-server", "--version") == f"fireside-server {VERSION}\n"
    _serve_then_sigterm(installed)
    home = tmp_path / "home"
    with _terminal(installed, home, "fireside") as welcome:
        welcome.until(lambda screen: "Create a room" in screen, within=15)
        _quit(welcome, CTRL_Q)
    with _terminal(installed, home, "fireside", "demo", "--fast") as demo:
        demo.until(lambda screen: "Question cards" in screen and _FIRST_CARD in screen, within=15)
        _leave(demo)
    with _terminal(installed, home, "fireside", "host", "--port", str(_free_port())) as host:
        host.until(lambda screen: "Invite:" in screen and "fireside join" in screen, within=15)
        _leave(host)


def _first_card() -> str:
    """The first words of the warm-up deck's first card, as short as a card panel's row."""
    deck = tomllib.loads((ROOT / "client" / "decks" / "warm-up.toml").read_text(encoding="utf-8"))
    return " ".join(deck["cards"][0]["text"].split()[:4])


_FIRST_CARD = _first_card()


def _serve_then_sigterm(installed: Installed) -> None:
    """`fireside-server` logs its version and that it listens, reports the version in /healthz,
    and exits 0 on SIGTERM."""
    command = [str(installed.bin / "fireside-server"), "--port", "0", "--data", ":memory:"]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, cwd=installed.elsewhere, env=installed.env()
    )
    assert process.stderr is not None
    log = b""
    try:
        deadline = time.monotonic() + seconds(20)
        while not (listening := re.search(rb"listening on \S+ port (\d+)", log)):
            left = deadline - time.monotonic()
            assert left > 0, f"not listening after {seconds(20):.0f}s:\n{log.decode()}"
            if select.select([process.stderr], [], [], left)[0]:
                chunk = os.read(process.stderr.fileno(), 65536)
                assert chunk, f"the server exited before it listened:\n{log.decode()}"
                log += chunk
        assert f"fireside-server {VERSION} listening on".encode() in log
        healthz = f"http://127.0.0.1:{int(listening.group(1))}/healthz"
        with urllib.request.urlopen(healthz, timeout=seconds(5)) as response:
            assert json.load(response)["version"] == VERSION
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=seconds(10))
        assert process.returncode == 0, (log + rest).decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _terminal(installed: Installed, home: Path, *argv: str) -> Terminal:
    command = [str(installed.bin / argv[0]), *argv[1:]]
    return Terminal(command, installed.env(home), cwd=installed.elsewhere)


def _leave(terminal: Terminal) -> None:
    """ctrl+q asks, ctrl+s leaves, and ctrl+q closes the summary: every dialog's styles load.
    The waits only keep the test from hanging: a full suite on two cores slows each a lot."""
    terminal.write(CTRL_Q)
    terminal.until(lambda screen: "Leave the session?" in screen, within=15)
    terminal.write(CTRL_S)
    terminal.until(lambda screen: "The session has ended" in screen, within=15)
    _quit(terminal, CTRL_Q)


def _quit(terminal: Terminal, key: bytes) -> None:
    terminal.write(key)
    assert terminal.process.wait(seconds(10)) == 0


def _free_port() -> int:
    """A port nothing listens on now, for `fireside host`, which takes no port 0.

    Drawn below the kernel's ephemeral range (32768 on): a port 0 bind hands out one from
    it, which the suite's own outgoing connections also take, and one did before the host
    bound it ("port … is already in use")."""
    while True:
        port = random.randrange(20_000, 32_000)
        with socket.socket() as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
        return port


def _python(minor: int) -> str | None:
    """A python3.MINOR that can make a venv: pyenv's own builds first (its shims on PATH answer
    only for the versions it has selected), then PATH, then the Python running the tests."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    builds = sorted(pyenv.glob(f"3.{minor}.*/bin/python3.{minor}"), key=_release, reverse=True)
    candidates = [str(build) for build in builds]
    if on_path := shutil.which(f"python3.{minor}"):
        candidates.append(on_path)
    if sys.version_info[:2] == (3, minor):
        candidates.append(sys.executable)
    probe = "import ensurepip, sys, venv; print(*sys.version_info[:2])"
    for candidate in candidates:
        answer = subprocess.run([candidate, "-c", probe], capture_output=True, text=True)
        if answer.stdout.split() == ["3", str(minor)]:
            return candidate
    return None


def _release(python: Path) -> tuple[int, ...]:
    """3.12.10 after 3.12.9: the numbers in the name of pyenv's directory for that build."""
    return tuple(int(number) for number in re.findall(r"\d+", python.parents[1].name))


def _run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run `argv` to its end; its stdout, or a failure that shows what it wrote."""
    result = subprocess.run(
        argv, capture_output=True, text=True, cwd=cwd, env=env, timeout=seconds(120), check=False
    )
    assert result.returncode == 0, f"{argv} exited {result.returncode}:\n{result.stderr}"
    return result.stdout
