"""One flow in a real browser (Chromium driven by Playwright) against a real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from admin_app.models import RoleName
from tests.conftest import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}: browser tests skipped", allow_module_level=True)

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app, monkeypatch) -> Iterator[str]:
    """The test app served over real HTTP, its dashboard refreshing every half second."""
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_SECONDS", 0.5)
    with serve(app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def figure(page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').inner_text()


def test_partner_registers_a_client_and_works_its_mission(live_server, browser, make_account):
    partner = make_account(RoleName.PARTNER)
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    violations: list[str] = []
    context.on("console", lambda message: _record_violation(message.text, violations))
    page = context.new_page()

    page.goto(f"{live_server}/admin/")
    page.fill("input[name=email]", partner.email)
    page.fill("input[name=password]", partner.password)
    page.click("[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    assert (figure(page, "active"), figure(page, "completed")) == ("0", "0")

    page.goto(f"{live_server}/admin/clients/")
    page.get_by_role("link", name="New walk-in client").first.click()
    modal = page.locator("#fa_modal_window")
    modal.locator("input[name=first_name]").fill("Zoé")
    modal.locator("input[name=last_name]").fill("Martin")
    modal.locator("input[name=email]").fill("zoe.martin@example.com")
    modal.locator("input[name=phone]").fill("06 11 22 33 44")
    modal.locator("[type=submit]").first.click()
    page.wait_for_selector("text=Zoé Martin is registered.")

    dashboard = context.new_page()
    dashboard.goto(f"{live_server}/admin/")
    assert (figure(dashboard, "active"), figure(dashboard, "clients")) == ("1", "1")

    page.click("text=Open the new mission")
    page.click("button[data-action=start]")
    page.wait_for_selector("text=1 mission started.")
    page.click("button[data-action=complete]")
    page.wait_for_selector("text=1 mission completed.")

    # No reload: the page's own script fetches the new figures.
    sync_api.expect(dashboard.locator('[data-figure="completed"]')).to_have_text(
        "1", timeout=10_000
    )
    assert figure(dashboard, "active") == "0"
    assert "Completed" in dashboard.locator("#latest-missions").inner_text()
    context.close()
    assert violations == [], "\n".join(violations)


def _record_violation(text: str, violations: list[str]) -> None:
    """The panel must work under its Content-Security-Policy without a single violation."""
    if "Content Security Policy" in text:
        violations.append(text)
