"""One flow in a real browser (Chromium driven by Playwright) against a real server."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from admin_app.data.models import Mission, RoleName, User
from admin_app.domain.missions import start_mission
from admin_app.extensions import db
from tests.browser_support import log_in_browser, new_context, playwright_api
from tests.conftest import register_client


def figure(page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').inner_text()


def test_partner_registers_a_client_and_works_its_mission(app, live_server, browser, make_account):
    expect = playwright_api().expect
    partner = make_account(RoleName.PARTNER)
    context, watch = new_context(browser, "en")
    page = context.new_page()

    log_in_browser(page, live_server, partner, app)
    assert (figure(page, "active"), figure(page, "completed")) == ("0", "0")

    page.goto(f"{live_server}/admin/clients/")
    page.get_by_role("link", name="New walk-in client").first.click()
    modal = page.locator("#fa_modal_window")
    modal.locator("input[name=first_name]").fill("Zoé")
    modal.locator("input[name=last_name]").fill("Martin")
    modal.locator("input[name=email]").fill("zoe.martin@example.com")
    modal.locator("input[name=phone]").fill("06 11 22 33 44")
    modal.locator("[type=submit]").first.click()
    page.wait_for_selector("text=Zoé Martin is registered.")

    dashboard = context.new_page()
    dashboard.goto(f"{live_server}/admin/")
    assert (figure(dashboard, "active"), figure(dashboard, "clients")) == ("1", "1")

    page.click("text=Open the new mission")
    page.click("button[data-action=start]")
    page.wait_for_selector("text=1 mission started.")
    page.click("button[data-action=complete]")
    page.wait_for_selector("text=1 mission completed.")

    # No reload: the page's own script fetches the new figures.
    expect(dashboard.locator('[data-figure="completed"]')).to_have_text("1", timeout=10_000)
    assert figure(dashboard, "active") == "0"
    assert "Completed" in dashboard.locator("#latest-missions").inner_text()
    context.close()
    watch.assert_clean()


def test_first_panel_page_after_logging_in_shows_times_in_the_browsers_zone(
    app, live_server, browser, make_account
):
    """The zone comes from the login page, before the first panel page is drawn (the dashboard
    showed UTC until its first refresh)."""
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        _, mission_id = register_client(partner.id, "Zoé")
        opened = db.session.get_one(Mission, mission_id).created_at
    in_paris = opened.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
    in_utc = opened.astimezone(UTC).strftime("%H:%M")
    context, watch = new_context(browser, "fr")  # Europe/Paris, a browser never seen before
    page = context.new_page()

    log_in_browser(page, live_server, partner, app)

    shown = page.locator("#latest-missions").inner_text()
    assert in_paris in shown and in_utc not in shown, shown
    context.close()
    watch.assert_clean()


def test_board_start_button_moves_a_card_and_the_board_refreshes_itself(
    app, live_server, browser, make_account
):
    expect = playwright_api().expect
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        _, waiting = register_client(partner.id, "Lina")
        _, other = register_client(partner.id, "Malo")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    log_in_browser(page, live_server, partner, app)

    page.goto(f"{live_server}/admin/board/")
    pending = page.locator('[data-status="pending"]')
    expect(pending.locator(f'[data-mission="{waiting}"]')).to_be_visible()
    pending.locator(f'[data-mission="{waiting}"] button[data-action=start]').click()
    page.wait_for_selector("text=1 mission started.")
    in_progress = page.locator('[data-status="in_progress"]')
    expect(in_progress.locator(f'[data-mission="{waiting}"]')).to_be_visible()

    with app.app_context():
        start_mission(other, db.session.get_one(User, partner.id))
    # No reload: the page's own script fetches the columns again.
    expect(in_progress.locator(f'[data-mission="{other}"]')).to_be_visible(timeout=10_000)
    expect(page.locator('[data-status="pending"] .board-empty')).to_have_text("No mission waiting.")


def test_partner_typing_a_known_phone_is_offered_the_existing_client(
    app, live_server, browser, make_account
):
    """The duplicate check runs under the CSP in the modal and links to the client's New
    mission page; the client's name goes in as text, never as markup."""
    expect = playwright_api().expect
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        known, _ = register_client(
            partner.id, "Zoé", last_name="Martin", phone="+33611223344", city="<b>Lyon</b>"
        )
    context, watch = new_context(browser, "fr")
    page = context.new_page()
    log_in_browser(page, live_server, partner, app)

    page.goto(f"{live_server}/admin/clients/")
    page.locator("a[data-target='#fa_modal_window']").first.click()
    modal = page.locator("#fa_modal_window")
    modal.locator("input[name=first_name]").fill("Zoe")
    modal.locator("input[name=phone]").fill("06 11 22 33 44")

    warning = modal.locator("[data-testid=duplicates]")
    expect(warning).to_contain_text("Déjà client ? Ouvrez-lui une nouvelle mission", timeout=10_000)
    expect(warning).to_contain_text("Zoé Martin")
    expect(warning).to_contain_text("même téléphone")
    expect(warning).to_contain_text("<b>Lyon</b>")
    assert warning.locator("b").count() == 0
    offer = warning.get_by_role("link", name="Lui ouvrir une nouvelle mission")
    assert offer.get_attribute("href") == f"/admin/clients/new-mission/?id={known}"

    modal.locator("input[name=phone]").fill("06 99 88 77 66")
    expect(warning).to_be_hidden(timeout=10_000)
    modal.locator("input[name=phone]").fill("06 11 22 33 44")
    offer.click()
    page.wait_for_url(f"**/admin/clients/new-mission/?id={known}")
    expect(page.get_by_test_id("record-title")).to_contain_text("Zoé Martin")
    page.locator("[data-testid=new-mission-form] [type=submit]").click()
    page.wait_for_url("**/admin/missions/details/**")
    context.close()
    watch.assert_clean()
