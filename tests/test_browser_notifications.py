"""In a real browser: a shop's bell shows the notifications an admin's missions made, leads to
their page, and its count goes down with "Mark as read", then to none with "Mark all as read"."""

from __future__ import annotations

import pytest

from admin_app.data.models import User
from admin_app.domain.missions import open_mission
from admin_app.extensions import db
from tests.browser_support import log_in_with_cookie, new_context, playwright_api

LABELS = {
    "en": ("Notifications: 2 unread", "Notifications: none unread", "Mark as read",
           "Mark all as read"),
    "fr": ("Notifications : 2 non lues", "Notifications : aucune non lue", "Marquer comme lu",
           "Tout marquer comme lu"),
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "fr"])
def test_bell_count_goes_down_after_mark_as_read_and_mark_all_as_read(
    app, live_server, browser, world, language
):
    expect = playwright_api().expect
    two_unread, none_unread, mark_one, mark_all = LABELS[language]
    with app.app_context():
        admin = db.session.get_one(User, world.admin.id)
        for _ in range(3):
            open_mission(world.a_client, admin)
    context, watch = new_context(browser, language)
    page = context.new_page()
    log_in_with_cookie(context, live_server, app, world.staff_a, language)

    page.goto(f"{live_server}/admin/missions/")
    bell = page.locator("[data-testid=bell]")
    expect(bell.locator("[data-testid=bell-count]")).to_have_text("3")
    bell.click()
    page.wait_for_url(f"{live_server}/admin/notifications/")
    expect(page.locator("[data-testid=unread]")).to_have_count(3)

    page.get_by_role("button", name=mark_one, exact=True).first.click()
    expect(bell.locator("[data-testid=bell-count]")).to_have_text("2")
    expect(bell).to_have_attribute("aria-label", two_unread)
    expect(page.locator("[data-testid=unread]")).to_have_count(2)

    page.get_by_role("button", name=mark_all, exact=True).click()
    expect(bell.locator("[data-testid=bell-count]")).to_have_count(0)
    expect(bell).to_have_attribute("aria-label", none_unread)
    expect(page.locator("[data-testid=unread]")).to_have_count(0)
    expect(page.get_by_role("button", name=mark_all, exact=True)).to_have_count(0)
    context.close()
    watch.assert_clean()
