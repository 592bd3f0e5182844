"""The scheduled refresh: recompute the balances, signals and inventory projection of the
licensees whose record moved.

A page view reads what the last refresh stored (``server.db.analytics``); it never walks a
season of events. The ingest worker runs :func:`refresh` between batches, in slices bounded by
a deadline (``until``), until every licensee has had its turn, then again
``analytics_refresh_s`` seconds later; ``seedtrace analytics refresh`` runs it by hand, in one
go.

For each registered licensee, the refresh compares the newest log position of the event kinds
the analytics watch (:data:`WATCHED`, accepted or rejected) with the position it read through
last time. A licensee whose record has not moved, and was refreshed in the last
:data:`STALE_AFTER`, is skipped. Any other is recomputed from its whole accepted record (its
balances replaced) and its signals are compared with what is stored: a new one is raised, one
found again is updated (score, explanation, events) and keeps its first raise time, and one no
longer found is marked cleared, never deleted. A licensee's moisture loss is compared with its
peers' batches of the same strain as stored by their own last refresh; the daily recompute
follows peers that changed since. A transfer is compared with its seller's manifest as the
seller's log holds it at the purchaser's refresh.

The licensees are taken stalest first: never refreshed, then by their last refresh, oldest
first (then by licence). A slice stops after the licensee that crosses its deadline and reports
those it did not reach (:attr:`RefreshReport.left`); the next slice takes them, so however long
the backlog, a licensee waits at most one round.
"""

import json
import time
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from server.analytics import audits, source
from server.analytics.balance import HarvestBalance, Movement
from server.analytics.culling import culled_shares
from server.analytics.hours import odd_hours
from server.analytics.manual import typed_weights
from server.analytics.projection import Usual, by_strain, combine, project
from server.analytics.receipts import received_off
from server.analytics.refused import refused_tags
from server.analytics.signals import Licensee, Signal, assess
from server.analytics.tables import BALANCES, HISTORY, LOG, PROJECTIONS, REGISTERED, RUNS, SIGNALS

STALE_AFTER = timedelta(days=1)
REFRESH_LOCK_CLASS = 0x5EF0  # advisory lock key 1: one licensee's refresh (key 2: its hash)
# The kinds whose new events make a licensee's analytics stale: those the ledger reads, the
# transfers its receipts are compared from, and its physical audits. (The hours of its other
# events move the odd-hours signal too, slowly: the daily recompute follows them.)
WATCHED = (*source.KINDS, *source.TRANSFER_KINDS, *source.AUDIT_KINDS)


@dataclass(slots=True)
class RefreshReport:
    """What one refresh did: licensees recomputed and skipped; signals raised, still open,
    cleared; the licensees it did not reach before its deadline, stalest first (none when it
    ran to the end)."""

    refreshed: list[str] = field(default_factory=list)
    skipped: int = 0
    left: list[str] = field(default_factory=list)
    raised: int = 0
    seen_again: int = 0
    cleared: int = 0


def _head(conn: sa.Connection, licence: str) -> int:
    """The newest log position of ``licence``'s events the analytics read (0 for none)."""
    found = conn.execute(
        sa.select(sa.func.max(LOG.c.position)).where(
            LOG.c.licence == licence, LOG.c.kind.in_(WATCHED)
        )
    ).scalar_one()
    return 0 if found is None else int(found)


def _peers(conn: sa.Connection, licence: str) -> list[Licensee]:
    """Other licensees' stored balances, as figures only (no events: a peer's records are
    values to compare with, never evidence shown to another licensee)."""
    rows = conn.execute(
        sa.select(BALANCES)
        .where(BALANCES.c.licence != licence, BALANCES.c.strain.is_not(None))
        .order_by(BALANCES.c.licence)
    ).mappings()
    by_licence: dict[str, list[HarvestBalance]] = {}
    for r in rows:
        by_licence.setdefault(r["licence"], []).append(_figures(r))
    return [Licensee(peer, balances, False) for peer, balances in by_licence.items()]


def _figures(r: sa.RowMapping) -> HarvestBalance:
    """A stored balance back as a :class:`HarvestBalance` with one movement per figure (the
    moisture comparison needs only the totals)."""
    at = r["refreshed_at"]

    def one(grams: Decimal | None, note: str) -> list[Movement]:
        return [] if grams is None else [Movement("", "", at, grams, note)]

    return HarvestBalance(
        r["licence"],
        r["name"],
        r["strain"],
        wet=one(r["wet_grams"], "wet"),
        waste=one(r["waste_grams"], "waste"),
        dry=one(r["dry_grams"], "dry weight"),
        net=one(r["net_grams"], "net weight"),
        packaged=one(r["packaged_grams"], "packaged"),
        plant_count=r["plants"],
    )


def _balance_row(balance: HarvestBalance, now: datetime) -> dict[str, object]:
    ids: dict[str, None] = {}
    for group in (balance.wet, balance.waste, balance.dry, balance.net, balance.packaged):
        for movement in group:
            ids.setdefault(movement.event_id, None)
    return {
        "licence": balance.licence,
        "name": balance.name,
        "strain": balance.strain,
        "plants": balance.plants,
        "wet_grams": balance.wet_grams,
        "waste_grams": balance.waste_grams,
        "dry_grams": balance.dry[-1].grams if balance.dry else None,
        "net_grams": balance.net[-1].grams if balance.net else None,
        "packaged_grams": balance.packaged_grams,
        "moisture_loss_grams": balance.moisture_loss_grams,
        "on_hand_grams": balance.on_hand_grams,
        "unexplained_grams": balance.unexplained_grams,
        "event_ids": json.dumps(list(ids)),
        "refreshed_at": now,
    }


def _store_signals(
    conn: sa.Connection, licence: str, found: Sequence[Signal], now: datetime, report: RefreshReport
) -> None:
    stored = {
        (r.kind, r.subject): r
        for r in conn.execute(sa.select(SIGNALS).where(SIGNALS.c.licence == licence))
    }
    for signal in found:
        values = {
            "score": signal.score,
            "explanation": signal.explanation,
            "event_ids": json.dumps(list(signal.event_ids)),
            "last_seen_at": now,
            "cleared_at": None,
        }
        row = stored.pop((signal.kind, signal.subject), None)
        if row is None:
            conn.execute(
                sa.insert(SIGNALS).values(
                    licence=licence,
                    kind=signal.kind,
                    subject=signal.subject,
                    raised_at=now,
                    **values,
                )
            )
            report.raised += 1
        else:
            if row.cleared_at is not None:  # back after it had cleared: raised anew
                values["raised_at"] = now
                report.raised += 1
            else:
                report.seen_again += 1
            conn.execute(sa.update(SIGNALS).where(SIGNALS.c.id == row.id).values(**values))
    for row in stored.values():
        if row.cleared_at is None:
            conn.execute(sa.update(SIGNALS).where(SIGNALS.c.id == row.id).values(cleared_at=now))
            report.cleared += 1


def _statewide(conn: sa.Connection, licence: str) -> dict[str, Usual]:
    """Strain -> the statewide figure, from the other licensees' stored strain histories."""
    groups: dict[str, list[Usual]] = {}
    for r in conn.execute(sa.select(HISTORY).where(HISTORY.c.licence != licence)):
        groups.setdefault(r.strain, []).append(
            Usual(r.veg_days, r.flower_days, r.low_grams, r.grams, r.high_grams)
        )
    return {strain: combine(usuals) for strain, usuals in groups.items()}


def _store_projection(conn: sa.Connection, record: source.Record, now: datetime) -> None:
    """Replace the licensee's strain history, and today's (UTC) projection, with new ones."""
    licence = record.licensee.licence
    strains = by_strain(record.plants)
    conn.execute(sa.delete(HISTORY).where(HISTORY.c.licence == licence))
    if strains:
        conn.execute(
            sa.insert(HISTORY),
            [
                {
                    "licence": licence,
                    "strain": strain,
                    "veg_days": u.veg_days,
                    "flower_days": u.flower_days,
                    "low_grams": u.low,
                    "grams": u.grams,
                    "high_grams": u.high,
                    "refreshed_at": now,
                }
                for strain, u in strains.items()
            ],
        )
    today = now.astimezone(UTC).date()
    made = project(licence, record.plants, today, _statewide(conn, licence))
    conn.execute(
        sa.delete(PROJECTIONS).where(
            PROJECTIONS.c.licence == licence, PROJECTIONS.c.made_on == today
        )
    )
    conn.execute(
        sa.insert(PROJECTIONS),
        [
            {
                "licence": licence,
                "made_on": today,
                "week_start": week.start,
                "made_at": now,
                "plants": week.plants,
                "expected_grams": week.expected,
                "low_grams": week.low,
                "high_grams": week.high,
                "unprojected": made.unprojected,
            }
            for week in made.weeks
        ],
    )


def _conduct(conn: sa.Connection, licence: str) -> list[Signal]:
    """The signals of what ``licence`` did rather than what it weighed: refused tag uses,
    destruction at odd hours, transfers received at another weight, physical-audit variances,
    their trend and destruction crowded before audits."""
    found = refused_tags(licence, source.refusals(conn, licence))
    hours = source.activity_hours(conn, licence)
    odd = odd_hours(licence, hours.timezone, hours.disposals, hours.others)
    if odd is not None:
        found.append(odd)
    found += audits.assess(licence, source.audits(conn, licence), hours.disposals, hours.first)
    for receipt in source.receipts(conn, licence):
        off = received_off(licence, receipt)
        if off is not None:
            found.append(off)
    return found


def one_at_a_time(conn: sa.Connection, licence: str) -> None:
    """PostgreSQL: wait, in the caller's transaction, until no other refresh of ``licence`` is
    under way (a transaction advisory lock, :data:`REFRESH_LOCK_CLASS`). Two can meet: an
    ingest process refreshes what it owned when its refresh began, and a licensee handed over
    meanwhile is refreshed by its new owner too (``seedtrace analytics refresh`` by hand, too).
    The second then recomputes from what the first stored, instead of both replacing the same
    rows at once. SQLite serialises writers already (``BEGIN IMMEDIATE``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:cls, hashtext(:licence))"),
            {"cls": REFRESH_LOCK_CLASS, "licence": licence},
        )


def refresh_licensee(
    conn: sa.Connection, licence: str, head: int, now: datetime, report: RefreshReport
) -> None:
    """Recompute ``licence``'s balances, signals, crop history and today's projection (on
    ``conn``, in the caller's transaction), recording that it read through log position
    ``head`` (:func:`_head`, read in the same transaction)."""
    record = source.read(conn, licence)
    mine = record.licensee
    found = [
        *assess([mine, *_peers(conn, licence)], subjects={licence}),
        *culled_shares(licence, record.plants),
        *typed_weights(licence, record.typed),
        *_conduct(conn, licence),
    ]
    conn.execute(sa.delete(BALANCES).where(BALANCES.c.licence == licence))
    rows = [_balance_row(b, now) for b in mine.balances]
    if rows:
        conn.execute(sa.insert(BALANCES), rows)
    _store_signals(conn, licence, found, now, report)
    _store_projection(conn, record, now)
    conn.execute(sa.delete(RUNS).where(RUNS.c.licence == licence))
    conn.execute(sa.insert(RUNS).values(licence=licence, through_position=head, refreshed_at=now))
    report.refreshed.append(licence)


def stalest_first(licences: Sequence[str], runs: dict[str, sa.Row[Any]]) -> list[str]:
    """``licences`` in the order a refresh takes them: those never refreshed (by licence), then
    by their last refresh, oldest first (then by licence)."""

    def key(licence: str) -> tuple[bool, datetime, str]:
        run = runs.get(licence)
        if run is None:
            return (False, datetime.min.replace(tzinfo=UTC), licence)
        return (True, run.refreshed_at, licence)

    return sorted(licences, key=key)


def refresh(
    engine: sa.Engine,
    now: datetime,
    *,
    only: Set[str] | None = None,
    force: bool = False,
    until: float | None = None,
    timer: Callable[[], float] = time.monotonic,
) -> RefreshReport:
    """Refresh every registered licensee (of ``only``, when given: an ingest process
    refreshes the licensees it owns) whose record moved since its last refresh, or that was
    last refreshed :data:`STALE_AFTER` ago, or every one with ``force``; one transaction per
    licensee, so one licensee's failure leaves the others' results in place (and raises).

    Stalest first (:func:`stalest_first`). With ``until`` (a ``timer()`` reading, seconds), it
    stops after the licensee during which ``timer()`` reaches ``until``: at least one licensee
    is always looked at, and one licensee's refresh is never cut short. Those not reached are
    in :attr:`RefreshReport.left`, stalest first; passed as ``only``, they are the next
    slice. Without ``until``, everything in one go."""
    report = RefreshReport()
    with engine.connect() as conn:
        registered = conn.execute(sa.select(REGISTERED.c.licence).order_by("licence")).scalars()
        runs = {r.licence: r for r in conn.execute(sa.select(RUNS))}
        licences = stalest_first([lic for lic in registered if only is None or lic in only], runs)
    for at, licence in enumerate(licences):
        with engine.begin() as conn:
            one_at_a_time(conn, licence)
            run, head = runs.get(licence), _head(conn, licence)
            fresh = (
                run is not None
                and run.through_position == head
                and now - run.refreshed_at < STALE_AFTER
            )
            if fresh and not force:
                report.skipped += 1
            else:
                refresh_licensee(conn, licence, head, now, report)
        if until is not None and timer() >= until:
            report.left = licences[at + 1 :]
            break
    return report
