"""Server-side sessions in the app's database: logout, a password change or a deactivation
revokes them for real, a copied cookie included.

The cookie holds only a random id; the table keeps its SHA-256, the session's data, its owner
and two clocks: idle expiry (``SESSION_IDLE_MINUTES``) and absolute expiry
(``SESSION_MAX_HOURS``). The id changes at login and at logout. Expired rows are deleted at most
once every ``SESSION_PRUNE_SECONDS`` by each process, whatever the request.

A session is stored only once it holds something: a visitor who merely opens the login page
holds the login form's CSRF secret, which is kept in a signed cookie of its own (the
double-submit pattern Flask-WTF uses with cookie sessions), so bots and health checks leave no
row. The secret moves into the row when there is one (logging in, choosing a language).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, g, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from flask_login import current_user, user_logged_in, user_logged_out
from flask_security.signals import password_changed
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, insert, or_, update
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

from ..data.db_types import utcnow
from ..data.models import WebSession
from ..extensions import db
from .error_pages import DATABASE_ERRORS, DatabaseError
from .session_user import Account, read_session

TOUCH_EVERY = timedelta(minutes=1)
#: Messages kept waiting to be shown, the newest: a client that never follows its redirects (a
#: script, a load test) would otherwise grow its session row with every form it posts, and make
#: every later request read and write it all.
MAX_FLASHES = 10
#: The CSRF secret (``session["csrf_token"]``, Flask-WTF's) of a session that has no row.
CSRF_KEY = "csrf_token"
CSRF_COOKIE = "csrf"
#: Flask-Security's marker for a CSRF cookie the panel does not use: never worth a row.
IGNORED_KEYS = frozenset({"fs_cc"})


#: Paths that never read nor write a session, nor set a cookie: the JSON API authenticates
#: every request by its key, and a cookie sent there is ignored; the kiosk page is the same for
#: every visitor and sends its key to the API itself (``api/kiosk.py``); the load balancer's
#: health checks (``health.py``) must not touch the session table at all.
STATELESS_PATHS = ("/api/", "/kiosk/", "/healthz", "/readyz")


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid = sid
        self.modified = False
        self.rotate = False
        #: The database failed for this session: it is neither read nor saved.
        self.error: DatabaseError | None = None
        #: Its owner, read with the row: the user loader's (``session_user.py``).
        self.account: Account | None = None

    def worth_a_row(self) -> bool:
        return any(key not in IGNORED_KEYS and key != CSRF_KEY for key in self)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class DatabaseSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()

    def __init__(self) -> None:
        self.next_prune = 0.0

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith(STATELESS_PATHS):
            return ServerSession()
        sid = request.cookies.get(self.get_cookie_name(app))
        try:
            stored = self._load(app, sid) if sid else None
        except DATABASE_ERRORS as error:
            unavailable = ServerSession()
            unavailable.error = error
            return unavailable
        return stored or ServerSession(self._csrf_from_cookie(app, request))

    def _load(self, app: Flask, sid: str) -> ServerSession | None:
        """The session and, read with it, its owner (``session_user.py``).

        Each statement here stands alone (the lookup, then at most one delete or update), so
        on PostgreSQL the connection runs in autocommit: no ``BEGIN`` and ``COMMIT`` round
        trips around every request's lookup. SQLite's driver begins no transaction for a read
        anyway, and switching its connection to autocommit and back costs a ``PRAGMA`` each
        way (``bench/fixed_cost.py``, logged in: PostgreSQL 1.5-2.7 ms, now 1.4-1.6 ms;
        SQLite 0.63-0.70 ms, 0.86-1.0 ms in autocommit)."""
        engine = db.engine
        connecting = (
            engine.begin()
            if engine.dialect.name == "sqlite"
            else engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        )
        with connecting as connection:
            row, account = read_session(connection, _digest(sid))
            if row is None:
                return None
            now = utcnow()
            if self._expired(app, row.created_at, row.last_seen_at, now):
                connection.execute(delete(WebSession).where(WebSession.id == row.id))
                return None
            if now - row.last_seen_at > TOUCH_EVERY:
                connection.execute(
                    update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now)
                )
        loaded = ServerSession(self.serializer.loads(row.data), sid)
        loaded.account = account
        return loaded

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        """(A database failure here answers 503: ``WalkIn.process_response``.)"""
        if session.error is not None or request.path.startswith(STATELESS_PATHS):
            return
        self._prune_when_due(app)
        self._save(app, session, response)

    def _save(self, app: Flask, session: ServerSession, response: Response) -> None:
        name = self.get_cookie_name(app)
        worth_a_row = session.worth_a_row()
        if session.sid and (session.rotate or not worth_a_row):
            with db.engine.begin() as connection:
                connection.execute(delete(WebSession).where(WebSession.id == _digest(session.sid)))
            session.sid = None
        if not worth_a_row:
            self._keep_csrf_in_cookie(app, session, response)
            if name in request.cookies:
                response.delete_cookie(name, path=self.get_cookie_path(app))
            return
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
            with db.engine.begin() as connection:
                self._insert(connection, session)
            self._set_cookie(app, response, name, session.sid)
            if CSRF_COOKIE in request.cookies:
                response.delete_cookie(CSRF_COOKIE, path=self.get_cookie_path(app))
        elif session.modified:
            with db.engine.begin() as connection:
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
        data = {key: value for key, value in session.items() if key not in IGNORED_KEYS}
        if len(data.get("_flashes", ())) > MAX_FLASHES:
            data["_flashes"] = data["_flashes"][-MAX_FLASHES:]
        return self.serializer.dumps(data)

    def _csrf_signer(self, app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.secret_key or "", salt="walkin-csrf-cookie")

    def _csrf_from_cookie(self, app: Flask, request: Request) -> dict[str, str]:
        value = request.cookies.get(CSRF_COOKIE)
        if not value:
            return {}
        max_age = app.config["SESSION_IDLE_MINUTES"] * 60
        try:
            return {CSRF_KEY: str(self._csrf_signer(app).loads(value, max_age=max_age))}
        except BadSignature:
            return {}

    def _keep_csrf_in_cookie(self, app: Flask, session: ServerSession, response: Response) -> None:
        """Set the cookie when the secret is new, and sign it again whenever a form shows it
        (Flask-WTF keeps the form's token in ``g``), so its age counts from the last form."""
        secret = session.get(CSRF_KEY)
        if secret and (session.modified or CSRF_KEY in g):
            self._set_cookie(app, response, CSRF_COOKIE, self._csrf_signer(app).dumps(secret))

    def _set_cookie(self, app: Flask, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
        )

    def _prune_when_due(self, app: Flask) -> None:
        now = time.monotonic()
        if now < self.next_prune:
            return
        self.next_prune = now + app.config["SESSION_PRUNE_SECONDS"]
        try:
            prune_expired_sessions(app)
        except DATABASE_ERRORS as error:  # a chore: it must not spoil the answer
            app.logger.warning("expired sessions not pruned: %s", type(error.orig).__name__)

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


def forget_session(error: DatabaseError) -> None:
    """This request's session is neither saved nor used any more: the database failed."""
    if isinstance(session, ServerSession):
        session.error = error


def _rotate(*_: Any, **__: Any) -> None:
    """A new id at login and at logout: a cookie seen before either is worth nothing after."""
    if isinstance(session, ServerSession):
        session.rotate = True


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
    user_logged_in.connect(_rotate, app)
    user_logged_out.connect(_rotate, app)
    password_changed.connect(_password_changed, app)
