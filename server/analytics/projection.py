"""The inventory projection: how much wet weight each licensee will harvest, week by week, over
the next 13 weeks (91 days), with an interval (pure: no database).

For every live plant (tagged, neither harvested nor destroyed), the projection asks when it
will be cut and what it will weigh, from history:

- a flowering plant is cut its flowering date plus the usual flowering time;
- a vegetative plant, its tagging date plus the usual vegetative time plus the usual
  flowering time;
- it weighs the usual wet weight per plant.

"Usual" is the median over harvested plants of the same strain at the same licensee, else of
the licensee's plants of any strain, else the statewide figure of the strain (the median of
the licensees' own figures for it, :func:`combine`), each used only with
:data:`MIN_HISTORY` plants behind it; a plant
with none of these is counted as not projected, not guessed. The interval is the 10th to the
90th percentile of the same history, applied to every plant at once: weights of one crop move
together (one grow room, one season), so adding up the plants' own intervals as if they were
independent would make it far too narrow. A plant whose expected day has passed counts in the
first week: it is due.

A projection is stored each day it is made (``inventory_projections``), so when a week has
passed the weight actually harvested in it can be set beside what was expected before it
began (:func:`error`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from schemas.events import (
    EventEnvelope,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantPhase,
    PlantsPhaseChanged,
    PlantsTagged,
)

WEEKS = 13
MIN_HISTORY = 5  # harvested plants behind a "usual" figure
LOW, HIGH = Decimal("0.1"), Decimal("0.9")


@dataclass(slots=True)
class PlantLife:
    """One plant's dates (UTC) and wet weight in grams, from its events."""

    uid: str
    strain: str | None
    tagged_at: datetime
    flowering_at: datetime | None = None
    harvested_at: datetime | None = None
    wet_grams: Decimal | None = None
    destroyed_at: datetime | None = None
    batch: str | None = None  # the plant batch it was tagged from
    destroyed_by: str | None = None  # the event that recorded it destroyed

    @property
    def live(self) -> bool:
        return self.harvested_at is None and self.destroyed_at is None


class PlantTracker:
    """Feed a licensee's accepted events in log order; read :attr:`plants`.

    Corrections are not followed here (a corrected phase change or harvest keeps its original
    date): the projection is an estimate from many plants, and a correction moves a day or a
    weight of one."""

    def __init__(self) -> None:
        self.plants: dict[str, PlantLife] = {}
        self._batch_strain: dict[str, str] = {}

    def feed(self, event: EventEnvelope) -> None:
        payload, at = event.payload, event.occurred_at
        if isinstance(payload, PlantBatchCreated):
            self._batch_strain[payload.batch_id] = payload.strain
        elif isinstance(payload, PlantsTagged):
            strain = self._batch_strain.get(payload.batch_id)
            for uid in payload.uids:
                self.plants[uid] = PlantLife(uid, strain, at, batch=payload.batch_id)
        elif isinstance(payload, PlantsPhaseChanged) and payload.phase is PlantPhase.FLOWERING:
            for uid in payload.uids:
                plant = self.plants.get(uid)
                if plant is not None and plant.flowering_at is None:
                    plant.flowering_at = at
        elif isinstance(payload, PlantHarvested):
            plant = self.plants.get(payload.uid)
            if plant is not None:
                plant.harvested_at = at
                plant.wet_grams = payload.wet_weight.in_grams()
        elif isinstance(payload, PlantDestroyed) and payload.uid is not None:
            plant = self.plants.get(payload.uid)
            if plant is not None:
                plant.destroyed_at = at
                plant.destroyed_by = event.event_id


def quantile(values: Sequence[Decimal], q: Decimal) -> Decimal:
    """The ``q`` quantile of ``values`` by linear interpolation between the closest ranks."""
    if len(values) == 0:
        raise ValueError("the quantile of no values is undefined")
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    below = int(rank)
    if rank == below:  # on a value: that value, as exact as it was recorded
        return ordered[below]
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


@dataclass(frozen=True, slots=True)
class Usual:
    """What history says of a crop: days of vegetative and flowering growth (medians) and the
    wet grams per plant (10th percentile, median, 90th)."""

    veg_days: Decimal
    flower_days: Decimal
    low: Decimal
    grams: Decimal
    high: Decimal


def usual(history: Iterable[PlantLife]) -> Usual | None:
    """:class:`Usual` from harvested plants; None with fewer than :data:`MIN_HISTORY` that have
    a flowering date, a harvest date and a weight."""
    lives = [
        (p.tagged_at, p.flowering_at, p.harvested_at, p.wet_grams)
        for p in history
        if p.harvested_at is not None and p.flowering_at is not None and p.wet_grams is not None
    ]
    if len(lives) < MIN_HISTORY:
        return None

    def days(start: datetime, end: datetime) -> Decimal:
        return Decimal(int((end - start).total_seconds())) / Decimal(86400)

    flower = [days(flowered, cut) for _, flowered, cut, _ in lives]
    veg = [days(tagged, flowered) for tagged, flowered, _, _ in lives]
    weights = [grams for _, _, _, grams in lives]
    return Usual(
        veg_days=quantile(veg, Decimal("0.5")),
        flower_days=quantile(flower, Decimal("0.5")),
        low=quantile(weights, LOW),
        grams=quantile(weights, Decimal("0.5")),
        high=quantile(weights, HIGH),
    )


@dataclass(slots=True)
class Week:
    """The wet weight expected to be harvested in the week from ``start`` (7 days), grams."""

    start: date
    plants: int = 0
    expected: Decimal = Decimal(0)
    low: Decimal = Decimal(0)
    high: Decimal = Decimal(0)


@dataclass(slots=True)
class Projection:
    licence: str
    made_on: date
    weeks: list[Week]
    unprojected: int = 0  # live plants with no history to go by
    sources: dict[str, int] = field(default_factory=dict)  # which history, how many plants


def project(
    licence: str,
    plants: Iterable[PlantLife],
    today: date,
    statewide: dict[str, Usual] | None = None,
) -> Projection:
    """``licence``'s projection for the :data:`WEEKS` weeks from ``today``, from its own
    ``plants`` (live and harvested) and, for strains it has no history of, ``statewide``
    (strain -> :class:`Usual` over every licensee)."""
    plants = list(plants)
    harvested = [p for p in plants if not p.live]
    by_strain: dict[str | None, list[PlantLife]] = {}
    for p in harvested:
        by_strain.setdefault(p.strain, []).append(p)
    anywhere = usual(harvested)
    known = {strain: usual(group) for strain, group in by_strain.items()}
    weeks = [Week(today + timedelta(weeks=n)) for n in range(WEEKS)]
    result = Projection(licence, today, weeks)
    for plant in plants:
        if not plant.live:
            continue
        found, source = known.get(plant.strain), "strain"
        if found is None:
            found, source = anywhere, "licensee"
        if found is None and statewide is not None and plant.strain is not None:
            found, source = statewide.get(plant.strain), "statewide"
        if found is None:
            result.unprojected += 1
            continue
        if plant.flowering_at is not None:
            start, days = plant.flowering_at, found.flower_days
        else:
            start = plant.tagged_at
            days = found.flower_days + found.veg_days
        due = (start + timedelta(days=float(days))).date()
        index = max(0, (due - today).days // 7)
        if index >= WEEKS:
            continue  # beyond the horizon
        week = weeks[index]
        week.plants += 1
        week.expected += found.grams
        week.low += found.low
        week.high += found.high
        result.sources[source] = result.sources.get(source, 0) + 1
    return result


def by_strain(plants: Iterable[PlantLife]) -> dict[str, Usual]:
    """Strain -> :class:`Usual` of one licensee's harvested plants (strains with enough
    history only)."""
    groups: dict[str, list[PlantLife]] = {}
    for p in plants:
        if not p.live and p.strain is not None:
            groups.setdefault(p.strain, []).append(p)
    found = {strain: usual(group) for strain, group in groups.items()}
    return {strain: u for strain, u in found.items() if u is not None}


def combine(usuals: Sequence[Usual]) -> Usual:
    """The statewide figure for a strain: the median of each licensee's own figure, so a
    licensee with many plants counts once, like any other."""
    half = Decimal("0.5")
    return Usual(
        veg_days=quantile([u.veg_days for u in usuals], half),
        flower_days=quantile([u.flower_days for u in usuals], half),
        low=quantile([u.low for u in usuals], half),
        grams=quantile([u.grams for u in usuals], half),
        high=quantile([u.high for u in usuals], half),
    )


@dataclass(frozen=True, slots=True)
class WeekError:
    """A past week: what was expected before it began, what was harvested, the difference
    (actual - expected, grams) and whether the actual weight fell within the interval."""

    start: date
    expected: Decimal
    low: Decimal
    high: Decimal
    actual: Decimal
    error: Decimal
    within: bool


def error(week: Week, actual: Decimal) -> WeekError:
    return WeekError(
        week.start,
        week.expected,
        week.low,
        week.high,
        actual,
        actual - week.expected,
        week.low <= actual <= week.high,
    )
