"""A real HAProxy in front of real servers for the tests: round-robin over the given ports,
health-checked on `/healthz`, its log and stats socket in a temp dir gone when it stops.

Debian's `haproxy` package is installed first when it is missing and we are root, as
tests/db/postgres.py does for PostgreSQL; deploy/haproxy.cfg is the production config whose
choices this one shares, with timeouts shortened so the tests see them act.
"""

import asyncio
import contextlib
import csv
import io
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.db.debian import install_if_missing
from tests.timing import seconds

CLIENT_TIMEOUT = seconds(1)
"""HAProxy's `timeout client` and `timeout server` here: how long a connection may stay idle
before it is a websocket. Short, so a test can show that `timeout tunnel` (an hour) is what
holds an idle websocket open after the upgrade."""

CHECK_INTERVAL_MS = 500
"""`inter`: with `fall 2`, a killed backend is out within about a second."""


def _haproxy() -> str | None:
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def installed_haproxy() -> str:
    """The `haproxy` program, installed from Debian's package first if it is missing and we
    may (as root, as CI runs); the test fails, saying how to install it, when it cannot be."""
    install_if_missing("haproxy", lambda: _haproxy() is not None)
    program = _haproxy()
    if program is None:
        pytest.fail(
            "HAProxy is not installed and could not be: install it with `apt-get install haproxy`"
        )
    return program


def _server_name(port: int) -> str:
    return f"port{port}"


def config(port: int, backends: Sequence[int], directory: Path) -> str:
    """The test balancer's config: deploy/haproxy.cfg's choices on 127.0.0.1, short timeouts."""
    client_ms = round(CLIENT_TIMEOUT * 1000)
    servers = "\n".join(
        f"    server {_server_name(backend)} 127.0.0.1:{backend}" for backend in backends
    )
    return f"""\
global
    log stdout format raw local0 info
    stats socket {directory / "stats.sock"} mode 600 level user

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect {client_ms}ms
    timeout client {client_ms}ms
    timeout server {client_ms}ms
    timeout tunnel 1h
    retries 2
    option redispatch 1

listen fireside
    bind 127.0.0.1:{port}
    balance roundrobin
    option forwardfor except 127.0.0.0/8
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host fireside
    http-check expect status 200
    default-server check inter {CHECK_INTERVAL_MS}ms fall 2 rise 1
{servers}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Balancer:
    """The running HAProxy: where clients connect, and what it says of its backends."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return (self.directory / "haproxy.log").read_text(errors="replace")

    def stats(self) -> list[dict[str, str]]:
        """`show stat` on the stats socket: one row per frontend, server and backend."""
        with socket.socket(socket.AF_UNIX) as stats:
            stats.settimeout(seconds(2))
            stats.connect(str(self.directory / "stats.sock"))
            stats.sendall(b"show stat\n")
            raw = b""
            while chunk := stats.recv(65536):
                raw += chunk
        return list(csv.DictReader(io.StringIO(raw.decode().removeprefix("# "))))

    def up(self) -> set[int]:
        """The backend ports HAProxy sends new connections to: those its checks say are UP."""
        return {
            int(row["svname"].removeprefix("port"))
            for row in self.stats()
            if row["svname"].startswith("port") and row["status"].startswith("UP")
        }

    async def until_up(self, ports: set[int], within: float = 5.0) -> float:
        """Wait until exactly `ports` are UP; the seconds it took."""
        start = time.monotonic()
        deadline = start + seconds(within)
        while (up := self.up()) != ports:
            if time.monotonic() > deadline:
                raise AssertionError(f"HAProxy has {up} UP, not {ports}:\n{self.log}")
            await asyncio.sleep(0.05)
        return time.monotonic() - start


@contextlib.contextmanager
def load_balancer(backends: Sequence[int]) -> Iterator[Balancer]:
    """HAProxy on a free 127.0.0.1 port in front of `backends` (ports on 127.0.0.1), in the
    foreground, until the block ends; then stopped, and its directory deleted."""
    program = installed_haproxy()
    directory = Path(tempfile.mkdtemp(prefix="fireside-haproxy-"))
    try:
        port = _free_port()
        cfg = directory / "haproxy.cfg"
        cfg.write_text(config(port, backends, directory))
        # Its log to a file: a pipe nobody reads would fill and stall it.
        with open(directory / "haproxy.log", "wb") as log:
            process = subprocess.Popen(
                [program, "-db", "-f", str(cfg)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        balancer = Balancer(port, directory, process)
        try:
            _until_listening(balancer)
            yield balancer
        finally:
            process.terminate()
            try:
                process.wait(timeout=seconds(5))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _until_listening(balancer: Balancer) -> None:
    """Return once HAProxy accepts connections and answers on its stats socket."""
    deadline = time.monotonic() + seconds(10)
    while True:
        if balancer.process.poll() is not None:
            raise AssertionError(
                f"HAProxy exited with {balancer.process.returncode}:\n{balancer.log}"
            )
        try:
            with socket.create_connection(("127.0.0.1", balancer.port), timeout=1):
                balancer.stats()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"HAProxy did not listen:\n{balancer.log}") from None
            time.sleep(0.02)
