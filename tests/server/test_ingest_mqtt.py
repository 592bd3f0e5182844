"""End to end through a real mosquitto: stations publish, the ingest decides and answers.

Covers what the station sees: an ack per event, rejections that name the problem for garbage,
one effect for a redelivery after the ingest process is killed before acking, and one winner
when three ingest processes decide conflicting events at once.
"""

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edge.link import StationLink
from schemas.acks import Ack, Outcome
from schemas.clock import SYSTEM_CLOCK
from schemas.events import EventEnvelope
from schemas.records import LocationAdded, LocationKind, UserCancelled
from server.broker import PrivateBroker
from server.compliance.rules.catalogue import CATALOGUE
from server.config import ServerSettings
from server.ingest.ownership import holders
from server.ingest.submit import submit
from server.ingest.worker import IngestWorker
from tests.commands import server_command
from tests.pinned import pinned_clock
from tests.server.conftest import LICENCE, licensee_locked, register_worker
from tests.server.floor import (
    MANAGER,
    Station,
    batch_created,
    harvested,
    tagged,
    tags_received,
    to_flowering,
    uid,
)
from tests.server.worker import ingest_on
from tests.sql import count

pytestmark = pytest.mark.broker


@pytest.fixture
def ingest(engine: Engine, broker: PrivateBroker) -> Iterator[IngestWorker]:
    with ingest_on(engine, broker, "ingest-test") as worker:
        yield worker


def link(broker: PrivateBroker, station: Station) -> StationLink:
    ln = StationLink(
        station.licence, station.station_id, "127.0.0.1", broker.port, clock=SYSTEM_CLOCK
    )
    ln.connect()
    return ln


@contextmanager
def linked(broker: PrivateBroker, station: Station) -> Iterator[StationLink]:
    """``station``'s connected link to ``broker``, closed when the block ends."""
    ln = link(broker, station)
    try:
        yield ln
    finally:
        ln.close()


@pytest.fixture
def station() -> Station:
    return Station()


@pytest.fixture
def ln(ingest: IngestWorker, broker: PrivateBroker, station: Station) -> Iterator[StationLink]:
    """``station``'s link to the broker the ingest listens on, closed when the test ends."""
    with linked(broker, station) as opened:
        yield opened


def acks_for(ln: StationLink, n: int, timeout: float = 15) -> list[Ack]:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        got.append(ln.wait_ack(max(0.1, deadline - time.monotonic())))
    return got


def acks_of(ln: StationLink, events: list[EventEnvelope], timeout: float = 15) -> list[Ack]:
    """The acks of ``events``, in their order, passing over any other ack that arrives
    meanwhile (a late duplicate of a probe published while the processes were starting)."""
    wanted = {e.event_id for e in events}
    got: dict[str, Ack] = {}
    deadline = time.monotonic() + timeout
    while wanted - got.keys():
        ack = ln.wait_ack(max(0.1, deadline - time.monotonic()))
        if ack.event_id in wanted:
            got[ack.event_id] = ack
    return [got[e.event_id] for e in events]


def test_a_station_gets_an_ack_for_every_event(
    station: Station, ln: StationLink, engine: Engine
) -> None:
    uids = [uid(1), uid(2)]
    events = [
        *(station.event(p) for p in to_flowering("B-1", 5, uids, tags=(1, 20))),
        station.event(harvested(uids[0], "455.5")),
        station.event(harvested(uids[0], "455.5")),  # the same plant again
    ]
    for ev in events:
        ln.publish(ev)
    acks = {a.event_id: a for a in acks_for(ln, len(events))}
    outcomes = [acks[e.event_id].outcome for e in events]
    assert outcomes == [Outcome.ACCEPTED] * 5 + [Outcome.REJECTED]
    rejection = acks[events[-1].event_id].violations[0]
    assert rejection.rule_id == "PHASE-ORDER"
    # An Oregon licensee: the ground in Oregon's text, never the CDFA section.
    assert rejection.citation == (
        "OR User Requirements (1)-(2), seedtrace record-soundness baseline"
    )
    assert f"Plant {uids[0]} was already harvested" in rejection.message
    assert count(engine, "SELECT count(*) FROM event_log WHERE station_id <> 'console'") == 6


@pytest.mark.parametrize(
    ("payload", "rule_id", "words"),
    [
        (b"this is not json", "SCHEMA-INVALID", "Invalid JSON"),
        (b'{"event_id": "x"}', "SCHEMA-INVALID", "licence: Field required"),
        (b"[" * 5000 + b"]" * 5000, "SCHEMA-INVALID", "does not match the contract"),
        (b" " * (70 * 1024), "PAYLOAD-TOO-LARGE", "at most 65536"),
    ],
    ids=["not-json", "wrong-schema", "deeply-nested", "oversized"],
)
def test_garbage_is_refused_with_a_reason_and_the_worker_keeps_going(
    station: Station,
    ln: StationLink,
    engine: Engine,
    payload: bytes,
    rule_id: str,
    words: str,
) -> None:
    ln.publish_raw(payload)
    refused = ln.wait_ack(10)
    good = station.event(batch_created("B-1", 5))
    ln.publish(good)
    after = ln.wait_ack(10)
    assert refused.outcome is Outcome.REJECTED
    assert refused.violations[0].rule_id == rule_id
    assert words in refused.violations[0].message
    assert (after.event_id, after.outcome) == (good.event_id, Outcome.ACCEPTED)
    assert count(engine, "SELECT count(*) FROM event_log WHERE station_id <> 'console'") == 1


def test_a_station_cannot_speak_for_another_licence(
    station: Station, ln: StationLink, engine: Engine
) -> None:
    foreign = Station(licence="CA-2002", station_id=station.station_id).event(
        batch_created("B-9", 5)
    )
    ln.publish_raw(foreign.model_dump_json().encode())  # on OR-1001's own topic
    ack = ln.wait_ack(10)
    assert ack.outcome is Outcome.REJECTED
    assert ack.event_id == foreign.event_id
    assert ack.violations[0].rule_id == "TOPIC-MISMATCH"
    assert "licence CA-2002" in ack.violations[0].message
    assert count(engine, "SELECT count(*) FROM event_log WHERE station_id <> 'console'") == 0


def test_garbage_on_a_topic_that_names_no_station_is_only_logged(
    station: Station, ln: StationLink, engine: Engine
) -> None:
    ln.publish_raw(b"{}", topic_name="seedtrace/v1/OR-1001/events")  # not a station topic
    good = station.event(batch_created("B-1", 5))
    ln.publish(good)
    ack = ln.wait_ack(10)
    assert ack.event_id == good.event_id  # the only ack: nothing was sent for the garbage
    assert ln.acks.empty()


def _server(
    broker: PrivateBroker,
    database_url: str,
    client_id: str,
    log: Path,
    prefix: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``seedtrace server`` (ingest only) on ``broker``; ``prefix`` runs it elsewhere (another
    network namespace: ``ip netns exec NAME``), ``env`` adds settings (``SEEDTRACE_*``)."""
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [
                *prefix,
                *server_command(
                    database_url,
                    broker.port,
                    "--mqtt-host",
                    broker.host,
                    "--client-id",
                    client_id,
                    "--no-migrate",
                    "--no-api",
                ),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )


def stop_servers(servers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each server still running, then wait for all; one that has not stopped
    within 10 s is killed."""
    for p in servers:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in servers:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def _wait_subscribed(
    broker: PrivateBroker, ln: StationLink, station: Station, engine: Engine
) -> None:
    """Publish a probe event until an ingest process answers it."""
    probe = station.event(batch_created("PROBE", 1))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ln.publish(probe)
        try:
            ack = ln.wait_ack(0.5)
        except TimeoutError:
            continue
        if ack.event_id == probe.event_id:
            while not ln.acks.empty():  # duplicates of the probe
                ln.acks.get_nowait()
            return
    raise AssertionError("no ingest process answered within 20 s")


def wait_settled(engine: Engine, processes: int, timeout: float = 30) -> None:
    """PostgreSQL: wait until ``processes`` ingest processes share the licensees out, and
    for the hand-over to end (the previous holders unsubscribe within a lease check)."""
    deadline = time.monotonic() + timeout
    while True:
        found = holders(engine)
        if found.members >= processes and found.settled:
            break
        assert time.monotonic() < deadline, f"the leases did not settle: {found}"
        time.sleep(0.1)
    time.sleep(2 * ServerSettings().lease_check_s + 0.5)


def test_redelivery_after_the_ingest_is_killed_before_acking_has_one_effect(
    engine: Engine, database_url: str, broker: PrivateBroker, tmp_path: Path
) -> None:
    station = Station()
    ln = link(broker, station)
    log = tmp_path / "server.log"
    server = _server(broker, database_url, "ingest-a", log)
    try:
        _wait_subscribed(broker, ln, station, engine)
        event = station.event(batch_created("B-1", 7))
        with licensee_locked(engine, LICENCE):
            # The server receives the event but cannot commit: it waits for our lock.
            ln.publish(event)
            time.sleep(1.0)
            server.send_signal(signal.SIGKILL)
            server.wait(10)
        assert count(engine, "SELECT count(*) FROM batches WHERE batch_id = 'B-1'") == 0
        # Same client id: the broker finds its persistent session and redelivers the event.
        server = _server(broker, database_url, "ingest-a", log)
        (ack,) = acks_of(ln, [event], 20)
    finally:
        server.kill()
        server.wait(10)
        ln.close()
    assert (ack.event_id, ack.outcome) == (event.event_id, Outcome.ACCEPTED)
    assert count(engine, "SELECT count(*) FROM batches WHERE batch_id = 'B-1'") == 1
    assert count(engine, f"SELECT count(*) FROM event_log WHERE event_id = '{event.event_id}'") == 1


def test_three_ingest_processes_leave_exactly_one_winner_per_conflict(
    engine: Engine, database_url: str, broker: PrivateBroker, tmp_path: Path
) -> None:
    setup = Station("setup")
    plants = [uid(i) for i in range(1, 41)]
    spare = [uid(i) for i in range(101, 121)]
    ln = link(broker, setup)
    log = tmp_path / "servers.log"
    servers = [_server(broker, database_url, f"ingest-{n}", log) for n in range(3)]
    rivals = [Station("harvest-a"), Station("harvest-b")]
    links = [link(broker, s) for s in rivals]
    try:
        _wait_subscribed(broker, ln, setup, engine)
        # All three connected before the rivals publish: a fast ingest can otherwise be
        # done before the last process has subscribed. (On PostgreSQL each licensee has one
        # owner among the three, and ownership may move while the rivals publish.)
        deadline = time.monotonic() + 30
        while log.read_text().count("connected to 127.0.0.1") < 3:
            assert time.monotonic() < deadline, "not every ingest process subscribed"
            time.sleep(0.1)
        if engine.dialect.name == "postgresql":
            wait_settled(engine, 3)
        floor = [
            *(setup.event(p) for p in to_flowering("B-1", 40, plants, tags=(1, 200))),
            setup.event(batch_created("B-2", 30)),
        ]
        for ev in floor:
            ln.publish(ev)
        assert all(a.outcome is Outcome.ACCEPTED for a in acks_of(ln, floor))
        # Two stations, the same 40 plants harvested and the same 20 spare UIDs tagged,
        # interleaved, across three ingest processes.
        sent = 0
        for i, plant in enumerate(plants):
            for s, rival_link in zip(rivals, links, strict=True):
                rival_link.publish(s.event(harvested(plant, f"{300 + i}.5", harvest_batch="HB-1")))
                sent += 1
                if i < len(spare):
                    rival_link.publish(s.event(tagged("B-2", [spare[i]])))
                    sent += 1
        outcomes = [a for rl in links for a in acks_for(rl, sent // 2, timeout=60)]
    finally:
        stop_servers(servers)
        for rl in [ln, *links]:
            rl.close()
    assert len(outcomes) == sent
    accepted = [a for a in outcomes if a.outcome is Outcome.ACCEPTED]
    assert len(accepted) == len(plants) + len(spare)  # one winner each
    for a in outcomes:
        if a.outcome is Outcome.REJECTED:
            assert {v.rule_id for v in a.violations} <= {"PHASE-ORDER", "TAG-ONE-ITEM"}, a
    with engine.connect() as conn:
        harvests = (
            conn.execute(
                sa.text(
                    "SELECT json_extract(body, '$.payload.uid') FROM event_log "
                    "WHERE kind = 'plant.harvested' AND outcome = 'accepted'"
                    if engine.dialect.name == "sqlite"
                    else "SELECT (body::json -> 'payload' ->> 'uid') FROM event_log "
                    "WHERE kind = 'plant.harvested' AND outcome = 'accepted'"
                )
            )
            .scalars()
            .all()
        )
        assert sorted(harvests) == sorted(plants)
        hb = conn.execute(
            sa.text("SELECT plant_count FROM harvest_batches WHERE name = 'HB-1'")
        ).scalar_one()
        b2 = conn.execute(
            sa.text("SELECT untagged_count, tagged_count FROM batches WHERE batch_id = 'B-2'")
        ).one()
        assigned = conn.execute(
            sa.text("SELECT count(*) FROM tags WHERE status = 'assigned'")
        ).scalar_one()
    assert hb == len(plants)
    assert tuple(b2) == (30 - len(spare), len(spare))
    assert assigned == len(plants) + len(spare)
    # Every process took part: in the shared group on SQLite, in the licensee leases on
    # PostgreSQL.
    text = log.read_text()
    if engine.dialect.name == "sqlite":
        assert json.dumps(text).count("subscribed to the shared group") >= 3
    else:
        assert text.count("subscribing to the licensees it owns") >= 3
        assert "owns 1 licensee(s)" in text  # two licensees, three processes: shared out


def test_out_of_order_delivery_is_applied_in_station_order(
    station: Station, ln: StationLink, engine: Engine
) -> None:
    events = [
        station.event(tags_received(1, 10)),
        station.event(batch_created("B-1", 5)),
        station.event(tagged("B-1", [uid(1), uid(2)])),
    ]
    for ev in reversed(events):  # as after a reconnect that replays out of order
        ln.publish(ev)
    acks = acks_for(ln, 3)
    assert [(a.sequence, a.outcome) for a in acks] == [
        (1, Outcome.ACCEPTED),
        (2, Outcome.ACCEPTED),
        (3, Outcome.ACCEPTED),
    ]
    with engine.connect() as conn:
        order = conn.execute(
            sa.text(
                "SELECT sequence FROM event_log WHERE station_id <> 'console' ORDER BY position"
            )
        ).scalars()
        assert list(order) == [1, 2, 3]


def test_an_event_breaking_several_rules_gets_every_violation_in_its_ack(
    station: Station, ln: StationLink, engine: Engine
) -> None:
    """A cancelled worker starts a second batch B-1 of 150 plants in the canopy: four rules,
    each named in the ack with its citation and a message."""
    register_worker(engine, LICENCE, "sam.temp", "Sam Temp", date(2024, 3, 1), pinned_clock())
    for payload in (
        UserCancelled(user_id="sam.temp", reason="Contract ended"),
        LocationAdded(name="Flower 1", location_kind=LocationKind.CANOPY, premises="1 Farm Road"),
    ):
        assert (
            submit(engine, LICENCE, MANAGER, payload, clock=SYSTEM_CLOCK).outcome
            is Outcome.ACCEPTED
        )
    first = station.event(batch_created("B-1", 10))
    bad = station.event(
        {**batch_created("B-1", 150), "location": "Flower 1"}, operator_id="sam.temp"
    )
    ln.publish(first)
    ln.publish(bad)
    acks = {a.event_id: a for a in acks_for(ln, 2)}
    assert acks[first.event_id].outcome is Outcome.ACCEPTED
    rejection = acks[bad.event_id]
    assert rejection.outcome is Outcome.REJECTED
    got = {v.rule_id: v for v in rejection.violations}
    assert sorted(got) == [
        "BATCH-ID-UNIQUE",
        "BATCH-MAX-100",
        "PLANT-TAGGED-TO-FLOWER",
        "USER-AUTHORISED",
    ]
    for rule_id, words in {
        "BATCH-ID-UNIQUE": "Batch B-1 already exists",
        "BATCH-MAX-100": "Batch B-1 would hold 150 plants",
        "PLANT-TAGGED-TO-FLOWER": "untagged plants in canopy area Flower 1",
        "USER-AUTHORISED": "sam.temp's access was cancelled on",
    }.items():
        citation = CATALOGUE[rule_id].cite("OR")  # the licensee's own state's only
        assert got[rule_id].citation == citation
        assert words in got[rule_id].message
        assert got[rule_id].message.endswith(f"({citation})")
    assert count(engine, "SELECT initial_count FROM batches WHERE batch_id = 'B-1'") == 10
