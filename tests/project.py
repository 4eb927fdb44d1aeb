"""The checkout under test: where it lies, and the version its pyproject.toml declares."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

VERSION: str = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "version"
]
"""What `--version` and `/healthz` must say: the one number, as written in pyproject.toml."""
