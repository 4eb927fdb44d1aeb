"""How hard the fault, fuzz and flood tests push: bounded in CI, long with FIRESIDE_SOAK=1."""

import os

SOAK = os.environ.get("FIRESIDE_SOAK") == "1"
"""Set FIRESIDE_SOAK=1 for the long soak run documented in the README."""

SEED = int(os.environ.get("FIRESIDE_SEED", "20261126"))
"""Every random choice in these tests derives from this seed, so a failure can be replayed."""


def rounds(ci: int, soak: int) -> int:
    """`ci` iterations in a normal run, `soak` in a soak run."""
    return soak if SOAK else ci
