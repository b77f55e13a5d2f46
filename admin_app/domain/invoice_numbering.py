"""Invoice numbers: per partner and year, with no gap and no duplicate.

The year is the issuing instant's in ``REPORT_TIME_ZONE``. Invoices and credit notes share one
sequence: the partner's ``invoice_counter`` row for the year is created if missing (``INSERT
... ON CONFLICT DO NOTHING``) and moved by one ``UPDATE ... RETURNING``, which locks it until
the commit, so two issuers at the same instant take consecutive numbers and a rolled-back issue
gives its number back; the unique constraint ``uq_invoice_partner_year_number`` proves it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import update

from ..data.invoicing import InvoiceCounter
from ..extensions import db, dialect_insert


def invoice_year(instant: datetime) -> int:
    """The year an invoice issued at ``instant`` is numbered in: ``REPORT_TIME_ZONE``'s."""
    return instant.astimezone(ZoneInfo(current_app.config["REPORT_TIME_ZONE"])).year


def next_number(partner_id: int, year: int) -> int:
    """The partner's next number in ``year``, uncommitted; its counter row stays locked until
    the transaction ends."""
    db.session.execute(
        dialect_insert()(InvoiceCounter)
        .values(partner_id=partner_id, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    return db.session.scalars(
        update(InvoiceCounter)
        .where(InvoiceCounter.partner_id == partner_id, InvoiceCounter.year == year)
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
        .execution_options(synchronize_session=False)
    ).one()
