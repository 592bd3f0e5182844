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


@pytest.fixture
def clock() -> ManualClock:
    """The clock the code under test reads, standing at ``tests.pinned.START`` until the test
    moves it."""
    return pinned_clock()
