"""`make` installs from requirements/dev.txt: every dependency pyproject.toml names is pinned
there, with hashes, so a clean clone installs the versions the tests last passed with."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "dev.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        found = PIN.match(line)
        if found:
            pins[canonicalize_name(found[1])] = found[2]
    return pins


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lists = [project["dependencies"], *project["optional-dependencies"].values()]
    names = {canonicalize_name(Requirement(r).name) for reqs in lists for r in reqs}
    return names - {"seedtrace"}


def test_every_declared_dependency_is_pinned() -> None:
    missing = _declared() - set(_pins())
    assert missing == set(), f"not in {LOCK.name}: {sorted(missing)}; run `make lock`"


def test_every_pin_carries_a_hash() -> None:
    text = LOCK.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash=" not in b]
    assert unhashed == []
