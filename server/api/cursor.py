"""Keyset cursors: where the next page of a list starts.

A list is ordered by a key that no two of its rows share (a position, a UID, or a time with a
unique tie-breaker). A page's ``next`` cursor is the list's name and its last row's key,
as JSON in URL-safe base64 without padding: opaque to the client, who passes it back as
``after``. The next page is the rows strictly after that key in the list's order
(``WHERE key > :after ORDER BY key LIMIT n``), which the key's index answers without reading
the rows before it; rows added between two pages are neither skipped nor repeated, except
that a row whose key falls before the cursor (an older time recorded late) is not in the rest
of the walk.

A cursor that does not decode, belongs to another list or holds a value of the wrong type is
refused with a 422 naming ``after``.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import AwareDatetime, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.types import TypeDecorator

from server.api.errors import Invalid

MAX_CURSOR = 1000  # characters; a key of a few columns is far shorter


class SortKey:
    """The columns a list is ordered by, each ascending or descending (``column.desc()``)."""

    def __init__(self, order: Sequence[sa.ColumnElement[Any]]) -> None:
        self.order = tuple(order)
        self.parts: list[tuple[sa.ColumnElement[Any], bool]] = []
        for element in self.order:
            descending = (
                isinstance(element, UnaryExpression) and element.modifier is operators.desc_op
            )
            column = element.element if isinstance(element, UnaryExpression) else element
            self.parts.append((column, descending))

    def labelled(self) -> list[sa.Label[Any]]:
        """The key's columns, to select beside a row's own (``_key0``, ``_key1`` ...)."""
        return [column.label(f"_key{i}") for i, (column, _) in enumerate(self.parts)]

    def of_row(self, row: sa.RowMapping) -> list[object]:
        """The key of a row selected with :meth:`labelled`."""
        return [row[f"_key{i}"] for i in range(len(self.parts))]

    def after(self, values: Sequence[object]) -> sa.ColumnElement[bool]:
        """The rows strictly after ``values`` in this order. With more than one column, the
        first column's bound is said on its own too, so that its index narrows the scan."""
        steps = []
        for i, (column, descending) in enumerate(self.parts):
            equal = [c == v for (c, _), v in zip(self.parts[:i], values, strict=False)]
            step = column < values[i] if descending else column > values[i]
            steps.append(sa.and_(*equal, step))
        if len(steps) == 1:
            return steps[0]
        first, descending = self.parts[0]
        bound = first <= values[0] if descending else first >= values[0]
        return sa.and_(bound, sa.or_(*steps))

    def decode(self, cursor: str, name: str) -> list[object]:
        """The key values in ``cursor``, typed as the key's columns."""
        values = decode(cursor, name, len(self.parts))
        typed = []
        for (column, _), value in zip(self.parts, values, strict=True):
            kind = _python_type(column.type)
            adapter: TypeAdapter[Any] = TypeAdapter(AwareDatetime if kind is datetime else kind)
            try:
                typed.append(adapter.validate_python(value))
            except ValidationError:
                raise refused() from None
        return typed


def _python_type(kind: sa.types.TypeEngine[Any]) -> type:
    """The Python type of a column's values, through the decorators (UTC times, SQLModel's
    strings) to the type they store; TypeError for a key of a type a cursor cannot hold."""
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    found = kind.python_type
    if found not in (int, str, datetime):
        raise TypeError(f"a list cannot be keyed by a column of {kind!r}")
    return found


def encode(name: str, values: Sequence[object]) -> str:
    """The cursor of the list ``name`` at the key ``values``."""
    text = json.dumps([name, *to_jsonable_python(list(values))], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, name: str, width: int) -> list[object]:
    """The ``width`` values of a cursor of the list ``name``, as JSON gave them."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found = json.loads(raw)
    except (binascii.Error, ValueError):
        raise refused() from None
    if not isinstance(found, list) or len(found) != width + 1 or found[0] != name:
        raise refused()
    return found[1:]


def refused() -> Invalid:
    return Invalid("query", "after", "is not a cursor of this list (pass a page's next as it is)")
