"""What a change tells the client and the shop, written in the change's own transaction.

The functions that open and move missions (``missions.py``) call these and nothing else does:
a message to the client goes into the outbox (``outbox_message``) only while the client's
email consent is in force, and the shop is notified of a mission someone outside it opened. A
transaction that rolls back takes its messages with it; one that commits hands their ids to the
worker (``worker.py`` registers how, see ``init_outbox_dispatch``), and whatever the worker
never heard of (it was down, the hand-over failed) is found again by its periodic sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from flask import Flask, current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import (
    Connection,
    Insert,
    Text,
    and_,
    bindparam,
    event,
    func,
    insert,
    literal,
    select,
    update,
)

from ..data.db_types import UTCDateTime, utcnow
from ..data.messaging import (
    Channel,
    ClientConsent,
    MessageEvent,
    MessageStatus,
    Notification,
    NotificationKind,
    OutboxMessage,
)
from ..data.models import Mission, MissionStatus, User, new_id
from ..extensions import db

log = logging.getLogger(__name__)

#: The message each status a mission moves into sends.
EVENT_OF_STATUS = {
    MissionStatus.PENDING: MessageEvent.OPENED,
    MissionStatus.IN_PROGRESS: MessageEvent.STARTED,
    MissionStatus.COMPLETED: MessageEvent.COMPLETED,
    MissionStatus.CANCELLED: MessageEvent.CANCELLED,
}

#: Where the ids of the messages written in the session's transaction wait for its commit.
QUEUED_KEY = "walkin_outbox_queued"
#: ``app.extensions`` key of the function that hands committed message ids to the worker.
DISPATCH_KEY = "walkin_outbox_dispatch"


def email_consent_in_force(client_id: object) -> object:
    """The SQL condition "the client has email consent in force" (``client_id`` a column or
    a value)."""
    return (
        select(ClientConsent.id)
        .where(
            ClientConsent.client_id == client_id,
            ClientConsent.channel == Channel.EMAIL.value,
            ClientConsent.withdrawn_at.is_(None),
        )
        .exists()
    )


def queue_mission_message(mission_id: str, status: MissionStatus) -> None:
    """Write, uncommitted, the email telling the mission's client that it moved into
    ``status``, if the client's email consent is in force: one INSERT ... SELECT, which writes
    nothing without consent. Rows added to the session must be flushed first."""
    message_id = new_id()
    result = db.session.execute(
        _queue_statement(),
        {
            "message_id": message_id,
            "mission_id": mission_id,
            "event": EVENT_OF_STATUS[status].value,
            "now": utcnow(),
        },
    )
    if result.rowcount:
        hand_over_after_commit(message_id)


@cache
def _queue_statement() -> Insert:
    """``queue_mission_message``'s statement, built once: it runs in every transition."""
    now = bindparam("now", type_=UTCDateTime())
    rows = select(
        bindparam("message_id", type_=Text()),
        Mission.partner_id,
        Mission.client_id,
        Mission.id,
        literal(Channel.EMAIL.value),
        bindparam("event", type_=Text()),
        literal(MessageStatus.PENDING.value),
        literal(0),
        now,
        now,
    ).where(
        Mission.id == bindparam("mission_id", type_=Text()),
        email_consent_in_force(Mission.client_id),
    )
    columns = [
        "id", "partner_id", "client_id", "mission_id", "channel", "event", "status",
        "attempts", "created_at", "next_attempt_at",
    ]  # fmt: skip
    return insert(OutboxMessage.__table__).from_select(columns, rows)


def hand_over_after_commit(message_id: str) -> None:
    """Have the worker told of ``message_id`` once the session's transaction commits (and
    never if it rolls back)."""
    db.session.info.setdefault(QUEUED_KEY, []).append(message_id)


def notify_shop(
    partner_id: int,
    kind: NotificationKind,
    *,
    actor: User | None = None,
    client_id: str | None = None,
    mission_id: str | None = None,
    outbox_id: str | None = None,
) -> None:
    """Add, uncommitted, a notification for the shop ``partner_id`` and count it unread."""
    db.session.add(
        Notification(
            partner_id=partner_id,
            kind=kind.value,
            client_id=client_id,
            mission_id=mission_id,
            outbox_id=outbox_id,
            actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else None,
            created_at=utcnow(),
        )
    )
    count_unread(partner_id, 1)


def count_unread(partner_id: int, change: int) -> None:
    """Move the shop's unread count (read with its account by the bell) by ``change``,
    uncommitted: the one statement every change of notifications runs with it."""
    db.session.execute(
        update(User)
        .where(User.id == partner_id)
        .values(unread_notifications=User.unread_notifications + change)
        .execution_options(synchronize_session=False)
    )


def announce_new_mission(mission: Mission, actor: User, actor_shop_id: int | None) -> None:
    """What opening ``mission`` tells: the client by email (with consent), and the shop when
    the mission was opened by someone outside it (an admin). The session is flushed first."""
    db.session.flush()
    queue_mission_message(mission.id, MissionStatus.PENDING)
    if actor_shop_id != mission.partner_id:
        notify_shop(
            mission.partner_id,
            NotificationKind.MISSION_OPENED,
            actor=actor,
            client_id=mission.client_id,
            mission_id=mission.id,
        )


def due_messages(limit: int) -> list[str]:
    """The ids of pending messages whose time has come (left behind by a worker that was down
    or killed, or waiting for their next try), oldest due first."""
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                and_(
                    OutboxMessage.status == MessageStatus.PENDING.value,
                    OutboxMessage.next_attempt_at <= utcnow(),
                )
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        )
    )


def backlog(connection: Connection) -> int:
    """How many messages wait to be sent (pending, due or not): the operators' gauge, counted
    from the ``status, next_attempt_at`` index."""
    return (
        connection.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == MessageStatus.PENDING.value)
        )
        or 0
    )


def init_outbox_dispatch(app: Flask, dispatch: Callable[[list[str]], None]) -> None:
    """Make ``dispatch`` receive the ids of the messages each committed transaction wrote (the
    worker enqueues them). It runs after the commit and never fails the change: a message it
    misses waits in the outbox for the sweep."""
    app.extensions[DISPATCH_KEY] = dispatch


def _hand_over(session: Session) -> None:
    message_ids = session.info.pop(QUEUED_KEY, None)
    if not message_ids:
        return
    dispatch = current_app.extensions.get(DISPATCH_KEY)
    if dispatch is None:
        return
    try:
        dispatch(message_ids)
    except Exception:
        log.exception("%d message(s) not handed to the worker: the sweep will", len(message_ids))


def _forget(session: Session) -> None:
    session.info.pop(QUEUED_KEY, None)


def listen_to_commits() -> None:
    """Hand each commit's messages over, forget a rolled-back transaction's (once a process:
    Flask-SQLAlchemy's session class is shared by every app)."""
    if not event.contains(Session, "after_commit", _hand_over):
        event.listen(Session, "after_commit", _hand_over)
        event.listen(Session, "after_rollback", _forget)
