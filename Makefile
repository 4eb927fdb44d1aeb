# Developer checks, in the order style.md asks: format, lint, types, import contracts, tests.
# The test suite runs the same static checks too (tests/test_static.py), so CI covers them.
BIN := .venv/bin

.PHONY: check format lint types contracts test setup

setup:
	python3 -m venv .venv && $(BIN)/pip install -q -e '.[dev]'

check: format lint types contracts test

format:
	$(BIN)/ruff format --check .

lint:
	$(BIN)/ruff check .

types:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

test:
	$(BIN)/python -m pytest -m "not static"
