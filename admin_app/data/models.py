"""Tables. Names follow the original specification (see DESIGN.md), so reports keep working."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from flask_security import AsaList
from flask_security.models import fsqla_v3 as fsqla
from sqlalchemy import (
    Boolean,
    Connection,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    delete,
    event,
    func,
    insert,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship, validates

from ..extensions import db
from .db_types import UTCDateTime, utcnow
from .search_keys import client_search_keys, name_key

#: Flask-Security's list column (an account's recovery codes) holds no state of its own, but
#: does not say so: without this every Core statement naming the column is compiled again on
#: each run, where SQLAlchemy would reuse its compiled form.
AsaList.cache_ok = True

fsqla.FsModels.set_db_info(db)


class RoleName(enum.StrEnum):
    ADMIN = "admin"
    PARTNER = "partner"
    SUPPORT = "support"
    STAFF = "staff"


class MissionStatus(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class CancelReason(enum.StrEnum):
    """Why a mission was cancelled: a short list, so reports can count them."""

    CLIENT_LEFT = "client_left"
    NO_SHOW = "no_show"
    DUPLICATE = "duplicate"
    OTHER = "other"


def new_id() -> str:
    """A random UUID as text: ids reveal neither counts nor order."""
    return str(uuid.uuid4())


def is_row_id(value: object) -> bool:
    """Whether ``value`` has the form of an id made by ``new_id``."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


mission_status_type = Enum(
    MissionStatus,
    name="mission_status",
    values_callable=lambda statuses: [status.value for status in statuses],
    create_constraint=True,
    validate_strings=True,
)


cancel_reason_type = Enum(
    CancelReason,
    name="cancel_reason",
    values_callable=lambda reasons: [reason.value for reason in reasons],
    create_constraint=True,
    validate_strings=True,
)


class Role(db.Model, fsqla.FsRoleMixin):
    __tablename__ = "role"

    def __str__(self) -> str:
        return self.name


class User(db.Model, fsqla.FsUserMixin):
    __tablename__ = "user"
    # Addresses are stored lower-cased (``security.MailUtil``); the index also refuses a row
    # written some other way that differs from an existing one by case only.
    __table_args__ = (
        Index("uq_user_email_lower", func.lower(text("email")), unique=True),
        Index("ix_user_shop_id", "shop_id"),
    )

    #: The last authenticator time step that logged this account in: a code is used once.
    tf_totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: A staff account's shop: the partner account whose rows it works on (``scoping.py``);
    #: empty for every other account. Deleting the shop deletes its staff.
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))

    #: Loaded with the account (one join, no query of its own): every staff request needs it.
    shop: Mapped[User | None] = relationship(
        remote_side="User.id", back_populates="staff", lazy="joined", join_depth=1
    )
    #: Deleted with the shop (the ORM deletes their role links; the database cascades too).
    staff: Mapped[list[User]] = relationship(back_populates="shop", cascade="all, delete-orphan")
    #: A partner account's shop, as its clients' messages name it (the account's email if empty).
    shop_name: Mapped[str | None] = mapped_column(Text)
    #: The language (``en`` or ``fr``) the account last chose in the panel: a partner's is the
    #: default of its new clients' language.
    language: Mapped[str | None] = mapped_column(Text)
    #: A shop's unread notifications, kept in the same transaction as them: read with the
    #: account on every page, so the bell costs no query.
    unread_notifications: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __str__(self) -> str:
        return self.email


def made_on(item: object, dialect: str) -> bool:
    """Whether the schema item (an index made with ``ddl_if``) exists on ``dialect``;
    migrations and the schema tests compare only what each database should hold."""
    condition = getattr(item, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)


class Client(db.Model):
    __tablename__ = "walk_in_client"
    # The list orders end in ``id``: a page's ids are read from the index alone.
    __table_args__ = (
        Index("ix_walk_in_client_partner_created", "partner_id", "created_at", "id"),
        Index("ix_walk_in_client_partner_last_name", "partner_id", "last_name"),
        Index("ix_walk_in_client_created", "created_at", "id"),
        Index("ix_walk_in_client_last_name", "last_name"),
        Index("ix_walk_in_client_city", "city_key", "created_at", "id"),
        Index("ix_walk_in_client_partner_city", "partner_id", "city_key", "created_at", "id"),
        # The duplicate check (``duplicates.py``): one partner's clients with this phone or
        # email; stored emails are lower-cased.
        Index("ix_walk_in_client_partner_email", "partner_id", "email"),
        Index("ix_walk_in_client_partner_phone", "partner_id", "phone"),
        # The duplicate check's names: one partner's clients of a city with one name key
        # exactly, the other read from the index to tolerate a typo in it.
        Index(
            "ix_walk_in_client_partner_city_last_first",
            "partner_id",
            "city_key",
            "last_name_key",
            "first_name_key",
            "id",
        ),
        Index(
            "ix_walk_in_client_partner_city_first_last",
            "partner_id",
            "city_key",
            "first_name_key",
            "last_name_key",
            "id",
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    #: The language its messages are written in: ``en`` or ``fr``.
    language: Mapped[str] = mapped_column(Text, default="en", server_default="en")
    #: Names and city as search and the city filter compare them (``name_key``), kept in step
    #: by ``@validates``.
    first_name_key: Mapped[str] = mapped_column(Text, server_default="")
    last_name_key: Mapped[str] = mapped_column(Text, server_default="")
    city_key: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    partner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    partner: Mapped[User] = relationship()
    missions: Mapped[list[Mission]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("first_name", "last_name", "city")
    def _keep_search_key(self, name: str, value: str) -> str:
        setattr(self, f"{name}_key", name_key(value or ""))
        return value

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"


class ClientSearchKey(db.Model):
    """One key a client is found by (``search_keys.client_search_keys``): a search word matches
    a client when it starts one of its keys, a range on a B-tree on both databases.

    Kept by the model in the same flush as the client (``_write_search_keys``); deleted with it
    (``ON DELETE CASCADE``). ``partner_id`` is the client's, copied so that a partner's search
    reads only its own keys; it needs no foreign key of its own (the client's cascade removes
    the keys of a deleted partner's clients).
    """

    __tablename__ = "client_search_key"
    __table_args__ = (
        Index("ix_client_search_key_key", "key", "client_id"),
        Index("ix_client_search_key_partner", "partner_id", "key", "client_id"),
        {"sqlite_with_rowid": False},
    )

    client_id: Mapped[str] = mapped_column(
        ForeignKey("walk_in_client.id", ondelete="CASCADE"), primary_key=True
    )
    #: Compared byte by byte ("C") on PostgreSQL as SQLite does, so that a range of keys is
    #: exactly the keys starting with a prefix, whatever the database's collation.
    key: Mapped[str] = mapped_column(
        Text().with_variant(Text(collation="C"), "postgresql"), primary_key=True
    )
    partner_id: Mapped[int] = mapped_column(Integer)


#: The client columns its search keys are made of.
SEARCHED_COLUMNS = ("first_name", "last_name", "email", "phone", "partner_id")


def search_key_rows(
    client_id: str, partner_id: int, first_name: str, last_name: str, email: str, phone: str
) -> list[dict[str, object]]:
    """The ``client_search_key`` rows of one client."""
    keys = client_search_keys(first_name, last_name, email, phone)
    return [{"client_id": client_id, "partner_id": partner_id, "key": key} for key in keys]


@event.listens_for(Client, "after_insert")
def _add_search_keys(mapper: Mapper, connection: Connection, client: Client) -> None:
    """A new client's keys, in the same flush (hence transaction) as its row."""
    _write_search_keys(connection, client)


@event.listens_for(Client, "after_update")
def _renew_search_keys(mapper: Mapper, connection: Connection, client: Client) -> None:
    """An edited client's keys again, when a value they are made of changed."""
    changed = inspect(client).attrs
    if any(changed[name].history.has_changes() for name in SEARCHED_COLUMNS):
        connection.execute(delete(ClientSearchKey).where(ClientSearchKey.client_id == client.id))
        _write_search_keys(connection, client)


def _write_search_keys(connection: Connection, client: Client) -> None:
    rows = search_key_rows(
        client.id, client.partner_id, client.first_name, client.last_name, client.email,
        client.phone,
    )  # fmt: skip
    if rows:
        connection.execute(insert(ClientSearchKey), rows)


#: Prices: exact decimals with two places (``numeric`` on PostgreSQL; SQLite hands them back
#: rounded to those two places, exact for any price below 10^13). Never a float in Python.
money_type = Numeric(12, 2, asdecimal=True)


class ServiceType(db.Model):
    """What a visit is for, in the admins' catalogue. A mission copies the price it had when
    the mission was opened; an inactive type stays on its missions and is no longer offered."""

    __tablename__ = "service_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_en: Mapped[str] = mapped_column(Text)
    name_fr: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    price_amount: Mapped[Decimal] = mapped_column(money_type, default=Decimal("0.00"))
    price_currency: Mapped[str] = mapped_column(Text, default="EUR", server_default="EUR")
    duration_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    def name_in(self, language: str) -> str:
        """The name in ``language`` ("fr" or anything else for English)."""
        return self.name_fr if language == "fr" else self.name_en

    def __str__(self) -> str:
        return self.name_en


class Mission(db.Model):
    __tablename__ = "walk_in_mission"
    # The list orders end in ``id``: a page's ids are read from the index alone.
    __table_args__ = (
        Index("ix_walk_in_mission_partner_status", "partner_id", "status", "created_at", "id"),
        Index("ix_walk_in_mission_partner_created", "partner_id", "created_at", "id"),
        Index("ix_walk_in_mission_partner_completed", "partner_id", "completed_at"),
        # The reports' exact waiting times: the missions started within a period.
        Index("ix_walk_in_mission_partner_started", "partner_id", "started_at"),
        Index("ix_walk_in_mission_started", "started_at"),
        Index("ix_walk_in_mission_partner_cancelled", "partner_id", "cancelled_at"),
        Index("ix_walk_in_mission_status", "status", "created_at", "id"),
        # With the client: a broad search scans it newest first, testing each mission's client.
        Index("ix_walk_in_mission_created", "created_at", "id", "client_id"),
        Index("ix_walk_in_mission_completed", "completed_at"),
        Index("ix_walk_in_mission_cancelled", "cancelled_at"),
        # Covers a search's page of ids: the clients' missions, newest first, within a scope.
        Index("ix_walk_in_mission_client", "client_id", "created_at", "partner_id", "id"),
        # The service type filter, alone or within a partner's rows, newest first.
        Index(
            "ix_walk_in_mission_partner_service",
            "partner_id",
            "service_type_id",
            "created_at",
            "id",
        ),
        Index("ix_walk_in_mission_service", "service_type_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("walk_in_client.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    status: Mapped[MissionStatus] = mapped_column(
        mission_status_type, default=MissionStatus.PENDING, server_default="pending"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Set by the transition that leads into each status (``apply_transition``).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[CancelReason | None] = mapped_column(cancel_reason_type)
    cancel_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: The service type and its price when the mission was opened (a copy: the catalogue's
    #: price may change later). Empty only for a mission opened while no type was offered.
    service_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_type.id", ondelete="RESTRICT")
    )
    price_amount: Mapped[Decimal | None] = mapped_column(money_type)
    price_currency: Mapped[str | None] = mapped_column(Text)
    #: Whether this is its client's first visit (the client's earliest mission): the reports
    #: count visits by new and by returning clients (``domain/report_rollups.py``).
    first_visit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __mapper_args__ = {"version_id_col": version}

    client: Mapped[Client] = relationship(back_populates="missions")
    service_type: Mapped[ServiceType | None] = relationship()
    partner: Mapped[User] = relationship()
    events: Mapped[list[MissionEvent]] = relationship(
        back_populates="mission",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MissionEvent.at",
    )
    #: Read only: notes are added by ``timeline.add_note`` and go with the mission (database
    #: cascade).
    notes: Mapped[list[MissionNote]] = relationship(
        order_by="MissionNote.at, MissionNote.id", viewonly=True
    )

    def __str__(self) -> str:
        return f"Mission {self.id[:8]} ({self.status.label})"


class PartnerTally(db.Model):
    """A partner's running totals, adjusted in the same transaction as the rows they count, so
    the dashboard reads exact figures without counting a million rows (see ``tally.py``)."""

    __tablename__ = "partner_tally"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    clients: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    in_progress: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    completed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancelled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MissionEvent(db.Model):
    """One step of a mission's history; ``from_status`` is empty for its creation."""

    __tablename__ = "mission_event"
    __table_args__ = (Index("ix_mission_event_mission_at", "mission_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("walk_in_mission.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    from_status: Mapped[MissionStatus | None] = mapped_column(mission_status_type)
    to_status: Mapped[MissionStatus] = mapped_column(mission_status_type)
    #: A cancellation's reason and optional words, as the mission holds them.
    reason: Mapped[CancelReason | None] = mapped_column(cancel_reason_type)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mission: Mapped[Mission] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        origin = self.from_status.label if self.from_status else "created"
        return f"{origin} → {self.to_status.label}"


class MissionNote(db.Model):
    """One entry of a mission's notes: append-only (never edited, never deleted but with its
    mission). ``author_email`` is a copy, so the note keeps its author after the account goes."""

    __tablename__ = "mission_note"
    __table_args__ = (Index("ix_mission_note_mission_at", "mission_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("walk_in_mission.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_email: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)

    def __str__(self) -> str:
        return self.text


class MissionMerge(db.Model):
    """A step of a mission's history of its own kind: the mission moved to another client when
    an admin merged two clients. Shaped like ``MissionEvent`` (mission, actor, time) so the two
    read as one history; the dropped client is gone, so its id and name are copied here."""

    __tablename__ = "mission_merge"
    __table_args__ = (Index("ix_mission_merge_mission_at", "mission_id", "at"),)

    kind: ClassVar[str] = "merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("walk_in_mission.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_client_id: Mapped[str] = mapped_column(Text)
    from_client_name: Mapped[str] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"moved from client {self.from_client_name}"


class MissionAttachment(db.Model):
    """A document or photo attached to a mission: what the page lists (never its bytes).

    The bytes (the re-encoded file and, for images, its thumbnail) are kept where
    ``stored_in`` says: ``attachment_blob`` rows (``database``) or files named by the id
    (``directory``), see ``attachment_storage.py``. ``file_name`` is the name the uploader gave,
    for the download only; the type is the one read from the content. ``uploaded_by_email`` is
    a copy, so the row keeps its author after the account goes."""

    __tablename__ = "mission_attachment"
    __table_args__ = (Index("ix_mission_attachment_mission_at", "mission_id", "uploaded_at", "id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    mission_id: Mapped[str] = mapped_column(ForeignKey("walk_in_mission.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    #: The thumbnail's media type; empty for a PDF (the page shows a label instead).
    thumbnail_type: Mapped[str | None] = mapped_column(Text)
    stored_in: Mapped[str] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_by_email: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return self.file_name


class AttachmentBlob(db.Model):
    """The bytes of an attachment kept in the database: ``original`` (the re-encoded file) and
    ``thumbnail``. They go with their attachment, hence with its mission and client."""

    __tablename__ = "attachment_blob"

    attachment_id: Mapped[str] = mapped_column(
        ForeignKey("mission_attachment.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class AuditEvent(db.Model):
    """Who did what, when, from where: logins, account changes, deletions, exports, refusals.

    ``actor_email`` (who acted) and ``account_email`` (the account the event concerns: the one
    logging in, created or changed; else the actor's) are copies, so the record keeps its
    meaning after the account is deleted. Never holds a password or a token.
    """

    __tablename__ = "audit_event"
    # The log's order (newest first) and each of its filters, ending in ``id`` like the lists.
    __table_args__ = (
        Index("ix_audit_event_at", "at", "id"),
        Index("ix_audit_event_action", "action", "at", "id"),
        Index("ix_audit_event_account", "account_email", "at", "id"),
        Index("ix_audit_event_address", "address", "at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor_email: Mapped[str | None] = mapped_column(Text)
    account_email: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return f"{self.action} {self.target or ''}".strip()


class WebSession(db.Model):
    """A browser session kept on the server, so that it can truly be revoked.

    ``id`` is the SHA-256 of the cookie's random value: the table alone cannot be replayed.
    """

    __tablename__ = "web_session"
    __table_args__ = (
        Index("ix_web_session_user", "user_id"),
        Index("ix_web_session_last_seen", "last_seen_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
