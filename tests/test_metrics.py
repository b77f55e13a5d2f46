"""Prometheus metrics under a real gunicorn with two workers (``gunicorn.conf.py``): requests
and latency per endpoint added up over the workers, the database pool in use, the outbox
backlog, on the operators' address only; the app's own port has no metrics."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select, text

from admin_app.config import SECRET_NAMES, operator_settings, sqlite_file
from admin_app.data.messaging import MessageStatus, OutboxMessage
from admin_app.extensions import db
from bench.conflict_load import free_port
from tests.conftest import bearer, register_client
from tests.databases import app_database
from tests.test_api import VISITOR

ROOT = Path(__file__).resolve().parent.parent
HEALTH_CALLS = 12


@dataclass(frozen=True)
class Served:
    app_url: str
    metrics_url: str
    process: subprocess.Popen


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(150):
        assert process.poll() is None, "gunicorn stopped"
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.fixture(scope="module")
def served(database_url, session_app) -> Iterator[Served]:
    """gunicorn on the session's database, two workers, metrics on a port of their own."""
    app_port, metrics_port = free_port(), free_port()
    env = {
        **{key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"},
        **{name: session_app.config[name] for name in SECRET_NAMES},
        "DATABASE_URL": database_url,
        "HUEY_STORAGE": "memory",
        "METRICS_PORT": str(metrics_port),
        "METRICS_ADDRESS": "127.0.0.1",
    }
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, local server
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
         "--bind", f"127.0.0.1:{app_port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    served = Served(
        f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{metrics_port}/metrics", process
    )
    try:
        wait_for(f"{served.app_url}/login", process)
        wait_for(served.metrics_url, process)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Each sample of the metrics page: (name, sorted labels) → value."""
    page = requests.get(url, timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }


def pending_messages(app, partner_id: int, count: int) -> None:
    """Messages to clients waiting in the outbox (clients registered with consent), and one
    sent already, which is no backlog."""
    with app.app_context():
        for name in ["Sent", *["Waiting"] * count]:
            register_client(partner_id, name, email_consent=True, language="en")
        sent = db.session.scalars(select(OutboxMessage).limit(1)).one()
        sent.status = MessageStatus.SENT.value
        db.session.commit()


def test_requests_latency_pool_and_backlog_are_served_on_the_operators_port(app, world, served):
    pending_messages(app, world.partner_a.id, 3)
    before = scrape(served.metrics_url)
    for _ in range(HEALTH_CALLS):
        assert requests.get(f"{served.app_url}/healthz", timeout=10).status_code == 200
    assert requests.get(f"{served.app_url}/no-such-page", timeout=10).status_code == 404

    after = scrape(served.metrics_url)

    def grew(name: str, *labels: tuple[str, str]) -> float:
        key = (name, tuple(sorted(labels)))
        return after[key] - before.get(key, 0)

    healthz = (("endpoint", "health.healthz"), ("method", "GET"))
    assert grew("walkin_http_requests_total", *healthz, ("status", "200")) == HEALTH_CALLS
    assert grew("walkin_http_request_duration_seconds_count", *healthz) == HEALTH_CALLS
    assert grew("walkin_http_request_duration_seconds_sum", *healthz) > 0
    unmatched = (("endpoint", "unmatched"), ("method", "GET"), ("status", "404"))
    assert grew("walkin_http_requests_total", *unmatched) == 1
    assert after[("walkin_outbox_backlog", ())] == 3
    # Every connection the requests took went back to its pool.
    assert after[("walkin_db_pool_connections_in_use", ())] == 0
    assert not any("no-such-page" in str(key) for key in after)


def test_the_apps_own_port_has_no_metrics(served):
    for path in ("/metrics", "/metrics/"):
        assert requests.get(f"{served.app_url}{path}", timeout=10).status_code == 404


def pool_in_use_once_above_zero(url: str, seconds: float = 10) -> float:
    """The pool gauge, read until it is above zero (or the time is up)."""
    deadline = time.monotonic() + seconds
    while True:
        in_use = scrape(url)[("walkin_db_pool_connections_in_use", ())]
        if in_use > 0 or time.monotonic() > deadline:
            return in_use
        time.sleep(0.1)


@contextmanager
def writes_held(app) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or the clients table's (PostgreSQL): a request
    that registers a client waits, its connection checked out."""
    url = app_database(app)
    file = sqlite_file(url)
    if file is not None:
        holder = sqlite3.connect(file, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE walk_in_client IN EXCLUSIVE MODE"))
            yield
            connection.rollback()
    finally:
        engine.dispose()


def test_a_request_waiting_on_the_database_shows_in_the_pool_gauge(app, world, api_token, served):
    token = api_token(world.partner_a, "checkin")
    with ThreadPoolExecutor(1) as pool:
        with writes_held(app):
            registering = pool.submit(
                requests.post, f"{served.app_url}/api/v1/clients", json=VISITOR,
                headers=bearer(token), timeout=30,
            )  # fmt: skip
            in_use = pool_in_use_once_above_zero(served.metrics_url)
        registered = registering.result()
    after = scrape(served.metrics_url)

    assert in_use >= 1
    assert registered.status_code == 201
    assert after[("walkin_db_pool_connections_in_use", ())] == 0


def test_metrics_are_off_without_a_port_and_a_bad_port_stops_the_app():
    assert operator_settings({})["METRICS_PORT"] == 0
    assert operator_settings({"METRICS_PORT": "9464"})["METRICS_PORT"] == 9464
    assert operator_settings({})["METRICS_ADDRESS"] == "127.0.0.1"
    with pytest.raises(ValueError, match="METRICS_PORT must be a port number"):
        operator_settings({"METRICS_PORT": "metrics"})
