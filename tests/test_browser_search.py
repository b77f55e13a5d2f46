"""In a real browser: the menu's search box on a panel page, typed into and sent with Enter,
shows the clients and missions found, grouped, and opens a mission from them."""

from __future__ import annotations

import pytest

from admin_app.data.models import RoleName
from tests.browser_support import log_in_browser, new_context, playwright_api
from tests.conftest import register_client


@pytest.mark.parametrize("language", ["en", "fr"])
def test_partner_finds_a_mission_from_the_menu_box_and_opens_it(
    app, live_server, browser, make_account, language
):
    expect = playwright_api().expect
    partner, other = make_account(RoleName.PARTNER), make_account(RoleName.PARTNER)
    with app.app_context():
        _, zoe_mission = register_client(partner.id, "Zoé", last_name="Lambert")
        register_client(partner.id, "Hugo", last_name="Petit")
        register_client(other.id, "Zoé", last_name="Lambertin")
    context, watch = new_context(browser, language)
    page = context.new_page()
    log_in_browser(page, live_server, partner, app)

    page.goto(f"{live_server}/admin/clients/")
    page.fill("#menu-search-box", "lamb")
    page.press("#menu-search-box", "Enter")

    page.wait_for_url(f"{live_server}/admin/search/?q=lamb")
    clients = page.locator("[data-group=clients] tbody tr")
    missions = page.locator("[data-group=missions] tbody tr")
    expect(clients).to_have_count(1)
    expect(missions).to_have_count(1)
    assert "Zoé Lambert" in clients.inner_text() and "Lambertin" not in page.content()
    assert page.input_value("#search-page-box") == "lamb"
    page.locator(f"[data-mission='{zoe_mission}'] a").first.click()

    page.wait_for_url(f"{live_server}/admin/missions/details/?id={zoe_mission}")
    assert "Zoé Lambert" in page.content()
    context.close()
    watch.assert_clean()


def test_support_finds_a_mission_by_its_short_id_and_sees_contact_details_masked(
    app, live_server, browser, make_account
):
    expect = playwright_api().expect
    partner, support = make_account(RoleName.PARTNER), make_account(RoleName.SUPPORT)
    with app.app_context():
        register_client(partner.id, "Inès", last_name="Moreau", email="ines@example.org")
        _, mission = register_client(partner.id, "Paul", last_name="Girard")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    log_in_browser(page, live_server, support, app)

    page.fill("#menu-search-box", mission[:8].upper())
    page.press("#menu-search-box", "Enter")
    expect(page.locator("[data-group=missions] tbody tr")).to_have_count(1)
    assert "Paul Girard" in page.locator("[data-group=missions]").inner_text()

    page.fill("#menu-search-box", "moreau")
    page.press("#menu-search-box", "Enter")
    row = page.locator("[data-group=clients] tbody tr")
    expect(row).to_have_count(1)
    assert "i•••@example.org" in row.inner_text() and "ines@example.org" not in page.content()
    context.close()
    watch.assert_clean()
