"""Domain rules for an existing walk-in client: edit and delete (registration is in missions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, update

from ..data.db_types import utcnow
from ..data.models import (
    CancelReason,
    Client,
    Mission,
    MissionMerge,
    MissionStatus,
    RoleName,
    User,
)
from ..extensions import db
from ..platform.audit import record
from .attachments import client_attachments, files_of_client, remove_files
from .client_messaging import messaging_data, move_messaging, uncount_unread_notifications
from .concurrency import check_version, commit_or_conflict
from .consent import record_panel_change, set_email_consent
from .errors import ClientHasInvoices, MergeRefused, NotAllowed
from .invoice_records import erase_invoiced_client, invoice_count, lock_client, refuse_if_invoiced
from .report_rollups import refresh_first_visits, remove_missions
from .scoping import may_change_rows, visible_row
from .tally import count_client_removal
from .validation import configured_phone_region, normalise_client_input

CLIENT_COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "address", "city", "postal_code",
    "country", "language", "created_at", "updated_at",
)  # fmt: skip
MISSION_COLUMNS = (
    "id", "status", "created_at", "updated_at", "started_at", "completed_at", "cancelled_at",
    "cancel_reason", "cancel_note", "price_amount", "price_currency",
)  # fmt: skip


def visible_client(client_id: str, user: User) -> Client:
    """The client ``client_id`` if ``user`` may see it; ``ClientNotFound`` otherwise."""
    return visible_row(Client, client_id, user)


def update_client(
    client_id: str,
    actor: User,
    *,
    expected_version: int | None = None,
    language: object = None,
    email_consent: bool | None = None,
    **fields: Any,
) -> Client:
    """Validate and save new values for every field of a client ``actor`` may change, its
    messages' ``language`` (unchanged if None) and, unless ``email_consent`` is None, its email
    consent: given (captured by ``actor``) or withdrawn at the counter, in the same
    transaction, with an audit line when it changed.

    ``expected_version`` is the version the editor loaded: if someone saved since, the edit is
    refused with ``EditConflict`` instead of overwriting their change.
    """
    client = _changeable_client(client_id, actor)
    check_version(client, expected_version)
    cleaned = normalise_client_input(
        fields,
        language=language,
        default_language=client.language,
        phone_region=configured_phone_region(),
    )
    consent_changed = email_consent is not None and set_email_consent(client, actor, email_consent)
    for name, value in cleaned.items():
        setattr(client, name, value)
    client.updated_at = utcnow()
    commit_or_conflict(client)
    if consent_changed:
        record_panel_change(client_id, actor, bool(email_consent))
    return client


def delete_client(client_id: str, actor: User) -> None:
    """Delete a client; its missions and their history go with it. A client that invoices
    name is kept (``ClientHasInvoices``): the law keeps invoices, and erasure anonymises it."""
    client = _changeable_client(client_id, actor)
    try:
        lock_client(client.id)
        refuse_if_invoiced(client.id)
    except ClientHasInvoices:
        db.session.rollback()
        raise
    _delete_with_missions(client)
    record("client.delete", target=f"walk_in_client:{client_id}", actor=actor)


def personal_data(client_id: str, actor: User) -> dict[str, Any]:
    """Everything held about one client: its fields, its missions, their history and the list
    of their attachments (names, types, sizes, dates: not their bytes), its consent periods,
    the messages written for it and its shop's notifications about it."""
    client = _client_for_admin(client_id, actor)
    attachments = client_attachments(client_id)
    record("client.personal_data_export", target=f"walk_in_client:{client_id}", actor=actor)
    return {
        "client": {column: _plain(getattr(client, column)) for column in CLIENT_COLUMNS},
        "missions": [
            {
                **{column: _plain(getattr(mission, column)) for column in MISSION_COLUMNS},
                "service_type": mission.service_type.name_en if mission.service_type else None,
                "history": [
                    {
                        "at": _plain(event.at),
                        "from": _plain(event.from_status),
                        "to": _plain(event.to_status),
                        "by": event.actor.email if event.actor else None,
                        "reason": _plain(event.reason),
                        "note": event.note,
                    }
                    for event in mission.events
                ],
                "notes": [
                    {"at": _plain(note.at), "by": note.author_email, "text": note.text}
                    for note in mission.notes
                ],
                "attachments": [
                    {
                        "file_name": attachment.file_name,
                        "type": attachment.media_type,
                        "size": attachment.size,
                        "at": _plain(attachment.uploaded_at),
                        "by": attachment.uploaded_by,
                    }
                    for attachment in attachments.get(mission.id, [])
                ],
            }
            for mission in client.missions
        ],
        **messaging_data(client_id),
    }


def erase_client(client_id: str, actor: User) -> None:
    """Erase a client with its missions, their history and their attachments (rows, bytes and
    files), its consent, messages and notifications (by cascade). Nothing else holds its
    personal data: the audit log names it only by id. A client that invoices name keeps what
    the law requires on them, its row anonymised (``invoice_records.erase_invoiced_client``)."""
    client = _client_for_admin(client_id, actor)
    lock_client(client.id)
    if invoice_count(client.id):
        erase_invoiced_client(client)
        record("client.erase_invoiced", target=f"walk_in_client:{client_id}", actor=actor)
        return
    _delete_with_missions(client)
    record("client.erase", target=f"walk_in_client:{client_id}", actor=actor)


def merge_clients(keep_id: str, drop_id: str, actor: User) -> int:
    """Move every mission of client ``drop_id`` to client ``keep_id`` of the same partner and
    delete ``drop_id``, in one transaction (admins only); return how many missions moved.

    Each moved mission's history records the merge; the partner's totals lose one client and
    no status changes. The dropped client's row is locked first (PostgreSQL), so a mission
    opened for it meanwhile waits, then fails on the missing client; the client is deleted as
    ``delete_client`` does, so even a mission left on it would be counted out of the totals.
    """
    if not (actor.active and actor.has_role(RoleName.ADMIN)):
        raise NotAllowed(actor, "merge_clients")
    if keep_id == drop_id:
        raise MergeRefused("same_client")
    keep, drop = visible_client(keep_id, actor), visible_client(drop_id, actor)
    if keep.partner_id != drop.partner_id:
        raise MergeRefused("different_partners")
    try:
        moved = _move_missions(keep, drop, actor)
    except Exception:
        db.session.rollback()
        raise
    details = {"merged": drop_id, "missions": len(moved)}
    record("client.merge", target=f"walk_in_client:{keep_id}", details=details, actor=actor)
    return len(moved)


def _move_missions(keep: Client, drop: Client, actor: User) -> list[str]:
    """The merge's one transaction: lock, move, record in each mission's history, delete. A
    client that invoices name is never merged away: merge the other one into it instead."""
    lock_client(drop.id)
    if invoice_count(drop.id):
        raise MergeRefused("invoiced_client")
    now = utcnow()
    moved = db.session.scalars(
        update(Mission)
        .where(Mission.client_id == drop.id)
        .values(client_id=keep.id, updated_at=now, version=Mission.version + 1)
        .returning(Mission.id)
        .execution_options(synchronize_session=False)
    ).all()
    move_messaging(drop.id, keep.id)
    if moved:
        db.session.execute(
            insert(MissionMerge),
            [
                {"mission_id": id_, "actor_id": actor.id, "at": now, "from_client_id": drop.id,
                 "from_client_name": drop.full_name}
                for id_ in moved
            ],
        )  # fmt: skip
    # After the totals, as every change locks them: the kept client's first visit may move.
    _delete_with_missions(drop, before_commit=lambda: refresh_first_visits(keep.id))
    return list(moved)


def _delete_with_missions(client: Client, before_commit: Callable[[], None] | None = None) -> None:
    """Missions first, taking what they were when deleted out of the totals and the report
    roll-ups; their history and attachments go with them (ON DELETE CASCADE), and the
    attachments' files, when kept in a directory, once the rows are gone. The client's consent,
    messages and notifications go by cascade too, its shop's unread count lowered first."""
    files = files_of_client(client.id)
    uncount_unread_notifications(client.id)
    remove_missions(
        Mission.client_id == client.id,
        lambda removed: count_client_removal(client.partner_id, [m.status for m in removed]),
    )
    db.session.execute(delete(Client).where(Client.id == client.id))
    if before_commit is not None:
        before_commit()
    db.session.commit()
    remove_files(files)


def _client_for_admin(client_id: str, actor: User) -> Client:
    if not (actor.active and actor.has_role(RoleName.ADMIN)):
        raise NotAllowed(actor, "handle_personal_data")
    return visible_client(client_id, actor)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value.value if isinstance(value, MissionStatus | CancelReason) else value


def _changeable_client(client_id: str, actor: User) -> Client:
    if not may_change_rows(actor):
        raise NotAllowed(actor, "change_clients")
    return visible_client(client_id, actor)
