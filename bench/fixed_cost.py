"""The fixed cost of a request, in-process: what the panel spends on a logged-in request whose
view does nothing (``/_bench/hello``), against a bare Flask app's page, and where it goes.

    python bench/fixed_cost.py --database-url sqlite:////tmp/fixed-cost.db --profile

Both apps are called as WSGI applications on a prepared request (no server, no HTTP parsing),
``--requests`` times after a warm-up; it prints the mean time a request of each and, with
``--profile``, pyinstrument's call tree of the panel's requests.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bare_app import app as bare_app  # noqa: E402
from bench.conflict_load import CSRF  # noqa: E402

WARM_UP = 200
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def panel_settings(database_url: str) -> dict[str, str]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
        "TOTP_SECRET": secrets.token_urlsafe(32),
        "BENCH_PROBES": "1",
    }


def logged_in_panel(database_url: str) -> tuple[WsgiApp, str]:
    """The panel on a small bench database, and the session cookie of a partner logged in."""
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.data.bench_data import BenchSize, fill
    from admin_app.data.models import User
    from admin_app.domain.tally import recount
    from admin_app.extensions import db
    from admin_app.platform.security import ensure_roles

    app = create_app(panel_settings(database_url))
    with app.app_context():
        upgrade()
        ensure_roles()
        made = fill(BenchSize(3, 300, 3000))
        recount()
        email = db.session.get_one(User, made["partners"][0]).email
    client = app.test_client()
    match = CSRF.search(client.get("/login").get_data(as_text=True))
    token = match.group(1) or match.group(2)
    client.post("/login", data={"email": email, "password": made["password"], "csrf_token": token})
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        raise SystemExit("the partner's login did not take")
    return app, f"{cookie.key}={cookie.value}"


def prepared_request(path: str, cookie: str = "") -> dict[str, Any]:
    headers = {"Cookie": cookie} if cookie else {}
    return EnvironBuilder(path=path, headers=headers).get_environ()


def call(app: WsgiApp, environ: dict[str, Any], check: bool = True) -> None:
    """One request; with ``check``, any answer but 200 stops the run."""

    def start_response(status: str, *_: Any) -> None:
        if check and not status.startswith("200"):
            raise SystemExit(f"{environ['PATH_INFO']} answered {status}")

    body = app(dict(environ), start_response)
    b"".join(body)
    getattr(body, "close", lambda: None)()


def mean_ms(app: WsgiApp, environ: dict[str, Any], requests: int) -> float:
    for _ in range(WARM_UP):
        call(app, environ)
    started = time.perf_counter()
    for _ in range(requests):
        call(app, environ)
    return (time.perf_counter() - started) * 1000 / requests


def profile(app: WsgiApp, environ: dict[str, Any], requests: int) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0001)
    with profiler:
        for _ in range(requests):
            call(app, environ)
    return profiler.output_text(unicode=True, show_all=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/walkin-fixed-cost.db")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    if options.database_url.startswith("sqlite:///"):
        Path(options.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    panel, cookie = logged_in_panel(options.database_url)
    panel_page = prepared_request("/_bench/hello", cookie)
    bare = mean_ms(bare_app, prepared_request("/hello"), options.requests)
    logged_in = mean_ms(panel, panel_page, options.requests)
    anonymous = mean_ms(panel, prepared_request("/_bench/hello"), options.requests)
    print(f"bare Flask page:            {bare:.3f} ms")
    print(f"panel's page, anonymous:    {anonymous:.3f} ms ({bare / anonymous:.2f}x bare)")
    print(f"panel's page, logged in:    {logged_in:.3f} ms ({bare / logged_in:.2f}x bare)")
    if options.profile:
        print(profile(panel, panel_page, options.requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
