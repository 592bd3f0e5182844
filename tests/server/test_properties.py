"""Property tests: whatever random floor events arrive, in whatever order, the accepted ones
never leave a batch above 100 plants, a UID on two items, a retired UID assigned again, or a
harvested plant changing phase. Runs through the real pipeline on SQLite and PostgreSQL; each
example is a fresh licensee with trained staff."""

import itertools
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import SYSTEM_CLOCK
from server.ingest.pipeline import Pipeline
from server.store.licensees import add_licensee
from server.store.rebuild import verify
from tests.pinned import START, pinned_clock
from tests.server import domain as d
from tests.server.conftest import register_staff
from tests.server.floor import Station, batch_created, flowering, harvested, tagged, uid
from tests.server.test_pipeline import run
from tests.sql import rows

HB = "HB-P"
# uid(n): plant tags 1-5 (6 is never delivered), package tags 11-12. Few UIDs and batches, so
# random events often meet the same items: tagged, flowered, harvested, retired, reused.
PLANT_UIDS = st.integers(min_value=1, max_value=6)
UIDS = st.one_of(PLANT_UIDS, st.integers(min_value=11, max_value=12))
_licences = itertools.count(1)


def _uid_list(max_size: int = 2) -> st.SearchStrategy[list[int]]:
    return st.lists(PLANT_UIDS, min_size=1, max_size=max_size, unique=True)


def _retire(n: int) -> dict[str, Any]:
    return {"kind": "tag.retired", "uid": uid(n), "reason": "Damaged"}


def _destroy(n: int) -> dict[str, Any]:
    return {
        "kind": "plant.destroyed",
        "uid": uid(n),
        "waste_weight": {"value": "200", "unit": "g"},
        "method": "compost",
        "reason": "Mould",
    }


def _package(n: int) -> dict[str, Any]:
    return d.package_created(uid(n), [(HB, "10")])


def _moved(ns: list[int]) -> dict[str, Any]:
    return {"kind": "plants.moved", "uids": [uid(n) for n in ns], "location": "Flower 2"}


def _received(ns: list[int]) -> dict[str, Any]:
    return {"kind": "tags.received", "tag_type": "plant", "uids": [uid(n) for n in ns]}


def _story(n: int, steps: int, destroy: bool) -> list[dict[str, Any]]:
    """One UID's life, cut short after ``steps``: tagged, flowered, harvested or destroyed,
    its tag retired, then misuse: tagged again, flowered again, packaged, harvested again."""
    end = _destroy(n) if destroy else harvested(uid(n), "450", harvest_batch=HB)
    life = [tagged("B-1", [uid(n)]), flowering([uid(n)]), end, _retire(n)]
    misuse = [tagged("B-1", [uid(n)]), flowering([uid(n)]), _package(n), end]
    return (life + misuse)[:steps]


def _package_story(n: int, steps: int) -> list[dict[str, Any]]:
    """A package tag used, used again, retired, used once more."""
    return [_package(n), _package(n), _retire(n), _package(n)][:steps]


STORIES = st.lists(
    st.one_of(
        st.builds(_story, PLANT_UIDS, st.integers(1, 8), st.booleans()),
        st.builds(_package_story, st.integers(11, 12), st.integers(1, 4)),
    ),
    min_size=1,
    max_size=6,
)
# Anything else, at random: batches of any size, lists of UIDs, packages, more tags.
NOISE = st.one_of(
    st.builds(batch_created, st.sampled_from(["B-1", "B-2"]), st.integers(1, 130)),
    st.builds(lambda ns: tagged("B-2", [uid(n) for n in ns]), _uid_list()),
    st.builds(lambda ns: flowering([uid(n) for n in ns]), _uid_list()),
    st.builds(_moved, _uid_list()),
    st.builds(lambda n: harvested(uid(n), "450", harvest_batch=HB), PLANT_UIDS),
    st.builds(_retire, UIDS),
    st.builds(_package, UIDS),
    st.builds(_received, st.lists(UIDS, min_size=1, max_size=3, unique=True)),
)
# Every example starts with tags delivered, a batch to tag from and a harvest batch to package
# from (plant 5, harvested: later stories about it must all be refused), then random events.
SETUP = [
    {"kind": "tags.received", "tag_type": "plant", "first": uid(1), "last": uid(5)},
    {"kind": "tags.received", "tag_type": "package", "first": uid(11), "last": uid(12)},
    batch_created("B-1", 60),
    tagged("B-1", [uid(5)]),
    flowering([uid(5)]),
    harvested(uid(5), "450", harvest_batch=HB),
]


def _interleave(lists: list[list[dict[str, Any]]], rnd: random.Random) -> list[dict[str, Any]]:
    """Merge the lists at random, each keeping its order, then swap a few neighbours: the
    stories mostly happen in order, sometimes not."""
    queues = [list(q) for q in lists if q]
    merged = []
    while queues:
        q = rnd.choice(queues)
        merged.append(q.pop(0))
        if not q:
            queues.remove(q)
    for i in range(len(merged) - 1):
        if rnd.random() < 0.1:
            merged[i], merged[i + 1] = merged[i + 1], merged[i]
    return merged


def _assigned(payload: dict[str, Any]) -> list[str]:
    if payload["kind"] == "plants.tagged":
        return list(payload["uids"])
    return [payload["uid"]] if payload["kind"] == "package.created" else []


def _plants_changed(payload: dict[str, Any]) -> list[str]:
    if payload["kind"] in ("plants.phase_changed", "plants.moved"):
        return list(payload["uids"])
    return [payload["uid"]] if payload["kind"] in ("plant.harvested", "plant.destroyed") else []


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stories=STORIES, noise=st.lists(NOISE, max_size=15), shuffle=st.randoms())
def test_random_floor_events_never_break_the_record(
    engine: Engine,
    stories: list[list[dict[str, Any]]],
    noise: list[dict[str, Any]],
    shuffle: random.Random,
) -> None:
    events = _interleave([*stories, noise], shuffle)
    licence = f"PROP-{next(_licences)}"
    add_licensee(
        engine, licence=licence, name="Prop Farm", jurisdiction="OR", timezone="UTC", now=START
    )
    register_staff(engine, licence, pinned_clock())
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station(licence=licence)
    retired: set[str] = set()
    for payload in SETUP:
        (ack,) = run(pipeline, station, station.event(payload))
        assert ack.outcome is Outcome.ACCEPTED, ack
    harvested_plants: set[str] = {uid(5)}
    assigned: set[str] = {uid(5)}
    for payload in events:
        (ack,) = run(pipeline, station, station.event(payload))
        if ack.outcome is not Outcome.ACCEPTED:
            continue
        for u in _assigned(payload):
            assert u not in assigned, f"UID {u} put on a second item by {payload}"
            assert u not in retired, f"retired UID {u} assigned again by {payload}"
            assigned.add(u)
        for u in _plants_changed(payload):
            assert u not in harvested_plants, f"harvested plant {u} changed by {payload}"
        if payload["kind"] == "plant.harvested":
            harvested_plants.add(payload["uid"])
        if payload["kind"] == "tag.retired":
            retired.add(payload["uid"])
    # None of what the rules forbid is in the projections: a batch over 100 plants or below
    # zero, a plant that is a package too, a harvested plant in another phase.
    for sql in (
        "SELECT batch_id FROM batches WHERE licence = :l AND "
        "(initial_count > 100 OR untagged_count > 100 OR untagged_count < 0)",
        "SELECT p.uid FROM plants p JOIN packages k ON k.licence = p.licence AND "
        "k.uid = p.uid WHERE p.licence = :l",
        "SELECT uid FROM plants WHERE licence = :l AND harvested_at IS NOT NULL "
        "AND phase <> 'harvested'",
    ):
        assert rows(engine, sql, l=licence) == [], sql
    for per_event in (False, True):  # the ingest's batched code and the reference agree
        assert verify(engine, keep=False, per_event=per_event)[1] == []
