"""Tag stock: unassigned UIDs on hand and how many days they last at the recent rate of use
(TAG-SUPPLY, OR UID Tags (1)(b); CA 8403(a)(2)).

Rate of use = UIDs assigned in the last :data:`WINDOW_DAYS` days / that many days. Days of
supply = on hand / rate, rounded down; ``None`` when nothing was assigned in the window (the
stock lasts indefinitely at that rate, which the page says in words).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.db.among import among
from server.db.core import table_of
from server.db.tables import Tag

T = table_of(Tag)

WINDOW_DAYS = 30
LOW_DAYS = 14  # fewer days than this: order now (a roll takes about two weeks to arrive)


@dataclass(frozen=True, slots=True)
class TagStock:
    licence: str
    tag_type: str  # plant | package
    available: int
    assigned: int
    retired: int
    used_in_window: int

    @property
    def per_day(self) -> Decimal:
        return Decimal(self.used_in_window) / WINDOW_DAYS

    @property
    def days_left(self) -> int | None:
        if self.used_in_window == 0:
            return None
        return int((Decimal(self.available) / self.per_day).to_integral_value(ROUND_DOWN))

    @property
    def low(self) -> bool:
        days = self.days_left
        return self.available == 0 or (days is not None and days < LOW_DAYS)


def stock(engine: Engine, licences: Sequence[str], now: datetime) -> list[TagStock]:
    since = now - timedelta(days=WINDOW_DAYS)
    lic = among(T.c.licence, licences)
    counts = (
        sa.select(T.c.licence, T.c.tag_type, T.c.status, sa.func.count())
        .where(lic)
        .group_by(T.c.licence, T.c.tag_type, T.c.status)
    )
    used = (
        sa.select(T.c.licence, T.c.tag_type, sa.func.count())
        .where(lic, T.c.assigned_at.is_not(None), T.c.assigned_at >= since)
        .group_by(T.c.licence, T.c.tag_type)
    )
    by_key: dict[tuple[str, str], dict[str, int]] = {}
    with engine.connect() as conn:
        for licence, tag_type, status, n in conn.execute(counts):
            by_key.setdefault((licence, tag_type), {})[status] = int(n)
        for licence, tag_type, n in conn.execute(used):
            by_key.setdefault((licence, tag_type), {})["window"] = int(n)
    return [
        TagStock(
            licence=licence,
            tag_type=tag_type,
            available=c.get("available", 0),
            assigned=c.get("assigned", 0),
            retired=c.get("retired", 0),
            used_in_window=c.get("window", 0),
        )
        for (licence, tag_type), c in sorted(by_key.items())
    ]
