"""Registering licensees: only a registered licence's events are accepted."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.ids import LICENCE_PATTERN
from server.db.core import table_of
from server.db.tables import Licensee

LIC = table_of(Licensee)
JURISDICTIONS = ("OR", "CA", "CT")


class LicenseeError(ValueError):
    pass


def add_licensee(
    engine: Engine, *, licence: str, name: str, jurisdiction: str, timezone: str, now: datetime
) -> None:
    """Register a licensee at ``now`` (its deadlines, such as DAILY-RECONCILE, run from then).
    Raises LicenseeError naming the bad field, or a duplicate."""
    if not re.fullmatch(LICENCE_PATTERN, licence):
        raise LicenseeError(f"licence {licence!r}: 3-40 letters, digits or '-', no spaces")
    if jurisdiction not in JURISDICTIONS:
        raise LicenseeError(f"jurisdiction {jurisdiction!r}: one of {', '.join(JURISDICTIONS)}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise LicenseeError(f"timezone {timezone!r} is not an IANA time zone") from err
    if not name.strip():
        raise LicenseeError("name: must not be empty")
    with engine.begin() as conn:
        exists = conn.execute(sa.select(LIC.c.licence).where(LIC.c.licence == licence)).first()
        if exists is not None:
            raise LicenseeError(f"licence {licence} is already registered")
        conn.execute(
            LIC.insert().values(
                licence=licence,
                name=name.strip(),
                jurisdiction=jurisdiction,
                timezone=timezone,
                created_at=now,
            )
        )


def list_licensees(engine: Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(LIC.c.licence, LIC.c.name, LIC.c.jurisdiction, LIC.c.timezone).order_by(
                LIC.c.licence
            )
        ).all()
    return [tuple(r) for r in rows]
