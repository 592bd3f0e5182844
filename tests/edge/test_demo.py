"""``make demo`` keeps working: three stations, scripted workers, the real agent and server."""

from pathlib import Path

import pytest

from cli.demo import run_demo

pytestmark = [pytest.mark.broker, pytest.mark.hardware, pytest.mark.slow]


def test_the_demo_runs_a_floor_day_at_three_stations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_demo(workdir=tmp_path / "demo")
    out = capsys.readouterr().out
    for station in ("veg-1", "flower-1", "harvest-1"):
        assert f"station    {station:<10} display http://127.0.0.1:" in out
    assert "receives a roll of 50 plant tags" in out
    assert "was already destroyed" in out  # the server's rejection, shown at the station
    assert "was already harvested here" in out  # refused at the station
    assert "OFFLINE since" in out
    assert "transfers blocked" in out
    assert "Saved as #7: will be sent when access returns" in out
    assert "every event entered, in order" in out
    assert "#4 access.lost (accepted)" in out
    assert "#8 access.restored (accepted)" in out
    assert "  veg-1      accepted  11" in out
