"""Attachments in a real browser: a partner attaches a PNG on a mission's page and sees its
thumbnail drawn (fetched from its own URL, under the page's CSP); a script named .jpg is
refused at the upload field."""

from __future__ import annotations

from tests.attachment_files import png_bytes
from tests.browser_support import log_in_with_cookie, new_context


def test_partner_attaches_a_png_and_sees_its_thumbnail(app, live_server, browser, world):
    context, watch = new_context(browser, "en")
    log_in_with_cookie(context, live_server, app, world.partner_a)
    page = context.new_page()
    page.goto(f"{live_server}/admin/missions/details/?id={world.a_mission}")
    assert page.locator("[data-testid=no-attachments]").is_visible()

    page.set_input_files(
        "#attachment-file",
        {"name": "counter-photo.png", "mimeType": "image/png", "buffer": png_bytes((800, 600))},
    )
    page.click("[data-testid=attachment-form] [type=submit]")
    page.wait_for_selector("text=counter-photo.png is attached.")

    thumbnail = page.locator("img.attachment-thumbnail")
    thumbnail.wait_for()
    page.wait_for_function("document.querySelector('img.attachment-thumbnail').complete")
    drawn = thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert drawn == [240, 180]
    row = page.locator("[data-testid=attachment]").inner_text()
    assert "counter-photo.png" in row and world.partner_a.email in row

    page.set_input_files(
        "#attachment-file",
        {"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": b"#!/bin/sh\necho hi\n"},
    )
    page.click("[data-testid=attachment-form] [type=submit]")
    error = page.locator("[data-testid=attachment-error]").inner_text()
    assert "Only JPEG, PNG and WebP images and PDF documents are accepted" in error
    assert page.locator("[data-testid=attachment]").count() == 1
    context.close()
    watch.assert_clean()
