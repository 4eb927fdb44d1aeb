"""`fireside --help` stays quick: parsing the line loads none of the heavy libraries."""

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

_LOADED = """
import sys
from client.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted({name.partition(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize(
    "argv", [["--help"], ["join", "--help"], ["--port", "x", "host"]], ids=["help", "sub", "usage"]
)
def test_parsing_the_command_line_loads_no_heavy_library(argv: list[str]) -> None:
    """Help, a command's help and a usage error end before Textual, websockets or crypto load."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, *argv], capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    assert "client" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))
