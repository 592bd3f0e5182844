"""The console's invoices (SALES-INVOICE, CA 8401): every transfer to another licensee the
viewer may see, and each one's invoice as a printable page and as a PDF. The page and the PDF
show the same fields (:mod:`server.store.invoices`), and say what an invoice still lacks."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse, Response

from server.console.deps import EngineDep, ViewerDep
from server.console.pages import page, router
from server.documents.invoice_pdf import FontMissing, render
from server.store.invoices import Invoice, invoice, invoice_numbers, money, quantity

Licence = Annotated[str, Query(max_length=40)]
Number = Annotated[str, Query(max_length=100)]


@router.get("/invoices")
def invoices_page(request: Request, viewer: ViewerDep, engine: EngineDep) -> HTMLResponse:
    with engine.connect() as conn:
        found = invoice_numbers(conn, viewer.licences)
    return page(request, viewer, "invoices.html", "Invoices", invoices=found)


def _invoice(viewer: ViewerDep, engine: EngineDep, licence: str, number: str) -> Invoice:
    inv = None
    if viewer.may_see(licence):
        with engine.connect() as conn:
            inv = invoice(conn, licence, number)
    if inv is None:  # another licensee's is not found either: a 403 would confirm it exists
        raise HTTPException(404, f"invoice {number} of licensee {licence} not found")
    return inv


@router.get("/invoice")
def invoice_page(
    request: Request, viewer: ViewerDep, engine: EngineDep, licence: Licence, number: Number
) -> HTMLResponse:
    inv = _invoice(viewer, engine, licence, number)
    return page(
        request,
        viewer,
        "invoice.html",
        f"Invoice {inv.number}",
        inv=inv,
        money=money,
        quantity=quantity,
    )


@router.get("/invoice.pdf")
def invoice_pdf(
    request: Request, viewer: ViewerDep, engine: EngineDep, licence: Licence, number: Number
) -> Response:
    inv = _invoice(viewer, engine, licence, number)
    try:
        body = render(inv, request.app.state.settings.invoice_font_dir)
    except FontMissing as err:
        raise HTTPException(503, str(err)) from err
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in inv.number)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="invoice-{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )
