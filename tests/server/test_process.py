"""`python -m server` as a real process: shutdown on SIGTERM, clean logs, a busy port."""

import asyncio
import json
import signal
import socket
import subprocess
import sys

import pytest

from server.cli import parse_args
from tests.project import VERSION
from tests.server.http import http_get
from tests.server.wire import Pair, member, paired_pair
from tests.server_process import ServerProcess, server_process
from tests.timing import seconds

MARKER = "zebra-marmalade-7731"
"""Put by a member inside every box and pairing message; it must never reach the log."""
SEALED = MARKER.encode()

DEBUG = ("--log-level", "debug")
"""The most the server logs: the words must stay out of every line of it."""


async def _speak_then_sigterm(running: ServerProcess, pair: Pair) -> None:
    """The marker inside every kind of sealed bytes, then SIGTERM: both members get 1001 and
    the server exits 0."""
    await pair.a.send({"t": "ask", "box": b"\x00ask " + SEALED})
    await pair.b.recv()
    await pair.b.send({"t": "say", "box": b"\x00say " + SEALED})
    await pair.a.recv()
    await pair.b.recv()
    await pair.b.send({"t": "done"})
    await pair.a.recv()
    await pair.b.recv()
    await pair.a.send({"t": "reflect", "box": SEALED + b"\xff"})
    await pair.b.recv()
    async with member(running.port) as host, member(running.port) as guest:
        # A fireside.1 `name` is ignored, and never logged either.
        created = await host.request({"t": "create", "name": MARKER, "id": 1})
        assert created["t"] == "joined"
        await guest.request({"t": "join", "code": created["code"]})
        await host.recv()
        steps = [
            {"t": "pake", "msg": SEALED},
            {"t": "verify", "mac": SEALED.ljust(32, b"!")},
            {"t": "hello", "box": b"\x00" + SEALED},
        ]
        for message in steps:
            for sender in (host, guest):
                await sender.send(message)
                assert (await host.recv())["kind"] == (await guest.recv())["kind"]
        await host.send({"t": "mismatch"})
    running.process.send_signal(signal.SIGTERM)
    codes = await asyncio.gather(pair.a.closed_with(5), pair.b.closed_with(5))
    assert list(codes) == [1001, 1001]
    assert await asyncio.wait_for(running.process.wait(), seconds(5)) == 0


def _assert_no_secrets(log: str, pair: Pair) -> None:
    """Neither the marker (as text, as a bytes repr, or in hex) nor a code or token is logged."""
    secrets = (MARKER, SEALED.hex(), pair.code, pair.code.replace("-", ""))
    for secret in (*secrets, pair.a_token, pair.b_token):
        assert secret not in log


async def test_sigterm_closes_clients_with_1001_and_exits_0_without_logging_words() -> None:
    """SIGTERM closes both members with 1001 and exits 0 within 5 s; the log, at debug level,
    holds nothing of what was sealed."""
    async with server_process(*DEBUG) as running, paired_pair(running.port) as pair:
        await _speak_then_sigterm(running, pair)
    log = running.log
    assert "room" in log
    assert "closed with code 1001" in log
    _assert_no_secrets(log, pair)


async def test_json_logs_are_one_object_per_line_with_fields_and_no_words() -> None:
    """`--log-format json`: every line is an object with time, level, logger, message; nothing
    of what was sealed."""
    async with (
        server_process(*DEBUG, "--log-format", "json") as running,
        paired_pair(running.port) as pair,
    ):
        await _speak_then_sigterm(running, pair)
    lines = [json.loads(line) for line in running.lines]
    assert all(isinstance(line, dict) for line in lines)
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["message"].startswith("room ") and "room" in line for line in lines)
    closes = [line for line in lines if "code" in line]
    assert all(isinstance(line["connection"], int) for line in closes)
    assert [line["code"] for line in closes].count(1001) == 2
    _assert_no_secrets(running.log, pair)


async def test_a_port_in_use_is_one_sentence_and_exit_2() -> None:
    """Starting on a busy port prints one clear line, no traceback, and exits with 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server",
            "--port",
            str(port),
            stderr=subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), seconds(10))
    assert process.returncode == 2
    text = stderr.decode()
    assert "Traceback" not in text
    last = text.strip().splitlines()[-1]
    expected = f"port {port} on 127.0.0.1 is already in use; choose another with --port."
    assert last == f"fireside-server: {expected}"


async def test_help_describes_every_option() -> None:
    """`--help` exits 0 and names every option but the old spelling of --trust-proxy."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--help", stdout=subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), seconds(10))
    assert process.returncode == 0
    options = ["--host", "--port", "--room-ttl", "--letters-ttl", "--log-level", "--log-format"]
    options.append("--trust-proxy")
    for option in (*options, "--tls-cert", "--tls-key", "--metrics-port", "--metrics-host"):
        assert option in stdout.decode()
    assert "--trust-forwarded-for" not in stdout.decode()


def test_trust_proxy_keeps_its_old_spelling_and_is_off_by_default() -> None:
    """`--trust-proxy` and the hidden `--trust-forwarded-for` both turn it on; neither, off."""
    assert parse_args(["--trust-proxy"]).trust_proxy is True
    assert parse_args(["--trust-forwarded-for"]).trust_proxy is True
    assert parse_args([]).trust_proxy is False


def test_letters_ttl_takes_seconds_as_room_ttl_does_and_defaults_to_a_year() -> None:
    """`--letters-ttl` is a number of seconds above 0, 365 days when not given."""
    assert parse_args([]).letters_ttl == 365 * 24 * 60 * 60
    assert parse_args(["--letters-ttl", "90.5"]).letters_ttl == 90.5
    with pytest.raises(SystemExit):
        parse_args(["--letters-ttl", "0"])


async def test_version_is_printed_logged_at_start_and_in_healthz() -> None:
    """`--version` prints the release and exits 0; a running server logs it in the line that
    says it listens and reports it in `/healthz`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--version", stdout=subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), seconds(10))
    assert (process.returncode, stdout.decode()) == (0, f"fireside-server {VERSION}\n")
    async with server_process("--data", ":memory:") as running:
        status, body = await http_get(running.port, "/healthz")
    assert (status, json.loads(body)["version"]) == (200, VERSION)
    assert f"fireside-server {VERSION} listening on 127.0.0.1 port {running.port}" in running.log
