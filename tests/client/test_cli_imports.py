"""`fireside` loads what it needs when it needs it: help and the welcome screen stay quick."""

import subprocess
import sys

import pytest

HEAVY = (
    "textual",
    "rich",
    "websockets",
    "cryptography",
    "spake2",
    "mnemonic",
    "msgpack",
    "asyncio",
)
"""What the parser never needs: the TUI, the network and the crypto (issue 6)."""

ROOM_ONLY = ("websockets", "cryptography", "spake2")
"""What only a room needs: the welcome screen paints without the network and the crypto.

msgpack may come: the reply types (shared.events) encode themselves, and it loads in ~2 ms."""

_PARSED = """
import sys
from client.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted({name.partition(".")[0] for name in sys.modules})))
"""

_WELCOMED = """
import asyncio, sys
import client.commands  # what plain `fireside` imports before the app
from client.app import FiresideApp
from client.entry import Entry
from client.screens.welcome import WelcomeScreen

async def welcome() -> None:
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)

asyncio.run(welcome())
print(" ".join(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def _loaded(code: str, *argv: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running `code`."""
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["join", "--help"], ["--port", "x", "host"], ["--version"]],
    ids=["help", "sub", "usage", "version"],
)
def test_parsing_the_command_line_loads_no_heavy_library(argv: list[str]) -> None:
    """Help, a command's help, a usage error and the version end before Textual, websockets or
    crypto load."""
    loaded = _loaded(_PARSED, *argv)
    assert "client" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


def test_the_welcome_screen_loads_neither_network_nor_crypto() -> None:
    """With no saved seat, the welcome screen is up before websockets or any crypto loads."""
    loaded = _loaded(_WELCOMED)
    assert "textual" in loaded
    assert loaded.isdisjoint(ROOM_ONLY), sorted(loaded.intersection(ROOM_ONLY))
