"""Regulatory rules as pure functions.

A rule takes the current state (a :class:`~server.compliance.rules.state.StateView`) and an event
and returns violations, each with its rule ID and citation (from the catalogue,
:mod:`server.compliance.rules.catalogue`, listed in ``docs/rules.md``).
Rules never write; they are testable without a database. :data:`REGISTRY` lists them all;
:func:`evaluate` runs the ones that concern an event's kind and returns every violation, not
only the first.

The rule modules are imported here explicitly (no folder scanning).
"""

from server.compliance.rules import (
    cultivation,
    harvest,
    invoices,
    people,
    product,
    tags,
    timing,
    transfers,
)
from server.compliance.rules.base import REGISTRY, Rule, evaluate

__all__ = [
    "REGISTRY",
    "Rule",
    "cultivation",
    "evaluate",
    "harvest",
    "invoices",
    "people",
    "product",
    "tags",
    "timing",
    "transfers",
]
