# aiot developer entry points. Every target creates and uses the project virtualenv .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DURATION ?= 0

.PHONY: run test lint bench bench-reliability bench-models venv clean

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

## bench: engine, worker, simulator and edge-motion throughput and per-asset state size (make bench)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.throughput

## bench-reliability: backlog, crash and rebalance equivalence and poison pills on the embedded broker
bench-reliability: $(STAMP)
	$(BIN)/python -m benchmarks.reliability

## bench-models: NAB, SKAB, C-MAPSS and WEDA-FALL scores beside the published ones (needs ../shared/benchmarks)
bench-models: $(STAMP)
	$(BIN)/python -m benchmarks.run_nab
	$(BIN)/python -m benchmarks.run_skab
	$(BIN)/python -m benchmarks.run_cmapss
	$(BIN)/python -m benchmarks.run_weda_fall

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
