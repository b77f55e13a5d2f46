"""Admins must use an authenticator app (TOTP) before reaching any admin page."""

from __future__ import annotations

import re

from passlib.totp import TOTP
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import AuditEvent, RoleName, User
from tests.conftest import Account, attempt_login, csrf_token, enter_totp_code, log_in, totp_code


def admin_without_two_factor(app, make_account) -> Account:
    account = make_account(RoleName.ADMIN)
    with app.app_context():
        user = db.session.get_one(User, account.id)
        user.tf_primary_method, user.tf_totp_secret = None, None
        db.session.commit()
    return Account(account.id, account.email, account.password)


def test_admin_without_two_factor_is_sent_to_set_it_up(app, client, make_account):
    log_in(client, admin_without_two_factor(app, make_account), landing="/tf-setup")

    for url in ("/admin/", "/admin/accounts/", "/admin/clients/", "/admin/figures.json"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/tf-setup", url


def test_admin_sets_up_an_authenticator_and_gets_recovery_codes(app, client, make_account):
    account = admin_without_two_factor(app, make_account)
    log_in(client, account, landing="/tf-setup")

    page = client.post(
        "/tf-setup",
        data={"setup": "authenticator", "csrf_token": csrf_token(client, "/tf-setup")},
    ).get_data(as_text=True)
    key = re.search(r"<div>\s*([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)\s*</div>", page).group(1)
    code = TOTP(key=key.replace("-", ""), format="base32").generate().token
    done = client.post(
        "/tf-validate", data={"code": code, "csrf_token": csrf_token(client, "/tf-setup")}
    )

    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200
    codes_page = client.post(
        "/mf-recovery-codes",
        data={"csrf_token": csrf_token(client, "/mf-recovery-codes")},
    ).get_data(as_text=True)
    assert len(re.findall(r"\b[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}\b", codes_page)) >= 5


def test_admin_login_asks_for_the_code_and_refuses_a_wrong_one(app, client, make_account):
    account = make_account(RoleName.ADMIN)

    step = client.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert "/tf-" in step.headers["Location"]
    assert client.get("/admin/").status_code == 302  # the password alone is not enough

    right = totp_code(app, account.totp_secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = client.post(
        "/tf-validate",
        data={"code": wrong, "csrf_token": csrf_token(client, step.headers["Location"])},
    )
    assert refused.status_code == 200 and client.get("/admin/").status_code == 302

    assert enter_totp_code(client, account, step.headers["Location"]).status_code == 302
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login.second_factor_asked", "login.failure", "login.success"]


def test_partners_and_support_need_no_second_factor(client, make_account):
    for role in (RoleName.PARTNER, RoleName.SUPPORT):
        fresh = client.application.test_client()
        assert attempt_login(fresh, make_account(role)).headers["Location"] == "/admin/"


def test_a_recovery_code_replaces_a_lost_authenticator_once(app, client, make_account):
    account = make_account(RoleName.ADMIN)
    log_in(client, account)
    page = client.post(
        "/mf-recovery-codes", data={"csrf_token": csrf_token(client, "/mf-recovery-codes")}
    ).get_data(as_text=True)
    code = re.findall(r"\b[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}\b", page)[0]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})

    def recover(browser) -> int:
        step = browser.post(
            "/login",
            data={
                "email": account.email,
                "password": account.password,
                "csrf_token": csrf_token(browser, "/login"),
            },
        )
        browser.post(
            "/mf-recovery",
            data={"code": code, "csrf_token": csrf_token(browser, step.headers["Location"])},
        )
        return browser.get("/admin/").status_code

    assert recover(client) == 200
    assert recover(app.test_client()) == 302  # a recovery code works once
