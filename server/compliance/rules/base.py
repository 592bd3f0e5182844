"""The rule type, the registry and evaluation.

A rule's citation is the catalogue's (:mod:`server.compliance.rules.catalogue`); a violation
cites the provisions of the licensee's own jurisdiction (:meth:`CatalogueEntry.cite`), read from the
state's licence, so an Oregon licensee never reads a CDFA section and vice versa.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import UnionType
from typing import TypeVar, cast, get_args, get_type_hints

from pydantic import BaseModel

from schemas.acks import Violation
from schemas.events import EventEnvelope
from server.compliance.rules.calendar import JURISDICTIONS, Jurisdiction
from server.compliance.rules.catalogue import CATALOGUE
from server.compliance.rules.state import StateView

# A check yields one message per thing that is wrong, written for a floor worker.
Check = Callable[[StateView, EventEnvelope], Iterable[str]]

P = TypeVar("P", bound=BaseModel)


def jurisdiction_of(state: StateView) -> Jurisdiction:
    """The licensee's jurisdiction; ValueError for one seedtrace does not know."""
    found = state.licence().jurisdiction
    for j in JURISDICTIONS:
        if found == j:
            return j
    raise ValueError(f"licence {state.licence().licence} has unknown jurisdiction {found!r}")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str
    kinds: frozenset[str]
    check: Check

    @property
    def citation(self) -> str:
        """Every jurisdiction's provisions together, as the catalogue lists them."""
        return CATALOGUE[self.id].citation

    def cite(self, jurisdiction: Jurisdiction) -> str:
        """The provisions a licensee of ``jurisdiction`` is shown."""
        return CATALOGUE[self.id].cite(jurisdiction)

    def violations(self, state: StateView, event: EventEnvelope) -> list[Violation]:
        messages = list(self.check(state, event))
        if not messages:
            return []
        citation = self.cite(jurisdiction_of(state))
        return [
            Violation(rule_id=self.id, citation=citation, message=f"{m} ({citation})")
            for m in messages
        ]


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, *, summary: str, kinds: Iterable[str]) -> Callable[[Check], Check]:
    """Register ``check`` as the rule ``rule_id`` (a catalogue ID, whose citation it takes)
    for the given payload kinds."""

    def register(check: Check) -> Check:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} is registered twice")
        if rule_id not in CATALOGUE:
            raise ValueError(
                f"rule {rule_id} is not in the catalogue (server/compliance/rules/catalogue.py)"
            )
        REGISTRY[rule_id] = Rule(rule_id, summary, frozenset(kinds), check)
        return check

    return register


def _payload_kinds(
    rule_id: str, annotation: object
) -> tuple[tuple[type[BaseModel], ...], list[str]]:
    """The payload classes ``annotation`` names (one class or a union of them) and their kinds;
    TypeError where it names anything else."""
    classes = get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)
    found: list[type[BaseModel]] = []
    kinds: list[str] = []
    for c in classes:
        model = isinstance(c, type) and issubclass(c, BaseModel)
        field = c.model_fields.get("kind") if model else None
        if field is None or not isinstance(field.default, str):
            raise TypeError(f"rule {rule_id}: annotate p with the payload classes it checks")
        found.append(c)
        kinds.append(field.default)
    return tuple(found), kinds


def rule_on(
    rule_id: str, *, summary: str
) -> Callable[[Callable[[StateView, EventEnvelope, P], Iterable[str]]], Check]:
    """Register ``check(state, event, p)`` as the rule ``rule_id`` for the payload kinds of the
    classes ``p`` is annotated with (one class or a union; each class's ``kind`` field). The
    check is handed the event's payload, already of one of those classes.

    Raises :class:`TypeError` at registration when ``p`` is not annotated with payload classes;
    the registered check raises it for an event of another payload (the registry never gives it
    one: its kinds are those classes' alone).
    """

    def register(check: Callable[[StateView, EventEnvelope, P], Iterable[str]]) -> Check:
        classes, kinds = _payload_kinds(rule_id, get_type_hints(check).get("p"))

        def on_payload(state: StateView, event: EventEnvelope) -> Iterable[str]:
            p = event.payload
            if not isinstance(p, classes):
                raise TypeError(f"rule {rule_id} checks {', '.join(kinds)}, not {event.kind}")
            return check(state, event, cast(P, p))

        return rule(rule_id, summary=summary, kinds=kinds)(on_payload)

    return register


def evaluate(
    state: StateView, event: EventEnvelope, rules: Iterable[Rule] | None = None
) -> list[Violation]:
    """Every violation of every rule that concerns this event's kind, in registry order."""
    selected = REGISTRY.values() if rules is None else rules
    found: list[Violation] = []
    for r in selected:
        if event.kind in r.kinds:
            found.extend(r.violations(state, event))
    return found
