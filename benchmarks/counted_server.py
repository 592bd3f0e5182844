"""``seedtrace`` with its database round trips counted, for ``benchmarks/ingest.py``.

Run: ``python benchmarks/counted_server.py COUNT_FILE server --database-url ...`` (everything
after ``COUNT_FILE`` is ``seedtrace``'s command line). Every 0.1 s and at exit, ``COUNT_FILE``
gets the number of round trips to the database so far, counted from SQLAlchemy's events on
every engine of the process:

- each statement SQLAlchemy sends (``before_cursor_execute``; one ``executemany`` is one,
  since psycopg pipelines its rows and SQLite has no network), and each statement
  :mod:`server.db.pipelined` sends to the sqlite3 cursor itself (``pipelined.execute``);
- each :func:`server.db.pipelined.run` on PostgreSQL (its statements go to psycopg in one
  pipeline, past SQLAlchemy: one round trip);
- each COMMIT and ROLLBACK (not the ones sent inside a pipeline: psycopg is idle by then);
- on PostgreSQL, the BEGIN psycopg sends before a transaction's first statement (a round trip
  of its own, unless that first statement is in a pipeline) and the ``pool_pre_ping`` probe
  of each connection checkout: round trips SQLAlchemy does not report as statements.

The file also gets, after the count, the number of events the pipeline **held** (arrived
before an earlier sequence of their station): with licensee ownership none should be, as every
event of a licensee reaches its one owner in each station's order.

The benchmark reads the file before and after each phase; the difference over the events of
the phase is the round trips per event. The periodic deadline sweep and gap report are
counted too: they are part of what the ingest does.
"""

import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402

from cli.main import main as seedtrace  # noqa: E402
from server.db import pipelined  # noqa: E402
from server.ingest.pipeline import Pipeline  # noqa: E402


class Counter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.lock = threading.Lock()
        self.written: tuple[int, int] | None = None
        self.begins: set[int] = set()  # connections whose BEGIN is not sent yet
        self.held = 0  # events the pipeline held for an earlier sequence

    def one(self, *_: Any) -> None:
        with self.lock:
            self.count += 1

    def on_begin(self, conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql":
            self.begins.add(id(conn))

    def on_statement(self, conn: sa.Connection, *_: Any) -> None:
        if id(conn) in self.begins:  # psycopg sent BEGIN first, on its own
            self.begins.discard(id(conn))
            self.one()
        self.one()

    def on_end(self, conn: sa.Connection) -> None:
        self.begins.discard(id(conn))
        if conn.invalidated:  # the session died (e.g. a lease timeout): nothing is sent, and
            return  # asking for its connection would raise inside SQLAlchemy's rollback
        if conn.dialect.name == "postgresql":
            status = conn.connection.driver_connection.info.transaction_status  # type: ignore[union-attr]
            if status == 0:  # IDLE: the COMMIT went in the last pipeline; nothing is sent
                return
        self.one()

    def counting_pipelines(self, run: Any) -> Any:
        def counted(conn: sa.Connection, steps: Any, **options: Any) -> Any:
            if steps and conn.dialect.name == "postgresql":
                self.begins.discard(id(conn))  # BEGIN rides in the pipeline
                self.one()
            return run(conn, steps, **options)

        return counted

    def counting_statements(self, execute: Any) -> Any:
        def counted(cursor: Any, sql: str, params: Any) -> Any:
            self.one()
            return execute(cursor, sql, params)

        return counted

    def counting_pings(self, ping: Any) -> Any:
        def counted(dialect: Any, dbapi_connection: Any) -> Any:
            self.one()
            return ping(dialect, dbapi_connection)

        return counted

    def counting_holds(self, process: Any) -> Any:
        def counted(pipeline: Any, events: Any, conn: Any = None) -> Any:
            result = process(pipeline, events, conn)
            with self.lock:
                self.held += result.held
            return result

        return counted

    def write(self) -> None:
        with self.lock:
            count, held = self.count, self.held
        if (count, held) != self.written:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(f"{count} {held}")
            tmp.replace(self.path)  # the reader never sees a half-written number
            self.written = (count, held)

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(0.1):
            self.write()


def main() -> int:
    counter = Counter(Path(sys.argv[1]))
    event.listen(sa.engine.Engine, "before_cursor_execute", counter.on_statement)
    event.listen(sa.engine.Engine, "commit", counter.on_end)
    event.listen(sa.engine.Engine, "rollback", counter.on_end)
    event.listen(sa.engine.Engine, "begin", counter.on_begin)
    pipelined.run = counter.counting_pipelines(pipelined.run)
    # SQLite: the ingest's statements compiled once go to the sqlite3 cursor past SQLAlchemy.
    pipelined.execute = counter.counting_statements(pipelined.execute)
    Pipeline.process = counter.counting_holds(Pipeline.process)  # type: ignore[method-assign]
    # pool_pre_ping's probe has no event of its own: count it where the dialect sends it.
    default = sa.engine.default.DefaultDialect
    default._do_ping_w_event = counter.counting_pings(default._do_ping_w_event)  # type: ignore[method-assign]
    stop = threading.Event()
    writer = threading.Thread(target=counter.run, args=(stop,), daemon=True)
    writer.start()
    sys.argv = ["seedtrace", *sys.argv[2:]]
    try:
        seedtrace()
    finally:
        stop.set()
        counter.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
