"""Which day it is at a licensee's premises: the console's "today", in the premises' zone.

A licensee's days (reports, the reconciliation form, charts) begin and end at local midnight
in its configured IANA zone (``licensees.timezone``), never in the server machine's zone or UTC:
at 19:30 in Los Angeles it is already tomorrow in UTC.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from server.db.among import among
from server.db.core import table_of
from server.db.tables import Licensee

LIC = table_of(Licensee)


def zones(conn: Connection, licences: Sequence[str]) -> dict[str, str]:
    """Each known licence's IANA time zone; an unknown licence is left out."""
    rows = conn.execute(
        sa.select(LIC.c.licence, LIC.c.timezone).where(among(LIC.c.licence, licences))
    ).all()
    return {licence: tz for licence, tz in rows}


def shared_zone(engine: Engine, licences: Sequence[str]) -> str:
    """The one zone that ``licences`` share, for a report over all of them; ``UTC`` when
    their premises lie in different zones (a regulator's view across the state line) or none
    is known."""
    with engine.connect() as conn:
        found = set(zones(conn, licences).values())
    return found.pop() if len(found) == 1 else "UTC"
