"""Failed authentication is throttled per account and per address, answered 429 in the panel's
words: passwords (login, /verify, /change) and second-factor codes (authenticator, recovery
codes, /tf-rescue), through HTTP, with Flask-Limiter's memory storage and with Redis."""

from __future__ import annotations

import json
import re
import secrets

import pytest
import redis

from admin_app.data.models import RoleName
from admin_app.extensions import security
from admin_app.platform.throttling import EXTENSION as THROTTLE
from tests.conftest import Account, attempt_login, csrf_token, totp_code
from tests.test_audit import events

REDIS_URL = "redis://127.0.0.1:6379/9"
WRONG_PASSWORD = "not-the-password-at-all"


def redis_problem(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        return str(error)
    return None


@pytest.fixture(scope="module")
def redis_app(sibling_app):
    problem = redis_problem(REDIS_URL)
    if problem:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({problem}): Redis run skipped")
    app = sibling_app(
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"walkin-test-{secrets.token_hex(6)}"},
    )
    yield app
    app.extensions[THROTTLE].reset()


@pytest.fixture(params=["memory", "redis"])
def app(request, app):
    """Each test runs with the throttle in memory, then in Redis (``RATELIMIT_STORAGE_URI``)."""
    if request.param == "memory":
        return app
    redis_app = request.getfixturevalue("redis_app")
    redis_app.extensions[THROTTLE].reset()
    return redis_app


def wrong(account: Account) -> Account:
    return Account(account.id, account.email, WRONG_PASSWORD)


def password_step(client, email: str, password: str):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client, "/login")},
    )


def post_code(client, url: str, code: str):
    """Post a code to ``/tf-validate`` or ``/mf-recovery``, with the session's CSRF token (read
    once: reading ``/login`` would end the pending step, ``/tf-validate`` only shows while it
    lasts)."""
    if not hasattr(client, "csrf"):
        client.csrf = csrf_token(client, "/tf-validate")
    return client.post(url, data={"code": code, "csrf_token": client.csrf})


def wrong_code(app, account: Account) -> str:
    return f"{(int(totp_code(app, account.totp_secret)) + 500_000) % 1_000_000:06d}"


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
        attempt_login(client, Account(account.id, variant, WRONG_PASSWORD))

    assert attempt_login(client, account).status_code == 429


@pytest.mark.parametrize(
    "variant",
    ["partner-{tag}@s\uff48op.example.com", "partner-{tag}@shop.example\u3002com"],
    ids=["fullwidth letter", "ideographic full stop"],
)
def test_spellings_that_reach_the_same_account_share_its_limit(client, make_account, variant):
    """Flask-Security reads a fullwidth letter or an ideographic full stop in the domain as
    the plain one: the throttle counts such a spelling against the same account."""
    tag = secrets.token_hex(3)
    account = make_account(RoleName.PARTNER, email=f"partner-{tag}@shop.example.com")
    for _ in range(5):
        attempt_login(client, wrong(account))

    assert password_step(client, variant.format(tag=tag), account.password).status_code == 429
    assert client.get("/admin/").status_code == 302


def test_json_login_is_refused_so_it_cannot_side_step_a_locked_account(client, make_account):
    account = make_account(RoleName.PARTNER)
    for _ in range(5):
        attempt_login(client, wrong(account))
    token = csrf_token(client, "/login")

    response = client.post(
        "/login",
        json={"email": account.email, "password": account.password},
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 415
    assert "Walk-in" in response.get_data(as_text=True)  # the panel's error page
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("url", ["/login", "/tf-validate", "/mf-recovery", "/tf-rescue"])
def test_a_json_body_that_is_not_an_object_is_refused_cleanly(client, url):
    response = client.post(
        url,
        data='"x"',
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(client, "/login")},
    )

    assert response.status_code == 415


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


def test_an_admins_right_password_is_not_counted_as_a_failure(
    app, client, make_account, monkeypatch
):
    """The password step of a two-factor login ends before the login: it still counts as a
    success, for the account and for the address (an office behind one address)."""
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "3 per 15 minutes")
    admin = make_account(RoleName.ADMIN)

    steps = [password_step(client, admin.email, admin.password) for _ in range(6)]

    assert [s.status_code for s in steps] == [302] * 6
    assert all("/tf-validate" in s.headers["Location"] for s in steps)
    assert attempt_login(app.test_client(), make_account(RoleName.PARTNER)).status_code == 302


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


def test_wrong_codes_are_throttled_per_account_even_after_a_new_password_step(
    app, client, make_account
):
    admin = make_account(RoleName.ADMIN)
    password_step(client, admin.email, admin.password)
    answers = [post_code(client, "/tf-validate", wrong_code(app, admin)) for _ in range(5)]

    password_step(client, admin.email, admin.password)
    right = post_code(client, "/tf-validate", totp_code(app, admin.totp_secret))

    assert [a.status_code for a in answers] == [200] * 4 + [302]
    assert right.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_are_throttled_per_address(app, client, make_account, monkeypatch):
    monkeypatch.setitem(app.config, "SECOND_FACTOR_FAILURES_PER_ADDRESS", "3 per 15 minutes")
    first, second = make_account(RoleName.ADMIN), make_account(RoleName.ADMIN)
    password_step(client, first.email, first.password)
    for _ in range(3):
        post_code(client, "/tf-validate", wrong_code(app, first))

    other = app.test_client()
    password_step(other, second.email, second.password)

    assert post_code(other, "/tf-validate", totp_code(app, second.totp_secret)).status_code == 429


def test_a_pending_login_is_dropped_after_five_wrong_codes(app, client, make_account, monkeypatch):
    monkeypatch.setitem(app.config, "SECOND_FACTOR_FAILURES_PER_ACCOUNT", "100 per 15 minutes")
    admin = make_account(RoleName.ADMIN)
    password_step(client, admin.email, admin.password)

    answers = [post_code(client, "/tf-validate", wrong_code(app, admin)) for _ in range(5)]
    right = post_code(client, "/tf-validate", totp_code(app, admin.totp_secret))

    assert [a.status_code for a in answers] == [200] * 4 + [302]
    assert answers[-1].headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "Too many wrong codes: enter your password again." in page
    assert right.status_code == 302 and client.get("/admin/").status_code == 302
    attempt_login(client, admin)
    assert client.get("/admin/").status_code == 200


def recovery_code(app, client, admin: Account) -> str:
    """Log ``admin`` in, generate its recovery codes and log out; return one of them."""
    attempt_login(client, admin)
    page = client.post(
        "/mf-recovery-codes", data={"csrf_token": csrf_token(client, "/mf-recovery-codes")}
    ).get_data(as_text=True)
    # New codes wait to be kept: the panel sends the admin back to them, logging out works.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/mf-recovery-codes")})
    return re.findall(r"\b[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}\b", page)[0]


def test_wrong_recovery_codes_are_throttled_and_lock_the_rescue_page(app, client, make_account):
    admin = make_account(RoleName.ADMIN)
    code = recovery_code(app, client, admin)
    password_step(client, admin.email, admin.password)
    for _ in range(5):
        post_code(client, "/mf-recovery", "0000-0000-0000")

    password_step(client, admin.email, admin.password)
    rescue = client.post(
        "/tf-rescue",
        data={"help_setup": "recovery_code", "csrf_token": csrf_token(client, "/tf-validate")},
    )
    recovered = post_code(client, "/mf-recovery", code)

    assert (rescue.status_code, recovered.status_code) == (429, 429)
    assert client.get("/admin/").status_code == 302


def test_help_from_the_rescue_page_is_refused_without_an_error(app, client, make_account):
    """The panel sends no mail: "contact the administrator" is not a choice."""
    admin = make_account(RoleName.ADMIN)
    password_step(client, admin.email, admin.password)

    response = client.post(
        "/tf-rescue", data={"help_setup": "help", "csrf_token": csrf_token(client, "/tf-validate")}
    )

    assert response.status_code == 200
    assert 'value="help"' not in response.get_data(as_text=True)


def test_a_code_logs_in_once(app, client, make_account):
    admin = make_account(RoleName.ADMIN)
    code = totp_code(app, admin.totp_secret)
    password_step(client, admin.email, admin.password)
    assert post_code(client, "/tf-validate", code).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})

    thief = app.test_client()
    password_step(thief, admin.email, admin.password)
    replayed = post_code(thief, "/tf-validate", code)

    assert replayed.status_code == 200 and thief.get("/admin/").status_code == 302


def test_a_code_two_steps_old_is_refused(app, client, make_account):
    """Codes are accepted one 30-second step either side of now, not two minutes."""
    admin = make_account(RoleName.ADMIN)
    with app.app_context():
        totp = security.totp_factory._totp.from_source(admin.totp_secret)
        old = totp.generate(time=totp.now() - 60).token
    password_step(client, admin.email, admin.password)

    assert post_code(client, "/tf-validate", old).status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("page", ["/verify", "/change"])
def test_password_checks_of_logged_in_users_are_throttled(client, make_account, page):
    account = make_account(RoleName.PARTNER)
    attempt_login(client, account)

    def attempt(password: str):
        data = {"password": password, "csrf_token": csrf_token(client, page)}
        if page == "/change":
            data |= {"new_password": "a-brand-new-Passphrase-42"} | {
                "new_password_confirm": "a-brand-new-Passphrase-42"
            }
        return client.post(page, data=data)

    refused = [attempt(WRONG_PASSWORD).status_code for _ in range(5)]

    assert refused == [200] * 5
    assert attempt(account.password).status_code == 429


def test_a_weak_new_password_is_not_counted_as_a_wrong_one(client, make_account):
    account = make_account(RoleName.PARTNER)
    attempt_login(client, account)
    weak = {"new_password": "aaaaaaaaaaaa", "new_password_confirm": "aaaaaaaaaaaa"}

    for _ in range(6):
        token = csrf_token(client, "/change")
        client.post("/change", data={"password": account.password, "csrf_token": token, **weak})
    changed = client.post(
        "/change",
        data={"password": account.password, "csrf_token": csrf_token(client, "/change"),
              "new_password": "a-brand-new-Passphrase-42",
              "new_password_confirm": "a-brand-new-Passphrase-42"},
    )  # fmt: skip

    assert changed.status_code == 302


def test_every_authentication_event_names_the_account(app, client, make_account):
    admin = make_account(RoleName.ADMIN)
    password_step(client, admin.email, admin.password)
    post_code(client, "/tf-validate", wrong_code(app, admin))
    post_code(client, "/mf-recovery", "0000-0000-0000")
    post_code(client, "/tf-validate", totp_code(app, admin.totp_secret))

    recorded = [
        *events(app, "login.second_factor_asked"),
        *events(app, "login.failure"),
        *events(app, "login.success"),
    ]

    assert [json.loads(e.details)["email"] for e in recorded] == [admin.email] * 4
    assert {e.target for e in recorded} == {f"user:{admin.id}"}
    steps = [json.loads(e.details)["step"] for e in events(app, "login.failure")]
    assert steps == ["two_factor_token_validation", "mf_recovery"]


def test_a_dropped_second_factor_step_is_recorded(app, client, make_account):
    admin = make_account(RoleName.ADMIN)
    password_step(client, admin.email, admin.password)
    for _ in range(5):
        post_code(client, "/tf-validate", wrong_code(app, admin))

    [dropped] = events(app, "login.second_factor_dropped")

    assert json.loads(dropped.details) == {"email": admin.email, "failures": 5}


def test_text_typed_as_an_email_is_recorded_only_when_it_is_an_address(app, client):
    password_step(client, "my-Secret-passphrase-99", "whatever-password-1")
    password_step(client, "nobody@walkin.example.com", "whatever-password-1")

    failures = [json.loads(e.details) for e in events(app, "login.failure")]

    assert [f.get("email") for f in failures] == [None, "nobody@walkin.example.com"]
    assert "my-Secret-passphrase-99" not in str(failures)


def test_throttling_can_be_turned_off(sibling_app, make_account):
    """``RATELIMIT_ENABLED=False``: for a deployment that throttles in front of the app."""
    unthrottled = sibling_app(RATELIMIT_ENABLED=False)
    account = make_account(RoleName.PARTNER)
    client = unthrottled.test_client()

    statuses = [attempt_login(client, wrong(account)).status_code for _ in range(8)]

    assert statuses == [200] * 8
    assert attempt_login(client, account).status_code == 302


def test_throttle_storage_out_of_reach_answers_503_in_words(sibling_app):
    """Redis away: a login attempt that cannot be counted is not checked (503), never a 500."""
    unreachable = sibling_app(
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1},
        PROPAGATE_EXCEPTIONS=False,
    )
    client = unreachable.test_client()

    response = password_step(client, "someone@example.org", WRONG_PASSWORD)

    assert response.status_code == 503
    assert "Sign-in attempts cannot be checked right now" in response.get_data(as_text=True)
