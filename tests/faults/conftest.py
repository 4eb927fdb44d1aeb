"""Fixtures for the fault tests, and a line in pytest's summary with what they tried."""

from collections.abc import AsyncIterator

import pytest

from server.app import RunningServer, start_server
from server.config import Limits, ServerConfig
from tests.faults.figures import FIGURES

SCRIPT_LIMITS = Limits(
    message_burst=10_000,
    messages_per_second=1_000,
    connections_per_address=1_000,
    rooms_per_address=1_000,
    rooms_per_address_per_ttl=100_000,
    bytes_per_address=1 << 40,
    bytes_per_address_per_second=1 << 40,
    resumes_per_address=1_000_000,
    resumes_per_address_per_second=1_000_000,
    resumes_per_seat=1_000_000,
    resumes_per_seat_per_second=1_000_000,
    max_log_bytes=64 * 1024 * 1024,
)
"""A script moves far faster than a person, every proxied connection comes from 127.0.0.1 and
resumes after every cut, and a soak run's rooms grow far longer logs than any session."""


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    """A real in-process server on a free port, with limits a fast script cannot trip (in place
    of the default-limits `server` in tests/conftest.py)."""
    running = await start_server(ServerConfig(port=0, limits=SCRIPT_LIMITS))
    try:
        yield running
    finally:
        await running.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What the fault tests tried, so a run shows its figures without -s."""
    if FIGURES:
        terminalreporter.section("fault injection")
        for line in FIGURES:
            terminalreporter.write_line(line)
