"""What a person counted in a physical audit, typed as lines of text (or pasted from a
spreadsheet), turned into the audit's input (:class:`server.reads.stocktake.AuditIn`).

One item a line, fields separated by commas or tabs::

    item type, item id, count, weight
    plant,    1A4FF0100000022000000004, 1
    batch,    B-2026-001, 6
    harvest_batch, HB-1, , 1512.3 g

``item type`` is plant, batch, harvest_batch or package; ``count`` and ``weight`` may each be
left empty but not both; a weight is a number and a unit (mg, g, kg, oz, lb). Blank lines and
lines starting with ``#`` are skipped. A bad line raises :class:`CountsError` naming the line
and the field.
"""

import re

from pydantic import ValidationError

from schemas.records import AuditItem
from server.reads.stocktake import AuditIn, Counted

MAX_LINES = 10_000


class CountsError(ValueError):
    pass


def _weight(text: str, where: str) -> dict[str, str]:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)\s*", text)
    if m is None:
        raise CountsError(f"{where}: weight {text.strip()!r} is not a number and a unit (1512.3 g)")
    return {"value": m.group(1), "unit": m.group(2).lower()}


def parse_counts(text: str) -> AuditIn:
    counted = []
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise CountsError(f"{len(lines)} lines; at most {MAX_LINES} in one audit")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line == "" or line.startswith("#"):
            continue
        where = f"line {number}"
        fields = [f.strip() for f in re.split(r"[,\t]", line)]
        if len(fields) < 3 or len(fields) > 4:
            raise CountsError(f"{where}: give item type, item id, count and/or weight")
        fields += [""] * (4 - len(fields))
        kind, item_id, count, weight = fields
        if kind not in {t.value for t in AuditItem}:
            choices = ", ".join(t.value for t in AuditItem)
            raise CountsError(f"{where}: item type {kind!r} is not one of {choices}")
        if count != "" and not count.isdigit():
            raise CountsError(f"{where}: count {count!r} is not a whole number")
        try:
            counted.append(
                Counted.model_validate(
                    {
                        "item_type": kind,
                        "item_id": item_id,
                        "count": None if count == "" else int(count),
                        "weight": None if weight == "" else _weight(weight, where),
                    }
                )
            )
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "line"
            raise CountsError(f"{where}: {field}: {first['msg']}") from err
    if not counted:
        raise CountsError("nothing was counted: give at least one line")
    try:
        return AuditIn(counted=counted)
    except ValidationError as err:
        raise CountsError(err.errors()[0]["msg"].removeprefix("Value error, ")) from err
