"""A shop's staff in a real browser: the partner adds a staff member, who logs in with the
password shown once, registers a client and starts its mission; the partner sees who did it,
then deactivates the account, which is logged out at once."""

from __future__ import annotations

from admin_app.data.models import RoleName
from tests.browser_support import new_context, submit_login
from tests.conftest import Account


def test_partner_adds_a_staff_member_who_works_and_is_then_deactivated(
    app, live_server, browser, make_account
):
    partner = make_account(RoleName.PARTNER)
    shop, watch = new_context(browser, "en")
    counter, counter_watch = new_context(browser, "en")
    page, staff_page = shop.new_page(), counter.new_page()
    submit_login(page, live_server, partner)

    page.goto(f"{live_server}/admin/staff/")
    page.get_by_role("link", name="New staff account").first.click()
    page.fill("input[name=email]", "noa@example.com")
    page.locator("form.admin-form [type=submit]").first.click()
    password = page.locator("[data-testid=new-password]").inner_text()

    submit_login(staff_page, live_server, Account(0, "noa@example.com", password))
    staff_page.goto(f"{live_server}/admin/clients/")
    staff_page.get_by_role("link", name="New walk-in client").first.click()
    modal = staff_page.locator("#fa_modal_window")
    for name, value in (
        ("first_name", "Zoé"),
        ("last_name", "Martin"),
        ("email", "zoe.martin@example.com"),
        ("phone", "06 11 22 33 44"),
    ):
        modal.locator(f"input[name={name}]").fill(value)  # fmt: skip
    modal.locator("[type=submit]").first.click()
    staff_page.click("text=Open the new mission")
    staff_page.click("button[data-action=start]")
    staff_page.wait_for_selector("text=1 mission started.")

    page.goto(staff_page.url)  # the mission's page, where the staff member started it
    assert page.locator("[data-testid=timeline]").inner_text().count("noa@example.com") == 2

    page.goto(f"{live_server}/admin/staff/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_selector("text=is deactivated: it is logged out everywhere.")
    staff_page.goto(f"{live_server}/admin/")
    assert staff_page.url.startswith(f"{live_server}/login")
    shop.close()
    counter.close()
    watch.assert_clean()
    counter_watch.assert_clean()
