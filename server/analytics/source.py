"""Reads a licensee's accepted events from the log, in log order, for the analytics.

Only the kinds that move weight or name a strain are read (:data:`KINDS`), and the corrections
(a correction of any other kind is skipped by the ledger). Each body is the canonical JSON of
the envelope as accepted, parsed back with the shared schema. Rejected events are left out: a
refused record moved nothing. The one exception is :func:`refusals`: tag uses the tag rules
refused, read for what they say of intent (:mod:`server.analytics.refused`).
"""

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from schemas.commerce import TransferArrived, TransferManifested, TransferReceived
from schemas.events import EventEnvelope, Payload, RecordCorrected
from schemas.records import InventoryAudited
from server.analytics import hours, refused
from server.analytics.audits import Audit
from server.analytics.balance import HarvestLedger
from server.analytics.manual import ManualWeights, Typed
from server.analytics.projection import PlantLife, PlantTracker
from server.analytics.receipts import Receipt
from server.analytics.refused import Refusal
from server.analytics.signals import Licensee
from server.analytics.tables import LOG as L
from server.analytics.tables import REGISTERED

KINDS = (
    "plant_batch.created",
    "plants.tagged",
    "plants.phase_changed",
    "plant.destroyed",
    "plant.harvested",
    "waste.recorded",
    "harvest_batch.weighed",
    "package.created",
    "transfer.manifested",
    "transfer.received",
    "sale.recorded",
    "record.corrected",
)
_PAGE = 5000  # rows per read: memory stays bounded on a licensee with millions of events


def paged(
    conn: sa.Connection, columns: Sequence[sa.ColumnElement[object]], *where: sa.ColumnElement[bool]
) -> Iterator[sa.Row[Any]]:
    """The log rows matching ``where``, ``columns`` (and the position) of each, oldest first,
    read page by page by log position (keyset: each page starts after the last position
    read), so memory stays bounded however long the record."""
    after = 0
    while True:
        rows = conn.execute(
            sa.select(L.c.position, *columns)
            .where(*where, L.c.position > after)
            .order_by(L.c.position)
            .limit(_PAGE)
        ).all()
        yield from rows
        if len(rows) < _PAGE:
            return
        after = rows[-1].position


def accepted_events(
    conn: sa.Connection, licence: str, kinds: Sequence[str] = KINDS
) -> Iterator[EventEnvelope]:
    """``licence``'s accepted events of ``kinds``, oldest first (:func:`paged`)."""
    where = (L.c.licence == licence, L.c.outcome == "accepted", L.c.kind.in_(kinds))
    for row in paged(conn, [L.c.body], *where):
        yield EventEnvelope.model_validate_json(row.body)


def refusals(conn: sa.Connection, licence: str) -> list[Refusal]:
    """``licence``'s rejected events of :data:`server.analytics.refused.KINDS` that broke a
    rule of :data:`server.analytics.refused.RULES`, one :class:`Refusal` per rule broken (its
    first message), oldest first."""
    where = (
        L.c.licence == licence,
        L.c.outcome == "rejected",
        L.c.kind.in_(refused.KINDS),
    )
    found: list[Refusal] = []
    columns = [L.c.event_id, L.c.kind, L.c.occurred_at, L.c.violations]
    for row in paged(conn, columns, *where):
        first: dict[str, str] = {}
        for violation in json.loads(row.violations):
            if violation["rule_id"] in refused.RULES:
                first.setdefault(violation["rule_id"], violation["message"])
        found.extend(
            Refusal(row.event_id, row.kind, row.occurred_at, rule_id, message)
            for rule_id, message in first.items()
        )
    return found


@dataclass(frozen=True, slots=True)
class Record:
    """What the analytics take from one licensee's record: its harvest balances and scale
    resolution (the signals'), its plants' lives (the projection's and the culling's), and
    its batch weights typed in where a scale stands."""

    licensee: Licensee
    plants: list[PlantLife]
    typed: list[Typed]


def read(conn: sa.Connection, licence: str) -> Record:
    """``licence``'s :class:`Record`, from its accepted events in one pass."""
    ledger = HarvestLedger(licence)
    tracker = PlantTracker()
    manual = ManualWeights()
    for event in accepted_events(conn, licence):
        ledger.feed(event)
        tracker.feed(event)
        manual.feed(event)
    balances = Licensee(
        licence, ledger.balances(), ledger.fractional_readings > 0, ledger.packages()
    )
    return Record(balances, list(tracker.plants.values()), manual.typed)


def licensee(conn: sa.Connection, licence: str) -> Licensee:
    """``licence``'s harvest balances and scale resolution, from its accepted events."""
    return read(conn, licence).licensee


@dataclass(frozen=True, slots=True)
class Hours:
    """What :func:`server.analytics.hours.odd_hours` needs of a licensee."""

    timezone: str
    disposals: list[hours.Timed]
    others: Counter[int]  # local hour -> the licensee's other accepted events
    first: datetime | None  # its first accepted event's time (None: it has none)


def activity_hours(conn: sa.Connection, licence: str) -> Hours:
    """``licence``'s destruction and waste at local time, and the local hours of its other
    accepted events (of every kind), in its timezone (``licensees.timezone``)."""
    timezone = conn.execute(
        sa.select(REGISTERED.c.timezone).where(REGISTERED.c.licence == licence)
    ).scalar_one()
    zone = ZoneInfo(timezone)
    disposals: list[hours.Timed] = []
    others: Counter[int] = Counter()
    first: datetime | None = None
    where = (L.c.licence == licence, L.c.outcome == "accepted")
    for row in paged(conn, [L.c.event_id, L.c.kind, L.c.occurred_at], *where):
        local = row.occurred_at.astimezone(zone)
        first = local if first is None else min(first, local)
        if row.kind in hours.KINDS:
            disposals.append(hours.Timed(row.event_id, row.kind, local))
        else:
            others[local.hour] += 1
    return Hours(timezone, disposals, others, first)


AUDIT_KINDS = ("inventory.audited",)


def audits(conn: sa.Connection, licence: str) -> list[Audit]:
    """``licence``'s physical audits (``inventory.audited``, corrections followed; the parts
    of one audit joined under its ID, at its first part's time), oldest first."""
    found: dict[str, Audit] = {}
    events = accepted_events(conn, licence, (*AUDIT_KINDS, "record.corrected"))
    when = {}
    recorded = []
    for event in events:
        when[event.event_id] = event.occurred_at
        recorded.append(event)
    for p, behind in _current(recorded).values():
        if not isinstance(p, InventoryAudited):
            continue
        at = when[behind[0]]
        had = found.get(p.audit_id)
        if had is None:
            found[p.audit_id] = Audit(
                p.audit_id, at, p.audited_by, p.moisture_tolerance_pct, list(p.lines), behind
            )
        else:
            found[p.audit_id] = Audit(
                p.audit_id,
                min(had.at, at),
                had.audited_by,
                had.tolerance_pct,
                [*had.lines, *p.lines],
                (*had.event_ids, *behind),
            )
    return sorted(found.values(), key=lambda a: (a.at, a.audit_id))


TRANSFER_KINDS = ("transfer.arrived", "transfer.received")


def _current(events: Iterable[EventEnvelope]) -> dict[str, tuple[Payload, tuple[str, ...]]]:
    """Event id -> (its payload as it now stands: a correction's replacement in the
    original's place, the events behind it: the original, then its corrections)."""
    found: dict[str, tuple[Payload, tuple[str, ...]]] = {}
    for event in events:
        p = event.payload
        if isinstance(p, RecordCorrected):
            if p.corrects in found:
                found[p.corrects] = (p.replacement, (*found[p.corrects][1], event.event_id))
        else:
            found[event.event_id] = (p, (event.event_id,))
    return found


def receipts(conn: sa.Connection, licence: str) -> list[Receipt]:
    """The transfers ``licence`` received (accepted items with a weight) whose seller's
    manifest is in this system's log (the seller's accepted ``transfer.manifested`` naming
    ``licence`` as purchaser), each with the manifested weights; by manifest ID."""
    kinds = (*TRANSFER_KINDS, "record.corrected")
    seller: dict[str, str] = {}
    received: dict[str, dict[str, Decimal]] = {}
    ids: dict[str, tuple[str, ...]] = {}
    for p, behind in _current(accepted_events(conn, licence, kinds)).values():
        if isinstance(p, TransferArrived):
            seller[p.manifest_id] = p.seller.licence
        elif isinstance(p, TransferReceived):
            got = received.setdefault(p.manifest_id, {})
            for item in p.accepted:
                grams = item.quantity.total_grams()
                if grams is not None:
                    got[item.uid] = grams
        else:
            continue
        ids[p.manifest_id] = (*ids.get(p.manifest_id, ()), *behind)
    found: list[Receipt] = []
    for seller_licence in sorted({seller[m] for m in received if m in seller}):
        manifests = _current(
            accepted_events(conn, seller_licence, ("transfer.manifested", "record.corrected"))
        )
        for p, _ in manifests.values():
            if not isinstance(p, TransferManifested) or p.purchaser.licence != licence:
                continue
            if seller.get(p.manifest_id) != seller_licence or p.manifest_id not in received:
                continue
            sent = {i.uid: g for i in p.items if (g := i.quantity.total_grams()) is not None}
            found.append(
                Receipt(
                    p.manifest_id, seller_licence, sent, received[p.manifest_id], ids[p.manifest_id]
                )
            )
    return sorted(found, key=lambda r: r.manifest_id)
