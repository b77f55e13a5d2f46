"""What invoices keep: a client an invoice names is never deleted or merged away, and erasing it
keeps what the law requires on its invoices and removes everything else.

Kept after an invoiced client's erasure: its invoices and credit notes whole (they copied the
buyer's name and address, lines and totals when issued), the missions they invoice (status,
times, service type, price) and the client row itself, anonymised ("Erased client", no email,
phone or address), which those rows refer to. Removed: every other mission, the kept missions'
history, notes, merges and attachments (rows and files), the client's consent, messages and
notifications. The database backs the refusals: invoices and their lines refer to the client
and the missions with ``ON DELETE RESTRICT``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, func, select, update

from ..data.db_types import utcnow
from ..data.invoicing import Invoice, InvoiceLine
from ..data.models import (
    Client,
    Mission,
    MissionAttachment,
    MissionEvent,
    MissionMerge,
    MissionNote,
)
from ..extensions import db
from .attachments import files_of_client, remove_files
from .client_messaging import remove_messaging
from .errors import ClientHasInvoices
from .report_rollups import refresh_first_visits, remove_missions
from .tally import count_mission_removal

#: What an erased client's row says instead of its name.
ERASED_FIRST_NAME, ERASED_LAST_NAME = "Erased", "client"


def invoice_count(client_id: str) -> int:
    """How many invoices and credit notes name the client."""
    return db.session.scalar(select(func.count()).where(Invoice.client_id == client_id)) or 0


def lock_client(client_id: str) -> None:
    """Lock the client's row (PostgreSQL) before checking its invoices and deleting it: an
    invoice being issued for it meanwhile (which holds a key-share lock on it) is committed
    first and counted, or waits and then finds the client gone."""
    db.session.execute(select(Client.id).where(Client.id == client_id).with_for_update())


def refuse_if_invoiced(client_id: str) -> None:
    """``ClientHasInvoices`` when invoices name the client (call it after ``lock_client``)."""
    count = invoice_count(client_id)
    if count:
        raise ClientHasInvoices(client_id, count)


def invoiced_missions(client_id: str) -> ColumnElement[bool]:
    """The condition on missions that an invoice line of the client's refers to."""
    lines = select(InvoiceLine.mission_id).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
    return Mission.id.in_(lines.where(Invoice.client_id == client_id))


def erase_invoiced_client(client: Client) -> None:
    """Erase what an invoiced client's invoices do not need (see the module's docstring), and
    anonymise its row, in one transaction."""
    files = files_of_client(client.id)
    remove_messaging(client.id)
    kept = invoiced_missions(client.id)
    of_client = select(Mission.id).where(Mission.client_id == client.id)
    db.session.execute(delete(MissionAttachment).where(MissionAttachment.mission_id.in_(of_client)))
    for table in (MissionEvent, MissionNote, MissionMerge):
        db.session.execute(delete(table).where(table.mission_id.in_(of_client)))
    remove_missions(
        (Mission.client_id == client.id) & ~kept,
        lambda removed: count_mission_removal(client.partner_id, [m.status for m in removed]),
    )
    refresh_first_visits(client.id)
    db.session.execute(
        update(Mission)
        .where(Mission.client_id == client.id)
        .values(cancel_note=None, updated_at=utcnow(), version=Mission.version + 1)
        .execution_options(synchronize_session=False)
    )
    _anonymise(client)
    db.session.commit()
    remove_files(files)


def _anonymise(client: Client) -> None:
    client.first_name, client.last_name = ERASED_FIRST_NAME, ERASED_LAST_NAME
    client.email = client.phone = ""
    client.address = client.city = client.postal_code = client.country = None
    client.updated_at = utcnow()
