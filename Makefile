# Every target creates the virtual environment on first use, so a fresh clone
# needs nothing but Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-engines lint typecheck unit bench sim clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/opsbot serve

sim: $(STAMP)
	$(BIN)/opsbot sim

lint: $(STAMP)
	$(BIN)/ruff check opsbot tests bench tools
	$(BIN)/ruff format --check opsbot tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy opsbot

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# The store, watcher and reliability suites again on a 3-master Redis Cluster
# and on a primary + replica + Sentinel set (started by the tests from the
# same redis-server), plus the failover tests; .ci/run runs it after `test`.
test-engines: $(STAMP)
	$(BIN)/pytest -q --redis-engines=cluster,sentinel

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
