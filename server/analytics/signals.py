"""Diversion signals: pure detectors over harvest balances and weights (no database).

A signal is not a finding: it points a regulator (or the licensee's own compliance manager) at
records worth a look, says in plain words why, scores how unusual they are, and names the
events that raised it. Each detector here has an honest twin in the tests that it must not
flag.

Detectors:
- :func:`moisture_loss`: a harvest batch that lost more (or less) in drying than the
  licensee's other batches and its peers' batches of the same strain, by robust z-score
  (:mod:`server.analytics.robust`); weight skimmed between the wet and the dry weighing shows
  up here. A batch that weighs more dry than wet is a record in error and always flagged.
- :func:`yield_per_plant`: wet weight per plant far from the licensee's other batches and its
  peers' batches of the same strain, by robust z-score.
- :func:`unexplained`: product packaged beyond what the batch weighed.
- :func:`repeated_weights`: wet weights that repeat exactly within a batch, which a scale
  reading to 0.01 g almost never produces for plants of different sizes.
- :func:`round_weights`: a batch whose wet weights are mostly whole grams although the same
  scales report hundredths elsewhere: weights typed in rather than read.
"""

from collections import Counter
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal

from server.analytics.balance import HarvestBalance, Movement, PackageBalance
from server.analytics.robust import OUTLIER_Z, median, robust_z

MIN_COMPARISONS = 5  # fewer batches to compare with say nothing about what is usual
# The least spread taken as real (robust.robust_z's floor): a moisture loss varies by a
# percentage point or so from batch to batch however alike they are, a yield by a few
# percent of itself.
RATIO_FLOOR = Decimal("0.01")
YIELD_FLOOR_SHARE = Decimal("0.04")
REPEATS = 3  # the same wet weight this many times in one batch
ROUND_SHARE = Decimal("0.5")  # more than half of a batch's wet weights whole grams
MIN_WEIGHTS = 10  # a batch needs this many wet weights before their roundness means anything


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing worth a look. ``kind`` is stable (for filters and tests), ``score`` grows with
    how unusual it is (a robust z, a count or grams: each kind says which), ``explanation`` is
    for a person, ``event_ids`` are the events behind it, oldest first."""

    kind: str
    licence: str
    subject: str  # the harvest batch's name
    score: Decimal
    explanation: str
    event_ids: tuple[str, ...]


def _ids(*groups: Sequence[Movement]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for movement in group:
            seen.setdefault(movement.event_id, None)
    return tuple(seen)


def _percent(ratio: Decimal) -> str:
    return f"{ratio * 100:.1f} %"


def _outlier(
    value: Decimal,
    own: Sequence[Decimal],
    peers: Sequence[Decimal],
    floor: Callable[[Sequence[Decimal]], Decimal],
) -> tuple[Decimal, str, Decimal] | None:
    """(robust z, what it was compared with, their median) of the comparison that finds
    ``value`` farthest out, among ``own`` and ``peers`` (each only with
    :data:`MIN_COMPARISONS` values); None unless one finds it :data:`OUTLIER_Z` or more away."""
    found: list[tuple[Decimal, str, Decimal]] = []
    for label, values in (("its own other harvests", own), ("peers' harvests", peers)):
        if len(values) < MIN_COMPARISONS:
            continue
        z = robust_z(value, values, floor(values))
        if z is not None and abs(z) >= OUTLIER_Z:
            found.append((z, label, median(values)))
    return max(found, key=lambda f: abs(f[0])) if found else None


def moisture_loss(
    balance: HarvestBalance, own: Sequence[Decimal], peers: Sequence[Decimal]
) -> Signal | None:
    """Flag ``balance`` when its moisture-loss ratio is an outlier (|robust z| >=
    :data:`OUTLIER_Z`) among ``own`` (the licensee's other weighed batches' ratios) or among
    ``peers`` (other licensees' batches of the same strain), each compared only when it has
    :data:`MIN_COMPARISONS` values; or when the ratio is negative (heavier dry than wet)."""
    ratio = balance.moisture_loss_ratio
    final = balance.final
    if ratio is None or final is None:
        return None
    evidence = _ids(balance.wet, balance.waste, [final])
    if ratio < 0:
        return Signal(
            "moisture-loss-negative",
            balance.licence,
            balance.name,
            -ratio,
            f"Harvest batch {balance.name} weighs {final.grams} g {balance.final_type}, "
            f"more than the {balance.wet_grams} g it weighed wet less {balance.waste_grams} g of "
            "waste: one of these weights is wrong.",
            evidence,
        )
    outlier = _outlier(ratio, own, peers, lambda _: RATIO_FLOOR)
    if outlier is None:
        return None
    z, label, usual = outlier
    more = "more" if z > 0 else "less"
    return Signal(
        "moisture-loss-outlier",
        balance.licence,
        balance.name,
        abs(z),
        f"Harvest batch {balance.name} lost {_percent(ratio)} of its wet weight between "
        f"harvest and its {balance.final_type} weighing "
        f"({balance.moisture_loss_grams} g unaccounted for by waste); {label} lost "
        f"{_percent(usual)} (median). That is {more} than usual, {abs(z):.1f} robust standard "
        "deviations away: weight may have left the batch unrecorded.",
        evidence,
    )


def yield_per_plant(
    balance: HarvestBalance, own: Sequence[Decimal], peers: Sequence[Decimal]
) -> Signal | None:
    """Flag ``balance`` when its wet weight per plant is an outlier (|robust z| >=
    :data:`OUTLIER_Z`) among ``own`` (the licensee's other batches' wet grams per plant) or
    ``peers`` (other licensees' batches of the same strain), each compared only with
    :data:`MIN_COMPARISONS` values. A low yield is what plants harvested with part of their
    weight unrecorded look like; a high one, weight recorded that no plant gave."""
    if balance.plants == 0:
        return None
    per_plant = balance.wet_grams / balance.plants
    outlier = _outlier(per_plant, own, peers, lambda v: median(v) * YIELD_FLOOR_SHARE)
    if outlier is None:
        return None
    z, label, usual = outlier
    if z < 0:
        why = "plants may have been harvested with part of their weight left unrecorded"
    else:
        why = "more weight was recorded than plants like these give"
    return Signal(
        "yield-outlier",
        balance.licence,
        balance.name,
        abs(z),
        f"The {balance.plants} plants of harvest batch {balance.name} weighed "
        f"{per_plant:.1f} g each wet; {label} gave {usual:.1f} g per plant (median), "
        f"{abs(z):.1f} robust standard deviations away: {why}.",
        _ids(balance.wet),
    )


def unexplained(balance: HarvestBalance) -> Signal | None:
    """Flag product packaged beyond what the batch had (score: the grams)."""
    grams = balance.unexplained_grams
    if grams == 0:
        return None
    final = balance.final
    had = (
        f"its {final.note} of {final.grams} g"
        if final is not None
        else f"{balance.wet_grams} g wet less {balance.waste_grams} g of waste"
    )
    return Signal(
        "packaged-beyond-weight",
        balance.licence,
        balance.name,
        grams,
        f"{balance.packaged_grams} g were packaged from harvest batch {balance.name}, "
        f"{grams} g more than {had}.",
        _ids(balance.wet, balance.waste, [final] if final is not None else [], balance.packaged),
    )


def overdrawn(package: PackageBalance) -> Signal | None:
    """Flag a package sold or sent beyond what it held (score: the grams beyond). No rule
    refuses such a sale (a scale at the till may read a little over), so the ledger keeps
    count: product sold from an empty package came from somewhere the record does not show."""
    grams = package.overdrawn_grams
    if grams == 0:
        return None
    return Signal(
        "package-overdrawn",
        package.licence,
        package.uid,
        grams,
        f"{package.out_grams} g were sold or sent from package {package.uid}, {grams} g more "
        f"than the {package.in_grams} g it held: the product came from somewhere the record "
        "does not show.",
        _ids(package.filled, package.transferred, package.sold),
    )


def repeated_weights(balance: HarvestBalance) -> Signal | None:
    """Flag a wet weight recorded :data:`REPEATS` or more times in one batch (score: the
    number of plants sharing the most repeated weight)."""
    counts = Counter(m.grams for m in balance.wet)
    if not counts:
        return None
    grams, count = counts.most_common(1)[0]
    if count < REPEATS:
        return None
    same = [m for m in balance.wet if m.grams == grams]
    return Signal(
        "repeated-weights",
        balance.licence,
        balance.name,
        Decimal(count),
        f"{count} plants of harvest batch {balance.name} weighed exactly {grams} g wet. "
        "Plants of different sizes on a scale reading to hundredths of a gram rarely weigh "
        "the same; the weights may have been copied or typed in.",
        _ids(same),
    )


def round_weights(balance: HarvestBalance, scale_reads_hundredths: bool) -> Signal | None:
    """Flag a batch of at least :data:`MIN_WEIGHTS` wet weights of which more than
    :data:`ROUND_SHARE` are whole grams, when the licensee's scales report hundredths
    (``scale_reads_hundredths``: seen in its other readings). Score: the share of round
    weights."""
    if not scale_reads_hundredths or len(balance.wet) < MIN_WEIGHTS:
        return None
    whole = [m for m in balance.wet if m.grams == m.grams.to_integral_value()]
    share = Decimal(len(whole)) / Decimal(len(balance.wet))
    if share <= ROUND_SHARE:
        return None
    return Signal(
        "round-weights",
        balance.licence,
        balance.name,
        share,
        f"{len(whole)} of {len(balance.wet)} wet weights of harvest batch {balance.name} are "
        "whole grams, although this licensee's scales report hundredths of a gram: the "
        "weights look typed in rather than read from the scale.",
        _ids(whole),
    )


@dataclass(frozen=True, slots=True)
class Licensee:
    """What the detectors need of one licensee: its harvest balances, and whether its scales
    were seen reporting hundredths of a gram."""

    licence: str
    balances: Sequence[HarvestBalance]
    scale_reads_hundredths: bool
    packages: Sequence[PackageBalance] = ()


def _per_plant(balance: HarvestBalance) -> Decimal | None:
    return balance.wet_grams / balance.plants if balance.plants > 0 else None


class _Comparisons:
    """One figure of every batch, for comparing a batch with the licensee's other batches and
    with other licensees' batches of the same strain."""

    def __init__(
        self,
        licensees: Sequence[Licensee],
        figure: Callable[[HarvestBalance], Decimal | None],
    ) -> None:
        self.own: dict[str, list[tuple[str, Decimal]]] = {}  # licence -> (batch, figure)
        self.by_strain: dict[str, list[tuple[str, Decimal]]] = {}  # strain -> (licence, figure)
        for lic in licensees:
            for b in lic.balances:
                value = figure(b)
                if value is None:
                    continue
                self.own.setdefault(lic.licence, []).append((b.name, value))
                if b.strain is not None:
                    self.by_strain.setdefault(b.strain, []).append((lic.licence, value))

    def around(self, balance: HarvestBalance) -> tuple[list[Decimal], list[Decimal]]:
        """(the licensee's other batches' figures, its peers' same-strain batches' figures)."""
        own = [v for name, v in self.own.get(balance.licence, []) if name != balance.name]
        if balance.strain is None:
            return own, []
        peers = self.by_strain.get(balance.strain, [])
        return own, [v for licence, v in peers if licence != balance.licence]


def assess(licensees: Sequence[Licensee], subjects: Set[str] | None = None) -> list[Signal]:
    """Every signal of every harvest batch of ``licensees`` (of those in ``subjects`` only,
    when given: the others are only compared with), most unusual first within each kind. A
    batch's moisture loss is compared with the licensee's other weighed batches and with the
    other licensees' weighed batches of the same strain (a peer's batches count only as
    values in the comparison: no signal names a peer's records)."""
    ratios = _Comparisons(licensees, lambda b: b.moisture_loss_ratio)
    yields = _Comparisons(licensees, _per_plant)
    found: list[Signal] = []
    for lic in licensees:
        if subjects is not None and lic.licence not in subjects:
            continue
        for balance in lic.balances:
            for signal in (
                moisture_loss(balance, *ratios.around(balance)),
                yield_per_plant(balance, *yields.around(balance)),
                unexplained(balance),
                repeated_weights(balance),
                round_weights(balance, lic.scale_reads_hundredths),
            ):
                if signal is not None:
                    found.append(signal)
        found.extend(s for s in map(overdrawn, lic.packages) if s is not None)
    return sorted(found, key=lambda s: (s.kind, -s.score, s.licence, s.subject))
