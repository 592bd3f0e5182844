"""What waits behind a refusal: the later events about the refused event's objects (and, in
turn, about theirs); a shared room or item only when it is what was refused."""

from itertools import count
from typing import Any

from schemas.clock import ManualClock
from schemas.events import EventEnvelope
from server.statesync.depends import Blocked, concerns
from tests.server.domain import package_created, package_uid
from tests.server.floor import batch_created, flowering, harvested, tagged, uid
from tests.statesync.cultivation import moved, waste
from tests.statesync.test_connector_product import manifest, sale
from tests.statesync.test_mapping import AT, event

_ids = count(1)


def ev(payload: dict[str, Any]) -> EventEnvelope:
    return event(payload).model_copy(
        update={"event_id": f"0190d5e2-7c1a-7000-8000-{next(_ids):012d}"}
    )


def test_an_event_names_its_objects_and_the_rooms_and_items_it_uses() -> None:
    assert concerns(ev(harvested(uid(1), "812.5", "HB-1"))) == {f"plant:{uid(1)}", "harvest:HB-1"}
    assert concerns(ev(moved([uid(1), uid(2)], "Flower 2"))) == {
        f"plant:{uid(1)}",
        f"plant:{uid(2)}",
        "location:Flower 2",
    }
    assert concerns(ev(package_created(package_uid(1), [("HB-1", "500")]))) >= {
        f"package:{package_uid(1)}",
        "harvest:HB-1",
        "item:Flower - Blue Dream",
    }


def test_the_refused_events_plants_hold_up_their_later_events_and_no_others() -> None:
    blocked = Blocked()
    tagging = ev(tagged("B-1", [uid(1), uid(2)]))
    blocked.refused(tagging, "batch_growth_phase", {})
    assert blocked.holds(tagging)  # its own later calls
    assert blocked.holds(ev(flowering([uid(2)])))
    assert blocked.holds(ev(batch_created("B-1", 5)))  # the same batch
    assert not blocked.holds(ev(flowering([uid(9)])))  # another plant
    # The room the refused plants stand in is not held up: a use is not a refusal.
    assert not blocked.holds(ev(moved([uid(9)], "Veg Room 1")))
    assert not blocked.holds(ev(waste("Veg Room 1", "3")))


def test_what_a_held_up_event_names_is_held_up_in_turn() -> None:
    blocked = Blocked()
    clock = ManualClock(AT)
    blocked.refused(ev(harvested(uid(1), "812.5", "HB-1")), "harvest_plant", {})
    # The package from HB-1 waits, and so the manifest and the sale of that package;
    # a sale from another package goes.
    assert blocked.holds(ev(package_created(package_uid(1), [("HB-1", "500")])))
    assert blocked.holds(ev(manifest(clock, "M-1", package_uid(1), "500")))
    assert blocked.holds(ev(sale(clock, package_uid(1), "3.5")))
    assert not blocked.holds(ev(sale(clock, package_uid(7), "3.5")))


def test_a_refused_room_or_item_holds_up_every_use_of_it() -> None:
    blocked = Blocked()
    blocked.refused(ev(waste("Flower 2", "7.25")), "ensure_location", {"name": "Flower 2"})
    assert blocked.holds(ev(moved([uid(5)], "Flower 2")))
    assert not blocked.holds(ev(moved([uid(6)], "Flower 3")))
    items = Blocked()
    first = ev(package_created(package_uid(1), [("HB-1", "500")]))
    items.refused(first, "ensure_item", {"name": "Flower - Blue Dream"})
    assert items.holds(ev(package_created(package_uid(2), [("HB-2", "50")])))
    assert not items.holds(
        ev(package_created(package_uid(3), [("HB-3", "50")], strain="Sour Diesel"))
    )
