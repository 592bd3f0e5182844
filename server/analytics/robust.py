"""Robust statistics for the signals: the median, the median absolute deviation (MAD) and the
robust z-score built on them.

A mean and a standard deviation are moved by the very outliers a regulator looks for (one
harvest that lost half its weight drags the mean towards itself); the median and the MAD are
not, until half of the values are wild. For normally distributed values, ``1.4826 * MAD``
estimates the standard deviation, so a robust z of 3.5 is as far out as 3.5 standard
deviations (the cut Iglewicz and Hoaglin recommend for outliers).
"""

from collections.abc import Sequence
from decimal import Decimal

NORMAL_CONSISTENCY = Decimal("1.4826")  # MAD -> standard deviation, for normal data
OUTLIER_Z = Decimal("3.5")


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value (the mean of the two middle ones for an even count). Raises
    ``ValueError`` for no values: a median of nothing is not zero."""
    if len(values) == 0:
        raise ValueError("the median of no values is undefined")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mad(values: Sequence[Decimal]) -> Decimal:
    """The median of the absolute deviations from the median (same unit as the values)."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def robust_z(
    value: Decimal, values: Sequence[Decimal], floor: Decimal = Decimal(0)
) -> Decimal | None:
    """How many (robust) standard deviations ``value`` is from the median of ``values``.

    ``floor`` is the least spread taken as real, in the values' unit: a handful of very alike
    values (five harvests that happened to lose 72.0-72.3 % in drying) would otherwise make an
    ordinary difference look extreme. None when the spread is 0 even so: then any difference
    is infinitely far and the comparison says nothing useful."""
    spread = max(mad(values) * NORMAL_CONSISTENCY, floor)
    if spread == 0:
        return None
    return (value - median(values)) / spread


def slope(values: Sequence[Decimal]) -> Decimal:
    """The Theil-Sen slope of ``values`` taken at equal steps (0, 1, 2, ...): the median of
    the slopes between every pair, in the values' unit per step. One wild value moves few of
    the pairs, so it barely moves the median (a least-squares line it drags). Raises
    ``ValueError`` for fewer than two values."""
    if len(values) < 2:
        raise ValueError("a slope needs at least two values")
    pairs = [
        (values[j] - values[i]) / (j - i)
        for i in range(len(values))
        for j in range(i + 1, len(values))
    ]
    return median(pairs)
