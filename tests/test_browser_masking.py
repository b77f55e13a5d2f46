"""In a real browser: a support user sees a client's email and phone masked, clicks "Reveal"
and reads them in full; the audit log shows an admin that reveal, under the strict CSP."""

from __future__ import annotations

from admin_app.data.models import RoleName
from tests.browser_support import log_in_with_cookie, new_context, playwright_api
from tests.conftest import register_client

EMAIL = "ines.vasquez-2291@reveal-example.org"


def test_support_reveals_a_clients_email_and_the_audit_log_shows_it(
    app, live_server, browser, make_account
):
    expect = playwright_api().expect
    partner = make_account(RoleName.PARTNER)
    support = make_account(RoleName.SUPPORT)
    with app.app_context():
        client_id, _ = register_client(
            partner.id, "Inès", last_name="Vasquez", email=EMAIL, phone="+33655443322"
        )
    context, watch = new_context(browser, "en")
    log_in_with_cookie(context, live_server, app, support)
    page = context.new_page()

    page.goto(f"{live_server}/admin/clients/details/?id={client_id}")
    details = page.locator("table").first
    expect(details).to_contain_text("i•••@reveal-example.org")
    expect(details).to_contain_text("+33 6•• •• •• 22")
    assert EMAIL not in page.content()
    page.get_by_role("button", name="Reveal email and phone").click()
    page.wait_for_selector("[data-testid=revealed]")
    expect(page.locator("table").first).to_contain_text(EMAIL)
    expect(page.locator("table").first).to_contain_text("+33655443322")
    context.close()
    watch.assert_clean()

    context, watch = new_context(browser, "en")
    log_in_with_cookie(context, live_server, app, make_account(RoleName.ADMIN))
    page = context.new_page()
    page.goto(f"{live_server}/admin/audit/")
    reveals = page.locator("table.model-list tbody tr", has_text="email and phone revealed")
    expect(reveals).to_have_count(1)
    expect(reveals).to_contain_text(support.email)
    assert EMAIL not in page.content()
    context.close()
    watch.assert_clean()
