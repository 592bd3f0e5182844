"""SALES-INVOICE (CA 8401): a transfer to another licensee has an invoice with every 8401 field,
printable as HTML and PDF, with the purchaser's receipt or rejection recorded. California
refuses a manifest without the cost to the purchaser; Oregon's text sets no invoice, so its
manifest is accepted and its invoice says what it lacks."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome
from schemas.clock import SYSTEM_CLOCK
from server.config import ServerSettings
from server.documents.invoice_pdf import FontMissing, render
from server.ingest.pipeline import Pipeline
from server.store.invoices import invoice
from server.store.rebuild import verify as rebuild
from tests.server import domain as d
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.test_pages import MANAGER, OWN_PAGE, REGULATOR, make_app
from tests.server.floor import Station, harvested, to_flowering, uid
from tests.server.test_pipeline import run

HB = "HB-2026-12-01"
P1, P2 = d.package_uid(1), d.package_uid(2)
BUYER = "C11-0000456-LIC"


def stock(engine: Engine, licence: str) -> tuple[Pipeline, Station]:
    """Two flower packages on hand at ``licence``."""
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station(licence=licence)
    plants = [uid(1), uid(2)]
    acks = run(
        pipeline,
        station,
        station.event(d.package_tags_received(1, 5)),
        *(station.event(p) for p in to_flowering("B-1", 5, plants, tags=(1, 10))),
        *(station.event(harvested(u, "500", harvest_batch=HB)) for u in plants),
        station.event(d.package_created(P1, [(HB, "300")])),
        station.event(d.package_created(P2, [(HB, "200")])),
    )
    assert [a.outcome for a in acks] == [Outcome.ACCEPTED] * len(acks), acks
    return pipeline, station


def one(pipeline: Pipeline, station: Station, payload: dict[str, Any]) -> Ack:
    (ack,) = run(pipeline, station, station.event(payload))
    return ack


def rules_of(ack: Ack) -> list[str]:
    return [v.rule_id for v in ack.violations]


def manifest(licence: str, prices: list[str] | None, discount: str | None = None) -> Any:
    return d.manifested(
        "M-7", [(P1, "300"), (P2, "200")], seller=licence, prices=prices, discount=discount
    )


def test_a_california_manifest_without_the_cost_is_refused(engine: Engine) -> None:
    pipeline, station = stock(engine, OTHER_LICENCE)
    refused = one(pipeline, station, manifest(OTHER_LICENCE, None))
    assert refused.outcome is Outcome.REJECTED
    assert rules_of(refused) == ["SALES-INVOICE"]
    assert P1 in refused.violations[0].message
    assert "price" in refused.violations[0].message
    accepted = one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"], "100.00"))
    assert accepted.outcome is Outcome.ACCEPTED, accepted


def test_an_oregon_manifest_needs_no_price_and_its_invoice_says_so(engine: Engine) -> None:
    pipeline, station = stock(engine, LICENCE)
    ack = one(pipeline, station, manifest(LICENCE, None))
    assert ack.outcome is Outcome.ACCEPTED, ack
    with engine.connect() as conn:
        inv = invoice(conn, LICENCE, "M-7")
    assert inv is not None
    assert inv.total is None
    assert any(m.startswith("8401(f)") and P1 in m for m in inv.missing)


def test_the_invoice_carries_every_8401_field(engine: Engine) -> None:
    pipeline, station = stock(engine, OTHER_LICENCE)
    assert one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"], "100.00")).outcome
    with engine.connect() as conn:
        inv = invoice(conn, OTHER_LICENCE, "M-7")
    assert inv is not None
    assert (inv.seller.licence, inv.seller.name, inv.seller.address) == (
        OTHER_LICENCE,
        "Green Acres Farm",
        f"1 Farm Road ({OTHER_LICENCE})",
    )  # (a)
    assert inv.purchaser is not None
    assert inv.purchaser.licence == BUYER
    assert inv.transfer_date == d.NOW.date()  # (c)
    assert inv.number == "M-7"  # (d)
    assert [(x.uid, x.grams) for x in inv.lines] == [(P1, Decimal(300)), (P2, Decimal(200))]  # (e)
    assert (inv.subtotal, inv.discount, inv.total) == (  # (f)
        Decimal("1500.00"),
        Decimal("100.00"),
        Decimal("1400.00"),
    )
    assert {(x.strain, x.category) for x in inv.lines} == {("Blue Dream", "flower")}  # (g)
    assert inv.seller_signature is not None  # (h): who recorded the manifest
    assert inv.seller_signature.recorded_by == station.operator
    assert inv.purchaser_signature is None  # (i) not yet
    assert inv.missing == [
        "8401(i) the purchaser's signature (receipt or rejection): not yet recorded"
    ]


def test_the_purchasers_receipt_and_rejection_are_recorded(engine: Engine) -> None:
    pipeline, station = stock(engine, OTHER_LICENCE)
    one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"]))
    too_early = one(pipeline, station, d.acknowledged("M-7", [P1], [(P2, "Seal broken")]))
    assert too_early.outcome is Outcome.REJECTED
    assert rules_of(too_early) == ["TRANSFER-MANIFEST"]
    assert "have not left" in too_early.violations[0].message
    assert one(pipeline, station, d.departed("M-7")).outcome is Outcome.ACCEPTED

    stranger = one(pipeline, station, d.acknowledged("M-7", [d.package_uid(5)]))
    assert rules_of(stranger) == ["TRANSFER-MANIFEST"]
    assert "is not on manifest M-7" in stranger.violations[0].message
    signed = one(pipeline, station, d.acknowledged("M-7", [P1], [(P2, "Seal broken")]))
    assert signed.outcome is Outcome.ACCEPTED, signed
    again = one(pipeline, station, d.acknowledged("M-7", [P1]))
    assert "was already acknowledged" in again.violations[0].message

    with engine.connect() as conn:
        inv = invoice(conn, OTHER_LICENCE, "M-7")
    assert inv is not None
    assert inv.purchaser_signature is not None
    assert inv.purchaser_signature.name == "R. Alvarez, receiving manager"
    assert [(x.uid, x.decision, x.reject_reason) for x in inv.lines] == [
        (P1, "accepted", None),
        (P2, "rejected", "Seal broken"),
    ]
    assert inv.missing == []
    assert rebuild(engine, keep=False)[1] == []  # the projection is the log's


def _pdf_text(body: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_the_console_prints_the_invoice_as_html_and_pdf(engine: Engine) -> None:
    pipeline, station = stock(engine, OTHER_LICENCE)
    one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"], "100.00"))
    one(pipeline, station, d.departed("M-7"))
    one(pipeline, station, d.acknowledged("M-7", [P1], [(P2, "Seal broken")]))
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as client:
        listing = client.get("/console/invoices")
        assert "M-7" in listing.text
        html = client.get("/console/invoice", params={"licence": OTHER_LICENCE, "number": "M-7"})
        pdf = client.get("/console/invoice.pdf", params={"licence": OTHER_LICENCE, "number": "M-7"})
    assert html.status_code == 200
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for page_text in (html.text, text):
        for field in (
            "Invoice M-7",
            "Green Acres Farm",
            f"Licence {OTHER_LICENCE}",
            "Coastal Distribution",
            f"Licence {BUYER}",
            d.NOW.date().strftime("%B %d, %Y"),
            P1,
            "300 g",
            "$900.00",
            "$100.00",
            "$1,400.00",
            "Blue Dream",
            "Seal broken",
            "R. Alvarez, receiving manager",
        ):
            assert field in page_text, field
    assert "Incomplete" not in text


def test_another_licensees_invoice_is_not_found_on_the_console(engine: Engine) -> None:
    pipeline, station = stock(engine, OTHER_LICENCE)
    one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"]))
    manager_of_licence = MANAGER  # sees LICENCE only
    with TestClient(make_app(engine, manager_of_licence), headers=OWN_PAGE) as client:
        for path in ("/console/invoice", "/console/invoice.pdf"):
            answer = client.get(path, params={"licence": OTHER_LICENCE, "number": "M-7"})
            assert answer.status_code == 404
        assert "M-7" not in client.get("/console/invoices").text


def test_a_missing_font_is_named(engine: Engine, tmp_path: Path) -> None:
    pipeline, station = stock(engine, OTHER_LICENCE)
    one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"]))
    with engine.connect() as conn:
        inv = invoice(conn, OTHER_LICENCE, "M-7")
    assert inv is not None
    with pytest.raises(FontMissing, match="fonts-dejavu-core"):
        render(inv, tmp_path)
    assert render(inv, ServerSettings().invoice_font_dir).startswith(b"%PDF")


def test_times_on_the_invoice_are_the_premises() -> None:
    from server.documents.invoice_pdf import _when

    at = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    assert _when(at, "America/Los_Angeles") == "Tue 01 Dec 2026 12:00 PST"
    assert _when(at + timedelta(days=200), "America/Los_Angeles").endswith("PDT")
