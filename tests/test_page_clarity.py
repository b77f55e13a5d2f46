"""Pages say what they are: which record they show, one message that names what was done, no
link the Content-Security-Policy blocks, an icon, and a way back into the panel from errors."""

from __future__ import annotations

import re

import pytest

from admin_app.data.models import RoleName
from tests.conftest import log_in, post_with_csrf

ALERT = re.compile(r'<div class="alert alert-(\w+)[^"]*"[^>]*>(.*?)</div>', re.S)
STOCK_SAVED = (
    "Record was successfully created.",
    "Record was successfully saved.",
    "Record was successfully deleted.",
)


def alerts(page: str) -> list[tuple[str, str]]:
    """(category, text) of each message shown on ``page``."""
    return [
        (category, " ".join(re.sub(r"<[^>]+>|&times;", " ", text).split()))
        for category, text in ALERT.findall(page)
    ]


def followed(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def pages_of(world) -> dict[RoleName, list[str]]:
    """Every kind of page each role reaches, with a row of the world where one is needed."""
    records = [
        "/admin/",
        "/admin/clients/",
        f"/admin/clients/details/?id={world.a_client}",
        "/admin/missions/",
        f"/admin/missions/details/?id={world.a_mission}",
    ]
    edits = [
        f"/admin/clients/edit/?id={world.a_client}",
        f"/admin/missions/cancel/?id={world.a_mission}",
        "/admin/clients/new/?modal=True",
    ]
    accounts = [
        "/admin/accounts/",
        "/admin/accounts/new/",
        f"/admin/accounts/edit/?id={world.partner_a.id}",
        "/admin/audit/",
    ]
    return {
        RoleName.PARTNER: records + edits,
        RoleName.ADMIN: records + edits + accounts,
        RoleName.SUPPORT: records,
    }


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN, RoleName.SUPPORT])
def test_no_page_holds_a_javascript_link_and_every_page_names_its_icon(app, world, role):
    account = {
        RoleName.PARTNER: world.partner_a,
        RoleName.ADMIN: world.admin,
        RoleName.SUPPORT: world.support,
    }[role]
    client = app.test_client()
    log_in(client, account)

    for url in pages_of(world)[role]:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "javascript:" not in page, url
        if "modal" not in url:
            assert 'rel="icon"' in page and "timezone.js" in page, url


def test_favicon_answers_with_the_panels_icon(client):
    redirect = client.get("/favicon.ico")
    with client.get(redirect.headers["Location"]) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).startswith("<svg")

    assert redirect.status_code == 301


def test_login_page_sends_the_time_zone_before_the_first_panel_page(client):
    page = client.get("/login").get_data(as_text=True)

    assert "timezone.js" in page
    with client.get("/static/timezone.js") as script:
        assert script.status_code == 200 and "document.cookie" in script.get_data(as_text=True)


def test_edit_and_details_pages_name_their_record(client, world):
    log_in(client, world.admin)

    account_edit = client.get(f"/admin/accounts/edit/?id={world.partner_b.id}")
    client_edit = client.get(f"/admin/clients/edit/?id={world.a_client}")
    mission_page = client.get(f"/admin/missions/details/?id={world.a_mission}")

    assert f"Account {world.partner_b.email}" in account_edit.get_data(as_text=True)
    assert "Client Alice Test" in client_edit.get_data(as_text=True)
    assert "Mission of Alice Test, opened" in mission_page.get_data(as_text=True)


def test_client_edit_page_offers_no_save_and_add_another(client, world):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/clients/edit/?id={world.a_client}").get_data(as_text=True)

    assert "Save and Add Another" not in page and "_add_another" not in page
    assert "Save and Continue Editing" in page


def test_registering_a_client_shows_one_message_that_names_the_client(client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(
        client,
        "/admin/clients/new/",
        {
            "first_name": "Zoé",
            "last_name": "Roux",
            "email": "zoe@example.com",
            "phone": "06 11 22 33 44",
        },
    )

    shown = alerts(followed(client, response))
    assert [category for category, _ in shown] == ["success"]
    assert shown[0][1].startswith("Zoé Roux is registered.")


def test_saving_and_deleting_a_client_name_the_client(client, world):
    log_in(client, world.partner_a)
    fields = {
        "first_name": "Alicia",
        "last_name": "Test",
        "email": "alicia@example.com",
        "phone": "+33612345678",
        "version": "1",
    }

    saved = followed(
        client, post_with_csrf(client, f"/admin/clients/edit/?id={world.a_client}", fields)
    )
    deleted = followed(
        client, post_with_csrf(client, "/admin/clients/delete/", {"id": world.a_client})
    )

    assert alerts(saved) == [("success", "Alicia Test is saved.")]
    assert alerts(deleted) == [("success", "Alicia Test and their missions are deleted.")]


def test_deactivating_an_account_says_so_and_names_it(client, world):
    log_in(client, world.admin)

    response = post_with_csrf(
        client, f"/admin/accounts/edit/?id={world.partner_b.id}", {"roles": ["partner"]}
    )

    shown = alerts(followed(client, response))
    assert shown == [
        (
            "success",
            f"Account {world.partner_b.email} is deactivated: it is logged out everywhere.",
        )
    ]
    assert not any(text in STOCK_SAVED for _, text in shown)


def test_last_admin_unticking_active_is_refused_at_the_active_box(client, world):
    log_in(client, world.admin)

    page = post_with_csrf(
        client, f"/admin/accounts/edit/?id={world.admin.id}", {"roles": ["admin"]}
    ).get_data(as_text=True)

    active_box = page[page.index('id="active"') :]
    roles_box = page[page.index('id="roles"') : page.index('id="active"')]
    assert "The last active admin must stay an active admin." in active_box
    assert "The last active admin must stay an active admin." not in roles_box


@pytest.mark.parametrize("url", ["/admin/no-such-page/", "/admin/clients/details/?id=nope"])
def test_error_pages_lead_back_into_the_panel(client, world, url):
    log_in(client, world.partner_a)

    response = client.get(url)
    page = response.get_data(as_text=True)

    assert response.status_code == 404
    for link in ('href="/admin/"', 'href="/admin/clients/"', 'href="/admin/missions/"'):
        assert link in page
