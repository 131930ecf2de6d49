# Every target creates the virtual environment on first use, so a fresh clone
# needs nothing but Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-engines lint typecheck layers unit bench sim screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# With any Slack setting in the environment, serve Slack; with none, start the
# playground (a local Slack workspace in the browser, at 127.0.0.1:$$PORT).
SLACK_SETTINGS := $(strip $(SLACK_SIGNING_SECRET)$(SLACK_BOT_TOKEN)$(SLACK_CLIENT_ID)$(SLACK_CLIENT_SECRET)$(SLACK_APP_TOKEN))

run: $(STAMP)
	$(BIN)/opsbot $(if $(SLACK_SETTINGS),serve,playground)

sim: $(STAMP)
	$(BIN)/opsbot sim

lint: $(STAMP)
	$(BIN)/ruff check opsbot tests bench tools
	$(BIN)/ruff format --check opsbot tests bench tools

# Strict (pyproject's [tool.mypy]) over everything that is code: a helper in
# tests/support or a benchmark breaks as loudly as production code.
typecheck: $(STAMP)
	$(BIN)/mypy opsbot tests bench tools

# The import contracts in pyproject.toml ([tool.importlinter]): layers point
# one way, the simulator and workspace stay separate programs, store/api/ui
# know nothing of Slack's SDKs, ui does no I/O. The graph takes well under a
# second to build, so no cache directory is kept.
layers: $(STAMP)
	$(BIN)/lint-imports --no-logo --no-cache

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck layers unit

# The store, watcher and reliability suites again on a 3-master Redis Cluster
# and on a primary + replica + Sentinel set (started by the tests from the
# same redis-server), plus the failover tests; .ci/run runs it after `test`.
test-engines: $(STAMP)
	$(BIN)/pytest -q --redis-engines=cluster,sentinel

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

# The README's pictures of the playground, taken by its browser tests.
screenshots: $(STAMP)
	OPSBOT_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider tests/playground/test_browser.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis .import_linter_cache
