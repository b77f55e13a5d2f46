"""Failed logins are throttled per account and per address, answered 429 in the panel's words."""

from __future__ import annotations

from admin_app.models import RoleName
from tests.conftest import Account, attempt_login, csrf_token


def wrong(account: Account) -> Account:
    return Account(account.id, account.email, "not-the-password-at-all")


def test_account_is_throttled_after_five_failures_even_with_the_right_password(
    client, make_account
):
    account = make_account(RoleName.PARTNER)

    statuses = [attempt_login(client, wrong(account)).status_code for _ in range(5)]
    blocked = attempt_login(client, account)

    assert statuses == [200] * 5
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_throttling_one_account_leaves_others_alone(client, make_account):
    target, colleague = make_account(RoleName.PARTNER), make_account(RoleName.PARTNER)
    for _ in range(5):
        attempt_login(client, wrong(target))

    assert attempt_login(client, colleague).status_code == 302


def test_email_case_and_spaces_do_not_dodge_the_account_limit(client, make_account):
    account = make_account(RoleName.PARTNER)
    for variant in (
        account.email.upper(),
        f"  {account.email}",
        account.email.title(),
        account.email,
        account.email,
    ):
        attempt_login(client, Account(account.id, variant, "not-the-password-at-all"))

    assert attempt_login(client, account).status_code == 429


def test_address_is_throttled_across_accounts(app, client, make_account, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "3 per 15 minutes")
    accounts = [make_account(RoleName.PARTNER) for _ in range(4)]

    statuses = [attempt_login(client, wrong(account)).status_code for account in accounts[:3]]

    assert statuses == [200, 200, 200]
    assert attempt_login(client, accounts[3]).status_code == 429
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert attempt_login(other_address, accounts[3]).status_code == 302


def test_successful_logins_are_not_counted(client, make_account):
    account = make_account(RoleName.PARTNER)

    for _ in range(7):
        assert attempt_login(client, account).status_code == 302
        client.get("/admin/")
        client.delete_cookie("session")


def test_throttle_message_is_translated(client, make_account):
    account = make_account(RoleName.PARTNER)
    for _ in range(5):
        attempt_login(client, wrong(account))

    response = client.post(
        "/login",
        data={"email": account.email, "password": "x", "csrf_token": csrf_token(client, "/login")},
        headers={"Accept-Language": "fr"},
    )

    assert response.status_code == 429 and "Trop de tentatives" in response.get_data(as_text=True)
