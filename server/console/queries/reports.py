"""Reconciliation and audit reports.

- **Reconciliation** (DAILY-RECONCILE, OR Reconciliation (1)(b); CA 8406(a)): the system's
  inventory at this moment, as the sheet a person reconciles against: every live plant by
  UID, room and phase, untagged plants per batch, and harvest batches with their weights;
  and the days that were reconciled (``reconciliation.recorded`` events), newest first.
- **Audit** (AUDIT-VARIANCE, NO-FALSIFICATION): what the log holds for a period: events
  accepted and rejected per kind, rejections per rule, and every correction, so an auditor
  sees at a glance what went wrong and what was changed afterwards.
"""

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.console.queries.feed import FeedRow, row_from_log
from server.console.queries.inventory import LIVE_PHASES, BatchRow, HarvestRow, batches, harvests
from server.db.among import among
from server.db.core_tables import EVENT_LOG as L
from server.db.core_tables import PLANTS as P


@dataclass(frozen=True, slots=True)
class PlantLine:
    licence: str
    uid: str
    location: str
    phase: str
    strain: str
    batch_id: str


@dataclass(frozen=True, slots=True)
class Reconciled:
    licence: str
    business_date: str
    note: str | None
    operator_id: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Reconciliation:
    plants: list[PlantLine]
    batches: list[BatchRow]
    harvests: list[HarvestRow]
    history: list[Reconciled]


def reconciliation(engine: Engine, licences: Sequence[str]) -> Reconciliation:
    lic = list(licences)
    with engine.connect() as conn:
        plants = [
            PlantLine(r.licence, r.uid, r.location, r.phase, r.strain, r.batch_id)
            for r in conn.execute(
                sa.select(P)
                .where(P.c.licence.in_(lic), P.c.phase.in_(LIVE_PHASES))
                .order_by(P.c.licence, P.c.location, P.c.phase, P.c.uid)
            )
        ]
        history = []
        for r in conn.execute(
            sa.select(L.c.licence, L.c.operator_id, L.c.received_at, L.c.body)
            .where(
                L.c.licence.in_(lic),
                L.c.kind == "reconciliation.recorded",
                L.c.outcome == "accepted",
            )
            .order_by(L.c.position.desc())
            .limit(60)
        ):
            payload = json.loads(r.body)["payload"]
            history.append(
                Reconciled(
                    r.licence,
                    payload["business_date"],
                    payload.get("note"),
                    r.operator_id,
                    r.received_at,
                )
            )
        return Reconciliation(
            plants, [b for b in batches(conn, lic) if b.immature > 0], harvests(conn, lic), history
        )


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: str
    accepted: int
    rejected: int


@dataclass(frozen=True, slots=True)
class Audit:
    start: date
    end: date
    kinds: list[KindCount]
    rules: list[tuple[str, int]]  # rule ID, rejections naming it; most first
    corrections: list[FeedRow]
    rejected: list[FeedRow]

    @property
    def total(self) -> int:
        return sum(k.accepted + k.rejected for k in self.kinds)


def audit(
    engine: Engine, licences: Sequence[str], start: datetime, end: datetime, limit: int = 200
) -> Audit:
    """The log between ``start`` (inclusive) and ``end`` (exclusive), by received time."""
    where = (among(L.c.licence, licences), L.c.received_at >= start, L.c.received_at < end)
    with engine.connect() as conn:
        counts = conn.execute(
            sa.select(L.c.kind, L.c.outcome, sa.func.count())
            .where(*where)
            .group_by(L.c.kind, L.c.outcome)
        ).all()
        rejected_rows = conn.execute(
            sa.select(L).where(*where, L.c.outcome == "rejected").order_by(L.c.position)
        ).all()
        corrections = conn.execute(
            sa.select(L)
            .where(*where, L.c.kind == "record.corrected")
            .order_by(L.c.position)
            .limit(limit)
        ).all()
    per_kind: dict[str, Counter[str]] = {}
    for kind, outcome, n in counts:
        per_kind.setdefault(kind, Counter())[outcome] += int(n)
    rejected = [row_from_log(r) for r in rejected_rows]
    rules = Counter(v.rule_id for row in rejected for v in row.violations)
    return Audit(
        start=start.date(),
        end=end.date(),
        kinds=[
            KindCount(kind, c["accepted"], c["rejected"]) for kind, c in sorted(per_kind.items())
        ],
        rules=rules.most_common(),
        corrections=[row_from_log(r) for r in corrections],
        rejected=rejected[-limit:],
    )
