"""In a real browser, in French: a partner registers a client who agrees to emails, in French,
through the registration modal, then reads that consent (who captured it, when) and the
client's language on the client's page, under the strict CSP."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.data.models import Client, RoleName
from admin_app.extensions import db
from tests.browser_support import (
    english_on,
    log_in_with_cookie,
    new_context,
    playwright_api,
    reader_text,
)


def test_partner_registers_a_client_with_consent_in_french_and_sees_it_on_its_page(
    app, live_server, browser, make_account
):
    expect = playwright_api().expect
    partner = make_account(RoleName.PARTNER)
    context, watch = new_context(browser, "fr")
    log_in_with_cookie(context, live_server, app, partner, "fr")
    page = context.new_page()

    page.goto(f"{live_server}/admin/clients/")
    page.locator("[data-toggle=modal]").first.click()
    modal = page.locator("#fa_modal_window")
    modal.locator("input[name=first_name]").fill("Zoé")
    modal.locator("input[name=last_name]").fill("Martin")
    modal.locator("input[name=email]").fill("zoe.martin@example.com")
    modal.locator("input[name=phone]").fill("06 11 22 33 44")
    expect(modal.locator("input[name=email_consent]")).not_to_be_checked()
    modal.locator("select[name=language]").select_option("fr")
    modal.get_by_label("Accepte de recevoir des e-mails sur ses visites").check()
    modal.locator("[type=submit]").first.click()
    page.wait_for_selector(".alert-success")
    with app.app_context():
        client_id = db.session.scalars(select(Client.id)).one()

    page.goto(f"{live_server}/admin/clients/details/?id={client_id}")

    expect(page.locator("table").first).to_contain_text("Français")
    state = page.locator("[data-testid=consent-state]")
    expect(state).to_contain_text("Accepté")
    expect(state).to_contain_text(f"recueilli par {partner.email}")
    expect(page.locator("[data-testid=consent-history] tbody tr")).to_have_count(1)
    expect(page.locator("[data-testid=consent-history]")).to_contain_text("En vigueur")
    assert english_on(reader_text(page)) == []
    context.close()
    watch.assert_clean()
