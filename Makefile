# One entry point for people and CI. `make test` and `make run` install what they need.
SHELL := /bin/bash
# pyenv machines: make python3.12 (the Lambda runtime) resolvable without changing the user's global setting.
export PYENV_VERSION ?= 3.12.1:3.13.0:3.11.7
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-west-1

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml functions/requirements.txt | sha1sum | cut -c1-12)

.PHONY: install browser lint test unit integration run bench openapi build clean

install: $(STAMP)

$(STAMP): pyproject.toml functions/requirements.txt
	@test -x $(BIN)/python || { python3.12 -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint

# The browser tests drive Chromium through Playwright: Debian's package where apt-get can install it (the tests pass
# it as executable_path), else Playwright's own download. Quick when a browser is there already.
browser: $(STAMP)
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && { export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; } >/dev/null; then :; \
	else $(BIN)/python -m playwright install chromium; fi

test: lint browser
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP) browser
	$(BIN)/pytest tests/integration

run: $(STAMP)
	$(BIN)/python -m infra.local

bench: $(STAMP)
	$(BIN)/python -m infra.bench.order_pipeline
	$(BIN)/python -m infra.bench.cold_start

openapi: $(STAMP)
	$(BIN)/python -m infra.api.generate_openapi

build: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam build

clean:
	rm -rf $(VENV) .aws-sam .mypy_cache .pytest_cache .ruff_cache
