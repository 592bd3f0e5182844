"""The sales invoice in headless Chromium (SALES-INVOICE, CA 8401): a regulator finds a
licensee's invoice, and the page prints with every 8401 field and none of the console around
it. The printed page is read back from Chromium's own PDF."""

import io
from typing import Any

import pypdf
import pytest

from tests.server import domain as d
from tests.server.browser.conftest import REGULATOR, Site
from tests.server.browser.harness import screenshot
from tests.server.conftest import OTHER_LICENCE
from tests.server.test_invoices import P1, manifest, one, stock

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
