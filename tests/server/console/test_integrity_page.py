"""The console's record-integrity page: a regulator sees each licensee's published checkpoints
and downloads them in the form ``seedtrace db verify --checkpoints`` reads."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from schemas.clock import ManualClock
from server.store.integrity import take_checkpoints
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.test_pages import MANAGER, OWN_PAGE, REGULATOR, make_app
from tests.server.test_integrity import behind_the_triggers, floor


def test_a_regulator_sees_and_downloads_the_checkpoints(
    engine: Engine, database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    floor(engine)
    taken = {c.licence: c for c in take_checkpoints(engine, clock.now())}
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as client:
        page = client.get("/console/integrity")
        assert page.status_code == 200
        for licence in (LICENCE, OTHER_LICENCE):
            assert taken[licence].row_hash in page.text
        assert 'href="/console/integrity"' in page.text  # in the navigation
        download = client.get("/console/integrity/checkpoints.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    kept = tmp_path / "kept.json"
    kept.write_bytes(download.content)

    args = ["db", "verify", "--checkpoints", str(kept), "--database-url", database_url]
    assert CliRunner().invoke(app, args).exit_code == 0
    with behind_the_triggers(engine) as conn:  # the whole log of LICENCE replaced
        conn.exec_driver_sql("DELETE FROM chain_checkpoints")
        conn.exec_driver_sql(f"DELETE FROM event_log WHERE licence = '{LICENCE}'")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "rewritten after that checkpoint" in result.output


def test_a_licensee_sees_only_its_own_checkpoints(engine: Engine, clock: ManualClock) -> None:
    floor(engine)
    taken = {c.licence: c for c in take_checkpoints(engine, clock.now())}
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        page = client.get("/console/integrity")
        download = client.get("/console/integrity/checkpoints.json").json()
    assert taken[LICENCE].row_hash in page.text
    assert taken[OTHER_LICENCE].row_hash not in page.text
    assert {i["licence"] for i in download["items"]} == {LICENCE}
