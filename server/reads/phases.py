"""Live plants per phase, read from ``plant_phase_days`` (kept by the projections,
:mod:`server.store.phase_days`): a licensee's latest row, one index probe, instead of a count
over its plants.

Why the latest row is the current count, exactly. The projections change every row from an
event's own local day on and create that day's row first, so each row of day ``D`` holds the
sum of the changes of every accepted event dated on or before ``D``. No counted event is dated
after the latest row (it would have created its own), so the latest row holds the sum of every
counted event's change, whatever its day, time zone or lateness: plants harvested or destroyed
today included. That sum is what the current state counts, phase by phase:

- ``vegetative``, ``flowering``: tagged plants in that phase (``plants.phase``). A plant
  enters vegetative when tagged and leaves a phase only by a phase change, harvest or
  destruction, each counted from the phase it had; ENTRY-FROM-ORIGIN and PHASE-ORDER (in every
  pack: the projections rely on them) refuse the events that would name an unknown plant or
  send one back to ``immature``, the only ones the two could count differently;
- ``immature``: the batches' ``untagged_count - unsprouted_count``. ENTRY-FROM-ORIGIN keeps
  each batch's figure at zero or above (no more tagged, destroyed or germinated than it has),
  so the sum is the console's, which leaves out batches at zero.

A correction replays the licensee's rows with the rest of its projections, and ``db rebuild
--check`` compares the table with a replay of the log (tests/server/test_inventory_counts.py
compares the counts with the plants and batches tables over a varied history).
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from server.db.among import among
from server.db.core import table_of
from server.db.tables import Licensee, PlantPhaseDay

D, LIC = table_of(PlantPhaseDay), table_of(Licensee)
PHASES = ("immature", "vegetative", "flowering")


def latest_rows(
    conn: sa.Connection, licences: Sequence[str], before: date | None = None
) -> list[tuple[Any, ...]]:
    """Each licensee's latest row (dated before ``before``, when given), as (licence, day,
    immature, vegetative, flowering); a licensee without one is left out.

    A backward probe of the primary key per licensee and column, driven by ``licensees``: a
    join or a list of keys let PostgreSQL scan the table or spend longer planning than reading
    (docs/performance.md, Scale, change 5). Nothing reads a licensee's older rows."""
    earlier = D.alias("earlier")

    def newest(column: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
        query = sa.select(column).where(earlier.c.licence == LIC.c.licence)
        if before is not None:
            query = query.where(earlier.c.day < before)
        return query.order_by(earlier.c.day.desc()).limit(1).scalar_subquery()

    query = sa.select(
        LIC.c.licence, newest(earlier.c.day), *(newest(earlier.c[p]) for p in PHASES)
    ).where(among(LIC.c.licence, licences))
    return [tuple(r) for r in conn.execute(query) if r[1] is not None]


def live_plants(conn: sa.Connection, licences: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per licensee of ``licences``: phase -> its live plants now (the module docstring says
    why that is the latest row). A licensee with no plant event, or not registered, has
    zeros."""
    out = {licence: dict.fromkeys(PHASES, 0) for licence in licences}
    for row in latest_rows(conn, licences):
        out[row[0]] = {phase: int(n) for phase, n in zip(PHASES, row[2:], strict=True)}
    return out
