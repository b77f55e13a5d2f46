"""Messages the worker gave up on (status ``failed``), which admins see and send again.

A retry puts the messages back as new: ``pending``, no attempt made, due now, and has them
handed to the worker once committed (``outbox.hand_over_after_commit``). It is all or nothing:
when one of the messages is not failed any more (another admin retried it, or it was sent), none
is retried and the refusal names it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, select, update

from ..data.db_types import utcnow
from ..data.messaging import MessageStatus, OutboxMessage
from ..data.models import User, is_row_id
from ..extensions import db
from ..platform.audit import record
from .errors import MessagesNotFailed, NotAllowed
from .outbox import hand_over_after_commit
from .scoping import is_admin


def failed_filter() -> ColumnElement[bool]:
    """The condition of the outbox rows an admin may retry."""
    return OutboxMessage.status == MessageStatus.FAILED.value


def may_retry(user: User | None) -> bool:
    return user is not None and is_admin(user)


def retry_messages(message_ids: Iterable[str], actor: User) -> list[str]:
    """Make the failed messages ``message_ids`` due again, committed and recorded
    (``message.retry``, their ids only); the ids retried, in order.

    ``MessagesNotFailed`` when any of them is not failed (or unknown): then none is."""
    if not may_retry(actor):
        raise NotAllowed(actor, "retry_messages")
    ids = sorted(set(message_ids))
    malformed = [message_id for message_id in ids if not is_row_id(message_id)]
    if malformed:
        raise MessagesNotFailed(malformed)
    if not ids:
        return []
    retried = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), failed_filter())
        .values(status=MessageStatus.PENDING.value, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if retried != len(ids):
        db.session.rollback()
        raise MessagesNotFailed(_not_failed(ids))
    for message_id in ids:
        hand_over_after_commit(message_id)
    db.session.commit()
    record("message.retry", details={"messages": ids}, actor=actor)
    return ids


def _not_failed(ids: list[str]) -> list[str]:
    failed = set(
        db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.id.in_(ids), failed_filter())
        )
    )
    return [message_id for message_id in ids if message_id not in failed]
