# Two commands for a newcomer: `make run` (the gateway on 127.0.0.1:8000, embedded SQLite)
# and `make test` (the whole suite). Both create .venv when it is missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint demo check bench clean sample-supplier

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/poortwachter serve

demo: $(VENV)/.installed
	$(BIN)/poortwachter demo

# A stand-in for Basispoort on 127.0.0.1:8081 that prints what it receives (README, first steps).
sample-supplier: $(VENV)/.installed
	$(BIN)/poortwachter sample-supplier

check: $(VENV)/.installed
	$(BIN)/poortwachter check

test: $(VENV)/.installed-test
	$(BIN)/pytest

# Ratios side by side on this machine (docs/performance.md); BENCH_QUICK=1 for a smoke run.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check gateway tests bench
	$(BIN)/ruff format --check gateway tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
