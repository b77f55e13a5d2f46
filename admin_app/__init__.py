"""Walk-in: a back-office panel for shops that receive clients at the counter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.wrappers import Response

from .admin import init_admin
from .admin.account_pages import render_account_page
from .api import init_api
from .cli import walkin
from .config import STATIC_SETTINGS, fill_secrets, read_write_sqlite, settings_from_environment
from .data.attachment_storage import storage_named
from .domain.outbox import listen_to_commits
from .domain.report_rollups import keep_all_partner_days
from .extensions import babel, csrf, db, mail, migrate
from .platform.audit import init_audit
from .platform.authn import init_authn
from .platform.bench_probe import init_bench_probes
from .platform.error_pages import DATABASE_ERRORS, register_error_pages, unavailable_page
from .platform.health import register_health
from .platform.http_security import init_http_security
from .platform.request_log import init_request_log
from .platform.security import init_security
from .platform.sessions import forget_session, init_sessions
from .platform.throttling import init_throttling
from .platform.uploads import PanelRequest
from .platform.web import register_web, select_locale, select_timezone
from .platform.withdrawal import register_withdrawal
from .worker import init_worker

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class WalkIn(Flask):
    """Flask, except that the work done after the view (Flask-Security's commit, the
    after-request hooks, saving the session) answers 503 when it finds the database gone, as
    the view would: Flask's error handlers no longer apply there, so it would be a 500.
    Its requests allow larger bodies on the views that take a file (``uploads.py``)."""

    request_class = PanelRequest

    def process_response(self, response: Response) -> Response:
        try:
            return super().process_response(response)
        except DATABASE_ERRORS as error:
            forget_session(error)
            return super().process_response(unavailable_page(error))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides settings (tests pass their database URL)."""
    app = WalkIn(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    load_settings(app, config or {})
    init_request_log(app)
    init_extensions(app)
    init_admin(app)
    init_api(app)
    register_web(app)
    register_health(app)
    register_withdrawal(app)
    register_error_pages(app)
    init_http_security(app)
    init_audit(app)
    init_bench_probes(app)
    init_worker(app)
    app.cli.add_command(walkin)
    return app


def load_settings(app: Flask, overrides: dict[str, Any]) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(STATIC_SETTINGS)
    app.config.update(settings_from_environment(app.instance_path))
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = read_write_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    # An unknown ATTACHMENT_STORAGE stops the app here, not at the first upload.
    storage_named(app.config["ATTACHMENT_STORAGE"], app.config["ATTACHMENT_DIRECTORY"])
    fill_secrets(app.config, app.instance_path)


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _configure_sqlite)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    # Before the CSRF check: a session that cannot be read answers 503, not "form expired".
    init_sessions(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_security(app, render_page=render_account_page)
    init_throttling(app)
    init_authn(app)
    mail.init_app(app)
    listen_to_commits()
    keep_all_partner_days()


#: SQLite reads the database file through memory mapping up to this size: pages come from the
#: operating system's cache, shared by every connection, instead of being copied into each
#: connection's 2 MB cache (a broad search's lookups: 9.5 ms → 3 ms at a million missions).
SQLITE_MMAP_BYTES = 1 << 30


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys enforced (cascades), WAL so that readers never block writers, and reads
    through memory mapping."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()
