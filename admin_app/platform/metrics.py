"""Prometheus metrics for operators, on an address of their own, never on the app's routes.

gunicorn runs several worker processes; prometheus_client's multiprocess mode lets each one
write its figures to files in a shared folder (``PROMETHEUS_MULTIPROC_DIR``), and one process
add them up when scraped. ``gunicorn.conf.py`` wires it: with ``METRICS_PORT`` set it makes the
folder (a fresh temporary one unless given), has each worker record (``post_worker_init``), and
serves the sum from the master process at ``METRICS_ADDRESS:METRICS_PORT`` (``when_ready``).

What is measured:

- ``walkin_http_requests_total`` by endpoint, method and status, and
  ``walkin_http_request_duration_seconds`` (a histogram) by endpoint and method;
- ``walkin_db_pool_connections_in_use``: database connections checked out of the workers'
  pools, all workers added up;
- ``walkin_outbox_backlog``: messages to clients waiting to be sent, counted when scraped
  (``domain.outbox.backlog``: one indexed count).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, request, request_finished
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from werkzeug.wrappers import Response

from ..config import database_url, operator_settings, read_write_sqlite
from ..domain.outbox import backlog
from ..extensions import db
from .request_log import request_seconds

log = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: The endpoint label of a request that matched no route (404): never its path.
UNMATCHED = "unmatched"
#: ``app.extensions`` key: the app's requests are recorded already.
RECORDING = "walkin.metrics"

REQUESTS = Counter(
    "walkin_http_requests",
    "Requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "walkin_http_request_duration_seconds",
    "Time from the start of a request to its answer, by endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL_IN_USE = Gauge(
    "walkin_db_pool_connections_in_use",
    "Database connections checked out of the pools of the app's processes.",
    multiprocess_mode="livesum",
)


def _count_request(_app: Flask, response: Response, **_: Any) -> None:
    endpoint = request.endpoint or UNMATCHED
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    seconds = request_seconds()
    if seconds is not None:
        LATENCY.labels(endpoint, request.method).observe(seconds)


def _checked_out(*_: Any) -> None:
    POOL_IN_USE.inc()


def _checked_in(*_: Any) -> None:
    POOL_IN_USE.dec()


def record(app: Flask) -> None:
    """Measure the app's requests and database pool from now on (once an app)."""
    if app.extensions.get(RECORDING):
        return
    app.extensions[RECORDING] = True
    request_finished.connect(_count_request, app)
    with app.app_context():
        event.listen(db.engine, "checkout", _checked_out)
        event.listen(db.engine, "checkin", _checked_in)


class OutboxBacklog(Collector):
    """The outbox's pending messages, counted when scraped on a connection of its own (no
    pool: the master process forks workers, which must not inherit a connection)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool, hide_parameters=True)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.engine.connect() as connection:
                pending = backlog(connection)
        except SQLAlchemyError as error:
            log.error("outbox backlog not counted: %s", type(error).__name__)
            return
        yield GaugeMetricFamily(
            "walkin_outbox_backlog", "Messages to clients waiting to be sent.", value=pending
        )


def collecting_registry(url: str) -> CollectorRegistry:
    """Every worker's figures added up, and the outbox backlog."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(OutboxBacklog(url))
    return registry


def environment_database_url() -> str:
    """The app's database, as ``create_app`` finds it from the environment."""
    instance = Path(__file__).resolve().parents[2] / "instance"
    return read_write_sqlite(database_url(os.environ.get("DATABASE_URL"), str(instance)))


# gunicorn's server hooks (``gunicorn.conf.py`` binds them when ``METRICS_PORT`` is set).


def on_starting(_server: Any) -> None:
    """A folder given in ``PROMETHEUS_MULTIPROC_DIR`` may hold a previous run's files."""
    folder = Path(os.environ[MULTIPROCESS_DIR])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def when_ready(server: Any) -> None:
    settings = operator_settings(os.environ)
    registry = collecting_registry(environment_database_url())
    start_http_server(settings["METRICS_PORT"], settings["METRICS_ADDRESS"], registry=registry)
    server.log.info(
        "Metrics at http://%s:%s/metrics", settings["METRICS_ADDRESS"], settings["METRICS_PORT"]
    )


def post_worker_init(worker: Any) -> None:
    record(worker.wsgi)


def child_exit(_server: Any, worker: Any) -> None:
    multiprocess.mark_process_dead(worker.pid)
