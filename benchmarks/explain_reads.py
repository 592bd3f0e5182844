"""The inventory's live plants and the deadline sweep's tag stock, before and after migration
0024, by ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL (docs/performance.md, Scale, changes 16
and 17).

Run: ``.venv/bin/python benchmarks/explain_reads.py [--plants N] [--largest N]`` (markdown on
stdout). It creates a throwaway database, migrates it to 0023 and fills, with
``generate_series`` (no ingest: only the tables these reads touch), a state of ``--plants``
plants (default 1,000,000) over 500 licensees: the largest, ``OR-0000``, holds ``--largest``
(default 50,000, its share in ``benchmarks/scale.py``), tagged over 180 days in 20 rooms: the
newest 40 % of every licensee's plants live (vegetative, flowering), the older ones harvested
or destroyed, as a licensee's history leaves them; a ``plant_phase_days`` row per licensee and
day over 180 days; one tag per plant, assigned over those 180 days, and
100 more on hand per licensee (a tenth of them package tags, a tenth of the assigned retired).
Then, vacuumed and analysed, it explains the reads as the code before the change sent them
(a grouped count over the licensee's plants; the stock grouped over the whole ledger),
migrates to the newest revision, vacuums and analyses again and explains the statements the
code sends now (captured from the real functions). Timings are the server's, from one
execution each after a warm-up one; nothing here asserts a timing. The database is dropped at
the end.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

import ingest  # noqa: E402  (benchmarks/ingest.py, next to this file)
import sqlalchemy as sa  # noqa: E402

from server.compliance.deadlines import due  # noqa: E402
from server.console.queries import inventory  # noqa: E402
from server.db.core_tables import PLANTS as P  # noqa: E402
from server.db.core_tables import TAGS  # noqa: E402
from server.db.engine import make_engine, migrate  # noqa: E402
from server.reads import phases  # noqa: E402

LARGEST = "OR-0000"
LICENSEES = 500
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)  # the rate window's start (rate_window_days 30)

FILL = [
    # 500 licensees, OR, CA and CT in turn.
    """INSERT INTO licensees (licence, name, jurisdiction, timezone, created_at)
    SELECT j || '-' || lpad(i::text, 4, '0'), 'Farm ' || i, j, 'America/Los_Angeles', :now
    FROM (SELECT i, (ARRAY['OR', 'CA', 'CT'])[i % 3 + 1] AS j
          FROM generate_series(0, :licensees - 1) i) s""",
    # The largest licensee's plants, then everyone else's spread evenly.
    """INSERT INTO plants (licence, uid, batch_id, strain, phase, location, tagged_at)
    SELECT :largest, 'P' || lpad(n::text, 10, '0'), 'B-' || (n / 50), 'Strain',
           CASE WHEN n > 0.6 * :largest_plants
                THEN CASE WHEN n % 4 = 0 THEN 'flowering' ELSE 'vegetative' END
                WHEN n % 10 = 0 THEN 'destroyed' ELSE 'harvested' END,
           'Room ' || (n % 20), :now - (:largest_plants - n) * 180.0 / :largest_plants
                                       * interval '1 day'
    FROM generate_series(1, :largest_plants) n""",
    """INSERT INTO plants (licence, uid, batch_id, strain, phase, location, tagged_at)
    SELECT l.licence, 'P' || lpad(n::text, 10, '0'), 'B-' || (n / 50), 'Strain',
           CASE WHEN n > :largest_plants + 0.6 * (:plants - :largest_plants)
                THEN CASE WHEN n % 4 = 0 THEN 'flowering' ELSE 'vegetative' END
                WHEN n % 10 = 0 THEN 'destroyed' ELSE 'harvested' END,
           'Room ' || (n % 20), :now - (:plants - n) * 180.0 / (:plants - :largest_plants)
                                       * interval '1 day'
    FROM generate_series(:largest_plants + 1, :plants) n
    JOIN (SELECT licence, row_number() OVER (ORDER BY licence) - 1 AS k FROM licensees
          WHERE licence <> :largest) l
      ON l.k = n % (:licensees - 1)""",
    # A day's counts per licensee and day, 180 days.
    """INSERT INTO plant_phase_days (licence, day, immature, vegetative, flowering)
    SELECT licence, (:now - d * interval '1 day')::date, 10, 30, 10
    FROM licensees, generate_series(0, 179) d""",
    # One tag per plant, assigned when it was tagged (a tenth retired since); 100 on hand each.
    """INSERT INTO tags (licence, uid, tag_type, status, item_type, item_id, received_at,
                         assigned_at)
    SELECT licence, uid, 'plant', CASE WHEN phase = 'destroyed' THEN 'retired' ELSE 'assigned'
           END, 'plant', uid, tagged_at - interval '2 days', tagged_at
    FROM plants""",
    """INSERT INTO tags (licence, uid, tag_type, status, received_at)
    SELECT licence, 'T' || lpad(n::text, 4, '0'), CASE WHEN n % 10 = 0 THEN 'package'
           ELSE 'plant' END, 'available', :now - interval '3 days'
    FROM licensees, generate_series(1, 100) n""",
]


def _before_rooms(conn: sa.Connection) -> None:
    inventory.plants_by_room(conn, [LARGEST])  # unchanged: what the index serves


def _before_api(conn: sa.Connection) -> None:
    conn.execute(
        sa.select(P.c.phase, sa.func.count())
        .where(P.c.licence == LARGEST, P.c.phase.in_(("vegetative", "flowering")))
        .group_by(P.c.phase)
    ).all()


def _before_stock(conn: sa.Connection) -> None:
    conn.execute(
        sa.select(
            TAGS.c.licence,
            TAGS.c.tag_type,
            sa.func.count().filter(TAGS.c.status == "available"),
            sa.func.count().filter(TAGS.c.assigned_at >= SINCE),
        ).group_by(TAGS.c.licence, TAGS.c.tag_type)
    ).all()


BEFORE: list[tuple[str, Callable[[sa.Connection], Any]]] = [
    ("console plants by room and phase, largest licensee", _before_rooms),
    ("API live plants per phase, largest licensee (grouped count)", _before_api),
    ("sweep plan's tag stock (grouped over the ledger)", _before_stock),
]
AFTER: list[tuple[str, Callable[[sa.Connection], Any]]] = [
    ("console plants by room and phase, largest licensee", _before_rooms),
    (
        "API live plants per phase, largest licensee (latest plant_phase_days row)",
        lambda conn: phases.live_plants(conn, [LARGEST]),
    ),
    ("sweep plan's tag stock (two partial indexes)", lambda conn: due._stock(conn, SINCE)),
]


def captured(engine: sa.Engine, call: Callable[[sa.Connection], Any]) -> list[tuple[str, Any]]:
    """The statements and parameters ``call`` sends."""
    seen: list[tuple[str, Any]] = []

    def statement(conn: Any, cursor: Any, text: str, params: Any, *rest: Any) -> None:
        seen.append((text, params))

    sa.event.listen(engine, "before_cursor_execute", statement)
    try:
        with engine.connect() as conn:
            call(conn)
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
    return seen


def explained(engine: sa.Engine, call: Callable[[sa.Connection], Any]) -> Iterator[list[str]]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of each statement ``call`` sends, after a warm-up run."""
    statements = captured(engine, call)
    with engine.connect() as conn:
        for text, params in statements:
            conn.exec_driver_sql(text, params).all()  # warm the cache
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + text, params)
            yield [row[0] for row in plan]


def report(title: str, engine: sa.Engine, reads: Sequence[tuple[str, Callable[..., Any]]]) -> None:
    print(f"\n## {title}\n")
    for name, call in reads:
        print(f"### {name}\n\n```")
        for lines in explained(engine, call):
            print("\n".join(lines))
        print("```\n")


def vacuum(engine: sa.Engine) -> None:
    """``VACUUM ANALYZE``, as autovacuum leaves a table that was filled: the statistics, and
    the visibility map an index-only scan needs."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def filled(
    engine: sa.Engine,
    revision: str,
    fill: Sequence[str],
    params: dict[str, Any],
    tables: Sequence[str],
) -> dict[str, int]:
    """Migrate to ``revision``, run the ``fill`` statements with ``params`` in one
    transaction; the rows of each of ``tables`` then."""
    migrate(engine, revision)
    with engine.begin() as conn:
        for statement in fill:
            conn.execute(sa.text(statement), params)
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plants", type=int, default=1_000_000)
    parser.add_argument("--largest", type=int, default=50_000)
    args = parser.parse_args(argv)
    name = f"seedtrace_explain_{uuid.uuid4().hex[:8]}"
    with ingest.postgres_database(name) as url:
        engine = make_engine(url)
        try:
            params = {
                "now": NOW,
                "licensees": LICENSEES,
                "largest": LARGEST,
                "largest_plants": args.largest,
                "plants": args.plants,
            }
            counts = filled(engine, "0023", FILL, params, ("plants", "tags", "plant_phase_days"))
            print(f"# Filled: {counts}; largest licensee {LARGEST}: {args.largest} plants")
            vacuum(engine)
            report("Before (revision 0023, the code before)", engine, BEFORE)
            migrate(engine)  # 0024
            vacuum(engine)
            report("After (newest revision, the code now)", engine, AFTER)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
