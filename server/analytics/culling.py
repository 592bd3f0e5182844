"""Plant batches of which far more was destroyed before harvest than the licensee usually
culls (pure: no database).

Phantom destruction: healthy plants recorded destroyed (with a small waste weight) while they
leave by the back door. A destroyed plant leaves no weight to balance: the yield per plant
counts the plants harvested, and a harvest batch's mass balance starts at the wet weighing,
after the plants are gone; in working hours and far from an audit, the disposal signals do
not see it either. What the record does show is the share of each plant batch destroyed
before harvest. Honest culling (hermaphrodites, pests, mould) takes a few plants of a batch,
and a licensee's batches are alike in it.

So each plant batch with at least :data:`MIN_PLANTS` tagged plants is compared with the
licensee's other such batches (at least :data:`MIN_COMPARISONS` of them): the share destroyed
before harvest, as a robust z against their median (:mod:`server.analytics.robust`; the
least spread taken as real is :data:`SHARE_FLOOR`, since most batches lose none and their
spread alone would be 0). A batch :data:`~server.analytics.robust.OUTLIER_Z` or more above,
with at least :data:`MIN_DESTROYED` plants destroyed, is a signal. Peers are not compared:
culling depends on a licensee's genetics and rooms more than on the strain's name, and a
licensee's own history is enough to see one batch stand out.
"""

from collections.abc import Sequence
from decimal import Decimal

from server.analytics.projection import PlantLife
from server.analytics.robust import OUTLIER_Z, median, robust_z
from server.analytics.signals import Signal

KIND = "culled-share-outlier"
MIN_PLANTS = 5  # a batch of fewer says nothing by its shares
MIN_COMPARISONS = 5  # the licensee's other batches needed to know what is usual
MIN_DESTROYED = 3  # one or two plants lost is culling however small the batch
SHARE_FLOOR = Decimal("0.05")  # the least spread of shares taken as real: five points


def _percent(ratio: Decimal) -> str:
    return f"{ratio * 100:.1f} %"


def culled_shares(licence: str, plants: Sequence[PlantLife]) -> list[Signal]:
    """One signal per plant batch of ``licence`` whose share of plants destroyed before
    harvest stands out from its other batches' (module docstring); subject: the plant batch
    ID; score: the robust z; events: the destructions, oldest first. ``plants`` are the
    licensee's plants (:class:`~server.analytics.projection.PlantTracker`), a plant without a
    batch is left out."""
    batches: dict[str, list[PlantLife]] = {}
    for plant in plants:
        if plant.batch is not None:
            batches.setdefault(plant.batch, []).append(plant)
    shares = {
        batch: Decimal(sum(1 for p in mine if p.destroyed_at is not None)) / len(mine)
        for batch, mine in batches.items()
        if len(mine) >= MIN_PLANTS
    }
    found: list[Signal] = []
    for batch, share in shares.items():
        destroyed = [p for p in batches[batch] if p.destroyed_at is not None]
        destroyed.sort(key=lambda p: (p.destroyed_at or p.tagged_at, p.uid))
        others = [s for b, s in shares.items() if b != batch]
        if len(destroyed) < MIN_DESTROYED or len(others) < MIN_COMPARISONS:
            continue
        z = robust_z(share, others, SHARE_FLOOR)
        if z is None or z < OUTLIER_Z:
            continue
        usual = median(others)
        found.append(
            Signal(
                KIND,
                licence,
                batch,
                z.quantize(Decimal("0.01")),
                f"{len(destroyed)} of the {len(batches[batch])} plants of batch {batch} "
                f"({_percent(share)}) were recorded destroyed before harvest; its "
                f"{len(others)} other batches lost a median of {_percent(usual)} that way "
                f"(robust z {z:.1f}). A destroyed plant leaves no weight to balance: check "
                "the destructions against the waste and the plants' last records.",
                tuple(p.destroyed_by for p in destroyed if p.destroyed_by is not None),
            )
        )
    return found
