"""What the invoice pages read: a client's missions with their billing, the invoice that bills
a mission, an invoice's credit note, the list's search."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, select, true
from sqlalchemy.orm import aliased, joinedload

from ..data.invoicing import Invoice, InvoiceKind, InvoiceLine, invoice_reference
from ..data.models import Mission, MissionStatus, User
from ..extensions import db
from .scoping import visible
from .search import MAX_WORDS


@dataclass(frozen=True)
class MissionBilling:
    """A mission of a client's page with the invoice that bills it (none, or cancelled) and
    whether any invoice or credit note ever named it."""

    mission: Mission
    invoice_id: str | None
    reference: str | None
    ever_invoiced: bool

    @property
    def invoiceable(self) -> bool:
        """Completed, priced, and billed by no standing invoice."""
        mission = self.mission
        return (
            self.invoice_id is None
            and mission.status == MissionStatus.COMPLETED
            and mission.price_amount is not None
        )


def missions_with_billing(client_id: str, user: User) -> list[MissionBilling]:
    """The client's missions as ``user`` sees them, newest first, each with its billing, in
    one statement (the client's page lists them)."""
    billing = (
        standing_lines()
        .with_only_columns(InvoiceLine.mission_id, Invoice.id.label("invoice_id"), Invoice.year,
                           Invoice.number)
        .subquery("billing")
    )  # fmt: skip
    ever = exists(select(InvoiceLine.id).where(InvoiceLine.mission_id == Mission.id))
    rows = db.session.execute(
        visible(Mission, user)
        .add_columns(billing.c.invoice_id, billing.c.year, billing.c.number, ever)
        .outerjoin(billing, billing.c.mission_id == Mission.id)
        .where(Mission.client_id == client_id)
        .options(joinedload(Mission.service_type))
        .order_by(Mission.created_at.desc(), Mission.id)
    )
    return [
        MissionBilling(
            mission,
            invoice_id,
            invoice_reference(year, number) if invoice_id else None,
            bool(ever_invoiced),
        )  # fmt: skip
        for mission, invoice_id, year, number, ever_invoiced in rows
    ]


def standing_invoice(mission_id: str) -> Invoice | None:
    """The invoice that bills the mission and is not cancelled, if any."""
    billing = standing_lines().with_only_columns(Invoice.id)
    billing = billing.where(InvoiceLine.mission_id == mission_id)
    return db.session.scalar(select(Invoice).where(Invoice.id.in_(billing)))


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
