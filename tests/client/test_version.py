"""`fireside --version`: the installed release, from the `fireside` script itself."""

import subprocess

from tests.project import VERSION
from tests.terminal import fireside
from tests.timing import seconds


def test_version_prints_the_release_and_exits_0() -> None:
    """`fireside --version` prints `fireside VERSION` on stdout, nothing else, and exits 0."""
    result = subprocess.run(
        [fireside(), "--version"], capture_output=True, text=True, timeout=seconds(30), check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"fireside {VERSION}\n", "")
