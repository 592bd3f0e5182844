"""Projections that add one row per event, declared as data.

Many record events (tags ordered, a reconciliation, a sale ...) project as one new row: the
payload's fields copied to the columns of the same name (an enum as its value), the envelope's
licence, and, in the columns a :class:`Row` names, a :class:`Stamp`: the event's log position,
its id, when it happened or who recorded it. :func:`inserts` registers such a row as the
projection of a payload model with :func:`server.store.registry.projects`, so the projection is
one declaration rather than a copied handler; a handler that does more calls
:meth:`Row.insert` itself.

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


class Stamp(Enum):
    """What a row takes from the event's envelope rather than its payload."""

    POSITION = "the event's position in the log"
    EVENT_ID = "the event's id"
    AT = "when it happened (the envelope's occurred_at)"
    BY = "who recorded it (the envelope's operator_id)"

    def of(self, event: EventEnvelope, position: int) -> object:
        """This stamp's value for ``event`` at log ``position``."""
        if self is Stamp.POSITION:
            return position
        if self is Stamp.EVENT_ID:
            return event.event_id
        return event.occurred_at if self is Stamp.AT else event.operator_id


POSITION, EVENT_ID, AT, BY = Stamp.POSITION, Stamp.EVENT_ID, Stamp.AT, Stamp.BY


@dataclass(frozen=True)
class Row(Generic[P]):
    """One new row of ``table`` per event: the licence, ``copied`` payload fields, ``stamps``
    (column name to what of the envelope goes in it), and ``derived`` columns."""

    table: sa.Table
    copied: tuple[str, ...]
    stamps: Mapping[str, Stamp]
    derived: Callable[[P], Mapping[str, object]] | None = None  # columns computed from the payload

    def check(self, model: type[P]) -> None:
        """Raise :class:`LookupError` naming what ``model`` or the table lacks."""
        fields = [f for f in self.copied if f not in model.model_fields]
        if fields:
            raise LookupError(f"{model.__name__} has no field {', '.join(fields)}")
        named = ["licence", *self.copied, *self.stamps]
        columns = [c for c in named if c not in self.table.c]
        if columns:
            raise LookupError(f"{self.table.name} has no column {', '.join(columns)}")

    def values(self, event: EventEnvelope, p: P, position: int) -> dict[str, object]:
        """The row's columns for ``event`` (payload ``p``) at log ``position``."""
        values = {column: stamp.of(event, position) for column, stamp in self.stamps.items()}
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
    stamps: Mapping[str, Stamp],
    derived: Callable[[P], Mapping[str, object]] | None = None,
) -> None:
    """Register one new row of ``table`` per ``model`` event as its projection (see
    :class:`Row` for the arguments)."""
    row: Row[P] = Row(table, copied, stamps, derived)
    row.check(model)
    projects(model)(row.insert)
