"""Record an event made on the server itself (ops console, REST API, CLI).

Such events go through the same :class:`~server.ingest.pipeline.Pipeline` as a station's: the
same rules, the same append-only log, attributed to ``operator_id`` (ACCOUNTABLE), under the
pseudo-station ``console`` whose sequence numbers the server hands out itself.
"""

from datetime import datetime

from sqlalchemy.engine import Engine

from schemas.acks import Ack
from schemas.clock import Clock
from schemas.events import Payload
from server.ingest.pipeline import CONSOLE_STATION, Pipeline


def submit(
    engine: Engine,
    licence: str,
    operator_id: str,
    payload: Payload,
    *,
    occurred_at: datetime | None = None,
    station_id: str = CONSOLE_STATION,
    clock: Clock,
) -> Ack:
    """Decide and store one server-made event; returns its ack (accepted or rejected, with
    every violation). See :meth:`Pipeline.submit`."""
    return Pipeline(engine, clock=clock).submit(
        licence, operator_id, payload, station_id=station_id, occurred_at=occurred_at
    )
