"""The server under attack: a real `fireside-server` subprocess, and what it costs while attacked.

Most attacks run the shipped command line (`fireside-server --host --port
--data`). A knob without a flag (the sweep interval, for the expiry attack)
goes through `python -m bench.abuse_server --config JSON` instead, which
builds a `ServerConfig` in code as `bench/serve.py` does; names the running
server's `ServerConfig` or `Limits` do not have are skipped, so the harness
keeps working while those change.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proc import stop
from server.app import serve_until_signalled
from server.config import Limits, ServerConfig
from server.logs import configure_logging

_DIGITS = re.compile(r"\d+")

SERVER_CORE = 0
"""The server runs alone on one core, as on a one-vCPU VPS (docs/performance.md, Pinning)."""


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: shipped CLI flags, or in-code settings, and its file limit."""

    room_ttl: float | None = None
    in_code: dict[str, Any] = field(default_factory=dict)
    """`ServerConfig` fields, and `limits` as a dict of `Limits` fields; empty: use the CLI."""
    open_files: int | None = None
    """A soft RLIMIT_NOFILE for the server, as a systemd unit's LimitNOFILE would set."""


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_lines(self) -> int:
        """Lines the server has written to stderr so far."""
        with self.log_path.open("rb") as log:
            return sum(1 for _ in log)

    def log_kinds(self, skip: int, most: int = 6) -> list[tuple[str, int]]:
        """The commonest lines after the first `skip`, digits blanked: what the log filled with."""
        kinds: Counter[str] = Counter()
        with self.log_path.open("rb") as log:
            for number, line in enumerate(log):
                if number >= skip:
                    text = line.decode(errors="replace").rstrip()
                    kinds[_DIGITS.sub("#", text)[:120]] += 1
        return kinds.most_common(most)

    def log_tail(self, lines: int = 5) -> list[str]:
        text = self.log_path.read_text(errors="replace").splitlines()
        return text[-lines:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _command(spec: ServerSpec, port: int, data: Path) -> list[str]:
    if spec.in_code:
        settings = {**spec.in_code, "host": "127.0.0.1", "port": port, "data": str(data)}
        return [sys.executable, "-m", "bench.abuse_server", "--config", json.dumps(settings)]
    executable = Path(sys.executable).parent / "fireside-server"
    program = str(executable) if executable.exists() else shutil.which("fireside-server")
    if program is None:
        raise RuntimeError("fireside-server is not installed: pip install -e .")
    command = [program, "--host", "127.0.0.1", "--port", str(port), "--data", str(data)]
    if spec.room_ttl is not None:
        command += ["--room-ttl", str(spec.room_ttl)]
    return command


def _preexec(spec: ServerSpec) -> Callable[[], None]:
    def prepare() -> None:
        if (os.cpu_count() or 1) > max(SERVER_CORE, 1):
            os.sched_setaffinity(0, {SERVER_CORE})
        if spec.open_files is not None:
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (spec.open_files, hard))

    return prepare


@contextlib.contextmanager
def running_server(spec: ServerSpec) -> Iterator[RunningServer]:
    """A listening server on 127.0.0.1 with its SQLite data in a temporary directory."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fireside-abuse-") as scratch:
        log_path = Path(scratch) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                _command(spec, port, Path(scratch) / "data"),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_preexec(spec),
            )
            server = RunningServer(process, port, log_path)
            try:
                _wait_listening(server)
                yield server
            finally:
                stop(process)


def _wait_listening(server: RunningServer) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not server.alive():
            tail = " | ".join(server.log_tail())
            raise RuntimeError(f"the server exited with {server.process.returncode}: {tail}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", server.port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the server did not listen within 30 s")


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident) of `pid` in KiB; empty once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    figures = {}
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


async def healthz(port: int, *, local_host: str = "127.0.0.1", wait_s: float = 2.0) -> Any:
    """The body of GET /healthz as JSON, or None when it does not answer within `wait_s`."""
    try:
        async with asyncio.timeout(wait_s):
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(local_host, 0)
            )
            try:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: fireside\r\n\r\n")
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
        return None
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        return None
    return json.loads(body)


@dataclass
class Sample:
    at: float
    """Seconds since the attack began."""
    rss_mib: float
    healthz_ms: float | None
    """None: /healthz did not answer."""
    connections: int | None
    rooms: int | None


class Monitor:
    """Samples the server's RSS and /healthz every `interval` seconds while an attack runs."""

    def __init__(self, server: RunningServer, interval: float = 1.0) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[Sample] = []
        self.started = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.started = time.monotonic()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            began = time.monotonic()
            rss = memory_kib(self.server.pid).get("VmRSS", 0) / 1024
            body = await healthz(self.server.port)
            took = time.monotonic() - began
            self.samples.append(
                Sample(
                    at=round(began - self.started, 2),
                    rss_mib=round(rss, 1),
                    healthz_ms=None if body is None else round(1000 * took, 1),
                    connections=None if body is None else body.get("connections"),
                    rooms=None if body is None else body.get("rooms"),
                )
            )
            await asyncio.sleep(max(0.0, self.interval - took))

    def summary(self) -> dict[str, Any]:
        answered = [s.healthz_ms for s in self.samples if s.healthz_ms is not None]
        memory = memory_kib(self.server.pid)
        rss = [s.rss_mib for s in self.samples]
        return {
            "rss_start_mib": rss[0] if rss else None,
            "rss_peak_mib": max(rss) if rss else None,
            "rss_end_mib": rss[-1] if rss else None,
            "hwm_mib": round(memory["VmHWM"] / 1024, 1) if "VmHWM" in memory else None,
            "healthz_probes": len(self.samples),
            "healthz_failed": len(self.samples) - len(answered),
            "healthz_max_ms": max(answered) if answered else None,
            "samples": [dataclasses.asdict(s) for s in self.samples],
        }


def _known(cls: type[Any], settings: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {name: value for name, value in settings.items() if name in names}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse_server")
    parser.add_argument("--config", required=True, help="ServerConfig fields as JSON")
    settings = json.loads(parser.parse_args().config)
    limits = Limits(**_known(Limits, settings.pop("limits", {})))
    configure_logging("info", "text")
    config = ServerConfig(**_known(ServerConfig, settings), limits=limits)
    asyncio.run(serve_until_signalled(config))


if __name__ == "__main__":
    main()
