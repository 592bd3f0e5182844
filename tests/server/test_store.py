"""The event log is the legal record: the database refuses to change it. Projections can be
rebuilt from it."""

import pytest
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from schemas.clock import SYSTEM_CLOCK
from server.db.engine import current_revision
from server.ingest.pipeline import Pipeline
from server.store import rebuild
from server.store.rebuild import snapshot, verify
from server.store.replay import ReplayError
from tests.server.conftest import (
    LICENCE,
    OTHER_LICENCE,
    STAFF_EVENTS,
    add_unstaffed_licensee,
)
from tests.server.floor import Station, batch_created, harvested
from tests.server.test_pipeline import grow, run


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE event_log SET outcome = 'accepted'",
        "UPDATE event_log SET body = '{}' WHERE sequence = 1",
        "DELETE FROM event_log",
        "DELETE FROM event_log WHERE sequence = 2",
    ],
)
def test_the_database_refuses_to_change_the_event_log(engine: Engine, statement: str) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    run(
        pipeline,
        station,
        station.event(batch_created("B-1", 5)),
        station.event(batch_created("B-1", 5)),
    )
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT * FROM event_log ORDER BY position")).all()
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT * FROM event_log ORDER BY position")).all() == before


REWRITES = {
    # SQLite resolves REPLACE by deleting the old row without its DELETE trigger: refused too.
    "sqlite": [
        "INSERT OR REPLACE INTO event_log SELECT * FROM event_log WHERE sequence = 1",
        "REPLACE INTO event_log SELECT * FROM event_log WHERE sequence = 1",
        "INSERT OR REPLACE INTO event_log (position, event_id, licence, station_id, operator_id,"
        " sequence, kind, occurred_at, received_at, body, body_sha256, outcome, violations)"
        " SELECT position + 1000, event_id, licence, station_id, operator_id, sequence, kind,"
        " occurred_at, received_at, '{}', body_sha256, outcome, violations FROM event_log"
        " WHERE sequence = 1",
        "UPDATE OR REPLACE event_log SET body = '{}' WHERE sequence = 1",
    ],
    "postgresql": [
        "INSERT INTO event_log SELECT * FROM event_log WHERE sequence = 1"
        " ON CONFLICT (position) DO UPDATE SET body = '{}'",
        "INSERT INTO event_log SELECT * FROM event_log WHERE sequence = 1"
        " ON CONFLICT (event_id) DO UPDATE SET outcome = 'accepted'",
    ],
}


def test_no_insert_or_replace_rewrites_a_stored_event(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    run(pipeline, station, station.event(batch_created("B-1", 5)))
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT * FROM event_log ORDER BY position")).all()
    for statement in REWRITES[engine.dialect.name]:
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
        with engine.connect() as conn:
            after = conn.execute(sa.text("SELECT * FROM event_log ORDER BY position")).all()
        assert after == before, statement


def test_truncate_is_refused_on_postgresql(engine: Engine) -> None:
    """SQLite has no TRUNCATE (its DELETE trigger covers the same ground); PostgreSQL does."""
    if engine.dialect.name != "postgresql":
        with pytest.raises(exc.OperationalError), engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE event_log"))
        return
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    run(pipeline, station, station.event(batch_created("B-1", 5)))
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE event_log"))


def test_rebuild_from_the_log_reproduces_the_projections(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    uids = grow(pipeline, station, n_plants=4)
    run(
        pipeline,
        station,
        station.event(harvested(uids[0], "410.5")),
        station.event(harvested(uids[1], "388")),
        station.event(harvested(uids[1], "388")),  # rejected: already harvested
    )
    with engine.connect() as conn:
        before = snapshot(conn)
    assert before["plants"]
    assert before["harvest_batches"]
    count, diff = verify(engine, keep=True)
    assert (count, diff) == (6 + STAFF_EVENTS, [])
    with engine.connect() as conn:
        assert snapshot(conn) == before


def test_rebuild_reports_a_projection_that_drifted(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    grow(pipeline, station, n_plants=2)
    with engine.begin() as conn:  # someone edits current state behind the log's back
        conn.execute(sa.text("UPDATE plants SET phase = 'vegetative'"))
    _, diff = verify(engine, keep=False)
    assert len(diff) == 4  # two plants, each seen before and after
    assert all(line.startswith("plants: only") for line in diff)
    _, diff_after_repair = verify(engine, keep=True)
    assert verify(engine, keep=False) == (4 + STAFF_EVENTS, [])
    assert diff_after_repair == diff


def test_rebuild_finds_rows_of_a_licensee_with_no_events(engine: Engine) -> None:
    """The rebuild goes licensee by licensee: a licensee that has projection rows but no
    event behind them (here a plant moved to it behind the log's back) is rebuilt too."""
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    (uid, *_) = grow(pipeline, station, n_plants=2)
    add_unstaffed_licensee(engine, "OR-9999", "Farm without events", "OR")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE plants SET licence = 'OR-9999' WHERE uid = :u"), {"u": uid})
    count, diff = verify(engine, keep=False)
    assert count == 4 + STAFF_EVENTS
    assert len(diff) == 2
    assert diff[0].startswith("plants: only after rebuild: ")
    assert station.licence in diff[0]
    assert diff[1].startswith("plants: only before rebuild: ")
    assert "'OR-9999'" in diff[1]
    assert verify(engine, keep=True)[1] == diff
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM plants WHERE licence = 'OR-9999'")).scalar()
            == 0
        )
    assert verify(engine, keep=False) == (4 + STAFF_EVENTS, [])


def test_a_log_the_state_cannot_take_fails_the_rebuild_naming_the_event(
    engine: Engine, database_url: str
) -> None:
    """A row appended behind the ingest's back, accepted though its plant was never tagged:
    the batched replay cannot apply it, and says which event of which licensee it is, and
    the rebuild changes nothing."""
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    grow(pipeline, station, n_plants=2)
    stray = station.event(harvested("1A4FF0000000000000000999", "10"))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO event_log (event_id, licence, station_id, sequence, kind,"
                " operator_id, occurred_at, received_at, outcome, violations, body, body_sha256)"
                " VALUES (:id, :licence, :station, :sequence, :kind, :operator, :at, :at,"
                " 'accepted', '[]', :body, '')"
            ),
            {
                "id": stray.event_id,
                "licence": stray.licence,
                "station": stray.station_id,
                "sequence": stray.sequence,
                "kind": stray.kind,
                "operator": stray.operator_id,
                "at": stray.occurred_at,
                "body": stray.model_dump_json(),
            },
        )
        before = snapshot(conn)
    for keep in (False, True):
        with pytest.raises(ReplayError, match=f"event {stray.event_id} \\(plant.harvested"):
            verify(engine, keep=keep)
    result = CliRunner().invoke(app, ["db", "rebuild", "--database-url", database_url])
    assert result.exit_code == 2
    assert f"cannot replay the event log: event {stray.event_id}" in result.output
    assert "plant 1A4FF0000000000000000999 is not on record" in result.output
    with engine.connect() as conn:
        assert snapshot(conn) == before


# PostgreSQL's row locks; on SQLite every writer waits for every other (BEGIN IMMEDIATE)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_check_holds_up_only_the_licensee_it_is_checking(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`db rebuild --check` on a running system: while it replays one licensee (OR-1001),
    the licensee it checked before (CA-2002) takes writes at once; the check's one
    transaction held every licensee it had checked until its end."""
    assert sorted([LICENCE, OTHER_LICENCE]) == [OTHER_LICENCE, LICENCE]
    written: list[int] = []
    replay = rebuild.replay

    def replay_and_write(conn: sa.Connection, licence: str, per_event: bool) -> int:
        if licence == LICENCE:
            with engine.begin() as other:
                other.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                done = other.execute(
                    sa.text("UPDATE users SET user_id = user_id WHERE licence = :l"),
                    {"l": OTHER_LICENCE},
                )
                written.append(done.rowcount)
        return replay(conn, licence, per_event=per_event)

    monkeypatch.setattr(rebuild, "replay", replay_and_write)
    assert verify(engine, keep=False) == (STAFF_EVENTS, [])
    assert written == [2]


def test_cli_upgrade_and_rebuild_check(engine: Engine, database_url: str) -> None:
    runner = CliRunner()
    up = runner.invoke(app, ["db", "upgrade", "--database-url", database_url])
    assert up.exit_code == 0, up.output
    assert f"revision {current_revision(engine)}" in up.output
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    grow(pipeline, station, n_plants=2)
    result = runner.invoke(app, ["db", "rebuild", "--check", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert f"checked from {4 + STAFF_EVENTS} accepted events: 0 differences" in result.output
    with engine.begin() as conn:  # someone edits current state behind the log's back
        conn.execute(sa.text("UPDATE plants SET phase = 'vegetative'"))
    for mode in ([], ["--per-event"]):
        result = runner.invoke(
            app, ["db", "rebuild", "--check", *mode, "--database-url", database_url]
        )
        assert result.exit_code == 1, result.output
        assert "plants: only before rebuild: " in result.output
        assert f"checked from {4 + STAFF_EVENTS} accepted events: 4 differences" in result.output


def test_a_check_in_jobs_finds_what_one_process_finds(engine: Engine, database_url: str) -> None:
    """`db rebuild --check --jobs 2`: two processes, each with its own connection, check the
    licensees side by side and report the same events and differences, in the same order,
    as one process; a rebuild that keeps its result is one transaction, so no jobs."""
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
    for licence in (LICENCE, OTHER_LICENCE):
        grow(pipeline, Station("s1", licence), n_plants=2)
    with engine.begin() as conn:  # both licensees' rows edited behind the log's back
        conn.execute(sa.text("UPDATE plants SET phase = 'vegetative'"))
    alone = verify(engine, keep=False)
    assert len(alone[1]) == 8  # two plants of each licensee, each seen before and after
    assert verify(engine, keep=False, jobs=2) == alone
    result = CliRunner().invoke(
        app, ["db", "rebuild", "--check", "--jobs", "2", "--database-url", database_url]
    )
    assert result.exit_code == 1, result.output
    assert f"checked from {alone[0]} accepted events: 8 differences" in result.output
    refused = CliRunner().invoke(
        app, ["db", "rebuild", "--jobs", "2", "--database-url", database_url]
    )
    assert refused.exit_code == 2
    assert "--jobs needs --check" in refused.output
    with pytest.raises(ValueError, match="one transaction"):
        verify(engine, keep=True, jobs=2)
