"""French and English: chosen from the browser or the menu; statuses, messages, dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from admin_app.admin.formatting import local_datetime
from tests.conftest import log_in, post_with_csrf

TRANSLATIONS = Path(__file__).resolve().parent.parent / "admin_app" / "translations"


def french_catalog():
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale="fr")


def hashable(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def test_every_message_has_a_french_translation():
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = read_po(handle)
    catalog = french_catalog()

    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None and not translated.fuzzy, message.id
        strings = (
            translated.string if isinstance(translated.string, tuple) else (translated.string,)
        )
        assert all(strings), message.id


def test_compiled_catalog_matches_the_po_file():
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = {hashable(m.id): hashable(m.string) for m in read_mo(handle) if m.id}
    source = {hashable(m.id): hashable(m.string) for m in french_catalog() if m.id}

    assert compiled == source


def test_browser_language_picks_french(client, world):
    log_in(client, world.partner_a)

    page = client.get("/admin/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True
    )

    assert "Tableau de bord" in page and "Missions actives" in page and "Se déconnecter" in page
    assert "Missions en cours" not in page  # reads like the "En cours" status


def test_menu_switch_changes_language_and_returns_to_the_page(client, world):
    log_in(client, world.partner_a)

    to_french = post_with_csrf(client, "/language", {"language": "fr", "next": "/admin/missions/"})
    french = client.get("/admin/missions/").get_data(as_text=True)
    post_with_csrf(client, "/language", {"language": "en", "next": "/admin/"})
    english = client.get("/admin/missions/").get_data(as_text=True)

    assert to_french.headers["Location"] == "/admin/missions/"
    assert "En attente" in french and "Démarrer" in french and "Terminer" in french
    assert "Pending" in english and "Start" in english


def test_language_switch_never_redirects_elsewhere(client, world):
    log_in(client, world.partner_a)

    for target in ("//evil.example", "https://evil.example/", "\\\\evil", "javascript:alert(1)"):
        response = post_with_csrf(client, "/language", {"language": "fr", "next": target})
        assert response.headers["Location"] == "/admin/"


def test_batch_summary_is_translated(client, world):
    log_in(client, world.partner_a)
    post_with_csrf(client, "/language", {"language": "fr", "next": "/admin/"})

    response = post_with_csrf(
        client,
        "/admin/missions/action/",
        {"action": "start", "rowid": [world.a_mission, world.a_started_mission]},
    )

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 mission démarrée ; 1 refusée : 1 déjà en cours." in page.replace("\u202f", " ")


def test_dates_follow_the_locale_and_the_browser_time_zone(client, world):
    log_in(client, world.partner_a)
    client.set_cookie("tz", "Asia/Tokyo")

    english = client.get("/admin/figures.json").get_json()["latest"][0]["created_at"]
    post_with_csrf(client, "/language", {"language": "fr", "next": "/admin/"})
    french = client.get("/admin/figures.json").get_json()["latest"][0]["created_at"]
    client.set_cookie("tz", "Not/AZone")
    utc_french = client.get("/admin/figures.json").get_json()["latest"][0]["created_at"]

    assert ("AM" in english or "PM" in english) and "/" in english
    assert "AM" not in french and "PM" not in french
    tokyo_hour, utc_hour = int(french.split()[-1][:2]), int(utc_french.split()[-1][:2])
    assert (tokyo_hour - utc_hour) % 24 == 9


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"])
def test_list_dates_read_as_babels_short_date_and_time(app, language, zone):
    """Lists format dates through one pattern parsed once a language: it must say what
    Babel's own ``format_datetime(..., "short")`` says, on both sides of a DST change."""
    instants = [
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 1, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    ]
    headers = {"Accept-Language": language, "Cookie": f"tz={zone}"}
    with app.test_request_context(headers=headers):
        shown = [local_datetime(instant) for instant in instants]
        empty = local_datetime(None)

    expected = [
        format_datetime(instant, "short", tzinfo=ZoneInfo(zone), locale=language)
        for instant in instants
    ]
    assert shown == expected
    assert empty == ""
