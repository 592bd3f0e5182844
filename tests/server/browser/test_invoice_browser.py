"""The sales invoice in headless Chromium (SALES-INVOICE, CA 8401): a regulator finds a
licensee's invoice, and the page prints with every 8401 field and none of the console around
it (the printed page is read back from Chromium's own PDF); the seller's manager records the
purchaser's signature on the page and finds it in the invoice's PDF."""

import io
from typing import Any

import pypdf
import pytest

from tests.server import domain as d
from tests.server.browser.conftest import REGULATOR, Site
from tests.server.browser.harness import screenshot
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.test_invoices import P1, P2, manifest, one, stock

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_a_regulator_prints_an_invoice(site: Site, page: Any) -> None:
    pipeline, station = stock(site.engine, OTHER_LICENCE)
    one(pipeline, station, manifest(OTHER_LICENCE, ["900.00", "600.00"], "100.00"))
    one(pipeline, station, d.departed("M-7"))
    site.sign_in(page, REGULATOR)
    page.get_by_role("link", name="Invoices").click()
    page.get_by_role("link", name="M-7").click()
    page.get_by_role("heading", name="Invoice M-7").wait_for()
    assert "$1,400.00" in page.locator("#total").inner_text()
    assert "not yet recorded" in page.locator("#missing").inner_text()
    screenshot(page, "invoice")

    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()  # no console navigation on paper
    assert not page.get_by_role("button", name="Print").is_visible()
    assert page.locator("#lines").is_visible()
    printed = pypdf.PdfReader(io.BytesIO(page.pdf(format="Letter")))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in printed.pages)
    for field in (
        "Invoice M-7",
        "Green Acres Farm",
        f"Licence {OTHER_LICENCE}",
        "Coastal Distribution",
        P1,
        "$900.00",
        "$1,400.00",
        "Blue Dream",
        "Seller's signature",
        "Purchaser's signature",
    ):
        assert field in text, field
    assert "Sign out" not in text


def test_the_seller_records_the_purchasers_signature_and_it_prints(site: Site, page: Any) -> None:
    """An account manager of the seller records who signed for the purchaser, one item
    received and one rejected; the page shows it and the invoice's PDF carries it."""
    pipeline, station = stock(site.engine, LICENCE)
    one(pipeline, station, manifest(LICENCE, ["900.00", "600.00"]))
    one(pipeline, station, d.departed("M-7"))
    site.sign_in(page, "a.chen")
    page.get_by_role("link", name="Invoices").click()
    page.get_by_role("link", name="M-7").click()
    form = page.get_by_role("form", name="Record the purchaser's signature")
    form.get_by_label("Signed by").fill("R. Alvarez, receiving manager")
    form.get_by_label(f"Receipt of {P1}").select_option("accepted")
    form.get_by_label(f"Receipt of {P2}").select_option("rejected")
    form.get_by_label(f"Reason {P2} was rejected").fill("seal broken")
    form.get_by_role("button", name="Record signature").click()
    page.get_by_text("1 received, 1 rejected").wait_for()
    signature = page.locator("#purchaser-signature").inner_text()
    assert "Signed by R. Alvarez, receiving manager" in signature
    assert "recorded by Ana Chen (a.chen)" in signature
    lines = page.locator("#lines").inner_text()
    assert "Received" in lines
    assert "Rejected seal broken" in lines
    assert page.get_by_role("form", name="Record the purchaser's signature").count() == 0
    assert "8401(i)" not in page.locator("main").inner_text()  # nothing missing any more

    pdf = page.request.get(f"{site.web.url}/console/invoice.pdf?licence={LICENCE}&number=M-7")
    assert pdf.ok
    printed = pypdf.PdfReader(io.BytesIO(pdf.body()))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in printed.pages)
    assert "Signed by R. Alvarez, receiving manager" in text
    assert "rejected: seal broken" in text
    assert "accepted" in text
