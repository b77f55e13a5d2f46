"""The shop tablet's self check-in page, over HTTP: in English or French, no session and no
cookie, the strict policy with its script from our own files, and no data of any shop."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from admin_app.data.models import WebSession
from admin_app.extensions import db
from tests.conftest import log_in


def test_page_speaks_english_by_default_and_french_when_asked(client):
    english = client.get("/kiosk/", headers={"Accept-Language": "en-GB"})
    french = client.get("/kiosk/?lang=fr", headers={"Accept-Language": "en-GB"})

    assert english.status_code == french.status_code == 200
    page = english.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "You're checked in, please take a seat." in page
    assert 'data-problem="invalid_phone">This is not a valid phone number.<' in page
    french_page = french.get_data(as_text=True)
    assert '<html lang="fr">' in french_page
    assert "Votre arrivée est enregistrée, veuillez vous installer." in french_page
    assert "Prénom" in french_page and "First name" not in french_page
    assert 'data-problem="required">Ce champ est obligatoire.<' in french_page


def test_page_follows_the_browser_language_unless_the_switch_chose(client):
    browser_french = client.get("/kiosk/", headers={"Accept-Language": "fr-FR"})
    switched_back = client.get("/kiosk/?lang=en", headers={"Accept-Language": "fr-FR"})
    unknown = client.get("/kiosk/?lang=de", headers={"Accept-Language": "fr-FR"})

    assert '<html lang="fr">' in browser_french.get_data(as_text=True)
    assert '<html lang="en">' in switched_back.get_data(as_text=True)
    assert '<html lang="fr">' in unknown.get_data(as_text=True)


def test_switch_links_name_both_languages_and_mark_the_current_one(client):
    page = client.get("/kiosk/?lang=fr").get_data(as_text=True)

    assert 'href="/kiosk/?lang=en"' in page and 'href="/kiosk/?lang=fr"' in page
    current = re.search(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', page)
    assert current and current.group(1) == "Français"


def test_page_opens_no_session_and_sets_no_cookie_even_for_a_logged_in_browser(client, app, world):
    log_in(client, world.partner_a)
    with app.app_context():
        sessions_before = db.session.scalar(select(func.count()).select_from(WebSession))

    response = client.get("/kiosk/", headers={"Accept-Language": "fr"})

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebSession)) == sessions_before


def test_a_new_browser_leaves_no_cookie_and_no_session_row(client, app):
    response = client.get("/kiosk/?lang=en")

    assert "Set-Cookie" not in response.headers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_policy_is_strict_and_every_script_is_a_file_of_ours_with_the_nonce(client):
    response = client.get("/kiosk/")

    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([\w-]+)';", csp).group(1)
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0] and "unsafe-eval" not in csp
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts == [(f' nonce="{nonce}" src="/static/kiosk.js" defer', "")]
    assert not re.search(r"\son[a-z]+=", page)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_script_is_served_as_javascript(client):
    with client.get("/static/kiosk.js") as script:
        assert script.status_code == 200
        assert script.mimetype in ("text/javascript", "application/javascript")
        assert "walkin.kiosk.key" in script.get_data(as_text=True)
    with client.get("/static/kiosk.css") as styles:
        assert styles.status_code == 200


def test_page_shows_no_shop_data_and_holds_no_key(client, world):
    page = client.get("/kiosk/").get_data(as_text=True)

    for shown_nowhere in ("Alice", "alice@example.com", "Bruno", "+33612345678", "wk_"):
        assert shown_nowhere not in page


def test_page_sends_visitors_to_the_registration_endpoint(client):
    page = client.get("/kiosk/").get_data(as_text=True)

    assert 'data-register-url="/api/v1/clients"' in page
    assert 'data-fields="first_name last_name email phone"' in page


@pytest.mark.parametrize("url", ["/kiosk/?lang=fr", "/api/docs"])
def test_kiosk_and_docs_pages_ask_the_database_nothing_whatever_the_rows(client, app, world, url):
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *_):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_page_only_answers_get(client, method):
    assert client.open("/kiosk/", method=method).status_code == 405
