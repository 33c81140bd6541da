# The two commands of the README. Everything installs into .venv; nothing is downloaded at run time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test install install-dev system-test-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# Debian's Chromium (the browser tests drive it), CJK fonts for Chinese screenshots, and colour emoji
# (status dots).
system-test-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" \
		|| ! fc-list 2>/dev/null | grep -qi "noto color emoji"; then \
		apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; fi

## Install and serve the dashboard on the embedded demo database (built on first run).
serve: install
	$(BIN)/meridian serve $(ARGS)

## Install test needs and run every test (SQLite, PostgreSQL, MariaDB, browser).
test: install-dev system-test-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)
