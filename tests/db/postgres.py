"""A throwaway PostgreSQL server for the tests: its own data directory, a Unix socket in it,
no TCP, gone when the test session ends (shared/field-notes.md, PostgreSQL in tests).

Debian keeps `initdb` and `pg_ctl` in its versioned lib directory, off PATH. As root they
must run as the `postgres` user, which is given the directory.
"""

import contextlib
import fcntl
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

_BIN_GLOB = "/usr/lib/postgresql/*/bin"
INSTALL_LOCK = "/tmp/fireside-postgresql-install.lock"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob(_BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    return Path(found[-1]) if found else None


def _installed_bin_dir() -> Path | None:
    """The server's programs, installed from Debian's packages first if they are missing and
    we may (as root, as CI runs): the README's test command then needs nothing by hand.

    One worker installs while the others wait on the lock, then find it there."""
    if _bin_dir() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        with open(INSTALL_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _bin_dir() is None:
                environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                for command in (["update", "-qq"], ["install", "-y", "-qq", "postgresql"]):
                    subprocess.run(
                        ["apt-get", *command],
                        check=False,
                        timeout=600,
                        env=environment,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
    return _bin_dir()


def _as_postgres(command: list[str]) -> list[str]:
    """`command` as the postgres user when we are root: initdb refuses to run as root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a server in a new directory and yield its conninfo; stop and delete it after."""
    bin_dir = _installed_bin_dir()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL's server is not installed (no initdb under /usr/lib/postgresql) and "
            "could not be: install it with `apt-get install postgresql`"
        )
    directory = Path(tempfile.mkdtemp(prefix="fireside-pg-"))
    data = directory / "data"
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "fireside"]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )
        options = f"-k {directory} -h ''"
        # -l: the server's output goes to a file. Without it the server would inherit
        # pg_ctl's pipes and keep them open, and waiting for pg_ctl would never end.
        log = directory / "server.log"
        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
        subprocess.run(
            _as_postgres([*pg_ctl, "-o", options, "-l", str(log), "-w", "start"]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        try:
            yield f"host={directory} dbname=postgres user=fireside"
        finally:
            subprocess.run(
                _as_postgres([*pg_ctl, "-m", "immediate", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def fresh_database(server: str) -> str:
    """A new, empty database on the throwaway `server`, as the URL a server's `--data` takes."""
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    socket_dir = server.split()[0].removeprefix("host=")
    return f"postgresql://fireside@/{name}?host={socket_dir}"


def crash(server: str) -> None:
    """`kill -9` the throwaway `server` and every process of it, as a machine losing power
    would stop them."""
    data = Path(server.split()[0].removeprefix("host=")) / "data"
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(
        ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
    ).stdout.split()
    for pid in [postmaster, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def restart(server: str) -> None:
    """Start the crashed throwaway `server` again on its directory: it recovers from its WAL."""
    directory = Path(server.split()[0].removeprefix("host="))
    bin_dir = _bin_dir()
    assert bin_dir is not None
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(directory / "data")]
    log = str(directory / "server.log")
    for _ in range(50):
        started = subprocess.run(
            _as_postgres([*pg_ctl, "-o", f"-k {directory} -h ''", "-l", log, "-w", "start"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        if started.returncode == 0:
            return
        time.sleep(0.1)  # the killed processes' shared memory is still being let go
    raise AssertionError("PostgreSQL did not start again after the crash")
