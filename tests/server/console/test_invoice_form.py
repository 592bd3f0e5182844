"""The invoice page's form for the purchaser's signature (SALES-INVOICE, CA 8401(i)), through
the app on SQLite and PostgreSQL: the seller's staff record it and see it; what is wrong is
refused by name with nothing recorded; a regulator has no form and cannot post one."""

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.server import domain as d
from tests.server.conftest import LICENCE
from tests.server.console.test_pages import MANAGER, OWN_PAGE, REGULATOR, make_app
from tests.server.test_invoices import P1, P2, manifest, one, stock

PAGE = f"/console/invoice?licence={LICENCE}&number=M-7"
POST = f"/console/invoice/acknowledge?licence={LICENCE}&number=M-7"
ZONE = ZoneInfo("America/Los_Angeles")  # the licensee's premises


def _shipped(engine: Engine) -> None:
    pipeline, station = stock(engine, LICENCE)
    assert one(pipeline, station, manifest(LICENCE, ["900.00", "600.00"])).violations == []
    assert one(pipeline, station, d.departed("M-7")).violations == []


def _local(at: datetime) -> str:
    return at.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def _acknowledgements(engine: Engine) -> int:
    with engine.connect() as conn:
        query = "SELECT count(*) FROM event_log WHERE kind = 'invoice.acknowledged'"
        return int(conn.execute(sa.text(query)).scalar_one())


def test_the_seller_records_the_purchasers_signature_on_the_invoice(engine: Engine) -> None:
    _shipped(engine)
    signed = _local(datetime.now(UTC) - timedelta(hours=1))
    good = {"signed_by": "R. Alvarez", "signed_at": signed, f"decision:{P1}": "accepted"}
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as c:
        page = c.get(PAGE).text
        assert "Record the purchaser's signature" in page
        assert f'name="decision:{P2}"' in page
        for form, why in (
            ({**good, "signed_by": " "}, "say who signed for the purchaser"),
            ({**good, "signed_at": "yesterday"}, "the signing time 'yesterday' is not a date"),
            (
                {**good, "signed_at": _local(datetime.now(UTC) + timedelta(days=2))},
                "the purchaser cannot have signed at",
            ),
            ({**good, f"decision:{P1}": ""}, "mark at least one item received or rejected"),
            ({**good, f"decision:{P2}": "rejected"}, f"say why {P2} was rejected"),
            (
                {**good, "decision:1A4FF0300000022000000009": "accepted"},
                "1A4FF0300000022000000009 is not an item of invoice M-7 awaiting receipt",
            ),
        ):
            refused = unescape(c.post(POST, data=form).text)
            assert f"Nothing was recorded: {why}" in refused, why
        assert _acknowledgements(engine) == 0
        form = {**good, f"decision:{P2}": "rejected", f"reason:{P2}": "seal"}
        done = unescape(c.post(POST, data=form).text)
        assert "Recorded R. Alvarez's signature: 1 received, 1 rejected." in done
        assert "Signed by R. Alvarez" in done
        assert "recorded by Ana Chen (a.chen)" in done
        assert '<span class="badge ok">Received</span>' in done
        assert '<span class="badge bad">Rejected</span> seal' in done
        assert "Record the purchaser's signature" not in done  # nothing pending
        again = unescape(c.post(POST, data=good).text)
        assert f"Nothing was recorded: {P1} is not an item of invoice M-7" in again
    assert _acknowledgements(engine) == 1


def test_a_regulator_has_no_form_and_cannot_post_one(engine: Engine) -> None:
    _shipped(engine)
    form = {
        "signed_by": "R. Alvarez",
        "signed_at": _local(datetime.now(UTC)),
        f"decision:{P1}": "accepted",
    }
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as c:
        assert "Record the purchaser" not in c.get(PAGE).text
        refused = c.post(POST, data=form).text
    assert "this view is read-only" in refused
    assert _acknowledgements(engine) == 0
