"""In a real browser, under the strict CSP: a partner issues an invoice from a completed
mission's page (confirming it), reads it, then cancels it by a credit note with a reason; a
partner downloads an invoice as a PDF and finds the client's name and total in it."""

from __future__ import annotations

from pypdf import PdfReader

from admin_app.data.models import RoleName
from tests.browser_support import log_in_browser, new_context
from tests.invoice_support import add_profile, completed_client


def issue_from_the_mission_page(page, live_server: str, mission: str) -> None:
    """Open the completed mission's page, issue its invoice (confirming) and land on it."""
    page.goto(f"{live_server}/admin/missions/details/?id={mission}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Issue invoice").click()
    page.wait_for_selector("[data-testid=invoice]")


def test_partner_issues_an_invoice_then_cancels_it_by_a_credit_note(
    app, live_server, browser, make_account
):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        add_profile(partner.id, "Ателье Ева")
        _, mission = completed_client(partner.id, "Zoé", "24.00", last_name="Martin")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    log_in_browser(page, live_server, partner, app)

    issue_from_the_mission_page(page, live_server, mission)
    assert "is issued." in page.content()
    assert "Ателье Ева" in page.locator("[data-testid=seller]").inner_text()
    assert "Zoé Martin" in page.locator("[data-testid=buyer]").inner_text()
    assert "€24.00" in page.locator("[data-testid=invoice-totals]").inner_text()

    page.fill("#credit-reason", "Billed to the wrong person")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Issue credit note").click()
    page.wait_for_selector("[data-testid=credited-invoice]")
    assert "Billed to the wrong person" in page.locator("[data-testid=credit-reason]").inner_text()
    assert "-€24.00" in page.locator("[data-testid=invoice-totals]").inner_text()
    context.close()
    watch.assert_clean()


def test_partner_downloads_the_invoice_as_a_pdf_in_the_client_s_language(
    app, live_server, browser, make_account, tmp_path
):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        add_profile(partner.id, "Ателье Ева")
        _, mission = completed_client(
            partner.id, "Ελένη", "24.00", last_name="Παπαδοπούλου", language="fr",
            email="eleni@example.com",
        )  # fmt: skip
    context, watch = new_context(browser, "en")
    page = context.new_page()
    log_in_browser(page, live_server, partner, app)
    issue_from_the_mission_page(page, live_server, mission)
    reference = page.locator("[data-testid=reference]").inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    assert download.suggested_filename == f"{reference}.pdf"
    text = "\n".join(sheet.extract_text() for sheet in PdfReader(saved).pages)
    assert "Ελένη Παπαδοπούλου" in text and "Ателье Ева" in text
    assert "Facture" in text and "24,00\xa0€" in text
    context.close()
    watch.assert_clean()
