"""What the API and the console read of the analytics, and the one thing they write: a
person's review of a signal.

Everything here reads the rows the scheduled refresh stored (:mod:`server.analytics.refresh`):
a page costs one indexed query per licensee, however long the licensee's record is.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field

from server.analytics.tables import BALANCES, PLANTS, PROJECTIONS, REVIEWS, RUNS, SIGNALS
from server.db.among import among
from server.db.sums import ExactSum

# Signals whose subject is a rule ID, a kind of record or a physical audit, not an item with an
# audit trail (their events still lead there).
NOT_AN_ITEM = frozenset(
    {
        "tag-not-received",
        "tag-used-again",
        "odd-hours-disposal",
        "audit-variance",
        "audit-variance-trend",
        "pre-audit-disposal",
    }
)


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
    unexplained grams, then licence). Three grouped queries and one of the runs, whatever the
    number of licensees; the database sums the grams per licensee, exactly
    (:class:`~server.db.sums.ExactSum`: they are stored as decimal text)."""
    still = sa.and_(among(SIGNALS.c.licence, licences), SIGNALS.c.cleared_at.is_(None))
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
    for lic, total, n in conn.execute(
        sa.select(BALANCES.c.licence, ExactSum(BALANCES.c.unexplained_grams), sa.func.count())
        .where(among(BALANCES.c.licence, licences))
        .group_by(BALANCES.c.licence)
    ):
        grams[lic], batches[lic] = total, n
    refreshed: dict[str, datetime] = {
        lic: at
        for lic, at in conn.execute(
            sa.select(RUNS.c.licence, RUNS.c.refreshed_at).where(among(RUNS.c.licence, licences))
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


class WeekPublic(BaseModel):
    """A week's projected wet harvest in grams: the expected weight and its interval (10th to
    90th percentile of the crop's history), from ``plants`` plants."""

    start: date
    plants: int
    expected_grams: Decimal
    low_grams: Decimal
    high_grams: Decimal


class PastWeekPublic(BaseModel):
    """A week that has passed: what the projection made on its first day expected, what was
    harvested (wet grams), the error (actual - expected) and whether the actual weight fell
    within the interval."""

    start: date
    expected_grams: Decimal
    low_grams: Decimal
    high_grams: Decimal
    actual_grams: Decimal
    error_grams: Decimal
    within: bool


class ProjectionPublic(BaseModel):
    """The inventory projection (docs/analytics.md): ``licences`` it covers (one, or every
    licensee a regulator oversees, summed), when it was made (None: not yet), the live plants
    it could not project for lack of history, the next 13 weeks, and the past 13 weeks set
    beside what was harvested (for one licensee)."""

    licences: list[str]
    made_on: date | None
    unprojected: int
    weeks: list[WeekPublic]
    past: list[PastWeekPublic]


def _latest(conn: sa.Connection, licence: str, on_or_before: date) -> date | None:
    found: date | None = conn.execute(
        sa.select(sa.func.max(PROJECTIONS.c.made_on)).where(
            PROJECTIONS.c.licence == licence, PROJECTIONS.c.made_on <= on_or_before
        )
    ).scalar_one()
    return found


def _weeks(conn: sa.Connection, licence: str, made_on: date) -> list[sa.Row[Any]]:
    return list(
        conn.execute(
            sa.select(PROJECTIONS)
            .where(PROJECTIONS.c.licence == licence, PROJECTIONS.c.made_on == made_on)
            .order_by(PROJECTIONS.c.week_start)
        )
    )


def _harvested(conn: sa.Connection, licence: str, begin: datetime) -> Decimal:
    """Wet grams harvested by ``licence`` in the 7 days after ``begin`` (a projection's time:
    what was cut at or before it was already in the record the projection read)."""
    rows = conn.execute(
        sa.select(PLANTS.c.wet_weight_grams).where(
            PLANTS.c.licence == licence,
            PLANTS.c.harvested_at > begin,
            PLANTS.c.harvested_at <= begin + timedelta(days=7),
        )
    ).scalars()
    return sum((g for g in rows if g is not None), Decimal(0))


def _week(r: sa.Row[Any]) -> WeekPublic:
    return WeekPublic(
        start=r.week_start,
        plants=r.plants,
        expected_grams=r.expected_grams,
        low_grams=r.low_grams,
        high_grams=r.high_grams,
    )


def projection(conn: sa.Connection, licence: str, now: datetime) -> ProjectionPublic:
    """``licence``'s latest projection and, for each of the past 13 weeks, the projection made
    on or before the week's first day set beside what was harvested in the 7 days after it
    was made."""
    today = now.astimezone(UTC).date()
    made_on = _latest(conn, licence, today)
    rows = [] if made_on is None else _weeks(conn, licence, made_on)
    past: list[PastWeekPublic] = []
    seen: set[date] = set()
    for k in range(13, 0, -1):
        made = _latest(conn, licence, today - timedelta(weeks=k))
        if made is None or made in seen:
            continue
        seen.add(made)
        first = next((r for r in _weeks(conn, licence, made) if r.week_start == made), None)
        if first is None:
            continue
        if first.made_at + timedelta(days=7) > now:
            continue
        actual = _harvested(conn, licence, first.made_at)
        past.append(
            PastWeekPublic(
                start=first.week_start,
                expected_grams=first.expected_grams,
                low_grams=first.low_grams,
                high_grams=first.high_grams,
                actual_grams=actual,
                error_grams=actual - first.expected_grams,
                within=first.low_grams <= actual <= first.high_grams,
            )
        )
    return ProjectionPublic(
        licences=[licence],
        made_on=made_on,
        unprojected=rows[0].unprojected if rows else 0,
        weeks=[_week(r) for r in rows],
        past=past,
    )


def statewide(conn: sa.Connection, licences: list[str], today: date) -> ProjectionPublic:
    """The latest projections of ``licences`` summed week by week (week n of each, dated from
    ``today``); no past weeks (each licensee's are on its own page)."""
    weeks = [
        WeekPublic(
            start=today + timedelta(weeks=n),
            plants=0,
            expected_grams=Decimal(0),
            low_grams=Decimal(0),
            high_grams=Decimal(0),
        )
        for n in range(13)
    ]
    unprojected = 0
    made: list[date] = []
    for licence in licences:
        made_on = _latest(conn, licence, today)
        if made_on is None:
            continue
        made.append(made_on)
        rows = _weeks(conn, licence, made_on)
        unprojected += rows[0].unprojected if rows else 0
        for n, r in enumerate(rows[: len(weeks)]):
            w = weeks[n]
            w.plants += r.plants
            w.expected_grams += r.expected_grams
            w.low_grams += r.low_grams
            w.high_grams += r.high_grams
    return ProjectionPublic(
        licences=licences,
        made_on=min(made) if made else None,
        unprojected=unprojected,
        weeks=weeks,
        past=[],
    )
