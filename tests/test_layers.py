"""The layers of pyproject.toml's import-linter contracts hold, and the tool really checks them.

`make lint` runs `lint-imports` on the tree; these tests plant a forbidden import in a copy of
the tree and check the tool names it, so a contract that stopped biting would fail here.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schemas", "devices", "edge", "server", "cli")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("planted_in", "line", "named"),
    [
        # storage reaching up into delivery
        ("server/db/planted.py", "from server.api import app", "server.db.planted -> server.api"),
        # a lazy import inside a function counts too
        (
            "server/store/planted.py",
            "def f():\n    from server.ingest import pipeline\n",
            "server.store.planted -> server.ingest",
        ),
        # the server borrowing station code
        ("server/planted.py", "import edge.agent", "server.planted -> edge"),
        # a device driver reaching for the agent
        ("devices/planted.py", "import edge.config", "devices.planted -> edge"),
        # schemas must depend on nothing of ours
        ("schemas/planted.py", "import server.db", "schemas.planted -> server"),
    ],
)
def test_a_forbidden_import_is_named(
    tmp_path: Path, planted_in: str, line: str, named: str
) -> None:
    tree = _copy_tree(tmp_path)
    (tree / planted_in).write_text(line + "\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert named in result.stdout, result.stdout
