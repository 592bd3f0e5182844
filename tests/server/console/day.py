"""A small floor day for console tests, decided by the real pipeline."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from schemas.acks import Ack
from server.ingest.pipeline import Pipeline
from tests.server.conftest import LICENCE
from tests.server.floor import (
    Station,
    batch_created,
    flowering,
    harvested,
    tagged,
    tags_received,
    uid,
)

PLANTS = [uid(n) for n in range(1, 7)]


def send(engine: Engine, station: Station, payload: dict[str, Any], **overrides: Any) -> Ack:
    event = station.event(payload, **overrides)
    [reply] = Pipeline(engine).process([_parsed(station, event)]).replies
    return reply.ack


def _parsed(station: Station, event: Any) -> Any:
    from server.ingest.parse import Parsed, parse

    outcome = parse(station.incoming(event), 64 * 1024)
    assert isinstance(outcome, Parsed)
    return outcome


def floor_day(engine: Engine, licence: str = LICENCE) -> dict[str, Station]:
    """Tags 1-50 received, batch B-1 of 12 clones, 6 tagged, flowered, 3 harvested into
    HB-1 (512.4, 487.95, 530.1 g), and one rejected batch of 150 at station veg-1."""
    harvest = Station("harvest-1", licence)
    veg = Station("veg-1", licence)
    send(engine, harvest, tags_received(1, 50))
    send(engine, harvest, batch_created("B-1", 12))
    send(engine, harvest, tagged("B-1", PLANTS))
    send(engine, harvest, flowering(PLANTS))
    for plant, grams in zip(PLANTS[:3], ["512.4", "487.95", "530.1"], strict=True):
        send(engine, harvest, harvested(plant, grams, harvest_batch="HB-1"))
    send(engine, veg, batch_created("B-2", 150), operator_id="sam.ortiz")
    return {"harvest": harvest, "veg": veg}


def now() -> datetime:
    return datetime.now(UTC)


def staff(engine: Engine, licence: str = LICENCE) -> None:
    """a.chen (account manager, trained) and maria.lopez (user, trained) come with the engine
    fixture (tests/server/conftest.py); this adds sam.ortiz (user, not trained yet),
    registered by a.chen from the console."""
    from schemas.records import Role, UserRegistered
    from server.ingest.submit import submit

    ack = submit(
        engine,
        licence,
        "a.chen",
        UserRegistered(user_id="sam.ortiz", full_name="Sam Ortiz", role=Role.USER),
    )
    assert ack.outcome.value == "accepted", ack
