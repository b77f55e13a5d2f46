"""Take README's screenshots: the panel with its demo data, in English and French, 1366 px wide.

Run ``make screenshots`` (or ``python tools/screenshots.py``). It builds a throw-away SQLite
database with ``flask db upgrade`` and ``flask walkin demo``, serves the panel on a free local
port, and drives Chromium (``/usr/bin/chromium``, Debian's package; Debian's
``fonts-noto-cjk`` draws the demo's Japanese names) through the pages a new user meets: the
login page, the two-factor set-up, the dashboard, the lists and the audit log. The pictures go to
``docs/screenshots/``, named ``<language>-<page>.png``.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from passlib.totp import TOTP
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from admin_app import create_app  # noqa: E402

OUTPUT = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DEMO_LINE = re.compile(r"^\s+(admin|partner|support)\s+(\S+@\S+)\s+(\S+)$", re.M)
LOCALES = {"en": "en-GB", "fr": "fr-FR"}
#: The pages shown after the admin is in, by file name.
PANEL_PAGES = {
    "dashboard": "/admin/",
    "clients": "/admin/clients/",
    "missions": "/admin/missions/",
    "audit-log": "/admin/audit/",
}


@contextmanager
def demo_panel(folder: Path) -> Iterator[tuple[str, dict[str, tuple[str, str]]]]:
    """The panel on a new database with the demo accounts: its URL and, per role, the first
    demo account's email and password (as ``flask walkin demo`` prints them)."""
    database = folder / "demo.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    runner = app.test_cli_runner()
    for command in (["db", "upgrade"], ["walkin", "demo"]):
        result = runner.invoke(args=command)
        if result.exit_code:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{result.output}")
    accounts: dict[str, tuple[str, str]] = {}
    for role, email, password in DEMO_LINE.findall(result.output):
        accounts.setdefault(role, (email, password))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", accounts
    finally:
        server.shutdown()
        thread.join(timeout=10)


def shoot(page: Any, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
    print(f"  {name}.png")


def code_for(key: str, steps_ahead: int = 0) -> str:
    """The authenticator's code now, or ``steps_ahead`` 30-second steps later: accepted one step
    early, which a second login within the step of the first needs (a code logs in once)."""
    totp = TOTP(key=key.replace("-", ""), format="base32")
    return totp.generate(time=time.time() + 30 * steps_ahead).token


def first_login(page: Any, base_url: str, language: str) -> str:
    """The admin's first steps: the QR code and key, one code, the recovery codes kept; the key."""
    page.wait_for_url(f"{base_url}/tf-setup")
    shoot(page, f"{language}-two-factor-set-up")
    key = page.inner_text("[data-testid=totp-key]")
    page.fill("form[name=two_factor_verify_code_form] input[name=code]", code_for(key))
    page.click("form[name=two_factor_verify_code_form] [type=submit]")
    page.check("#kept")
    page.click("form[name=recovery_codes_kept_form] [type=submit]")
    return key


def later_login(page: Any, base_url: str, language: str, key: str) -> None:
    """A login with the authenticator's code; the set-up page as it shows then."""
    page.fill("form[name=two_factor_verify_code_form] input[name=code]", code_for(key, 1))
    page.click("form[name=two_factor_verify_code_form] [type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
    page.goto(f"{base_url}/tf-setup")
    shoot(page, f"{language}-two-factor-set-up")


def tour(
    browser: Any, base_url: str, admin: tuple[str, str], language: str, key: str | None
) -> str:
    """Every page of the tour in ``language``; the admin's authenticator key."""
    context = browser.new_context(
        locale=LOCALES[language],
        timezone_id="Europe/Paris",
        viewport={"width": 1366, "height": 768},
    )
    page = context.new_page()
    page.goto(f"{base_url}/login")
    shoot(page, f"{language}-login")
    page.fill("form[name=login_user_form] input[name=email]", admin[0])
    page.fill("form[name=login_user_form] input[name=password]", admin[1])
    page.click("form[name=login_user_form] [type=submit]")
    page.wait_for_load_state()
    if key is None:
        key = first_login(page, base_url, language)
    else:
        later_login(page, base_url, language, key)
    for name, path in PANEL_PAGES.items():
        page.goto(f"{base_url}{path}")
        shoot(page, f"{language}-{name}")
    context.close()
    return key


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, demo_panel(Path(folder)) as (url, accounts):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            key = None
            for language in LOCALES:
                print(f"{language}:")
                key = tour(browser, url, accounts["admin"], language, key)
            browser.close()


if __name__ == "__main__":
    main()
