"""The abuse harness, run tiny: its attacks start, the honest pair plays, figures come out.

Two attacks of the harness's seven, those with the most moving parts (a resumed seat's log,
the in-code server of the expiry run), keep this at a quarter of the time of all seven.
"""

import json
import subprocess
import sys
from pathlib import Path

from tests.timing import seconds


def test_a_tiny_run_of_two_attacks_reports_the_honest_pair_and_the_server(
    tmp_path: Path,
) -> None:
    """Two seconds per attack at tiny counts: no harness error, the server survives each,
    the honest pair's steps come back, and the Markdown row names every attack run."""
    command = [
        sys.executable,
        "-m",
        "bench.abuse",
        "--seconds",
        "2",
        "--rate",
        "4",
        "--quiet",
        "0.5",
        "--only",
        "resume-storm,expiry",
    ]
    # Each burst of the fill is a resume of its seat, so a long fill spends the seats' resume
    # allowance before the storm begins; 60 events take two bursts and leave the storm some.
    command += ["--resume-events", "60", "--storm-connections", "2", "--fill-addresses", "1"]
    command += ["--fill-rooms", "1", "--half-open", "20", "--expiry-rooms", "40"]
    command += ["--expiry-ttl", "0.5", "--expiry-sweep", "1", "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds(150))
    assert done.returncode == 0, done.stderr[-2000:]
    (record_file,) = tmp_path.glob("abuse-*.json")
    records = {
        record["attack"]: record for record in json.loads(record_file.read_text())["attacks"]
    }
    table = record_file.with_suffix(".md").read_text()
    for name, record in records.items():
        assert "failed" not in record, record.get("failed")
        assert "harness_error" not in record["outcome"], record["outcome"]
        assert record["server"]["alive"], name
        assert record["server"]["rss_peak_mib"] > 0, name
        assert record["honest"]["answered"] > 0, name
        assert f"| {name} |" in table
    assert set(records) == {"resume-storm", "expiry"}
    assert records["resume-storm"]["outcome"]["storm_outcomes"].get("joined", 0) > 0
    assert records["expiry"]["outcome"]["rooms_created"] == 40
    assert records["expiry"]["outcome"]["all_gone_after_s"] is not None
