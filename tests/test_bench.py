"""The page benchmark runs end to end at a tiny size (it checks that it runs and reports, not
how fast anything is), with each of its two load generators."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import server_url

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(
    tmp_path: Path, load: str, *sizes: str, rounds: int = 1, pages: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """wrk takes whole seconds: one a page; Python threads load each page for 0.1 s."""
    only = ["--pages", *pages] if pages else []
    target = server_url() or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    seconds = "1" if load == "wrk" else "0.1"
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/run.py", "--database-url", target, "--missions", *sizes,
         "--seconds", seconds, "--concurrency", "2", "--samples", "3", "--settle", "0",
         "--load", load, "--rounds", str(rounds), "--out", str(tmp_path), *only],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def reported_rows(tmp_path: Path, size: str) -> list[dict]:
    (report,) = tmp_path.glob(f"*-{size}.json")
    return json.loads(report.read_text())


#: A page of each kind (list, deep page, form POST, API POST): every page is measured by the
#: Python threads' test below, these with wrk over two rounds (wrk takes whole seconds, a
#: second a page and round: every page would take two minutes).
NAMED_PAGES = ("missions", "missions, deep page", "registration POST", "API registration POST")


@pytest.mark.slow
def test_benchmark_with_wrk_measures_the_named_pages_over_two_rounds(tmp_path):
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian's wrk package; CI installs it)")

    run = run_benchmark(tmp_path, "wrk", "300", rounds=2, pages=NAMED_PAGES)

    assert run.returncode == 0, run.stderr[-3000:]
    rows = reported_rows(tmp_path, "300")
    names = [(row["role"], row["name"]) for row in rows]  # two rounds, one row a page
    assert names == [
        (role, name)
        for role in ("partner", "admin")
        for name in ("bare Flask hello", "panel hello", *NAMED_PAGES, "bare Flask hello, again")
    ]
    # On a busy machine one page's 1-s wrk window can close before a request finishes, so a
    # single page may read 0 requests/s; its unloaded samples show it answered.
    assert sum(row["rps"] > 0 for row in rows) > len(rows) // 2, rows
    assert all(row["queries"] > 0 for row in rows if "hello" not in row["name"]), rows
    assert all(set(row["statuses"].split(",")) <= {"200", "201", "302"} for row in rows), rows
    assert "connections (wrk)" in run.stdout
    assert "| partner | missions | `/admin/missions/` |" in run.stdout
    for role in ("partner", "admin"):
        bare = [row for row in rows if row["role"] == role and row["page"] == "/hello"]
        # The panel answers /hello with 404: a 200 comes from the bare server.
        assert all(row["queries"] == 0 and row["statuses"] == "200" for row in bare), bare
        # The base is the mean of the two runs: their ratios average 1.0, within rounding.
        assert sum(row["ratio_to_bare"] for row in bare) / 2 == pytest.approx(1, abs=0.001)
        (panel,) = [row for row in rows if row["role"] == role and row["name"] == "panel hello"]
        # The account comes with the session row, whose lookup is not counted.
        assert panel["page"] == "/_bench/hello" and panel["queries"] == 0


@pytest.mark.slow
def test_benchmark_with_python_threads_reports_every_page_at_two_sizes(tmp_path):
    if server_url() is not None:
        # Every page is tried on PostgreSQL by the HTTP-level tests, and the benchmark's way
        # with a PostgreSQL server (a fresh database, its accounts) by the wrk test above.
        pytest.skip("every page of the benchmark: the SQLite run has it (CI time)")
    run = run_benchmark(tmp_path, "python", "200", "300")

    assert run.returncode == 0, run.stderr[-3000:]
    rows = reported_rows(tmp_path, "300")
    assert {row["role"] for row in rows} == {"partner", "admin", "support"}
    # Every page of partners and admins; the search box's of support; each between two runs
    # of the bare page, which its own server answers (no query count: no panel behind it).
    panel_rows = [row for row in rows if row["page"] not in ("/hello", "/_bench/hello")]
    assert len(rows) == 41 + 42 + 5 and all(row["queries"] > 0 for row in panel_rows)
    assert all(row["rps"] > 0 for row in rows), rows
    assert all(set(row["statuses"].split(",")) <= {"200", "201", "302"} for row in rows), rows
    assert "connections (python)" in run.stdout
    assert "| support | search box | `/admin/search/?q=Martin` |" in run.stdout
    for role in ("partner", "admin", "support"):
        bare = [row for row in rows if row["role"] == role and row["page"] == "/hello"]
        assert [row["name"] for row in bare] == ["bare Flask hello", "bare Flask hello, again"]
    flatness = next(tmp_path.glob("*-flatness.md")).read_text()
    assert "| admin | missions, deep page |" in flatness


def test_a_page_over_rounds_reports_its_median_round():
    from bench.run import Result, median_round

    def round_at(rps: float, unloaded_p50: float, unloaded_p95: float) -> Result:
        return Result("missions", "/admin/missions/", "admin", unloaded_p50, unloaded_p95, rps,
                      rps / 10, rps / 5, rps / 2, 3, "200")  # fmt: skip

    runs = [round_at(90, 9.0, 350.0), round_at(300, 7.0, 9.0), round_at(150, 8.0, 10.0)]

    combined = median_round(runs)

    assert (combined.rps, combined.p50_ms, combined.p95_ms) == (150, 15, 30)
    assert (combined.unloaded_p50_ms, combined.unloaded_p95_ms) == (8.0, 10.0)


def test_reuse_reads_the_accounts_kept_beside_the_database_and_builds_nothing(tmp_path):
    from bench.run import accounts_file, accounts_for

    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    kept = {"settings": {"SECRET_KEY": "kept"}, "accounts": {"admin_email": "kept@example.com"}}
    accounts_file(url).write_text(json.dumps(kept))

    settings, accounts = accounts_for(url, 1_000_000, reuse=True)

    assert accounts_file(url) == tmp_path / "bench.sqlite3.accounts.json"
    assert (settings, accounts) == (kept["settings"], kept["accounts"])
    assert not (tmp_path / "bench.sqlite3").exists()  # a million missions were not built


def test_a_postgresql_databases_accounts_are_kept_under_its_name():
    import tempfile

    from bench.run import accounts_file

    url = "postgresql://postgres@127.0.0.1:5432/walkin_bench"
    assert accounts_file(url) == Path(tempfile.gettempdir()) / "walkin_bench.accounts.json"


@pytest.mark.slow
def test_stock_flask_admins_floor_is_measured_between_two_runs_of_the_bare_page(tmp_path):
    if server_url() is not None:
        pytest.skip("the floor is measured on a SQLite file of its own: the SQLite run has it")
    url = f"sqlite:///{tmp_path / 'floor.sqlite3'}"

    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/stock_floor.py", "--database-url", url, "--missions", "200",
         "--seconds", "0.1", "--concurrency", "2", "--samples", "3", "--load", "python"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr[-3000:]
    rows = [line.split(" | ") for line in run.stdout.splitlines() if line.startswith("| anon")]
    assert [row[1] for row in rows] == [
        "bare Flask hello", "stock Flask-Admin home", "stock Flask-Admin missions",
        "stock Flask-Admin clients", "plain Flask list, no Flask-Admin", "bare Flask hello, again",
    ]  # fmt: skip
    # Every page answered 200, under load too.
    assert all(row[-1] == "200 |" and float(row[3]) > 0 for row in rows), rows
    assert float(rows[0][4]) + float(rows[-1][4]) == pytest.approx(2, abs=0.002)


def test_stock_flask_admin_lists_the_panels_own_rows(app, world):
    from admin_app.extensions import db
    from bench.stock_admin import create_stock_app
    from tests.databases import app_database

    stock = create_stock_app(app_database(app).render_as_string(hide_password=False))
    client = stock.test_client()
    try:
        clients = client.get("/admin/clients/").get_data(as_text=True)
        missions = client.get("/admin/missions/")
        plain = client.get("/plain/missions/").get_data(as_text=True)
    finally:
        with stock.app_context():
            db.engine.dispose()  # its own engine: its connections end with the test

    assert "Alice" in clients and "Bruno" in clients  # every partner's: no login, no scope
    assert missions.status_code == 200 and "IN_PROGRESS" in missions.get_data(as_text=True)
    assert "Alice" in plain and "Bruno" in plain and "in_progress" in plain


def test_the_floor_refuses_a_filled_database_it_did_not_build(app, world):
    if server_url() is None:
        pytest.skip("SQLite: a file without its accounts is built anew, nothing to refuse")
    from tests.databases import app_database

    url = app_database(app).render_as_string(hide_password=False)

    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/stock_floor.py", "--database-url", url, "--missions", "200"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert run.returncode == 2, run.stderr[-3000:]
    assert "holds rows but no" in run.stderr and "give an empty database" in run.stderr
    assert "Traceback" not in run.stderr
