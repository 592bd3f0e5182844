"""Engine construction and migrations.

SQLite (the default, for a single site) is opened in WAL mode with ``synchronous=NORMAL``,
a 64 MiB page cache, foreign keys on (see ``docs/platform-facts.md``) and the ``exact_sum``
aggregate (:mod:`server.db.sums`), and every transaction
starts with ``BEGIN IMMEDIATE``: writers queue for the one write lock at the start, instead of
failing with "database is locked" half way through. PostgreSQL (production) is reached with
``postgresql+psycopg://``.

Schema changes happen only through Alembic migrations (:func:`migrate`), from the first table
on.
"""

import math
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine

from server.db import sums

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, *, peer_timeout_s: float | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets the pragmas and locking described above. On
    PostgreSQL, ``peer_timeout_s`` (an ingest process passes its ``lease_timeout_s``) bounds how
    long either end keeps a connection whose other end vanished (:func:`dead_peer_settings`)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if peer_timeout_s is not None:
        server = dead_peer_settings(peer_timeout_s)
        client = {  # libpq's own names for the same, for the client's end of the socket
            "keepalives": 1,
            "keepalives_idle": server["tcp_keepalives_idle"],
            "keepalives_interval": server["tcp_keepalives_interval"],
            "keepalives_count": server["tcp_keepalives_count"],
            "tcp_user_timeout": server["tcp_user_timeout"],
            "options": " ".join(f"-c {name}={value}" for name, value in server.items()),
        }
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), **client}
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def dead_peer_settings(timeout_s: float) -> dict[str, int]:
    """PostgreSQL session settings (all user-settable) that end a session within about
    ``timeout_s`` of its client vanishing without a word (power lost, link cut: no FIN, no
    RST), whatever the session was doing. Without them the backend notices only when TCP gives
    up: ~15 min of retransmissions when it had sent data the client never acknowledged
    (``tcp_retries2``), 2 h of silence otherwise (keepalive). Meanwhile the session keeps its
    open transaction and its locks: its licensee rows (an ingest batch, a sweep) and its
    leases. A client that is merely slow or busy still acknowledges at the TCP level, so
    these do not end a live session; a network outage longer than ``timeout_s`` does (the
    client then starts over, as after a lost lease session).

    - ``tcp_user_timeout`` (ms): the kernel aborts the connection when sent data has gone
      unacknowledged this long (seen in the namespace test: a lease session stuck "idle in
      transaction" with 30 KB unacknowledged, its idle timeouts not ending it);
    - ``tcp_keepalives_*``: a silent connection is probed after half of ``timeout_s`` and
      every second after; with ``tcp_user_timeout`` set, it is aborted once ``timeout_s``
      has passed without an answer;
    - ``client_connection_check_interval`` (ms): a backend running a long statement notices
      such an aborted connection within a second."""
    half = max(1, int(timeout_s // 2))
    return {
        "tcp_user_timeout": int(timeout_s * 1000),
        "tcp_keepalives_idle": half,
        "tcp_keepalives_interval": 1,
        "tcp_keepalives_count": max(1, math.ceil(timeout_s) - half),
        "client_connection_check_interval": 1000,
    }


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # REPLACE deletes a conflicting row; with this on, that delete fires the append-only
        # tables' DELETE triggers (migration 0007 also refuses such inserts outright).
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute("PRAGMA cache_size=-65536")  # KiB: 64 MiB
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        sums.register(dbapi_connection)  # exact sums of decimal text, as PostgreSQL's numeric

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(False))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (default: the newest), then
    :func:`analyze`."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    analyze(engine)


def analyze(engine: Engine) -> None:
    """Refresh PostgreSQL's planner statistics (``ANALYZE``), after a migration or a bulk
    load (a rebuild). A database filled faster than autovacuum notices (or run with
    autovacuum off) otherwise plans from no statistics at all. The ingest's key lookups do
    not depend on it; its joins of a batch's keys to a table (planned per execution,
    :mod:`server.db.pipelined`) choose between an index probe per key and a scan from the
    table's size, which stale statistics can misjudge (``docs/performance.md``, 2026-12-05
    evening); the console's and the API's queries may depend on it. SQLite's
    planner uses its indexes without statistics, so nothing is done there."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def head_revision() -> str:
    """The newest migration in ``server/migrations/versions``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        if not inspector.has_table("alembic_version"):
            return None
        row = connection.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])
