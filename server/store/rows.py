"""Projections that add one row per event, declared as data.

Many record events (tags ordered, a reconciliation, a sale ...) project as one new row: the
payload's fields copied to the columns of the same name (an enum as its value), the envelope's
licence, and, in the columns a :class:`Row` names, the event's log position, its id, when it
happened and who recorded it. :func:`inserts` registers such a row as the projection of a payload
model with :func:`server.store.registry.projects`, so the projection is one declaration rather
than a copied handler; a handler that does more calls :meth:`Row.insert` itself.

Failure modes: a copied field the model does not declare, or a named column the table lacks,
raises :class:`LookupError` at import; a database constraint raises at apply, as in every
projection (:mod:`server.store.projections`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Generic

import sqlalchemy as sa

from schemas.events import EventEnvelope
from server.store.registry import P, projects


@dataclass(frozen=True)
class Row(Generic[P]):
    """One new row of ``table`` per event; each stamp names the column it goes in (None: the
    table has no such column)."""

    table: sa.Table
    copied: tuple[str, ...]
    position: str | None = "position"  # the event's log position
    event_id: str | None = None
    at: str | None = None  # when it happened (the envelope's occurred_at)
    by: str | None = None  # who recorded it (the envelope's operator_id)
    derived: Callable[[P], Mapping[str, object]] | None = None  # columns computed from the payload

    def check(self, model: type[P]) -> None:
        """Raise :class:`LookupError` naming what ``model`` or the table lacks."""
        fields = [f for f in self.copied if f not in model.model_fields]
        if fields:
            raise LookupError(f"{model.__name__} has no field {', '.join(fields)}")
        stamps = (self.position, self.event_id, self.at, self.by)
        named = ["licence", *self.copied, *(c for c in stamps if c is not None)]
        columns = [c for c in named if c not in self.table.c]
        if columns:
            raise LookupError(f"{self.table.name} has no column {', '.join(columns)}")

    def values(self, event: EventEnvelope, p: P, position: int) -> dict[str, object]:
        """The row's columns for ``event`` (payload ``p``) at log ``position``."""
        stamps = {
            self.position: position,
            self.event_id: event.event_id,
            self.at: event.occurred_at,
            self.by: event.operator_id,
        }
        values: dict[str, object] = {c: v for c, v in stamps.items() if c is not None}
        values["licence"] = event.licence
        for name in self.copied:
            value = getattr(p, name)
            values[name] = value.value if isinstance(value, Enum) else value
        if self.derived is not None:
            values.update(self.derived(p))
        return values

    def insert(self, conn: sa.Connection, event: EventEnvelope, p: P, position: int) -> None:
        """Add the row for ``event`` (payload ``p``) at log ``position``."""
        conn.execute(self.table.insert().values(self.values(event, p, position)))


def inserts(
    model: type[P],
    table: sa.Table,
    copied: tuple[str, ...],
    *,
    position: str | None = "position",
    event_id: str | None = None,
    at: str | None = None,
    by: str | None = None,
    derived: Callable[[P], Mapping[str, object]] | None = None,
) -> None:
    """Register one new row of ``table`` per ``model`` event as its projection (see
    :class:`Row` for the arguments)."""
    row = Row[P](table, copied, position, event_id, at, by, derived)
    row.check(model)
    projects(model)(row.insert)
