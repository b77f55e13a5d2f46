"""The audit log: who did what, when, from which address. Never a password or a token."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, g, has_request_context, request
from flask_security import current_user
from sqlalchemy import insert, select

from ..data.db_types import utcnow
from ..data.invoicing import Invoice, ShopLogo
from ..data.messaging import Notification
from ..data.models import AuditEvent, Client, Mission, MissionAttachment, User, is_row_id
from ..extensions import db

MAX_DETAIL_TEXT = 254


def record(
    action: str,
    *,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    actor: User | None = None,
) -> None:
    """Write one audit event on a connection of its own, committed at once, so the record
    stays even when the request's own transaction is rolled back. Call it after the change it
    records is committed (SQLite lets one writer at a time).

    ``details["email"]`` names the account the event concerns when it is not the actor (a login
    attempt, an account an admin changed): the log lists and filters events by that account.
    """
    actor = actor or _current_actor()
    details = _with_calling_key(details)
    with db.engine.begin() as connection:
        connection.execute(
            insert(AuditEvent).values(
                at=utcnow(),
                actor_id=actor.id if actor else None,
                actor_email=actor.email if actor else None,
                account_email=concerned_account(actor, details),
                address=request.remote_addr if has_request_context() else None,
                action=action,
                target=target,
                details=json.dumps(details, ensure_ascii=False, default=str) if details else None,
            )
        )


def concerned_account(actor: User | None, details: dict[str, Any] | None) -> str | None:
    """The email of the account an event concerns, in the form the log filters by: the one
    its details name, else the actor's."""
    named = (details or {}).get("email")
    email = named if isinstance(named, str) and named.strip() else (actor and actor.email)
    return email.strip().lower() if email else None


def record_refused_access(
    model: type[Client]
    | type[Mission]
    | type[MissionAttachment]
    | type[Notification]
    | type[Invoice]
    | type[ShopLogo],
    row_id: object,
    user: Any,
) -> None:
    """Someone named a row that exists but is not theirs (they were answered 404). Rows are
    named by a UUID string, or by an integer (notifications)."""
    if not (is_row_id(row_id) or type(row_id) is int):
        return
    if db.session.scalar(select(model.id).where(model.id == row_id)) is None:
        return
    record("access.refused", target=f"{model.__tablename__}:{row_id}", actor=_user_or_none(user))


def _with_calling_key(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """An API request's events name the key it came with (``api/auth.py`` sets it)."""
    key = g.get("api_key") if has_request_context() else None
    return {**(details or {}), "api_key": key.label} if key is not None else details


def _current_actor() -> User | None:
    key = g.get("api_key") if has_request_context() else None
    if key is not None:
        return key.owner
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _user_or_none(user: Any) -> User | None:
    return user if getattr(user, "is_authenticated", False) else None


def _record_logout() -> None:
    """Before the view runs, while the user is still known."""
    if request.endpoint == "security.logout" and request.method == "POST":
        if current_user.is_authenticated:
            record("logout")


def init_audit(app: Flask) -> None:
    app.before_request(_record_logout)
