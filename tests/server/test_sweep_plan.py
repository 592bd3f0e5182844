"""The deadline sweep's plan (:mod:`server.compliance.deadlines.due`), on SQLite and PostgreSQL:
a sweep over many licensees with nothing due costs the plan's statements and no transaction
per licensee; over a varied set (notifications due and overdue, days to catch up, licensure
grace with tags in transit, a loss of access, tag stock running low, recovering, or
acknowledged) it leaves exactly what the per-licensee sweep (:func:`sweep_each`) leaves."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.compliance.deadlines import DeadlineSettings, dismiss, due, list_notifications
from server.compliance.deadlines.sweep import SweepReport, sweep, sweep_each
from server.db.core_tables import NOTIFICATIONS as N
from server.db.core_tables import TAGS
from tests.pinned import START
from tests.server import desk as payloads
from tests.server.conftest import add_unstaffed_licensee
from tests.server.desk import CA_LICENCE, OR_LICENCE, Desk, la
from tests.server.floor import MANAGER, uid

SETTINGS = DeadlineSettings(supply_days=14, rate_window_days=30)
JURISDICTIONS = ("OR", "CA", "CT")
GRACED = "OR-9000"  # the varied set's licensee in its licensure grace with tags in transit


@dataclass
class Sent:
    statements: list[str] = field(default_factory=list)  # SQL, without SQLite's BEGIN
    transactions: int = 0


@contextmanager
def sent(engine: Engine) -> Iterator[Sent]:
    """The SQL statements and transactions sent on ``engine`` meanwhile."""
    seen = Sent()

    def statement(*args: Any) -> None:
        if not args[2].startswith("BEGIN"):  # SQLite's engine begins each one by hand
            seen.statements.append(args[2])

    def transaction(*args: Any) -> None:
        seen.transactions += 1

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "begin", transaction)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine, "begin", transaction)


def register(engine: Engine, count: int, registered: datetime) -> list[str]:
    """``count`` more licensees, OR, CA and CT in turn, registered at ``registered``."""
    names = [f"{JURISDICTIONS[n % 3]}-{9000 + n}" for n in range(count)]
    for name in names:
        add_unstaffed_licensee(engine, name, f"Farm {name}", name[:2], now=registered)
    return names


def test_a_sweep_with_nothing_due_costs_the_plan_whatever_the_licensees(engine: Engine) -> None:
    names = register(engine, 30, START - timedelta(days=3))
    first = sweep(engine, START, SETTINGS)  # the day's DAILY-RECONCILE, and the days missed
    planned = [n for n in [*names, CA_LICENCE, OR_LICENCE] if not n.startswith("CT-")]
    assert (first.licensees, first.swept) == (32, len(planned))
    assert first.opened > len(planned)  # the catch-up days too
    with sent(engine) as plan_only:
        again = sweep(engine, START + timedelta(minutes=5), SETTINGS)
    assert again == SweepReport(licensees=32)  # nobody swept, nothing changed
    # The plan's three statements in one read, no transaction per licensee.
    assert (len(plan_only.statements), plan_only.transactions) == (3, 1), plan_only
    with sent(engine) as every:
        each = sweep_each(engine, START + timedelta(minutes=10), SETTINGS)
    assert each == SweepReport(licensees=32, swept=32)
    assert every.transactions == 1 + 32  # the list, then one per licensee
    assert len(every.statements) > 3 * 32  # several statements each


Snapshot = list[tuple[Any, ...]]


def notifications(engine: Engine) -> Snapshot:
    """Every notification, without its id, in a stable order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(N)).all()
    columns = [c.name for c in N.columns if c.name != "id"]
    return sorted(
        (tuple(getattr(row, c) for c in columns) for row in rows),
        key=lambda r: tuple("" if v is None else str(v) for v in r),
    )


def restore(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(N.delete())
        if rows:
            conn.execute(N.insert(), rows)


def tags(
    engine: Engine, licence: str, available: int, assigned: int, at: datetime, first: int = 1
) -> None:
    """Plant tags in the ledger: ``available`` on hand, ``assigned`` assigned at ``at``."""
    rows = [
        {
            "licence": licence,
            "uid": uid(first + n),
            "tag_type": "plant",
            "status": "available" if n < available else "assigned",
            "received_at": at - timedelta(days=1),
            "assigned_at": None if n < available else at,
        }
        for n in range(available + assigned)
    ]
    with engine.begin() as conn:
        conn.execute(TAGS.insert(), rows)


def varied(engine: Engine) -> None:
    """Licensees in every case the sweep handles, at START."""
    names = register(engine, 9, START - timedelta(days=10))
    ca = [n for n in names if n.startswith("CA-")]
    ore = [n for n in names if n.startswith("OR-")]
    assert ore[0] == GRACED
    # Due, and overdue by the later sweeps: a destroyed plant's UID to retire (CA 8403(e)).
    Desk(engine, ca[0]).send(payloads.destroyed(uid(1)), la(2026, 11, 23, 10, 0))
    Desk(engine, CA_LICENCE).send(payloads.destroyed(uid(2)), la(2026, 11, 24, 8, 0))
    # In the licensure grace with tags in transit: no DAILY-RECONCILE for those days.
    graced = Desk(engine, ore[0])
    graced.send(payloads.licence_updated(licensure_date=date(2026, 11, 18)), la(2026, 11, 18, 8, 0))
    graced.send(payloads.tags_ordered(), la(2026, 11, 18, 9, 0))
    # ... and its stock low: TAG-SUPPLY waits for the grace's end (Saturday 28th, no day to open).
    tags(engine, ore[0], available=1, assigned=30, at=START - timedelta(days=5), first=500)
    # A loss of access, restored with a backlog (OUTAGE-BACKFILL where the state sets it).
    for licence in (ca[1], ore[1]):
        desk, lost_at, restored_at = Desk(engine, licence), la(2026, 11, 23, 9), la(2026, 11, 24, 7)
        lost, _ = desk.send(payloads.access_lost(lost_at), lost_at)
        desk.send(payloads.access_restored(lost.event_id, restored_at, 5), restored_at)
    still_lost = la(2026, 11, 24, 6)
    Desk(engine, ca[2]).send(payloads.access_lost(still_lost), still_lost)
    # Tag stock: low (opens), low then aged out of the window (opens, then resolves), enough.
    tags(engine, ore[2], available=2, assigned=20, at=START - timedelta(days=2))
    tags(engine, ca[1], available=3, assigned=12, at=START - timedelta(days=20))
    tags(engine, ca[2], available=500, assigned=10, at=START - timedelta(days=1))
    # Low, warned and acknowledged: not again until a receipt.
    tags(engine, OR_LICENCE, available=1, assigned=15, at=START - timedelta(days=3))
    sweep_each(engine, START - timedelta(days=1), SETTINGS)
    (warning,) = list_notifications(engine, OR_LICENCE, rule_id="TAG-SUPPLY")
    dismiss(engine, warning.id, by=MANAGER, now=START - timedelta(hours=20))


MOMENTS = (
    START,  # Tuesday 24th, 09:30 in Los Angeles: the day's DAILY-RECONCILE, the days missed
    START + timedelta(minutes=5),  # nothing new
    la(2026, 11, 24, 23, 0),  # the day's DAILY-RECONCILE overdue, no day to open
    la(2026, 11, 28, 9, 0),  # a Saturday: the grace over, a warning opens
    la(2026, 12, 4, 8, 0),  # overdue, days missed
    la(2026, 12, 4, 10, 0),  # the assignments of 30 days ago left the window: a warning resolves
    START + timedelta(days=45),  # the catch-up capped
    START + timedelta(days=2),  # a clock set back: days opened after "today"
)


def run(
    engine: Engine, how: Callable[..., SweepReport]
) -> tuple[list[tuple[SweepReport, Snapshot]], list[int]]:
    """Sweep ``how`` at each of :data:`MOMENTS`: the reports and notifications after each, and
    how many licensees each swept (what differs between the two sweeps)."""
    out, swept = [], []
    for moment in MOMENTS:
        report = how(engine, moment, SETTINGS)
        swept.append(report.swept)
        report.swept = 0
        out.append((report, notifications(engine)))
    return out, swept


def test_the_planned_sweep_leaves_what_the_per_licensee_sweep_leaves(engine: Engine) -> None:
    varied(engine)
    with engine.connect() as conn:
        before = [dict(row._mapping) for row in conn.execute(sa.select(N))]
    planned, planned_swept = run(engine, sweep)
    restore(engine, before)
    each, each_swept = run(engine, sweep_each)
    assert planned == each
    assert each_swept == [11] * len(MOMENTS)
    assert planned_swept[1] == 0  # nothing due five minutes later: nobody locked
    assert all(p < 11 for p in planned_swept)  # the CT licensees never, for one
    # The set was varied: each kind of change happened, some alone.
    reports = [report for report, _ in each]
    assert reports[0].opened
    assert reports[0].overdue
    assert reports[1] == SweepReport(licensees=11)
    assert (reports[2].opened, reports[2].overdue) == (0, 7)  # overdue marking alone
    assert reports[4].opened
    assert reports[4].overdue
    assert (reports[5], planned_swept[5]) == (SweepReport(licensees=11, resolved=1), 1)
    assert reports[6].opened
    assert reports[6].resolved
    (warning,) = list_notifications(engine, GRACED, rule_id="TAG-SUPPLY")
    assert warning.opened_at == MOMENTS[3]  # a warning alone: no day to open that Saturday
    days = list_notifications(engine, GRACED, rule_id="DAILY-RECONCILE")
    assert days
    assert all(n.started_at > MOMENTS[3] for n in days)


def test_the_plans_tag_stock_counts_what_a_count_of_the_whole_ledger_counts(
    engine: Engine,
) -> None:
    """The stock the plan reads through the partial indexes (on hand; assigned in the window)
    is what a grouped count over every tag of the ledger gives: tags of both types, assigned
    inside and outside the window and on its edge, retired after assignment or unassigned."""
    since = START - timedelta(days=30)
    rows = []
    for n, (licence, kind, status, assigned_at) in enumerate(
        [
            (OR_LICENCE, "plant", "available", None),
            (OR_LICENCE, "plant", "available", None),
            (OR_LICENCE, "plant", "assigned", since),  # on the window's edge: counted
            (OR_LICENCE, "plant", "assigned", since - timedelta(seconds=1)),
            (OR_LICENCE, "plant", "retired", START - timedelta(days=2)),  # assigned, then retired
            (OR_LICENCE, "plant", "retired", None),  # retired unassigned
            (OR_LICENCE, "package", "assigned", START - timedelta(days=40)),
            (OR_LICENCE, "package", "available", None),
            (CA_LICENCE, "package", "assigned", START - timedelta(hours=1)),
            (CA_LICENCE, "plant", "retired", since - timedelta(days=9)),
        ]
    ):
        rows.append(
            {
                "licence": licence,
                "uid": uid(n + 1),
                "tag_type": kind,
                "status": status,
                "received_at": START - timedelta(days=60),
                "assigned_at": assigned_at,
            }
        )
    with engine.begin() as conn:
        conn.execute(TAGS.insert(), rows)
    whole = sa.select(
        TAGS.c.licence,
        TAGS.c.tag_type,
        sa.func.count().filter(TAGS.c.status == "available"),
        sa.func.count().filter(TAGS.c.assigned_at >= since),
    ).group_by(TAGS.c.licence, TAGS.c.tag_type)
    with engine.connect() as conn:
        expected = {(lic, kind): (a, u) for lic, kind, a, u in conn.execute(whole)}
        stock = due._stock(conn, since)
    assert expected == {
        (OR_LICENCE, "plant"): (2, 2),
        (OR_LICENCE, "package"): (1, 0),
        (CA_LICENCE, "package"): (0, 1),
        (CA_LICENCE, "plant"): (0, 0),
    }
    # A licence and type with neither is left out of the plan's read; the sweep takes (0, 0).
    assert stock == {key: n for key, n in expected.items() if n != (0, 0)}
