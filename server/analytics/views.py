"""What the API and the console read of the analytics, and the one thing they write: a
person's review of a signal.

Everything here reads the rows the scheduled refresh stored (:mod:`server.analytics.refresh`):
a page costs one indexed query per licensee, however long the licensee's record is.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, Field

from server.db.analytics import AnalyticsRun, HarvestBalanceRow, SignalReview, SignalRow
from server.db.core import table_of

RUNS = table_of(AnalyticsRun)
BALANCES = table_of(HarvestBalanceRow)
SIGNALS = table_of(SignalRow)
REVIEWS = table_of(SignalReview)


class SignalState(StrEnum):
    OPEN = "open"  # found by the last refresh, not reviewed
    REVIEWED = "reviewed"  # found by the last refresh, reviewed at least once
    CLEARED = "cleared"  # no longer found


class BalancePublic(BaseModel):
    """A harvest batch's mass balance in grams (docs/analytics.md). ``dry_grams`` and
    ``net_grams`` are None before the batch is weighed so; ``moisture_loss_grams`` and
    ``on_hand_grams`` likewise until it is weighed at all."""

    licence: str
    harvest_batch: str
    strain: str | None
    plants: int
    wet_grams: Decimal
    waste_grams: Decimal
    dry_grams: Decimal | None
    net_grams: Decimal | None
    packaged_grams: Decimal
    moisture_loss_grams: Decimal | None
    on_hand_grams: Decimal | None
    unexplained_grams: Decimal
    event_ids: list[str]
    refreshed_at: datetime


class ReviewPublic(BaseModel):
    reviewed_by: str
    reviewer_name: str
    note: str
    reviewed_at: datetime


class SignalPublic(BaseModel):
    """A diversion signal (docs/analytics.md, Signals): what, how unusual, the events behind
    it, and every review it has had, oldest first."""

    id: int
    licence: str
    kind: str
    subject: str
    score: Decimal
    explanation: str
    event_ids: list[str]
    state: SignalState
    raised_at: datetime
    last_seen_at: datetime
    cleared_at: datetime | None
    reviews: list[ReviewPublic]


class ReviewIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="What was looked at, found")


class OverviewRow(BaseModel):
    """One licensee in a regulator's overview: its open (unreviewed) and reviewed signals,
    the grams unexplained across its harvest batches, and when its analytics were refreshed
    (None: not yet)."""

    licence: str
    open_signals: int
    reviewed_signals: int
    unexplained_grams: Decimal
    harvest_batches: int
    refreshed_at: datetime | None


def balances_stmt(licence: str) -> sa.Select[tuple[object, ...]]:
    return sa.select(BALANCES).where(BALANCES.c.licence == licence).order_by(BALANCES.c.name)


def balance_public(r: sa.RowMapping) -> BalancePublic:
    return BalancePublic.model_validate(
        {**r, "harvest_batch": r["name"], "event_ids": json.loads(r["event_ids"])}
    )


def _reviews(conn: sa.Connection, ids: list[int]) -> dict[int, list[ReviewPublic]]:
    found: dict[int, list[ReviewPublic]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = conn.execute(
        sa.select(REVIEWS).where(REVIEWS.c.signal_id.in_(ids)).order_by(REVIEWS.c.id)
    ).mappings()
    for r in rows:
        found[r["signal_id"]].append(ReviewPublic.model_validate(r))
    return found


def signals(
    conn: sa.Connection, licence: str, state: SignalState | None = None
) -> list[SignalPublic]:
    """``licence``'s signals, open first, then by kind and score (highest first)."""
    rows = list(
        conn.execute(
            sa.select(SIGNALS).where(SIGNALS.c.licence == licence).order_by(SIGNALS.c.id)
        ).mappings()
    )
    reviews = _reviews(conn, [r["id"] for r in rows])
    found = []
    for r in rows:
        mine = reviews[r["id"]]
        if r["cleared_at"] is not None:
            now = SignalState.CLEARED
        elif mine:
            now = SignalState.REVIEWED
        else:
            now = SignalState.OPEN
        if state is not None and now is not state:
            continue
        found.append(
            SignalPublic.model_validate(
                {**r, "event_ids": json.loads(r["event_ids"]), "state": now, "reviews": mine}
            )
        )
    order = list(SignalState)
    return sorted(found, key=lambda s: (order.index(s.state), s.kind, -s.score, s.id))


@dataclass(frozen=True, slots=True)
class Reviewer:
    login: str
    name: str


def signal_licence(conn: sa.Connection, signal_id: int) -> str | None:
    """The licensee of signal ``signal_id``; None when there is no such signal."""
    found: str | None = conn.execute(
        sa.select(SIGNALS.c.licence).where(SIGNALS.c.id == signal_id)
    ).scalar_one_or_none()
    return found


def review(
    conn: sa.Connection, licence: str, signal_id: int, reviewer: Reviewer, note: str, now: datetime
) -> SignalPublic:
    """Record ``reviewer``'s review of signal ``signal_id`` of ``licence`` (the caller found
    it with :func:`signal_licence`). Reviews are only ever added."""
    conn.execute(
        sa.insert(REVIEWS).values(
            signal_id=signal_id,
            reviewed_by=reviewer.login,
            reviewer_name=reviewer.name,
            note=note,
            reviewed_at=now,
        )
    )
    return next(s for s in signals(conn, licence) if s.id == signal_id)


def overview(conn: sa.Connection, licences: list[str]) -> list[OverviewRow]:
    """Each of ``licences`` with its signal counts, most open signals first (then most
    unexplained grams, then licence). Three grouped queries, whatever the number of
    licensees; grams are summed here, exactly (they are stored as exact decimals)."""
    still = sa.and_(SIGNALS.c.licence.in_(licences), SIGNALS.c.cleared_at.is_(None))
    found: dict[str, int] = {
        lic: n
        for lic, n in conn.execute(
            sa.select(SIGNALS.c.licence, sa.func.count()).where(still).group_by(SIGNALS.c.licence)
        )
    }
    reviewed: dict[str, int] = {
        lic: n
        for lic, n in conn.execute(
            sa.select(SIGNALS.c.licence, sa.func.count(sa.distinct(SIGNALS.c.id)))
            .join(REVIEWS, REVIEWS.c.signal_id == SIGNALS.c.id)
            .where(still)
            .group_by(SIGNALS.c.licence)
        )
    }
    grams: dict[str, Decimal] = {}
    batches: dict[str, int] = {}
    for b in conn.execute(
        sa.select(BALANCES.c.licence, BALANCES.c.unexplained_grams).where(
            BALANCES.c.licence.in_(licences)
        )
    ):
        grams[b.licence] = grams.get(b.licence, Decimal(0)) + b.unexplained_grams
        batches[b.licence] = batches.get(b.licence, 0) + 1
    refreshed: dict[str, datetime] = {
        lic: at
        for lic, at in conn.execute(
            sa.select(RUNS.c.licence, RUNS.c.refreshed_at).where(RUNS.c.licence.in_(licences))
        )
    }
    rows = [
        OverviewRow(
            licence=lic,
            open_signals=found.get(lic, 0) - reviewed.get(lic, 0),
            reviewed_signals=reviewed.get(lic, 0),
            unexplained_grams=grams.get(lic, Decimal(0)),
            harvest_batches=batches.get(lic, 0),
            refreshed_at=refreshed.get(lic),
        )
        for lic in licences
    ]
    return sorted(rows, key=lambda r: (-r.open_signals, -r.unexplained_grams, r.licence))
