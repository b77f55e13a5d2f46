"""The page benchmark runs end to end at a tiny size (it checks that it runs and reports, not
how fast anything is)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.databases import server_url

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_runs_and_reports_every_page_at_two_sizes(tmp_path):
    target = server_url() or f"sqlite:///{tmp_path / 'bench.sqlite3'}"

    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/run.py", "--database-url", target, "--missions", "200", "300",
         "--seconds", "0.3", "--concurrency", "2", "--samples", "3", "--settle", "0",
         "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr[-3000:]
    (report,) = tmp_path.glob("*-300.json")
    rows = json.loads(report.read_text())
    assert {row["role"] for row in rows} == {"partner", "admin"}
    assert len(rows) == 28 and all(row["queries"] > 0 for row in rows)
    assert all(set(row["statuses"].split(",")) <= {"200", "302"} for row in rows), rows
    assert "| partner | missions | `/admin/missions/` |" in run.stdout
    flatness = (tmp_path / f"{report.name.split('-')[0]}-flatness.md").read_text()
    assert "| admin | missions, deep page |" in flatness
