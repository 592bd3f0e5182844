"""The audit trail read through the log's item index (server.store.items), on SQLite and
PostgreSQL: the same entries as the body search it replaced, over a varied history; the index
written by the ingest, derived by the migration and checked and rebuilt by ``db rebuild``."""

import json
import typing
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from schemas.clock import SYSTEM_CLOCK
from schemas.events import EventEnvelope, Payload, RecordCorrected, tag_range
from server.console.queries import trail
from server.console.queries.feed import JURISDICTION, row_from_log
from server.db.engine import alembic_config, current_revision, head_revision, migrate
from server.ingest.submit import submit
from server.store import items, rebuild
from tests.server import domain as d
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import PLANTS, floor_day, send, staff
from tests.server.floor import MANAGER, batch_created, flowering, harvested, tagged, uid

L, EI = trail.L, trail.EI
MANY = [uid(n) for n in range(7, 47)]  # forty plants tagged in one event
ODD = 'B "7",{x}\\y'  # quotes, a comma, braces and a backslash: escaped in JSON and arrays


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _roll_covers(body: str, item: str) -> bool:
    payload = json.loads(body).get("payload", {})
    first, last = payload.get("first"), payload.get("last")
    if not isinstance(first, str) or not isinstance(last, str) or len(item) != len(first):
        return False
    try:
        return item in tag_range(first, last)
    except ValueError:
        return False


def by_body_search(engine: Engine, licences: Sequence[str], item: str) -> list[trail.TrailEntry]:
    """The trail as it was read before the index: every body of the licensees' log searched
    for the item as a JSON string, every received roll expanded, every correction's body
    searched for the events found (kept here as the oracle)."""
    lic = L.c.licence.in_(list(licences))
    named = sa.select(L, JURISDICTION).where(
        lic, L.c.body.like(_like(json.dumps(item)), escape="\\")
    )
    rolls = sa.select(L, JURISDICTION).where(
        lic, L.c.kind == "tags.received", L.c.body.like('%"first":"%')
    )
    with engine.connect() as conn:
        rows = {r.position: row_from_log(r) for r in conn.execute(named)}
        for r in conn.execute(rolls):
            if r.position not in rows and _roll_covers(r.body, item):
                rows[r.position] = row_from_log(r)
        for event_id in [row.event_id for row in rows.values()]:
            found = conn.execute(
                sa.select(L, JURISDICTION).where(
                    lic,
                    L.c.kind == "record.corrected",
                    L.c.body.like(_like(f'"corrects":"{event_id}"'), escape="\\"),
                )
            )
            for r in found:
                rows.setdefault(r.position, row_from_log(r))
    return trail.pair(sorted(rows.values(), key=lambda e: e.position))


def shape(entries: list[trail.TrailEntry]) -> list[tuple[str, str, list[str]]]:
    return [(e.event.kind, e.event.event_id, [c.event_id for c in e.corrections]) for e in entries]


def varied_history(engine: Engine) -> dict[str, str]:
    """The floor day (a roll of plant tags 1-50, B-1, six plants tagged, flowered, three
    harvested into HB-1, the rejected B-2), then: li.wong registered; B-12 with forty plants
    tagged in one event and flowered, one harvested into HB-10; a refused tagging of a plant
    already tagged; a package from HB-1; the first harvest flagged and corrected. Returns
    the event ids of the first harvest and of its correction."""
    stations = floor_day(engine)
    harvest = stations["harvest"]
    staff(engine)
    for payload in (
        batch_created("B-12", 60),
        tagged("B-12", MANY),
        flowering(MANY),
        harvested(MANY[0], "401.5", harvest_batch="HB-10"),
    ):
        assert send(engine, harvest, payload).outcome.value == "accepted"
    assert send(engine, harvest, batch_created(ODD, 3)).outcome.value == "accepted"
    refused = send(engine, harvest, tagged("B-1", [PLANTS[0]]))
    assert refused.outcome.value == "rejected"
    assert send(engine, harvest, d.package_tags_received(1, 5)).outcome.value == "accepted"
    ack = send(engine, harvest, d.package_created(d.package_uid(1), [("HB-1", "100")]))
    assert ack.outcome.value == "accepted", ack
    [first] = [
        e.event
        for e in trail.entries(engine, [LICENCE], PLANTS[0])
        if e.event.kind == "plant.harvested"
    ]
    assert send(engine, harvest, d.record_flagged(first.event_id)).outcome.value == "accepted"
    correction = submit(
        engine,
        LICENCE,
        MANAGER,
        RecordCorrected.model_validate(
            {
                "corrects": first.event_id,
                "reason": "the scale was not zeroed",
                "discovered_at": datetime.now(UTC).isoformat(),
                "replacement": harvested(PLANTS[0], "500.0", harvest_batch="HB-1"),
            }
        ),
        clock=SYSTEM_CLOCK,
    )
    assert correction.outcome.value == "accepted", correction
    return {"harvest": first.event_id, "correction": correction.event_id}


def items_to_follow(ids: dict[str, str]) -> list[str]:
    return [
        *PLANTS,
        MANY[0],
        MANY[20],
        uid(47),  # received in the roll, never used
        uid(50),  # the roll's last
        "B-1",
        "B-12",
        "B-2",
        ODD,
        "HB-1",
        "HB-10",
        d.package_uid(1),
        d.package_uid(3),
        "maria.lopez",
        "sam.ortiz",
        "li.wong",
        ids["harvest"],
        ids["correction"],
        "%",
        "nothing-by-this-name",
    ]


def test_the_indexed_trail_is_the_body_search_over_a_varied_history(engine: Engine) -> None:
    ids = varied_history(engine)
    for item in items_to_follow(ids):
        for licences in ([LICENCE], [LICENCE, OTHER_LICENCE], [OTHER_LICENCE]):
            assert shape(trail.entries(engine, licences, item)) == shape(
                by_body_search(engine, licences, item)
            ), (item, licences)
    plant = shape(trail.entries(engine, [LICENCE], PLANTS[0]))
    assert [kind for kind, _, _ in plant] == [
        "tags.received",  # the roll covers it
        "plants.tagged",
        "plants.phase_changed",
        "plant.harvested",
        "plants.tagged",  # refused: an attempt is part of the record
    ]
    assert plant[3][2] == [ids["correction"]]  # the correction beside the harvest
    harvest = shape(trail.entries(engine, [LICENCE], ids["harvest"]))
    assert harvest == [  # the event of that ID, the flag naming it, the correction beside
        ("plant.harvested", ids["harvest"], [ids["correction"]]),
        ("record.flagged", harvest[1][1], []),
    ]
    assert len(shape(trail.entries(engine, [LICENCE], MANY[20]))) == 3  # roll, tagged, flowered


def test_an_item_whose_name_holds_another_does_not_take_its_events(engine: Engine) -> None:
    """B-1 is in B-12 and HB-1 in HB-10: each trail holds only its own item's events (as the
    body search did: it matched the name between quotes)."""
    varied_history(engine)
    b1 = trail.entries(engine, [LICENCE], "B-1")
    assert {e.event.kind for e in b1} == {"plant_batch.created", "plants.tagged"}
    assert all('"B-12"' not in e.event.summary for e in b1)
    b12 = trail.entries(engine, [LICENCE], "B-12")
    assert [e.event.kind for e in b12] == ["plant_batch.created", "plants.tagged"]
    hb10 = trail.entries(engine, [LICENCE], "HB-10")
    assert [e.event.kind for e in hb10] == ["plant.harvested"]
    assert len(trail.entries(engine, [LICENCE], "HB-1")) == 4  # three harvests, a package
    assert trail.entries(engine, [LICENCE], "B-") == []
    assert trail.entries(engine, [LICENCE], PLANTS[0][:-1]) == []


def test_a_name_beyond_ascii_is_found(engine: Engine) -> None:
    """The body search looked for the name as ``json.dumps`` writes it (``\\u00fc``), while
    the stored body holds the character itself, so it found nothing; the index finds it."""
    harvest = floor_day(engine)["harvest"]
    assert send(engine, harvest, batch_created("Blüte-1", 3)).outcome.value == "accepted"
    assert [e.event.kind for e in trail.entries(engine, [LICENCE], "Blüte-1")] == [
        "plant_batch.created"
    ]
    assert by_body_search(engine, [LICENCE], "Blüte-1") == []


def _leaves(annotation: object) -> set[object]:
    """The types an annotation is made of, through Optional, unions, lists and Annotated."""
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    if typing.get_origin(annotation) is typing.Annotated:
        return _leaves(args[0])
    if typing.get_origin(annotation) is typing.Literal:
        return {typing.Literal}
    return set().union(*(_leaves(a) for a in args))


def _string_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """The names of the free string fields (a string, or a list of them: not an enum, not a
    literal) of ``model`` and of the models it holds, at any depth."""
    out: set[str] = set()
    for name, info in model.model_fields.items():
        leaves = _leaves(info.annotation)
        if str in leaves:
            out.add(name)
        for t in leaves:
            if isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
                seen.add(t)
                out |= _string_fields(t, seen)
    return out


def test_every_string_field_of_every_event_is_an_item_or_not_one() -> None:
    fields = _string_fields(EventEnvelope, set())
    payloads = typing.get_args(typing.get_args(Payload)[0])
    assert len(payloads) > 30
    for payload in payloads:
        fields |= _string_fields(payload, set())
    envelope = {"event_id", "licence", "station_id", "device_id", "operator_id"}
    undecided = fields - items.ITEM_KEYS - items.NOT_ITEM_KEYS - envelope
    assert undecided == set()
    assert not items.ITEM_KEYS & items.NOT_ITEM_KEYS
    assert {"uid", "uids", "harvest_batch", "batch_id", "manifest_id", "corrects"} <= fields


def _index(engine: Engine) -> set[tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(EI.c.licence, EI.c.item, EI.c.chain_index))
        return {(r[0], r[1], int(r[2])) for r in rows}


def test_the_ingest_writes_the_index_with_the_log_and_rebuild_checks_it(engine: Engine) -> None:
    varied_history(engine)
    written = _index(engine)
    assert (LICENCE, MANY[39], _chain_index(engine, "plants.tagged", MANY[39])) in written
    with engine.connect() as conn:
        assert items.differences(conn, keep=False) == []
        log = conn.execute(sa.select(L.c.licence, L.c.chain_index, L.c.body)).all()
    assert written == {(lic, i, n) for lic, n, body in log for i in items.named(body)}
    with engine.begin() as conn:
        conn.execute(EI.delete().where(EI.c.item == "HB-1"))
        conn.execute(EI.insert().values(licence=LICENCE, item="HB-1", chain_index=10**9))
    _, diff = rebuild.verify(engine, keep=False)
    assert [line for line in diff if "HB-1'" in line and "only before" in line] == [
        f"event_items: only before rebuild: {(LICENCE, 'HB-1', 10**9)}"
    ]
    # three harvests, the package and the correction's replacement name HB-1
    assert len([line for line in diff if "only after" in line]) == 5
    assert _index(engine) != written  # a check changes nothing
    _, diff = rebuild.verify(engine, keep=True)
    assert len(diff) == 6
    assert _index(engine) == written
    assert rebuild.verify(engine, keep=False)[1] == []


def _chain_index(engine: Engine, kind: str, item: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(L.c.chain_index).where(L.c.kind == kind, L.c.body.like(f'%"{item}"%'))
            ).scalar_one()
        )


def test_the_migration_derives_the_index_of_a_stored_log(engine: Engine) -> None:
    ids = varied_history(engine)
    written = _index(engine)
    before = {i: shape(trail.entries(engine, [LICENCE], i)) for i in items_to_follow(ids)}
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0017")
    assert not sa.inspect(engine).has_table("event_items")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _index(engine) == written
    assert {i: shape(trail.entries(engine, [LICENCE], i)) for i in before} == before
