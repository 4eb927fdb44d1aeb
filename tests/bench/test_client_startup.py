"""The client start-up benchmark runs end to end; how fast is the benchmark's business, not this."""

import math
import sys

from bench.client import measure_client


def test_measure_client_finds_the_welcome_screen_and_reports_three_figures() -> None:
    """One run of each: help exits, the welcome text reaches the pseudo-terminal, CPU is read.

    measure_client raises WelcomeNotSeen when the welcome text never shows, so
    returning at all means it was found. No figure is compared with a time limit.
    """
    figures = measure_client(sys.executable, repeats=1, idle_seconds=1.0)

    assert set(figures) == {"help_s", "welcome_s", "idle_cpu_percent"}
    assert all(math.isfinite(value) for value in figures.values())
    assert figures["help_s"] > 0
    assert figures["welcome_s"] > 0
    # A truly idle app may use no whole clock tick in the window, so zero is a fine answer.
    assert figures["idle_cpu_percent"] >= 0
