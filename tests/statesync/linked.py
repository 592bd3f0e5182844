"""A seedtrace database linked to the state simulators, for the connector's tests.

:class:`Floor` records events through the real :class:`~server.ingest.pipeline.Pipeline`
(as a station would) for one licensee; :func:`connector` builds a connector on the test's
clock; :func:`drain` runs it until nothing is left to file, moving the clock past any
Retry-After or back-off instead of waiting (:func:`file_all`: a connector drained, closed).

The set-up the connector's tests share: :func:`metrc_sim` (a simulator that knows our vendor
key), :func:`linked_metrc` / :func:`linked_biotrack` (a licensee known to the state and
linked to it: its floor), :func:`record_story` (the cultivation story),
:func:`story_at_metrc` (all of that, on a running simulator), :func:`story_filed_at_metrc`
(and filed), :func:`metrc_outage` (Metrc going down under a running connector),
:func:`biotrack_floor` (the CT licensee linked to a running BioTrack simulator),
:func:`with_package` (the story and a package), :func:`metrc_client` (to look at Metrc, or
change it by hand), :func:`biotrack_client` (to look at BioTrack).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import ManualClock
from schemas.events import Payload
from server.ingest.pipeline import Pipeline
from server.statesync.biotrack_client import HttpBioTrackClient
from server.statesync.clients import ClientPool
from server.statesync.connector import Connector
from server.statesync.credentials import Credentials, Secret, new_key
from server.statesync.faults import FaultSettings
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import PlantBatchPlanting, PlantLocation
from server.statesync.queue import CALLS, Objects, configure_link
from server.statesync.settings import SyncSettings
from server.statesync.simulators import BioTrackSimulator, MetrcSimulator
from tests.server.conftest import LICENCE, add_staffed_licensee
from tests.server.domain import package_created, package_tags_received, package_uid
from tests.server.floor import OPERATOR, uid
from tests.statesync.cultivation import receive_tags, story

VENDOR_KEY = "vendor-seedtrace-5e1f"
USER_KEY = "metrc-key-of-maria-93c1d7"
BT_USER, BT_PASSWORD = "maria.lopez@ct", "bt-pass-of-maria-41aa"
CT_LICENCE = "CT-3003"
KEY = new_key()


def settings(**overrides: Any) -> SyncSettings:
    values: dict[str, Any] = {
        "credentials_key": KEY,
        "metrc_vendor_key": VENDOR_KEY,
        "lease_s": 10.0,
        "timeout_s": 2.0,
        "lost_after_s": 60.0,
        "backoff_max_s": 8.0,
        # The daily reconciliation reads the state when its hour comes round on the clock;
        # its own tests turn it on (test_daily_reconcile.py).
        "reconcile_daily": False,
    }
    return SyncSettings(**(values | overrides))


PAYLOAD: TypeAdapter[Payload] = TypeAdapter(Payload)


class Floor:
    """One licensee's floor, recording through the real pipeline at the test's clock."""

    def __init__(self, engine: Engine, clock: ManualClock, licence: str) -> None:
        self.pipeline = Pipeline(engine, clock=clock)
        self.licence = licence
        self.clock = clock

    def record(self, payload: dict[str, Any], *, accepted: bool = True) -> str:
        if "scale_reading" in payload:  # weighed now, on the test's clock
            payload = payload | {
                "scale_reading": payload["scale_reading"]
                | {"read_at": self.clock.now().isoformat()}
            }
        ack = self.pipeline.submit(
            self.licence, OPERATOR, PAYLOAD.validate_python(payload), station_id="floor-1"
        )
        if accepted:
            assert ack.outcome is Outcome.ACCEPTED, ack
        self.clock.advance(timedelta(seconds=30))
        return ack.event_id


def seed_metrc(sim: MetrcSimulator, licence: str, n_tags: int = 60) -> None:
    sim.app.add_facility(licence, "Green Acres Farm")
    sim.app.add_user(USER_KEY, "Maria Lopez", [licence])
    sim.app.add_tags(licence, "Plant", [uid(n) for n in range(1, n_tags + 1)])


def link_metrc(engine: Engine, sim: MetrcSimulator, licence: str, clock: ManualClock) -> None:
    configure_link(engine, licence, sim.url, now=clock.now())
    Credentials(KEY).store(
        engine, licence, OPERATOR, "metrc", Secret(None, USER_KEY), now=clock.now()
    )


def metrc_sim(
    tmp_path: Path | str, clock: ManualClock, faults: FaultSettings | None = None
) -> MetrcSimulator:
    """A Metrc simulator in the test's folder that knows our vendor key (not yet started:
    use it as a context manager)."""
    return MetrcSimulator(f"{tmp_path}/metrc.db", clock=clock, vendor_key=VENDOR_KEY, faults=faults)


def metrc_client(sim: MetrcSimulator) -> HttpMetrcClient:
    """Our Metrc client as the linked user, to look at (or change by hand) what Metrc holds."""
    return HttpMetrcClient(sim.url, VENDOR_KEY, USER_KEY)


def biotrack_client(sim: BioTrackSimulator) -> HttpBioTrackClient:
    """Our BioTrack client as the linked person of the CT licensee (:func:`linked_biotrack`),
    to look at what BioTrack holds."""
    return HttpBioTrackClient(sim.url, CT_LICENCE, BT_USER, BT_PASSWORD)


def moved_by_hand(m: HttpMetrcClient, licence: str, label: str, location: str, day: date) -> None:
    """At Metrc by hand, never recorded here: plant ``label`` moved to ``location`` on ``day``
    (a difference for reconciliation to find, or one put right)."""
    m.move_plants(licence, [PlantLocation(label=label, location=location, actual_date=day)])


def planted_by_hand(m: HttpMetrcClient, licence: str, day: date) -> None:
    """At Metrc by hand, never recorded here: batch B-X, 3 Haze seeds planted in Veg Room 1
    on ``day`` (a difference for reconciliation to find)."""
    planting = PlantBatchPlanting(
        name="B-X", type="Seed", count=3, strain="Haze", location="Veg Room 1", actual_date=day
    )
    m.create_plantings(licence, [planting])


def linked_metrc(
    engine: Engine, sim: MetrcSimulator, clock: ManualClock, licence: str, n_tags: int = 60
) -> Floor:
    """``licence`` known to Metrc (with ``n_tags`` plant tags) and linked to it: its floor."""
    seed_metrc(sim, licence, n_tags)
    link_metrc(engine, sim, licence, clock)
    return Floor(engine, clock, licence)


def record_story(floor: Floor) -> list[str]:
    """The cultivation story on ``floor``: 50 plant tags received, then batch B-1 from
    planting to harvest batch HB-1 (tests/statesync/cultivation.py). Returns the event ids."""
    return [floor.record(p) for p in [receive_tags(50), *story("B-1", 1, harvest_batch="HB-1")]]


def add_ct(engine: Engine, clock: ManualClock) -> None:
    add_staffed_licensee(engine, CT_LICENCE, "Nutmeg Growers", "CT", clock, "America/New_York")


def linked_biotrack(engine: Engine, sim: BioTrackSimulator, clock: ManualClock) -> Floor:
    """The CT licensee (:func:`add_ct`) known to BioTrack and linked to it: its floor."""
    sim.app.add_user(CT_LICENCE, BT_USER, BT_PASSWORD)
    configure_link(engine, CT_LICENCE, sim.url, now=clock.now())
    Credentials(KEY).store(
        engine, CT_LICENCE, OPERATOR, "biotrack", Secret(BT_USER, BT_PASSWORD), now=clock.now()
    )
    return Floor(engine, clock, CT_LICENCE)


def connector(engine: Engine, clock: ManualClock, **overrides: Any) -> Connector:
    s = settings(**overrides)
    pool = ClientPool(
        engine,
        Credentials(KEY),
        metrc_vendor_key=VENDOR_KEY,
        timeout_s=s.timeout_s,
    )
    return Connector(engine, clock=clock, settings=s, clients=pool)


@contextmanager
def story_at_metrc(
    engine: Engine, clock: ManualClock, tmp_path: Path | str
) -> Iterator[tuple[MetrcSimulator, Floor]]:
    """A running Metrc simulator linked to LICENCE, and LICENCE's floor holding the cultivation
    story (:func:`record_story`), not yet filed."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        record_story(floor)
        yield sim, floor


@contextmanager
def story_filed_at_metrc(
    engine: Engine, clock: ManualClock, tmp_path: Path | str
) -> Iterator[tuple[MetrcSimulator, Floor]]:
    """:func:`story_at_metrc`, the story filed there by the connector."""
    with story_at_metrc(engine, clock, tmp_path) as (sim, floor):
        file_all(engine, clock)
        yield sim, floor


@contextmanager
def metrc_outage(
    engine: Engine, clock: ManualClock, tmp_path: Path | str
) -> Iterator[tuple[MetrcSimulator, Floor, Connector, datetime]]:
    """LICENCE linked to a running Metrc simulator, 50 plant tags received and filed by a
    running connector; then Metrc goes down for 600 s. Yields the simulator,
    the floor, the connector (still running) and the clock's time when Metrc went down."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        floor.record(receive_tags(50))
        with connector(engine, clock) as c:
            drain(c, clock)
            sim.set_faults(outage_s=600)
            yield sim, floor, c, clock.now()


@contextmanager
def biotrack_floor(
    engine: Engine, clock: ManualClock, tmp_path: Path | str, faults: FaultSettings | None = None
) -> Iterator[tuple[BioTrackSimulator, Floor]]:
    """The CT licensee (:func:`add_ct`), a running BioTrack simulator in the test's folder (on
    the test's clock, with ``faults``), and the licensee linked to it (:func:`linked_biotrack`):
    the simulator and the licensee's floor."""
    add_ct(engine, clock)
    with BioTrackSimulator(f"{tmp_path}/bt.db", clock=clock, faults=faults) as sim:
        yield sim, linked_biotrack(engine, sim, clock)


def with_package(
    engine: Engine, sim: MetrcSimulator, clock: ManualClock, n_tags: int, buyer: str | None = None
) -> Floor:
    """LICENCE linked to Metrc with ``n_tags`` package tags (known to both sides) and the
    story recorded, then package 1 made of 500 g of HB-1; ``buyer`` a facility at Metrc too."""
    seed_metrc(sim, LICENCE)
    if buyer is not None:
        sim.app.add_facility(buyer, "Valley Processing")
    sim.app.add_tags(LICENCE, "Package", [package_uid(n) for n in range(1, n_tags + 1)])
    link_metrc(engine, sim, LICENCE, clock)
    floor = Floor(engine, clock, LICENCE)
    record_story(floor)
    floor.record(package_tags_received(1, n_tags))
    floor.record(package_created(package_uid(1), [("HB-1", "500")]))
    return floor


def file_all(engine: Engine, clock: ManualClock, **overrides: Any) -> None:
    """A connector (settings ``overrides``) files all there is to file, then stops."""
    with connector(engine, clock, **overrides) as c:
        drain(c, clock)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def open_calls(engine: Engine) -> int:
    """Calls not yet done that the connector (not a person) is to send."""
    return _count(
        engine,
        "SELECT count(*) FROM sync_calls WHERE status IN ('pending','sent','unknown') "
        # calls held up behind a refusal wait for a person, not for the connector
        "AND licence NOT IN (SELECT licence FROM sync_calls WHERE status = 'refused')",
    )


def unplanned(engine: Engine) -> int:
    """Accepted events past their link's cursor: no call planned for them yet."""
    return _count(
        engine,
        "SELECT count(*) FROM event_log e JOIN sync_links l ON l.licence = e.licence "
        "WHERE e.position > l.cursor AND e.outcome = 'accepted'",
    )


def drain(c: Connector, clock: ManualClock, *, passes: int = 400, step_s: float = 1.0) -> None:
    """Run ``c`` until a pass does nothing and nothing is open, moving the clock by
    ``step_s`` per idle pass (Retry-After, back-off, outages pass on the clock)."""
    idle = 0
    for _ in range(passes):
        worked = c.run_once()
        if worked == 0:
            if open_calls(c.engine) == 0 and unplanned(c.engine) == 0:
                idle += 1
                if idle >= 2:
                    return
            waiting = _next_wait(c.engine)
            if waiting is not None and waiting > clock.now() and not _due(c.engine, clock):
                clock.set(waiting)  # only calls that wait (BioTrack's 72 hours) are left
            else:
                clock.advance(timedelta(seconds=step_s))
        else:
            idle = 0
    raise AssertionError(f"the connector did not finish in {passes} passes")


def _next_wait(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(sa.func.min(CALLS.c.not_before)).where(
                CALLS.c.status.in_(("pending", "sent", "unknown"))
            )
        ).scalar_one_or_none()
    return None if found is None else found


def _due(engine: Engine, clock: ManualClock) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(CALLS)
                .where(
                    CALLS.c.status.in_(("pending", "sent", "unknown")),
                    sa.or_(CALLS.c.not_before.is_(None), CALLS.c.not_before <= clock.now()),
                )
            ).scalar_one()
        )


def biotrack_object(engine: Engine, clock: ManualClock, kind: str, key: str) -> tuple[str, Any]:
    """What the connector keeps of the CT licensee's ``kind`` ``key`` at BioTrack: its id there
    and its data (``sync_objects``); fails if it keeps nothing."""
    with engine.connect() as conn:
        found = Objects(conn, CT_LICENCE, "biotrack", clock.now()).get(kind, key)
    assert found is not None, f"no {kind} {key} at BioTrack"
    return found


def sync_notes(engine: Engine, licence: str) -> list[sa.Row[Any]]:
    """The licensee's notifications from the connector and reconciliation (SECONDARY-SYNC),
    every column, oldest first."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT * FROM notifications WHERE licence = :l "
                    "AND rule_id = 'SECONDARY-SYNC' ORDER BY id"
                ),
                {"l": licence},
            ).all()
        )


def calls(engine: Engine, licence: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(CALLS).where(CALLS.c.licence == licence).order_by(CALLS.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def today(clock: ManualClock) -> date:
    return clock.now().date()
