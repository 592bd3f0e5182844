"""Generate ``docs/rules.md`` from the catalogue and the registry.

``python -m server.compliance.docs`` writes it; with ``--check`` it exits 1 when the
file on disk differs from what would be generated (a test runs the same comparison). The output
depends only on the code, never on the clock or the machine, so it is stable in git.
"""

import argparse
import sys
from pathlib import Path

from server.compliance.coverage import implemented
from server.compliance.deadlines.definitions import ANY_KIND, DEADLINES
from server.compliance.rules import REGISTRY
from server.compliance.rules.calendar import JURISDICTIONS
from server.compliance.rules.catalogue import (
    BASELINE,
    BASELINE_GROUND,
    BASELINE_LABEL,
    ENTRIES,
    SECTION_TITLES,
    CatalogueEntry,
    pack,
)
from server.compliance.rules.kinds import ALL_KINDS

DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
FIX_COMMAND = ".venv/bin/python -m server.compliance.docs"

BASELINE_PARAGRAPH = (
    "**Packs and the baseline.** A licensee's jurisdiction picks its pack, and the ingest runs "
    "only the rules of that pack. A rule is in a state's pack when it cites that state's text "
    "(*cited* below), and in every pack when it belongs to the record-soundness baseline "
    "(*baseline*): the rules without which the record stops being one record, whichever text "
    "happens to cite them: "
    + ", ".join(sorted(BASELINE))
    + ". The current state is computed from the events on the assumption that these hold."
)

CITATION_PARAGRAPH = (
    "**Citations per licensee.** A licensee is shown only its own jurisdiction's provisions: "
    "every rejection on a station's ack, notification, console page and API answer cites the "
    "line given below for the licensee's state, never another state's. Where a baseline rule "
    "has no provision in a state's text, its citation there names the general duty it rests on "
    f"({', '.join(f'{j}: {g}' for j, g in BASELINE_GROUND.items())}, or a nearer provision) "
    f'followed by "{BASELINE_LABEL}".'
)

CT_PARAGRAPH = (
    "**The CT pack.** For Connecticut the folder holds only the DCP's 2021 BioTrack "
    "announcement, which sets no deadlines and no detailed duties. It does say that cannabis is "
    "tracked from seed or clone to sale as it is grown, manufactured, packaged, tested and sold "
    "(ENTRY-FROM-ORIGIN, PHASE-ORDER, PRODUCT-FROM-HARVEST); that the state wants a real-time "
    "inventory to find diversion (one provisioned tag per item for life and quantities by "
    "weight: TAG-PROVISIONED, TAG-ONE-ITEM, HARVEST-WET-WEIGHT, WEIGHT-UNITS); that licensees "
    "enter the information themselves (USER-AUTHORISED, ACCOUNTABLE, NO-FALSIFICATION), possibly "
    "through another vendor's software that interacts with the state's (SECONDARY-SYNC); and that "
    "DCP, revenue and law enforcement use the data (REGULATOR-ACCESS). So the CT pack is the "
    "baseline plus SECONDARY-SYNC and REGULATOR-ACCESS, without section B deadlines, until it is "
    "checked against the Connecticut regulations themselves."
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def applies_in(e: CatalogueEntry) -> str:
    """``OR, CA cited; CT baseline``: the packs holding the rule, and why."""
    cited = [j for j in JURISDICTIONS if e.basis(j) == "citation"]
    base = [j for j in JURISDICTIONS if e.basis(j) == "baseline"]
    parts = [f"{', '.join(cited)} cited"] if cited else []
    parts += [f"{', '.join(base)} baseline"] if base else []
    serves = [j for j in JURISDICTIONS if e.basis(j) == "serves"]
    parts += [f"{', '.join(serves)} serving its own text"] if serves else []
    return "; ".join(parts)


def _kinds(kinds: frozenset[str]) -> str:
    if kinds == ALL_KINDS:
        return "every kind"
    return ", ".join(f"`{k}`" for k in sorted(kinds))


def _row(e: CatalogueEntry) -> list[str]:
    registered = REGISTRY.get(e.id)
    cited = "<br>".join(f"{j}: {e.cite(j)}" for j in JURISDICTIONS if j in e.jurisdictions)
    cells = [f"`{e.id}`", cited, applies_in(e), e.summary]
    if e.section == "B":
        assert e.deadline is not None
        done = "yes" if implemented(e) else "no"
        return [
            *cells,
            e.deadline.describe(),
            e.deadline.resolved_by,
            done,
            _deadline_events(e.id),
        ]
    where = e.enforced_where
    cells += [
        "yes" if implemented(e) else "no",
        _kinds(registered.kinds) if registered else (where if where is not None else ""),
    ]
    return cells


def _deadline_events(rule_id: str) -> str:
    """What opens and resolves a deadline in :mod:`server.compliance.deadlines`, for the table."""
    d = DEADLINES.get(rule_id)
    if d is None:
        return ""

    def kinds(names: frozenset[str]) -> str:
        if ANY_KIND in names:
            return "the events it waits for (any kind)"
        return ", ".join(f"`{k}`" for k in sorted(names))

    parts = []
    if d.opens_on:
        parts.append(f"opened by {kinds(d.opens_on)}")
    if d.swept is not None:
        parts.append(f"sweep: {d.swept}")
    if d.resolves_on:
        parts.append(f"resolved by {kinds(d.resolves_on)}")
    if d.late_on:
        parts.append(f"{kinds(d.late_on)} recorded after it: accepted, flagged late on the ack")
    return "; ".join(parts)


def render() -> str:
    """The full text of ``docs/rules.md``."""
    lines = [
        "# Regulatory rules",
        "",
        f"<!-- Generated by `{FIX_COMMAND}` from server/compliance/rules/catalogue.py and the rule "
        "registry. Do not edit by hand. -->",
        "",
        "Every rule in seedtrace's catalogue (`server/compliance/rules/catalogue.py`), with the "
        "jurisdictions whose pack includes it and whether seedtrace enforces it yet (a rule is "
        "implemented when it is in `server.compliance.rules.catalogue.ENFORCED_ELSEWHERE`, "
        "which names the module that enforces a rule that is not a check on one event, or in "
        "`server.compliance.rules.REGISTRY`, a deadline when it is in "
        "`server.compliance.deadlines.DEADLINES`). Deadlines are computed on the licensee's "
        "local calendar by `server/compliance/rules/calendar.py`: business days exclude "
        "weekends and the state's public holidays (from the `holidays` package); a day-based "
        "deadline ends at the local midnight after its last day; a close-of-business deadline "
        "at the licensee's close of business (17:00 local unless `licence.updated` sets it); "
        "hour-based deadlines are elapsed time. The deadline engine "
        "(`server/compliance/deadlines/`) opens a notification when a deadline starts, resolves "
        "it when the event that resolves it is accepted, and marks it overdue when its time "
        "passes; an event that is itself late is accepted with a notice on its ack "
        "(`docs/architecture.md`, Deadlines and notifications).",
        "",
        BASELINE_PARAGRAPH,
        "",
        CITATION_PARAGRAPH,
        "",
        CT_PARAGRAPH,
        "",
        "| jurisdiction | rules in its pack | implemented |",
        "| --- | --- | --- |",
    ]
    for j in JURISDICTIONS:
        ids = pack(j)
        done = sum(implemented(e) for e in ENTRIES if e.id in ids)
        lines.append(f"| {j} | {len(ids)} | {done} |")
    for section, title in SECTION_TITLES.items():
        header = ["ID", "citation shown to each state's licensees", "applies in", "what it checks"]
        if section == "B":
            header += ["deadline", "resolved by", "implemented", "events"]
        else:
            header += ["implemented", "checked on"]
        lines += [
            "",
            f"## {section}. {title}",
            "",
            "| " + " | ".join(header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
        ]
        for e in ENTRIES:
            if e.section == section:
                lines.append("| " + " | ".join(_cell(c) for c in _row(e)) + " |")
    return "\n".join(lines) + "\n"


def is_stale(path: Path = DOCS_PATH) -> bool:
    """Whether ``path`` differs from what :func:`render` produces (or is missing)."""
    return not path.is_file() or path.read_text(encoding="utf-8") != render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.compliance.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=DOCS_PATH, help="file to write or check")
    args = parser.parse_args(argv)
    if args.check:
        if is_stale(args.output):
            print(f"{args.output} is stale; run: {FIX_COMMAND}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(render(), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
