"""Logging in through Flask-Security's real form, CSRF included."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from admin_app.data.models import RoleName, User
from admin_app.extensions import db
from tests.conftest import Account, attempt_login, csrf_token

GENERIC_FAILURE = "Authentication failed - identity or password/passcode invalid"


@pytest.mark.parametrize("role", list(RoleName))
def test_every_role_can_log_in_and_reach_the_panel(client, make_account, role):
    shop = make_account(RoleName.PARTNER) if role is RoleName.STAFF else None
    response = attempt_login(client, make_account(role, shop=shop))

    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_deactivated_account_cannot_log_in(client, make_account):
    account = make_account(RoleName.PARTNER, active=False)

    response = attempt_login(client, account)

    assert response.status_code == 200
    assert GENERIC_FAILURE in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def failure_message(client, email: str, password: str) -> str:
    page = attempt_login(client, Account(0, email, password)).get_data(as_text=True)
    return re.sub(r'(value|nonce)="[^"]*"', "", page)  # tokens and nonces differ


def test_login_never_tells_whether_an_email_exists(client, make_account):
    known = make_account(RoleName.PARTNER)
    deactivated = make_account(RoleName.PARTNER, active=False)

    pages = {
        failure_message(client, known.email, "wrong-password-123"),
        failure_message(client, "nobody@walkin.example.com", "wrong-password-123"),
        failure_message(client, deactivated.email, deactivated.password),
    }

    assert len(pages) == 1 and GENERIC_FAILURE in pages.pop()


def test_wrong_password_is_refused(client, make_account):
    account = make_account(RoleName.PARTNER)

    response = attempt_login(client, Account(account.id, account.email, "not-the-password"))

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_account):
    account = make_account(RoleName.PARTNER)

    response = client.post("/login", data={"email": account.email, "password": account.password})

    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_anonymous_visitor_is_sent_to_login_and_back(client, make_account):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/"

    account = make_account(RoleName.SUPPORT)
    back = client.post(
        response.headers["Location"],
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert back.headers["Location"] == "/admin/"


def test_account_without_role_gets_403(client, make_account):
    response = attempt_login(client, make_account())

    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 403


def test_stored_password_is_an_argon2_hash(ctx, make_account):
    account = make_account(RoleName.PARTNER)
    stored = db.session.get_one(User, account.id).password

    assert stored.startswith("$argon2") and account.password not in stored


def test_logout_from_the_panel_menu_ends_the_session(client, login_as):
    login_as(RoleName.PARTNER)

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/admin/", "\\\\evil.example", "javascript:alert(1)"],
)
def test_login_never_returns_to_another_site(client, make_account, target):
    account = make_account(RoleName.PARTNER)

    response = client.post(
        f"/login?next={target}",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )

    if response.status_code == 302:
        landing = urlsplit(urljoin("http://localhost/login", response.headers["Location"]))
        assert (landing.scheme, landing.netloc) == ("http", "localhost")
    else:
        assert response.status_code == 200 and "evil" not in response.headers.get("Location", "")
