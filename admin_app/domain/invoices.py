"""Invoices and credit notes: issued from completed missions, numbered without a gap, never
changed.

An invoice bills one completed mission, or several of one client, at the prices the missions
copied when they were opened. Prices include VAT: each line's net is its gross divided by
(1 + rate), rounded half up to the cent, its VAT the rest; the totals are the sums of the lines.
Everything printed (seller, buyer, lines, totals, rate, language) is copied onto the invoice, so
it reads the same forever. A credit note cancels an invoice (once), with the same lines negated,
and its missions may be invoiced again.

Numbers run per partner and year, invoices and credit notes in one sequence
(``invoice_numbering.py``). The missions are locked (``FOR NO KEY UPDATE`` on PostgreSQL)
before they are checked, so two issuers never invoice one mission twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..data.db_types import utcnow
from ..data.invoicing import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    ShopProfile,
    invoice_reference,
)
from ..data.models import Client, Mission, MissionStatus, User, is_row_id
from ..extensions import db
from ..platform.audit import record, record_refused_access
from .errors import (
    ClientNotFound,
    FieldProblem,
    InvoiceNotFound,
    InvoiceRefused,
    MissionNotFound,
    NotAllowed,
    ValidationError,
)
from .invoice_numbering import invoice_year, next_number
from .invoice_queries import credit_note_of, standing_lines
from .scoping import may_change_rows, scope_filter
from .validation import clean_notes

CENT = Decimal("0.01")
#: A line's words when its mission has no service type, by the invoice's language.
VISIT_WORDS = {"en": "Walk-in visit", "fr": "Visite"}


def vat_rate() -> Decimal:
    """The VAT rate (percent) that prices include, from ``INVOICE_VAT_RATE``."""
    return Decimal(str(current_app.config["INVOICE_VAT_RATE"])).quantize(CENT)


def split_gross(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """A VAT-inclusive amount as (net, VAT): net rounded half up to the cent, VAT the rest, so
    the two always add up to ``gross``."""
    net = (gross * 100 / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return net, gross - net


def visible_invoice(user: User, invoice_id: str) -> Invoice:
    """The invoice or credit note ``invoice_id`` if ``user`` may see it (a shop's partner and
    staff the shop's, admins and support all); ``InvoiceNotFound`` otherwise."""
    if not is_row_id(invoice_id):
        raise InvoiceNotFound(str(invoice_id))
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id, scope_filter(Invoice, user))
        .options(joinedload(Invoice.lines))
    )
    if invoice is None:
        record_refused_access(Invoice, invoice_id, user)
        raise InvoiceNotFound(invoice_id)
    return invoice


def issue_invoice(
    actor: User, client_id: str, mission_ids: Iterable[str], *, at: datetime | None = None
) -> Invoice:
    """Issue one invoice for completed missions of the client ``client_id`` and commit it;
    ``at`` is the issuing instant (now unless named).

    Refused with ``NotAllowed`` for accounts that only read (support), ``ClientNotFound`` or
    ``MissionNotFound`` for rows the actor may not see, ``InvoiceRefused`` saying why for
    missions that cannot be invoiced, and when the shop has no profile yet."""
    if not may_change_rows(actor):
        raise NotAllowed(actor, "issue_invoices")
    ids = list(dict.fromkeys(mission_ids))
    if not ids:
        raise InvoiceRefused("no_missions")
    try:
        invoice = _issue(actor, client_id, ids, at or utcnow())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    details = {"reference": invoice.reference, "invoiced": len(ids)}
    record("invoice.issue", target=f"invoice:{invoice.id}", details=details, actor=actor)
    return invoice


def issue_credit_note(
    actor: User, invoice_id: str, reason: object, *, at: datetime | None = None
) -> Invoice:
    """Cancel the invoice ``invoice_id`` by a credit note (numbered in the same sequence, its
    lines and totals negated) and commit it; its missions may then be invoiced again. An
    invoice is credited once; ``reason`` (required) says why."""
    if not may_change_rows(actor):
        raise NotAllowed(actor, "issue_invoices")
    cleaned = clean_notes(reason, "reason")
    if cleaned is None:
        raise ValidationError({"reason": FieldProblem("required")})
    try:
        credit = _credit(actor, invoice_id, cleaned, at or utcnow())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    details = {"reference": credit.reference, "credits": credit.credits.reference}
    record("invoice.credit", target=f"invoice:{credit.id}", details=details, actor=actor)
    return credit


def _issue(actor: User, client_id: str, ids: list[str], at: datetime) -> Invoice:
    client = _locked_client(client_id, actor)
    missions = _locked_missions(ids, actor)
    _check_missions(client, missions)
    profile = db.session.get(ShopProfile, client.partner_id)
    if profile is None:
        raise InvoiceRefused("no_shop_profile")
    rate = vat_rate()
    year = invoice_year(at)
    invoice = Invoice(
        partner_id=client.partner_id, client_id=client.id, kind=InvoiceKind.INVOICE.value,
        year=year, number=next_number(client.partner_id, year), issued_at=at,
        issued_by_id=actor.id, language=client.language, currency=missions[0].price_currency,
        vat_rate=rate, seller_name=profile.legal_name, seller_address=profile.address,
        seller_vat_number=profile.vat_number, seller_footer=profile.invoice_footer,
        logo_id=profile.logo_id, buyer_name=client.full_name, buyer_address=_address(client),
    )  # fmt: skip
    ordered = sorted(missions, key=lambda mission: (mission.completed_at, mission.id))
    lines = [
        _line(position, mission, client.language, rate)
        for position, mission in enumerate(ordered, start=1)
    ]
    _add_with_totals(invoice, lines)
    return invoice


def _credit(actor: User, invoice_id: str, reason: str, at: datetime) -> Invoice:
    original = _locked_invoice(invoice_id, actor)
    if original.kind != InvoiceKind.INVOICE.value:
        raise InvoiceRefused("not_an_invoice", reference=original.reference)
    existing = credit_note_of(original)
    if existing is not None:
        raise InvoiceRefused(
            "already_credited", reference=original.reference, credit=existing.reference
        )
    year = invoice_year(at)
    copied = {
        column: getattr(original, column)
        for column in (
            "partner_id", "client_id", "language", "currency", "vat_rate", "seller_name",
            "seller_address", "seller_vat_number", "seller_footer", "logo_id", "buyer_name",
            "buyer_address",
        )
    }  # fmt: skip
    credit = Invoice(
        **copied, kind=InvoiceKind.CREDIT_NOTE.value, year=year,
        number=next_number(original.partner_id, year), issued_at=at, issued_by_id=actor.id,
        credits_invoice_id=original.id, credit_reason=reason,
    )  # fmt: skip
    lines = [
        InvoiceLine(
            position=line.position,
            mission_id=line.mission_id,
            description=line.description,
            net=-line.net,
            vat=-line.vat,
            gross=-line.gross,
        )  # fmt: skip
        for line in original.lines
    ]
    _add_with_totals(credit, lines)
    return credit


def _add_with_totals(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    invoice.total_net = sum((line.net for line in lines), Decimal("0.00"))
    invoice.total_vat = sum((line.vat for line in lines), Decimal("0.00"))
    invoice.total_gross = sum((line.gross for line in lines), Decimal("0.00"))
    invoice.lines = lines
    db.session.add(invoice)
    db.session.flush()


def _line(position: int, mission: Mission, language: str, rate: Decimal) -> InvoiceLine:
    gross = Decimal(mission.price_amount).quantize(CENT)
    net, vat = split_gross(gross, rate)
    service = mission.service_type
    description = service.name_in(language) if service else VISIT_WORDS.get(language, "Visit")
    return InvoiceLine(
        position=position, mission_id=mission.id, description=description, net=net, vat=vat,
        gross=gross,
    )  # fmt: skip


def _check_missions(client: Client, missions: list[Mission]) -> None:
    """Each mission the client's, completed, priced, in one currency, and billed by no
    standing invoice."""
    for mission in missions:
        if mission.client_id != client.id:
            raise InvoiceRefused("other_client", mission=mission.id)
        if mission.status != MissionStatus.COMPLETED:
            raise InvoiceRefused("not_completed", mission=mission.id)
        if mission.price_amount is None or not mission.price_currency:
            raise InvoiceRefused("no_price", mission=mission.id)
    if len({mission.price_currency for mission in missions}) > 1:
        raise InvoiceRefused("mixed_currencies")
    billed = db.session.execute(
        standing_lines()
        .with_only_columns(InvoiceLine.mission_id, Invoice.year, Invoice.number)
        .where(InvoiceLine.mission_id.in_([mission.id for mission in missions]))
        .order_by(InvoiceLine.mission_id)
    ).first()
    if billed is not None:
        mission_id, year, number = billed
        reference = invoice_reference(year, number)
        raise InvoiceRefused("already_invoiced", mission=mission_id, reference=reference)


def _locked_client(client_id: str, actor: User) -> Client:
    """The client, key-share locked (PostgreSQL) so that it cannot be deleted meanwhile."""
    if not is_row_id(client_id):
        raise ClientNotFound(str(client_id))
    client = db.session.scalar(
        select(Client)
        .where(Client.id == client_id, scope_filter(Client, actor))
        .with_for_update(read=True, key_share=True)
        .execution_options(populate_existing=True)
    )
    if client is None:
        record_refused_access(Client, client_id, actor)
        raise ClientNotFound(client_id)
    return client


def _locked_missions(ids: list[str], actor: User) -> list[Mission]:
    """The missions, locked in id order (``FOR NO KEY UPDATE`` on PostgreSQL: a second issuer
    waits here, then sees the first one's invoice); ``MissionNotFound`` for any the actor may
    not see."""
    valid = [mission_id for mission_id in ids if is_row_id(mission_id)]
    missions = db.session.scalars(
        select(Mission)
        .where(Mission.id.in_(valid), scope_filter(Mission, actor))
        .order_by(Mission.id)
        .with_for_update(key_share=True, of=Mission)
        .options(joinedload(Mission.service_type))
        .execution_options(populate_existing=True)
    ).all()
    found = {mission.id for mission in missions}
    for mission_id in ids:
        if mission_id not in found:
            record_refused_access(Mission, mission_id, actor)
            raise MissionNotFound(str(mission_id))
    return list(missions)


def _locked_invoice(invoice_id: str, actor: User) -> Invoice:
    """The invoice to credit, locked (PostgreSQL): a second credit waits, then sees the
    first."""
    if not is_row_id(invoice_id):
        raise InvoiceNotFound(str(invoice_id))
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id, scope_filter(Invoice, actor))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invoice is None:
        record_refused_access(Invoice, invoice_id, actor)
        raise InvoiceNotFound(invoice_id)
    return invoice


def _address(client: Client) -> str | None:
    """The client's postal address as it prints, one part a line."""
    town = " ".join(part for part in (client.postal_code, client.city) if part)
    parts = [part for part in (client.address, town, client.country) if part]
    return "\n".join(parts) or None
