"""`python -m bench.abuse`: attacks on a real fireside-server while an honest pair plays.

Each attack gets a fresh `fireside-server` subprocess on 127.0.0.1 (SQLite in a
temporary directory, default limits, a soft limit of 1,024 open files as the
shipped systemd unit leaves it, pinned to core 0). An honest pair (another
process, on core 1) creates, joins and pairs a room from 127.0.0.1 and plays
full rounds at `--rate` steps a second; the attack comes from other loopback
addresses. Out come the honest pair's step latency (send to its own event's
echo) while the attack ran, the server's RSS and /healthz once a second, the
lines it logged, and whether it is still alive. A Markdown table goes to
stdout; JSON and Markdown to `--out`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.abuse_server import Monitor, ServerSpec, healthz, running_server
from bench.attacks import ATTACKS, Options
from bench.honest import GENERATOR_CORE, latency_figures, play
from bench.proc import machine

SYSTEMD_OPEN_FILES = 1024
"""deploy/fireside-server.service sets no LimitNOFILE: systemd's default soft limit."""


def spec(name: str, options: Options) -> ServerSpec:
    """The server each attack runs against: the shipped CLI, but for expiry's sweep interval."""
    if name == "expiry":
        settings = {"room_ttl": options.expiry_ttl, "sweep_interval": options.expiry_sweep}
        return ServerSpec(in_code=settings, open_files=SYSTEMD_OPEN_FILES)
    return ServerSpec(open_files=SYSTEMD_OPEN_FILES)


async def run_attack(name: str, options: Options, rate: float, quiet: float) -> dict[str, Any]:
    """One attack on a fresh server, with the honest pair and the monitor around it."""
    context = multiprocessing.get_context("spawn")
    with running_server(spec(name, options)) as server:
        stop = context.Event()
        ours, theirs = context.Pipe()
        honest = context.Process(target=play, args=(server.port, rate, stop, theirs), daemon=True)
        honest.start()
        try:
            ready = await _receive(ours, 60.0)
            if not ready or not ready.get("ready"):
                return {"attack": name, "failed": f"the honest pair did not pair: {ready}"}
            monitor = Monitor(server)
            monitor.start()
            quiet_from = time.monotonic_ns()
            await asyncio.sleep(quiet)
            lines_before = server.log_lines()
            began = time.monotonic_ns()
            try:
                outcome = await ATTACKS[name](server, options)
            except Exception as exc:  # a harness bug must not hide the other attacks' figures
                outcome = {"harness_error": f"{type(exc).__name__}: {exc}"}
            ended = time.monotonic_ns()
            await asyncio.sleep(1.0)
            await monitor.stop()
            lines = server.log_lines() - lines_before
            alive = server.alive()
            answer = await healthz(server.port) if alive else None
            stop.set()
            played = await _receive(ours, 30.0) or {}
        finally:
            stop.set()
            honest.join(timeout=10)
            if honest.is_alive():
                honest.kill()
        return {
            "attack": name,
            "seconds": round((ended - began) / 1e9, 1),
            "outcome": outcome,
            "server": {
                **monitor.summary(),
                "alive": alive,
                "healthz_after": answer,
                "log_lines": lines,
                "log_lines_per_s": round(lines / max(0.001, (ended - began) / 1e9), 1),
                "log_kinds": server.log_kinds(lines_before),
            },
            "honest_quiet": latency_figures(played, quiet_from, began),
            "honest": latency_figures(played, began, ended),
        }


async def _receive(pipe: Any, wait_s: float) -> Any:
    """The next message from the honest pair's process, or None after `wait_s` seconds."""
    ready = await asyncio.to_thread(pipe.poll, wait_s)
    return pipe.recv() if ready else None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def happened(record: dict[str, Any]) -> str:
    """One cell: the server's memory, then the attack's own outcome in a few words."""
    if "failed" in record:
        return str(record["failed"])
    server = record["server"]
    outcome = record["outcome"]
    parts = [f"RSS {server['rss_start_mib']}→peak {server['rss_peak_mib']} MiB"]
    name = record["attack"]
    if "harness_error" in outcome:
        parts.append(f"harness error: {outcome['harness_error']}")
    elif name == "ping-flood":
        parts.append(f"{outcome.get('pings_sent', 0):,} pings")
        parts.append(_closed(outcome))
    elif name == "silent-reader":
        parts.append(f"{outcome.get('unsent_bytes', 0) // 1024} KiB unsent")
        parts.append(_closed(outcome))
    elif name == "resume-storm":
        parts.append(
            f"{outcome.get('events', 0):,} events in {outcome.get('fill_seconds')} s; "
            f"{outcome.get('joined_per_s')} joined/s of after=0 "
            f"({outcome.get('joined_mib_received')} MiB); storm {outcome.get('storm_outcomes')}"
        )
        if outcome.get("fill_refusals"):
            parts.append(f"fill refusals {outcome['fill_refusals']}")
    elif name == "log-fill":
        minutes = max(0.001, outcome.get("seconds", 0) / 60)
        growth = (server["rss_peak_mib"] or 0) - (server["rss_start_mib"] or 0)
        parts.append(
            f"{outcome.get('accepted_mib')} MiB accepted in {outcome.get('seconds')} s "
            f"(+{growth / minutes:.0f} MiB RSS/min); "
            f"{outcome.get('rooms_refused_more')}/{outcome.get('rooms_asked')} rooms full, "
            f"first at {outcome.get('first_refused_after_s')} s; {outcome.get('outcomes')}"
        )
    elif name == "half-open":
        parts.append(
            f"held {outcome.get('most_held_at_once')} at once, "
            f"first dropped at {outcome.get('first_dropped_after_s')} s; "
            f"other address answered {outcome.get('probes_answered')}/{outcome.get('probes')} "
            f"(max {outcome.get('probe_max_ms')} ms) {outcome.get('probe_failures') or ''}"
        )
    elif name == "expiry":
        parts.append(
            f"{outcome.get('rooms_created')} rooms made in {outcome.get('created_in_s')} s, "
            f"all gone at {outcome.get('all_gone_after_s')} s; {outcome.get('outcomes')}"
        )
    parts.append(
        f"/healthz failed {server['healthz_failed']}/{server['healthz_probes']} "
        f"(max {_ms(server['healthz_max_ms'])} ms)"
    )
    parts.append(f"{server['log_lines']} log lines")
    return "; ".join(parts)


def _closed(outcome: dict[str, Any]) -> str:
    if outcome.get("closed_after_s") is None:
        return f"not closed ({outcome.get('outcome')})"
    return f"closed after {outcome['closed_after_s']} s"


def markdown(records: list[dict[str, Any]]) -> str:
    rows = [
        "| attack | what happened | honest p50 / p99 / max ms meanwhile | server alive |",
        "|---|---|---|---|",
    ]
    for record in records:
        honest = record.get("honest", {})
        figures = " / ".join(_ms(honest.get(key)) for key in ("p50_ms", "p99_ms", "max_ms"))
        if honest.get("unanswered"):
            figures += f" ({honest['unanswered']} of {honest['steps']} unanswered)"
        if honest.get("closed"):
            figures += f"; closed: {honest['closed']}"
        server = record.get("server", {})
        alive = "yes" if server.get("alive") and server.get("healthz_after") else "**no**"
        rows.append(f"| {record['attack']} | {happened(record)} | {figures} | {alive} |")
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.abuse", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--only", help=f"attacks to run, comma-separated, of: {', '.join(ATTACKS)} (default: all)"
    )
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="bound per attack")
    parser.add_argument("--rate", type=float, default=2.0, help="honest steps per second")
    parser.add_argument(
        "--quiet", type=float, default=3.0, help="seconds the pair plays before each attack"
    )
    parser.add_argument("--resume-events", type=int, default=defaults.resume_events)
    parser.add_argument("--storm-connections", type=int, default=defaults.storm_connections)
    parser.add_argument("--fill-addresses", type=int, default=defaults.fill_addresses)
    parser.add_argument("--fill-rooms", type=int, default=defaults.fill_rooms)
    parser.add_argument("--half-open", type=int, default=defaults.half_open)
    parser.add_argument(
        "--half-open-retry",
        type=float,
        default=defaults.half_open_retry,
        metavar="SECONDS",
        help="how long a dropped half-open connection waits before it is opened again "
        "(default: %(default)s, at once)",
    )
    parser.add_argument("--expiry-rooms", type=int, default=defaults.expiry_rooms)
    parser.add_argument("--expiry-ttl", type=float, default=defaults.expiry_ttl)
    parser.add_argument("--expiry-sweep", type=float, default=defaults.expiry_sweep)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    names = [name.strip() for name in (args.only or ",".join(ATTACKS)).split(",") if name]
    unknown = [name for name in names if name not in ATTACKS]
    if unknown:
        sys.exit(f"unknown attack {', '.join(unknown)}; choose from {', '.join(ATTACKS)}")
    options = Options(
        seconds=args.seconds,
        resume_events=args.resume_events,
        storm_connections=args.storm_connections,
        fill_addresses=args.fill_addresses,
        fill_rooms=args.fill_rooms,
        half_open=args.half_open,
        half_open_retry=args.half_open_retry,
        expiry_rooms=args.expiry_rooms,
        expiry_ttl=args.expiry_ttl,
        expiry_sweep=args.expiry_sweep,
    )
    # The attacker holds more sockets than a process may open by default.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if (os.cpu_count() or 1) > GENERATOR_CORE:
        # The server has core 0 to itself; the attacker shares core 1 with the honest pair.
        os.sched_setaffinity(0, {GENERATOR_CORE})
    records = []
    for name in names:
        print(f"attack {name} …", file=sys.stderr, flush=True)
        records.append(asyncio.run(run_attack(name, options, args.rate, args.quiet)))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    table = markdown(records)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    record = {
        "when": stamp,
        "command": " ".join(["python -m bench.abuse", *(sys.argv[1:] if argv is None else argv)]),
        "machine": {**machine(), "python": sys.version.split()[0]},
        "options": vars(options),
        "attacks": records,
    }
    (args.out / f"abuse-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.out / f"abuse-{stamp}.md").write_text(table + "\n")
    print(f"written to {args.out}/abuse-{stamp}.json and .md", file=sys.stderr)


if __name__ == "__main__":
    main()
