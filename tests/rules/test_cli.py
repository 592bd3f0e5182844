"""``seedtrace rules list`` prints the catalogue."""

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_rules_list_shows_ids_and_citations() -> None:
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 0, result.output
    assert "UID-RETIRE-3BD" in result.output
    assert "OR Cultivation Batches (2); CA 8403(b)(1)" in result.output
    assert "3 business days after destruction or disposal" in result.output


def test_rules_list_for_one_jurisdiction() -> None:
    result = runner.invoke(app, ["rules", "list", "--jurisdiction", "ct"])
    assert result.exit_code == 0, result.output
    assert "REGULATOR-ACCESS" in result.output
    assert "CT announcement" in result.output
    assert "BATCH-MAX-100" not in result.output  # cited by OR and CA only
    assert "BATCH-ID-UNIQUE" in result.output  # baseline
    assert "OR cited; CA, CT baseline" in result.output
    # CT's own pack: the baseline (with CLOSED-OUT and NO-FUTURE-EVENT) and its two rules.
    assert "18 rules" in result.output
    # Only Connecticut's text is cited to a CT licensee.
    assert "CT announcement, seedtrace record-soundness baseline" in result.output
    assert "Cultivation Batches" not in result.output
    assert "8403" not in result.output


def test_rules_list_for_oregon_cites_only_oregon() -> None:
    result = runner.invoke(app, ["rules", "list", "--jurisdiction", "OR"])
    assert result.exit_code == 0, result.output
    assert "OR Cultivation Batches (2)\n" in result.output
    assert "CA 84" not in result.output


def test_rules_list_refuses_an_unknown_jurisdiction() -> None:
    result = runner.invoke(app, ["rules", "list", "--jurisdiction", "WA"])
    assert result.exit_code == 2
