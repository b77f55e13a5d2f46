"""A shop's notifications (the bell): which a user sees, and marking them read.

A shop's unread count lives on its partner account (``user.unread_notifications``), read with
the account on every page, so the bell costs no query. It moves only in the transaction that
changes notifications, by the rows that statement really changed: ``outbox.notify_shop`` adds
one, ``mark_read`` and ``mark_all_read`` take off what their conditional ``UPDATE ... WHERE
read_at IS NULL`` marked. Of two clicks at once on one notification, one marks it and counts
it, the other finds it read already and counts nothing, so the count never drifts.

Who sees which (``scoping.scope_filter``): a shop's partner and staff the shop's, admins
every shop's but only to read (the notifications are the shop's to read: an admin marking one
would clear the shop's bell), support staff none.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..data.db_types import utcnow
from ..data.messaging import Notification
from ..data.models import User
from ..extensions import db
from ..platform.audit import record_refused_access
from .errors import NotAllowed, NotificationNotFound
from .outbox import count_unread
from .scoping import scope_filter, sees_all_partners, shop_id_of, shop_of


def may_mark_read(user: User | None) -> bool:
    """A shop's partner and staff mark the shop's notifications read; nobody else."""
    return (
        user is not None
        and getattr(user, "active", False)
        and not sees_all_partners(user)
        and shop_id_of(user) is not None
    )


def unread_count(user: User | None) -> int | None:
    """The bell's number: the unread notifications of ``user``'s shop, from the account rows
    already loaded (a partner's own, a staff account's shop, joined with it); None for
    accounts without a bell (admins, support, anyone outside a shop)."""
    if not may_mark_read(user):
        return None
    shop = shop_of(user)
    return shop.unread_notifications if shop is not None else None


def mark_read(notification_id: int, user: User) -> bool:
    """Mark one notification of ``user``'s shop read, committed; whether it was unread.

    Another shop's notification or an unknown id: ``NotificationNotFound`` (recorded as a
    refused access when the row exists)."""
    changed = _mark(user, Notification.id == notification_id)
    if not changed and not _exists(user, notification_id):
        db.session.rollback()
        record_refused_access(Notification, notification_id, user)
        raise NotificationNotFound(str(notification_id))
    db.session.commit()
    return bool(changed)


def mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user``'s shop read, committed; how many."""
    changed = _mark(user)
    db.session.commit()
    return changed


def _reader_shop(user: User) -> int:
    """The shop whose notifications ``user`` marks read; ``NotAllowed`` for anyone else."""
    shop_id = shop_id_of(user) if may_mark_read(user) else None
    if shop_id is None:
        raise NotAllowed(user, "read_notifications")
    return shop_id


def _mark(user: User, *conditions: object) -> int:
    """Set ``read_at`` on the unread notifications of ``user``'s shop that match
    ``conditions`` and take as many off the shop's count, uncommitted; how many were marked."""
    shop_id = _reader_shop(user)
    changed = db.session.execute(
        update(Notification)
        .where(
            scope_filter(Notification, user),
            Notification.read_at.is_(None),
            *conditions,
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        count_unread(shop_id, -changed)
    return changed


def _exists(user: User, notification_id: int) -> bool:
    """Whether ``user`` sees the notification (it was read already, not another shop's)."""
    visible = select(Notification.id).where(
        Notification.id == notification_id, scope_filter(Notification, user)
    )
    return db.session.scalar(visible) is not None
