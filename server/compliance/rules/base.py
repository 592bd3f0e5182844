"""The rule type, the registry and evaluation.

A rule's citation is the catalogue's (:mod:`server.compliance.rules.catalogue`); a violation
cites the provisions of the licensee's own jurisdiction (:meth:`CatalogueEntry.cite`), read from the
state's licence, so an Oregon licensee never reads a CDFA section and vice versa.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from schemas.acks import Violation
from schemas.events import EventEnvelope
from server.compliance.rules.calendar import JURISDICTIONS, Jurisdiction
from server.compliance.rules.catalogue import CATALOGUE
from server.compliance.rules.state import StateView

# A check yields one message per thing that is wrong, written for a floor worker.
Check = Callable[[StateView, EventEnvelope], Iterable[str]]


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
