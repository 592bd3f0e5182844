"""Reconciliation with Metrc: what the state holds against what we hold, difference by
difference, with what to do; nothing is changed on either side (docs/sync.md,
Reconciliation; SECONDARY-SYNC, OAR 845-025 CTS Requirements (7)).

:func:`reconcile_metrc` reads Metrc's plant batches, plants (vegetative, flowering, inactive),
harvests, packages, available tags, incoming and outgoing transfers and sales receipts, page
by page (20 a page, waiting out any 429), and compares them with our projections
(``batches``, ``plants``, ``harvest_batches``; packages and the tag ledger:
:mod:`server.statesync.reconcile_product`; incoming transfers:
:mod:`server.statesync.reconcile_transfers`; outgoing: :mod:`server.statesync.reconcile_outgoing`;
sales: :mod:`server.statesync.reconcile_sales`):

- an object on one side only (``missing at Metrc`` / ``missing here``);
- a batch's untagged, tagged or destroyed count, a plant's phase or location, a harvest's
  plant count or wet weight that differ.

:func:`reconcile_biotrack` reads BioTrack's plants (``sync_plant`` from the first
transaction) and compares each with our plant of the same id (``sync_objects``): a plant on
one side only, its state (growing, drying or cured, destroyed) and its room; each batch's
untagged plants (our count against its growing plants not paired with a tag); its inventory
(``sync_inventory``): packages and each harvest's cured flower
(:mod:`server.statesync.reconcile_inventory`); its manifests (``sync_manifest``) and sales
(``sync_sale``).

Calls still waiting in our queue explain some differences: the report says how many wait, and
a difference about an object named by a waiting call or event says so.
"""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.statesync.biotrack_client import BioTrackApi
from server.statesync.errors import RateLimited
from server.statesync.mapping import TABLES
from server.statesync.metrc_client import PLANT_LISTS, MetrcApi
from server.statesync.metrc_models import Harvest as MetrcHarvest
from server.statesync.metrc_models import Plant as MetrcPlant
from server.statesync.metrc_models import PlantBatch as MetrcPlantBatch
from server.statesync.queue import CALLS, LOG, OPEN, get_link
from server.statesync.reconcile_inventory import inventory_differences, read_inventory
from server.statesync.reconcile_outgoing import (
    biotrack_manifest_differences,
    outgoing_differences,
    read_outgoing,
)
from server.statesync.reconcile_product import product_differences, read_ours
from server.statesync.reconcile_sales import (
    biotrack_sales,
    metrc_sales,
    read_sales,
    sale_differences,
)
from server.statesync.reconcile_transfers import incoming_differences, read_incoming

__all__ = ["WAITING", "Difference", "Report", "reconcile_biotrack", "reconcile_metrc"]

T = TypeVar("T")
PHASES = {"Vegetative": "vegetative", "Flowering": "flowering"}
INACTIVE = {"Harvested": "harvested", "Destroyed": "destroyed"}


# What is compared of a batch, a plant and a harvest: (what, ours, Metrc's), both shown as text.
Compared = Iterator[tuple[str, object, object]]


def _batch_fields(ours: Any, theirs: MetrcPlantBatch) -> Compared:
    yield "untagged count", ours.untagged_count, theirs.untracked_count
    yield "tagged count", ours.tagged_count, theirs.tracked_count
    yield "destroyed count", ours.destroyed_count, theirs.destroyed_count


def _plant_fields(ours: Any, theirs: MetrcPlant) -> Compared:
    phase = INACTIVE.get(theirs.state) or PHASES.get(
        theirs.growth_phase, theirs.growth_phase.lower()
    )
    yield "phase", ours.phase, phase
    if ours.phase in ("vegetative", "flowering"):
        yield "location", ours.location, theirs.location_name


def _harvest_fields(ours: Any, theirs: MetrcHarvest) -> Compared:
    yield "plant count", ours.plant_count, theirs.plant_count
    ours_grams = Decimal(ours.wet_weight_grams).normalize()
    yield "wet weight (g)", ours_grams, Decimal(theirs.total_wet_weight).normalize()


METRC_FIELDS: dict[str, Callable[[Any, Any], Compared]] = {
    "batch": _batch_fields,
    "plant": _plant_fields,
    "harvest": _harvest_fields,
}


@dataclass(frozen=True)
class Difference:
    subject_type: str  # batch | plant | harvest
    subject_id: str
    what: str  # missing at Metrc | missing here | the field that differs
    ours: str | None
    theirs: str | None
    advice: str


@dataclass(frozen=True)
class Report:
    licence: str
    waiting: int  # calls open in our queue, and accepted events not planned into calls yet
    differences: list[Difference]


def _all(fetch: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Every row of a paged list: ``fetch(*args, page=n, **kwargs)`` for n = 1, 2, ..."""
    page, waited, max_wait_s = 1, 0.0, 60.0
    while True:
        try:
            got = fetch(*args, page=page, **kwargs)
        except RateLimited as err:
            if waited + err.retry_after_s > max_wait_s:
                raise
            time.sleep(err.retry_after_s)  # Metrc asked us to wait; a read is simply repeated
            waited += err.retry_after_s
            continue
        yield from got.data
        if page >= got.total_pages:
            return
        page += 1


# The advice of a difference that a call or event still waiting in our queue explains.
WAITING = "an event about it still waits in our queue: check again once it is filed"


def _advice(waiting: set[str], key: str, fix: str) -> str:
    return WAITING if key in waiting else fix


def _waiting(conn: sa.Connection, licence: str) -> list[str]:
    """The plans of the licensee's open calls and the bodies of its accepted events not
    planned yet (of kinds that file anything)."""
    plans = list(
        conn.execute(
            sa.select(CALLS.c.plan).where(CALLS.c.licence == licence, CALLS.c.status.in_(OPEN))
        ).scalars()
    )
    link = get_link(conn, licence)
    plans += conn.execute(
        sa.select(LOG.c.body).where(
            LOG.c.licence == licence,
            LOG.c.outcome == "accepted",
            LOG.c.position > link.cursor,
            LOG.c.kind.in_(list(TABLES[link.system])),
        )
    ).scalars()
    return plans


BIOTRACK_STATE = {
    "vegetative": "growing",
    "flowering": "growing",
    "immature": "growing",
    "harvested": "drying or cured",
    "destroyed": "destroyed",
}


def reconcile_biotrack(engine: Engine, api: BioTrackApi, licence: str) -> Report:
    """Every difference between BioTrack's plants of ``licence`` and ours."""
    with engine.connect() as conn:
        ours = conn.execute(
            sa.text(
                "SELECT p.uid, p.phase, p.location, o.state_id FROM plants p LEFT JOIN "
                "sync_objects o ON o.licence = p.licence AND o.system = 'biotrack' "
                "AND o.kind = 'plant' AND o.key = p.uid WHERE p.licence = :l"
            ),
            {"l": licence},
        ).all()
        rooms: dict[str, str] = dict(
            conn.execute(
                sa.text(
                    "SELECT state_id, key FROM sync_objects WHERE licence = :l "
                    "AND system = 'biotrack' AND kind = 'room'"
                ),
                {"l": licence},
            ).all()
        )
        untagged_of: dict[str, list[str]] = {
            key: [str(i) for i in json.loads(data).get("untagged", [])]
            for key, data in conn.execute(
                sa.text(
                    "SELECT key, data FROM sync_objects WHERE licence = :l AND system = 'biotrack' "
                    "AND kind = 'batch'"
                ),
                {"l": licence},
            )
        }
        batch_ids = {i for ids in untagged_of.values() for i in ids}
        untagged_here: dict[str, int] = dict(
            conn.execute(
                sa.text("SELECT batch_id, untagged_count FROM batches WHERE licence = :l"),
                {"l": licence},
            ).all()
        )
        manifest_ids: dict[str, str] = dict(
            conn.execute(
                sa.text(
                    "SELECT key, state_id FROM sync_objects WHERE licence = :l "
                    "AND system = 'biotrack' AND kind = 'manifest'"
                ),
                {"l": licence},
            ).all()
        )
        plans = _waiting(conn, licence)
        inventory = read_inventory(conn, licence)
        outgoing = read_outgoing(conn, licence)
        sales = read_sales(conn, licence)
    theirs = {str(p["id"]): p for p in api.sync("plant", 0)}
    found: list[Difference] = []

    def report(
        kind: str, key: str, what: str, ours: str | None, theirs: str | None, fix: str
    ) -> None:
        found.append(Difference(kind, key, what, ours, theirs, fix))

    def waits(key: str, fix: str) -> str:
        return WAITING if any(key in plan for plan in plans) else fix

    def queued(
        kind: str, key: str, what: str, ours: str | None, theirs: str | None, fix: str
    ) -> None:
        report(kind, key, what, ours, theirs, waits(key, fix))

    inventory_differences(inventory, api.sync("inventory", 0), report, waits)
    biotrack_manifest_differences(
        (manifest_ids, inventory["ids"]), outgoing, api.sync("manifest", 0), queued
    )
    sold = biotrack_sales(api.sync("sale", 0), inventory["ids"])
    sale_differences(sales, sold, "BioTrack", queued)
    _untagged_differences(untagged_here, untagged_of, theirs, queued)
    for p in ours:
        key = p.uid
        waiting = any(key in plan for plan in plans)
        if p.state_id is None or p.state_id not in theirs:
            fix = "file it at BioTrack (see its events' state calls), or correct our plant"
            advice = _advice({key} if waiting else set(), key, fix)
            found.append(Difference("plant", key, "missing at BioTrack", "present", None, advice))
            continue
        t = theirs[p.state_id]
        want = BIOTRACK_STATE.get(p.phase, p.phase)
        state = "drying or cured" if t["state"] in ("drying", "cured") else t["state"]
        fix = "find which is right; correct it here (record.corrected) or at BioTrack"
        if state != want:
            advice = _advice({key} if waiting else set(), key, fix)
            found.append(Difference("plant", key, "state", want, str(t["state"]), advice))
        if want == "growing" and rooms.get(str(t.get("room"))) != p.location:
            advice = _advice({key} if waiting else set(), key, fix)
            room = rooms.get(str(t.get("room")), f"room {t.get('room')}")
            found.append(Difference("plant", key, "room", p.location, room, advice))
    known = {p.state_id for p in ours} | batch_ids
    for state_id in theirs.keys() - known:
        if theirs[state_id]["state"] != "growing":
            continue  # untagged plants destroyed from a batch: we count those per batch
        fix = "enter the plant here, or find why BioTrack has it"
        found.append(Difference("plant", state_id, "missing here", None, "present", fix))
    return Report(licence, len(plans), found)


def _untagged_differences(
    ours: dict[str, int],
    untagged_of: dict[str, list[str]],
    plants: dict[str, dict[str, Any]],
    report: Callable[[str, str, str, str | None, str | None, str], None],
) -> None:
    """Each batch's untagged plants: our count against BioTrack's growing plants among the
    ids ``plant_new`` gave the batch that no tag has been paired with yet."""
    for batch, count in ours.items():
        ids = untagged_of.get(batch)
        if ids is None:
            if count > 0:
                fix = "file it at BioTrack (see its events' state calls), or correct our batch"
                report("batch", batch, "missing at BioTrack", f"{count} untagged", None, fix)
            continue
        growing = sum(1 for i in ids if plants.get(i, {}).get("state") == "growing")
        if growing != count:
            fix = "find which is right; correct it here (record.corrected) or at BioTrack"
            report("batch", batch, "untagged count", str(count), str(growing), fix)


def reconcile_metrc(engine: Engine, api: MetrcApi, licence: str, *, now: datetime) -> Report:
    """Every difference between Metrc's records of ``licence`` and ours (``now``: which
    incoming transfers should have arrived)."""
    with engine.connect() as conn:
        ours_batches = {
            r.batch_id: r
            for r in conn.execute(
                sa.text(
                    "SELECT batch_id, untagged_count, tagged_count, destroyed_count "
                    "FROM batches WHERE licence = :l"
                ),
                {"l": licence},
            )
        }
        ours_plants = {
            r.uid: r
            for r in conn.execute(
                sa.text("SELECT uid, phase, location FROM plants WHERE licence = :l"),
                {"l": licence},
            )
        }
        ours_harvests = {
            r.name: r
            for r in conn.execute(
                sa.text(
                    "SELECT name, plant_count, wet_weight_grams FROM harvest_batches "
                    "WHERE licence = :l"
                ),
                {"l": licence},
            )
        }
        plans = _waiting(conn, licence)
        waiting_calls = len(plans)
        product = read_ours(conn, licence)
        incoming = read_incoming(conn, licence)
        outgoing = read_outgoing(conn, licence)
        sales = read_sales(conn, licence)
    # What the waiting calls and events name (batch ids, UIDs, harvest names appear in them).
    names = (
        *ours_batches,
        *ours_plants,
        *ours_harvests,
        *product["packages"],
        *(uid for _kind, uid in product["tags"]),
        *incoming,
        *outgoing,
        *sales,
    )
    waiting = {k for p in plans for k in names if k in p}
    found: list[Difference] = []

    def missing(kind: str, key: str, here: bool) -> None:
        if here:
            fix = f"enter {kind} {key} here, or find why Metrc has it"
            found.append(Difference(kind, key, "missing here", None, "present", fix))
        else:
            fix = f"file it at Metrc (see its events' state calls), or correct our {kind}"
            found.append(
                Difference(
                    kind, key, "missing at Metrc", "present", None, _advice(waiting, key, fix)
                )
            )

    def differs(kind: str, key: str, what: str, ours: object, theirs: object) -> None:
        if str(ours) != str(theirs):
            fix = "find which is right; correct it here (record.corrected) or at Metrc"
            found.append(
                Difference(kind, key, what, str(ours), str(theirs), _advice(waiting, key, fix))
            )

    def compare(kind: str, ours_by_key: dict[str, Any], theirs_by_key: dict[str, Any]) -> None:
        for key, ours in ours_by_key.items():
            theirs = theirs_by_key.get(key)
            if theirs is None:
                missing(kind, key, here=False)
                continue
            for what, our_value, their_value in METRC_FIELDS[kind](ours, theirs):
                differs(kind, key, what, our_value, their_value)
        for key in theirs_by_key.keys() - ours_by_key.keys():
            missing(kind, key, here=True)

    active_or_not = (True, False)
    batches = [b for a in active_or_not for b in _all(api.plant_batches, licence, active=a)]
    compare("batch", ours_batches, {b.name: b for b in batches})
    plants = [p for which in PLANT_LISTS for p in _all(api.plants, licence, which)]
    compare("plant", ours_plants, {p.label: p for p in plants})
    harvests = [h for a in active_or_not for h in _all(api.harvests, licence, active=a)]
    compare("harvest", ours_harvests, {h.name: h for h in harvests})

    def report(
        kind: str, key: str, what: str, ours: str | None, theirs: str | None, fix: str
    ) -> None:
        found.append(Difference(kind, key, what, ours, theirs, _advice(waiting, key, fix)))

    product_differences(api, licence, product, _all, report)
    incoming_differences(api, licence, incoming, now, _all, report)
    outgoing_differences(api, licence, outgoing, _all, report)
    sale_differences(sales, metrc_sales(list(_all(api.receipts, licence))), "Metrc", report)
    return Report(licence, waiting_calls, found)
