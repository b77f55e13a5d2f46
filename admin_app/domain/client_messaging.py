"""What the messaging tables hold about one client (its consent periods, its outbox messages,
its shop's notifications about it): in its personal-data export, moved by a merge, and gone
with it.

The rows go by ``ON DELETE CASCADE`` when the client (or one of its missions) is deleted; the
shop's unread count (``user.unread_notifications``) is kept on the account, so it is lowered
here first, in the same transaction, by the unread notifications that go.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update

from ..data.messaging import ClientConsent, Notification, OutboxMessage
from ..data.models import Mission
from ..extensions import db
from .consent import consent_history
from .outbox import count_unread


def messaging_data(client_id: str) -> dict[str, list[dict[str, Any]]]:
    """The client's consent periods (newest first), outbox messages and notifications (oldest
    first), as plain data. Messages hold no text: what each told and how its sending went."""
    return {
        "consent": [
            {
                "channel": period.channel,
                "given_at": _iso(period.given_at),
                "given_by": period.given_by_email,
                "withdrawn_at": _iso(period.withdrawn_at),
                "withdrawn_via": period.withdrawn_via,
                "withdrawn_by": period.withdrawn_by_email,
            }
            for period in consent_history(client_id)
        ],
        "messages": [
            {
                "mission_id": message.mission_id,
                "channel": message.channel,
                "event": message.event,
                "status": message.status,
                "created_at": _iso(message.created_at),
                "sent_at": _iso(message.sent_at),
                "attempts": message.attempts,
                "last_error": message.last_error,
            }
            for message in db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.client_id == client_id)
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
        ],
        "notifications": [
            {
                "kind": notification.kind,
                "mission_id": notification.mission_id,
                "created_at": _iso(notification.created_at),
                "read_at": _iso(notification.read_at),
                "by": notification.actor_email,
            }
            for notification in db.session.scalars(
                select(Notification)
                .where(_about_client(client_id))
                .order_by(Notification.created_at, Notification.id)
            )
        ],
    }


def move_messaging(from_client_id: str, to_client_id: str) -> None:
    """A merge (uncommitted): the dropped client's messages and notifications follow its
    missions to the kept client instead of going with it. Its consent goes: the kept client's
    own stands."""
    for table in (OutboxMessage, Notification):
        db.session.execute(
            update(table)
            .where(table.client_id == from_client_id)
            .values(client_id=to_client_id)
            .execution_options(synchronize_session=False)
        )


def uncount_unread_notifications(client_id: str) -> None:
    """Before the client (and its missions) are deleted, uncommitted: its shop's unread count
    loses the unread notifications about it, which the deletion takes by cascade."""
    unread = db.session.execute(
        select(Notification.partner_id, func.count(Notification.id))
        .where(_about_client(client_id), Notification.read_at.is_(None))
        .group_by(Notification.partner_id)
    ).all()
    for partner_id, count in unread:
        count_unread(partner_id, -count)


def remove_messaging(client_id: str) -> None:
    """Uncommitted, for a client whose row stays (an invoiced client's erasure): its consent,
    its outbox messages and the notifications about it go, the shop's unread count lowered."""
    uncount_unread_notifications(client_id)
    db.session.execute(delete(Notification).where(_about_client(client_id)))
    for table in (OutboxMessage, ClientConsent):
        db.session.execute(delete(table).where(table.client_id == client_id))


def _about_client(client_id: str) -> ColumnElement[bool]:
    """A notification names its client, or only a mission of it."""
    missions = select(Mission.id).where(Mission.client_id == client_id)
    return or_(Notification.client_id == client_id, Notification.mission_id.in_(missions))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
