"""The load balancer's checks: /healthz (the process answers) and /readyz (database reachable
and migrated to head, Redis where configured), without session, cookie, login or throttle."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from admin_app.data.models import RoleName
from admin_app.extensions import db
from admin_app.platform.health import migration_heads
from tests.conftest import log_in
from tests.databases import database_outage
from tests.test_sessions import session_rows
from tests.test_throttling import REDIS_URL, redis_problem

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


class StatementCounter:
    def __init__(self, app) -> None:
        self.count = 0
        with app.app_context():
            self.engine = db.engine

    def __call__(self, *_: object) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


def test_healthz_answers_ok_without_touching_the_database(app, client):
    with StatementCounter(app) as statements:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert statements.count == 0


def test_healthz_answers_while_the_database_is_away(app, client, tmp_path):
    with database_outage(app, tmp_path):
        response = client.get("/healthz")

    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_answers_ready_when_the_database_is_at_head(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_answers_503_when_the_database_is_behind_head(app, client):
    with app.app_context():
        (head,) = migration_heads(app.extensions["migrate"].directory)
        version = text("UPDATE alembic_version SET version_num = :version")
        db.session.execute(version, {"version": "0017"})
        db.session.commit()
        try:
            response = client.get("/readyz")
        finally:
            db.session.execute(version, {"version": head})
            db.session.commit()

    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "behind"},
    }
    assert client.get("/readyz").status_code == 200


def test_readyz_answers_503_while_the_database_is_unreachable_then_recovers(app, client, tmp_path):
    with database_outage(app, tmp_path):
        down = client.get("/readyz")
    up = client.get("/readyz")

    assert down.status_code == 503
    assert down.json["checks"] == {"database": "unreachable", "migrations": "unknown"}
    assert up.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_leave_no_session_row_and_set_no_cookie(app, path):
    prober = app.test_client()

    answers = [prober.get(path) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200] * 5
    assert not any("Set-Cookie" in answer.headers for answer in answers)
    assert session_rows(app) == 0


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_logged_in_browser_calling_the_checks_keeps_its_session_untouched(
    app, client, make_account, path
):
    log_in(client, make_account(RoleName.PARTNER))

    with StatementCounter(app) as statements:
        answer = client.get(path)

    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    reads = 0 if path == "/healthz" else 2  # SELECT 1 and the revision
    assert statements.count == reads
    assert session_rows(app) == 1 and client.get("/admin/").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_are_never_throttled_nor_sent_to_login(sibling_app, path):
    """Even where every route has a default limit (Flask-Limiter's ``RATELIMIT_DEFAULT``)."""
    limited = sibling_app(RATELIMIT_DEFAULT="3 per minute")
    prober = limited.test_client()

    logins = [prober.get("/login").status_code for _ in range(4)]
    checks = [prober.get(path).status_code for _ in range(50)]

    assert logins[-1] == 429  # the default limit is in force elsewhere
    assert checks == [200] * 50


def test_health_checks_answer_head_requests(client):
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200


def test_readyz_pings_the_redis_of_the_throttle_and_the_queue(sibling_app):
    problem = redis_problem(REDIS_URL)
    if problem:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({problem})")
    with_redis = sibling_app(RATELIMIT_STORAGE_URI=REDIS_URL, HUEY_STORAGE=REDIS_URL)

    response = with_redis.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "redis_throttle": "ok",
        "redis_queue": "ok",
    }


@pytest.mark.parametrize(
    ("setting", "check"),
    [("RATELIMIT_STORAGE_URI", "redis_throttle"), ("HUEY_STORAGE", "redis_queue")],
)
def test_readyz_answers_503_naming_the_redis_out_of_reach_without_its_address(
    sibling_app, setting, check
):
    away = sibling_app(**{setting: UNREACHABLE_REDIS})

    response = away.test_client().get("/readyz")

    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.json["checks"][check] == "unreachable"
    assert response.json["checks"]["database"] == "ok"
    assert "127.0.0.1" not in body and "redis://" not in body
