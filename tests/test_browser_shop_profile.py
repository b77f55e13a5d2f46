"""The shop profile in a real browser: a partner fills it in with a logo, saves, and sees the
saved details and the logo drawn (fetched from its own URL, under the page's CSP); a wrong
field is named there with the rest kept."""

from __future__ import annotations

from tests.attachment_files import png_bytes
from tests.browser_support import log_in_with_cookie, new_context, playwright_api


def test_partner_fills_in_the_profile_with_a_logo_and_sees_it(app, live_server, browser, world):
    expect = playwright_api().expect
    context, watch = new_context(browser, "en")
    log_in_with_cookie(context, live_server, app, world.partner_a)
    page = context.new_page()
    page.goto(f"{live_server}/admin/shop-profile/")

    page.fill("#legal_name", "Atelier Ève SARL")
    page.fill("#address", "\n".join(f"line {number}" for number in range(7)))
    page.fill("#vat_number", "fr123")
    page.click("[data-testid=shop-profile-form] [type=submit]")
    expect(page.locator("#address + .invalid-feedback")).to_have_text("At most 6 lines.")
    expect(page.locator("#legal_name")).to_have_value("Atelier Ève SARL")

    page.fill("#address", "1 rue de la Paix\n75002 Paris")
    page.set_input_files(
        "#logo", {"name": "logo.png", "mimeType": "image/png", "buffer": png_bytes((300, 100))}
    )
    page.click("[data-testid=shop-profile-form] [type=submit]")
    expect(page.locator("text=The shop profile is saved.")).to_be_visible()
    expect(page.locator("#vat_number")).to_have_value("FR123")
    expect(page.locator("#address")).to_have_value("1 rue de la Paix\n75002 Paris")
    logo = page.locator("[data-testid=current-logo] img")
    logo.wait_for()
    page.wait_for_function("document.querySelector('[data-testid=current-logo] img').complete")
    assert logo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [300, 100]
    context.close()
    watch.assert_clean()
