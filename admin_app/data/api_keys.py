"""API keys and the answers kept for retried requests.

A key is shown once, when it is made: the table keeps its public ``prefix`` (to find it) and
the SHA-256 of its secret part (a 256-bit random value, so a fast hash is enough: there is
nothing to guess from a dictionary). A key is never deleted, only revoked, so the audit log
and the kept answers can still name it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .db_types import UTCDateTime, utcnow
from .models import User


class ApiScope(enum.StrEnum):
    """What a key may do: ``checkin`` registers visitors and opens missions, nothing else;
    ``read`` reads; ``write`` reads and changes."""

    CHECKIN = "checkin"
    READ = "read"
    WRITE = "write"


api_scope_type = Enum(
    ApiScope,
    name="api_scope",
    values_callable=lambda scopes: [scope.value for scope in scopes],
    create_constraint=True,
    validate_strings=True,
)


class ApiKey(db.Model):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: A partner's key acts for its shop; an admin's for every partner.
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    scope: Mapped[ApiScope] = mapped_column(api_scope_type)
    prefix: Mapped[str] = mapped_column(Text, unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")

    @property
    def label(self) -> str:
        """How the audit log and the panel name the key: its name and public prefix."""
        return f"{self.name} ({self.prefix})"


class IdempotentRequest(db.Model):
    """The first answer to a ``POST`` sent with an ``Idempotency-Key``: the same key and body
    get it again; the same key with another body is refused."""

    __tablename__ = "api_idempotent_request"
    __table_args__ = (UniqueConstraint("api_key_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(Text)
    #: The method, path and body's SHA-256: what "the same request" means.
    request_hash: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
