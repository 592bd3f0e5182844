"""Deadlines through the real ingest pipeline, on SQLite and PostgreSQL: notifications opened
and resolved by ingested events, the refusal to dismiss an unresolved compliance notification,
late notices on acks (repeated on a duplicate's ack), TAG-SUPPLY, the sweep in the worker, and
the migration matching the tables."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from typer.testing import CliRunner

from cli.main import app
from schemas.acks import Ack, Outcome
from schemas.clock import ManualClock
from server.compliance.deadlines import (
    Category,
    DeadlineEngine,
    DeadlineSettings,
    DismissRefused,
    NotificationNotFound,
    State,
    dismiss,
    get_notification,
    list_notifications,
)
from server.config import ServerSettings
from server.db.notifications import NOTIFICATION_TABLES
from server.ingest.parse import Incoming, Parsed, parse
from server.ingest.pipeline import Pipeline
from server.ingest.worker import IngestWorker
from tests.server.desk import (
    CA_LICENCE,
    OR_LICENCE,
    Desk,
    access_lost,
    access_restored,
    destroyed,
    la,
    licence_updated,
    retired,
)
from tests.server.domain import reconciled
from tests.server.floor import Station, batch_created, flowering, tagged, tags_received, uid


def ingest(
    pipeline: Pipeline, station: Station, payload: dict[str, Any], occurred_at: datetime
) -> Ack:
    """One event, happened at ``occurred_at``, reaching the service at the pipeline's clock."""
    event = station.event(payload, occurred_at=occurred_at)
    return send(pipeline, station, event)


def send(pipeline: Pipeline, station: Station, event: Any) -> Ack:
    received_at = pipeline.clock.now()
    parsed = parse(Incoming(station.topic, event.model_dump_json().encode(), received_at), 65536)
    assert isinstance(parsed, Parsed), parsed
    (reply,) = pipeline.process([parsed]).replies
    return reply.ack


def grow(
    pipeline: Pipeline, station: Station, at: datetime, plants: int = 2, flower: bool = True
) -> list[str]:
    uids = [uid(i) for i in range(1, plants + 1)]
    steps = [tags_received(1, 50), batch_created("B-1", 10), tagged("B-1", uids)]
    for payload in steps + ([flowering(uids)] if flower else []):
        assert ingest(pipeline, station, payload, at).outcome is Outcome.ACCEPTED
    return uids


def test_unresolved_compliance_notification_cannot_be_dismissed_until_resolved(
    engine: Engine,
) -> None:
    clock = ManualClock(la(2026, 11, 25, 10, 0))
    pipeline, station = Pipeline(engine, clock=clock), Station("veg-1", CA_LICENCE)
    uids = grow(pipeline, station, clock.now())
    ack = ingest(pipeline, station, destroyed(uids[0]), clock.now())
    assert (ack.outcome, ack.notices) == (Outcome.ACCEPTED, [])
    (n,) = list_notifications(engine, CA_LICENCE, rule_id="UID-RETIRE-3BD")
    assert (n.state, n.due_at) == (State.OPEN, datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    with pytest.raises(DismissRefused) as refused:
        dismiss(engine, n.id, by="maria.lopez", now=clock.now())
    message = str(refused.value)
    assert "UID-RETIRE-3BD" in message
    assert "CA 8403(e)" in message
    assert f"tag.retired for UID {uids[0]}" in message
    assert "CA 8404(d)" in message  # the rule on dismissing, for a CA licensee
    assert get_notification(engine, n.id).state is State.OPEN

    clock.set(la(2026, 12, 1, 9, 0))
    ack = ingest(pipeline, station, retired(uids[0]), clock.now())
    assert (ack.outcome, ack.notices) == (Outcome.ACCEPTED, [])
    resolved = get_notification(engine, n.id)
    assert (resolved.state, resolved.resolved_at) == (State.RESOLVED, clock.now())
    assert resolved.resolved_by_event == ack.event_id
    done = dismiss(engine, n.id, by="maria.lopez", now=clock.now())
    assert (done.state, done.dismissed_by) == (State.DISMISSED, "maria.lopez")


def test_overdue_by_the_sweep_then_resolved_late_by_ingest(engine: Engine) -> None:
    clock = ManualClock(la(2026, 11, 25, 10, 0))
    pipeline, station = Pipeline(engine, clock=clock), Station("veg-1", CA_LICENCE)
    uids = grow(pipeline, station, clock.now())
    ingest(pipeline, station, destroyed(uids[0]), clock.now())
    IngestWorker(ServerSettings(), pipeline)._sweep_deadlines()
    (n,) = list_notifications(engine, CA_LICENCE, rule_id="UID-RETIRE-3BD")
    assert n.state is State.OPEN
    clock.set(la(2026, 12, 3, 0, 0))  # midnight ending Wednesday 2 December
    worker = IngestWorker(ServerSettings(), pipeline)
    worker._sweep_deadlines()
    assert get_notification(engine, n.id).state is State.OVERDUE
    ack = ingest(pipeline, station, retired(uids[0]), clock.now())
    assert [(v.rule_id, v.citation) for v in ack.notices] == [("UID-RETIRE-3BD", "CA 8403(e)")]
    resolved = get_notification(engine, n.id)
    assert resolved.late
    assert "Resolved late, on the day of the deadline, after it" not in resolved.message
    assert resolved.message.endswith("Thu 2026-12-03 00:00 PST.")
    assert "Resolved late, 1 business day after the deadline" in resolved.message


def test_late_disposition_is_accepted_with_a_notice_and_a_duplicate_repeats_it(
    engine: Engine,
) -> None:
    clock = ManualClock(la(2026, 11, 20, 8, 0))
    pipeline, station = Pipeline(engine, clock=clock), Station("veg-1", CA_LICENCE)
    uids = grow(pipeline, station, clock.now(), plants=1, flower=False)
    # Flowering since Friday 20 November, recorded Tuesday 1 December: due by the end of
    # Wednesday 25 (CA).
    clock.set(la(2026, 12, 1, 8, 0))
    late = station.event(flowering(uids), occurred_at=la(2026, 11, 20, 9, 0))
    ack = send(pipeline, station, late)
    assert ack.outcome is Outcome.ACCEPTED
    assert [(v.rule_id, v.citation) for v in ack.notices] == [("DISPOSITION-3BD", "CA 8405(c)")]
    # Due at midnight ending Wednesday 25: said as that day's end, not "Thu 00:00".
    assert "It was due by end of Wed 2026-11-25 (PST)" in ack.notices[0].message
    assert "00:00" not in ack.notices[0].message.split("reached")[0]
    again = send(pipeline, station, late)
    assert (again.outcome, again.original_outcome) == (Outcome.DUPLICATE, Outcome.ACCEPTED)
    assert again.notices == ack.notices
    (n,) = list_notifications(engine, CA_LICENCE, rule_id="DISPOSITION-3BD")
    assert n.late
    # The history says so for ever, not only the ack: overdue from its due time (no sweep ran)
    # and resolved 2 business days after it: Mon 30 and Tue 1 December (Thursday 26 is
    # Thanksgiving and Friday 27 the day after, both California state holidays).
    assert n.overdue_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert n.message.endswith(
        "Resolved late, 2 business days after the deadline (end of Wed 2026-11-25 (PST)), "
        "Tue 2026-12-01 08:00 PST."
    )


def test_oregon_has_no_disposition_deadline(engine: Engine) -> None:
    clock = ManualClock(la(2026, 12, 1, 8, 0))
    pipeline, station = Pipeline(engine, clock=clock), Station("veg-1", OR_LICENCE)
    grow(pipeline, station, la(2026, 11, 2, 8, 0))
    assert list_notifications(engine, OR_LICENCE) == []


def test_tag_supply_warns_and_may_be_acknowledged(engine: Engine) -> None:
    clock = ManualClock(la(2026, 12, 1, 8, 0))
    deadlines = DeadlineEngine(DeadlineSettings(supply_days=14, rate_window_days=14))
    pipeline = Pipeline(engine, clock=clock, deadlines=deadlines)
    station = Station("veg-1", OR_LICENCE)
    start = la(2026, 11, 20, 8, 0)
    ingest(pipeline, station, tags_received(1, 20), start)
    ingest(pipeline, station, batch_created("B-1", 20), start)
    ingest(pipeline, station, tagged("B-1", [uid(i) for i in range(1, 11)]), start)
    worker = IngestWorker(ServerSettings(), pipeline)
    worker._sweep_deadlines()
    # 10 used in 14 days, 10 left: they last 14 days, enough.
    assert list_notifications(engine, OR_LICENCE, rule_id="TAG-SUPPLY") == []
    ingest(pipeline, station, tagged("B-1", [uid(11), uid(12)]), start + timedelta(days=1))
    clock.advance(timedelta(minutes=5))
    IngestWorker(ServerSettings(), pipeline)._sweep_deadlines()
    (n,) = list_notifications(engine, OR_LICENCE, rule_id="TAG-SUPPLY")
    assert (n.category, n.state, n.due_at) == (Category.INFORMATIONAL, State.OPEN, None)
    assert n.citation == "OR UID Tags (1)(b)"  # an Oregon licensee: Oregon's provision only
    assert n.message.startswith("8 unassigned plant tags left")
    acknowledged = dismiss(engine, n.id, by="maria.lopez", now=clock.now())
    assert acknowledged.state is State.DISMISSED
    IngestWorker(ServerSettings(), pipeline)._sweep_deadlines()  # not again until a receipt
    assert len(list_notifications(engine, OR_LICENCE, rule_id="TAG-SUPPLY")) == 1


def test_tag_supply_resolved_by_a_receipt(engine: Engine) -> None:
    clock = ManualClock(la(2026, 12, 1, 8, 0))
    pipeline, station = Pipeline(engine, clock=clock), Station("veg-1", CA_LICENCE)
    start = la(2026, 11, 20, 8, 0)
    ingest(pipeline, station, tags_received(1, 20), start)
    ingest(pipeline, station, batch_created("B-1", 20), start)
    ingest(pipeline, station, tagged("B-1", [uid(i) for i in range(1, 19)]), start)
    IngestWorker(ServerSettings(), pipeline)._sweep_deadlines()
    (n,) = list_notifications(engine, CA_LICENCE, rule_id="TAG-SUPPLY")
    assert n.state is State.OPEN
    ingest(pipeline, station, tags_received(100, 199), clock.now())
    assert get_notification(engine, n.id).state is State.RESOLVED


def test_the_worker_sweeps_every_deadline_sweep_s(engine: Engine) -> None:
    clock = ManualClock(la(2026, 11, 25, 10, 0))
    pipeline, station = Pipeline(engine, clock=clock), Station("veg-1", CA_LICENCE)
    uids = grow(pipeline, station, clock.now())
    ingest(pipeline, station, destroyed(uids[0]), clock.now())
    worker = IngestWorker(ServerSettings(deadline_sweep_s=3600), pipeline)
    worker._sweep_deadlines()  # the first sweep runs at start
    clock.set(la(2026, 12, 4, 9, 0))
    worker._sweep_deadlines()  # within the hour: not yet
    (n,) = list_notifications(engine, CA_LICENCE, rule_id="UID-RETIRE-3BD")
    assert n.state is State.OPEN
    worker._last_sweep = None
    worker._sweep_deadlines()
    assert get_notification(engine, n.id).state is State.OVERDUE


def test_sweep_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDTRACE_DEADLINE_SWEEP_S", "15")
    monkeypatch.setenv("SEEDTRACE_TAG_SUPPLY_DAYS", "21")
    settings = ServerSettings()
    assert (settings.deadline_sweep_s, settings.tag_supply_days) == (15, 21)
    monkeypatch.setenv("SEEDTRACE_DEADLINE_SWEEP_S", "0")
    with pytest.raises(ValueError, match="deadline_sweep_s"):
        ServerSettings()


def test_unknown_notification(engine: Engine) -> None:
    with pytest.raises(NotificationNotFound, match="no notification 999"):
        dismiss(engine, 999, by="maria.lopez", now=datetime.now(UTC))


def test_the_migration_creates_the_tables_as_declared(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    ours = [d for d in diffs if any(table in repr(d) for table in NOTIFICATION_TABLES)]
    assert ours == []


def test_notifications_on_the_command_line(engine: Engine) -> None:
    desk = Desk(engine)
    desk.send(destroyed(uid(1)), la(2026, 11, 25, 10, 0))
    (n,) = desk.notifications("UID-RETIRE-3BD")
    url = ["--database-url", engine.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    listed = runner.invoke(app, ["notifications", "list", CA_LICENCE, "--state", "open", *url])
    assert listed.exit_code == 0, listed.output
    assert f"{n.id}\topen\tcompliance\tUID-RETIRE-3BD\tend of Wed 2026-12-02 (PST)\ttag " in (
        listed.output
    )
    nobody = runner.invoke(
        app, ["notifications", "dismiss", str(n.id), "--by", "not.a.roster.user", *url]
    )
    assert nobody.exit_code == 1
    assert "not.a.roster.user is not an active user of licence CA-2002" in nobody.output
    refused = runner.invoke(app, ["notifications", "dismiss", str(n.id), "--by", "a.chen", *url])
    assert refused.exit_code == 1
    assert "UID-RETIRE-3BD" in refused.output
    assert "cannot be dismissed until it is resolved" in refused.output
    desk.send(retired(uid(1)), la(2026, 11, 30, 9, 0))
    done = runner.invoke(app, ["notifications", "dismiss", str(n.id), "--by", "a.chen", *url])
    assert done.exit_code == 0, done.output
    assert get_notification(engine, n.id).dismissed_by == "a.chen"
    bad = runner.invoke(app, ["notifications", "list", CA_LICENCE, "--state", "late", *url])
    assert bad.exit_code == 2
    assert "open, overdue, resolved, dismissed" in bad.output


def test_a_batch_sees_its_own_outage_and_close_of_business(engine: Engine) -> None:
    """The engine reads a licensee's calendar and outages once per batch; events of the same
    batch that change them are seen by the next ones."""
    clock = ManualClock(la(2026, 12, 7, 12, 0))
    pipeline, station = Pipeline(engine, clock=clock), Station("veg-1", CA_LICENCE)
    lost = station.event(access_lost(la(2026, 12, 7, 8, 0), "veg-1"), occurred_at=clock.now())
    batch = [
        station.event(licence_updated(close_of_business=time(19, 0)), occurred_at=clock.now()),
        lost,
        station.event(access_restored(lost.event_id, clock.now(), 1), occurred_at=clock.now()),
        station.event(tags_received(1, 10), occurred_at=la(2026, 12, 7, 9, 0)),
        station.event(reconciled(date(2026, 12, 4)), occurred_at=clock.now()),
    ]
    received_at = clock.now()
    parsed = [
        parse(Incoming(station.topic, e.model_dump_json().encode(), received_at), 65536)
        for e in batch
    ]
    acks = [r.ack for r in pipeline.process([p for p in parsed if isinstance(p, Parsed)]).replies]
    assert [a.outcome for a in acks] == [Outcome.ACCEPTED] * 5, acks
    (outage,) = list_notifications(engine, CA_LICENCE, rule_id="OUTAGE-BACKFILL")
    assert outage.state is State.RESOLVED
    assert outage.resolved_by_event == batch[3].event_id
    (day,) = list_notifications(engine, CA_LICENCE, rule_id="DAILY-RECONCILE")
    assert day.due_at == datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # Friday 19:00 PST
    assert [v.rule_id for v in acks[4].notices] == ["DAILY-RECONCILE"]  # recorded Monday
