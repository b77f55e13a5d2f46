"""Settings, read from environment variables with safe defaults.

This is the only module that reads the environment. Secrets never live in the code: they come
from ``SECRET_KEY`` / ``SECURITY_PASSWORD_SALT`` or, failing that, from a file generated once in
the instance folder.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import URL, make_url

SECRETS_FILE = "secrets.json"
#: Our message catalog, and our corrections to Flask-Admin's and Flask-Security's (see i18n.py).
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
SECRET_NAMES = ("SECRET_KEY", "SECURITY_PASSWORD_SALT", "TOTP_SECRET")


def database_url(raw: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL for ``raw``; PostgreSQL URLs are mapped to psycopg 3."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'walkin.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def read_write_sqlite(url: str) -> str:
    """``url`` unchanged, except that a SQLite file is opened read-write only (a URI with
    ``mode=rw``): a missing file is then an error (503) instead of a new, empty database that
    pooled connections would stay bound to once the real file is back."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return url
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return url
    uri = parsed.set(
        database=f"file:{quote(parsed.database)}",
        query={**parsed.query, "mode": "rw", "uri": "true"},
    )
    return uri.render_as_string(hide_password=False)


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL (plain or URI form), or None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):
        return Path(unquote(parsed.database.removeprefix("file:").split("?")[0]))
    return Path(parsed.database)


def create_sqlite_file(url: str | URL) -> None:
    """Create a missing SQLite file: ``flask db upgrade`` (migrations/env.py) does, and only
    it, since the app opens the file read-write only (``read_write_sqlite``)."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def settings_from_environment(instance_path: str) -> dict[str, Any]:
    """Settings that depend on the environment (secrets excepted, see ``fill_secrets``)."""
    env = os.environ
    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "PHONE_DEFAULT_REGION": env.get("PHONE_DEFAULT_REGION", "FR"),
        # The service type a new mission gets unless another is chosen (its English or French
        # name); empty: the first active type of the catalogue.
        "DEFAULT_SERVICE_TYPE": env.get("DEFAULT_SERVICE_TYPE", ""),
        "TRUSTED_PROXY_COUNT": int(env.get("TRUSTED_PROXY_COUNT", "0")),
        "RATELIMIT_ENABLED": _flag(env.get("RATELIMIT_ENABLED", "1")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "120 per minute"),
        # How long a retry waits for the first request with its Idempotency-Key to finish.
        "API_IDEMPOTENCY_WAIT_SECONDS": float(env.get("API_IDEMPOTENCY_WAIT_SECONDS", "5")),
        "LOGIN_FAILURES_PER_ACCOUNT": env.get("LOGIN_FAILURES_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_FAILURES_PER_ADDRESS": env.get("LOGIN_FAILURES_PER_ADDRESS", "30 per 15 minutes"),
        "SECOND_FACTOR_FAILURES_PER_ACCOUNT": env.get(
            "SECOND_FACTOR_FAILURES_PER_ACCOUNT", "5 per 15 minutes"
        ),
        "SECOND_FACTOR_FAILURES_PER_ADDRESS": env.get(
            "SECOND_FACTOR_FAILURES_PER_ADDRESS", "30 per 15 minutes"
        ),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        # Attachments (``domain/attachments.py``): the largest file, in bytes (its upload's
        # body may be this plus ``UPLOAD_FORM_ALLOWANCE``); where files are kept.
        "ATTACHMENT_MAX_BYTES": int(env.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        "ATTACHMENT_MAX_PIXELS": int(env.get("ATTACHMENT_MAX_PIXELS", "40000000")),
        "ATTACHMENT_STORAGE": env.get("ATTACHMENT_STORAGE", "database"),
        "ATTACHMENT_DIRECTORY": env.get(
            "ATTACHMENT_DIRECTORY", str(Path(instance_path) / "attachments")
        ),
        "BENCH_PROBES": _flag(env.get("BENCH_PROBES", "")),
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(env.get("SESSION_MAX_HOURS", "12")),
        "SESSION_PRUNE_SECONDS": int(env.get("SESSION_PRUNE_SECONDS", "60")),
        "SESSION_COOKIE_SECURE": _flag(env.get("SECURE_COOKIES", "")),
        "REMEMBER_COOKIE_SECURE": _flag(env.get("SECURE_COOKIES", "")),
    }
    settings.update(message_settings(env))
    settings.update(billing_settings(env))
    settings.update(operator_settings(env))
    settings.update({name: env[name] for name in SECRET_NAMES if env.get(name)})
    return settings


def message_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Messages to clients (``worker.py``, ``domain/delivery.py``): the queue, the mail server
    (without ``MAIL_SERVER``, the console backend prints each message), retries and the address
    the messages' links point to."""
    server = env.get("MAIL_SERVER", "")
    return {
        # Empty: a SQLite file in the instance folder; ``redis://...``, ``postgresql://...``,
        # ``sqlite:///path``, or ``memory`` (one process only: tests).
        "HUEY_STORAGE": env.get("HUEY_STORAGE", ""),
        "HUEY_NAME": env.get("HUEY_NAME", "walkin"),
        "PUBLIC_URL": env.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "MESSAGE_RETRY_SECONDS": float(env.get("MESSAGE_RETRY_SECONDS", "60")),
        "MESSAGE_MAX_ATTEMPTS": int(env.get("MESSAGE_MAX_ATTEMPTS", "5")),
        # How long a worker that took a message has to send it before another may: longer than
        # a send can last (``MAIL_TIMEOUT`` bounds each step of the conversation).
        "MESSAGE_LEASE_SECONDS": float(env.get("MESSAGE_LEASE_SECONDS", "300")),
        "MAIL_BACKEND": env.get("MAIL_BACKEND") or ("smtp" if server else "console"),
        "MAIL_SERVER": server or "localhost",
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS", "")),
        "MAIL_USE_SSL": _flag(env.get("MAIL_USE_SSL", "")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Walk-in <no-reply@localhost>"),
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", "30")),
    }


def billing_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Reports and invoices: the zone whose days the reports' roll-ups count in
    (``data/reporting.py``), and the VAT rate (percent) included in the prices invoiced."""
    return {
        "REPORT_TIME_ZONE": time_zone_named(env.get("REPORT_TIME_ZONE", "Europe/Paris")),
        "INVOICE_VAT_RATE": vat_rate(env.get("INVOICE_VAT_RATE", "20.00")),
    }


#: What ``LOG_FORMAT`` may be: ``text`` (Python's default lines, for development) or ``json``
#: (one JSON object a line, for a log collector: ``platform/request_log.py``).
LOG_FORMATS = ("text", "json")


def operator_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """What operators watch: the log format, and the address where the Prometheus metrics
    are served (``METRICS_PORT`` empty or 0: no metrics; ``gunicorn.conf.py`` serves them)."""
    log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be text or json, not {log_format!r}")
    port = env.get("METRICS_PORT", "").strip()
    if port and not (port.isdigit() and 0 <= int(port) < 65536):
        raise ValueError(f"METRICS_PORT must be a port number, not {port!r}")
    return {
        "LOG_FORMAT": log_format,
        "METRICS_PORT": int(port or 0),
        "METRICS_ADDRESS": env.get("METRICS_ADDRESS", "127.0.0.1").strip() or "127.0.0.1",
    }


def time_zone_named(name: str) -> str:
    """``name`` if it is a time zone that Python knows; ``ValueError`` at start otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"REPORT_TIME_ZONE must name a time zone, not {name!r}") from None
    return name


def vat_rate(text: str) -> str:
    """``text`` if it is a percentage from 0 to under 100; ``ValueError`` at start otherwise
    (not at the first invoice)."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or not 0 <= rate < 100:
        raise ValueError(f"INVOICE_VAT_RATE must be a percentage from 0 to 99.99, not {text!r}")
    return text.strip()


def megabytes(size: int) -> str:
    """A size limit in megabytes (MiB) as messages show it: "10", "2.5"."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def upload_body_limit(config: dict[str, Any]) -> int:
    """The largest body a view that takes a file accepts (see ``platform/uploads.py``)."""
    return int(config["ATTACHMENT_MAX_BYTES"]) + int(config["UPLOAD_FORM_ALLOWANCE"])


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


STATIC_SETTINGS: dict[str, Any] = {
    # A failed statement's error never shows its values (a client's data) in the log.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # A multipart form's text fields are read into memory: none may be larger than this. (A
    # URL-encoded form is read whole, within ``MAX_CONTENT_LENGTH``.)
    "MAX_FORM_MEMORY_SIZE": 100_000,
    # An upload's body may exceed its file's limit by this much: the form's other fields and
    # the multipart boundaries (``platform/uploads.py``).
    "UPLOAD_FORM_ALLOWANCE": 64 * 1024,
    "SECURITY_PASSWORD_HASH": "argon2",
    "SECURITY_PASSWORD_LENGTH_MIN": 12,
    "SECURITY_PASSWORD_COMPLEXITY_CHECKER": "zxcvbn",
    "SECURITY_RETURN_GENERIC_RESPONSES": True,
    "SECURITY_CHANGEABLE": True,
    "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": False,
    "SECURITY_POST_CHANGE_VIEW": "/admin/",
    "SECURITY_TWO_FACTOR": True,
    "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator"],
    # Seconds either side of now: the codes of the previous, current and next 30 s step.
    "SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY": 30,
    "SECURITY_TOTP_ISSUER": "Walk-in",
    "SECURITY_MULTI_FACTOR_RECOVERY_CODES": True,
    # After set-up: the recovery codes just made, to keep (two_factor.py).
    "SECURITY_TWO_FACTOR_POST_SETUP_VIEW": "/mf-recovery-codes",
    # The panel sends no email: never offer a code by email as a way in.
    "SECURITY_TWO_FACTOR_RESCUE_EMAIL": False,
    # Messages in the panel's words and colours (the French is in flask_security.po).
    "SECURITY_MSG_TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL": (
        "Two-factor authentication is on.",
        "success",
    ),
    "SECURITY_MSG_REAUTHENTICATION_SUCCESSFUL": ("Password confirmed.", "success"),
    "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False},
    "SECURITY_TRACKABLE": True,
    "SECURITY_REGISTERABLE": False,
    "SECURITY_SEND_REGISTER_EMAIL": False,
    "SECURITY_POST_LOGIN_VIEW": "/admin/",
    "SECURITY_POST_LOGOUT_VIEW": "/login",
    "SECURITY_LOGIN_ERROR_VIEW": None,
    # Flask-Security merges these in order: our corrections come after its own catalog and win.
    "SECURITY_I18N_DIRNAME": ["builtin", str(TRANSLATIONS_DIR)],
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": ["en", "fr"],
    "DASHBOARD_REFRESH_SECONDS": 5,
    # The kiosk's "you're checked in" stays this long before the form is ready again.
    "KIOSK_RESET_SECONDS": 8,
    # Lists count up to this many rows ("1,000+" beyond) and page through this many at most.
    "LIST_COUNT_CAP": 1_000,
    "LIST_MAX_ROWS": 10_000,
    # SQLite: a search matching more clients than this reads the first pages of a list in its
    # order, testing each row; up to this many rows into the list (see ``listing.py``).
    "SEARCH_SCAN_FROM_CLIENTS": 1_000,
    "SEARCH_SCAN_MAX_ROWS": 100,
    # A message's link that withdraws consent works this long (seconds): 180 days.
    "UNSUBSCRIBE_LINK_MAX_AGE": 180 * 24 * 3600,
}


def fill_secrets(settings: dict[str, Any], instance_path: str) -> None:
    """Fill missing secrets from the instance folder's secrets file, creating it once (0600)."""
    missing = [name for name in SECRET_NAMES if not settings.get(name)]
    if missing:
        stored = _read_or_create_secrets(Path(instance_path) / SECRETS_FILE)
        for name in missing:
            settings[name] = stored[name]
    # Flask-Security encrypts each user's TOTP secret with these (versioned, for rotation).
    settings.setdefault("SECURITY_TOTP_SECRETS", {"1": settings["TOTP_SECRET"]})


def _read_or_create_secrets(path: Path) -> dict[str, str]:
    """Secrets already stored are kept; missing ones are generated and the file rewritten.

    The new content goes to a private temporary file first, then replaces the file in one
    step, so a second process starting at the same moment never reads half a file.
    """
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    missing = [name for name in SECRET_NAMES if not stored.get(name)]
    if not missing:
        return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    stored.update({name: secrets.token_urlsafe(48) for name in missing})
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(stored, handle)
    os.replace(temporary, path)
    return stored
