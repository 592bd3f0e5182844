"""The migrations build exactly the tables the code declares, on SQLite and PostgreSQL, and
the newest one can be undone and done again."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from server.db.engine import alembic_config, current_revision, head_revision, migrate
from server.db.metadata import METADATA
from server.db.tables import PROJECTION_TABLES
from server.store.rebuild import snapshot
from tests.server.conftest import OTHER_LICENCE
from tests.server.console.test_inventory_bounded import california, oregon
from tests.server.console.test_phase_days import Floor, at, history_of, received
from tests.server.floor import batch_created

BEFORE_PHASE_DAYS = "0018"  # the revision before plant_phase_days


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, METADATA))


def test_migrated_schema_matches_the_table_declarations(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert _differences(engine) == []


def test_every_projection_table_exists_and_has_a_licence_column(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    for name in PROJECTION_TABLES:
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert "licence" in columns, name


def test_the_domain_migration_goes_down_and_up_again(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    assert current_revision(engine) == "0001"
    assert not sa.inspect(engine).has_table("packages")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _differences(engine) == []


def test_the_phase_days_migration_fills_the_days_of_the_log_as_a_rebuild_does(
    engine: Engine,
) -> None:
    """A log recorded before ``plant_phase_days`` existed (a correction, an event dated before
    the latest day, two licensees): the migration's fill writes the rows the ingest wrote."""
    history_of(engine).ok(at(3, 10), batch_created("B-9", 4))  # dated before the latest day
    other = Floor(engine, OTHER_LICENCE)
    other.ok(at(1, 9), received(101, 110))
    other.ok(at(2, 10), batch_created("C-1", 9))
    with engine.connect() as conn:
        written = snapshot(conn)["plant_phase_days"]
    assert len(written) > 7
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE_PHASE_DAYS)
    assert not sa.inspect(engine).has_table("plant_phase_days")
    migrate(engine)
    with engine.connect() as conn:
        assert snapshot(conn)["plant_phase_days"] == written


def test_the_open_batches_migration_fills_has_left_as_the_ingest_wrote_it(engine: Engine) -> None:
    """Harvest batches finished and open, in Oregon and California (packaged to the gram,
    dried only, net weighed): migration 0026's fill gives each the flag the projections gave."""
    oregon(engine)
    california(engine)
    with engine.connect() as conn:
        written = snapshot(conn)["harvest_batches"]
        flags = conn.execute(sa.text("SELECT DISTINCT has_left FROM harvest_batches")).scalars()
        assert {bool(f) for f in flags} == {True, False}
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0025")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("harvest_batches")}
    assert "has_left" not in columns
    migrate(engine)
    with engine.connect() as conn:
        assert snapshot(conn)["harvest_batches"] == written


def licence_statistics(engine: Engine) -> dict[str, int]:
    """Each table's ``licence`` column statistics target (PostgreSQL; -1 or NULL: the
    server's default)."""
    query = sa.text(
        "SELECT c.relname, a.attstattarget FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.attname = 'licence' AND c.relkind = 'r' AND n.nspname = current_schema()"
    )
    with engine.connect() as conn:
        return {name: -1 if target is None else int(target) for name, target in conn.execute(query)}


def test_every_licence_column_keeps_a_short_list_of_common_values(engine: Engine) -> None:
    """Migration 0027: a regulator's 500 licences are planned against each licence column's
    most common values one by one; every table with one (but ``licensees``, all distinct)
    keeps 10, and going down gives them back the server's default."""
    tables = {
        name
        for name in sa.inspect(engine).get_table_names()
        if name != "licensees"
        and any(c["name"] == "licence" for c in sa.inspect(engine).get_columns(name))
    }
    assert {"notifications", "event_log", "plants", "station_health"} <= tables
    if engine.dialect.name != "postgresql":
        return  # SQLite keeps no such list: the migration changes nothing there
    found = licence_statistics(engine)
    assert {name: found[name] for name in tables} == dict.fromkeys(tables, 10)
    assert found["licensees"] == -1
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0026")
    try:
        assert {licence_statistics(engine)[name] for name in tables} == {-1}
    finally:
        migrate(engine)
    assert licence_statistics(engine)["notifications"] == 10
