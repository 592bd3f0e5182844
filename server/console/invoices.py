"""The console's invoices (SALES-INVOICE, CA 8401): every transfer to another licensee the
viewer may see, and each one's invoice as a printable page and as a PDF. The page and the PDF
show the same fields (:mod:`server.store.invoices`), and say what an invoice still lacks.

The seller's staff record the purchaser's signed receipt or rejection (8401(i)) on the invoice
page (:mod:`server.console.acknowledge`): an ``invoice.acknowledged`` event through the same
pipeline as the API's ``POST .../invoice-acknowledgements``, attributed to the person who
recorded it. A regulator's view has no form, and the server refuses the request anyway.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from server.console.acknowledge import Refused, acknowledgement, may_record, signed_at_default
from server.console.deps import ClockDep, EngineDep, ViewerDep, same_origin
from server.console.pages import ScreenDep, flash, router
from server.documents.invoice_pdf import FontMissing, render
from server.ingest.submit import submit
from server.store.invoices import Invoice, invoice, invoice_numbers, money, quantity

Licence = Annotated[str, Query(max_length=40)]
Number = Annotated[str, Query(max_length=100)]


@router.get("/invoices")
def invoices_page(screen: ScreenDep) -> HTMLResponse:
    with screen.engine.connect() as conn:
        found = invoice_numbers(conn, screen.viewer.licences)
    return screen.page("invoices.html", "Invoices", invoices=found)


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
    screen: ScreenDep, clock: ClockDep, licence: Licence, number: Number
) -> HTMLResponse:
    viewer = screen.viewer
    inv = _invoice(viewer, screen.engine, licence, number)
    open_lines = [line for line in inv.lines if line.decision is None]
    return screen.page(
        "invoice.html",
        f"Invoice {inv.number}",
        inv=inv,
        money=money,
        quantity=quantity,
        open_lines=open_lines if may_record(viewer, inv) else [],
        signed_default=signed_at_default(clock.now(), inv.timezone),
    )


async def _form(request: Request) -> FormData:
    return await request.form()


@router.post("/invoice/acknowledge", dependencies=[Depends(same_origin)])
def acknowledge(
    viewer: ViewerDep,
    engine: EngineDep,
    clock: ClockDep,
    licence: Licence,
    number: Number,
    form: Annotated[FormData, Depends(_form)],
) -> RedirectResponse:
    """Record the purchaser's signature from the invoice page's form; back to the page with
    what was recorded, or what was wrong (nothing recorded)."""
    inv = _invoice(viewer, engine, licence, number)
    back = "/console/invoice?" + urlencode({"licence": licence, "number": number})
    if not may_record(viewer, inv):
        return flash(
            back,
            "Only the seller's staff record the purchaser's signature; this view is read-only.",
            ok=False,
        )
    try:
        payload = acknowledgement(inv, form, clock.now())
    except Refused as err:
        return flash(back, f"Nothing was recorded: {err}", ok=False)
    ack = submit(engine, licence, viewer.user_id, payload, clock=clock)
    if ack.violations:
        why = "; ".join(f"{v.rule_id}: {v.message}" for v in ack.violations)
        return flash(back, f"Nothing was recorded: {why}", ok=False)
    return flash(
        back,
        f"Recorded {payload.signed_by}'s signature: {len(payload.accepted)} received, "
        f"{len(payload.rejected)} rejected.",
        ok=True,
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
