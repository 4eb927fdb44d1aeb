"""Figures the fault tests report at the end of the run (cut points tried, time taken)."""

FIGURES: list[str] = []
