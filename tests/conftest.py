"""One app per test session on a migrated database; every test starts from empty tables."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_security import hash_password
from passlib.totp import TOTP
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from admin_app import create_app
from admin_app.config import SECRET_NAMES
from admin_app.data.invoicing import Invoice, InvoiceLine
from admin_app.data.models import RoleName, User
from admin_app.extensions import db, security
from admin_app.platform.security import ensure_roles
from admin_app.platform.throttling import EXTENSION as THROTTLE
from tests.databases import fresh_database, postgres_problem, server_url

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: Browser tests' fixtures (live_server, browser) and helpers; the message tests' SMTP server.
pytest_plugins = ("tests.browser_support", "tests.message_support")

CHEAP_HASHING = {"argon2__rounds": 1, "argon2__memory_cost": 256, "argon2__parallelism": 1}


def settings_for_tests(database_url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
        "TOTP_SECRET": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": CHEAP_HASHING,
        # Messages committed by tests wait in a queue of this process (no worker reads it);
        # the message tests build apps with a queue and a mail server of their own.
        "HUEY_STORAGE": "memory",
    }


def build_app(database_url: str, **settings: object) -> Flask:
    """A test app on ``database_url``, migrated to the latest schema; ``settings`` override."""
    app = create_app({**settings_for_tests(database_url), **settings})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = server_url()
    if server is not None:
        problem = postgres_problem(server)
        if problem:
            pytest.skip(f"PostgreSQL run skipped: {server} is not reachable ({problem})")
    with fresh_database(tmp_path_factory.mktemp("db"), "session") as url:
        yield url


@pytest.fixture(scope="session")
def session_app(database_url: str) -> Iterator[Flask]:
    app = build_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def sibling_app(database_url: str, session_app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build another app on the session's database, with its secrets and ``settings``."""
    built: list[Flask] = []

    def build(**settings: object) -> Flask:
        secrets_ = {name: session_app.config[name] for name in SECRET_NAMES}
        built.append(build_app(database_url, **secrets_, **settings))
        return built[-1]

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(session_app: Flask) -> Iterator[Flask]:
    """The session's app over empty tables (roles excepted)."""
    with session_app.app_context():
        # Credit notes first: they refer to the invoices they cancel (ON DELETE RESTRICT).
        credit_notes = Invoice.__table__.c.credits_invoice_id.is_not(None)
        db.session.execute(InvoiceLine.__table__.delete())
        db.session.execute(Invoice.__table__.delete().where(credit_notes))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        ensure_roles()
        if session_app.extensions[THROTTLE]:
            session_app.extensions[THROTTLE].reset()
    yield session_app


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for tests that call the domain rules directly."""
    with app.app_context():
        yield app
        db.session.remove()


def closing_when_sent(app: WSGIApplication) -> WSGIApplication:
    """Close every response the moment its last byte is sent, or when the server gives it up.

    Werkzeug's server closes a response only after draining the socket, and that drain raises
    when the browser has already dropped the connection (a 304 for a cached static file), so
    the open file would be left to the garbage collector. A generator's ``finally`` runs on
    both paths.
    """

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        response = app(environ, start_response)
        try:
            yield from response
        finally:
            if hasattr(response, "close"):
                response.close()

    return application


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` over real HTTP on a free local port, a thread per request."""
    server = make_server("127.0.0.1", 0, closing_when_sent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    totp_secret: str | None = None


@pytest.fixture
def make_account(app: Flask) -> Callable[..., Account]:
    """Create an account with the given roles; returns its id, email and password. Admins get
    an authenticator app unless ``two_factor=False`` (they then must set one up first); a staff
    account belongs to the partner account ``shop``."""

    def make(
        *roles: RoleName,
        email: str | None = None,
        active: bool = True,
        two_factor: bool = True,
        shop: Account | None = None,
    ) -> Account:
        email = email or f"user-{secrets.token_hex(4)}@walkin.example.com"
        password = secrets.token_urlsafe(16)
        with app.app_context():
            user = security.datastore.create_user(
                email=email,
                password=hash_password(password),
                active=active,
                roles=[role.value for role in roles],
                shop_id=shop.id if shop else None,
            )
            if RoleName.ADMIN in roles and two_factor:
                # Admins must use two-factor authentication: give them an authenticator app.
                user.tf_primary_method = "authenticator"
                user.tf_totp_secret = security._totp_factory.generate_totp_secret()
            db.session.commit()
            return Account(user.id, email, password, user.tf_totp_secret)

    return make


@pytest.fixture
def make_user(ctx: Flask, make_account: Callable[..., Account]) -> Callable[..., User]:
    """Create an account and return it as a ``User`` of the test's own session."""

    def make(*roles: RoleName, active: bool = True) -> User:
        return db.session.get_one(User, make_account(*roles, active=active).id)

    return make


@pytest.fixture
def api_token(app: Flask) -> Callable[..., str]:
    """Make an API key of ``owner`` (made by itself) and return its token."""
    from admin_app.domain.api_keys import make_api_key

    def make(owner: Account, scope: str = "write", name: str = "Test key") -> str:
        with app.app_context():
            user = db.session.get_one(User, owner.id)
            return make_api_key(user, user, name, scope)[1]

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    page = client.get(url).get_data(as_text=True)
    field = CSRF_INPUT.search(page)
    value = VALUE.search(field.group(0)) if field else None
    assert value, f"no CSRF token on {url}"
    return value.group(1)


def attempt_login(client: FlaskClient, account: Account) -> TestResponse:
    """Post the real login form, CSRF token included, and the authenticator code when the
    account uses two-factor authentication; return the last answer, whatever it is (for tests
    of refused logins)."""
    response = client.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    if (
        account.totp_secret
        and response.status_code == 302
        and "tf-" in response.headers["Location"]
    ):
        response = enter_totp_code(client, account, response.headers["Location"])
    return response


def log_in(client: FlaskClient, account: Account, *, landing: str = "/admin/") -> TestResponse:
    """Log in and check that it took: the login form redirects to the panel, and the panel
    answers 200, or sends the account to ``landing`` first (an admin without two-factor
    authentication goes to set it up). Tests that expect a refusal use ``attempt_login``."""
    response = attempt_login(client, account)
    assert response.status_code == 302, f"login refused ({response.status_code})"
    assert response.headers["Location"] == "/admin/", response.headers["Location"]
    panel = client.get("/admin/")
    if landing == "/admin/":
        assert panel.status_code == 200, f"logged in, but the panel answers {panel.status_code}"
    else:
        assert panel.headers.get("Location") == landing, (panel.status_code, landing)
    return response


TOTP_STEP = 30


def totp_code(app: Flask, secret: str) -> str:
    """A code the authenticator app for ``secret`` shows now, or, once that step's code has
    been used (a code logs in once), the next step's; waits for a step when both are used."""
    with app.app_context():
        last = db.session.scalar(
            select(User.tf_totp_last_step).where(User.tf_totp_secret == secret)
        )
        step = int(time.time() // TOTP_STEP)
        if last is not None and last > step:
            time.sleep((last + 1) * TOTP_STEP - time.time())
            step = last
        counter = step if last is None or last < step else step + 1
        totp = security.totp_factory._totp.from_source(secret)
        return totp.generate(time=counter * TOTP_STEP).token


def code_for_key(key: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for the key a set-up page shows (``ABCD-EFGH-...``),
    or the one it will show ``steps_ahead`` steps later (accepted one step early: a second
    login within the step of the first needs it, a code logs in once)."""
    totp = TOTP(key=key.replace("-", ""), format="base32")
    return totp.generate(time=time.time() + steps_ahead * TOTP_STEP).token


def enter_totp_code(client: FlaskClient, account: Account, page: str):
    token = csrf_token(client, page)
    return client.post(
        "/tf-validate",
        data={"code": totp_code(client.application, account.totp_secret), "csrf_token": token},
    )


@pytest.fixture
def login_as(client: FlaskClient, make_account: Callable[..., Account]) -> Callable[..., Account]:
    """Create an account with ``role`` and log the test client in as it."""

    def login(role: RoleName) -> Account:
        account = make_account(role)
        log_in(client, account)
        return account

    return login


def session_csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session, from a page that carries one."""
    page = client.get("/admin/")
    return csrf_token(client, "/admin/" if page.status_code == 200 else "/login")


def post_with_csrf(client: FlaskClient, url: str, data: dict[str, object] | None = None):
    """POST ``data`` as a browser form of this panel would, CSRF token included."""
    return client.post(url, data={**(data or {}), "csrf_token": session_csrf_token(client)})


@dataclass(frozen=True)
class World:
    """Two partners (shops) with clients and missions, a staff account of each, an admin and a
    support account."""

    partner_a: Account
    partner_b: Account
    admin: Account
    support: Account
    a_client: str
    a_mission: str
    a_started_mission: str
    b_client: str
    b_mission: str
    staff_a: Account
    staff_b: Account


def register_client(partner_id: int, first_name: str, **extra: str) -> tuple[str, str]:
    from admin_app.domain.missions import register_walk_in_client

    client, mission = register_walk_in_client(
        db.session.get_one(User, partner_id),
        first_name=first_name,
        last_name=extra.pop("last_name", "Test"),
        email=extra.pop("email", f"{first_name.lower()}@example.com"),
        phone=extra.pop("phone", "+33612345678"),
        **extra,
    )
    return client.id, mission.id


@pytest.fixture
def world(app: Flask, make_account: Callable[..., Account]) -> World:
    from admin_app.domain.missions import start_mission

    a, b = make_account(RoleName.PARTNER), make_account(RoleName.PARTNER)
    admin, support = make_account(RoleName.ADMIN), make_account(RoleName.SUPPORT)
    staff_a = make_account(RoleName.STAFF, shop=a)
    staff_b = make_account(RoleName.STAFF, shop=b)
    with app.app_context():
        a_client, a_mission = register_client(a.id, "Alice", city="Paris")
        _, a_started = register_client(a.id, "Arthur", city="Lyon")
        start_mission(a_started, db.session.get_one(User, a.id))
        b_client, b_mission = register_client(b.id, "Bruno", city="Paris")
    return World(
        a, b, admin, support, a_client, a_mission, a_started, b_client, b_mission, staff_a, staff_b
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked slow first: pytest-xdist hands tests out in this order, and a
    two-minute test handed out last kept one worker busy while the other had nothing left.
    The browser flows run in the SQLite suite only: they drive pages whose every query the
    HTTP-level tests run on both databases, and running them twice took CI past its 20 min."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if server_url() is None:
        return
    once = pytest.mark.skip(reason="browser flows run in the SQLite suite (CI time)")
    for item in items:
        if item.path.name.startswith("test_browser_"):
            item.add_marker(once)
