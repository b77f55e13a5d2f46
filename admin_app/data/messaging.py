"""Tables of what a client hears and a shop is told: consent per channel, the outbox of
messages to send, and the panel's own notifications. All of them hold personal data, so each
row goes with its client (ON DELETE CASCADE): erasing a client leaves none behind."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .db_types import UTCDateTime, utcnow
from .models import Client, User, new_id


class Channel(enum.StrEnum):
    """How a client can be reached. Only email is sent today; SMS has its place in the
    consent table so adding it needs no new column."""

    EMAIL = "email"
    SMS = "sms"


class MessageEvent(enum.StrEnum):
    """What a message tells the client: its mission was opened, started, completed or
    cancelled (the names of the transitions that lead there)."""

    OPENED = "opened"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MessageStatus(enum.StrEnum):
    """An outbox row's state: ``pending`` until sent (``next_attempt_at`` says when it is
    due), ``sent``, ``failed`` after its last try (an admin may retry it), ``withdrawn`` when
    the client's consent was gone by the time it was due (never sent)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class NotificationKind(enum.StrEnum):
    """What the panel tells a shop: a mission someone else opened for it, or a message to
    one of its clients that could not be sent."""

    MISSION_OPENED = "mission_opened"
    MESSAGE_FAILED = "message_failed"


def _one_of(column: str, values: type[enum.StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{value.value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class ClientConsent(db.Model):
    """One period of a client's consent to hear from the shop on one channel: when it was
    given and who captured it, then, once withdrawn, when and how (``panel`` or ``link``).

    The row without ``withdrawn_at`` is the consent in force (one at most per client and
    channel, which the database enforces); the withdrawn rows are its history."""

    __tablename__ = "client_consent"
    __table_args__ = (
        _one_of("channel", Channel),
        CheckConstraint("withdrawn_via IN ('panel', 'link')", name="withdrawn_via"),
        Index(
            "uq_client_consent_in_force",
            "client_id",
            "channel",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
        Index("ix_client_consent_client", "client_id", "given_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("walk_in_client.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Copies, so the history keeps its author after the account goes.
    given_by_email: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_via: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_email: Mapped[str | None] = mapped_column(Text)

    client: Mapped[Client] = relationship()


class OutboxMessage(db.Model):
    """A message to send to a client, written in the same transaction as the change it tells
    of (``outbox.py``) and sent by the worker. It names what to say (``event`` about
    ``mission_id``), never holds the text: the worker writes it when it sends, in the client's
    language of that moment, to the address of that moment, if consent is still in force.

    ``next_attempt_at`` is when it is due; a worker that takes it moves it a lease ahead, so a
    worker killed mid-send leaves it due again once the lease is over (sent at least once)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        _one_of("channel", Channel),
        _one_of("event", MessageEvent),
        _one_of("status", MessageStatus),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_partner", "partner_id", "status", "created_at", "id"),
        Index("ix_outbox_message_status_created", "status", "created_at", "id"),
        Index("ix_outbox_message_client", "client_id", "created_at"),
        Index("ix_outbox_message_mission", "mission_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    partner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("walk_in_client.id", ondelete="CASCADE"))
    mission_id: Mapped[str | None] = mapped_column(
        ForeignKey("walk_in_mission.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(Text, default=Channel.EMAIL.value)
    event: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=MessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last refusal, as the mail server or the network gave it (never the message).
    last_error: Mapped[str | None] = mapped_column(Text)

    client: Mapped[Client] = relationship()
    partner: Mapped[User] = relationship()


class Notification(db.Model):
    """A line in a shop's notifications (the bell): a mission opened for it by someone else,
    or a message to one of its clients that failed. ``partner_id`` is the shop, so the row is
    scoped like the shop's clients and missions; the unread ones are counted on the shop's
    account (``user.unread_notifications``), kept in the same transaction."""

    __tablename__ = "notification"
    __table_args__ = (
        _one_of("kind", NotificationKind),
        Index("ix_notification_partner_created", "partner_id", "created_at", "id"),
        Index("ix_notification_created", "created_at", "id"),
        Index("ix_notification_client", "client_id"),
        Index("ix_notification_mission", "mission_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(
        ForeignKey("walk_in_client.id", ondelete="CASCADE")
    )
    mission_id: Mapped[str | None] = mapped_column(
        ForeignKey("walk_in_mission.id", ondelete="CASCADE")
    )
    outbox_id: Mapped[str | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor_email: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client | None] = relationship()
    #: The failed message a ``message_failed`` notification tells of (its last error).
    outbox: Mapped[OutboxMessage | None] = relationship()
    partner: Mapped[User] = relationship(foreign_keys=[partner_id])
