"""The installed Fireside's version: both command lines' `--version` and the server's `/healthz`."""

import argparse
import sys
from collections.abc import Sequence
from typing import Any

DISTRIBUTION = "fireside"
"""The distribution's name in pyproject.toml, whose metadata holds the one version number."""


def installed_version() -> str:
    """The version of Fireside that is installed, from its package metadata."""
    # Imported only here: importlib.metadata takes ~25 ms to load, and `fireside --help`
    # has 0.3 s in all (docs/performance.md).
    from importlib.metadata import version

    return version(DISTRIBUTION)


class VersionAction(argparse.Action):
    """`--version`: print `PROG VERSION` and exit 0; the metadata is read only when asked."""

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str = argparse.SUPPRESS,
        default: str = argparse.SUPPRESS,
        help: str = "print the version and exit",
    ) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {installed_version()}", file=sys.stdout)
        parser.exit()
