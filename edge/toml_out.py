"""Write a station config as TOML (the demo and the tests generate theirs), with ``tomli-w``.

The standard library reads TOML (``tomllib``) but does not write it. TOML has no null: keys
whose value is None are left out (the config then takes its default), at any depth. Paths are
written as strings. Raises TypeError for a value TOML cannot hold.
"""

from pathlib import Path
from typing import Any

import tomli_w


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def dumps(data: dict[str, Any]) -> str:
    return tomli_w.dumps(_plain(data))
