"""A small floor day for console tests, decided by the real pipeline."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from schemas.acks import Ack
from schemas.clock import SYSTEM_CLOCK
from schemas.records import Role, UserRegistered
from server.ingest.pipeline import Pipeline
from server.ingest.submit import submit
from tests.pinned import pinned_clock
from tests.server.conftest import LICENCE, register_worker
from tests.server.floor import (
    MANAGER,
    Station,
    batch_created,
    harvested,
    to_flowering,
    uid,
)

PLANTS = [uid(n) for n in range(1, 7)]


def send(engine: Engine, station: Station, payload: dict[str, Any], **overrides: Any) -> Ack:
    event = station.event(payload, **overrides)
    [reply] = Pipeline(engine, clock=SYSTEM_CLOCK).process([_parsed(station, event)]).replies
    return reply.ack


def _parsed(station: Station, event: Any) -> Any:
    from server.ingest.parse import Parsed, parse

    outcome = parse(station.incoming(event), 64 * 1024)
    assert isinstance(outcome, Parsed)
    return outcome


def floor_day(engine: Engine, licence: str = LICENCE) -> dict[str, Station]:
    """sam.ortiz registered and trained (by the account manager); then tags 1-50 received,
    batch B-1 of 12 clones, 6 tagged, flowered, 3 harvested into HB-1 (512.4, 487.95,
    530.1 g) at harvest-1 by maria.lopez, and one rejected batch of 150 at veg-1 by sam.ortiz:
    8 floor events after the roster's."""
    register_worker(engine, licence, "sam.ortiz", "Sam Ortiz", date(2026, 11, 2), pinned_clock())
    harvest = Station("harvest-1", licence)
    veg = Station("veg-1", licence, operator="sam.ortiz")
    for payload in to_flowering("B-1", 12, PLANTS):
        send(engine, harvest, payload)
    for plant, grams in zip(PLANTS[:3], ["512.4", "487.95", "530.1"], strict=True):
        send(engine, harvest, harvested(plant, grams, harvest_batch="HB-1"))
    send(engine, veg, batch_created("B-2", 150))
    return {"harvest": harvest, "veg": veg}


def now() -> datetime:
    return datetime.now(UTC)


def staff(engine: Engine, licence: str = LICENCE) -> None:
    """Besides a.chen (account manager) and maria.lopez (user), both trained, whom the engine
    fixture registers: li.wong, registered but not trained yet."""
    ack = submit(
        engine,
        licence,
        MANAGER,
        UserRegistered(user_id="li.wong", full_name="Li Wong", role=Role.USER),
        clock=SYSTEM_CLOCK,
    )
    assert ack.outcome.value == "accepted", ack


def flag(engine: Engine, event_id: str, days_ago: float, licence: str = LICENCE) -> Ack:
    """maria.lopez flags ``event_id`` as wrong, found ``days_ago`` days ago: CORRECTION-3BD
    opens a compliance notification, due 3 business days after the discovery in California
    (Oregon sets the duty without a limit)."""
    from datetime import timedelta

    from schemas.records import RecordFlagged

    ack = submit(
        engine,
        licence,
        "maria.lopez",
        RecordFlagged(
            event_id=event_id,
            problem="the scale was not zeroed",
            discovered_at=datetime.now(UTC) - timedelta(days=days_ago),
        ),
        clock=SYSTEM_CLOCK,
    )
    assert ack.outcome.value == "accepted", ack
    return ack
