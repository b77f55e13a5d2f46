"""Benchmark probes, off unless ``BENCH_PROBES`` is set: a minimal page to compare every page
with, and each response's SQL query count in an ``X-Query-Count`` header (as in the query-count
tests, the session store's read and refresh of its own row are not counted)."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from sqlalchemy import event
from werkzeug.wrappers import Response

from ..extensions import db


def _count_query(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
    if has_app_context() and "web_session" not in statement:
        g.query_count = g.get("query_count", 0) + 1


def _add_count(response: Response) -> Response:
    response.headers["X-Query-Count"] = str(g.get("query_count", 0))
    return response


def init_bench_probes(app: Flask) -> None:
    if not app.config.get("BENCH_PROBES"):
        return
    app.add_url_rule("/_bench/hello", "bench_hello", lambda: "hello")
    app.after_request(_add_count)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", _count_query)
