"""Real servers behind a real HAProxy: connections spread, a dead instance skipped, idle
websockets kept, clients' addresses passed on; and deploy/haproxy.cfg is a valid config."""

import asyncio
import contextlib
import json
import subprocess
import time
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from server.config import Limits
from tests.db.haproxy import CLIENT_TIMEOUT, Balancer, config, installed_haproxy, load_balancer
from tests.server.http import http_get
from tests.server.wire import member
from tests.server_process import ServerProcess, server_process
from tests.timing import seconds

PRODUCTION = Path(__file__).parents[2] / "deploy" / "haproxy.cfg"

MEMORY = ("--data", ":memory:")

SHARED_SETTINGS = (
    "timeout tunnel",
    "retries",
    "option redispatch",
    "option forwardfor",
    "option httpchk",
    "http-check send",
    "http-check expect",
)
"""The lines the test balancer and deploy/haproxy.cfg must have alike: what these tests prove
of the one holds of the other. Timeouts and check timing differ, to keep the tests fast."""


def _settings(cfg: str) -> dict[str, str]:
    lines = [line.strip() for line in cfg.splitlines()]
    return {key: line for key in SHARED_SETTINGS for line in lines if line.startswith(key)}


async def _connections(server: ServerProcess) -> int:
    """The open websockets `server` itself reports on `/healthz`, asked directly."""
    status, body = await http_get(server.port, "/healthz")
    assert status == 200, body
    count: int = json.loads(body)["connections"]
    return count


async def _open_and_create(balancer: Balancer, stack: contextlib.AsyncExitStack) -> None:
    """One more websocket through the balancer, kept open by `stack`, in a room of its own."""
    seat = await stack.enter_async_context(member(balancer.port))
    assert (await seat.request({"t": "create"}))["t"] == "joined"


async def test_connections_take_turns_and_a_killed_instance_is_skipped() -> None:
    """Websockets through the balancer alternate over both servers; once one is killed, new
    ones all reach the other: at once, retried there, and after the health check has taken
    the dead one out, within about a second."""
    async with server_process(*MEMORY) as a, server_process(*MEMORY) as b:
        with load_balancer([a.port, b.port]) as balancer:
            await balancer.until_up({a.port, b.port})
            async with contextlib.AsyncExitStack() as stack:
                served = []
                for _ in range(4):
                    before = await _connections(a)
                    await _open_and_create(balancer, stack)
                    served.append("a" if await _connections(a) > before else "b")
                assert served in (["a", "b", "a", "b"], ["b", "a", "b", "a"]), served
                assert [await _connections(a), await _connections(b)] == [2, 2]

                b.process.kill()
                await b.process.wait()
                for _ in range(2):
                    await _open_and_create(balancer, stack)
                took = await balancer.until_up({a.port}, within=3)
                assert took < seconds(2), f"the dead instance was UP for {took:.1f} s"
                for _ in range(2):
                    await _open_and_create(balancer, stack)
                assert await _connections(a) == 6
                status, _ = await http_get(balancer.port, "/healthz")
                assert status == 200


async def test_an_idle_websocket_outlives_the_client_timeout() -> None:
    """A connection that sends no request is cut after HAProxy's `timeout client`, while a
    websocket quiet for longer still works: after the upgrade `timeout tunnel` holds it."""
    async with server_process(*MEMORY) as server:
        with load_balancer([server.port]) as balancer:
            async with member(balancer.port) as quiet:
                reader, writer = await asyncio.open_connection("127.0.0.1", balancer.port)
                started = time.monotonic()
                await asyncio.wait_for(reader.read(), seconds(CLIENT_TIMEOUT * 5))
                assert time.monotonic() - started >= CLIENT_TIMEOUT * 0.9
                writer.close()
                await asyncio.sleep(CLIENT_TIMEOUT * 1.5)
                assert (await quiet.request({"t": "create"}))["t"] == "joined"


async def test_each_client_behind_caddy_is_limited_by_its_own_address() -> None:
    """HAProxy passes on the X-Forwarded-For that Caddy, on loopback, puts in without adding
    its own hop, so a --trust-proxy server counts each client's address: one client at its
    limit is refused while another still gets in."""
    limit = Limits().connections_per_address
    async with server_process(*MEMORY, "--trust-proxy") as server:
        with load_balancer([server.port]) as balancer:
            async with contextlib.AsyncExitStack() as stack:
                for _ in range(limit):
                    await stack.enter_async_context(
                        member(balancer.port, headers={"X-Forwarded-For": "198.51.100.7"})
                    )
                with pytest.raises(InvalidStatus) as refused:
                    await stack.enter_async_context(
                        member(balancer.port, headers={"X-Forwarded-For": "198.51.100.7"})
                    )
                assert refused.value.response.status_code == 429
                other = await stack.enter_async_context(
                    member(balancer.port, headers={"X-Forwarded-For": "203.0.113.9"})
                )
                assert (await other.request({"t": "create"}))["t"] == "joined"


def test_the_production_config_is_valid_and_makes_the_tested_choices() -> None:
    """`haproxy -c` accepts deploy/haproxy.cfg without a warning, and the settings these tests
    prove (tunnel timeout, retries, health check, forwarded addresses) are the ones in it."""
    result = subprocess.run(
        [installed_haproxy(), "-c", "-f", str(PRODUCTION)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    tested = _settings(config(8765, [8766, 8767], Path("/nowhere")))
    assert len(tested) == len(SHARED_SETTINGS)
    assert _settings(PRODUCTION.read_text()) == tested
