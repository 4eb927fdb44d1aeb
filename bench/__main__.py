"""`python -m bench`: Fireside against a bare relay, on one core, and the client's start-up.

For each target (the bare relay, then Fireside with SQLite, in memory, in
PostgreSQL, and two servers on one PostgreSQL) the servers run pinned to core
0 and the generator processes to core 1. Runs:

- steady: `--rooms` rooms, each one step a second (`--rate`), latency percentiles;
- peak: the same rooms in a closed loop, messages per second on one core;
- idle: `--idle-rooms` paired rooms doing nothing, the server's resident memory.

The figures go out as a Markdown table on stdout and as JSON (and Markdown)
under `--out`, with the ratios of Fireside to the relay and the goals of issue 6.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.client import measure_client
from bench.proc import machine
from bench.report import goals, markdown
from bench.target import TARGETS, Scale, measure_target


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=1000, help="rooms in the steady and peak runs")
    parser.add_argument("--rate", type=float, default=1.0, help="steps per second per room")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured per run")
    parser.add_argument("--window", type=int, default=2, help="peak: own steps in flight per seat")
    parser.add_argument("--idle-rooms", type=int, default=9000, help="rooms in the idle run")
    parser.add_argument(
        "--runs", default="steady,peak,idle,client", help="which runs, comma-separated"
    )
    parser.add_argument(
        "--targets",
        default="relay,fireside",
        help=f"which servers, comma-separated, of {','.join(TARGETS)}",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench/results"), help="where the JSON and Markdown go"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    runs = {run.strip() for run in args.runs.split(",") if run.strip()}
    scale = Scale(
        rooms=args.rooms,
        rate=args.rate,
        warmup=args.warmup,
        duration=args.duration,
        window=args.window,
        idle_rooms=args.idle_rooms,
    )
    # Other work on the machine moves every figure: the record says how busy it was.
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    asked = {target.strip() for target in args.targets.split(",")}
    if unknown := asked - set(TARGETS):
        sys.exit(f"no such target: {', '.join(sorted(unknown))} (there are {', '.join(TARGETS)})")
    for target in [target for target in TARGETS if target in asked]:
        print(f"measuring {target} …", file=sys.stderr, flush=True)
        results[target] = measure_target(target, scale, runs)
    if "client" in runs:
        print("measuring the client …", file=sys.stderr, flush=True)
        results["client"] = measure_client(sys.executable)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {
        "when": stamp,
        "command": " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)]),
        "machine": {
            **machine(),
            "python": sys.version.split()[0],
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "scale": vars(scale),
        "results": results,
        "goals": goals(results),
    }
    table = markdown(record)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.out / f"{stamp}.md").write_text(table + "\n")
    print(f"written to {args.out / stamp}.json and .md", file=sys.stderr)


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"took {time.monotonic() - started:.0f} s", file=sys.stderr)
