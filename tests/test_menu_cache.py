"""The menu's HTML is rendered once for each way it can look (``admin/menu_cache.py``): it
must still show each user only the pages they may open, mark the page shown and speak the
page's language."""

from __future__ import annotations

import re

import pytest

from admin_app.admin import menu_cache
from admin_app.data.models import RoleName

from .conftest import log_in

MENU = re.compile(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>', re.S)
LINK = re.compile(r'<li( class="active")?>\s*<a class="nav-link " href="([^"]+)">\s*([^<]*?)</a>')


def menu_of(page: str) -> list[tuple[bool, str, str]]:
    """(active, URL, name) of each entry of the page's menu."""
    match = MENU.search(page)
    assert match, "the page has no menu"
    return [(bool(active), url, name.strip()) for active, url, name in LINK.findall(match[1])]


@pytest.fixture(autouse=True)
def empty_menu_cache():
    menu_cache._rendered.clear()


def kept_menus() -> int:
    return sum(len(kept) for kept in menu_cache._rendered.values())


def test_a_partner_sees_only_its_pages_after_an_admin_saw_all(app, client, make_account):
    log_in(client, make_account(RoleName.ADMIN))
    admins = [url for _, url, _ in menu_of(client.get("/admin/").get_data(as_text=True))]
    partner_client = app.test_client()
    log_in(partner_client, make_account(RoleName.PARTNER))
    partners = [url for _, url, _ in menu_of(partner_client.get("/admin/").get_data(as_text=True))]

    assert "/admin/accounts/" in admins and "/admin/audit/" in admins
    assert "/admin/accounts/" not in partners and "/admin/audit/" not in partners
    assert "/admin/missions/" in partners and "/admin/shop-profile/" in partners


def test_the_menu_marks_the_page_shown_as_active(client, login_as):
    login_as(RoleName.PARTNER)
    on_missions = menu_of(client.get("/admin/missions/").get_data(as_text=True))
    on_clients = menu_of(client.get("/admin/clients/").get_data(as_text=True))
    on_missions_again = menu_of(client.get("/admin/missions/").get_data(as_text=True))

    assert [url for active, url, _ in on_missions if active] == ["/admin/missions/"]
    assert [url for active, url, _ in on_clients if active] == ["/admin/clients/"]
    assert on_missions_again == on_missions


def test_an_account_page_shows_the_menu_with_no_page_active(client, login_as):
    login_as(RoleName.PARTNER)
    on_missions = menu_of(client.get("/admin/missions/").get_data(as_text=True))
    on_change_password = menu_of(client.get("/change").get_data(as_text=True))

    assert [url for active, url, _ in on_change_password if active] == []
    assert [url for _, url, _ in on_change_password] == [url for _, url, _ in on_missions]


def test_accounts_that_may_open_the_same_pages_share_one_menu(app, client, make_account):
    log_in(client, make_account(RoleName.PARTNER))
    other_partner = app.test_client()
    log_in(other_partner, make_account(RoleName.PARTNER))
    menu_cache._rendered.clear()
    first = client.get("/admin/missions/").get_data(as_text=True)
    second = other_partner.get("/admin/missions/").get_data(as_text=True)

    assert menu_of(first) == menu_of(second)
    assert kept_menus() == 1


def test_the_menu_speaks_the_pages_language(client, login_as):
    login_as(RoleName.PARTNER)
    english = menu_of(client.get("/admin/").get_data(as_text=True))
    french = menu_of(
        client.get("/admin/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    )

    assert "Reports" in [name for _, _, name in english]
    assert "Rapports" in [name for _, _, name in french]
    assert [url for _, url, _ in french] == [url for _, url, _ in english]


def test_a_page_seen_again_the_same_way_reuses_its_menu(client, login_as):
    login_as(RoleName.PARTNER)
    menu_cache._rendered.clear()
    client.get("/admin/")
    client.get("/admin/")
    after_one_page = kept_menus()
    client.get("/admin/clients/")

    assert after_one_page == 1
    assert kept_menus() == 2


def test_the_kept_menus_are_bounded(client, login_as, monkeypatch):
    monkeypatch.setattr(menu_cache, "MENU_CACHE_SIZE", 2)
    login_as(RoleName.PARTNER)
    for page in ("/admin/", "/admin/clients/", "/admin/missions/"):
        assert menu_of(client.get(page).get_data(as_text=True))

    assert kept_menus() <= 2
