"""Table shapes the migrations share, and the triggers that make a table append-only.

A table of rows kept per licensee (:func:`per_licensee`) or of one row per logged event
(:func:`per_event`) states only its own columns; the licence, the log position and the primary
key come from here, built as the migrations spelled them out in full before (see
:mod:`server.migrations.columns`).
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import big, big_id, licence, string


def refuse_changes(table: str, refusal: str) -> None:
    """Make ``table`` append-only in the database: UPDATE and DELETE (and, on PostgreSQL,
    TRUNCATE) raise ``refusal``. On PostgreSQL one function, ``<table>_refuse_change``, and the
    triggers ``<table>_no_update_delete`` and ``<table>_no_truncate``; on SQLite the triggers
    ``<table>_no_update`` and ``<table>_no_delete`` (a REPLACE needs a trigger of its own)."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION {table}_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{refusal}' USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
            )


def allow_changes(table: str, sqlite_triggers: tuple[str, ...] = ("update", "delete")) -> None:
    """Drop what :func:`refuse_changes` created (on SQLite, the ``<table>_no_<name>`` triggers
    named in ``sqlite_triggers``); a trigger already gone is no error."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse_change()")
    else:
        for name in sqlite_triggers:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{name}")


def per_licensee(name: str, key: list[sa.Column[Any]], *columns: sa.schema.SchemaItem) -> None:
    """Create table ``name`` of rows kept per licensee: the licence, the ``key`` columns, then
    ``columns``; its primary key is the licence, then the ``key`` columns."""
    primary = sa.PrimaryKeyConstraint("licence", *(c.name for c in key))
    op.create_table(name, licence(), *key, *columns, primary)


def per_event(name: str, *columns: sa.schema.SchemaItem) -> None:
    """Create table ``name`` of one row per logged event: its log position (the primary key),
    the licence, then ``columns``."""
    op.create_table(name, big("position"), licence(), *columns, sa.PrimaryKeyConstraint("position"))


def numbered(name: str, *columns: sa.schema.SchemaItem) -> None:
    """Create table ``name`` of rows the database numbers: ``id`` (the primary key), the
    licence, then ``columns``."""
    op.create_table(name, big_id("id"), licence(), *columns, sa.PrimaryKeyConstraint("id"))


def per_event_id(name: str, key: str, *columns: sa.schema.SchemaItem) -> None:
    """Create table ``name`` of one row per event, keyed by the event's id (UUID text) in
    column ``key``: then the licence, then ``columns``."""
    op.create_table(name, string(key, 36), licence(), *columns, sa.PrimaryKeyConstraint(key))


def index_licence(table: str) -> None:
    """Index ``table`` by its licence alone (``ix_<table>_licence``): a table keyed by something
    else that is read per licensee."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_licence"), ["licence"], unique=False)


def drop_licence_index(table: str) -> None:
    """Drop what :func:`index_licence` created."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{table}_licence"))
