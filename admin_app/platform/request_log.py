"""One log line per request, and every log line of a request carrying its reference.

Each request has a reference id (``request_reference``): the error pages show it, the response
carries it as ``X-Request-Id``, and each log line written while the request runs names it, with
the id of the user when one is known. Behind a trusted proxy (``TRUSTED_PROXY_COUNT``), a
well-formed ``X-Request-Id`` from the proxy is kept, so its access log and ours match.

After each request, the ``walkin.request`` logger writes its method, path, status, duration and
endpoint at INFO. The path never holds the query string (a search for a client's name) nor a
token (a route variable named ``*token*`` is logged as its placeholder); bodies, passwords and
emails are never logged.

``LOG_FORMAT=json`` writes every log line of the process (the app's, the libraries', the
worker's) as one JSON object on standard error; ``text`` (the default) leaves Python's logging
as it is, where INFO lines are not shown.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from flask import (
    Flask,
    current_app,
    g,
    has_request_context,
    request,
    request_finished,
    request_started,
)
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import inspect
from werkzeug.wrappers import Response

from ..data.models import User

log = logging.getLogger("walkin.request")

REQUEST_ID_HEADER = "X-Request-Id"
#: A request id from the proxy is kept only when it looks like one (nginx's ``$request_id``).
FORWARDED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
#: The longest path logged (a scanner's nonsense is cut).
MAX_LOGGED_PATH = 300
#: Fields of the JSON lines, in this order; a request's own follow when they are known.
JSON_FIELDS = "{levelname}{name}{message}"
JSON_RENAMED = {"levelname": "level", "name": "logger"}


def request_reference() -> str:
    """This request's reference id, made (or taken from a trusted proxy) on first use."""
    if "request_id" not in g:
        g.request_id = _forwarded_id() or secrets.token_hex(6)
    return g.request_id


def _forwarded_id() -> str | None:
    if not current_app.config.get("TRUSTED_PROXY_COUNT"):
        return None
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if FORWARDED_ID.fullmatch(given) else None


def loggable_path() -> str:
    """The request's path for a log: no query string, no token."""
    rule = request.url_rule
    if rule is not None and any("token" in name for name in rule.arguments):
        return rule.rule
    return request.path[:MAX_LOGGED_PATH]


def remember_user(user_id: int) -> None:
    """Name the user this request acts for in its log lines (the API's key owner)."""
    g.log_user_id = user_id


def request_user_id() -> int | None:
    """The id of the user the request acts for, if already known: never a query (the panel's
    user is read from its identity, which an expired object keeps)."""
    if "log_user_id" in g:
        return g.log_user_id
    user = g.get("_login_user")
    if isinstance(user, User):
        identity = inspect(user).identity
        return identity[0] if identity else None
    return None


def request_seconds() -> float | None:
    """How long this request has run, from Flask's start of it."""
    started = g.get("request_clock")
    return time.perf_counter() - started if started is not None else None


def _start_clock(_app: Flask, **_: Any) -> None:
    g.request_clock = time.perf_counter()


def _log_request(_app: Flask, response: Response, **_: Any) -> None:
    response.headers[REQUEST_ID_HEADER] = request_reference()
    seconds = request_seconds()
    fields = {
        "method": request.method,
        "path": loggable_path(),
        "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
        "endpoint": request.endpoint,
    }
    log.info("%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields)


class RequestFields(logging.Filter):
    """Adds the request's reference and user to each record written during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = request_reference()
            user_id = request_user_id()
            if user_id is not None:
                record.user_id = user_id
        return True


#: PostgreSQL's error details quote the values of the row or key refused ("Failing row
#: contains (..., someone@example.com, ...)"); the engine already hides the statement's.
ERROR_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)


class JsonLineFormatter(JsonFormatter):
    """One JSON object a record; an exception's trace without the database's details."""

    def __init__(self) -> None:
        super().__init__(JSON_FIELDS, style="{", rename_fields=JSON_RENAMED, timestamp="time")

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return ERROR_DETAIL.sub(r"\1 (hidden)", super().formatException(ei))


class JsonLines(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``LOG_FORMAT=json`` puts on the root logger (one a process)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonLineFormatter())
        self.addFilter(RequestFields())


def use_json_lines(app: Flask) -> None:
    """Every log line of the process as JSON on standard error, from INFO up. Building a
    second app replaces the handler rather than doubling each line."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JsonLines)]:
        root.removeHandler(handler)
    root.addHandler(JsonLines())
    root.setLevel(logging.INFO)
    # Flask's own handler would print the app's lines a second time, as text.
    app.logger.removeHandler(default_handler)


def init_request_log(app: Flask) -> None:
    request_started.connect(_start_clock, app)
    request_finished.connect(_log_request, app)
    if app.config["LOG_FORMAT"] == "json":
        use_json_lines(app)
