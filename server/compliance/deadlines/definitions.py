"""The section B deadlines of the rule catalogue (`docs/rules.md`), one pure function each.

A definition takes a :class:`~server.compliance.deadlines.model.Context` (an accepted event, when it
reached the service, the licensee's calendar, read-only facts) and returns the notifications to
open or resolve. It never writes: the engine applies what it returns. Each is registered with
:func:`deadline` under its rule ID, with the event kinds that open and resolve it; the citation
and the deadline's length come from :mod:`server.compliance.rules.catalogue`, the project's one
rule catalogue.

Two deadlines are also opened by the periodic sweep (:mod:`server.compliance.deadlines.sweep`):
DAILY-RECONCILE, every business day, and TAG-SUPPLY, when stock runs low.

When does the clock start and when is a thing "recorded"? An event's ``occurred_at`` is when
it happened on the floor; it is recorded when it reached the service (``received_at``). Things
that happened during a documented loss of access are allowed until 3 business days after
restoration (CA 8402(d)(1)); the engine applies that grace.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from schemas.commerce import SaleRecorded, TransferArrived, TransferReceived
from schemas.events import (
    EventEnvelope,
    HarvestBatchWeighed,
    PlantDestroyed,
    PlantHarvested,
    RecordCorrected,
    TagRetired,
    TagsReceived,
    WeightType,
)
from schemas.records import (
    AccessLost,
    AccessRestored,
    DiversionDiscovered,
    DiversionReported,
    LicenceUpdated,
    ReconciliationRecorded,
    RecordFlagged,
    Role,
    TagsOrdered,
    TrainingRegistered,
    UserRegistered,
    UserTrained,
)
from server.compliance.deadlines.model import (
    Category,
    Context,
    Effect,
    LicenseeCalendar,
    Open,
    Person,
    Resolve,
    Subject,
    TagStock,
)
from server.compliance.rules.calendar import Jurisdiction, local_date, nth_business_day
from server.compliance.rules.catalogue import CATALOGUE

Definition = Callable[[Context], list[Effect]]
ANY_KIND = "*"


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    id: str
    citation: str  # every jurisdiction's; a licensee is shown :meth:`cite`
    category: Category
    opens_on: frozenset[str]  # event kinds that open it (ANY_KIND: every kind)
    resolves_on: frozenset[str]
    late_on: frozenset[str]  # kinds that are themselves what the deadline asks for
    swept: str | None  # what the periodic sweep does for it, if anything
    on_event: Definition

    def cite(self, jurisdiction: Jurisdiction) -> str:
        """The provisions a licensee of ``jurisdiction`` is shown (its own text's only)."""
        return CATALOGUE[self.id].cite(jurisdiction)

    def handles(self, kind: str) -> bool:
        kinds = self.opens_on | self.resolves_on | self.late_on
        return kind in kinds or ANY_KIND in kinds


DEADLINES: dict[str, DeadlineRule] = {}


def deadline(
    rule_id: str,
    *,
    opens_on: Iterable[str] = (),
    resolves_on: Iterable[str] = (),
    late_on: Iterable[str] = (),
    swept: str | None = None,
    category: Category = Category.COMPLIANCE,
) -> Callable[[Definition], Definition]:
    """Register a definition for the section B rule ``rule_id``: the event kinds that open it,
    that resolve it, and that are their own deadline (checked for lateness when they arrive);
    ``swept`` says what the periodic sweep does for it."""
    entry = CATALOGUE.get(rule_id)
    if entry is None or entry.section != "B":
        raise ValueError(f"{rule_id} is not a section B rule of the catalogue")

    def register(fn: Definition) -> Definition:
        if rule_id in DEADLINES:
            raise ValueError(f"deadline {rule_id} is registered twice")
        DEADLINES[rule_id] = DeadlineRule(
            rule_id,
            entry.citation,
            category,
            frozenset(opens_on),
            frozenset(resolves_on),
            frozenset(late_on),
            swept,
            fn,
        )
        return fn

    return register


def _open(
    ctx: Context, rule_id: str, subject: Subject, message: str, resolves_by: str, start: datetime
) -> Open:
    return Open(rule_id, subject, message, resolves_by, start, ctx.calendar.due(rule_id, start))


UID_RETIRE = "UID-RETIRE-3BD"


@deadline(UID_RETIRE, opens_on={"plant.destroyed"}, resolves_on={"tag.retired"})
def uid_retire(ctx: Context) -> list[Effect]:
    """A destroyed plant's UID is retired within 3 business days (CA 8403(e)). Plants destroyed
    by count from an untagged batch carry no UID of their own."""
    p, cal = ctx.event.payload, ctx.calendar
    if isinstance(p, PlantDestroyed) and p.uid is not None:
        at = ctx.event.occurred_at
        message = f"Plant {p.uid} was destroyed {cal.show(at)}: retire its UID."
        return [_open(ctx, UID_RETIRE, Subject("tag", p.uid), message, _retire(p.uid), at)]
    if isinstance(p, TagRetired):
        return [Resolve(UID_RETIRE, Subject("tag", p.uid))]
    return []


def _retire(uid: str) -> str:
    return f"tag.retired for UID {uid}"


DISPOSITION = "DISPOSITION-3BD"
# CA 8405(c): flowering, destruction or disposal, harvest, processing, storage, packaging.
DISPOSITION_KINDS = frozenset(
    {
        "plants.phase_changed",  # flowering (and the move to vegetative)
        "plant.destroyed",  # destruction
        "waste.recorded",  # disposal
        "plant.harvested",  # harvest
        "harvest_batch.weighed",  # processing: drying and curing done
        "plants.moved",  # storage: a move on the premises
        "package.created",  # packaging
    }
)


@deadline(DISPOSITION, late_on=DISPOSITION_KINDS)
def disposition(ctx: Context) -> list[Effect]:
    """A change in disposition is recorded within 3 business days of happening (CA 8405(c)).
    The service learns of the change only from the event, so the event is the resolution: on
    time it leaves no trace; late it is accepted, flagged on its ack and kept as a late
    notification."""
    ev, cal = ctx.event, ctx.calendar
    message = f"{_what(ev)} happened {cal.show(ev.occurred_at)}."
    late = _open(
        ctx,
        DISPOSITION,
        Subject("event", ev.event_id),
        message,
        "the change recorded within 3 business days of happening",
        ev.occurred_at,
    )
    return [Resolve(DISPOSITION, late.subject, otherwise=late)]


def _what(ev: EventEnvelope) -> str:
    p = ev.payload
    for name in ("uid", "harvest_batch", "batch_id"):
        value = getattr(p, name, None)
        if isinstance(value, str):
            return f"{ev.kind} of {name.replace('_', ' ')} {value}"
    uids = getattr(p, "uids", None)
    if isinstance(uids, list) and uids:
        more = f" and {len(uids) - 1} more" if len(uids) > 1 else ""
        return f"{ev.kind} of plant {uids[0]}{more}"
    return ev.kind


NET_WEIGHT = "NET-WEIGHT-60D"


@deadline(NET_WEIGHT, opens_on={"plant.harvested"}, resolves_on={"harvest_batch.weighed"})
def net_weight(ctx: Context) -> list[Effect]:
    """A harvest batch's net weight is recorded within 60 calendar days of its first harvest
    (CA 8406(b)); a dry weight alone does not close it."""
    p, cal = ctx.event.payload, ctx.calendar
    if isinstance(p, PlantHarvested):
        at = ctx.event.occurred_at
        message = (
            f"Harvest batch {p.harvest_batch} was first harvested {cal.show(at)}: record its "
            "net weight once drying and curing are done."
        )
        by = f"harvest_batch.weighed with the net weight of {p.harvest_batch}"
        return [_open(ctx, NET_WEIGHT, Subject("harvest_batch", p.harvest_batch), message, by, at)]
    if isinstance(p, HarvestBatchWeighed) and p.weight_type is WeightType.NET:
        return [Resolve(NET_WEIGHT, Subject("harvest_batch", p.harvest_batch))]
    return []


TAG_RECEIPT = "TAG-RECEIPT-3BD"


@deadline(TAG_RECEIPT, late_on={"tags.received"})
def tag_receipt(ctx: Context) -> list[Effect]:
    """Receipt of tags is documented within 3 business days of their physical arrival
    (``delivered_at``, else the event's time) (CA 8403(a)(3)). Like DISPOSITION-3BD, the event
    is its own resolution; a late one is flagged."""
    p, ev = ctx.event.payload, ctx.event
    if not isinstance(p, TagsReceived):
        return []
    uids = p.expand()
    delivered = ev.occurred_at if p.delivered_at is None else p.delivered_at
    label = uids[0] if len(uids) == 1 else f"{uids[0]}..{uids[-1]}"
    message = f"{len(uids)} {p.tag_type.value} tags {label} arrived {ctx.calendar.show(delivered)}."
    late = _open(
        ctx,
        TAG_RECEIPT,
        Subject("tags", label),
        message,
        "tags.received within 3 business days of delivery",
        delivered,
    )
    return [Resolve(TAG_RECEIPT, late.subject, otherwise=late)]


TAG_REQUEST = "TAG-REQUEST-5BD"


@deadline(TAG_REQUEST, opens_on={"user.registered"}, resolves_on={"tags.ordered"})
def tag_request(ctx: Context) -> list[Effect]:
    """UIDs are requested within 5 business days of the account manager's credentialing
    (CA 8403(a)): the first account manager registered starts it, unless tags were already
    ordered."""
    p, ev = ctx.event.payload, ctx.event
    subject = Subject("licence", ev.licence)
    if isinstance(p, UserRegistered) and p.role is Role.ACCOUNT_MANAGER:
        if ctx.facts.tags_ordered():
            return []
        message = (
            f"Account manager {p.user_id} was credentialed {ctx.calendar.show(ev.occurred_at)}: "
            "request UID tags."
        )
        return [_open(ctx, TAG_REQUEST, subject, message, "a tags.ordered record", ev.occurred_at)]
    if isinstance(p, TagsOrdered):
        return [Resolve(TAG_REQUEST, subject)]
    return []


TRANSFER_RECEIPT = "TRANSFER-RECEIPT-24H"


@deadline(TRANSFER_RECEIPT, opens_on={"transfer.arrived"}, resolves_on={"transfer.received"})
def transfer_receipt(ctx: Context) -> list[Effect]:
    """Goods from another licensee are recorded as received or rejected within 24 hours of
    arrival (CA 8405(b)); each arrived UID stays pending until it is accepted or rejected."""
    p, cal = ctx.event.payload, ctx.calendar
    if isinstance(p, TransferArrived):
        message = (
            f"Transfer {p.manifest_id} from {p.seller.name} ({p.seller.licence}) arrived "
            f"{cal.show(p.arrived_at)} with {len(p.uids)} items: accept or reject each."
        )
        by = f"transfer.received accepting or rejecting every item of {p.manifest_id}"
        opened = _open(
            ctx, TRANSFER_RECEIPT, Subject("manifest", p.manifest_id), message, by, p.arrived_at
        )
        return [
            Open(
                opened.rule_id,
                opened.subject,
                opened.message,
                opened.resolves_by,
                opened.started_at,
                opened.due_at,
                pending=tuple(p.uids),
            )
        ]
    if isinstance(p, TransferReceived):
        items = tuple(i.uid for i in p.accepted) + tuple(i.uid for i in p.rejected)
        return [Resolve(TRANSFER_RECEIPT, Subject("manifest", p.manifest_id), items=items)]
    return []


CORRECTION = "CORRECTION-3BD"


@deadline(CORRECTION, opens_on={"record.flagged"}, resolves_on={"record.corrected"})
def correction(ctx: Context) -> list[Effect]:
    """Data entered in error is corrected within 3 business days of discovery (CA 8402(b)(6);
    OR CTS Requirements (5)(d)). A flag opens it; the correction closes it. A correction never
    flagged is checked against its own ``discovered_at``."""
    p, cal = ctx.event.payload, ctx.calendar
    if isinstance(p, RecordFlagged):
        message = (
            f"Event {p.event_id} was found wrong {cal.show(p.discovered_at)}: {p.problem}. "
            "Correct it."
        )
        subject = Subject("event", p.event_id)
        return [_open(ctx, CORRECTION, subject, message, _corrects(p.event_id), p.discovered_at)]
    if isinstance(p, RecordCorrected):
        message = f"Event {p.corrects} was found wrong {cal.show(p.discovered_at)}: {p.reason}."
        subject = Subject("event", p.corrects)
        late = _open(ctx, CORRECTION, subject, message, _corrects(p.corrects), p.discovered_at)
        return [Resolve(CORRECTION, subject, otherwise=late)]
    return []


def _corrects(event_id: str) -> str:
    return f"record.corrected for event {event_id}"


OUTAGE = "OUTAGE-BACKFILL"


@deadline(OUTAGE, opens_on={"access.restored"}, resolves_on={"*"})
def outage_backfill(ctx: Context) -> list[Effect]:
    """After a loss of access, the loss and restoration are documented and everything done
    meanwhile is entered within 3 business days of restoration (OR CTS Requirements (8)(a)-(b);
    CA 8402(d)(1)-(2)). Opened by ``access.restored``; resolved once its ``access.lost`` is on
    record and as many accepted events happened during the loss as the restoration declared
    (its ``backlog``); every event that happened during the loss re-checks it."""
    ev, p, facts = ctx.event, ctx.event.payload, ctx.facts
    if isinstance(p, AccessRestored):
        outage = facts.outage(p.lost_event_id)
        lost = "at a time not yet documented (record access.lost)"
        if outage is not None and outage.lost_at is not None:
            lost = f"{ctx.calendar.show(outage.lost_at)} ({outage.lost_cause})"
        # Name who lost access, so two outages never read alike: the station the loss names,
        # else the station that reported the restoration; None there means the premises.
        station = ev.station_id if outage is None else outage.station_id
        who = "The whole premises" if station is None else f"Station {station}"
        message = (
            f"{who} lost access {lost}; restored {ctx.calendar.show(p.restored_at)} "
            f"({p.cause}): enter the {p.backlog} events recorded meanwhile."
        )
        by = (
            f"access.lost {p.lost_event_id} on record and {p.backlog} events that happened "
            "during the loss entered"
        )
        subject = Subject("outage", p.lost_event_id)
        effects: list[Effect] = [_open(ctx, OUTAGE, subject, message, by, p.restored_at)]
        if outage is not None and outage.complete(facts.entered_during(outage)):
            effects.append(Resolve(OUTAGE, subject))
        return effects
    if isinstance(p, AccessLost):
        candidates = [o for o in [facts.outage(ev.event_id)] if o is not None]
    else:
        candidates = [
            o
            for o in facts.outages_covering(ev.occurred_at, ev.station_id)
            if o.restored_at is not None
        ]
    return [
        Resolve(OUTAGE, Subject("outage", o.lost_event_id))
        for o in candidates
        if o.complete(facts.entered_during(o))
    ]


DAILY_RECONCILE = "DAILY-RECONCILE"


@deadline(
    DAILY_RECONCILE,
    resolves_on={"reconciliation.recorded"},
    swept="opened each business day, except in the first 10 days of licensure while ordered "
    "tags are in transit",
)
def daily_reconcile(ctx: Context) -> list[Effect]:
    """Inventory is reconciled every business day at close of business (OR Reconciliation
    (1)(b),(2),(3); CA 8406(a)). The sweep opens each day (:func:`reconcile_day`); the day's
    reconciliation resolves it, or is kept as that day's record when none was open yet."""
    p = ctx.event.payload
    if not isinstance(p, ReconciliationRecorded):
        return []
    day = reconcile_day(ctx.calendar, p.business_date)
    return [Resolve(DAILY_RECONCILE, day.subject, otherwise=day, keep=True)]


def reconcile_day(cal: LicenseeCalendar, day: date) -> Open:
    """The DAILY-RECONCILE notification of ``day``: due at close of business."""
    start = cal.start_of(day)
    due = cal.due(DAILY_RECONCILE, start)
    return Open(
        DAILY_RECONCILE,
        Subject("business_day", day.isoformat()),
        f"Reconcile all on-premises and in-transit inventory of {day.isoformat()} at close of "
        f"business.",
        f"reconciliation.recorded for business_date {day.isoformat()}",
        start,
        due,
    )


RETAIL_SALES = "RETAIL-SALES-EOD"


@deadline(RETAIL_SALES, late_on={"sale.recorded"})
def retail_sales(ctx: Context) -> list[Effect]:
    """A retailer records each sale's price, amount and date by close of the business day
    (OR Reconciliation (4)): a sale made after close of business, or on a day that is not a
    business day, is due at the close of the next business day. The sale is its own
    resolution; a late one is flagged, and kept once per sales day."""
    p, cal = ctx.event.payload, ctx.calendar
    if not isinstance(p, SaleRecorded):
        return []
    due = cal.due(RETAIL_SALES, p.sold_at)
    if due is not None and p.sold_at >= due:
        next_day = nth_business_day(local_date(p.sold_at, cal.tz), 1, cal.jurisdiction)
        due = cal.due(RETAIL_SALES, cal.start_of(next_day))
    if due is None:  # the catalogue gives this rule a close-of-business deadline
        raise RuntimeError(f"{RETAIL_SALES} has no due time")
    day = local_date(due, cal.tz)
    late = Open(
        RETAIL_SALES,
        Subject("sales_day", day.isoformat()),
        f"Sales of the business day {day.isoformat()} are recorded by close of business "
        f"(package {p.package_uid} sold {cal.show(p.sold_at)}).",
        "each sale recorded by close of business",
        p.sold_at,
        due,
    )
    return [Resolve(RETAIL_SALES, late.subject, otherwise=late)]


TRAINING = "TRAINING-5BD"


@deadline(
    TRAINING,
    opens_on={"user.registered", "licence.updated"},
    resolves_on={"training.registered", "user.trained"},
)
def training(ctx: Context) -> list[Effect]:
    """An account manager without the state's training registers for it within 5 business
    days of licence issuance (CA 8402(b)(2)); one designated after issuance, within 5 business
    days of being registered. Needs the licensure date (``licence.updated``)."""
    p, cal, facts = ctx.event.payload, ctx.calendar, ctx.facts
    if isinstance(p, TrainingRegistered | UserTrained):
        return [Resolve(TRAINING, Subject("user", p.user_id))]
    if cal.licensure_date is None:
        return []
    people: list[Person] = []
    if isinstance(p, UserRegistered):
        person = facts.person(p.user_id)
        people = [] if person is None else [person]
    elif isinstance(p, LicenceUpdated) and p.licensure_date is not None:
        people = list(facts.people())
    issued = cal.start_of(cal.licensure_date)
    effects: list[Effect] = []
    for person in people:
        if person.role != Role.ACCOUNT_MANAGER.value:
            continue
        if person.trained_on is not None or person.training_registered_on is not None:
            continue
        start = max(issued, person.registered_at)
        message = (
            f"Account manager {person.user_id} has no state track-and-trace training on "
            f"record: register for it (licence issued {cal.licensure_date.isoformat()})."
        )
        by = f"training.registered (or user.trained) for {person.user_id}"
        effects.append(_open(ctx, TRAINING, Subject("user", person.user_id), message, by, start))
    return effects


DIVERSION = "DIVERSION-REPORT-3BD"


@deadline(DIVERSION, opens_on={"diversion.discovered"}, resolves_on={"diversion.reported"})
def diversion_report(ctx: Context) -> list[Effect]:
    """Diversion, theft, loss or criminal activity is reported to the department and law
    enforcement within 3 business days of discovery (CA 8409)."""
    p, ev = ctx.event.payload, ctx.event
    if isinstance(p, DiversionDiscovered):
        message = (
            f"{p.category.value.replace('_', ' ').capitalize()} discovered "
            f"{ctx.calendar.show(p.discovered_at)}: {p.description}. Report it to the "
            "department and to law enforcement."
        )
        by = f"diversion.reported for event {ev.event_id}"
        subject = Subject("event", ev.event_id)
        return [_open(ctx, DIVERSION, subject, message, by, p.discovered_at)]
    if isinstance(p, DiversionReported):
        return [Resolve(DIVERSION, Subject("event", p.discovery_event_id))]
    return []


TAG_SUPPLY = "TAG-SUPPLY"


@deadline(
    TAG_SUPPLY,
    resolves_on={"tags.received"},
    swept="opened when a tag type's stock runs low, checked for each type",
    category=Category.INFORMATIONAL,
)
def tag_supply(ctx: Context) -> list[Effect]:
    """An adequate supply of unassigned UIDs is kept (OR UID Tags (1)(b); CA 8403(a)(2)):
    a receipt re-checks its tag type at once; the sweep checks every type."""
    p = ctx.event.payload
    if not isinstance(p, TagsReceived):
        return []
    s = ctx.settings
    stock = ctx.facts.tag_stock(p.tag_type.value, ctx.now - timedelta(days=s.rate_window_days))
    in_transit = ctx.facts.tags_in_transit(ctx.now)
    return supply(ctx.calendar, stock, s.supply_days, s.rate_window_days, ctx.now, in_transit)


def supply(
    cal: LicenseeCalendar,
    stock: TagStock,
    supply_days: int,
    window_days: int,
    now: datetime,
    in_transit: bool,
) -> list[Effect]:
    """TAG-SUPPLY for one tag type: informational when the unassigned tags last fewer than
    ``supply_days`` days at the rate of use of the last ``window_days`` days; resolved when
    they last longer. No use in the window: no rate, no warning. Not in the first 10 days of
    licensure while ordered tags are in transit (OR UID Tags (1)(b))."""
    subject = Subject("tag_stock", stock.tag_type)
    if stock.used_in_window == 0:
        return [Resolve(TAG_SUPPLY, subject)]
    per_day = stock.used_in_window / window_days
    days_left = stock.available / per_day
    if days_left >= supply_days:
        return [Resolve(TAG_SUPPLY, subject)]
    if in_transit and cal.in_licensure_grace(local_date(now, cal.tz)):
        return []
    message = (
        f"{stock.available} unassigned {stock.tag_type} tags left: at the last {window_days} "
        f"days' rate ({per_day:.1f} a day) they last about {days_left:.0f} days, less than "
        f"{supply_days}. Order tags."
    )
    by = f"{stock.tag_type} tags received to last {supply_days} days, or acknowledgement"
    return [Open(TAG_SUPPLY, subject, message, by, now, None, once_since=stock.last_received_at)]
