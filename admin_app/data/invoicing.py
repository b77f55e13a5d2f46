"""Shop profiles, their logos, invoices and credit notes, and the counters that number them.

An issued invoice copies everything it prints (seller, buyer, lines, totals), so it reads the
same forever whatever later happens to the shop's profile, the client or the catalogue; a
credit note, never an edit, cancels it. Invoices keep their client and missions: the database
refuses to delete a client or mission that an invoice refers to.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .db_types import UTCDateTime, utcnow
from .models import Client, User, new_id


def invoice_reference(year: int, number: int) -> str:
    """An invoice's number as it prints: ``2026-000042``."""
    return f"{year}-{number:06d}"


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class ShopLogo(db.Model):
    """A logo image as uploaded; never changed, so an invoice printed later shows the logo it
    was issued with."""

    __tablename__ = "shop_logo"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    partner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    media_type: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShopProfile(db.Model):
    """Who issues a shop's invoices, as they print."""

    __tablename__ = "shop_profile"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    legal_name: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    vat_number: Mapped[str | None] = mapped_column(Text)
    invoice_footer: Mapped[str | None] = mapped_column(Text)
    logo_id: Mapped[str | None] = mapped_column(ForeignKey("shop_logo.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    partner: Mapped[User] = relationship()
    logo: Mapped[ShopLogo | None] = relationship()


class InvoiceCounter(db.Model):
    """The last number a partner gave in a year; its row is locked while an invoice is
    numbered, so two issuers at the same instant take consecutive numbers."""

    __tablename__ = "invoice_counter"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Invoice(db.Model):
    __tablename__ = "invoice"
    __table_args__ = (
        # Proves the numbering: no number twice in a partner's year.
        UniqueConstraint("partner_id", "year", "number", name="uq_invoice_partner_year_number"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        CheckConstraint("number > 0", name="number_positive"),
        Index("ix_invoice_partner_issued", "partner_id", "issued_at", "id"),
        Index("ix_invoice_issued", "issued_at", "id"),
        Index("ix_invoice_client", "client_id", "issued_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    partner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    client_id: Mapped[str] = mapped_column(ForeignKey("walk_in_client.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(Text, default=InvoiceKind.INVOICE.value)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: The invoice a credit note cancels (at most one credit note each).
    credits_invoice_id: Mapped[str | None] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), unique=True
    )
    #: Why a credit note cancels its invoice, as the issuer wrote it.
    credit_reason: Mapped[str | None] = mapped_column(Text)
    #: The language it prints in: the client's when it was issued.
    language: Mapped[str] = mapped_column(Text, default="en")
    currency: Mapped[str] = mapped_column(Text, default="EUR")
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    total_net: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_gross: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    seller_name: Mapped[str] = mapped_column(Text)
    seller_address: Mapped[str] = mapped_column(Text)
    seller_vat_number: Mapped[str | None] = mapped_column(Text)
    seller_footer: Mapped[str | None] = mapped_column(Text)
    logo_id: Mapped[str | None] = mapped_column(ForeignKey("shop_logo.id", ondelete="RESTRICT"))
    buyer_name: Mapped[str] = mapped_column(Text)
    buyer_address: Mapped[str | None] = mapped_column(Text)

    partner: Mapped[User] = relationship(foreign_keys=[partner_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    client: Mapped[Client] = relationship()
    logo: Mapped[ShopLogo | None] = relationship()
    credits: Mapped[Invoice | None] = relationship(
        remote_side="Invoice.id", foreign_keys=[credits_invoice_id]
    )
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position"
    )

    @property
    def reference(self) -> str:
        """The number as it prints: ``2026-000042``."""
        return invoice_reference(self.year, self.number)

    def __str__(self) -> str:
        return self.reference


class InvoiceLine(db.Model):
    __tablename__ = "invoice_line"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),
        Index("ix_invoice_line_mission", "mission_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    mission_id: Mapped[str] = mapped_column(ForeignKey("walk_in_mission.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(Text)
    #: Prices include VAT: ``gross`` is the mission's copied price (negated on a credit note),
    #: ``net`` = gross / (1 + rate) rounded half up to the cent, ``vat`` = gross - net.
    net: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    gross: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceDocument(db.Model):
    """An invoice's PDF as first drawn: an issued invoice never changes, and drawing one (font
    subsetting) costs a quarter of a second, so it is drawn once."""

    __tablename__ = "invoice_document"

    invoice_id: Mapped[str] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
