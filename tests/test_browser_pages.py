"""Every page of every role in a real browser, in English and in French: no console error, no
Content-Security-Policy violation (the list's dropdowns clicked open too), nothing wider than a
1366 px screen, no English word of the catalogs on a French page, and a "Log out" that logs out.
"""

from __future__ import annotations

from typing import Any

import pytest

from admin_app.data.models import RoleName
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

SCREEN_WIDTH = 1366
#: Elements wider than their box (a list cut on the right), and the page's own width.
OVERFLOWING = """
() => [document.documentElement.scrollWidth,
       [...document.querySelectorAll(".table-responsive, .modal-content, .card")]
         .filter((box) => box.scrollWidth > box.clientWidth + 1)
         .map((box) => box.className)]
"""


def wider_than_the_screen(page: Any) -> list[str]:
    width, cut = page.evaluate(OVERFLOWING)
    problems = [f"{box} is cut" for box in cut]
    return problems + ([f"page is {width} px wide"] if width > SCREEN_WIDTH else [])


def open_each_dropdown(page: Any) -> None:
    """Click every menu of the list (filters, page size, batch actions, export) open and shut:
    a link the CSP blocks would report here."""
    for toggle in page.locator("[data-toggle=dropdown]:visible").all():
        toggle.click()
        page.keyboard.press("Escape")


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    "role", [RoleName.PARTNER, RoleName.STAFF, RoleName.ADMIN, RoleName.SUPPORT]
)
def test_each_page_reads_well_and_logs_out(
    app, live_server, browser, world, make_account, role, language
):
    context, watch = new_context(browser, language)
    page = context.new_page()
    findings, still_logged_in = [], []

    for panel_page in pages_for(role, world):
        # A new admin each time: an admin's password step counts against the failed-login limit.
        account = make_account(role) if role is RoleName.ADMIN else account_of(world, role)
        log_in_with_cookie(context, live_server, app, account, language)
        visit(page, live_server, panel_page)
        assert page.evaluate("document.documentElement.lang") == language, panel_page.name
        if language == "fr":
            findings += [f"{panel_page.name}: {words!r}" for words in english_on(reader_text(page))]
        findings += [f"{panel_page.name}: {problem}" for problem in wider_than_the_screen(page)]
        if panel_page.opens_modal:  # a modal has no menu bar of its own
            continue
        open_each_dropdown(page)
        log_out_browser(page, live_server)
        page.goto(f"{live_server}/admin/")
        if not page.url.startswith(f"{live_server}/login"):
            still_logged_in.append(panel_page.name)
    context.close()

    assert findings == [], "\n".join(findings)
    assert still_logged_in == []
    watch.assert_clean()
