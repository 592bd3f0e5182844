"""The sales invoice as a PDF (SALES-INVOICE, CA 8401): one US Letter page per 30-odd lines,
drawn with fpdf2 (pure Python: no browser, no Cairo; about 40 KB for a one-page invoice with
its font subset embedded).

The text is set in DejaVu Sans, embedded as a subset, so names and addresses print as written
in the scripts it covers (Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew, basic Arabic;
the PDF core fonts know only Latin-1). A character it lacks (CJK, say) prints blank and fpdf2
logs it; the HTML invoice shows it. :class:`FontMissing` is raised, naming
the folder and the Debian package, when the font files are not there; the HTML invoice does not
need them.
"""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from schemas.commerce import Party
from server.store.invoices import Invoice, Signature, money, quantity

REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
# Column widths in millimetres (the page is 215.9 mm wide, 15 mm margins): UID, description,
# quantity, price, receipt.
WIDTHS = (48.0, 62.0, 30.0, 22.0, 23.8)


class FontMissing(RuntimeError):
    """The PDF's font files are not installed."""


def _when(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return local.strftime("%a %d %b %Y %H:%M %Z")


def _party(pdf: FPDF, title: str, party: Party | None) -> None:
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 9)
    if party is None:
        pdf.cell(0, 5, "not given", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    pdf.multi_cell(0, 4.5, f"{party.name}\n{party.address}\nLicence {party.licence}")
    pdf.ln(1)


def _signature(pdf: FPDF, title: str, sig: Signature | None, zone: str, empty: str) -> None:
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 9)
    if sig is None:
        pdf.multi_cell(0, 4.5, empty)
        return
    text = f"Signed by {sig.name}, {_when(sig.signed_at, zone)}"
    if sig.recorded_by is not None and sig.recorded_by not in sig.name:
        text += f"; recorded by {sig.recorded_by}"
    pdf.multi_cell(0, 4.5, text)


def render(inv: Invoice, font_dir: Path) -> bytes:
    """The invoice's PDF. Raises FontMissing when ``font_dir`` lacks the DejaVu Sans files."""
    regular, bold = font_dir / REGULAR, font_dir / BOLD
    if not (regular.is_file() and bold.is_file()):
        raise FontMissing(
            f"the PDF invoice needs {REGULAR} and {BOLD} in {font_dir} (Debian package "
            "fonts-dejavu-core, or set SEEDTRACE_INVOICE_FONT_DIR); the HTML invoice works without"
        )
    pdf = FPDF(format="letter", unit="mm")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(f"Invoice {inv.number}")
    pdf.set_creator("seedtrace")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.add_page()

    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 9, f"Invoice {inv.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 9)
    day = "not given" if inv.transfer_date is None else inv.transfer_date.strftime("%B %d, %Y")
    pdf.cell(0, 5, f"Date of transfer: {day}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(
        0,
        5,
        "Sales invoice for the transport of cannabis to another licensee (CA 8401)",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    _party(pdf, "Seller", inv.seller)
    _party(pdf, "Purchaser", inv.purchaser)
    if inv.distributor is not None:
        _party(pdf, "Distributor", inv.distributor)
    pdf.ln(2)

    pdf.set_font("DejaVu", "", 8)
    with pdf.table(
        col_widths=WIDTHS,
        width=sum(WIDTHS),
        line_height=4.5,
        borders_layout="HORIZONTAL_LINES",
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
    ) as table:  # the first row is the heading, repeated on a new page
        table.row(("UID", "Description", "Weight or count", "Price", "Receipt"))
        for line in inv.lines:
            receipt = line.decision or "pending"
            if line.decision == "rejected" and line.reject_reason:
                receipt = f"rejected: {line.reject_reason}"
            category = line.category.replace("_", " ")
            description = f"{line.description}\n{line.strain}, {category}"
            table.row((line.uid, description, quantity(line), money(line.price), receipt))
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9)
    for label, amount in (
        ("Subtotal", inv.subtotal),
        ("Discount", inv.discount),
        ("Total cost to the purchaser", inv.total),
    ):
        if label == "Discount" and amount is None:
            continue
        pdf.cell(sum(WIDTHS[:3]), 5, label, align="R")
        pdf.cell(sum(WIDTHS[3:]), 5, money(amount), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    _signature(
        pdf,
        "Seller's signature (accuracy of the goods shipped)",
        inv.seller_signature,
        inv.timezone,
        "not recorded",
    )
    pdf.ln(1)
    _signature(
        pdf,
        "Purchaser's signature (receipt or rejection)",
        inv.purchaser_signature,
        inv.timezone,
        "not yet recorded",
    )
    if inv.missing:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(0, 5, "Incomplete", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)
        for item in inv.missing:
            pdf.multi_cell(0, 4.5, f"- {item}")
    return bytes(pdf.output())
