"""Signing in and out in a real browser: two-factor authentication from an admin's first login
to the use of a recovery code, and logging out in the middle of setting it up (every other
page's "Log out" is clicked by test_browser_french.py)."""

from __future__ import annotations

import re

from admin_app.data.models import RoleName
from tests.browser_support import (
    english_on,
    log_in_with_cookie,
    log_out_browser,
    new_context,
    reader_text,
    submit_login,
)
from tests.conftest import code_for_key

CODE_FORM = "form[name=two_factor_verify_code_form]"


def test_two_factor_from_first_login_to_recovery_code_in_french(
    app, live_server, browser, make_account
):
    """In French, so that every page on the way also shows no English word."""
    admin = make_account(RoleName.ADMIN, two_factor=False)
    context, watch = new_context(browser, "fr")
    page = context.new_page()
    english_words: list[str] = []

    def at(path: str) -> None:
        """Wait for ``path`` (whatever its query), and note the English words it shows."""
        page.wait_for_url(re.compile(re.escape(f"{live_server}{path}") + r"(\?.*)?$"))
        english_words.extend(f"{path}: {words}" for words in english_on(reader_text(page)))

    page.goto(f"{live_server}/login")
    at("/login")
    submit_login(page, live_server, admin)
    at("/tf-setup")
    assert page.locator("#qrcode").is_visible() and page.locator("input[type=radio]").count() == 0
    key = page.inner_text("[data-testid=totp-key]")
    page.fill(f"{CODE_FORM} input[name=code]", code_for_key(key))
    page.click(f"{CODE_FORM} [type=submit]")

    at("/mf-recovery-codes")
    codes = page.locator("[data-testid=recovery-codes] code").all_inner_texts()
    assert len(codes) == 5 and page.locator(".alert-success").count() == 1
    page.goto(f"{live_server}/admin/")
    at("/mf-recovery-codes")  # the panel waits until the codes are kept
    page.check("#kept")
    page.click("form[name=recovery_codes_kept_form] [type=submit]")
    at("/admin/")
    log_out_browser(page, live_server)

    submit_login(page, live_server, admin)
    at("/tf-validate")
    page.fill(f"{CODE_FORM} input[name=code]", code_for_key(key, steps_ahead=1))
    page.click(f"{CODE_FORM} [type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    log_out_browser(page, live_server)

    for attempt in ("first", "again"):
        submit_login(page, live_server, admin)
        page.click("[data-testid=use-recovery-code]")
        at("/mf-recovery")
        page.fill("form[name=mf_recovery_form] input[name=code]", codes[0])
        page.click("form[name=mf_recovery_form] [type=submit]")
        if attempt == "first":
            page.wait_for_url(f"{live_server}/admin/")
            log_out_browser(page, live_server)
    page.wait_for_selector(".invalid-feedback")  # a recovery code works once
    context.close()

    assert english_words == [], "\n".join(english_words)
    watch.assert_clean()


def test_an_admin_setting_up_two_factor_can_log_out(app, live_server, browser, make_account):
    context, watch = new_context(browser)
    page = context.new_page()

    for path in ("/tf-setup", "/change", "/mf-recovery-codes", "/verify"):
        admin = make_account(RoleName.ADMIN, two_factor=False)
        log_in_with_cookie(context, live_server, app, admin, landing="/tf-setup")
        page.goto(f"{live_server}{path}")
        log_out_browser(page, live_server)
        page.goto(f"{live_server}/tf-setup")
        assert page.url.startswith(f"{live_server}/login"), path
    context.close()
    watch.assert_clean()
