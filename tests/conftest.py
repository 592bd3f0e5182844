"""Shared test configuration.

In CI (``CI=true``) a skipped test is a failure: a test that needs a real part (mosquitto,
PostgreSQL, pcscd, Chromium) must run there, not skip.
"""

import os

import pytest

from schemas.clock import ManualClock
from tests.pinned import pinned_clock

# Headless Chromium (the `chromium` and `page` fixtures) for the console's and the station
# display's browser tests.
pytest_plugins = ["tests.server.browser.harness"]

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, which counts as a failure: {reason}"


# A test that uses one of these, or runs on PostgreSQL, needs a real part: `make check` leaves
# it out (marker `services`), `make test` runs it.
SERVICE_FIXTURES = frozenset(
    {
        "broker",
        "ingest",
        "pg_template",
        "pcscd",
        "secure_broker",
        "chromium",
        "page",
        "site",
        "metrc",
        "biotrack",
    }
)
SERVICE_MARKERS = ("postgres", "broker", "hardware", "slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if (
            on_postgres
            or names & SERVICE_FIXTURES
            or any(item.get_closest_marker(m) for m in SERVICE_MARKERS)
        ):
            item.add_marker(pytest.mark.services)
        if "database_url" in names or "engine" in names:
            item.add_marker(pytest.mark.storage)
        if "pcscd" in names:
            # One pcscd per machine (vpcd's fixed ports): make test runs these on their own,
            # after the parallel run (xdist's loadgroup does not group under pytest 9).
            item.add_marker(pytest.mark.serial)


@pytest.fixture
def clock() -> ManualClock:
    """The clock the code under test reads, standing at ``tests.pinned.START`` until the test
    moves it."""
    return pinned_clock()
