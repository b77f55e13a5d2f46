"""What browser tests share: the app served over real HTTP, Chromium through Playwright, logging
in as an account, a watch that collects console errors and Content-Security-Policy violations,
the pages each role can visit, and the words a page shows a reader.

Registered as a pytest plugin by ``conftest.py``: the fixtures ``live_server`` and ``browser``
are available to every test; Playwright is imported only when a browser test runs, and a
missing Playwright or Chromium skips those tests with the reason.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
from flask import Flask

from admin_app.data.models import RoleName
from tests.conftest import Account, World, log_in, serve, totp_code
from tools.check_translations import english_words

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Makes each Content-Security-Policy violation a console error, with what was blocked.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


def playwright_api() -> Any:
    """Playwright's sync API, or a skip when Playwright or Chromium is missing."""
    api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: browser tests skipped")
    return api


@pytest.fixture
def live_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test app served over real HTTP on a free local port, its dashboard refreshing every
    half second; its base URL."""
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_SECONDS", 0.5)
    with serve(app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium for this test."""
    api = playwright_api()
    with api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageWatch:
    """Everything a browser context reports as going wrong: console errors (failed loads and
    CSP violations among them) and uncaught script errors, each with the page it happened on."""

    problems: list[str] = field(default_factory=list)

    @classmethod
    def on(cls, context: Any) -> PageWatch:
        watch = cls()
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", watch._console)
        context.on("weberror", lambda error: watch.problems.append(f"script error: {error.error}"))
        return watch

    def _console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.problems.append(
                f"console error on {message.page.url if message.page else where}: {message.text}"
            )

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def new_context(browser: Any, language: str = "en") -> tuple[Any, PageWatch]:
    """A browser context in ``language`` (Paris time, a 1366 px wide window) and its watch."""
    locale = {"en": "en-GB", "fr": "fr-FR"}[language]
    context = browser.new_context(
        locale=locale, timezone_id="Europe/Paris", viewport={"width": 1366, "height": 800}
    )
    return context, PageWatch.on(context)


def submit_login(page: Any, base_url: str, account: Account) -> None:
    """The password step, as a person would do it."""
    page.goto(f"{base_url}/login")
    page.fill("form[name=login_user_form] input[name=email]", account.email)
    page.fill("form[name=login_user_form] input[name=password]", account.password)
    page.click("form[name=login_user_form] [type=submit]")
    page.wait_for_load_state()


def log_in_browser(page: Any, base_url: str, account: Account, app: Flask) -> None:
    """Log in through the login form, with the authenticator's code when the account has one;
    ends on the dashboard."""
    submit_login(page, base_url, account)
    if account.totp_secret:
        page.fill(
            "form[name=two_factor_verify_code_form] input[name=code]",
            totp_code(app, account.totp_secret),
        )
        page.click("form[name=two_factor_verify_code_form] [type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def log_in_with_cookie(
    context: Any,
    base_url: str,
    app: Flask,
    account: Account,
    language: str = "en",
    landing: str = "/admin/",
) -> None:
    """Give the browser a session opened through the login form by the test client: the same
    login, a second faster than typing it (sessions live in the database both share). The
    messages it leaves for the next page are in ``language``, the browser's."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    log_in(client, account, landing=landing)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def log_out_browser(page: Any, base_url: str) -> None:
    """Click the menu bar's "Log out"; ends on the login page."""
    page.click("[data-testid=log-out] [type=submit]")
    page.wait_for_url(f"{base_url}/login")


@dataclass(frozen=True)
class PanelPage:
    """A page a role can visit: its name in reports, its path, and whether it is the modal
    that the first modal link on that path opens."""

    name: str
    path: str
    opens_modal: bool = False


def account_of(world: World, role: RoleName) -> Account:
    return {
        RoleName.PARTNER: world.partner_a,
        RoleName.ADMIN: world.admin,
        RoleName.SUPPORT: world.support,
        RoleName.STAFF: world.staff_a,
    }[role]


def pages_for(role: RoleName, world: World) -> list[PanelPage]:
    """Every page ``role`` can reach in ``world`` (partner: partner A, who owns the rows named;
    staff: partner A's)."""
    client, mission = world.a_client, world.a_mission
    pages = [
        PanelPage("dashboard", "/admin/"),
        PanelPage("board", "/admin/board/"),
        PanelPage("clients", "/admin/clients/"),
        PanelPage("client details", f"/admin/clients/details/?id={client}"),
        PanelPage("missions", "/admin/missions/"),
        PanelPage("mission details", f"/admin/missions/details/?id={mission}"),
        PanelPage("search results", "/admin/search/?q=test"),
        PanelPage("reports", "/admin/reports/?period=month"),
        PanelPage("shop profile", f"/admin/shop-profile/?partner={world.partner_a.id}"),
    ]
    if role in (RoleName.PARTNER, RoleName.STAFF, RoleName.ADMIN):
        pages += [
            PanelPage("client edit", f"/admin/clients/edit/?id={client}"),
            PanelPage("new client", "/admin/clients/", opens_modal=True),
            PanelPage("new mission", f"/admin/clients/new-mission/?id={client}"),
            PanelPage(
                "cancel missions",
                f"/admin/missions/cancel/?id={mission}&id={world.a_started_mission}",
            ),
        ]
    if role in (RoleName.PARTNER, RoleName.STAFF, RoleName.ADMIN):
        pages.append(PanelPage("notifications", "/admin/notifications/"))
    if role in (RoleName.PARTNER, RoleName.ADMIN):
        pages += [
            PanelPage("API keys", "/admin/api-keys/"),
            PanelPage("new API key", "/admin/api-keys/new/"),
        ]
    if role is RoleName.PARTNER:
        pages += [
            PanelPage("staff", "/admin/staff/"),
            PanelPage("new staff account", "/admin/staff/new/"),
            PanelPage(
                "staff password reset", f"/admin/staff/reset-password/?id={world.staff_a.id}"
            ),
        ]
    if role is RoleName.ADMIN:
        pages += [
            PanelPage("accounts", "/admin/accounts/"),
            PanelPage("account edit", f"/admin/accounts/edit/?id={world.partner_b.id}"),
            PanelPage("new account", "/admin/accounts/new/"),
            PanelPage("audit log", "/admin/audit/"),
            PanelPage("merge clients", f"/admin/clients/merge/?id={client}"),
            PanelPage("services", "/admin/services/"),
            PanelPage("new service type", "/admin/services/new/"),
            PanelPage("failed messages", "/admin/failed-messages/"),
        ]
    return pages + [
        PanelPage("change password", "/change"),
        PanelPage("confirm password", "/verify"),
        PanelPage("two-factor set-up", "/tf-setup"),
        PanelPage("recovery codes", "/mf-recovery-codes"),
    ]


def visit(page: Any, base_url: str, panel_page: PanelPage) -> None:
    page.goto(f"{base_url}{panel_page.path}")
    if panel_page.opens_modal:
        page.locator("[data-toggle=modal]").first.click()
        page.wait_for_selector(".modal-content form")


#: The words a page shows a reader: its text, the dropdowns it opens, the tooltips, the labels
#: read aloud, placeholders, button values and the questions it asks before deleting.
READER_TEXT = """
() => {
  const texts = [document.title, document.body.innerText];
  for (const menu of document.querySelectorAll(".dropdown-menu")) texts.push(menu.textContent);
  for (const element of document.querySelectorAll(
      "[aria-label], [title], [placeholder], [alt], [data-confirm], input[type=submit]")) {
    for (const name of ["aria-label", "title", "placeholder", "alt", "data-confirm"]) {
      if (element.hasAttribute(name)) texts.push(element.getAttribute(name));
    }
    if (element.matches("input[type=submit]")) texts.push(element.value);
  }
  return texts.join("\\n");
}
"""


def reader_text(page: Any) -> str:
    return page.evaluate(READER_TEXT)


@cache
def english_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """A pattern for each message the panel can show whose French differs from its English
    (placeholders match any text on the line); messages without a word of their own are left
    out, their punctuation alone would match French text."""
    patterns = []
    for english in english_words():
        literal = PLACEHOLDER.split(english)
        if not any(re.search(r"[A-Za-z]{2}", part) for part in literal):
            continue
        body = r"[^\n]+?".join(re.escape(part) for part in literal)
        start = r"\b" if english[:1].isalnum() else ""
        end = r"\b" if english[-1:].isalnum() else ""
        patterns.append((english, re.compile(start + body + end)))
    return patterns


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def english_on(text: str) -> list[str]:
    """The English messages found in ``text`` (the catalogs' English, where French differs)."""
    return [english for english, pattern in english_patterns() if pattern.search(text)]
