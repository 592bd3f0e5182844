"""The event log's hash chain (NO-FALSIFICATION, RETAIN-7Y): ``seedtrace db verify`` passes on
a log seedtrace wrote, and names the row when someone with the database's own powers (triggers
bypassed: SQLite's dropped, PostgreSQL's superuser ``session_replication_role = replica``)
changed, removed or inserted one; a chain rewritten end to end is caught by a published
checkpoint."""

import contextlib
import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import exc
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from schemas.acks import Outcome
from schemas.clock import SYSTEM_CLOCK, ManualClock
from server.db.engine import alembic_config, migrate
from server.ingest.parse import Parsed, parse
from server.ingest.pipeline import Pipeline
from server.store import chain
from server.store.integrity import ROW_COLUMNS, L, take_checkpoints, verify
from tests.concurrent import run_at_once
from tests.server.conftest import LICENCE, OTHER_LICENCE, STAFF_EVENTS
from tests.server.floor import (
    MANAGER,
    Station,
    batch_created,
    harvested,
    to_flowering,
    uid,
)
from tests.server.test_pipeline import MAX, grow, run

LOG_ROWS = sa.text(
    "SELECT position, licence, chain_index, prev_hash, row_hash FROM event_log "
    "ORDER BY licence, chain_index"
)


@contextlib.contextmanager
def behind_the_triggers(engine: Engine) -> Iterator[sa.Connection]:
    """A connection on which the append-only triggers do not fire, as a database superuser
    could have: PostgreSQL's replica role, SQLite's triggers dropped (and put back)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            yield conn
            return
        triggers = conn.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _ in triggers:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        yield conn
        for _, sql in triggers:
            conn.exec_driver_sql(sql)


def floor(engine: Engine) -> list[tuple[Any, ...]]:
    """A few accepted and rejected events at LICENCE; the log rows, in chain order."""
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    uids = grow(pipeline, station, n_plants=3)
    run(
        pipeline,
        station,
        station.event(harvested(uids[0], "410.5")),
        station.event(batch_created("B-17", 5)),  # rejected: the batch id is taken
    )
    with engine.connect() as conn:
        return list(conn.execute(LOG_ROWS).all())


def position_of(engine: Engine, index: int, licence: str = LICENCE) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT position FROM event_log WHERE licence = :l AND chain_index = :i"),
                {"l": licence, "i": index},
            ).scalar_one()
        )


def db_verify(database_url: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["db", "verify", *args, "--database-url", database_url])


def test_an_untouched_log_verifies(engine: Engine, database_url: str) -> None:
    rows = floor(engine)
    mine = [r for r in rows if r.licence == LICENCE]
    assert [r.chain_index for r in mine] == list(range(1, len(mine) + 1))
    assert mine[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(mine))
    assert verify(engine) == (len(rows), [])
    result = db_verify(database_url)
    assert result.exit_code == 0, result.output
    assert f"walked {len(rows)} log rows: 0 problems" in result.output
    assert db_verify(database_url, LICENCE).exit_code == 0


def test_each_licensee_has_its_own_chain_across_batches(engine: Engine) -> None:
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
    here, there = Station("s-1", LICENCE), Station("s-2", OTHER_LICENCE)
    run(pipeline, here, here.event(batch_created("B-1", 5)))
    # One batch, both licensees interleaved: each continues its own chain.
    mixed = [
        (here, here.event(batch_created("B-2", 5))),
        (there, there.event(batch_created("C-1", 5))),
        (here, here.event(batch_created("B-3", 5))),
        (there, there.event(batch_created("C-1", 5))),  # rejected, still chained
    ]
    parsed = [parse(station.incoming(ev), MAX) for station, ev in mixed]
    replies = pipeline.process([p for p in parsed if isinstance(p, Parsed)]).replies
    assert [r.ack.outcome for r in replies] == [Outcome.ACCEPTED] * 3 + [Outcome.REJECTED]
    with engine.connect() as conn:
        rows = conn.execute(LOG_ROWS).all()
    for licence in (LICENCE, OTHER_LICENCE):
        own = [r.chain_index for r in rows if r.licence == licence]
        assert own == list(range(1, len(own) + 1))
    assert verify(engine) == (len(rows), [])


def test_concurrent_writers_keep_one_chain_per_licensee(engine: Engine) -> None:
    """Stations of one licensee writing at once: the head is read under the licensee's lock,
    so no two rows take the same place in the chain and none is skipped."""
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)

    def station_day(n: int) -> None:
        station = Station(f"s-{n}")
        for i in range(5):
            run(pipeline, station, station.event(batch_created(f"B-{n}-{i}", 3)))

    run_at_once(station_day, 4)
    walked, findings = verify(engine, LICENCE)
    assert findings == []
    assert walked == 20 + STAFF_EVENTS // 2


def test_a_row_edited_behind_the_triggers_is_named(engine: Engine, database_url: str) -> None:
    floor(engine)
    target = position_of(engine, 4)
    with behind_the_triggers(engine) as conn:
        conn.execute(
            sa.text("UPDATE event_log SET operator_id = 'someone.else' WHERE position = :p"),
            {"p": target},
        )
    _, findings = verify(engine)
    assert [(f.kind, f.chain_index, f.position) for f in findings] == [("changed", 4, target)]
    result = db_verify(database_url, LICENCE)
    assert result.exit_code == 1
    assert f"chain row 4 (position {target}" in result.output
    assert "was changed" in result.output
    assert db_verify(database_url, OTHER_LICENCE).exit_code == 0  # the other chain is intact


def test_a_row_deleted_behind_the_triggers_is_named(engine: Engine, database_url: str) -> None:
    floor(engine)
    with behind_the_triggers(engine) as conn:
        conn.execute(
            sa.text("DELETE FROM event_log WHERE licence = :l AND chain_index = 5"),
            {"l": LICENCE},
        )
    _, findings = verify(engine)
    assert [(f.kind, f.chain_index) for f in findings] == [("removed", 5)]
    result = db_verify(database_url)
    assert result.exit_code == 1
    assert "chain row 5 missing before row 6" in result.output


def test_the_newest_row_deleted_is_caught_by_the_checkpoint(
    engine: Engine, clock: ManualClock
) -> None:
    rows = floor(engine)
    take_checkpoints(engine, clock.now())
    last = max(r.chain_index for r in rows if r.licence == LICENCE)
    with behind_the_triggers(engine) as conn:
        conn.execute(
            sa.text("DELETE FROM event_log WHERE licence = :l AND chain_index = :i"),
            {"l": LICENCE, "i": last},
        )
    _, findings = verify(engine)
    assert [(f.kind, f.chain_index) for f in findings] == [("checkpoint", last)]
    assert "is missing" in findings[0].message


COPY = (
    "INSERT INTO event_log (event_id, licence, station_id, sequence, kind, operator_id,"
    " device_id, occurred_at, received_at, outcome, violations, body, body_sha256,"
    " chain_index, prev_hash, row_hash)"
    " SELECT 'f0f0f0f0-0000-4000-8000-000000000001', licence, station_id, 999, kind,"
    " operator_id, device_id, occurred_at, received_at, outcome, violations, body, body_sha256,"
    " {chain} FROM event_log WHERE licence = :l AND chain_index = 2"
)


@pytest.mark.parametrize(
    ("chain_columns", "kind"),
    [
        ("NULL, NULL, NULL", "inserted"),  # no place in the chain at all
        # a place after the head, with a hash the forger could not make match
        (
            "(SELECT max(chain_index) + 1 FROM event_log WHERE licence = :l),"
            " (SELECT row_hash FROM event_log WHERE licence = :l ORDER BY chain_index DESC"
            " LIMIT 1), row_hash",
            "changed",
        ),
    ],
)
def test_a_row_inserted_out_of_band_is_named(
    engine: Engine, database_url: str, chain_columns: str, kind: str
) -> None:
    floor(engine)
    with engine.begin() as conn:  # an INSERT needs no trigger bypassed
        conn.execute(sa.text(COPY.format(chain=chain_columns)), {"l": LICENCE})
    _, findings = verify(engine)
    assert [(f.kind, f.event_id) for f in findings] == [
        (kind, "f0f0f0f0-0000-4000-8000-000000000001")
    ]
    result = db_verify(database_url)
    assert result.exit_code == 1
    assert "f0f0f0f0-0000-4000-8000-000000000001" in result.output


def _rewrite_from(conn: sa.Connection, licence: str, index: int) -> None:
    """Change row ``index``'s operator and recompute every hash from there: a chain that is
    consistent in itself, as a careful forger would leave it."""
    conn.execute(
        sa.text(
            "UPDATE event_log SET operator_id = 'someone.else' WHERE licence = :l "
            "AND chain_index = :i"
        ),
        {"l": licence, "i": index},
    )
    rows = conn.execute(
        sa.select(*ROW_COLUMNS).where(L.c.licence == licence).order_by(L.c.chain_index)
    ).mappings()
    head = chain.EMPTY
    for row in rows:
        digest = chain.row_hash(row, head.hash)
        conn.execute(
            L.update()
            .where(L.c.position == row["position"])
            .values(prev_hash=head.hash, row_hash=digest)
        )
        head = chain.Head(row["chain_index"], digest)


def test_a_rewritten_chain_is_caught_by_a_published_checkpoint(
    engine: Engine, database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    floor(engine)
    taken = take_checkpoints(engine, clock.now())
    published = tmp_path / "kept-by-the-regulator.json"
    published.write_text(
        json.dumps(
            [
                {
                    "licence": c.licence,
                    "taken_at": c.taken_at.isoformat(),
                    "chain_index": c.chain_index,
                    "row_hash": c.row_hash,
                    "position": c.position,
                }
                for c in taken
            ]
        )
    )
    head = next(c for c in taken if c.licence == LICENCE)
    with behind_the_triggers(engine) as conn:
        _rewrite_from(conn, LICENCE, 3)
    _, findings = verify(engine)
    assert [(f.kind, f.chain_index) for f in findings] == [("checkpoint", head.chain_index)]
    assert "rewritten after that checkpoint" in findings[0].message

    # The forger removes the stored checkpoints too: the regulator's copy still catches it.
    with behind_the_triggers(engine) as conn:
        conn.execute(sa.text("DELETE FROM chain_checkpoints"))
    result = db_verify(database_url, LICENCE, "--checkpoints", str(published))
    assert result.exit_code == 1, result.output
    assert f"chain row {head.chain_index} hashes {head.row_hash[:16]}" in result.output


def test_checkpoints_are_daily_and_append_only(engine: Engine, clock: ManualClock) -> None:
    floor(engine)
    first = take_checkpoints(engine, clock.now())
    assert {c.licence for c in first} == {LICENCE, OTHER_LICENCE}
    assert take_checkpoints(engine, clock.now() + timedelta(hours=1)) == []  # same UTC day
    clock.advance(timedelta(days=1))
    second = take_checkpoints(engine, clock.now(), LICENCE)
    assert [(c.licence, c.taken_at) for c in second] == [(LICENCE, clock.now())]
    refused = ["UPDATE chain_checkpoints SET row_hash = 'x'", "DELETE FROM chain_checkpoints"]
    if engine.dialect.name == "sqlite":
        refused.append("REPLACE INTO chain_checkpoints SELECT * FROM chain_checkpoints")
    else:
        refused.append("TRUNCATE chain_checkpoints")
    for statement in refused:
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM chain_checkpoints")).scalar_one() == 3


def test_cli_checkpoint_takes_todays_heads(engine: Engine, database_url: str) -> None:
    floor(engine)
    runner = CliRunner()
    result = runner.invoke(app, ["db", "checkpoint", LICENCE, "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert "1 checkpoints taken" in result.output
    again = runner.invoke(app, ["db", "checkpoint", LICENCE, "--database-url", database_url])
    assert "0 checkpoints taken" in again.output


def test_the_migration_chains_rows_stored_before_it_as_the_ingest_does(engine: Engine) -> None:
    before = floor(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("event_log")}
    assert "row_hash" not in columns
    migrate(engine)
    with engine.connect() as conn:
        assert list(conn.execute(LOG_ROWS).all()) == before
    assert verify(engine) == (len(before), [])


def test_a_checkpoint_file_that_is_not_one_is_refused(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": [{"licence": "OR-1001"}]}')
    result = CliRunner().invoke(
        app,
        ["db", "verify", "--checkpoints", str(bad), "--database-url", database_url],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 2
    assert "not a list of checkpoints" in result.output


def test_every_kind_and_a_correction_are_chained(engine: Engine) -> None:
    """Every path that writes the log chains: station and console events of every kind, and
    a correction, which is a new row pointing at the original (NO-FALSIFICATION)."""
    from tests.server.test_corrections import Log
    from tests.server.test_domain import every_kind, run_all

    hb = "HB-CORRECTED"
    log = Log(engine)
    log.station, log.office = Station("s-9"), Station("office-9", operator=MANAGER)
    plants = [uid(101), uid(102)]
    for payload in to_flowering("B-99", 5, plants, tags=(101, 110)):
        log.ok(payload)
    wrong = log.ok(harvested(plants[0], "5000", harvest_batch=hb))
    ack = log.correct(wrong.event_id, harvested(plants[0], "500", harvest_batch=hb))
    assert ack.outcome == Outcome.ACCEPTED, ack
    # then a day of every kind, ending with the licence closed out
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
    run_all(pipeline, every_kind(Station(), Station("office-1", operator=MANAGER)))
    with engine.connect() as conn:
        original, correction = conn.execute(
            sa.text(
                "SELECT chain_index, row_hash FROM event_log WHERE event_id IN (:a, :b) "
                "ORDER BY chain_index"
            ),
            {"a": wrong.event_id, "b": ack.event_id},
        ).all()
    assert correction[0] > original[0]  # the original keeps its place and its hash
    walked, findings = verify(engine)
    assert findings == []
    with engine.connect() as conn:
        assert walked == conn.execute(sa.text("SELECT count(*) FROM event_log")).scalar_one()


def test_the_ingest_sweep_takes_the_days_checkpoints_by_its_clock(
    engine: Engine, clock: ManualClock
) -> None:
    from server.config import ServerSettings
    from server.ingest.worker import IngestWorker
    from server.store.integrity import list_checkpoints

    floor(engine)
    worker = IngestWorker(ServerSettings(deadline_sweep_s=3600), Pipeline(engine, clock=clock))
    worker._sweep_deadlines()  # the first sweep, at start
    clock.advance(timedelta(hours=2))
    worker._sweep_deadlines()  # same day: nothing more
    clock.advance(timedelta(days=1))
    worker._last_sweep = None  # the hour has passed
    worker._sweep_deadlines()
    with engine.connect() as conn:
        taken = list_checkpoints(conn, [LICENCE])
    start = clock.now() - timedelta(days=1, hours=2)
    assert [c.taken_at for c in taken] == [start, clock.now()]
