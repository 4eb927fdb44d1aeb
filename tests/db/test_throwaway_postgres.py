"""The tests' own PostgreSQL: started by the suite, reachable only by its socket, gone after."""

import os
from pathlib import Path

import psycopg
import pytest

from bench import postgres
from tests.db.postgres import throwaway_postgres


def test_a_throwaway_server_listens_only_on_its_socket_and_is_gone_after() -> None:
    """It answers on its Unix socket, has no TCP listener, keeps fsync on (so a test of what
    survives a kill -9 means something), and leaves no directory behind."""
    with throwaway_postgres() as dsn:
        with psycopg.connect(dsn) as db:
            assert db.execute("SHOW listen_addresses").fetchone() == ("",)
            assert db.execute("SHOW fsync").fetchone() == ("on",)
            db.execute("CREATE TABLE events (room TEXT, seq INTEGER, PRIMARY KEY (room, seq))")
            db.execute("INSERT INTO events VALUES ('r', 1)")
            with pytest.raises(psycopg.errors.UniqueViolation):
                db.execute("INSERT INTO events VALUES ('r', 1)")
        socket_dir = dsn.split()[0].removeprefix("host=")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)
    assert not os.path.exists(socket_dir)


def test_a_client_alone_is_not_taken_for_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian's client package makes /usr/lib/postgresql/15/bin with `psql` and no `initdb`,
    as this machine kind starts: the server is then missing, so that it gets installed."""
    client = tmp_path / "15" / "bin"
    client.mkdir(parents=True)
    (client / "psql").touch()
    monkeypatch.setattr(postgres, "_SERVER_GLOB", str(tmp_path / "*" / "bin" / "initdb"))
    assert postgres.bin_dir() is None
    server = tmp_path / "16" / "bin"
    server.mkdir(parents=True)
    (server / "initdb").touch()
    (client / "initdb").touch()
    assert postgres.bin_dir() == server, "the newest server"
