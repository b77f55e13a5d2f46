"""Load generators for the page benchmark: wrk (Debian's ``wrk`` package) when it is installed,
else Python threads. Each sends one page as fast as it can over ``concurrency`` keep-alive
connections for ``seconds`` and reports requests per second and latency percentiles.

wrk is written in C and costs the 2-core machine far less than Python threads do, so with wrk
the server gets more of the CPU: the minimal page answers more requests per second and every
ratio to it is stricter. The report says which generator ran.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

WRK_SCRIPT = """
wrk.method = "{method}"
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["Content-Type"] = "{content_type}"
if "{authorization}" ~= "" then wrk.headers["Authorization"] = "{authorization}" end
local prefix = "{body}"
local unique = {unique}
local before, after = "{unique_before}", "{unique_after}"
local sent = 0
function request()
  if prefix == "" then return wrk.format() end
  sent = sent + 1
  local body = prefix
  if unique then
    body = body .. before .. sent .. "x" .. math.random(1, 1000000000) .. after
  end
  return wrk.format(nil, nil, nil, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "failed": %d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: int


def choose(name: str) -> str:
    """``auto``: wrk when it is on the PATH, else Python threads."""
    if name == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return name


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def python_load(send: Callable[[], int], seconds: float, concurrency: int) -> Load:
    """``concurrency`` threads, each calling ``send`` (one request on its own connection, which
    returns the status) until ``seconds`` have passed."""
    timings: list[float] = []
    failed = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def hammer() -> None:
        nonlocal failed
        local, errors = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status = send()
            local.append((time.perf_counter() - started) * 1000)
            errors += status >= 400
        with lock:
            timings.extend(local)
            failed += errors

    threads = [threading.Thread(target=hammer) for _ in range(concurrency)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    return Load(
        round(len(timings) / elapsed, 1),
        round(statistics.median(timings), 1) if timings else 0.0,
        round(percentile(timings, 0.95), 1),
        round(percentile(timings, 0.99), 1),
        failed,
    )


def wrk_load(url: str, method: str, cookies: dict[str, str], form: dict[str, Any] | None,
             seconds: float, concurrency: int, api_token: str = "") -> Load:  # fmt: skip
    """wrk with a script that sends the cookies and the form (with ``api_token``: the key and
    the form as JSON); a form with an ``email`` gets a new address on every request (a
    registration must not repeat itself)."""
    fields = dict(form or {})
    unique = fields.pop("email", None) is not None
    if api_token:
        body = json.dumps(fields)[:-1] if unique else json.dumps(fields) if form else ""
        around = (', "email": "w', '@example.com"}')
    else:
        body = urlencode(fields) if form else ""
        around = ("&email=w", "%40example.com")
    script = WRK_SCRIPT.format(
        method=method,
        cookie="; ".join(f"{key}={value}" for key, value in cookies.items()),
        content_type="application/json" if api_token else "application/x-www-form-urlencoded",
        authorization=f"Bearer {api_token}" if api_token else "",
        body=body.replace("\\", "\\\\").replace('"', '\\"'),
        unique="true" if unique else "false",
        unique_before=around[0].replace('"', '\\"'),
        unique_after=around[1].replace('"', '\\"'),
    )
    whole_seconds = max(round(seconds), 1)  # wrk takes whole seconds
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.lua"
        path.write_text(script)
        run = subprocess.run(  # noqa: S603 - wrk with our own arguments
            [shutil.which("wrk") or "wrk", "-t2", f"-c{concurrency}", f"-d{whole_seconds}s",
             "--timeout", "30s", "-s", str(path), url],
            capture_output=True, text=True, timeout=whole_seconds + 60,
        )  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    return Load(
        round(figures["requests"] / figures["seconds"], 1),
        round(figures["p50"], 1),
        round(figures["p95"], 1),
        round(figures["p99"], 1),
        figures["failed"],
    )
