"""Sales invoices (SALES-INVOICE, CA 8401): the invoice of a transfer to another licensee, as
JSON or PDF, and the purchaser's signed acknowledgement, recorded by the seller."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from schemas.commerce import InvoiceAcknowledged
from server.accounts.deps import ReadScope, WriteScope
from server.api.deps import EngineDep, Recorded, RecorderDep
from server.api.errors import NotFound, Problem, Unavailable
from server.api.params import NamePath
from server.documents.invoice_pdf import FontMissing, render
from server.store.invoices import Invoice, invoice

router = APIRouter(tags=["invoices"])


class InvoiceFormat(StrEnum):
    JSON = "json"
    PDF = "pdf"


# The answer is read off the document (server.store.invoices) attribute by attribute
# (``from_attributes``): each field has the document's name, or says which it reads.
class PartyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    address: str
    licence: str


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    uid: str
    category: str
    strain: str
    description: str
    weight_grams: Decimal | None = Field(validation_alias="grams")
    count: int | None
    price: Decimal | None  # US dollars
    # accepted | rejected; null until the purchaser signed for it
    receipt: str | None = Field(validation_alias="decision")
    reject_reason: str | None


class SignatureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    signed_at: datetime
    recorded_by: str | None


class InvoiceOut(BaseModel):
    """Every field of CA 8401; ``missing`` names those this invoice does not have yet."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    transfer_date: date | None
    status: str
    seller: PartyOut
    purchaser: PartyOut | None
    distributor: PartyOut | None
    lines: list[LineOut]
    subtotal: Decimal | None
    discount: Decimal | None
    total: Decimal | None
    seller_signature: SignatureOut | None
    purchaser_signature: SignatureOut | None
    missing: list[str]


def pdf_response(inv: Invoice, request: Request) -> Response:
    """The invoice as a PDF download; 503 naming the font when it is not installed."""
    try:
        body = render(inv, request.app.state.settings.invoice_font_dir)
    except FontMissing as err:
        raise Unavailable(str(err)) from err
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in inv.number)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="invoice-{name}.pdf"'},
    )


@router.get(
    "/licensees/{licence}/invoices/{manifest_id:path}",
    response_model=InvoiceOut,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The invoice (JSON or PDF)"},
        503: {"model": Problem, "description": "The PDF's font is not installed"},
    },
)
def get_invoice(
    scope: ReadScope,
    engine: EngineDep,
    request: Request,
    manifest_id: NamePath,
    format: Annotated[InvoiceFormat, Query(description="json, or pdf to print")] = (
        InvoiceFormat.JSON
    ),
) -> InvoiceOut | Response:
    """The sales invoice of an outgoing transfer (its manifest ID is the invoice number)."""
    with engine.connect() as conn:
        inv = invoice(conn, scope.licence, manifest_id)
    if inv is None:
        raise NotFound(f"invoice {manifest_id} of licensee {scope.licence} not found")
    if format is InvoiceFormat.PDF:
        return pdf_response(inv, request)
    return InvoiceOut.model_validate(inv, from_attributes=True)


@router.post("/licensees/{licence}/invoice-acknowledgements", status_code=201)
def acknowledge_invoice(
    scope: WriteScope, record: RecorderDep, body: InvoiceAcknowledged
) -> Recorded:
    """Record the purchaser's signed receipt or rejection of an invoice's items
    (invoice.acknowledged, CA 8401(i))."""
    return record(scope, body)
