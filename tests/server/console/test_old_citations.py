"""A rejection stored before citations followed the licensee's jurisdiction (the combined
OR and CA text) is shown with the licensee's own provisions only: in the floor feed, the audit
trail and the API. The log row itself keeps what was stored."""

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from server.compliance.deadlines.store import jurisdiction_of, own_citations
from server.compliance.rules.catalogue import CatalogueEntry
from server.console.queries import feed
from server.db.core import table_of
from server.db.tables import EventLog
from tests.server.conftest import LICENCE
from tests.server.console.day import floor_day
from tests.server.console.test_pages import MANAGER, OWN_PAGE, make_app

COMBINED = "OR Cultivation Batches (1)-(2); CA 8403(b)(1)"
L = table_of(EventLog)


def test_an_old_combined_citation_reads_as_the_licensees_own(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old_days:  # decided as the earlier versions cited
        old_days.setattr(CatalogueEntry, "cite", lambda self, jurisdiction: COMBINED)
        floor_day(engine)  # batch B-2 of 150 at veg-1: rejected, BATCH-MAX-100
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(L.c.violations, jurisdiction_of(L.c.licence)).where(L.c.outcome == "rejected")
        ).one()
    (violation,) = json.loads(stored.violations)
    assert violation["citation"] == COMBINED  # the record keeps what was stored
    assert stored.jurisdiction == "OR"

    (rejected,) = [r for r in feed.recent(engine, [LICENCE], feed.FeedFilter()) if not r.accepted]
    assert [(p.rule_id, p.citation) for p in rejected.violations] == [
        ("BATCH-MAX-100", "OR Cultivation Batches (2)")
    ]
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        page = client.get("/console/").text
        trail = client.get("/console/audit", params={"item": "B-2"}).text
    for html in (page, trail):
        assert "OR Cultivation Batches (2)" in html
        assert "CA 8403" not in html


def test_without_a_jurisdiction_the_stored_text_stands() -> None:
    stored = [{"rule_id": "BATCH-MAX-100", "citation": COMBINED, "message": "m"}]
    assert own_citations(stored, None) == stored
    assert own_citations(stored, "CA")[0]["citation"] == "CA 8403(b)(1)"
    unknown = [{"rule_id": "NOT-A-RULE", "citation": "as stored", "message": "m"}]
    assert own_citations(unknown, "OR") == unknown
