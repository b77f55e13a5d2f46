"""Where each page's time goes, in-process: the fixed cost of a request (the panel's minimal
page, logged in), the SQL queries, the template rendering, and the rest (building statements,
forms, formatting, Flask-Admin's own work).

    python bench/page_cost.py --database-url sqlite:////tmp/walkin-cost.db --missions 1000000

It builds the database as ``run.py`` does (``--reuse`` keeps one built before, with its
accounts and secrets in ``FILE.accounts.json``, or ``/tmp/DATABASE.accounts.json`` for
PostgreSQL), logs in a partner, an admin and a support account, and calls the app as a WSGI
application ``--requests`` times a page after a warm-up; ``--profile PATH --role ROLE`` prints
pyinstrument's profile of that one page instead.
SQL time is measured around the driver's cursor (``before/after_cursor_execute``), rendering
around Flask's ``render_template`` (``before_render_template`` / ``template_rendered``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, before_render_template, template_rendered
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conflict_load import CSRF  # noqa: E402
from bench.fixed_cost import call, prepared_request, profile  # noqa: E402
from bench.run import accounts_for, current_code, pages  # noqa: E402

WARM_UP = 5
ROLES = ("partner", "admin", "support")


@dataclass
class Clock:
    """Time spent in SQL and in rendering since the last ``reset``."""

    sql: float = 0.0
    queries: int = 0
    rendering: float = 0.0
    started: dict[str, float] = field(default_factory=dict)

    def reset(self) -> None:
        self.sql = self.rendering = 0.0
        self.queries = 0

    def listen(self, app: Flask, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._sql_starts)
        event.listen(engine, "after_cursor_execute", self._sql_ends)
        before_render_template.connect(self._render_starts, app, weak=False)
        template_rendered.connect(self._render_ends, app, weak=False)

    def _sql_starts(self, *_: Any) -> None:
        self.started["sql"] = time.perf_counter()

    def _sql_ends(self, *_: Any) -> None:
        self.sql += time.perf_counter() - self.started.pop("sql", time.perf_counter())
        self.queries += 1

    def _render_starts(self, *_: Any, **__: Any) -> None:
        self.started["render"] = time.perf_counter()

    def _render_ends(self, *_: Any, **__: Any) -> None:
        self.rendering += time.perf_counter() - self.started.pop("render", time.perf_counter())


@dataclass
class Cost:
    role: str
    page: str
    total_ms: float
    sql_ms: float
    queries: float
    rendering_ms: float

    def rest_ms(self, fixed_ms: float) -> float:
        return max(self.total_ms - fixed_ms - self.sql_ms - self.rendering_ms, 0.0)


def cookie_of(app: Flask, role: str, accounts: dict[str, str], settings: dict[str, str]) -> str:
    client = app.test_client()
    match = CSRF.search(client.get("/login").get_data(as_text=True))
    token = match.group(1) or match.group(2) if match else ""
    login = {"email": accounts[f"{role}_email"], "password": accounts[f"{role}_password"]}
    answer = client.post("/login", data={**login, "csrf_token": token})
    if "/tf-" in (answer.headers.get("Location") or ""):
        code = current_code(settings["TOTP_SECRET"], accounts["admin_totp_secret"])
        page = client.get(answer.headers["Location"]).get_data(as_text=True)
        match = CSRF.search(page)
        client.post("/tf-validate", data={"code": code, "csrf_token": match.group(1) or ""})
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}" if cookie else ""


@contextmanager
def measured(clock: Clock) -> Iterator[list[float]]:
    clock.reset()
    elapsed: list[float] = []
    started = time.perf_counter()
    yield elapsed
    elapsed.append(time.perf_counter() - started)


def page_cost(app: Flask, clock: Clock, role: str, path: str, headers: dict[str, str],
              requests: int) -> Cost:  # fmt: skip
    environ = prepared_request(path, headers.get("Cookie", ""))
    if "Authorization" in headers:
        environ["HTTP_AUTHORIZATION"] = headers["Authorization"]
        environ.pop("HTTP_COOKIE", None)
    for _ in range(WARM_UP):
        call(app, environ, check=False)
    with measured(clock) as elapsed:
        for _ in range(requests):
            call(app, environ, check=False)
    per = 1000 / requests
    return Cost(role, path, round(elapsed[0] * per, 2), round(clock.sql * per, 2),
                round(clock.queries / requests, 1), round(clock.rendering * per, 2))  # fmt: skip


def costs(app: Flask, clock: Clock, settings: dict[str, str], accounts: dict[str, str],
          requests: int) -> list[Cost]:  # fmt: skip
    measured_costs = []
    for role in ROLES:
        cookie = cookie_of(app, role, accounts, settings)
        token = accounts.get(f"{role}_api_token", "")
        for _, path, method, _ in pages(accounts, role):
            if method != "GET":
                continue
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            headers.setdefault("Cookie", cookie)
            measured_costs.append(page_cost(app, clock, role, path, headers, requests))
    return measured_costs


def table(results: list[Cost]) -> str:
    fixed = {r.role: r.total_ms for r in results if r.page == "/_bench/hello"}
    lines = [
        "| role | page | total ms | fixed ms | SQL ms (queries) | rendering ms | rest ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        base = fixed.get(r.role, 0.0)
        lines.append(
            f"| {r.role} | `{r.page}` | {r.total_ms} | {base} | {r.sql_ms} ({r.queries:g}) | "
            f"{r.rendering_ms} | {r.rest_ms(base):.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/walkin-cost.db")
    parser.add_argument("--missions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--profile", metavar="PATH", help="profile this page (pyinstrument)")
    parser.add_argument("--role", choices=ROLES, default="partner", help="who asks --profile")
    options = parser.parse_args()
    from admin_app import create_app
    from admin_app.extensions import db

    settings, accounts = accounts_for(options.database_url, options.missions, options.reuse)
    app = create_app({"SQLALCHEMY_DATABASE_URI": options.database_url, **settings})
    clock = Clock()
    with app.app_context():
        clock.listen(app, db.engine)
    if options.profile:
        cookie = cookie_of(app, options.role, accounts, settings)
        print(profile(app, prepared_request(options.profile, cookie), options.requests))
        return 0
    print(table(costs(app, clock, settings, accounts, options.requests)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
