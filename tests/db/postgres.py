"""The tests' throwaway PostgreSQL (bench/postgres.py starts it), installed first when missing
and we may (shared/field-notes.md, PostgreSQL in tests)."""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import postgres
from bench.postgres import fresh_database
from tests.db.debian import install_if_missing

__all__ = ["crash", "fresh_database", "restart", "throwaway_postgres"]


def _installed_bin_dir() -> Path | None:
    """The server's programs, installed from Debian's packages first if they are missing."""
    install_if_missing("postgresql", lambda: postgres.bin_dir() is not None)
    return postgres.bin_dir()


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a server in a new directory and yield its conninfo; stop and delete it after."""
    if _installed_bin_dir() is None:
        pytest.fail(
            "PostgreSQL's server is not installed (no initdb under /usr/lib/postgresql) and "
            "could not be: install it with `apt-get install postgresql`"
        )
    with postgres.throwaway_postgres() as server:
        yield server


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
    programs = postgres.bin_dir()
    assert programs is not None
    pg_ctl = [str(programs / "pg_ctl"), "-D", str(directory / "data")]
    log = str(directory / "server.log")
    for _ in range(50):
        started = subprocess.run(
            postgres.as_postgres(
                [*pg_ctl, "-o", f"-k {directory} -h ''", "-l", log, "-w", "start"]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        if started.returncode == 0:
            return
        time.sleep(0.1)  # the killed processes' shared memory is still being let go
    raise AssertionError("PostgreSQL did not start again after the crash")
