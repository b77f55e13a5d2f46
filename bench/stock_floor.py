"""Flask-Admin's own floor: stock Flask-Admin's home page and lists (``stock_admin.py``) against
the bare Flask page, served and measured as ``run.py`` serves and measures the panel.

    python bench/stock_floor.py --database-url sqlite:////tmp/bench.db --missions 1000000

It reads a benchmark database (built, and its accounts kept, as ``run.py --reuse`` does: the
first run builds it) through two gunicorn servers with ``run.py``'s settings, one for the bare
page and one for stock Flask-Admin, and prints ``run.py``'s table: the bare page first and
last, stock Flask-Admin's pages between, each page's rate against the bare page's. A page of
the panel cannot be cheaper than Flask-Admin's own page, so these are the floor under the
ratios the panel's pages can reach; a plain Flask view's list of the same rows says what a list
costs without Flask-Admin.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conflict_load import free_port, server  # noqa: E402
from bench.load import choose  # noqa: E402
from bench.run import (  # noqa: E402
    BARE_APP,
    BARE_PAGE,
    Browser,
    Plan,
    Result,
    _no_form,
    accounts_for,
    bare_rps,
    filled_database_refusal,
    markdown,
    measure,
)

STOCK_APP = "bench.stock_admin:stock_app_from_environment()"
STOCK_PAGES = (
    ("stock Flask-Admin home", "/admin/"),
    ("stock Flask-Admin missions", "/admin/missions/"),
    ("stock Flask-Admin clients", "/admin/clients/"),
    ("plain Flask list, no Flask-Admin", "/plain/missions/"),
)
ROLE = "anonymous"


def floor(url: str, plan: Plan) -> list[Result]:
    bare_port, stock_port = free_port(), free_port()
    with (
        server(url, {}, bare_port, BARE_APP, BARE_PAGE),
        server(url, {}, stock_port, STOCK_APP, STOCK_PAGES[0][1]),
    ):
        bare, stock = Browser(bare_port), Browser(stock_port)
        results = [measure(bare, "bare Flask hello", BARE_PAGE, ROLE, "GET", _no_form, plan)]
        for name, page in STOCK_PAGES:
            results.append(measure(stock, name, page, ROLE, "GET", _no_form, plan))
        results.append(
            measure(bare, "bare Flask hello, again", BARE_PAGE, ROLE, "GET", _no_form, plan)
        )
    base = bare_rps(results)
    for result in results:
        result.ratio_to_bare = round(result.rps / base, 3) if base else 0.0
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", required=True, help="a database of its own, or sqlite:///FILE"
    )
    parser.add_argument("--missions", type=int, default=10_000, help="its size when built now")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    options = parser.parse_args()
    from admin_app.config import database_url
    from admin_app.data.bench_data import DatabaseNotEmpty

    url = database_url(options.database_url, "")
    try:
        accounts_for(url, options.missions, reuse=True)
    except DatabaseNotEmpty:
        parser.error(filled_database_refusal(url))
    load = choose(options.load)
    plan = Plan(load, options.seconds, options.concurrency, options.samples, settle=0.5)
    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    title = (
        f"Stock Flask-Admin, {backend}, {options.concurrency} connections ({load}), "
        f"{os.cpu_count()} cores"
    )
    print(markdown(floor(url, plan), title))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
