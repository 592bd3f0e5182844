"""Which catalogue entries seedtrace implements: an event check in the rule registry, a
deadline the engine defines, or a duty enforced elsewhere (:data:`ENFORCED_ELSEWHERE`)."""

from server.compliance.deadlines.definitions import DEADLINES
from server.compliance.rules.base import REGISTRY
from server.compliance.rules.catalogue import ENFORCED_ELSEWHERE, CatalogueEntry


def implemented(entry: CatalogueEntry) -> bool:
    """A section A or C rule when it is registered or enforced elsewhere; a section B
    deadline when the deadline engine has its definition."""
    if entry.id in ENFORCED_ELSEWHERE:
        return True
    if entry.section == "B":
        return entry.id in DEADLINES
    return entry.id in REGISTRY
