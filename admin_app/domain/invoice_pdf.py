"""An issued invoice or credit note as a PDF, in the language it was issued in.

Drawn with fpdf2 in the DejaVu fonts shipped in ``admin_app/fonts/`` (no system library or
font), so Cyrillic, Greek and accented names print. Everything comes from what the invoice
copied when it was issued; labels, amounts and the date are in the invoice's language, the
date being the shop's day (``REPORT_TIME_ZONE``). The document's creation date is the issuing
instant, so one invoice always gives the same bytes; downloads serve the bytes first drawn
(``invoice_document``), as drawing costs a quarter of a second of font work.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask import current_app
from flask_babel import force_locale, gettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select

from ..data.db_types import utcnow
from ..data.invoicing import Invoice, InvoiceDocument, InvoiceKind
from ..extensions import db, dialect_insert

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"
MARGIN = 18
#: The widest and tallest a logo prints (mm); it keeps its proportions inside.
LOGO_BOX = (50.0, 22.0)
#: The right-hand column (title, buyer) starts here (mm from the page's left edge).
RIGHT_COLUMN = 112
LINE = 5
#: Description, net, VAT, gross: shares of the text width.
COLUMN_WIDTHS = (88, 28, 28, 30)
AMOUNT_COLUMNS = ("LEFT", "RIGHT", "RIGHT", "RIGHT")


class InvoicePages(FPDF):
    """A4 pages in DejaVu, each with the reference and its page number at its foot."""

    def __init__(self, foot: str) -> None:
        super().__init__(format="A4")
        self.foot = foot
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 8)
        self.set_font(FONT, size=10)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(FONT, size=8)
        self.cell(0, LINE, self.foot.replace("{page}", str(self.page_no())), align="C")


def stored_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice's PDF as first drawn, drawn and kept (committed) on the first download;
    two first downloads at once keep one (both draw the same bytes)."""
    kept = db.session.scalar(
        select(InvoiceDocument.content).where(InvoiceDocument.invoice_id == invoice.id)
    )
    if kept is not None:
        return kept
    content = invoice_pdf(invoice)
    db.session.execute(
        dialect_insert()(InvoiceDocument)
        .values(invoice_id=invoice.id, content=content, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    db.session.commit()
    return content


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice (or credit note) as PDF bytes, the same bytes each time."""
    with force_locale(invoice.language):
        title = _title(invoice)
        foot = gettext(
            "%(title)s %(reference)s, page %(page)s of %(pages)s",
            title=title, reference=invoice.reference, page="{page}", pages="{nb}",
        )  # fmt: skip
        pdf = InvoicePages(foot)
        pdf.set_title(f"{title} {invoice.reference}")
        pdf.set_author(invoice.seller_name)
        pdf.set_creation_date(invoice.issued_at)
        pdf.add_page()
        _heading(pdf, invoice, title)
        _parties(pdf, invoice)
        _credited(pdf, invoice)
        _lines(pdf, invoice)
        _totals(pdf, invoice)
        _seller_footer(pdf, invoice)
        return bytes(pdf.output())


def _title(invoice: Invoice) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE.value:
        return gettext("Credit note")
    return gettext("Invoice")


def _heading(pdf: InvoicePages, invoice: Invoice, title: str) -> None:
    """The logo at the top left; the title, number and date at the top right."""
    logo_bottom = MARGIN
    if invoice.logo is not None:
        width, height = LOGO_BOX
        pdf.image(
            io.BytesIO(invoice.logo.content), x=MARGIN, y=MARGIN, w=width, h=height,
            keep_aspect_ratio=True,
        )  # fmt: skip
        logo_bottom = MARGIN + height
    pdf.set_xy(RIGHT_COLUMN, MARGIN)
    pdf.set_font(FONT, "B", 18)
    _right_block(pdf, title, 9)
    pdf.set_font(FONT, "", 10)
    _right_block(pdf, gettext("No. %(reference)s", reference=invoice.reference))
    _right_block(pdf, gettext("Date: %(date)s", date=_issue_date(invoice)))
    pdf.set_y(max(pdf.get_y(), logo_bottom) + 8)


def _right_block(pdf: InvoicePages, text: str, height: float = LINE) -> None:
    pdf.set_x(RIGHT_COLUMN)
    pdf.multi_cell(0, height, text, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)


def _parties(pdf: InvoicePages, invoice: Invoice) -> None:
    """The seller on the left, the buyer on the right, side by side."""
    top = pdf.get_y()
    seller = [invoice.seller_address]
    if invoice.seller_vat_number:
        seller.append(gettext("VAT number: %(number)s", number=invoice.seller_vat_number))
    seller_bottom = _party(pdf, MARGIN, top, gettext("Seller"), invoice.seller_name, seller)
    buyer = [invoice.buyer_address] if invoice.buyer_address else []
    buyer_bottom = _party(pdf, RIGHT_COLUMN, top, gettext("Buyer"), invoice.buyer_name, buyer)
    pdf.set_xy(MARGIN, max(seller_bottom, buyer_bottom) + 6)


def _party(
    pdf: InvoicePages, x: float, top: float, heading: str, name: str, rest: list[str]
) -> float:
    """One party's block from (``x``, ``top``); where it ends."""
    width = RIGHT_COLUMN - MARGIN - 6 if x == MARGIN else 0
    pdf.set_xy(x, top)
    pdf.set_font(FONT, "", 8)
    pdf.multi_cell(width, LINE, heading.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(width, 6, name, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    for text in rest:
        pdf.multi_cell(width, LINE, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _credited(pdf: InvoicePages, invoice: Invoice) -> None:
    """A credit note names the invoice it cancels and why."""
    if invoice.credits is None:
        return
    pdf.set_font(FONT, "B", 10)
    cancels = gettext("Cancels invoice %(reference)s", reference=invoice.credits.reference)
    pdf.multi_cell(0, LINE, cancels, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    if invoice.credit_reason:
        reason = gettext("Reason: %(reason)s", reason=invoice.credit_reason)
        pdf.multi_cell(0, LINE, reason, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _lines(pdf: InvoicePages, invoice: Invoice) -> None:
    """One row a line; the headings repeat on each page the table runs over."""
    headings = (gettext("Description"), gettext("Net"), gettext("VAT"), gettext("Total incl. VAT"))
    with pdf.table(
        col_widths=COLUMN_WIDTHS,
        text_align=AMOUNT_COLUMNS,
        line_height=6,
        first_row_as_headings=True,
    ) as table:
        table.row(headings)
        for line in invoice.lines:
            amounts = (_money(amount, invoice) for amount in (line.net, line.vat, line.gross))
            table.row((line.description, *amounts))
    pdf.ln(3)


def _totals(pdf: InvoicePages, invoice: Invoice) -> None:
    """Net, VAT at its rate and the total, under the amounts' columns."""
    rate = format_decimal(invoice.vat_rate, locale=invoice.language)
    rows = (
        (gettext("Total excl. VAT"), invoice.total_net, ""),
        (gettext("VAT %(rate)s %%", rate=rate), invoice.total_vat, ""),
        (gettext("Total incl. VAT"), invoice.total_gross, "B"),
    )
    label_width = sum(COLUMN_WIDTHS[1:3]) / sum(COLUMN_WIDTHS) * pdf.epw
    amount_width = COLUMN_WIDTHS[3] / sum(COLUMN_WIDTHS) * pdf.epw
    for label, amount, style in rows:
        pdf.set_font(FONT, style, 10)
        pdf.set_x(pdf.l_margin + pdf.epw - label_width - amount_width)
        pdf.cell(label_width, 6, label, align="R")
        amount_text = _money(amount, invoice)
        pdf.cell(amount_width, 6, amount_text, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    included = gettext("VAT rate %(rate)s %%, included in the prices.", rate=rate)
    pdf.multi_cell(0, LINE, included, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _seller_footer(pdf: InvoicePages, invoice: Invoice) -> None:
    if invoice.seller_footer:
        pdf.ln(6)
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(0, LINE, invoice.seller_footer, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _money(amount: Decimal, invoice: Invoice) -> str:
    return format_currency(amount, invoice.currency, locale=invoice.language)


def _issue_date(invoice: Invoice) -> str:
    """The day it was issued, the shop's (``REPORT_TIME_ZONE``), written in its language."""
    zone = ZoneInfo(current_app.config["REPORT_TIME_ZONE"])
    return format_date(invoice.issued_at.astimezone(zone).date(), "long", locale=invoice.language)
