"""What the invoice pages read: the missions an invoice may bill, the invoice that bills a
mission, a client's invoices, an invoice's credit note, the list's search."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Select, and_, exists, select, true
from sqlalchemy.orm import aliased, joinedload

from ..data.invoicing import Invoice, InvoiceKind, InvoiceLine
from ..data.models import Mission, MissionStatus, User
from ..extensions import db
from .scoping import scope_filter
from .search import MAX_WORDS


def invoiceable_missions(client_id: str, user: User) -> list[Mission]:
    """The client's completed, priced missions that no standing invoice bills, as ``user``
    sees them, oldest completed first."""
    query = (
        select(Mission)
        .where(
            Mission.client_id == client_id,
            Mission.status == MissionStatus.COMPLETED,
            Mission.price_amount.is_not(None),
            ~exists(standing_lines().where(InvoiceLine.mission_id == Mission.id)),
            scope_filter(Mission, user),
        )
        .options(joinedload(Mission.service_type))
        .order_by(Mission.completed_at, Mission.id)
    )
    return list(db.session.scalars(query))


def standing_invoice(mission_id: str) -> Invoice | None:
    """The invoice that bills the mission and is not cancelled, if any."""
    billing = standing_lines().with_only_columns(Invoice.id)
    billing = billing.where(InvoiceLine.mission_id == mission_id)
    return db.session.scalar(select(Invoice).where(Invoice.id.in_(billing)))


def client_invoices(client_id: str, user: User) -> list[Invoice]:
    """The client's invoices and credit notes as ``user`` sees them, newest first."""
    query = select(Invoice).where(Invoice.client_id == client_id, scope_filter(Invoice, user))
    return list(db.session.scalars(query.order_by(Invoice.issued_at.desc(), Invoice.id)))


def credit_note_of(invoice: Invoice) -> Invoice | None:
    """The credit note that cancels ``invoice``, if any."""
    return db.session.scalar(select(Invoice).where(Invoice.credits_invoice_id == invoice.id))


#: A reference as printed ("2026-000042"), or its number alone.
REFERENCE = re.compile(r"(?:(\d{4})-)?0*(\d{1,9})")


def invoice_search(text: str) -> ColumnElement[bool]:
    """The invoices matching every word of ``text``: a reference ("2026-000042") or a number
    names one, any other word is looked for in the buyer's name."""
    conditions = []
    for word in text.split()[:MAX_WORDS]:
        found = REFERENCE.fullmatch(word)
        if found is None:
            conditions.append(Invoice.buyer_name.icontains(word, autoescape=True))
            continue
        year, number = found.groups()
        by_number = Invoice.number == int(number)
        conditions.append(and_(Invoice.year == int(year), by_number) if year else by_number)
    return and_(true(), *conditions)


def standing_lines() -> Select[tuple[int]]:
    """Lines of invoices that no credit note cancels."""
    credit = aliased(Invoice)
    return (
        select(InvoiceLine.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            Invoice.kind == InvoiceKind.INVOICE.value,
            ~exists().where(credit.credits_invoice_id == Invoice.id),
        )
    )
