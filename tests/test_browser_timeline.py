"""In a real browser: the batch action "Cancel" asks a reason on its page, then the mission's
timeline shows the cancellation and a note added from the page, under the strict CSP."""

from __future__ import annotations

from admin_app.data.models import RoleName
from tests.browser_support import log_in_browser, new_context, playwright_api
from tests.conftest import register_client


def test_partner_cancels_two_missions_with_a_reason_then_adds_a_note(
    app, live_server, browser, make_account
):
    expect = playwright_api().expect
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        _, zoe = register_client(partner.id, "Zoé", last_name="Martin")
        register_client(partner.id, "Hugo", last_name="Petit")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    log_in_browser(page, live_server, partner, app)

    page.goto(f"{live_server}/admin/missions/")
    page.locator("input.action-rowtoggle").check()
    page.get_by_text("With selected").click()
    page.locator("[data-batch-action=cancel]").click()
    page.wait_for_selector("[data-testid=cancel-form]")
    assert "Zoé Martin" in page.content() and "Hugo Petit" in page.content()
    page.select_option("select[name=reason]", "no_show")
    page.fill("textarea[name=note]", "Waited an hour")
    page.get_by_role("button", name="Cancel these 2 missions").click()
    page.wait_for_selector("text=2 missions cancelled.")
    assert page.url.startswith(f"{live_server}/admin/missions/")

    page.goto(f"{live_server}/admin/missions/details/?id={zoe}")
    page.fill("#note-text", "Will call <tomorrow>\nif still free")
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_selector("text=Note added.")
    timeline = page.locator("[data-testid=timeline] tbody tr")
    expect(timeline).to_have_count(3)
    assert "Will call <tomorrow>" in timeline.nth(0).inner_text()
    assert "Cancelled — no-show: Waited an hour" in timeline.nth(1).inner_text()
    assert "Mission opened" in timeline.nth(2).inner_text()
    assert "No-show" in page.locator("table").first.inner_text()
    context.close()
    watch.assert_clean()
