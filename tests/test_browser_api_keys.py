"""API keys in a real browser: a partner makes a key, copies its token from the page that shows
it once (a reload shows it no more), then revokes the key after confirming; the API refuses it
from then on."""

from __future__ import annotations

from tests.browser_support import log_in_with_cookie, new_context, playwright_api
from tests.conftest import bearer


def test_partner_makes_a_key_copies_it_once_and_revokes_it(
    app, client, live_server, browser, world
):
    expect = playwright_api().expect
    context, watch = new_context(browser, "en")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    log_in_with_cookie(context, live_server, app, world.partner_a)
    page = context.new_page()
    page.bring_to_front()  # the clipboard answers a focused page only
    page.goto(f"{live_server}/admin/")

    page.get_by_role("link", name="API keys").click()
    expect(page.locator("[data-testid=no-api-key]")).to_be_visible()
    page.click("[data-testid=new-api-key]")
    page.fill("#name", "Door tablet")
    page.get_by_label("Read only").check()
    page.click("[data-testid=api-key-form] [type=submit]")
    token = page.locator("[data-testid=api-token]").input_value()
    page.wait_for_load_state()  # the copy button works once the panel's script has run
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token
    url = f"/api/v1/missions/{world.a_mission}"
    assert client.get(url, headers=bearer(token)).status_code == 200

    page.reload()
    expect(page.locator("text=is shown only once")).to_be_visible()
    assert token not in page.content()
    row = page.locator("[data-testid=api-keys] tbody tr")
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text("Never")  # the API call above used it

    row.get_by_role("link", name="Revoke").click()
    expect(page.locator("[data-testid=api-key-revoke]")).to_contain_text("Door tablet")
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.locator("text=is revoked: apps using it are refused")).to_be_visible()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("link", name="Revoke")).to_have_count(0)
    assert client.get(url, headers=bearer(token)).status_code == 401
    context.close()
    watch.assert_clean()
