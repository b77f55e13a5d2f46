"""Admins must use an authenticator app (TOTP) before reaching any admin page; set-up shows the
QR code at once, makes recovery codes and waits until the user says they kept them."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from admin_app.data.models import AuditEvent, RoleName, User
from admin_app.extensions import db, security
from tests.conftest import (
    Account,
    code_for_key,
    csrf_token,
    enter_totp_code,
    log_in,
    post_with_csrf,
    totp_code,
)

RECOVERY_CODE = re.compile(r"\b[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}\b")
TOTP_KEY = re.compile(r'data-testid="totp-key">\s*([A-Z2-7]{4}(?:-[A-Z2-7]{1,4})+)\s*<')
SETUP_ACTION = re.compile(r'<form action="(/tf-setup/[^"]+)" method="post"')


def setup_page(client: FlaskClient) -> tuple[str, str]:
    """The key and form target that the set-up page shows on its first view."""
    page = client.get("/tf-setup").get_data(as_text=True)
    return TOTP_KEY.search(page).group(1), SETUP_ACTION.search(page).group(1)


def post_from(client: FlaskClient, page: str, url: str, data: dict | None = None):
    """POST to ``url`` as a form on ``page`` would, with that page's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def set_up_authenticator(client: FlaskClient):
    key, action = setup_page(client)
    return post_from(client, "/tf-setup", action, {"code": code_for_key(key)})


def keep_codes(client: FlaskClient, ticked: bool = True):
    data = {"kept": "yes"} if ticked else {}
    return post_from(client, "/mf-recovery-codes", "/mf-recovery-codes/kept", data)


def new_codes(client: FlaskClient) -> list[str]:
    page = post_from(client, "/mf-recovery-codes", "/mf-recovery-codes").get_data(as_text=True)
    return RECOVERY_CODE.findall(page)


def stored_codes(app, account: Account) -> list[str]:
    with app.app_context():
        user = db.session.get_one(User, account.id)
        return security.mf_recovery_codes_util.get_recovery_codes(user)


def test_admin_without_two_factor_is_sent_to_set_it_up(app, client, make_account):
    log_in(client, make_account(RoleName.ADMIN, two_factor=False), landing="/tf-setup")

    for url in ("/admin/", "/admin/accounts/", "/admin/clients/", "/admin/figures.json"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/tf-setup", url


def test_set_up_page_shows_the_qr_code_and_key_at_once(app, client, make_account):
    log_in(client, make_account(RoleName.ADMIN, two_factor=False), landing="/tf-setup")

    page = client.get("/tf-setup").get_data(as_text=True)

    assert re.search(r'<img[^>]+id="qrcode" src="data:image/', page)
    assert TOTP_KEY.search(page) and SETUP_ACTION.search(page)
    assert 'type="radio"' not in page  # no method to pick: there is only one


def test_flask_securitys_own_method_form_still_leads_to_the_qr_code(app, client, make_account):
    """Its method form, posted as its stock page would, gets the same steps in our words."""
    log_in(client, make_account(RoleName.ADMIN, two_factor=False), landing="/tf-setup")

    page = post_from(client, "/tf-setup", "/tf-setup", {"setup": "authenticator"})
    html = page.get_data(as_text=True)
    key, action = TOTP_KEY.search(html).group(1), SETUP_ACTION.search(html).group(1)
    done = post_from(client, "/tf-setup", action, {"code": code_for_key(key)})

    assert page.status_code == 200 and 'id="qrcode"' in html
    assert done.headers["Location"] == "/mf-recovery-codes"


def test_a_mistyped_code_shows_the_same_key_again(app, client, make_account):
    log_in(client, make_account(RoleName.ADMIN, two_factor=False), landing="/tf-setup")
    key, action = setup_page(client)
    wrong = f"{(int(code_for_key(key)) + 1) % 1_000_000:06d}"

    refused = post_from(client, "/tf-setup", action, {"code": wrong})
    page = client.get(refused.headers["Location"]).get_data(as_text=True)

    assert refused.headers["Location"] == "/tf-setup"
    assert re.search(r"alert-danger[^>]*>\s*<button[^>]*>.*?</button>\s*Invalid code", page, re.S)
    assert TOTP_KEY.search(page).group(1) == key
    assert client.get("/admin/").headers["Location"] == "/tf-setup"


def test_set_up_makes_recovery_codes_and_shows_them_until_kept(app, client, make_account):
    account = make_account(RoleName.ADMIN, two_factor=False)
    log_in(client, account, landing="/tf-setup")

    done = set_up_authenticator(client)
    page = client.get(done.headers["Location"]).get_data(as_text=True)

    assert done.headers["Location"] == "/mf-recovery-codes"
    assert re.search(
        r"alert-success[^>]*>\s*<button[^>]*>.*?</button>\s*Two-factor authentication is on",
        page,
        re.S,
    )
    shown = RECOVERY_CODE.findall(page)
    assert len(shown) == 5 and sorted(shown) == sorted(stored_codes(app, account))
    assert client.get("/admin/").headers["Location"] == "/mf-recovery-codes"
    assert RECOVERY_CODE.findall(client.get("/mf-recovery-codes").get_data(as_text=True)) == shown

    unticked = keep_codes(client, ticked=False)
    assert unticked.headers["Location"] == "/mf-recovery-codes"
    assert client.get("/admin/").status_code == 302

    kept = keep_codes(client)
    assert kept.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    later = client.get("/mf-recovery-codes").get_data(as_text=True)
    assert RECOVERY_CODE.findall(later) == [] and "You have 5 unused recovery codes" in later
    assert (
        RECOVERY_CODE.findall(client.get("/mf-recovery-codes?show_codes=1").get_data(as_text=True))
        == []
    )


def test_new_recovery_codes_replace_the_old_ones_and_wait_to_be_kept(app, client, make_account):
    account = make_account(RoleName.ADMIN)
    log_in(client, account)

    first = new_codes(client)
    keep_codes(client)
    second = new_codes(client)

    assert len(first) == len(second) == 5 and not set(first) & set(second)
    assert sorted(stored_codes(app, account)) == sorted(second)
    assert client.get("/admin/").headers["Location"] == "/mf-recovery-codes"


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


def password_step(client: FlaskClient, account: Account) -> str:
    """Log in with the password only; the URL of the code page."""
    step = post_with_csrf(client, "/login", {"email": account.email, "password": account.password})
    return step.headers["Location"]


def test_code_page_offers_only_ways_in_that_work(app, client, make_account):
    with_codes, without_codes = make_account(RoleName.ADMIN), make_account(RoleName.ADMIN)
    log_in(client, with_codes)
    new_codes(client)
    post_from(client, "/mf-recovery-codes", "/logout")

    offered = client.get(password_step(client, with_codes)).get_data(as_text=True)
    fresh = app.test_client()
    bare = fresh.get(password_step(fresh, without_codes)).get_data(as_text=True)

    for page in (offered, bare):
        assert "via email" not in page and "Contact Administrator" not in page
        assert 'type="radio"' not in page
    assert 'href="/mf-recovery' in offered
    assert 'href="/mf-recovery' not in bare and "ask the person who runs the panel" in bare


def test_rescue_by_email_or_by_mail_to_an_administrator_is_refused(app, client, make_account):
    account = make_account(RoleName.ADMIN)
    code_page = password_step(client, account)

    for choice in ("email", "help"):
        response = post_from(client, code_page, "/tf-rescue", {"help_setup": choice})
        assert response.status_code == 200, choice
        assert "Not a valid choice" in response.get_data(as_text=True), choice
    assert client.get(code_page).status_code == 200  # the code still works as the way in


def test_partners_and_support_need_no_second_factor(client, make_account):
    for role in (RoleName.PARTNER, RoleName.SUPPORT):
        fresh = client.application.test_client()
        assert log_in(fresh, make_account(role)).headers["Location"] == "/admin/"


def test_a_recovery_code_replaces_a_lost_authenticator_once(app, client, make_account):
    account = make_account(RoleName.ADMIN)
    log_in(client, account)
    code = new_codes(client)[0]
    keep_codes(client)
    post_with_csrf(client, "/logout")

    def recover(browser: FlaskClient) -> int:
        code_page = browser.get(password_step(browser, account)).get_data(as_text=True)
        assert 'href="/mf-recovery' in code_page
        post_from(browser, "/mf-recovery", "/mf-recovery", {"code": code})
        return browser.get("/admin/").status_code

    assert recover(client) == 200
    assert recover(app.test_client()) == 302  # a recovery code works once
    assert code not in stored_codes(app, account)
