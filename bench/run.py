"""Page benchmark over real HTTP: gunicorn (production settings, 127.0.0.1 only), logged-in
browsers, every page of the panel, compared with a bare Flask app's page (``bare_app.py``: no
extension, no session) served by the same gunicorn settings in the same run; the panel's own
minimal page (``/_bench/hello``, logged in) is a row of its own, its fixed cost of a request.

    python bench/run.py --database-url postgresql://postgres@127.0.0.1:5432/postgres \
        --missions 10000 1000000 --seconds 2

For each size it builds a fresh database with ``flask walkin bench-data``, then for each page
measures unloaded latency (sequential requests) and, under ``--concurrency`` connections for
``--seconds`` (wrk if installed, else Python threads: see ``load.py``), requests per second and
p50 / p95 / p99 latency; it reads the SQL query count of each page from the server. Pages are
measured in ``--rounds`` interleaved rounds; each reports its median round (``median_round``).
It prints a table per size and, with several sizes, how each page's unloaded p95 grows from the
smallest size to the largest, and writes them as JSON and Markdown into ``--out``. The load
generator runs on the same machine as the server, so absolute figures are modest; the ratio to
the bare page is the figure to compare.

The deep pages are the deepest a list pages to (``LIST_MAX_ROWS``), or its last page if shorter.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conflict_load import free_port, fresh_postgres, server  # noqa: E402
from bench.load import choose, percentile, python_load, wrk_load  # noqa: E402

WARM_UP = 8
#: The yardstick: a bare Flask app's page (``bench/bare_app.py``) on a server of its own.
BARE_APP, BARE_PAGE = "bench.bare_app:app", "/hello"
#: The panel's own minimal page: its fixed cost of a request (session, login, headers).
PANEL_HELLO = "/_bench/hello"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class Result:
    name: str
    page: str
    role: str
    unloaded_p50_ms: float
    unloaded_p95_ms: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    queries: int
    statuses: str
    ratio_to_bare: float = 0.0


class Browser:
    """A logged-in browser: one keep-alive connection and its cookies; under ``/api/`` it
    sends its role's API key and JSON instead (the API reads no cookie)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.csrf = ""
        self.cookies: dict[str, str] = {}
        self.api_token = ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        if path.startswith("/api/"):
            body = json.dumps(form) if form else None
            headers = {"Authorization": f"Bearer {self.api_token}"}
            if body:
                headers["Content-Type"] = "application/json"
        else:
            body = urlencode(form) if form else None
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response, data.decode("utf-8", "replace")

    def token(self, path: str) -> str:
        _, page = self.request("GET", path)
        match = CSRF.search(page)
        return (match.group(1) or match.group(2)) if match else ""

    def clone(self) -> Browser:
        other = Browser(self.port)
        other.cookies = dict(self.cookies)
        other.csrf = self.csrf
        other.api_token = self.api_token
        return other


def log_in(port: int, email: str, password: str, totp: str | None = None) -> Browser:
    browser = Browser(port)
    token = browser.token("/login")
    response, _ = browser.request(
        "POST", "/login", {"email": email, "password": password, "csrf_token": token}
    )
    if totp and "/tf-" in (response.getheader("Location") or ""):
        page = response.getheader("Location")
        browser.request("POST", "/tf-validate", {"code": totp, "csrf_token": browser.token(page)})
    return browser


@dataclass(frozen=True)
class Plan:
    load: str
    seconds: float
    concurrency: int
    samples: int
    settle: float
    rounds: int = 1
    #: The pages to measure by name (the minimal page is always measured); empty: every page.
    only: tuple[str, ...] = ()


def measure(browser: Browser, name: str, page: str, role: str, method: str, form_for,
            plan: Plan) -> Result:  # fmt: skip
    """Unloaded: ``plan.samples`` requests in a row after ``WARM_UP`` unmeasured ones (the
    first request of a page in a worker reads indexes from disk and compiles its template),
    ``plan.settle`` seconds after the previous page's load. Loaded: ``plan.concurrency``
    connections for ``plan.seconds``, from wrk or Python threads (``load.py``)."""
    unloaded, statuses = [], set()
    queries = 0
    time.sleep(plan.settle)
    for sample in range(WARM_UP + plan.samples):
        started = time.perf_counter()
        response, _ = browser.request(method, page, form_for(browser))
        if sample >= WARM_UP:
            unloaded.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status)
        queries = int(response.getheader("X-Query-Count") or 0)
    if plan.load == "wrk":
        url = f"http://127.0.0.1:{browser.port}{page}"
        token = browser.api_token if page.startswith("/api/") else ""
        load = wrk_load(url, method, browser.cookies, form_for(browser), plan.seconds,
                        plan.concurrency, api_token=token)  # fmt: skip
    else:
        connections = threading.local()

        def send() -> int:
            if not hasattr(connections, "browser"):
                connections.browser = browser.clone()
            own = connections.browser
            return own.request(method, page, form_for(own))[0].status

        load = python_load(send, plan.seconds, plan.concurrency)
    failed = f" ({load.failed} failed under load)" if load.failed else ""
    return Result(
        name, page, role, round(statistics.median(unloaded), 1),
        round(percentile(unloaded, 0.95), 1), load.rps, load.p50_ms, load.p95_ms, load.p99_ms,
        queries, ",".join(str(s) for s in sorted(statuses)) + failed,
    )  # fmt: skip


def build(database_url: str, missions: int, settings: dict[str, str]) -> dict[str, str]:
    """Migrate, fill with bench data, and make an admin with a known authenticator secret and a
    support account."""
    from flask_migrate import upgrade
    from flask_security import hash_password
    from sqlalchemy import func, select

    from admin_app import create_app
    from admin_app.data.bench_data import BenchSize, fill
    from admin_app.data.models import Mission, User
    from admin_app.domain.report_rollups import recount_report_days
    from admin_app.domain.tally import recount
    from admin_app.extensions import db, security
    from admin_app.platform.security import ensure_roles

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    with app.app_context():
        upgrade()
        ensure_roles()
        made = fill(BenchSize(100, max(missions // 10, 10), missions))
        recount()
        recount_report_days()
        busiest = db.session.execute(
            select(Mission.partner_id)
            .group_by(Mission.partner_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
        admin_password = secrets.token_urlsafe(16)
        admin = security.datastore.create_user(
            email="bench-admin@walkin.example.com", password=hash_password(admin_password),
            active=True, roles=["admin"], tf_primary_method="authenticator",
            tf_totp_secret=security._totp_factory.generate_totp_secret(),
        )  # fmt: skip
        support_password = secrets.token_urlsafe(16)
        security.datastore.create_user(
            email="bench-support@walkin.example.com", password=hash_password(support_password),
            active=True, roles=["support"],
        )  # fmt: skip
        db.session.commit()
        accounts = {
            **list_sizes(busiest),
            "partner_email": db.session.get_one(User, busiest).email,
            "partner_id": str(busiest),
            "partner_password": made["password"],
            "admin_email": admin.email,
            "admin_password": admin_password,
            "admin_totp_secret": admin.tf_totp_secret,
            "support_email": "bench-support@walkin.example.com",
            "support_password": support_password,
            "mission": db.session.scalar(select(Mission.id).where(Mission.partner_id == busiest)),
            "duplicate_query": duplicate_query(busiest),
            "service_type": str(made["service_types"][1]),
        }
        accounts["withdrawal_token"] = withdrawal_link_token(accounts["mission"])
        attach_samples(accounts["mission"], busiest)
        accounts["invoice"] = issue_samples(busiest)
        accounts["partner_api_token"] = api_token(busiest)
        accounts["admin_api_token"] = api_token(admin.id)
        db.session.remove()
        db.engine.dispose()
    return accounts


def api_token(owner_id: int) -> str:
    """A write key of the account (a partner's for its shop, the admin's for all)."""
    from admin_app.data.models import User
    from admin_app.domain.api_keys import make_api_key
    from admin_app.extensions import db

    owner = db.session.get_one(User, owner_id)
    return make_api_key(owner, owner, "Bench", "write")[1]


#: Photos on the measured mission, so that its page lists attachments with thumbnails.
SAMPLE_ATTACHMENTS = 3


def attach_samples(mission_id: str, partner_id: int) -> None:
    """A few small photos, made here and added through the domain rule (cheap: a few ms)."""
    import io

    from PIL import Image

    from admin_app.data.models import User
    from admin_app.domain.attachments import add_attachment
    from admin_app.extensions import db

    partner = db.session.get_one(User, partner_id)
    for number in range(SAMPLE_ATTACHMENTS):
        photo = io.BytesIO()
        Image.new("RGB", (800, 600), (40 * number, 120, 200)).save(photo, format="JPEG")
        add_attachment(mission_id, partner, f"photo-{number + 1}.jpg", photo.getvalue())


#: Invoices the busiest partner issues, one per completed mission, for the invoice pages.
SAMPLE_INVOICES = 300


def issue_samples(partner_id: int) -> str:
    """The partner's shop profile and ``SAMPLE_INVOICES`` invoices, through the domain rule;
    the id of the last (its page and PDF are measured)."""
    from sqlalchemy import select

    from admin_app.data.invoicing import ShopProfile
    from admin_app.data.models import Mission, MissionStatus, User
    from admin_app.domain.invoices import issue_invoice
    from admin_app.extensions import db

    address = "1 rue du Banc\n75001 Paris"
    db.session.add(ShopProfile(partner_id=partner_id, legal_name="Bench SARL", address=address))
    db.session.commit()
    partner = db.session.get_one(User, partner_id)
    completed = db.session.execute(
        select(Mission.client_id, Mission.id)
        .where(Mission.partner_id == partner_id, Mission.status == MissionStatus.COMPLETED)
        .limit(SAMPLE_INVOICES)
    ).all()
    return [issue_invoice(partner, client, [mission]).id for client, mission in completed][-1]


def withdrawal_link_token(mission_id: str) -> str:
    """The token of the link that the measured mission's client finds in its messages."""
    from admin_app.data.models import Mission
    from admin_app.domain.consent import withdrawal_token
    from admin_app.extensions import db

    return withdrawal_token(db.session.get_one(Mission, mission_id).client_id)


def duplicate_query(partner_id: int) -> str:
    """The duplicate check's parameters for one of the partner's clients, as typed at the
    counter: its phone in local form, another email, its names with a typo, its city."""
    from sqlalchemy import select

    from admin_app.data.models import Client
    from admin_app.extensions import db

    client = db.session.scalars(
        select(Client).where(Client.partner_id == partner_id, Client.city.is_not(None)).limit(1)
    ).one()
    return urlencode({
        "phone": "0" + client.phone.removeprefix("+33"), "email": "someone.else@example.com",
        "first_name": client.first_name, "last_name": client.last_name + "e",
        "city": client.city, "partner": partner_id,
    })  # fmt: skip


def list_sizes(partner_id: int) -> dict[str, int]:
    """How many clients and missions each role's lists hold."""
    from sqlalchemy import func, select

    from admin_app.data.models import Client, Mission
    from admin_app.extensions import db

    sizes = {}
    for model, name in ((Client, "clients"), (Mission, "missions")):
        every = select(func.count()).select_from(model)
        sizes[f"admin_{name}"] = db.session.scalar(every)
        sizes[f"partner_{name}"] = db.session.scalar(every.where(model.partner_id == partner_id))
    return sizes


def deep_page(rows: int, page_size: int = 20) -> int:
    """The deepest page a list pages to, or its last page if it has fewer rows."""
    from admin_app.config import STATIC_SETTINGS

    reachable = STATIC_SETTINGS["LIST_MAX_ROWS"] // page_size - 1
    return max(min(rows // page_size - 1, reachable), 0)


def report_pages() -> list[tuple[str, str, str, object]]:
    """A year's report (percentiles estimated from the roll-ups), a month's (read from the
    period's missions) and a year's CSV, each ending today."""
    today = date.today()
    year = f"period=custom&first={today - timedelta(days=364)}&last={today}"
    month = f"period=custom&first={today - timedelta(days=30)}&last={today}"
    return [
        ("report, year", f"/admin/reports/?{year}", "GET", _no_form),
        ("report, month", f"/admin/reports/?{month}", "GET", _no_form),
        ("report CSV, year", f"/admin/reports/csv?{year}", "GET", _no_form),
    ]


def _no_form(_: Browser) -> None:
    return None


def pages(accounts: dict[str, str], role: str) -> list[tuple[str, str, str, object]]:
    """(name, path, method, form builder) of every measured page."""

    def none(_: Browser) -> None:
        return None

    def registration(browser: Browser) -> dict[str, str]:
        return {"first_name": "Bench", "last_name": "Client", "phone": "06 12 34 56 78",
                "email": f"b{secrets.token_hex(5)}@example.com", "csrf_token": browser.csrf,
                "partner": accounts["partner_id"]}  # fmt: skip

    def api_registration(_: Browser) -> dict[str, str]:
        fields = {"first_name": "Bench", "last_name": "Client", "phone": "06 12 34 56 78",
                  "email": f"b{secrets.token_hex(5)}@example.com"}  # fmt: skip
        return {**fields, "partner_id": int(accounts["partner_id"])} if role == "admin" else fields

    def transition(browser: Browser) -> dict[str, str]:
        return {"id": accounts["mission"], "action": "start", "csrf_token": browser.csrf}

    mission, service = accounts["mission"], accounts["service_type"]
    bare, bare_again = (
        ("bare Flask hello", BARE_PAGE, "GET", none),
        ("bare Flask hello, again", BARE_PAGE, "GET", none),
    )
    hello = ("panel hello", PANEL_HELLO, "GET", none)
    search_box = [
        ("search box", "/admin/search/?q=Martin", "GET", none),
        ("search box, mission id", f"/admin/search/?q={mission[:8]}", "GET", none),
    ]
    if role == "support":
        return [bare, hello, *search_box, bare_again]
    admins_only = [("failed messages", "/admin/failed-messages/", "GET", none)]
    deep_clients = deep_page(int(accounts[f"{role}_clients"]))
    deep_missions = deep_page(int(accounts[f"{role}_missions"]))
    return [
        bare,
        hello,
        ("dashboard", "/admin/", "GET", none),
        ("dashboard JSON", "/admin/figures.json", "GET", none),
        ("clients", "/admin/clients/", "GET", none),
        ("clients, deep page", f"/admin/clients/?page={deep_clients}", "GET", none),
        ("clients, search", "/admin/clients/?search=Martin", "GET", none),
        ("clients, word in a name", "/admin/clients/?search=Lef%C3%A8vre", "GET", none),
        ("clients, phone's last digits", "/admin/clients/?search=12+90", "GET", none),
        ("clients, city filter", "/admin/clients/?flt0_0=Lyon", "GET", none),
        ("missions", "/admin/missions/", "GET", none),
        ("missions, status filter", "/admin/missions/?flt0_0=pending", "GET", none),
        ("missions, service type filter", f"/admin/missions/?flt0_1={service}", "GET", none),
        ("missions, deep page", f"/admin/missions/?page={deep_missions}", "GET", none),
        ("missions, search", "/admin/missions/?search=Martin", "GET", none),
        ("missions, word in a name", "/admin/missions/?search=Lef%C3%A8vre", "GET", none),
        ("missions, phone's last digits", "/admin/missions/?search=12+90", "GET", none),
        *search_box,
        ("mission details", f"/admin/missions/details/?id={mission}", "GET", none),
        ("board", "/admin/board/", "GET", none),
        ("board columns", "/admin/board/columns/", "GET", none),
        (
            "duplicate check",
            f"/admin/clients/duplicates/?{accounts['duplicate_query']}",
            "GET",
            none,
        ),
        ("notifications", "/admin/notifications/", "GET", none),
        *report_pages(),
        ("invoices", "/admin/invoices/", "GET", none),
        ("invoice details", f"/admin/invoices/details/?id={accounts['invoice']}", "GET", none),
        ("invoice PDF", f"/admin/invoices/pdf/{accounts['invoice']}", "GET", none),
        *(admins_only if role == "admin" else []),
        ("withdrawal page", f"/stop-emails/{accounts['withdrawal_token']}", "GET", none),
        ("registration POST", "/admin/clients/new/", "POST", registration),
        ("transition POST", "/admin/missions/transition/", "POST", transition),
        *api_pages(mission, none, api_registration),
        bare_again,
    ]


def api_pages(
    mission: str, none: object, registration: object
) -> list[tuple[str, str, str, object]]:
    """The JSON API's pages, with the role's API key (support has none)."""
    return [
        ("API missions", "/api/v1/missions", "GET", none),
        ("API missions, status filter", "/api/v1/missions?status=pending", "GET", none),
        ("API missions, search", "/api/v1/missions?q=Martin", "GET", none),
        ("API clients", "/api/v1/clients", "GET", none),
        ("API mission", f"/api/v1/missions/{mission}", "GET", none),
        ("API dashboard", "/api/v1/dashboard", "GET", none),
        ("API registration POST", "/api/v1/clients", "POST", registration),
    ]


def chosen_pages(
    accounts: dict[str, str], role: str, only: tuple[str, ...]
) -> list[tuple[str, str, str, object]]:
    """The pages named in ``only`` (all when empty), always with the bare page that the
    ratios are taken against and the panel's minimal page. Support staff have the search
    box's pages only."""
    every = pages(accounts, role)
    if not only:
        return every
    unknown = set(only) - {name for name, *_ in pages(accounts, "admin")}
    if unknown:
        raise SystemExit(f"no such page: {', '.join(sorted(unknown))}")
    return [page for page in every if page[0] in only or page[1] in (BARE_PAGE, PANEL_HELLO)]


def current_code(totp_key: str, secret: str) -> str:
    """The admin's authenticator code of this moment: building a large database takes minutes,
    and a code is accepted one 30 s step either side of its own."""
    from flask_security import Totp

    from admin_app.config import STATIC_SETTINGS

    factory = Totp({"1": totp_key}, STATIC_SETTINGS["SECURITY_TOTP_ISSUER"])
    return factory.generate_totp_password(secret)


def server_settings() -> dict[str, str]:
    """The served app's settings: fresh secrets, no login throttle in the way, query counts."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
        "TOTP_SECRET": secrets.token_urlsafe(32),
        "LOGIN_FAILURES_PER_ADDRESS": "1000 per minute",
        "API_RATE_LIMIT": "1000000 per minute",
        "BENCH_PROBES": "1",
    }


def accounts_file(url: str) -> Path:
    """Where a database's accounts and secrets are kept: beside a SQLite file, or in the
    temporary folder under a PostgreSQL database's name."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///") + ".accounts.json")
    from sqlalchemy import make_url

    return Path(tempfile.gettempdir()) / f"{make_url(url).database}.accounts.json"


def filled_database_refusal(url: str) -> str:
    """Why a database holding rows but no accounts file is not measured (no login to use)."""
    return f"{url} holds rows but no {accounts_file(url).name}: give an empty database"


def accounts_for(url: str, missions: int, reuse: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(settings, accounts) of a database built now, or of the one built before (``--reuse``).
    A PostgreSQL database is built in place: give it a database of its own."""
    saved = accounts_file(url)
    if reuse and saved.exists():
        kept = json.loads(saved.read_text())
        return kept["settings"], kept["accounts"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    settings = server_settings()
    accounts = build(url, missions, settings)
    saved.write_text(json.dumps({"settings": settings, "accounts": accounts}))
    return settings, accounts


def run(database_url: str, missions: int, plan: Plan, reuse: bool = False) -> list[Result]:
    settings, accounts = accounts_for(database_url, missions, reuse)
    port, bare_port = free_port(), free_port()
    with (
        server(database_url, settings, port),
        server(database_url, {}, bare_port, BARE_APP, BARE_PAGE),
    ):
        browsers = logged_in_browsers(port, accounts, settings)
        results = measure_rounds(browsers, Browser(bare_port), accounts, plan)
    for role in browsers:
        bare = bare_rps([r for r in results if r.role == role])
        for result in results:
            if result.role == role:
                result.ratio_to_bare = round(result.rps / bare, 3) if bare else 0.0
    return results


def logged_in_browsers(
    port: int, accounts: dict[str, str], settings: dict[str, str]
) -> dict[str, Browser]:
    partner = log_in(port, accounts["partner_email"], accounts["partner_password"])
    totp = current_code(settings["TOTP_SECRET"], accounts["admin_totp_secret"])
    admin = log_in(port, accounts["admin_email"], accounts["admin_password"], totp)
    support = log_in(port, accounts["support_email"], accounts["support_password"])
    partner.api_token = accounts["partner_api_token"]
    admin.api_token = accounts["admin_api_token"]
    return {"partner": partner, "admin": admin, "support": support}


def measure_rounds(
    browsers: dict[str, Browser], bare: Browser, accounts: dict[str, str], plan: Plan
) -> list[Result]:
    """Every page of every role (or those ``plan.only`` names, with the bare and the panel's
    minimal pages), ``plan.rounds`` times over, each page's rounds combined. The bare page is
    asked of the bare server, with no cookie."""
    for browser in browsers.values():
        browser.csrf = browser.token("/admin/")
    rounds: dict[tuple[str, str], list[Result]] = {}
    for _ in range(plan.rounds):
        for role, browser in browsers.items():
            chosen = chosen_pages(accounts, role, plan.only)
            if all(path in (BARE_PAGE, PANEL_HELLO) for _, path, *_ in chosen):
                continue  # none of this role's pages is asked for
            for name, path, method, form_for in chosen:
                asked = bare if path == BARE_PAGE else browser
                result = measure(asked, name, path, role, method, form_for, plan)
                rounds.setdefault((role, name), []).append(result)
    return [median_round(runs) for runs in rounds.values()]


def median_round(runs: list[Result]) -> Result:
    """A page over several rounds (every page, then every page again): the round with the
    median rate under load, and the median of the rounds' unloaded p50 and p95. A pause of the
    machine during one round then moves no figure."""
    middle = sorted(runs, key=lambda run: run.rps)[(len(runs) - 1) // 2]
    return replace(
        middle,
        unloaded_p50_ms=statistics.median(run.unloaded_p50_ms for run in runs),
        unloaded_p95_ms=statistics.median(run.unloaded_p95_ms for run in runs),
    )


def bare_rps(results: list[Result]) -> float:
    """The bare page's rate: the mean of its runs before and after a role's pages, so that a
    machine that speeds up or slows down during the run shifts no ratio in one direction."""
    rates = [r.rps for r in results if r.page == BARE_PAGE]
    return statistics.mean(rates) if rates else 0.0


def markdown(results: list[Result], title: str) -> str:
    header = (
        "| role | page | URL | rps | x bare | p50 ms | p95 ms | p99 ms | unloaded p50 / p95 ms "
        "| queries | statuses |"
    )
    lines = [f"### {title}", "", header, "|---" * 11 + "|"]
    lines += [
        f"| {r.role} | {r.name} | `{r.page}` | {r.rps} | {r.ratio_to_bare} | {r.p50_ms} | "
        f"{r.p95_ms} | {r.p99_ms} | {r.unloaded_p50_ms} / {r.unloaded_p95_ms} | {r.queries} | "
        f"{r.statuses} |"
        for r in results
    ]
    return "\n".join(lines) + "\n"


def flatness(small: list[Result], large: list[Result], sizes: tuple[int, int]) -> str:
    """Each page's unloaded p95 at the largest size against the smallest, and each deep page
    against the first page of its list at the largest size."""
    before = {(r.role, r.name): r for r in small}
    first_pages = {(r.role, r.name): r for r in large}
    lines = [
        f"### Unloaded p95 at {sizes[1]:,} missions against {sizes[0]:,}",
        "",
        "| role | page | p95 ms small | p95 ms large | large / small | deep / first page |",
        "|---|---|---|---|---|---|",
    ]
    for result in large:
        earlier = before.get((result.role, result.name))
        if earlier is None:
            continue
        growth = result.unloaded_p95_ms / earlier.unloaded_p95_ms if earlier.unloaded_p95_ms else 0
        deep = ""
        if result.name.endswith(", deep page"):
            first = first_pages[(result.role, result.name.removesuffix(", deep page"))]
            deep = f"{result.unloaded_p95_ms / first.unloaded_p95_ms:.2f}"
        lines.append(
            f"| {result.role} | {result.name} | {earlier.unloaded_p95_ms} | "
            f"{result.unloaded_p95_ms} | {growth:.2f} | {deep} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server (a fresh database is made there) or sqlite:///FILE",
    )
    parser.add_argument("--missions", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--samples", type=int, default=100, help="unloaded requests a page in each round"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="times every page is measured, interleaved"
    )
    parser.add_argument("--settle", type=float, default=0.5, help="seconds between pages")
    parser.add_argument(
        "--load",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk if installed (auto), or Python threads",
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        default=(),
        metavar="NAME",
        help='measure only these pages, by their name in the report ("board", "dashboard"...)',
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database given as it is (one size), built and kept on the first run",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    options = parser.parse_args()
    if options.reuse and len(options.missions) > 1:
        parser.error("--reuse measures one database: give one size")
    from admin_app.config import database_url
    from admin_app.data.bench_data import DatabaseNotEmpty

    url = database_url(options.database_url, "")
    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(options.missions)
    try:
        by_size = {size: run_at_size(url, size, options) for size in sizes}
    except DatabaseNotEmpty:
        parser.error(filled_database_refusal(url))
    for size, results in by_size.items():
        title = (
            f"{backend}, {size:,} missions, {options.concurrency} connections "
            f"({choose(options.load)}), {os.cpu_count()} cores"
        )
        write_report(out, f"{backend.lower()}-{size}", markdown(results, title), results)
    if len(sizes) > 1:
        table = flatness(by_size[sizes[0]], by_size[sizes[-1]], (sizes[0], sizes[-1]))
        write_report(out, f"{backend.lower()}-flatness", table, [])
    return 0


def run_at_size(url: str, missions: int, options: argparse.Namespace) -> list[Result]:
    load = choose(options.load)
    plan = Plan(
        load, options.seconds, options.concurrency, options.samples, options.settle,
        options.rounds, tuple(options.pages),
    )  # fmt: skip
    if options.reuse or url.startswith("sqlite"):
        return run(url, missions, plan, options.reuse)
    with fresh_postgres(url) as fresh:
        try:
            return run(fresh, missions, plan)
        finally:
            accounts_file(fresh).unlink(missing_ok=True)  # its database is gone: no use kept


def write_report(out: Path, stem: str, table: str, results: list[Result]) -> None:
    print(table)
    (out / f"{stem}.md").write_text(table)
    if results:
        (out / f"{stem}.json").write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    raise SystemExit(main())
