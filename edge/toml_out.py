"""Write a station config as TOML (the demo and the tests generate theirs).

The standard library reads TOML (``tomllib``) but does not write it. This covers what a
station config holds: strings, numbers, booleans, lists of those, tables and arrays of
tables. Raises TypeError for anything else.
"""

import json
from pathlib import Path
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value))  # a JSON string is a valid TOML basic string
    if isinstance(value, list) and not any(isinstance(v, dict) for v in value):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a TOML value")


def _key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else json.dumps(key)


def _table(data: dict[str, Any], path: list[str], out: list[str]) -> None:
    nested = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict) or (
            isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        ):
            nested.append((key, value))
        else:
            out.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in nested:
        name = ".".join(_key(k) for k in [*path, key])
        if isinstance(value, dict):
            out.append(f"\n[{name}]")
            _table(value, [*path, key], out)
        else:
            for item in value:
                out.append(f"\n[[{name}]]")
                _table(item, [*path, key], out)


def dumps(data: dict[str, Any]) -> str:
    out: list[str] = []
    _table(data, [], out)
    return "\n".join(out) + "\n"
