"""The figures as a Markdown table, with the ratios to the relay and issue 6's goals."""

import math
from typing import Any

from bench.target import TARGETS

RATIOS = (
    # (what, run, figure, how it is shown)
    ("steady p99 latency", "steady", "p99_ms", "{:.2f} ms"),
    ("peak messages per second", "peak", "msgs_per_s", "{:,.0f}"),
    ("server CPU per message at peak", "peak", "server_cpu_us_per_msg", "{:.0f} µs"),
)
"""The ratio table: each Fireside target's figure against the relay's in the same run."""

COMPARED = (
    ("fireside", "relay"),
    ("fireside-memory", "relay"),
    ("fireside-postgres", "relay"),
    ("fireside-postgres-2", "relay"),
    ("fireside-postgres-2", "fireside-postgres"),
)
"""(ours, theirs): every Fireside store against the relay, and two servers against one."""

GOALS = (
    # (name, how it is read, the limit, lower is better)
    ("steady p99 / relay p99", "ratio:steady:p99_ms", 1.3, True),
    ("steady p99 (ms)", "fireside:steady:p99_ms", 20.0, True),
    ("peak msgs/s / relay", "ratio:peak:msgs_per_s", 0.7, False),
    ("idle server RSS (MiB)", "fireside:idle:server_rss_mib", 450.0, True),
    ("client --help (s)", "client:help_s", 0.3, True),
    ("client welcome painted (s)", "client:welcome_s", 0.8, True),
    ("client idle CPU (%)", "client:idle_cpu_percent", 0.5, True),
)

_COLUMNS = (
    ("rooms", "rooms", "{:.0f}"),
    ("msgs/s", "msgs_per_s", "{:,.0f}"),
    ("p50 ms", "p50_ms", "{:.2f}"),
    ("p99 ms", "p99_ms", "{:.2f}"),
    ("max ms", "max_ms", "{:.1f}"),
    ("errors", "errors", "{:.0f}"),
    ("server CPU %", "server_cpu_percent", "{:.0f}"),
    ("server CPU µs/msg", "server_cpu_us_per_msg", "{:.0f}"),
    ("server core busy %", "server_core_busy_percent", "{:.0f}"),
    ("generator CPU %", "generator_cpu_percent", "{:.0f}"),
    ("generator core busy %", "generator_core_busy_percent", "{:.0f}"),
    ("server RSS MiB", "server_rss_mib", "{:.0f}"),
)


def _figure(results: dict[str, Any], path: str) -> float:
    parts = path.split(":")
    if parts[0] == "ratio":
        _, run, key = parts
        ours = _figure(results, f"fireside:{run}:{key}")
        theirs = _figure(results, f"relay:{run}:{key}")
        return ours / theirs if theirs else math.nan
    value: Any = results
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return math.nan
        value = value[part]
    return float(value)


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal with the measured figure and whether it is met (None when not measured)."""
    checked = []
    for name, path, limit, lower in GOALS:
        figure = _figure(results, path)
        met = None if math.isnan(figure) else (figure <= limit if lower else figure >= limit)
        checked.append(
            {"goal": name, "limit": limit, "lower_is_better": lower, "figure": figure, "met": met}
        )
    return checked


def _cell(value: Any, style: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return style.format(value)


def markdown(record: dict[str, Any]) -> str:
    results = record["results"]
    lines = [
        f"Fireside vs a bare websockets relay, {record['when']}",
        f"machine: {record['machine']['cpu']}, {record['machine']['cores']} cores, "
        f"{record['machine']['kernel']}, Python {record['machine']['python']}",
        f"command: `{record['command']}`",
    ]
    if "load_before" in record["machine"]:
        before, after = record["machine"]["load_before"], record["machine"]["load_after"]
        lines.append(f"load average (1, 5, 15 min): before {before}, after {after}")
    timed = []
    for run in ("steady", "peak"):
        for target in TARGETS:
            row = results.get(target, {}).get(run)
            if row is not None:
                cells = [_cell(row.get(key), style) for _, key, style in _COLUMNS]
                timed.append(f"| {run} | {target} | " + " | ".join(cells) + " |")
    if timed:
        lines += [
            "",
            "| run | target | " + " | ".join(title for title, _, _ in _COLUMNS) + " |",
            "|---|---|" + "---:|" * len(_COLUMNS),
            *timed,
        ]
    idle = [(target, results.get(target, {}).get("idle")) for target in TARGETS]
    if any(row for _, row in idle):
        lines += [
            "",
            "| idle | rooms | connections | server RSS MiB | KiB/connection | server CPU % |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for target, row in idle:
            if row:
                lines.append(
                    f"| {target} | {row['rooms']:,} | {row['connections']:,} | "
                    f"{row['server_rss_mib']:.0f} | {row['kib_per_connection']:.1f} | "
                    f"{row['server_cpu_percent']:.1f} |"
                )
    lines += _ratios(results)
    lines += ["", "| goal | limit | measured | met |", "|---|---:|---:|---|"]
    for goal in record["goals"]:
        met = {True: "yes", False: "**no**", None: "-"}[goal["met"]]
        sign = "≤" if goal["lower_is_better"] else "≥"
        lines.append(
            f"| {goal['goal']} | {sign} {goal['limit']:g} | {_cell(goal['figure'], '{:.3g}')} "
            f"| {met} |"
        )
    return "\n".join(lines)


def _ratios(results: dict[str, Any]) -> list[str]:
    """Each pair of COMPARED both measured: its figures side by side and their ratio."""
    rows = []
    for ours, theirs in COMPARED:
        for what, run, key, style in RATIOS:
            mine = _figure(results, f"{ours}:{run}:{key}")
            other = _figure(results, f"{theirs}:{run}:{key}")
            if math.isnan(mine) or math.isnan(other):
                continue
            ratio = mine / other if other else math.nan
            rows.append(
                f"| {what} | {ours} / {theirs} | {_cell(other, style)} | {_cell(mine, style)} "
                f"| {_cell(ratio, '{:.2f}')} |"
            )
    if not rows:
        return []
    return ["", "| | compared | theirs | ours | ratio |", "|---|---|---:|---:|---:|", *rows]
