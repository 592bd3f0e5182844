"""Recording the day's reconciliation and comparing a physical audit from the reports page,
on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from server.analytics.refresh import refresh
from server.console.queries.counts import CountsError, parse_counts
from tests.server.console.day import PLANTS, floor_day, now
from tests.server.console.test_pages import MANAGER, OWN_PAGE, REGULATOR, make_app


def test_recording_the_reconciliation_resolves_it_and_lists_the_day(engine: Engine) -> None:
    floor_day(engine)
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        page = client.get("/console/reports").text
        assert "Record reconciliation" in page
        done = client.post(
            "/console/reports/reconciled",
            data={"business_date": "2026-11-23", "note": "all counted"},
        )
        assert "Reconciliation of 2026-11-23 recorded." in done.text
        assert "<td>2026-11-23</td><td>a.chen</td>" in done.text
        assert "all counted" in done.text
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as client:
        assert "Record reconciliation" not in client.get("/console/reports").text
        refused = client.post("/console/reports/reconciled", data={"business_date": "2026-11-24"})
        assert "This view is read-only" in refused.text


def test_a_physical_audit_shows_each_variance(engine: Engine) -> None:
    floor_day(engine)  # B-1: 6 untagged; PLANTS[3:] flowering; HB-1 1530.45 g wet
    counted = "\n".join(
        [
            "# item type, id, count, weight",
            f"plant, {PLANTS[3]}, 1",
            f"plant, {PLANTS[4]}, 0",
            "batch\tB-1\t6",
            "harvest_batch, HB-1, , 1500 g",
            "plant, 1A4FF0100000022099999999, 1",
        ]
    )
    with TestClient(
        make_app(engine, REGULATOR), headers=OWN_PAGE
    ) as client:  # an inspector may compare
        html = client.post("/console/reports/physical-audit", data={"counted": counted}).text
    lines = html.split('id="physical-lines"')[1].split("</tbody>")[0]
    assert lines.count("<tr") == 6  # five counted, and PLANTS[5] not counted
    assert "VARIANCE" in lines  # PLANTS[4] missing
    assert "within moisture tolerance" in lines  # HB-1: -30.45 g of 1530.45 g, -1.99 %
    assert "UNKNOWN ITEM" in lines
    assert "NOT COUNTED" in lines
    assert "-30.45 g (-1.99 %)" in lines
    assert "<b>3</b>variances" in html


def test_a_bad_count_line_is_named_and_the_text_kept(engine: Engine) -> None:
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        html = client.post(
            "/console/reports/physical-audit", data={"counted": "plant, X1, one"}
        ).text
    assert "line 1: count &#39;one&#39; is not a whole number" in html
    assert "plant, X1, one</textarea>" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "nothing was counted"),
        ("tree, X, 1", "line 1: item type 'tree' is not one of"),
        ("plant, X", "line 1: give item type, item id"),
        ("plant, X, , ", "give the count, the weight, or both"),
        ("harvest_batch, HB-1, , 12 stone", "line 1: weight.unit"),
        ("harvest_batch, HB-1, , heavy", "is not a number and a unit"),
        ("plant, X, 1\nplant, X, 1", "plant X is counted twice"),
    ],
)
def test_count_lines_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CountsError, match=message):
        parse_counts(text)


def test_count_lines_keep_weights_exact() -> None:
    audit = parse_counts("harvest_batch, HB-1, , 1512.30 g\npackage, P-1, 3, 0.5 lb")
    assert [(c.item_id, c.count, str(c.weight)) for c in audit.counted] == [
        ("HB-1", None, "1512.30 g"),
        ("P-1", 3, "0.5 lb"),
    ]


def test_a_regulator_overseeing_nobody_sees_empty_pages(engine: Engine) -> None:
    from server.console.viewer import Viewer

    nobody = Viewer("olcc.2", "New inspector", "regulator", (), read_only=True)
    floor_day(engine)
    with TestClient(make_app(engine, nobody), headers=OWN_PAGE) as client:
        for path in (
            "/console/",
            "/console/inventory",
            "/console/notifications",
            "/console/tags",
            "/console/users",
            "/console/reports",
            "/console/stations",
            f"/console/audit?item={PLANTS[0]}",
        ):
            r = client.get(path)
            assert r.status_code == 200, path
            assert "Blue Dream" not in r.text, path
        r = client.post("/console/reports/physical-audit", data={"counted": "batch, B-1, 6"})
        assert "no licence" in r.text


def test_a_manager_records_a_physical_audit_and_a_regulator_only_compares(engine: Engine) -> None:
    floor_day(engine)
    counted = "harvest_batch, HB-1, , 1200 g"  # 1530.45 g expected: 21.6 % short
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as client:
        assert "Record this audit" not in client.get("/console/reports").text
        html = client.post(
            "/console/reports/physical-audit", data={"counted": counted, "record": "yes"}
        ).text
        assert "<b>1</b>variances" in html
        assert "recorded, counted by" not in html
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        assert "Record this audit" in client.get("/console/reports").text
        bad = client.post(
            "/console/reports/physical-audit",
            data={"counted": counted, "record": "yes", "audited_by": "  K.\tLee  "},
        ).text
        assert (
            "The audit was not recorded: who counted it must be a name of at most 100 "
            "characters on one line, without tabs." in bad
        )
        html = client.post(
            "/console/reports/physical-audit",
            data={"counted": counted, "record": "yes", "audited_by": "K. Lee"},
        ).text
    assert "recorded, counted by K. Lee." in html
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT audited_by, recorded_by, lines, variances FROM inventory_audits")
        ).all()
    assert [tuple(r) for r in rows] == [("K. Lee", "a.chen", 1, 1)]
    # The analytics page then shows the audit's signal, its subject not taken for an item.
    refresh(engine, now())
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        page = client.get("/console/analytics").text
    assert "<td>audit-variance</td>" in page
    assert "harvest_batch HB-1: 1200 g weighed, 1530.45 g expected" in page
    assert 'href="/console/audit?item=AUD-' not in page
