"""Every page of every role in a real browser, in French: no English word of the catalogs, no
console error, no Content-Security-Policy violation, and its "Log out" button logs out."""

from __future__ import annotations

import pytest

from admin_app.models import RoleName
from tests.browser_support import (
    account_of,
    english_on,
    log_in_with_cookie,
    log_out_browser,
    new_context,
    pages_for,
    reader_text,
    visit,
)


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN, RoleName.SUPPORT])
def test_each_french_page_shows_no_english_and_logs_out(
    app, live_server, browser, world, make_account, role
):
    context, watch = new_context(browser, "fr")
    page = context.new_page()
    findings, still_logged_in = [], []

    for panel_page in pages_for(role, world):
        # A new admin each time: an admin's password step counts against the failed-login limit.
        account = make_account(role) if role is RoleName.ADMIN else account_of(world, role)
        log_in_with_cookie(context, live_server, app, account, "fr")
        visit(page, live_server, panel_page)
        assert page.evaluate("document.documentElement.lang") == "fr", panel_page.name
        findings += [f"{panel_page.name}: {words!r}" for words in english_on(reader_text(page))]
        if not panel_page.opens_modal:  # a modal has no menu bar of its own
            log_out_browser(page, live_server)
            page.goto(f"{live_server}/admin/")
            if not page.url.startswith(f"{live_server}/login"):
                still_logged_in.append(panel_page.name)
    context.close()

    assert findings == [], "\n".join(findings)
    assert still_logged_in == []
    watch.assert_clean()
