"""``LOG_FORMAT=json``: one JSON object a line, a line per request with its reference id, user
id and duration; never a password, token, email or a client's data, whatever was posted."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from admin_app import create_app
from admin_app.config import SECRET_NAMES, operator_settings
from admin_app.data.models import RoleName
from admin_app.domain.consent import withdrawal_token
from admin_app.extensions import db
from admin_app.platform.request_log import JsonLines
from tests.conftest import bearer, log_in, post_with_csrf, settings_for_tests

NEW_CLIENT = {
    "first_name": "Zéphyrine",
    "last_name": "Quenouille",
    "email": "zephyrine.quenouille@example.com",
    "phone": "06 11 22 33 44",
    "city": "Nantes",
    "email_consent": "y",
    "language": "fr",
}


def json_app(database_url: str, session_app: Flask, **settings: object) -> Flask:
    """An app on the session's (migrated) database writing JSON lines."""
    secrets_ = {name: session_app.config[name] for name in SECRET_NAMES}
    return create_app(
        {**settings_for_tests(database_url), **secrets_, "LOG_FORMAT": "json", **settings}
    )


@pytest.fixture
def logged(app, database_url, session_app) -> Iterator[tuple[Flask, io.StringIO]]:
    """A JSON-logging app, and what its process logged (the real handler, its stream kept)."""
    root = logging.getLogger()
    level = root.level
    built = json_app(database_url, session_app)
    (handler,) = [h for h in root.handlers if isinstance(h, JsonLines)]
    stream = io.StringIO()
    handler.setStream(stream)
    yield built, stream
    forget_json_lines(level)
    with built.app_context():
        db.engine.dispose()


def forget_json_lines(level: int) -> None:
    """Logging as the rest of the suite has it: no JSON handler, the root's level back."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JsonLines)]:
        root.removeHandler(handler)
    root.setLevel(level)


def lines_of(stream: io.StringIO) -> list[dict]:
    """Every line written, each parsed as JSON (a line that is not fails the test)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def request_lines(stream: io.StringIO, method: str, path: str) -> list[dict]:
    return [
        line
        for line in lines_of(stream)
        if line["logger"] == "walkin.request" and (line["method"], line["path"]) == (method, path)
    ]


def test_a_request_line_holds_reference_user_duration_and_status(logged, make_account):
    built, stream = logged
    account = make_account(RoleName.PARTNER)
    browser = built.test_client()
    log_in(browser, account)

    answer = browser.get("/admin/clients/")

    (line,) = request_lines(stream, "GET", "/admin/clients/")
    assert line["request_id"] == answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{12}", line["request_id"])
    assert line["user_id"] == account.id
    assert line["status"] == 200 and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["endpoint"] == "clients.index_view"
    assert "time" in line and line["message"] == "GET /admin/clients/ 200"


def test_a_login_and_a_registration_log_no_password_email_or_client_data(logged, make_account):
    built, stream = logged
    account = make_account(RoleName.PARTNER)
    browser = built.test_client()

    log_in(browser, account)
    registered = post_with_csrf(browser, "/admin/clients/new/", NEW_CLIENT)

    assert registered.status_code == 302
    (login,) = request_lines(stream, "POST", "/login")
    assert login["status"] == 302 and login["user_id"] == account.id
    (registration,) = request_lines(stream, "POST", "/admin/clients/new/")
    assert registration["user_id"] == account.id
    written = stream.getvalue()
    secrets_ = [account.password, account.email, browser.get_cookie("session").value]
    client_data = ["Zéphyrine", "Zephyrine", "Quenouille", "zephyrine", "11 22 33", "Nantes"]
    for value in secrets_ + client_data:
        assert value not in written, value
    assert "csrf_token" not in written


def test_the_query_string_is_never_logged(logged, make_account):
    built, stream = logged
    browser = built.test_client()
    log_in(browser, make_account(RoleName.PARTNER))

    browser.get("/admin/clients/?search=Quenouille")

    assert request_lines(stream, "GET", "/admin/clients/")
    assert "Quenouille" not in stream.getvalue()


def test_a_token_in_the_path_is_logged_as_its_placeholder(logged, world):
    built, stream = logged
    with built.app_context():
        token = withdrawal_token(world.a_client)

    built.test_client().get(f"/stop-emails/{token}")

    (line,) = request_lines(stream, "GET", "/stop-emails/<token>")
    assert line["status"] == 200
    assert token not in stream.getvalue()


def test_an_api_request_names_the_keys_owner_and_never_the_key(logged, world, api_token):
    built, stream = logged
    token = api_token(world.partner_a, "read")

    answer = built.test_client().get(f"/api/v1/clients/{world.a_client}", headers=bearer(token))

    assert answer.status_code == 200
    (line,) = request_lines(stream, "GET", f"/api/v1/clients/{world.a_client}")
    assert line["user_id"] == world.partner_a.id
    assert line["request_id"] == answer.headers["X-Request-Id"]
    assert token not in stream.getvalue()


def test_an_error_page_reference_is_the_request_id_of_every_line_of_its_request(
    logged, make_account
):
    built, stream = logged
    browser = built.test_client()
    log_in(browser, make_account(RoleName.PARTNER))

    answer = browser.get("/admin/no-such-page/")

    reference = re.search(r"Reference: ([0-9a-f]{12})", answer.get_data(as_text=True)).group(1)
    assert answer.headers["X-Request-Id"] == reference
    own = [line for line in lines_of(stream) if line.get("request_id") == reference]
    assert {line["logger"] for line in own} == {"admin_app", "walkin.request"}
    assert any(line["level"] == "WARNING" and "error 404" in line["message"] for line in own)


def test_a_failed_statement_logs_its_trace_but_not_its_values(logged, world, monkeypatch):
    """SQLAlchemy would print a failed statement's parameters (a client's email) with the
    error, and PostgreSQL quotes the refused row in its DETAIL: both are hidden."""
    built, stream = logged

    def broken(*_: object, **__: object) -> None:
        db.session.execute(
            text("INSERT INTO walk_in_client (id, email) VALUES (:id, :email)"),
            {"id": "x", "email": "hidden.client@example.com"},
        )

    monkeypatch.setattr("admin_app.admin.missions.apply_transition", broken)
    monkeypatch.setitem(built.config, "PROPAGATE_EXCEPTIONS", False)
    browser = built.test_client()
    log_in(browser, world.partner_a)

    answer = post_with_csrf(
        browser, "/admin/missions/transition/", {"id": world.a_mission, "action": "start"}
    )

    assert answer.status_code == 500
    errors = [line for line in lines_of(stream) if line["level"] == "ERROR"]
    (error,) = [line for line in errors if line["message"].startswith("error 500 ref=")]
    assert {line["request_id"] for line in errors} == {answer.headers["X-Request-Id"]}
    assert "IntegrityError" in error["exc_info"] and "hide_parameters" in error["exc_info"]
    assert "hidden.client@example.com" not in stream.getvalue()


def test_a_trusted_proxys_request_id_is_kept(app, database_url, session_app):
    root_level = logging.getLogger().level
    proxied = json_app(database_url, session_app, TRUSTED_PROXY_COUNT=1)
    direct = json_app(database_url, session_app)
    try:
        given = {"X-Request-Id": "0123456789abcdef0123456789abcdef"}
        kept = proxied.test_client().get("/healthz", headers=given)
        ignored = direct.test_client().get("/healthz", headers=given)
        forged = proxied.test_client().get(
            "/healthz", headers={"X-Request-Id": "<script>alert(1)</script>"}
        )
    finally:
        forget_json_lines(root_level)
        for built in (proxied, direct):
            with built.app_context():
                db.engine.dispose()

    assert kept.headers["X-Request-Id"] == given["X-Request-Id"]
    assert ignored.headers["X-Request-Id"] != given["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{12}", forged.headers["X-Request-Id"])


def test_text_is_the_default_and_another_format_stops_the_app_at_start():
    assert operator_settings({})["LOG_FORMAT"] == "text"
    assert operator_settings({"LOG_FORMAT": "JSON"})["LOG_FORMAT"] == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT must be text or json"):
        operator_settings({"LOG_FORMAT": "xml"})


def test_json_lines_replace_the_handler_of_an_app_built_before(logged, database_url, session_app):
    """Building a second app (a test, a command) never writes each line twice."""
    built, _ = logged
    again = json_app(database_url, session_app)
    root = logging.getLogger()
    try:
        assert len([h for h in root.handlers if isinstance(h, JsonLines)]) == 1
    finally:
        with again.app_context():
            db.engine.dispose()
