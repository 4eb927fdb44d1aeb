"""`fireside --version`: the installed release, without loading what the app needs."""

import subprocess
import sysconfig
from pathlib import Path

from tests.project import VERSION


def test_version_prints_the_release_and_exits_0() -> None:
    """The `fireside` script itself prints `fireside VERSION` on stdout and exits 0."""
    fireside = Path(sysconfig.get_path("scripts")) / "fireside"
    result = subprocess.run(
        [str(fireside), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"fireside {VERSION}\n", "")
