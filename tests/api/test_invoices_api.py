"""Sales invoices over the API (SALES-INVOICE, CA 8401): the invoice as JSON and as a PDF, and
the purchaser's signature recorded by the seller's people, never by a regulator."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.conftest import LICENCE, OTHER_LICENCE
from tests.server import domain as d
from tests.server.test_invoices import P1, P2, _pdf_text, manifest, one, stock

URL = f"/api/v1/licensees/{LICENCE}"


def test_a_regulator_reads_the_invoice_and_its_pdf(
    client: TestClient, engine: Engine, regulator: dict[str, str]
) -> None:
    pipeline, station = stock(engine, LICENCE)
    one(pipeline, station, manifest(LICENCE, ["900.00", "600.00"], "100.00"))
    answer = client.get(f"{URL}/invoices/M-7", headers=regulator)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["number"] == "M-7"
    assert body["seller"]["licence"] == LICENCE
    assert body["purchaser"]["licence"] == "C11-0000456-LIC"
    assert [(x["uid"], x["price"]) for x in body["lines"]] == [(P1, "900.00"), (P2, "600.00")]
    assert (body["subtotal"], body["discount"], body["total"]) == ("1500.00", "100.00", "1400.00")
    assert body["seller_signature"]["recorded_by"] == station.operator
    assert body["missing"] == [
        "8401(i) the purchaser's signature (receipt or rejection): not yet recorded"
    ]
    pdf = client.get(f"{URL}/invoices/M-7", params={"format": "pdf"}, headers=regulator)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "$1,400.00" in _pdf_text(pdf.content)
    assert client.get(f"{URL}/invoices/M-8", headers=regulator).status_code == 404


def test_the_seller_records_the_purchasers_signature(
    client: TestClient, engine: Engine, manager: dict[str, str], regulator: dict[str, str]
) -> None:
    pipeline, station = stock(engine, LICENCE)
    one(pipeline, station, manifest(LICENCE, ["900.00", "600.00"]))
    one(pipeline, station, d.departed("M-7"))
    signature = {
        "manifest_id": "M-7",
        "signed_by": "R. Alvarez, receiving manager",
        "signed_at": datetime.now(UTC).isoformat(),
        "accepted": [P1],
        "rejected": [{"uid": P2, "reason": "Seal broken"}],
    }
    path = f"{URL}/invoice-acknowledgements"
    assert client.post(path, json=signature, headers=regulator).status_code == 403
    recorded = client.post(path, json=signature, headers=manager)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["kind"] == "invoice.acknowledged"
    twice = client.post(path, json=signature, headers=manager)
    assert twice.status_code == 422
    assert "TRANSFER-MANIFEST" in twice.json()["detail"]
    body = client.get(f"{URL}/invoices/M-7", headers=manager).json()
    assert body["purchaser_signature"]["name"] == "R. Alvarez, receiving manager"
    assert [(x["receipt"], x["reject_reason"]) for x in body["lines"]] == [
        ("accepted", None),
        ("rejected", "Seal broken"),
    ]
    assert body["missing"] == []


def test_another_licensees_invoice_is_not_visible(
    client: TestClient, engine: Engine, regulator: dict[str, str]
) -> None:
    pipeline, station = stock(engine, OTHER_LICENCE)
    one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"]))
    answer = client.get(f"/api/v1/licensees/{OTHER_LICENCE}/invoices/M-7", headers=regulator)
    assert answer.status_code == 404
