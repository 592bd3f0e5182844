"""Exact weights with a unit (WEIGHT-UNITS: OR Reconciliation (1)(c),(e); CA 8401(e)(1)).

A weight is a :class:`decimal.Decimal` and a unit; it is never a float. On the wire it is
``{"value": "123.45", "unit": "g"}`` (the value as a decimal string; a JSON number below 10^9 is
accepted too and read digit for digit, and from 10^9 up refused, integer or not: see
:data:`FLOAT_EXACT_BELOW`). Conversion to grams is exact: the avoirdupois ounce is
28.349523125 g and the pound 453.59237 g by definition.
"""

import math
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Unit(StrEnum):
    """Units of mass the regulations allow: SI (mg, g, kg) or US customary (oz, lb)."""

    MG = "mg"
    G = "g"
    KG = "kg"
    OZ = "oz"
    LB = "lb"


GRAMS_PER_UNIT: dict[Unit, Decimal] = {
    Unit.MG: Decimal("0.001"),
    Unit.G: Decimal("1"),
    Unit.KG: Decimal("1000"),
    Unit.OZ: Decimal("28.349523125"),
    Unit.LB: Decimal("453.59237"),
}

# Up to 12 integer digits and 6 decimals: a tonne in milligrams, or a microgram on a balance.
WeightValue = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6, allow_inf_nan=False)]
# A JSON number arrives as a binary float in most parsers on its way (JavaScript's, a broker
# plug-in's, a log shipper's), which holds 15 significant digits exactly: with at most 6
# decimals, that is every value below 10^9. From 10^9 up digits could change unnoticed, so the
# contract (docs/mqtt.md) refuses every bare JSON number from 10^9 up, an integer too: that
# Python reads 1000000000 exactly does not make it safe on the way here.
FLOAT_EXACT_BELOW = 1_000_000_000


class Weight(BaseModel):
    """A non-negative mass, exact. Zero is a valid weight (an empty pan); rules decide if it is
    acceptable for a given event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: WeightValue
    unit: Unit

    @field_validator("value", mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        if isinstance(value, bool):
            too_big = False  # not a number here: the Decimal field refuses it
        elif isinstance(value, int):
            too_big = abs(value) >= FLOAT_EXACT_BELOW
        elif isinstance(value, float):
            too_big = math.isfinite(value) and abs(value) >= FLOAT_EXACT_BELOW  # inf: refused below
        else:
            too_big = False  # a string or a Decimal: exact
        if too_big:
            raise ValueError(
                "a weight of 10^9 or more must be sent as a decimal string, such as "
                '"1234567890.5"; as a JSON number its last digits could be lost'
            )
        return value

    def in_grams(self) -> Decimal:
        """The same mass in grams, exactly (no rounding: at most 15 decimal places)."""
        # 18 digits times 11 digits needs more than the default 28-digit context.
        with localcontext(prec=60):
            return self.value * GRAMS_PER_UNIT[self.unit]

    def __str__(self) -> str:
        return f"{self.value} {self.unit.value}"
