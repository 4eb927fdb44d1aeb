"""`python -m server` as a real process, with the port read from its start-up log line."""

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tests.timing import seconds


@dataclass
class ServerProcess:
    """The running process, the port it listens on, and every line it wrote to stderr so far."""

    process: asyncio.subprocess.Process
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        return "".join(self.lines)


async def _collect(stream: asyncio.StreamReader, lines: list[str]) -> None:
    async for line in stream:
        lines.append(line.decode(errors="replace"))


@asynccontextmanager
async def server_process(
    *args: str,
    port: int = 0,
    preexec: Callable[[], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[ServerProcess]:
    """`python -m server --port PORT ARGS…`, `preexec` run in the child first (to lower a
    limit, say), with `env` added to the environment (libfaketime's, say); killed on the way
    out if still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "--port",
        str(port),
        *args,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
        env=None if env is None else {**os.environ, **env},
    )
    assert process.stderr is not None
    lines: list[str] = []
    collector = None
    try:
        listening = None
        while listening is None:
            line = (await asyncio.wait_for(process.stderr.readline(), seconds(10))).decode()
            assert line, "the server exited before it listened:\n" + "".join(lines)
            lines.append(line)
            found = re.search(r"listening on \S+ port (\d+)", line)
            listening = int(found.group(1)) if found else None
        collector = asyncio.create_task(_collect(process.stderr, lines))
        yield ServerProcess(process, listening, lines)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        if collector is not None:
            await collector
