"""Coverage-guided fuzzing with atheris, bounded and seeded: no input makes our code raise."""

import os
import re
import subprocess
import sys
from pathlib import Path

import msgpack

from tests.hostile.frames import FORGED
from tests.shared.rooms import VALID
from tests.soak import SEED, rounds
from tests.timing import seconds

RUNS = rounds(ci=6_000, soak=2_000_000)
"""A CI run goes once through the seed corpus (about 700 inputs) and mutates for the rest; the
soak run (FIRESIDE_SOAK=1) is where the fuzzer searches deep."""
HARNESS = Path(__file__).with_name("fuzz_atheris.py")
ROOT = HARNESS.parents[2]


def seed_corpus(corpus: Path) -> None:
    """Every valid message and every forged header, each behind every first byte the harness reads.

    The first byte chooses the seat and the phase or pairing step, and the connection;
    see `member_in` and `seated_connections` in fuzz_atheris.py.
    """
    frames = [msgpack.packb(message) for message in VALID.values()] + FORGED[:-3]
    for number, frame in enumerate(frames):
        for head in (0, 1, 2, 3, 4, 6, 8, 9, 11, 13, 0x81, 0x83, 0x85, 0x88, 0x8C):
            (corpus / f"seed-{number}-{head}").write_bytes(bytes([head]) + frame)


def test_atheris_finds_no_input_that_raises(tmp_path: Path) -> None:
    """libFuzzer runs RUNS inputs from a fixed seed and reports no crash."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed_corpus(corpus)
    done = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-runs={RUNS}",
            f"-seed={SEED}",
            "-max_len=4096",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=seconds(600 if RUNS > 100_000 else 100),
    )
    report = done.stderr[-3000:]
    assert done.returncode == 0, report
    ran = re.search(r"Done (\d+) runs in (\d+) second", done.stderr)
    assert ran is not None, report
    coverage = re.findall(r"cov: (\d+)", done.stderr)
    print(f"\natheris: {ran[1]} runs in {ran[2]} s, coverage {coverage[-1]} edges")
    assert int(ran[1]) == RUNS
    assert not list(tmp_path.glob("crash-*"))
