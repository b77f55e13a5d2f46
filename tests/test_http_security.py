"""Security headers, error pages with a reference id, and a database outage answered 503."""

from __future__ import annotations

import logging
import re

import pytest

from admin_app.config import sqlite_file
from admin_app.domain import missions as mission_rules
from tests.conftest import csrf_token, log_in, post_with_csrf
from tests.databases import app_database, database_outage


def test_pages_carry_the_security_headers(client, world):
    log_in(client, world.partner_a)

    response = client.get("/admin/clients/")

    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert (
        re.search(r"script-src 'self' 'nonce-[\w-]+'", csp)
        and "unsafe-inline'" not in csp.split("style-src")[0]
    )
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers


def test_every_script_tag_carries_this_requests_nonce(client, world):
    log_in(client, world.admin)

    for url in ("/admin/", "/admin/clients/", "/admin/missions/", "/admin/clients/new/"):
        response = client.get(url)
        nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"]).group(1)
        page = response.get_data(as_text=True)
        tags = re.findall(r"<script[^>]*>", page)
        assert tags and all(f'nonce="{nonce}"' in tag for tag in tags), url
        assert not re.search(r"\son(click|load|error|submit)=", page), url


def test_nonce_changes_with_every_request(client, world):
    log_in(client, world.partner_a)

    first = client.get("/admin/").headers["Content-Security-Policy"]
    second = client.get("/admin/").headers["Content-Security-Policy"]

    assert first != second


def test_https_requests_get_hsts(client, world):
    response = client.get("/login", base_url="https://localhost")

    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_static_files_may_be_cached(client):
    with client.get("/static/panel.js") as response:
        assert response.headers.get("Cache-Control") != "no-store"


@pytest.mark.parametrize(
    ("method", "url", "code"),
    [("GET", "/admin/no-such-page/", 404), ("GET", "/admin/missions/transition/", 405)],
)
def test_error_pages_show_a_reference_that_the_log_carries(
    client, world, caplog, method, url, code
):
    log_in(client, world.partner_a)

    with caplog.at_level(logging.WARNING):
        response = client.open(url, method=method)

    page = response.get_data(as_text=True)
    reference = re.search(r"Reference: ([0-9a-f]{12})", page).group(1)
    assert response.status_code == code
    assert any(reference in record.getMessage() for record in caplog.records)


def test_unexpected_error_shows_no_trace_and_rolls_back(app, client, world, caplog, monkeypatch):
    log_in(client, world.partner_a)

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr("admin_app.admin.missions.apply_transition", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    with caplog.at_level(logging.ERROR):
        response = post_with_csrf(
            client, "/admin/missions/transition/", {"id": world.a_mission, "action": "start"}
        )

    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret" not in page and "Traceback" not in page and "SELECT" not in page
    reference = re.search(r"Reference: ([0-9a-f]{12})", page).group(1)
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert mission_rules.current_status  # the real rules are untouched outside this test


def test_database_outage_answers_503_and_recovers(app, client, world, tmp_path):
    log_in(client, world.partner_a)

    with database_outage(app, tmp_path):
        down = client.get("/admin/clients/")
    up = client.get("/admin/clients/")

    assert down.status_code == 503
    assert "The database cannot be reached right now." in down.get_data(as_text=True)
    assert up.status_code == 200


def test_error_pages_speak_the_users_language(client, world):
    log_in(client, world.partner_a)

    page = client.get("/admin/nowhere/", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    assert "Cette page n'existe pas" in page.replace("&#39;", "'") and "Référence" in page


def test_a_post_during_an_outage_answers_503_not_form_expired(app, client, world, tmp_path):
    """The session store is checked before the CSRF token: a form posted while the database
    is away is told the database is away, not that the form expired."""
    log_in(client, world.partner_a)
    token = csrf_token(client, "/admin/missions/")

    with database_outage(app, tmp_path):
        response = client.post(
            "/admin/missions/transition/",
            data={"id": world.a_mission, "action": "start", "csrf_token": token},
        )

    assert response.status_code == 503
    assert "The database cannot be reached right now." in response.get_data(as_text=True)


def test_a_sqlite_outage_leaves_no_empty_database_behind(app, client, world, tmp_path):
    path = sqlite_file(app_database(app))
    if path is None:
        pytest.skip("SQLite only: this run is on PostgreSQL")
    log_in(client, world.partner_a)

    with database_outage(app, tmp_path):
        down = client.get("/admin/clients/")
        created = path.exists()

    assert down.status_code == 503 and not created
    assert client.get("/admin/clients/").status_code == 200
