"""Server-side sessions in the app's database: logout, a password change or a deactivation
revokes them for real, a copied cookie included.

The cookie holds only a random id; the table keeps its SHA-256, the session's data, its owner
and two clocks: idle expiry (``SESSION_IDLE_MINUTES``) and absolute expiry
(``SESSION_MAX_HOURS``). The id changes at login and at logout.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from flask_login import current_user, user_logged_in, user_logged_out
from flask_security.signals import password_changed
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

from .db_types import utcnow
from .extensions import db
from .models import WebSession

TOUCH_EVERY = timedelta(minutes=1)
#: Messages kept waiting to be shown, the newest: a client that never follows its redirects (a
#: script, a load test) would otherwise grow its session row with every form it posts, and make
#: every later request read and write it all.
MAX_FLASHES = 10


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid = sid
        self.modified = False
        self.rotate = False
        self.error: OperationalError | None = None


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class DatabaseSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid:
            return ServerSession()
        try:
            return self._load(app, sid)
        except OperationalError as error:
            unavailable = ServerSession()
            unavailable.error = error
            return unavailable

    def _load(self, app: Flask, sid: str) -> ServerSession:
        with db.engine.begin() as connection:
            row = connection.execute(
                select(WebSession).where(WebSession.id == _digest(sid))
            ).one_or_none()
            if row is None:
                return ServerSession()
            now = utcnow()
            if self._expired(app, row.created_at, row.last_seen_at, now):
                connection.execute(delete(WebSession).where(WebSession.id == row.id))
                return ServerSession()
            if now - row.last_seen_at > TOUCH_EVERY:
                connection.execute(
                    update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now)
                )
        return ServerSession(self.serializer.loads(row.data), sid)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        if session.error is not None:
            return
        name = self.get_cookie_name(app)
        with db.engine.begin() as connection:
            if session.sid and (session.rotate or not session):
                connection.execute(delete(WebSession).where(WebSession.id == _digest(session.sid)))
                session.sid = None
            if not session:
                if name in request.cookies:
                    response.delete_cookie(name, path=self.get_cookie_path(app))
                return
            if session.sid is None:
                session.sid = secrets.token_urlsafe(32)
                self._insert(connection, session)
                self._set_cookie(app, response, session.sid)
            elif session.modified:
                connection.execute(
                    update(WebSession)
                    .where(WebSession.id == _digest(session.sid))
                    .values(data=self._dumps(session), user_id=_user_id())
                )

    def _insert(self, connection: Any, session: ServerSession) -> None:
        now = utcnow()
        connection.execute(
            insert(WebSession).values(
                id=_digest(session.sid or ""),
                user_id=_user_id(),
                data=self._dumps(session),
                created_at=now,
                last_seen_at=now,
            )
        )

    def _dumps(self, session: ServerSession) -> str:
        data = dict(session)
        if len(data.get("_flashes", ())) > MAX_FLASHES:
            data["_flashes"] = data["_flashes"][-MAX_FLASHES:]
        return self.serializer.dumps(data)

    def _set_cookie(self, app: Flask, response: Response, sid: str) -> None:
        response.set_cookie(
            self.get_cookie_name(app),
            sid,
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
        )

    @staticmethod
    def _expired(app: Flask, created: datetime, last_seen: datetime, now: datetime) -> bool:
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
        absolute = timedelta(hours=app.config["SESSION_MAX_HOURS"])
        return now - last_seen > idle or now - created > absolute


def _user_id() -> int | None:
    return current_user.id if current_user and current_user.is_authenticated else None


def revoke_sessions(user_id: int, keep_current: bool = False) -> None:
    """End every session of a user (all of them, or all but the one making this request)."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    current = getattr(session, "sid", None)
    if keep_current and current:
        query = query.where(WebSession.id != _digest(current))
    with db.engine.begin() as connection:
        connection.execute(query)


def prune_expired_sessions(app: Flask) -> int:
    now = utcnow()
    idle = now - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    oldest = now - timedelta(hours=app.config["SESSION_MAX_HOURS"])
    query = delete(WebSession).where(
        or_(WebSession.last_seen_at < idle, WebSession.created_at < oldest)
    )
    with db.engine.begin() as connection:
        return connection.execute(query).rowcount


def _rotate(*_: Any, **__: Any) -> None:
    """A new id at login and at logout: a cookie seen before either is worth nothing after."""
    if isinstance(session, ServerSession):
        session.rotate = True


def _rotate_and_prune(app: Flask, **_: Any) -> None:
    _rotate()
    prune_expired_sessions(app)


def _password_changed(app: Flask, user: Any, **_: Any) -> None:
    revoke_sessions(user.id, keep_current=True)


def _raise_session_store_error() -> None:
    """The session could not be read: answer as the database error pages do (503)."""
    error = getattr(session, "error", None)
    if error is not None:
        raise error


def init_sessions(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()
    app.before_request(_raise_session_store_error)
    user_logged_in.connect(_rotate_and_prune, app)
    user_logged_out.connect(_rotate, app)
    password_changed.connect(_password_changed, app)
