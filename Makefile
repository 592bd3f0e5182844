# seedtrace: the two commands of the README.
#   make demo   install everything (Debian packages, .venv) and run the demo
#   make test   install everything and run every check and test
# Root installs missing Debian packages with apt-get; anyone else is told the exact sudo line.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := mosquitto python3-venv python3-dev pcscd vsmartcard-vpcd libpcsclite-dev swig gcc \
	libzbar0 postgresql chromium openssl systemd curl
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit deps schemas clean

$(STAMP): pyproject.toml deploy/scripts/ensure-debian-packages
	deploy/scripts/ensure-debian-packages $(DEBIAN_PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

deps: $(STAMP)

demo: $(STAMP)
	$(BIN)/seedtrace demo --keep-running

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	deploy/scripts/ensure-postgres
	$(BIN)/pytest

test: lint typecheck unit

schemas: $(STAMP)
	$(BIN)/python -m schemas.generate

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
