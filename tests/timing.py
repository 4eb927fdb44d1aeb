"""Test timeouts, scaled for slow machines instead of sleeping for luck."""

import os

SCALE = float(os.environ.get("FIRESIDE_TEST_TIMEOUT_SCALE", "1"))


def seconds(base: float) -> float:
    """`base` seconds, stretched by FIRESIDE_TEST_TIMEOUT_SCALE (default 1)."""
    return base * SCALE
