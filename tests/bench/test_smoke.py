"""The benchmark harness, run tiny: both servers start, rooms pair and play, figures come out."""

import json
import subprocess
import sys
from pathlib import Path

from tests.timing import seconds


def test_a_tiny_run_of_the_harness_measures_both_targets(tmp_path: Path) -> None:
    """Three rooms per target: every step sent while measuring arrives, nothing is refused,
    and the JSON and Markdown carry each run's figures and the goals."""
    command = [sys.executable, "-m", "bench", "--rooms", "3", "--rate", "4", "--warmup", "0.5"]
    command += ["--duration", "1", "--idle-rooms", "3", "--runs", "steady,peak,idle"]
    command += ["--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds(90))
    assert done.returncode == 0, done.stderr[-2000:]
    (record_file,) = tmp_path.glob("*.json")
    record = json.loads(record_file.read_text())
    for target in ("relay", "fireside"):
        results = record["results"][target]
        assert results["setup"]["failed"] == 0, results["setup"]["failures"]
        for run in ("steady", "peak"):
            figures = results[run]
            assert figures["delivered"] > 0, (target, run)
            assert figures["errors"] == figures["closed"] == 0, (target, run)
            assert figures["p99_ms"] > 0
        assert results["idle"]["connections"] == 6
        assert results["idle"]["server_rss_mib"] > 0
    steady = record["results"]["fireside"]["steady"]
    assert steady["delivered"] == steady["sent"], "every step sent while measuring arrived"
    goals = {goal["goal"]: goal for goal in record["goals"]}
    assert goals["steady p99 / relay p99"]["figure"] > 0
    assert "| steady | fireside |" in (tmp_path / record_file.with_suffix(".md").name).read_text()


def test_a_tiny_run_measures_fireside_in_postgresql_and_on_two_servers(tmp_path: Path) -> None:
    """Two rooms in a throwaway PostgreSQL, on one server and on two sharing the database
    (seat a on one, seat b on the other): every room pairs, every step arrives, nothing is
    refused, and the ratio table compares two servers with one."""
    command = [sys.executable, "-m", "bench", "--rooms", "2", "--rate", "4", "--warmup", "0.2"]
    command += ["--duration", "0.5", "--runs", "steady,peak"]
    command += ["--targets", "fireside-postgres,fireside-postgres-2", "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds(90))
    assert done.returncode == 0, done.stderr[-2000:]
    (record_file,) = tmp_path.glob("*.json")
    record = json.loads(record_file.read_text())
    table = record_file.with_suffix(".md").read_text()
    measured = ["fireside-postgres", "fireside-postgres-2"]
    assert "| fireside-postgres-2 / fireside-postgres |" in table
    for target in measured:
        results = record["results"][target]
        assert results["setup"]["failed"] == 0, results["setup"]["failures"]
        for run in ("steady", "peak"):
            figures = results[run]
            assert figures["delivered"] > 0, (target, run)
            assert figures["errors"] == figures["closed"] == 0, (target, run)
        assert f"| peak | {target} |" in table
