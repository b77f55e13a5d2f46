"""One app per test session on a migrated database; every test starts from empty tables."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_security import hash_password

from admin_app import create_app
from admin_app.extensions import db, security
from admin_app.models import RoleName, User
from admin_app.security import ensure_roles
from tests.databases import fresh_database, postgres_problem, server_url

CHEAP_HASHING = {"argon2__rounds": 1, "argon2__memory_cost": 256, "argon2__parallelism": 1}


def settings_for_tests(database_url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": CHEAP_HASHING,
    }


def build_app(database_url: str) -> Flask:
    """A test app on ``database_url``, migrated to the latest schema."""
    app = create_app(settings_for_tests(database_url))
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


@pytest.fixture
def app(session_app: Flask) -> Iterator[Flask]:
    """The session's app over empty tables (roles excepted)."""
    with session_app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        ensure_roles()
    yield session_app


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for tests that call the domain rules directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str


@pytest.fixture
def make_account(app: Flask) -> Callable[..., Account]:
    """Create an account with the given roles; returns its id, email and password."""

    def make(*roles: RoleName, email: str | None = None, active: bool = True) -> Account:
        email = email or f"user-{secrets.token_hex(4)}@walkin.example.com"
        password = secrets.token_urlsafe(16)
        with app.app_context():
            user = security.datastore.create_user(
                email=email,
                password=hash_password(password),
                active=active,
                roles=[role.value for role in roles],
            )
            db.session.commit()
            return Account(user.id, email, password)

    return make


@pytest.fixture
def make_user(ctx: Flask, make_account: Callable[..., Account]) -> Callable[..., User]:
    """Create an account and return it as a ``User`` of the test's own session."""

    def make(*roles: RoleName, active: bool = True) -> User:
        return db.session.get_one(User, make_account(*roles, active=active).id)

    return make


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    page = client.get(url).get_data(as_text=True)
    field = CSRF_INPUT.search(page)
    value = VALUE.search(field.group(0)) if field else None
    assert value, f"no CSRF token on {url}"
    return value.group(1)


def log_in(client: FlaskClient, account: Account):
    """Log in through the real login form, CSRF token included."""
    return client.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )


@pytest.fixture
def login_as(client: FlaskClient, make_account: Callable[..., Account]) -> Callable[..., Account]:
    """Create an account with ``role`` and log the test client in as it."""

    def login(role: RoleName) -> Account:
        account = make_account(role)
        response = log_in(client, account)
        assert response.status_code == 302, response.get_data(as_text=True)
        return account

    return login
