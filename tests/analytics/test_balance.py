"""The mass balance of a harvest batch is the exact sum of its events (Decimal grams)."""

from decimal import Decimal

import pytest

from server.analytics.balance import HarvestLedger, harvest_balances
from tests.analytics.cases import corrected, harvest, packaged, waste, weighed
from tests.server.floor import LICENCE, Station, harvested, uid


def test_each_figure_is_the_exact_sum_of_the_events_behind_it() -> None:
    station = Station()
    events = harvest(
        station, "HB-1", wet=["1200.51", "999.49", "0.01"], dry="550.25", waste_grams="120.1"
    )
    events.append(station.event(packaged(uid(901), {"HB-1": "100.05"})))
    events.append(station.event(packaged(uid(902), {"HB-1": "0"})))  # zero is a value
    (balance,) = harvest_balances(LICENCE, events)

    assert balance.name == "HB-1"
    assert balance.strain == "Blue Dream"
    assert balance.wet_grams == Decimal("2200.01")
    assert balance.waste_grams == Decimal("120.1")
    assert balance.final_type == "dry"
    assert balance.final is not None
    assert balance.final.grams == Decimal("550.25")
    assert balance.packaged_grams == Decimal("100.05")
    # wet in = waste + moisture loss + dry; dry = packaged + on hand: exactly, no rounding.
    assert balance.moisture_loss_grams == Decimal("1529.66")
    assert balance.on_hand_grams == Decimal("450.20")
    assert balance.unexplained_grams == 0
    assert balance.moisture_loss_ratio == Decimal("1529.66") / Decimal("2200.01")
    assert [m.event_id for m in balance.wet] == [e.event_id for e in events[2:5]]
    assert [m.note for m in balance.packaged] == [
        f"into package {uid(901)}",
        f"into package {uid(902)}",
    ]


def test_units_are_converted_exactly_and_net_weight_is_final() -> None:
    station = Station()
    events = harvest(station, "HB-2", wet=["2.5"], dry=None)
    # Replace the wet weight's unit: 2.5 kg is 2500 g.
    events[2] = station.event(
        {**harvested(uid(1), "2.5", "HB-2"), "wet_weight": {"value": "2.5", "unit": "kg"}}
    )
    events.append(station.event(weighed("HB-2", "700", "dry")))
    events.append(
        station.event(weighed("HB-2", "1", "net") | {"weight": {"value": "1.25", "unit": "lb"}})
    )
    (balance,) = harvest_balances(LICENCE, events)
    assert balance.wet_grams == Decimal("2500.0")
    assert balance.final_type == "net"
    assert balance.final is not None
    assert balance.final.grams == Decimal("1.25") * Decimal("453.59237")
    assert balance.moisture_loss_grams == Decimal("2500.0") - Decimal("1.25") * Decimal("453.59237")


def test_an_unweighed_batch_has_no_moisture_loss_and_overpackaging_is_unexplained() -> None:
    station = Station()
    events = harvest(station, "HB-3", wet=["100", "100"], dry=None, waste_grams="20")
    events.append(station.event(packaged(uid(901), {"HB-3": "200"})))
    (balance,) = harvest_balances(LICENCE, events)
    assert balance.final is None
    assert balance.moisture_loss_grams is None
    assert balance.moisture_loss_ratio is None
    assert balance.on_hand_grams is None
    assert balance.unexplained_grams == Decimal("20")  # 200 packaged of 200 - 20 waste


def test_a_correction_takes_the_original_figure_out_and_puts_its_replacement_in() -> None:
    station = Station()
    events = harvest(station, "HB-4", wet=["500", "400"], dry="300")
    wrong = station.event(waste("HB-4", "90"))
    events.append(wrong)
    events.append(station.event(corrected(wrong, waste("HB-4", "9"))))
    (balance,) = harvest_balances(LICENCE, events)
    assert balance.waste_grams == Decimal("9")
    (movement,) = balance.waste
    assert movement.event_id == wrong.event_id
    assert movement.corrected_by == events[-1].event_id
    assert balance.moisture_loss_grams == Decimal("591")


def test_a_package_from_two_batches_counts_against_each() -> None:
    station = Station()
    events = harvest(station, "HB-5", wet=["100"], dry="30")
    events += harvest(station, "HB-6", wet=["200"], dry="60", first_plant=2)
    events.append(station.event(packaged(uid(901), {"HB-5": "10", "HB-6": "20.5"})))
    five, six = harvest_balances(LICENCE, events)
    assert (five.name, five.packaged_grams, five.on_hand_grams) == ("HB-5", 10, 20)
    assert (six.name, six.packaged_grams, six.on_hand_grams) == (
        "HB-6",
        Decimal("20.5"),
        Decimal("39.5"),
    )


def test_another_licensees_event_is_refused_by_name() -> None:
    ledger = HarvestLedger(LICENCE)
    other = Station(licence="CA-2002").event(weighed("HB-1", "1"))
    with pytest.raises(ValueError, match="CA-2002's, not OR-1001's"):
        ledger.feed(other)
