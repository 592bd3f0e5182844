"""Every rule seedtrace knows (sections A, B and C of ``docs/rules.md``) as data: the project's
own rule catalogue, with each rule's stable ID and the regulation it comes from.

The catalogue is the list of what seedtrace must enforce; :data:`server.compliance.rules.REGISTRY`
is what
it enforces today, and :data:`server.compliance.deadlines.DEADLINES` the deadlines it follows. An
entry is implemented when its ID is registered in one of them, never by a flag here.
Citations name the regulation itself (OAR 845-025, CCR title 3 §§ 8400-8409, the DCP's
announcement); the team's distillation of those texts is cross-checked by a test where it
is present beside the checkout.

Rule packs: a rule belongs to OR's pack when its citation cites Oregon, to CA's when it cites
California, and to every pack when it is in the **record-soundness baseline**
(:data:`BASELINE`): the rules without which the record itself stops being one record (a UID on
two items, two batches with one identifier, a plant harvested twice, a package from nowhere, an
unknown operator, a correction that erases its original). The current state is computed from the
events on the assumption that these hold, so no jurisdiction can go without them, whichever
texts happen to cite them (TAG-ONE-ITEM cites only California, BATCH-ID-UNIQUE only Oregon),
nor record after its licence has ended and its inventory is closed out (CLOSED-OUT), nor hold
an event dated after it reached the server (NO-FUTURE-EVENT).

**Citations per licensee.** A licensee is shown only its own jurisdiction's provisions
(:meth:`CatalogueEntry.cite`): an Oregon grower never reads a CDFA section, nor a California one
an OAR. Where a baseline rule has no provision in a jurisdiction's text, its citation there says
so: the general duty of that text it rests on (:data:`BASELINE_GROUND`, or the nearer provision
in :data:`NEAREST_GROUND`), followed by "seedtrace record-soundness baseline".
For Connecticut, the texts we work from are only the DCP's 2021 announcement of BioTrack, which
sets no deadlines and no detailed duties. What it does say: cannabis is tracked "from when it is
first planted as a seed or clone to the point of sale" as it is "grown, manufactured into other
products, packaged, tested, and sold" (ENTRY-FROM-ORIGIN, PHASE-ORDER, PRODUCT-FROM-HARVEST);
the state wants "a real-time inventory" to "identify any potential diversion" (each item its own
provisioned tag for life and quantities by weight: TAG-PROVISIONED, TAG-ONE-ITEM,
HARVEST-WET-WEIGHT, WEIGHT-UNITS); licensees "enter information" themselves (USER-AUTHORISED,
ACCOUNTABLE, NO-FALSIFICATION); an "alternative vendor's software" must interact with the state's
program (SECONDARY-SYNC); and the data is used by DCP, revenue and law enforcement
(REGULATOR-ACCESS). So the CT pack is the baseline plus SECONDARY-SYNC and REGULATOR-ACCESS,
and no section B deadline; it is to be revisited against the Connecticut regulations themselves.
"""

from dataclasses import dataclass
from functools import cache
from typing import Literal

from server.compliance.rules.calendar import JURISDICTIONS, Jurisdiction

Section = Literal["A", "B", "C"]
DeadlineKind = Literal["business_days", "calendar_days", "hours", "close_of_business", "stock"]

SECTION_TITLES: dict[Section, str] = {
    "A": "Ingest invariants",
    "B": "Deadlines",
    "C": "Records, accountability and access",
}

# In every pack: the projections (server/store) rely on them; see the module docstring.
BASELINE = frozenset(
    {
        "BATCH-ID-UNIQUE",
        "TAG-PROVISIONED",
        "TAG-ONE-ITEM",
        "TAG-STAYS-ON-PLANT",
        "ENTRY-FROM-ORIGIN",
        "PHASE-ORDER",
        "HARVEST-WET-WEIGHT",
        "HARVEST-BATCH-NAME",
        "PRODUCT-FROM-HARVEST",
        "WEIGHT-UNITS",
        "USER-AUTHORISED",
        "TRANSFER-MANIFEST",
        "ACCOUNTABLE",
        "NO-FALSIFICATION",
        "CLOSED-OUT",
        "NO-FUTURE-EVENT",
    }
)

# Rules seedtrace adds beyond the team's distillation of the texts (the cross-check in
# tests/rules/test_catalogue.py expects exactly these to be missing from it).
BEYOND_DISTILLATION = frozenset({"NO-FUTURE-EVENT"})

BASELINE_LABEL = "seedtrace record-soundness baseline"
# The general duty each text sets that a baseline rule rests on where the text has no
# provision of its own for it: OR User Requirements (1)-(2) (data that fully and transparently
# accounts for all inventory, the licensee responsible for its accuracy); CA 8402(a) (the
# licensee responsible for the accuracy and completeness of all data); CT's announcement.
BASELINE_GROUND: dict[Jurisdiction, str] = {
    "OR": "OR User Requirements (1)-(2)",
    "CA": "CA 8402(a)",
    "CT": "CT announcement",
}
# Where a text comes nearer the rule than that general duty without stating it.
NEAREST_GROUND: dict[tuple[str, Jurisdiction], str] = {
    # Batches hold plants, seeds and tissue cultures: plants enter from a batch.
    ("ENTRY-FROM-ORIGIN", "OR"): "OR Cultivation Batches (1)",
    # Each immature lot is assigned its own UID.
    ("BATCH-ID-UNIQUE", "CA"): "CA 8403(b)(1)",
    # An active CTS account "while licensed": an ended licence exercises no privilege.
    ("CLOSED-OUT", "OR"): "OR CTS Requirements (1)(b)",
}
# Rules in a jurisdiction's pack although its text neither states them nor they are baseline,
# with the provision they serve there: the state connector files a California licensee's
# record into Metrc, which CA 8402 requires ("report in the department's track-and-trace
# system"), and a refused filing is a SECONDARY-SYNC notification there too.
SERVES: dict[tuple[str, Jurisdiction], str] = {
    ("SECONDARY-SYNC", "CA"): "CA 8402 (reporting in the department's track-and-trace system)",
}

# Reasoned from connecticut-biotrack-announcement.txt; see the module docstring.
CT_PACK = BASELINE | {"SECONDARY-SYNC", "REGULATOR-ACCESS"}

Basis = Literal["citation", "baseline", "serves"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a section B notification falls due and what closes it."""

    kind: DeadlineKind
    amount: int  # days or hours; 0 for close of business ("the same business day")
    starts: str  # the moment the clock starts
    resolved_by: str
    # The jurisdictions whose text sets the limit; None: every jurisdiction whose pack holds
    # the rule. Elsewhere the duty stands without a limit: its notification has no due time.
    limit_set_by: frozenset[Jurisdiction] | None = None

    def limits(self, jurisdiction: Jurisdiction) -> bool:
        """Whether ``jurisdiction``'s text sets this deadline's limit."""
        return self.limit_set_by is None or jurisdiction in self.limit_set_by

    def describe(self) -> str:
        unit = {
            "business_days": "business days",
            "calendar_days": "calendar days",
            "hours": "hours",
        }.get(self.kind)
        if unit is not None:
            limit = f"{self.amount} {unit} after {self.starts}"
            if self.limit_set_by is None:
                return limit
            only = ", ".join(sorted(self.limit_set_by))
            return f"{only}: {limit}; elsewhere the duty without a limit"
        if self.kind == "close_of_business":
            return f"close of business, {self.starts}"
        return f"no deadline: informational, {self.starts}"


# Rules that are not checks on an event but are enforced where the thing they govern lives:
# rule ID -> (the module that enforces it, how). tests/rules/test_catalogue.py checks that
# each module exists and names the rule, so this table cannot claim what the code does not do.
ENFORCED_ELSEWHERE: dict[str, tuple[str, str]] = {
    "UNIQUE-LOGON": (
        "server/accounts/store.py",
        "log-ons are unique across the server; a station's operators share no user id or badge",
    ),
    "TRAINED-BEFORE-ACCESS": (
        "server/accounts/service.py",
        "sign-in and every request refuse a person with no training record",
    ),
    "USER-ROSTER": (
        "server/accounts/service.py",
        "a cancelled person's sessions stop at their next request; the roster lists everyone",
    ),
    "RETAIN-7Y": (
        "server/store/integrity.py",
        "nothing deletes a record or a retired UID; the log refuses UPDATE and DELETE and is a "
        "hash chain per licensee, checked by `seedtrace db verify` against daily checkpoints",
    ),
    "AUDIT-VARIANCE": (
        "server/reads/stocktake.py",
        "a physical audit is compared with the system; unexplained variances are listed; a "
        "recorded audit (`inventory.audited`) is followed by the analytics' audit signals",
    ),
}


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    id: str
    section: Section
    citation: str
    summary: str
    deadline: Deadline | None = None

    @property
    def cited_by(self) -> frozenset[Jurisdiction]:
        """The jurisdictions whose text the citation names (CT: its announcement)."""
        parts = [part.strip() for part in self.citation.split(";")]
        found: set[Jurisdiction] = {
            j for j in JURISDICTIONS if any(p.startswith(f"{j} ") for p in parts)
        }
        if self.id in CT_PACK - BASELINE:
            found.add("CT")
        return frozenset(found)

    def cite(self, jurisdiction: Jurisdiction) -> str:
        """The citation a licensee of ``jurisdiction`` is shown: its own text's provisions only
        (``OR Cultivation Batches (2)``, never the CDFA section beside it); for a baseline rule
        its text has no provision for, the ground it rests on, labelled as the baseline.
        Raises ValueError for a rule outside the jurisdiction's pack."""
        own = [
            p.strip() for p in self.citation.split(";") if p.strip().startswith(f"{jurisdiction} ")
        ]
        if own:
            return "; ".join(own)
        if jurisdiction == "CT" and jurisdiction in self.cited_by:
            return BASELINE_GROUND["CT"]
        if (self.id, jurisdiction) in SERVES:
            return SERVES[(self.id, jurisdiction)]
        if self.id in BASELINE:
            ground = NEAREST_GROUND.get((self.id, jurisdiction), BASELINE_GROUND[jurisdiction])
            return f"{ground}, {BASELINE_LABEL}"
        raise ValueError(f"{self.id} is not in the {jurisdiction} rule pack")

    @property
    def jurisdictions(self) -> frozenset[Jurisdiction]:
        """The jurisdictions whose pack holds this rule."""
        if self.id in BASELINE:
            return frozenset(JURISDICTIONS)
        return self.cited_by | {j for (i, j) in SERVES if i == self.id}

    def basis(self, jurisdiction: Jurisdiction) -> Basis | None:
        """Why the rule is in ``jurisdiction``'s pack: its citation, the baseline, or the
        provision it serves there (:data:`SERVES`); None: it is not."""
        if jurisdiction in self.cited_by:
            return "citation"
        if self.id in BASELINE:
            return "baseline"
        return "serves" if (self.id, jurisdiction) in SERVES else None

    @property
    def enforced_where(self) -> str | None:
        """Where a rule that is not an event check is enforced (None: it is one, or nowhere)."""
        found = ENFORCED_ELSEWHERE.get(self.id)
        return None if found is None else f"{found[1]} (`{found[0]}`)"


def _a(rule_id: str, citation: str, summary: str) -> CatalogueEntry:
    return CatalogueEntry(rule_id, "A", citation, summary)


def _c(rule_id: str, citation: str, summary: str) -> CatalogueEntry:
    return CatalogueEntry(rule_id, "C", citation, summary)


def _b(
    rule_id: str,
    citation: str,
    summary: str,
    kind: DeadlineKind,
    amount: int,
    starts: str,
    by: str,
    limit_set_by: frozenset[Jurisdiction] | None = None,
) -> CatalogueEntry:
    deadline = Deadline(kind, amount, starts, by, limit_set_by)
    return CatalogueEntry(rule_id, "B", citation, summary, deadline)


ENTRIES: tuple[CatalogueEntry, ...] = (
    # A. Ingest invariants
    _a(
        "BATCH-MAX-100",
        "OR Cultivation Batches (2); CA 8403(b)(1)",
        "A batch holds at most 100 immature plants at any one time; seeds and tissue cultures "
        "in it count once they are plants (recorded by plant_batch.germinated, or tagged).",
    ),
    _a(
        "BATCH-ID-UNIQUE",
        "OR Cultivation Batches (1)",
        "Every batch has an identifier unique within the licensee.",
    ),
    _a(
        "TAG-PROVISIONED",
        "OR UID Tags (1)(a); CA 8403(a)(1),(a)(3)",
        "Only UIDs issued to this licensee, whose receipt is documented, may be used.",
    ),
    _a(
        "TAG-ONE-ITEM",
        "CA 8403(b)(4),(e)",
        "A UID is assigned to one item for life; a retired UID is never used again.",
    ),
    _a(
        "PLANT-TAGGED-TO-FLOWER",
        "OR UID Tags (1)(c); CA 8403(b)(3)",
        "A plant carries its own UID before it flowers (OR: by 8 inches tall).",
    ),
    _a(
        "TAG-STAYS-ON-PLANT",
        "CA 8403(b)(4)",
        "A plant's UID stays on it until it is harvested, destroyed or disposed.",
    ),
    _a(
        "ENTRY-FROM-ORIGIN",
        "CA 8403(a)(4)",
        "Plants enter only from a batch (seed, clone, nursery seedling); none from nowhere.",
    ),
    _a(
        "PHASE-ORDER",
        "CA 8403(b), 8405(c)",
        "Immature -> vegetative -> flowering -> harvested; destroyed from any live phase.",
    ),
    _a(
        "HARVEST-WET-WEIGHT",
        "OR Reconciliation (1)(d); CA 8405(d)(5)(A)",
        "Each harvested plant's wet weight is recorded at once, from a weighing, above zero.",
    ),
    _a(
        "HARVEST-BATCH-NAME",
        "CA 8403(c)",
        "Each harvest batch has a unique name, linked to every plant UID in it.",
    ),
    _a(
        "PRODUCT-FROM-HARVEST",
        "CA 8403(d)",
        "Every package / product UID links to the harvest batch it derives from.",
    ),
    _a(
        "WEIGHT-UNITS",
        "OR Reconciliation (1)(c),(e); CA 8401(e)(1), 8405(d)(5)",
        "Weights in SI or US units, stored exactly; products by count plus weight per unit.",
    ),
    _a(
        "PACKAGE-IDENTICAL",
        "OR UID Tags (2)",
        "Only identical items are packaged together, except mixed lots to a processor.",
    ),
    _a(
        "USER-AUTHORISED",
        "OR CTS Requirements (3)-(5), User Requirements (3); CA 8402(b)(2)-(5), 8404(b)",
        "Only a unique, trained, not-cancelled user enters data; events name the operator.",
    ),
    _a(
        "TRANSFER-AFTER-OUTAGE",
        "OR CTS Requirements (8)(c); CA 8402(d)(3)",
        "No transfer while access is lost or until the outage backlog is entered.",
    ),
    _a(
        "TRANSFER-MANIFEST",
        "CA 8405(a),(d)",
        "A transfer is recorded, with the full manifest, before the goods leave.",
    ),
    _a(
        "CLOSED-OUT",
        "CA 8406(c),(d)",
        "A surrendered, expired or revoked licence with inventory closed out records nothing; "
        "CA: inventory is closed out only when none is left on the books.",
    ),
    _a(
        "NO-FUTURE-EVENT",
        "OR User Requirements (1)-(2); CA 8402(a), 8404(c)",
        "An event is not dated after it reached the server (beyond the clock-skew tolerance).",
    ),
    # B. Deadlines
    _b(
        "UID-RETIRE-3BD",
        "CA 8403(e)",
        "UIDs of destroyed or disposed cannabis are retired within 3 business days.",
        "business_days",
        3,
        "destruction or disposal",
        "tag.retired for each UID",
    ),
    _b(
        "DISPOSITION-3BD",
        "CA 8405(c)",
        "A change in disposition is recorded within 3 business days; later ones are flagged late.",
        "business_days",
        3,
        "the change happened (the event's time)",
        "the event recorded (received) in time; a late one is accepted and flagged",
    ),
    _b(
        "NET-WEIGHT-60D",
        "CA 8406(b)",
        "A harvest batch's net (dry) weight is recorded within 60 calendar days of harvest.",
        "calendar_days",
        60,
        "harvest",
        "harvest_batch.weighed with the net weight",
    ),
    _b(
        "TAG-RECEIPT-3BD",
        "CA 8403(a)(3)",
        "Receipt of provisioned UIDs is documented within 3 business days.",
        "business_days",
        3,
        "physical receipt of the tags",
        "tags.received",
    ),
    _b(
        "TAG-REQUEST-5BD",
        "CA 8403(a)",
        "UIDs are requested within 5 business days of the account manager's credentialing.",
        "business_days",
        5,
        "the account manager's credentialing",
        "a tag order recorded",
    ),
    _b(
        "TRANSFER-RECEIPT-24H",
        "CA 8405(b)",
        "Goods received or rejected from another licensee are recorded within 24 hours.",
        "hours",
        24,
        "arrival of the goods",
        "the receipt or rejection recorded",
    ),
    _b(
        "CORRECTION-3BD",
        "CA 8402(b)(6); OR CTS Requirements (5)(d)",
        "Data entered in error is corrected (CA: within 3 business days of discovery; OR: the "
        "duty, with no limit set).",
        "business_days",
        3,
        "discovery of the error",
        "a correction record (the original kept)",
        frozenset({"CA"}),
    ),
    _b(
        "OUTAGE-BACKFILL",
        "OR CTS Requirements (8)(a)-(b); CA 8402(d)(1)-(2)",
        "An outage is documented and everything done meanwhile entered (CA: within 3 business "
        "days; OR: once access is restored, no limit set).",
        "business_days",
        3,
        "restoration of access",
        "the outage documented (date, time, cause) and the backlog entered",
        frozenset({"CA"}),
    ),
    _b(
        "DAILY-RECONCILE",
        "OR Reconciliation (1)(b),(2),(3); CA 8406(a)",
        "All on-premises and in-transit inventory is reconciled daily at close of business.",
        "close_of_business",
        0,
        "every day (not in the first 10 days of licensure)",
        "the day's reconciliation recorded",
    ),
    _b(
        "RETAIL-SALES-EOD",
        "OR Reconciliation (4)",
        "A retailer records each sale's price, amount and date by close of the business day.",
        "close_of_business",
        0,
        "each business day with sales",
        "the day's sales recorded",
    ),
    _b(
        "TRAINING-5BD",
        "CA 8402(b)(2)",
        "An untrained account manager registers for training within 5 business days.",
        "business_days",
        5,
        "licence issuance",
        "the training registration recorded",
    ),
    _b(
        "DIVERSION-REPORT-3BD",
        "CA 8409",
        "Diversion, theft, loss or crime is reported within 3 business days of discovery.",
        "business_days",
        3,
        "discovery",
        "the report to the department and law enforcement recorded",
    ),
    _b(
        "TAG-SUPPLY",
        "OR UID Tags (1)(b); CA 8403(a)(2)",
        "An adequate supply of unassigned UIDs is kept on hand.",
        "stock",
        0,
        "when unassigned stock runs low for the recent rate of use",
        "tags.received restoring the stock, or acknowledgement",
    ),
    # C. Records, accountability and access
    _c(
        "ACCOUNTABLE",
        "OR CTS Requirements (6); CA 8402(c)",
        "Every change is attributed to the one user who made it.",
    ),
    _c(
        "UNIQUE-LOGON",
        "OR User Requirements (3); CA 8404(b)",
        "Each user has a unique log-on and password, never shared.",
    ),
    _c(
        "TRAINED-BEFORE-ACCESS",
        "OR CTS Requirements (2)-(5); CA 8402(b)(2)-(3), 8400(d)(8)",
        "Users are trained before they access the system; training records are kept.",
    ),
    _c(
        "USER-ROSTER",
        "OR CTS Requirements (5)(a),(c); CA 8402(b)(4)-(5)",
        "An accurate per-premises user list, updated at once; leavers cancelled at once.",
    ),
    _c(
        "NO-FALSIFICATION",
        "CA 8404(c); OR User Requirements (4), CTS Requirements (7)(b)",
        "Records are never silently changed: a correction is a new record keeping the original.",
    ),
    _c(
        "RETAIN-7Y",
        "CA 8400(a),(d)(5)",
        "Records are kept 7 years; retired UIDs 6 months after retirement.",
    ),
    _c(
        "SALES-INVOICE",
        "CA 8401",
        "A sale or transport to another licensee has an invoice with the 8401 fields.",
    ),
    _c(
        "SECONDARY-SYNC",
        "OR CTS Requirements (7)",
        "A secondary system syncs all relevant data both ways and preserves the original.",
    ),
    _c(
        "AUDIT-VARIANCE",
        "OR Inventory Audits; CA 8408",
        "Physical audits are compared with the system; unexplained variances are violations.",
    ),
    _c(
        "REGULATOR-ACCESS",
        "CT announcement",
        "The regulator, revenue and law enforcement can read a licensee's data.",
    ),
)

CATALOGUE: dict[str, CatalogueEntry] = {e.id: e for e in ENTRIES}
if len(CATALOGUE) != len(ENTRIES):
    raise RuntimeError("a rule ID appears twice in the catalogue")


@cache  # the catalogue is constant; asked once per licensee per ingest batch
def pack(jurisdiction: Jurisdiction) -> frozenset[str]:
    """The IDs of the rules that apply to a licensee in ``jurisdiction``."""
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"unknown jurisdiction {jurisdiction!r}; expected one of {JURISDICTIONS}")
    return frozenset(e.id for e in ENTRIES if jurisdiction in e.jurisdictions)
