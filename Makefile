# Every target creates the virtual environment on first use, so a fresh clone
# needs nothing but Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit bench sim screenshots clean

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

typecheck: $(STAMP)
	$(BIN)/mypy opsbot

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

# The README's pictures of the playground, taken by its browser tests.
screenshots: $(STAMP)
	OPSBOT_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider tests/playground/test_browser.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
