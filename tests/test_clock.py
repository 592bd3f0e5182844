"""The one clock: its behaviour, and the lint rule that keeps wall-clock reads out of the code.

Every date- or time-of-day-sensitive path in ``server/``, ``edge/`` and ``cli/`` reads the clock
it is given (``schemas/clock.py``); ruff's banned-api rule (``pyproject.toml``) refuses a direct
``datetime.now()``, ``date.today()`` or ``time.time()`` there, so the next time bomb is caught
on the commit that plants it.
"""

import ast
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from schemas.clock import SYSTEM_CLOCK, Clock, ManualClock, local_day, local_time

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")
BOMBS = {
    "from datetime import datetime, UTC\nx = datetime.now(UTC)\n": "datetime.datetime.now",
    "import datetime\nx = datetime.datetime.utcnow()\n": "datetime.datetime.utcnow",
    "from datetime import date\nx = date.today()\n": "datetime.date.today",
    "import time\nx = time.time()\n": "time.time",
}


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=-8))))
    assert isinstance(clock, Clock)
    assert clock.now() == datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.advance(90) == datetime(2026, 11, 24, 17, 31, 30, tzinfo=UTC)
    assert clock.advance(timedelta(0)) == clock.now()  # zero is a step
    clock.set(datetime(2028, 2, 29, tzinfo=UTC))
    assert clock.now().date() == date(2028, 2, 29)
    with pytest.raises(ValueError, match="forwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 1, 1))


def test_the_system_clock_is_aware_utc() -> None:
    assert SYSTEM_CLOCK.now().tzinfo is UTC


def test_the_day_is_the_premises_day() -> None:
    late_evening = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)  # 22:30 on the 24th in LA
    assert local_day(late_evening, "America/Los_Angeles") == date(2026, 11, 24)
    assert local_day(late_evening, "America/New_York") == date(2026, 11, 25)
    assert local_time(late_evening, "America/Los_Angeles").strftime("%H:%M") == "22:30"
    with pytest.raises(ValueError, match="naive"):
        local_day(datetime(2026, 11, 25, 6, 30), "UTC")
    with pytest.raises(KeyError):
        local_day(late_evening, "Mars/Olympus_Mons")


@pytest.mark.parametrize("package", ["server", "edge", "cli"])
@pytest.mark.parametrize(("source", "name"), list(BOMBS.items()))
def test_lint_refuses_a_wall_clock_read(package: str, source: str, name: str) -> None:
    """The project's own ruff config, on a file that would live in ``package``."""
    found = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--stdin-filename", f"{package}/bomb.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"TID251 `{name}` is banned" in found.stdout


def _wall_clock_reads(path: Path) -> list[str]:
    reads = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"}:
            base = node.value
            if isinstance(base, ast.Name) and base.id in {"datetime", "date"}:
                reads.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return reads


def test_only_the_system_clock_reads_the_wall_clock() -> None:
    """The same check without ruff, over the tree as it is: one read, in schemas/clock.py."""
    reads = [
        r
        for package in ("schemas", "server", "edge", "cli")
        for path in sorted((ROOT / package).rglob("*.py"))
        for r in _wall_clock_reads(path)
    ]
    assert [r.split(":")[0] for r in reads] == ["schemas/clock.py"]
