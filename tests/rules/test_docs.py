"""docs/rules.md is generated from the catalogue and the registry, and kept up to date."""

from pathlib import Path

from server.compliance.docs import DOCS_PATH, FIX_COMMAND, is_stale, main, render


def test_docs_rules_md_is_not_stale() -> None:
    assert not is_stale(), f"{DOCS_PATH} is stale; run: {FIX_COMMAND}"


def test_render_is_deterministic() -> None:
    assert render() == render()


def test_check_exits_1_when_stale_and_0_when_written(tmp_path: Path) -> None:
    out = tmp_path / "rules.md"
    out.write_text("old\n")
    assert main(["--check", "--output", str(out)]) == 1
    assert main(["--output", str(out)]) == 0
    assert main(["--check", "--output", str(out)]) == 0


def test_docs_name_ids_citations_and_the_ct_reasoning() -> None:
    text = render()
    assert "| `UID-RETIRE-3BD` | CA: CA 8403(e) | CA cited |" in text
    assert (
        "| `TAG-ONE-ITEM` | OR: OR User Requirements (1)-(2), seedtrace record-soundness "
        "baseline<br>CA: CA 8403(b)(4),(e)<br>CT: CT announcement, seedtrace record-soundness "
        "baseline | CA cited; OR, CT baseline |"
    ) in text
    assert "| `BATCH-MAX-100` | OR: OR Cultivation Batches (2)<br>CA: CA 8403(b)(1) |" in text
    assert "**Citations per licensee.**" in text
    assert "| `USER-AUTHORISED` |" in text
    assert "every kind" in text
    assert "3 business days after destruction or disposal" in text
    assert "The CT pack" in text
    assert "record-soundness baseline" in text


def test_docs_show_what_opens_and_resolves_each_deadline() -> None:
    text = render()
    assert "| yes | opened by `plant.destroyed`; resolved by `tag.retired` |" in text
    assert "sweep: opened each business day" in text
    assert "`sale.recorded` recorded after it: accepted, flagged late on the ack" in text
