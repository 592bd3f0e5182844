"""The rule type, the registry and evaluation."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from schemas.acks import Violation
from schemas.events import EventEnvelope
from server.rules.state import StateView

# A check yields one message per thing that is wrong, written for a floor worker.
Check = Callable[[StateView, EventEnvelope], Iterable[str]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    citation: str
    summary: str
    kinds: frozenset[str]
    check: Check

    def violations(self, state: StateView, event: EventEnvelope) -> list[Violation]:
        return [
            Violation(rule_id=self.id, citation=self.citation, message=f"{m} ({self.citation})")
            for m in self.check(state, event)
        ]


REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str, *, citation: str, summary: str, kinds: Iterable[str]
) -> Callable[[Check], Check]:
    """Register ``check`` as the rule ``rule_id`` for the given payload kinds."""

    def register(check: Check) -> Check:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} is registered twice")
        REGISTRY[rule_id] = Rule(rule_id, citation, summary, frozenset(kinds), check)
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
