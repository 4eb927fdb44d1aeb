"""The tests' throwaway PostgreSQL (bench/postgres.py starts it), installed first when missing
and we may (shared/field-notes.md, PostgreSQL in tests)."""

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import postgres
from bench.postgres import fresh_database

__all__ = ["fresh_database", "throwaway_postgres"]

INSTALL_LOCK = "/tmp/fireside-postgresql-install.lock"


def _installed_bin_dir() -> Path | None:
    """The server's programs, installed from Debian's packages first if they are missing and
    we may (as root, as CI runs): the README's test command then needs nothing by hand.

    One worker installs while the others wait on the lock, then find it there."""
    if postgres.bin_dir() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        with open(INSTALL_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if postgres.bin_dir() is None:
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
