# seedtrace: the two commands of the README.
#   make demo   install everything (Debian packages, .venv) and run the demo
#   make test   install everything and run every check and test
# Root installs missing Debian packages with apt-get; anyone else is told the exact sudo line.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := mosquitto python3-venv python3-dev pcscd vsmartcard-vpcd libpcsclite-dev swig gcc \
	libzbar0 postgresql chromium openssl systemd curl faketime fonts-dejavu-core
STAMP := $(VENV)/.installed
DEMO_PORT ?= 8000
DEMO_DIR ?= var/demo

.PHONY: demo test check lint typecheck unit time-travel deps lock schemas clean

# Python packages come from the lock file, pinned with hashes (make lock writes it from
# pyproject.toml); the project itself is installed editable on top, without resolving again.
LOCK := requirements/dev.txt

$(STAMP): pyproject.toml $(LOCK) deploy/scripts/ensure-debian-packages
	deploy/scripts/ensure-debian-packages $(DEBIAN_PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

deps: $(STAMP)

# After changing a dependency in pyproject.toml: pin everything again, with hashes.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--quiet -o $(LOCK)

# On a terminal the demo runs as its own foreground job (set -m; fg), so Ctrl-C reaches the
# demo, which stops everything it started, prints "demo stopped" and exits 0, and not make,
# which would report "Interrupt" and fail.
DEMO := $(BIN)/seedtrace demo --keep-running --port $(DEMO_PORT) --workdir $(DEMO_DIR)
demo: $(STAMP)
	@if [ -t 0 ]; then set -m; $(DEMO) & fg %1 >/dev/null; else exec $(DEMO); fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# The tests whose answers depend on dates, run once more with the machine's clock moved far
# and awkwardly (libfaketime): 540 days ahead, and on a leap day at an hour when UTC and the
# premises (Los Angeles) are on different days. They pin or move the clock the code is given,
# so they pass on any date; a path that reads the wall clock shows up here. Browser tests stay
# out: Chromium hangs under libfaketime.
DATE_TESTS := tests/test_clock.py tests/api tests/deadlines tests/server/test_deadlines.py \
	tests/server/test_deadlines_ingest.py tests/server/console/test_queries.py tests/edge/test_workflows.py

# The suite runs on every core (pytest-xdist); the few tests that share a machine-wide part
# (pcscd, marker `serial`) run on their own afterwards.
WORKERS ?= auto
unit: $(STAMP)
	deploy/scripts/ensure-postgres
	$(BIN)/pytest -n $(WORKERS) -m "not serial"
	$(BIN)/pytest -m serial
	$(MAKE) --no-print-directory time-travel

# A developer's quick check, under a minute: lint, layers, types, and the tests that need no
# database and no real part (markers set in tests/conftest.py). make test runs everything.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest -q -n $(WORKERS) -m "not services and not storage and not serial and not slow"

time-travel: $(STAMP)
	deploy/scripts/ensure-postgres
	faketime -f '+540d' $(BIN)/pytest -p no:cacheprovider -q $(DATE_TESTS)
	faketime -f '@2028-02-29 07:30:00' $(BIN)/pytest -p no:cacheprovider -q $(DATE_TESTS)

test: lint typecheck unit

schemas: $(STAMP)
	$(BIN)/python -m schemas.generate

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
