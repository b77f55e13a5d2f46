"""Failed authentication is throttled per account and per address, in Flask-Limiter's storage
(memory by default, Redis through ``RATELIMIT_STORAGE_URI`` when several processes serve).

Only failures count: a shop where ten people log in at once is not slowed down. Passwords
(login, ``/verify``, ``/change``) and second-factor codes (authenticator and recovery codes) are
counted apart, each with its own limits. Once a limit is reached the page answers 429 until the
window has passed, whatever is typed. ``RATELIMIT_ENABLED=False`` (Flask-Limiter's own setting)
turns the throttle off, for a deployment that throttles in front of the app.

Each app has counters of its own (like its ``Admin``), in ``limits``' fixed windows. Flask-Limiter
itself is attached only when an operator sets limits on every route (``RATELIMIT_DEFAULT`` or
``RATELIMIT_APPLICATION``): its check runs before every request, and without such limits it
would find nothing to check, on every request.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from werkzeug.exceptions import ServiceUnavailable

EXTENSION = "walkin.throttle"
#: Flask-Limiter, when limits on every route are set (``ROUTE_LIMITS``); else None.
ROUTE_LIMITER = "walkin.route_limiter"


class Secret(enum.StrEnum):
    """What an authentication step checks; each kind has its own limits."""

    PASSWORD = "password"  # noqa: S105 - the name of a kind, not a password
    CODE = "code"


#: Settings naming each kind's limits, per account and per address.
LIMITS = {
    Secret.PASSWORD: ("LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_ADDRESS"),
    Secret.CODE: ("SECOND_FACTOR_FAILURES_PER_ACCOUNT", "SECOND_FACTOR_FAILURES_PER_ADDRESS"),
}


def refuse() -> None:
    """The secret this request checked was wrong (called by the panel's Flask-Security forms
    and TOTP check); ``authn`` counts it after the view."""
    g.authn_refused = True


def was_refused() -> bool:
    return bool(g.get("authn_refused"))


class Throttle:
    """This app's counters: fixed windows in the storage ``RATELIMIT_STORAGE_URI`` names."""

    def __init__(self, windows: RateLimiter) -> None:
        self.limiter = windows

    def reset(self) -> None:
        self.limiter.storage.reset()


def app_limiter() -> Throttle | None:
    """This app's counters, or None when throttling is turned off."""
    return current_app.extensions[EXTENSION]


def _limits(secret: Secret, account_key: str | None) -> list[tuple[str, str, str]]:
    """(setting, namespace, key) of each limit that applies to an attempt."""
    per_account, per_address = LIMITS[secret]
    limits = [(per_address, f"{secret}-address", request.remote_addr or "unknown")]
    if account_key:
        limits.append((per_account, f"{secret}-account", account_key))
    return limits


class ThrottleUnavailable(ServiceUnavailable):
    """The throttle's storage (Redis) cannot be reached: an attempt that cannot be counted is
    not checked at all (answered 503), rather than let through uncounted or answered 500."""

    def __init__(self) -> None:
        super().__init__(gettext("Sign-in attempts cannot be checked right now. Try again soon."))


@contextmanager
def _storage_reachable(limiter: Throttle) -> Iterator[None]:
    try:
        yield
    except (StorageError, limiter.limiter.storage.base_exceptions) as problem:
        current_app.logger.error("throttle storage unreachable: %s", type(problem).__name__)
        raise ThrottleUnavailable() from problem


def is_throttled(secret: Secret, account_key: str | None) -> bool:
    """Whether the account or the address has used up its failures of this kind."""
    limiter = app_limiter()
    if limiter is None:
        return False
    with _storage_reachable(limiter):
        return not all(
            limiter.limiter.test(parse(current_app.config[setting]), namespace, key)
            for setting, namespace, key in _limits(secret, account_key)
        )


def count_failure(secret: Secret, account_key: str | None) -> None:
    limiter = app_limiter()
    if limiter is None:
        return
    with _storage_reachable(limiter):
        for setting, namespace, key in _limits(secret, account_key):
            limiter.limiter.hit(parse(current_app.config[setting]), namespace, key)


def take_api_request(key_prefix: str) -> int | None:
    """Count one API request of a key: None when it may go on, else the seconds until the
    key's ``API_RATE_LIMIT`` window lets it through again."""
    limiter = app_limiter()
    if limiter is None:
        return None
    with _storage_reachable(limiter):
        rate = parse(current_app.config["API_RATE_LIMIT"])
        if limiter.limiter.hit(rate, "api-key", key_prefix):
            return None
        reset_at, _ = limiter.limiter.get_window_stats(rate, "api-key", key_prefix)
    return max(int(reset_at - time.time()) + 1, 1)


#: Flask-Limiter's settings of limits on every route: an operator's, for a deployment without a
#: proxy that limits requests.
ROUTE_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")


def _windows(app: Flask) -> RateLimiter:
    if any(app.config.get(setting) for setting in ROUTE_LIMITS):
        route_limiter = Limiter(get_remote_address, app=app, default_limits=[])
        app.extensions[ROUTE_LIMITER] = route_limiter
        return route_limiter.limiter
    options = app.config.get("RATELIMIT_STORAGE_OPTIONS", {})
    return FixedWindowRateLimiter(
        storage_from_string(app.config["RATELIMIT_STORAGE_URI"], **options)
    )


def init_throttling(app: Flask) -> None:
    app.extensions[ROUTE_LIMITER] = None
    app.extensions[EXTENSION] = Throttle(_windows(app)) if app.config["RATELIMIT_ENABLED"] else None
