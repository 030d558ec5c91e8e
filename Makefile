# aiot developer entry points. Every target creates and uses the project virtualenv .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DURATION ?= 0

.PHONY: run test lint bench bench-models venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## run: broker + worker + simulator with a live alert feed; DURATION=N stops after N seconds
run: $(STAMP)
	$(BIN)/aiot run --duration $(DURATION)

## test: the whole test suite (unit, agent and end-to-end on the embedded broker)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## lint: ruff, mypy and the import-linter layer contracts (pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: engine, worker and simulator throughput and per-asset state size (make bench)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.throughput

## bench-models: NAB, SKAB and C-MAPSS scores beside the published ones (needs ../shared/benchmarks)
bench-models: $(STAMP)
	$(BIN)/python -m benchmarks.run_nab
	$(BIN)/python -m benchmarks.run_skab
	$(BIN)/python -m benchmarks.run_cmapss

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
