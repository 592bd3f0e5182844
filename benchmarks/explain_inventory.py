"""The console inventory page's batches and harvest batches, before and after migration 0026,
by ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL (docs/performance.md, Scale, change 19).

Run: ``.venv/bin/python benchmarks/explain_inventory.py [--batches N] [--harvests N]``
(markdown on stdout). It creates a throwaway database, migrates it to 0025 and fills, with
``generate_series`` (no ingest: only the tables these reads touch), 500 licensees (OR, CA and
CT in turn) with ``--batches`` plant batches (default 500,000) and ``--harvests`` harvest
batches (default 200,000) of history, a tenth of each the largest licensee's (``OR-0000``) and
the rest spread evenly: every 50th batch still holds untagged plants, the others
all tagged or destroyed; every 20th harvest batch is open (dried, 100 g of 400 g
packaged), the others dried, net weighed and all packaged. Then, vacuumed and analysed, it
explains the page's reads as the code before the change sent them (every batch and every
harvest batch of the licensees), migrates to the newest revision (which fills
``has_left`` from the weights), vacuums and analyses again and explains the statements the
code sends now (captured from the real functions, the page's cap of 200). For one licensee
and for all 500 (a regulator). Timings are the server's, from one execution each after a
warm-up one; nothing here asserts a timing. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

import explain_reads  # noqa: E402  (benchmarks/explain_reads.py, next to this file)
import ingest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from server.console.queries import inventory  # noqa: E402
from server.db.core_tables import BATCHES as B  # noqa: E402
from server.db.core_tables import HARVEST_BATCHES as H  # noqa: E402
from server.db.engine import make_engine, migrate  # noqa: E402

LARGEST = "OR-0000"
LICENSEES = 500
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)

FILL = [
    """INSERT INTO licensees (licence, name, jurisdiction, timezone, created_at)
    SELECT j || '-' || lpad(i::text, 4, '0'), 'Farm ' || i, j, 'America/Los_Angeles', :now
    FROM (SELECT i, (ARRAY['OR', 'CA', 'CT'])[i % 3 + 1] AS j
          FROM generate_series(0, :licensees - 1) i) s""",
    # n: the batch's number, oldest first; every 50th still holds some.
    """INSERT INTO batches (licence, batch_id, origin, strain, location, initial_count,
                           untagged_count, unsprouted_count, tagged_count, destroyed_count,
                           created_at, created_position)
    SELECT CASE WHEN n <= :batches / 10 THEN :largest ELSE l.licence END,
           'B-' || n, 'clone', 'Strain', 'Room ' || (n % 20), 50,
           CASE WHEN n % 50 = 0 THEN n % 100 + 1 ELSE 0 END, 0,
           CASE WHEN n % 50 = 0 THEN 49 - n % 100 % 50 ELSE 45 END,
           CASE WHEN n % 50 = 0 THEN 0 ELSE 5 END,
           :now - (:batches - n) * interval '10 minutes', n
    FROM generate_series(1, :batches) n
    JOIN (SELECT licence, row_number() OVER (ORDER BY licence) - 1 AS k FROM licensees
          WHERE licence <> :largest) l ON l.k = n % (:licensees - 1)""",
    """INSERT INTO harvest_batches (licence, name, strain, location, plant_count,
                                   wet_weight_grams, dry_weight_grams, net_weight_grams,
                                   waste_grams, packaged_grams, first_harvest_at)
    SELECT CASE WHEN n <= :harvests / 10 THEN :largest ELSE l.licence END,
           'HB-' || n, 'Strain', 'Dry 1', 10, '2000.5', '400',
           CASE WHEN n % 20 = 0 THEN NULL ELSE '400' END, '20',
           CASE WHEN n % 20 = 0 THEN '100' ELSE '400' END,
           :now - (:harvests - n) * interval '10 minutes'
    FROM generate_series(1, :harvests) n
    JOIN (SELECT licence, row_number() OVER (ORDER BY licence) - 1 AS k FROM licensees
          WHERE licence <> :largest) l ON l.k = n % (:licensees - 1)""",
]


def _before_batches(licences: list[str]) -> Callable[[sa.Connection], Any]:
    def run(conn: sa.Connection) -> None:
        conn.execute(
            sa.select(*inventory.BATCH_COLUMNS)
            .where(B.c.licence.in_(licences))
            .order_by(
                inventory.IMMATURE.desc(), B.c.untagged_count.desc(), B.c.licence, B.c.batch_id
            )
        ).all()

    return run


def _before_harvests(licences: list[str]) -> Callable[[sa.Connection], Any]:
    def run(conn: sa.Connection) -> None:
        conn.execute(
            sa.select(*inventory.HARVEST_COLUMNS)
            .where(H.c.licence.in_(licences))
            .order_by(H.c.first_harvest_at.desc(), H.c.name)
        ).all()

    return run


def _after_batches(licences: list[str]) -> Callable[[sa.Connection], Any]:
    def run(conn: sa.Connection) -> None:
        inventory.batches(conn, licences, inventory.CAP)
        inventory.batch_counts(conn, licences)

    return run


def _after_harvests(licences: list[str]) -> Callable[[sa.Connection], Any]:
    return lambda conn: inventory.open_harvests(conn, licences, inventory.CAP)


def reads(
    batches: Callable[[list[str]], Any], harvests: Callable[[list[str]], Any], all_: list[str]
) -> list[tuple[str, Callable[[sa.Connection], Any]]]:
    return [
        (f"batches, {LARGEST}", batches([LARGEST])),
        (f"harvest batches, {LARGEST}", harvests([LARGEST])),
        ("batches, all 500 licensees", batches(all_)),
        ("harvest batches, all 500 licensees", harvests(all_)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=500_000)
    parser.add_argument("--harvests", type=int, default=200_000)
    args = parser.parse_args(argv)
    name = f"seedtrace_explain_{uuid.uuid4().hex[:8]}"
    with ingest.postgres_database(name) as url:
        engine = make_engine(url)
        try:
            params = {
                "now": NOW,
                "licensees": LICENSEES,
                "largest": LARGEST,
                "batches": args.batches,
                "harvests": args.harvests,
            }
            tables = ("batches", "harvest_batches")
            counts = explain_reads.filled(engine, "0025", FILL, params, tables)
            with engine.connect() as conn:
                all_ = list(conn.execute(sa.text("SELECT licence FROM licensees")).scalars())
                held = conn.execute(
                    sa.text("SELECT count(*) FROM batches WHERE untagged_count > 0")
                ).scalar_one()
            print(f"# Filled: {counts}; batches holding plants: {held}")
            explain_reads.vacuum(engine)
            explain_reads.report(
                "Before (revision 0025, the code before)",
                engine,
                reads(_before_batches, _before_harvests, all_),
            )
            started = time.perf_counter()
            migrate(engine)  # 0026: fills has_left from each row
            print(f"\nMigration to the newest revision: {time.perf_counter() - started:.1f} s")
            explain_reads.vacuum(engine)
            explain_reads.report(
                "After (newest revision, the code now)",
                engine,
                reads(_after_batches, _after_harvests, all_),
            )
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
