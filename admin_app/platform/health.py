"""What a load balancer asks each server: ``/healthz`` (the process answers) and ``/readyz``
(it can serve: its database answers and is migrated to the head of ``migrations/``, and Redis
answers where a setting names it).

Neither opens a session or sets a cookie (``sessions.STATELESS_PATHS``), needs a login, or
counts against any throttle. ``/healthz`` touches nothing at all. ``/readyz`` answers 200 or
503 with each check's outcome in a word (``ok``, ``unreachable``, ``behind``...), never an
address, a URL or an error's text, which go to the server log.
"""

from __future__ import annotations

from functools import cache

import redis
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..extensions import db
from .throttling import ROUTE_LIMITER

health = Blueprint("health", __name__)

HEALTH_PATHS = ("/healthz", "/readyz")
#: Seconds a Redis check may take, to connect and to answer: a probe must answer quickly.
REDIS_TIMEOUT = 1.0
#: The settings that may name a Redis server, and the name of each one's check.
REDIS_SETTINGS = {"RATELIMIT_STORAGE_URI": "redis_throttle", "HUEY_STORAGE": "redis_queue"}
REDIS_SCHEMES = ("redis://", "rediss://")
#: ``app.extensions`` key of the Redis clients the checks keep (one pool a server).
REDIS_CLIENTS = "walkin.health_redis"


@health.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {**database_checks(), **redis_checks()}
    ready = all(outcome == "ok" for outcome in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), (
        200 if ready else 503
    )


@cache
def migration_heads(directory: str) -> frozenset[str]:
    """The head revision(s) of the migrations in ``directory``: read once a process."""
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_checks() -> dict[str, str]:
    """``database``: a ``SELECT 1`` answers; ``migrations``: the database's revision is the
    head (``behind`` otherwise: older, newer, or never migrated), on the same connection."""
    heads = migration_heads(current_app.extensions["migrate"].directory)
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = _revisions(connection)
    except SQLAlchemyError as error:
        current_app.logger.error("readiness: database unreachable: %s", type(error).__name__)
        return {"database": "unreachable", "migrations": "unknown"}
    if current != heads:
        current_app.logger.error(
            "readiness: database at %s, migrations at %s", sorted(current), sorted(heads)
        )
        return {"database": "ok", "migrations": "behind"}
    return {"database": "ok", "migrations": "ok"}


def _revisions(connection: Connection) -> frozenset[str]:
    """The revision(s) Alembic recorded; none when it never ran (no table)."""
    try:
        return frozenset(connection.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        return frozenset()


def redis_checks() -> dict[str, str]:
    """A PING to each Redis server a setting names (the throttle's, the queue's)."""
    checks = {}
    for setting, check in REDIS_SETTINGS.items():
        url = str(current_app.config.get(setting) or "").strip()
        if url.startswith(REDIS_SCHEMES):
            checks[check] = _ping(url, check)
    return checks


def _ping(url: str, check: str) -> str:
    clients = current_app.extensions.setdefault(REDIS_CLIENTS, {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
    try:
        clients[url].ping()
    except redis.RedisError as error:
        current_app.logger.error("readiness: %s unreachable: %s", check, type(error).__name__)
        return "unreachable"
    return "ok"


def register_health(app: Flask) -> None:
    app.register_blueprint(health)
    route_limiter = app.extensions[ROUTE_LIMITER]
    if route_limiter is not None:
        route_limiter.exempt(health)
