"""The catalogue is sound and the registry agrees with it; where the team's distillation of the
regulations (``shared/regulations/RULES.md``, kept beside the checkout in the workplace, not in
this repository) is present, the catalogue matches it exactly.

The repository stands alone: its catalogue is ``server/compliance/rules/catalogue.py``
(``docs/rules.md``
is generated from it). A clone with nothing beside it skips only the cross-check, saying why.
"""

import re
from pathlib import Path

import pytest

from server.compliance.coverage import implemented
from server.compliance.deadlines import DEADLINES
from server.compliance.rules import REGISTRY
from server.compliance.rules.catalogue import (
    BASELINE,
    BEYOND_DISTILLATION,
    CATALOGUE,
    CT_PACK,
    ENFORCED_ELSEWHERE,
    ENTRIES,
    pack,
)

ROOT = Path(__file__).resolve().parents[2]
# shared/ next to the checkout, or next to the folder of worktrees.
RULES_MD = next(
    (
        p / "shared" / "regulations" / "RULES.md"
        for p in ROOT.parents
        if (p / "shared" / "regulations" / "RULES.md").is_file()
    ),
    ROOT.parent / "shared" / "regulations" / "RULES.md",
)
SECTION = re.compile(r"^## ([A-Z])\. ")
ROW = re.compile(r"^\| ([A-Z][A-Z0-9-]*) \| .* \| ([^|]+) \|$")


def rules_md() -> dict[str, tuple[str, str]]:
    """ID -> (section, citation), read from the markdown tables of RULES.md."""
    if not RULES_MD.is_file():
        pytest.skip(
            f"no cross-check: the team's rule distillation {RULES_MD} is not beside this "
            "checkout (the catalogue in server/compliance/rules/catalogue.py is checked on its own)"
        )
    found: dict[str, tuple[str, str]] = {}
    section = ""
    for line in RULES_MD.read_text(encoding="utf-8").splitlines():
        if m := SECTION.match(line):
            section = m.group(1)
        elif (m := ROW.match(line.strip())) and m.group(1) != "ID":
            assert m.group(1) not in found, f"{m.group(1)} twice in RULES.md"
            found[m.group(1)] = (section, m.group(2).strip())
    return found


def test_rules_md_was_parsed() -> None:
    parsed = rules_md()
    assert {s for s, _ in parsed.values()} == {"A", "B", "C"}
    assert len(parsed) >= 40


def test_catalogue_ids_sections_and_citations_match_rules_md() -> None:
    """Exactly the distillation's rules, plus the ones seedtrace adds beyond it (which the
    distillation must not have yet: if it gains one, its citation is the one to follow)."""
    ours = {e.id: (e.section, e.citation) for e in ENTRIES if e.id not in BEYOND_DISTILLATION}
    theirs = rules_md()
    assert ours == theirs
    assert CATALOGUE.keys() >= BEYOND_DISTILLATION
    assert not BEYOND_DISTILLATION & theirs.keys()


def test_registered_rules_cite_what_the_catalogue_cites() -> None:
    assert REGISTRY, "no rules registered"
    for rule_id, registered in REGISTRY.items():
        assert rule_id in CATALOGUE, f"{rule_id} is registered but not in the catalogue"
        assert registered.citation == CATALOGUE[rule_id].citation, rule_id
        for j in CATALOGUE[rule_id].jurisdictions:
            assert registered.cite(j) == CATALOGUE[rule_id].cite(j), (rule_id, j)


def test_implemented_follows_the_registries() -> None:
    assert {e.id for e in ENTRIES if implemented(e)} == set(REGISTRY) | set(DEADLINES) | set(
        ENFORCED_ELSEWHERE
    )


def test_a_rule_enforced_elsewhere_is_named_where_it_is_enforced() -> None:
    """The catalogue cannot claim enforcement the code does not have: each module it names
    exists and names the rule, and `seedtrace rules list` says where."""
    assert set(ENFORCED_ELSEWHERE) >= {
        "UNIQUE-LOGON",
        "TRAINED-BEFORE-ACCESS",
        "USER-ROSTER",
        "AUDIT-VARIANCE",
    }
    for rule_id, (module, _how) in ENFORCED_ELSEWHERE.items():
        assert rule_id in CATALOGUE, rule_id
        assert rule_id not in REGISTRY, f"{rule_id} is an event check: leave it to the registry"
        assert rule_id in (ROOT / module).read_text(encoding="utf-8"), (rule_id, module)
        assert CATALOGUE[rule_id].enforced_where is not None


def test_deadlines_exactly_for_section_b() -> None:
    for e in ENTRIES:
        assert (e.deadline is not None) == (e.section == "B"), e.id


def test_catalogue_stands_on_its_own() -> None:
    """Every entry has a unique ID in the house style, a section and a citation naming a
    jurisdiction's text, whether or not the distillation is beside the checkout."""
    ids = [e.id for e in ENTRIES]
    assert len(ids) == len(set(ids)) >= 40
    for e in ENTRIES:
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*", e.id), e.id
        assert e.section in {"A", "B", "C"}, e.id
        assert re.search(r"\b(OR|CA|CT)\b", e.citation), (e.id, e.citation)
    assert CATALOGUE["BATCH-MAX-100"].citation.startswith("OR Cultivation Batches (2);")


def test_packs_follow_citations_plus_the_baseline() -> None:
    assert "PACKAGE-IDENTICAL" in pack("OR")  # cites only OR
    assert "PACKAGE-IDENTICAL" not in pack("CA") | pack("CT")
    assert "CLOSED-OUT" in pack("CA")  # cites only CA, and is baseline (issue 16 item 3)
    assert "CLOSED-OUT" in pack("OR") & pack("CT")
    assert CATALOGUE["CLOSED-OUT"].basis("OR") == "baseline"
    assert "SECONDARY-SYNC" in pack("CA")  # serves CA 8402: the connector files into Metrc
    assert CATALOGUE["SECONDARY-SYNC"].basis("CA") == "serves"
    assert "BATCH-MAX-100" in pack("OR") & pack("CA")
    assert pack("CT") == CT_PACK
    assert "NO-FUTURE-EVENT" in pack("OR") & pack("CA") & pack("CT")
    assert "REGULATOR-ACCESS" not in pack("OR") | pack("CA")
    assert all(e.jurisdictions for e in ENTRIES)


def test_every_pack_holds_the_record_soundness_baseline() -> None:
    assert CATALOGUE.keys() >= BASELINE
    for j in ("OR", "CA", "CT"):
        assert pack(j) >= BASELINE
    # Each says why: TAG-ONE-ITEM cites only California, BATCH-ID-UNIQUE only Oregon.
    assert CATALOGUE["TAG-ONE-ITEM"].basis("CA") == "citation"
    assert CATALOGUE["TAG-ONE-ITEM"].basis("OR") == "baseline"
    assert CATALOGUE["BATCH-ID-UNIQUE"].basis("OR") == "citation"
    assert CATALOGUE["BATCH-ID-UNIQUE"].basis("CA") == "baseline"
    assert CATALOGUE["PACKAGE-IDENTICAL"].basis("CA") is None


def test_baseline_is_implemented_for_section_a() -> None:
    """The projections rely on the baseline's section A rules: each must be enforced."""
    assert {i for i in BASELINE if CATALOGUE[i].section == "A"} <= REGISTRY.keys()


def test_ct_pack_names_only_catalogued_rules_and_no_deadlines() -> None:
    assert set(CATALOGUE) >= CT_PACK
    assert all(CATALOGUE[i].section != "B" for i in CT_PACK)


def test_unknown_jurisdiction() -> None:
    with pytest.raises(ValueError, match="unknown jurisdiction"):
        pack("WA")  # type: ignore[arg-type]


def test_every_section_a_rule_has_pure_function_cases() -> None:
    """Each ingest invariant is checked, passing and rejecting, in tests/rules/test_*_rules.py."""
    text = "".join(p.read_text() for p in (ROOT / "tests" / "rules").glob("test_*_rules.py"))
    missing = [e.id for e in ENTRIES if e.section == "A" and f'"{e.id}"' not in text]
    assert missing == []
