"""A throwaway PostgreSQL server: its own data directory, a Unix socket in it, no TCP, gone
when the block ends. The benchmark's `fireside-postgres` targets keep their rooms in one, and
the test suite's fixtures start theirs with it (tests/db/postgres.py).

It lives here rather than in tests/ because the benchmark needs only the project's own
dependencies (docs/performance.md, How to run it), and the tests' helpers bring pytest.
Debian keeps `initdb` and `pg_ctl` in its versioned lib directory, off PATH. As root they
must run as the `postgres` user, which is given the directory.
"""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg

_SERVER_GLOB = "/usr/lib/postgresql/*/bin/initdb"
"""Where Debian puts each version's `initdb`: the client package alone makes the same `bin`
directory, with `psql` in it and no server, as on a machine with only the client."""


class NoPostgres(Exception):
    """PostgreSQL's server programs are not installed."""


def bin_dir() -> Path | None:
    """The newest installed server's programs (`initdb`, `pg_ctl`), if any."""
    found = sorted(glob.glob(_SERVER_GLOB), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def as_postgres(command: list[str]) -> list[str]:
    """`command` as the postgres user when we are root: initdb refuses to run as root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_postgres(pinned: Sequence[str] = ()) -> Iterator[str]:
    """Start a server in a new directory and yield its conninfo; stop and delete it after.

    `pinned` goes before `pg_ctl start` (`taskset -c 0`): every backend inherits it, so the
    benchmark can keep the database on the core of the server it measures. NoPostgres when
    the programs are missing. The server keeps its defaults, `fsync` and
    `synchronous_commit` on: a commit is on the disk before it returns.
    """
    programs = bin_dir()
    if programs is None:
        raise NoPostgres(
            "PostgreSQL's server is not installed (no initdb under /usr/lib/postgresql): "
            "install it with `apt-get install postgresql`"
        )
    directory = Path(tempfile.mkdtemp(prefix="fireside-pg-"))
    data = directory / "data"
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        subprocess.run(
            as_postgres(
                [str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "fireside"]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )
        options = f"-k {directory} -h ''"
        # -l: the server's output goes to a file. Without it the server would inherit
        # pg_ctl's pipes and keep them open, and waiting for pg_ctl would never end.
        log = directory / "server.log"
        pg_ctl = [str(programs / "pg_ctl"), "-D", str(data)]
        subprocess.run(
            [*pinned, *as_postgres([*pg_ctl, "-o", options, "-l", str(log), "-w", "start"])],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        try:
            yield f"host={directory} dbname=postgres user=fireside"
        finally:
            subprocess.run(
                as_postgres([*pg_ctl, "-m", "immediate", "stop"]),
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
