"""Each signal is raised on a small hand-built case and not on its honest twin."""

from decimal import Decimal

from server.analytics.balance import HarvestBalance, Movement, harvest_balances
from server.analytics.signals import Licensee, Signal, assess
from tests.analytics.cases import harvest, packaged
from tests.server.floor import LICENCE, Station, uid

OTHER = "OR-2002"
# Dry weights of 1000 g wet harvests: the licensee's usual loss is 74-76 %.
USUAL_DRY = ["250", "245", "255", "248", "252", "240", "260"]


def season(
    licence: str, dry_weights: list[str], strain: str = "Blue Dream"
) -> list[HarvestBalance]:
    station = Station(licence=licence)
    events = []
    for n, dry in enumerate(dry_weights):
        events += harvest(
            station, f"HB-{n}", wet=["600", "400"], dry=dry, strain=strain, first_plant=2 * n + 1
        )
    return harvest_balances(licence, events)


def kinds(signals: list[Signal]) -> list[tuple[str, str, str]]:
    return [(s.kind, s.licence, s.subject) for s in signals]


def test_a_batch_that_lost_far_more_than_the_licensees_others_is_flagged() -> None:
    skimmed = season(LICENCE, [*USUAL_DRY, "150"])  # 85 % lost: 100 g left unrecorded
    (signal,) = assess([Licensee(LICENCE, skimmed, True)])
    assert kinds([signal]) == [("moisture-loss-outlier", LICENCE, "HB-7")]
    assert signal.score > Decimal("3.5")
    assert "lost 85.0 % of its wet weight" in signal.explanation
    assert "its own other harvests lost 75.0 % (median)" in signal.explanation
    assert "weight may have left the batch unrecorded" in signal.explanation
    batch = skimmed[-1]
    assert signal.event_ids == tuple(m.event_id for m in [*batch.wet, *batch.dry])


def test_its_honest_twin_is_not() -> None:
    honest = season(LICENCE, [*USUAL_DRY, "249"])
    assert assess([Licensee(LICENCE, honest, True)]) == []


def test_a_licensee_without_history_is_compared_with_peers_of_the_same_strain() -> None:
    peers = Licensee(OTHER, season(OTHER, USUAL_DRY), True)
    newcomer = Licensee(LICENCE, season(LICENCE, ["150"]), True)
    (signal,) = assess([newcomer, peers])
    assert kinds([signal]) == [("moisture-loss-outlier", LICENCE, "HB-0")]
    assert "peers' harvests lost 75.0 % (median)" in signal.explanation
    # The same harvest of another strain has no peers to be compared with.
    other_strain = Licensee(LICENCE, season(LICENCE, ["150"], strain="Sour Diesel"), True)
    assert assess([other_strain, peers]) == []


def test_a_batch_heavier_dry_than_wet_is_a_record_in_error() -> None:
    (signal,) = assess([Licensee(LICENCE, season(LICENCE, ["1000.01"]), True)])
    assert signal.kind == "moisture-loss-negative"
    assert "weighs 1000.01 g dry, more than the 1000 g it weighed wet" in signal.explanation
    assert assess([Licensee(LICENCE, season(LICENCE, ["1000"]), True)]) == []


def test_packaging_beyond_the_dry_weight_is_flagged_and_within_it_is_not() -> None:
    station = Station()
    events = harvest(station, "HB-1", wet=["600", "400"], dry="250")
    over = harvest_balances(LICENCE, [*events, station.event(packaged(uid(900), {"HB-1": "260"}))])
    (signal,) = assess([Licensee(LICENCE, over, True)])
    assert (signal.kind, signal.score) == ("packaged-beyond-weight", Decimal("10"))
    assert (
        "260 g were packaged from harvest batch HB-1, 10 g more than its dry weight of 250 g"
        in (signal.explanation)
    )
    assert signal.event_ids[-1] == over[0].packaged[0].event_id
    within = harvest_balances(
        LICENCE, [*events, station.event(packaged(uid(900), {"HB-1": "250"}))]
    )
    assert assess([Licensee(LICENCE, within, True)]) == []


def test_the_same_wet_weight_three_times_is_flagged_and_near_misses_are_not() -> None:
    copied = harvest(Station(), "HB-1", wet=["812.34", "812.34", "640.1", "812.34"], dry=None)
    (signal,) = assess([Licensee(LICENCE, harvest_balances(LICENCE, copied), True)])
    assert (signal.kind, signal.score) == ("repeated-weights", Decimal(3))
    assert "3 plants of harvest batch HB-1 weighed exactly 812.34 g wet" in signal.explanation
    assert signal.event_ids == tuple(copied[i].event_id for i in (2, 3, 5))
    honest = harvest(Station(), "HB-1", wet=["812.34", "812.35", "640.1", "812.36"], dry=None)
    assert assess([Licensee(LICENCE, harvest_balances(LICENCE, honest), True)]) == []


def test_whole_gram_weights_from_scales_that_read_hundredths_are_flagged() -> None:
    typed = [str(500 + 7 * n) for n in range(10)]
    balances = harvest_balances(LICENCE, harvest(Station(), "HB-1", wet=typed, dry=None))
    (signal,) = assess([Licensee(LICENCE, balances, scale_reads_hundredths=True)])
    assert (signal.kind, signal.score) == ("round-weights", Decimal(1))
    assert "10 of 10 wet weights of harvest batch HB-1 are whole grams" in signal.explanation
    # Twins: the same weights where the scales read whole grams; hundredths where they do not.
    assert assess([Licensee(LICENCE, balances, scale_reads_hundredths=False)]) == []
    read = [f"{500 + 7 * n}.{n + 11}" for n in range(10)]
    balances = harvest_balances(LICENCE, harvest(Station(), "HB-1", wet=read, dry=None))
    assert assess([Licensee(LICENCE, balances, scale_reads_hundredths=True)]) == []


def crop(licence: str, per_plant: list[str], strain: str = "Blue Dream") -> list[HarvestBalance]:
    """One unweighed batch of two plants per entry, weighing per_plant +- 10.37 g wet each."""
    station = Station(licence=licence)
    events = []
    for n, grams in enumerate(per_plant):
        wet = [str(Decimal(grams) + Decimal("10.37")), str(Decimal(grams) - Decimal("10.37"))]
        events += harvest(station, f"HB-{n}", wet, None, strain=strain, first_plant=2 * n + 1)
    return harvest_balances(licence, events)


USUAL_YIELD = ["500", "520", "480", "510", "490", "505"]


def test_a_batch_whose_plants_gave_far_less_is_flagged() -> None:
    (signal,) = assess([Licensee(LICENCE, crop(LICENCE, [*USUAL_YIELD, "300"]), True)])
    assert (signal.kind, signal.subject) == ("yield-outlier", "HB-6")
    assert "The 2 plants of harvest batch HB-6 weighed 300.0 g each wet" in signal.explanation
    assert "its own other harvests gave 502.5 g per plant (median)" in signal.explanation
    assert "part of their weight left unrecorded" in signal.explanation
    assert len(signal.event_ids) == 2


def test_a_batch_within_the_usual_spread_is_not() -> None:
    assert assess([Licensee(LICENCE, crop(LICENCE, [*USUAL_YIELD, "470"]), True)]) == []


def test_peers_of_the_same_strain_judge_a_newcomers_yield() -> None:
    peers = Licensee(OTHER, crop(OTHER, USUAL_YIELD), True)
    (signal,) = assess([Licensee(LICENCE, crop(LICENCE, ["900"]), True), peers])
    assert signal.kind == "yield-outlier"
    assert "peers' harvests gave 502.5 g per plant" in signal.explanation
    assert "more weight was recorded than plants like these give" in signal.explanation
    assert assess([Licensee(LICENCE, crop(LICENCE, ["505"]), True), peers]) == []


def test_peers_known_only_by_their_stored_totals_are_compared_per_plant() -> None:
    """The refresh knows other licensees by their stored figures: one total wet weight and the
    number of plants. Their yield is the total over the plants, not the total."""
    at = crop(OTHER, ["500"])[0].wet[0].occurred_at
    stored = [
        HarvestBalance(
            OTHER,
            f"HB-{n}",
            "Blue Dream",
            wet=[Movement("", "", at, Decimal(grams) * 2, "wet")],
            plant_count=2,
        )
        for n, grams in enumerate(USUAL_YIELD)
    ]
    newcomer = Licensee(LICENCE, crop(LICENCE, ["505"]), True)
    assert assess([newcomer, Licensee(OTHER, stored, False)], subjects={LICENCE}) == []
