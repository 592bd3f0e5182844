"""A package's balance: grams in (packaged here, received) against grams out (manifested to
another licensee, sold), and the signal when more went out than it held."""

from decimal import Decimal

from server.analytics.balance import HarvestLedger
from server.analytics.signals import Licensee, assess
from tests.analytics.cases import corrected
from tests.server import domain as d
from tests.server.floor import LICENCE, Station

P1, P2 = d.package_uid(1), d.package_uid(2)


def ledger(*payloads: dict[str, object]) -> HarvestLedger:
    station, found = Station(), HarvestLedger(LICENCE)
    for payload in payloads:
        found.feed(station.event(payload))
    return found


def test_what_a_package_held_less_what_left_it_is_on_hand() -> None:
    (package,) = ledger(
        d.package_created(P1, [("HB-1", "100")]),
        d.sale(P1, d.grams("3.5")),
        d.sale(P1, d.grams("0")),  # zero is a quantity
        d.manifested("M-1", [(P1, "50")]),
    ).packages()
    assert (package.in_grams, package.out_grams) == (Decimal("100"), Decimal("53.5"))
    assert package.on_hand_grams == Decimal("46.5")
    assert package.overdrawn_grams == 0
    assert [m.note for m in package.transferred] == ["to C11-0000456-LIC on M-1"]


def test_units_count_by_their_weight_and_a_received_package_fills_it() -> None:
    units = {"count": 10, "unit_weight": {"value": "1", "unit": "g"}}
    three = {"count": 3, "unit_weight": {"value": "1", "unit": "g"}}
    mine, theirs = ledger(
        d.package_created(P1, [("HB-1", "10")], category="pre_roll", quantity=units),
        d.sale(P1, three),
        d.received("M-IN", accepted=[(P2, "28")]),
        d.sale(P2, d.grams("7")),
    ).packages()
    assert (mine.uid, mine.on_hand_grams) == (P1, Decimal(7))
    assert (theirs.uid, theirs.in_grams, theirs.on_hand_grams) == (P2, Decimal(28), Decimal(21))


def test_a_package_sold_beyond_what_it_held_is_flagged_and_its_twin_is_not() -> None:
    emptied = ledger(
        d.package_created(P1, [("HB-1", "10")]),
        d.sale(P1, d.grams("6")),
        d.sale(P1, d.grams("6")),
    )
    (signal,) = assess([Licensee(LICENCE, [], True, emptied.packages())])
    assert (signal.kind, signal.subject, signal.score) == ("package-overdrawn", P1, Decimal(2))
    assert f"12 g were sold or sent from package {P1}, 2 g more than the 10 g it held" in (
        signal.explanation
    )
    assert len(signal.event_ids) == 3
    honest = ledger(
        d.package_created(P1, [("HB-1", "10")]),
        d.sale(P1, d.grams("5")),
        d.sale(P1, d.grams("5")),
    )
    assert assess([Licensee(LICENCE, [], True, honest.packages())]) == []


def test_a_corrected_sale_counts_as_corrected() -> None:
    station, found = Station(), HarvestLedger(LICENCE)
    found.feed(station.event(d.package_created(P1, [("HB-1", "10")])))
    wrong = station.event(d.sale(P1, d.grams("60")))
    found.feed(wrong)
    (package,) = found.packages()
    assert package.overdrawn_grams == Decimal(50)
    found.feed(station.event(corrected(wrong, d.sale(P1, d.grams("6")))))
    assert (package.on_hand_grams, package.overdrawn_grams) == (Decimal(4), 0)
    assert package.sold[0].corrected_by is not None
