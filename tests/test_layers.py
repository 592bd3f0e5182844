"""Dependencies point one way: schemas <- devices <- edge; schemas <- server.

Read from the source with ``ast`` (every import, including ones inside functions), so a
violation is caught even on a code path no other test runs.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"schemas", "devices", "edge", "server", "cli"}
ALLOWED = {
    "schemas": {"schemas"},
    "devices": {"schemas", "devices"},
    "edge": {"schemas", "devices", "edge"},
    "server": {"schemas", "server"},
}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    bad = {
        str(f.relative_to(ROOT)): sorted(imports_of(f) - ALLOWED[package])
        for f in files
        if imports_of(f) - ALLOWED[package]
    }
    assert bad == {}, f"{package} may import only {sorted(ALLOWED[package])}"


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "x.py"
    sneaky.write_text("def f():\n    from server.db import tables\n")
    assert imports_of(sneaky) == {"server"}
