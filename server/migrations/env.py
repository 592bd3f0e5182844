"""Alembic environment: runs migrations on the connection handed in by
:func:`server.db.engine.migrate` (``config.attributes["connection"]``), or on
``sqlalchemy.url`` when run from the ``alembic`` command line."""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from server.db.metadata import METADATA

config = context.config
target_metadata = METADATA


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as conn:
        _run(conn)
