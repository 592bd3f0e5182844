"""The console's analytics page: signals with their events and reviews, the harvest batches'
mass balance, and for a regulator every licensee it oversees ranked by open signals."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from server.analytics.refresh import refresh
from server.analytics.views import signals
from server.console.viewer import Viewer
from tests.analytics.cases import weighed
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import floor_day, now, send
from tests.server.console.test_pages import MANAGER, OWN_PAGE, REGULATOR, make_app

USER = Viewer("maria.lopez", "Maria Lopez", "user", (LICENCE,), read_only=False)


def heavier_dry_than_wet(engine: Engine, licence: str) -> None:
    """HB-1 weighed 1,530.45 g wet (floor_day); a dry weight of 1,600 g cannot be."""
    stations = floor_day(engine, licence)
    ack = send(engine, stations["harvest"], weighed("HB-1", "1600"))
    assert ack.outcome is Outcome.ACCEPTED, ack.violations


def signals_at_both(engine: Engine) -> None:
    """:func:`heavier_dry_than_wet` at both licensees, then the analytics refreshed."""
    heavier_dry_than_wet(engine, LICENCE)
    heavier_dry_than_wet(engine, OTHER_LICENCE)
    refresh(engine, now())


def test_a_manager_reviews_a_signal_of_its_own_licensee(engine: Engine) -> None:
    signals_at_both(engine)
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        page = client.get("/console/analytics").text
        assert 'href="/console/analytics"' in page  # in the navigation
        assert "Signals of " + LICENCE in page
        assert OTHER_LICENCE not in page
        assert "moisture-loss-negative" in page
        assert "weighs 1600 g dry, more than the 1530.45 g it weighed wet" in page
        assert "1,530.45 g" in page  # the balance's wet weight
        assert "Mark reviewed" in page
        # Three flowering plants, and only three harvested to learn from: said, not guessed.
        assert "3 live plants are not projected" in page
        signal_id = page.split('id="signal-')[1].split('"')[0]

        empty = client.post(f"/console/analytics/signals/{signal_id}/review", data={"note": " "})
        assert "Not recorded: say in the note what was looked at." in empty.text
        done = client.post(
            f"/console/analytics/signals/{signal_id}/review",
            data={"note": "Dry weight keyed as 1600, scale says 410"},
        )
        assert f"Review of signal {signal_id} (moisture-loss-negative) recorded." in done.text
        assert "Alice Chen" in done.text
        assert "Dry weight keyed as 1600, scale says 410" in done.text
        assert "<td>reviewed</td>" in done.text


def test_a_regulator_sees_the_ranking_and_may_review(engine: Engine) -> None:
    heavier_dry_than_wet(engine, OTHER_LICENCE)
    floor_day(engine, LICENCE)  # an honest twin: no signal
    refresh(engine, now())
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as client:
        page = client.get("/console/analytics").text
        ranked = page.split('<tbody id="ranked">')[1].split("</tbody>")[0]
        assert ranked.index(OTHER_LICENCE) < ranked.index(LICENCE)  # most open signals first
        assert "Signals of " + OTHER_LICENCE in page  # the top of the ranking is shown first
        assert "Projected harvest of all 2 licensees" in page
        own = client.get("/console/analytics", params={"licence": LICENCE}).text
        assert "No signal." in own
        signal_id = page.split('id="signal-')[1].split('"')[0]
        done = client.post(
            f"/console/analytics/signals/{signal_id}/review",
            data={"note": "Asked for the scale log"},
        )
        assert "recorded" in done.text
        assert "OLCC inspector" in done.text


def test_a_user_reads_but_does_not_review(engine: Engine) -> None:
    signals_at_both(engine)
    with TestClient(make_app(engine, USER), headers=OWN_PAGE) as client:
        page = client.get("/console/analytics").text
        assert "moisture-loss-negative" in page
        assert "Mark reviewed" not in page
        signal_id = page.split('id="signal-')[1].split('"')[0]
        refused = client.post(f"/console/analytics/signals/{signal_id}/review", data={"note": "ok"})
        assert "Only a manager or a regulator may review a signal." in refused.text
        with engine.connect() as conn:  # OTHER_LICENCE's: not even said to exist
            (other,) = [str(s.id) for s in signals(conn, OTHER_LICENCE)]
        hidden = client.post(f"/console/analytics/signals/{other}/review", data={"note": "ok"})
        assert f"There is no signal {other}." in hidden.text
