"""Failed logins are throttled per account and per address (Flask-Limiter's storage: memory by
default, Redis through ``RATELIMIT_STORAGE_URI`` when several processes serve).

Only failures count: a shop where ten people log in at once is not slowed down. Once a limit is
reached the login form answers 429 until the window has passed, whatever the password.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request
from flask_security import current_user
from limits import parse
from werkzeug.wrappers import Response

from .extensions import limiter


def _login_keys() -> list[tuple[str, str, str]]:
    """(setting, namespace, key) for each limit that applies to this login attempt."""
    email = " ".join((request.form.get("email") or "").split()).lower()[:254]
    keys = [("LOGIN_FAILURES_PER_ADDRESS", "login-address", request.remote_addr or "unknown")]
    if email:
        keys.append(("LOGIN_FAILURES_PER_ACCOUNT", "login-account", email))
    return keys


def _is_login_post() -> bool:
    return request.endpoint == "security.login" and request.method == "POST"


def refuse_throttled_logins() -> None:
    if not _is_login_post():
        return
    for setting, namespace, key in _login_keys():
        if not limiter.limiter.test(parse(current_app.config[setting]), namespace, key):
            abort(429)


def count_failed_logins(response: Response) -> Response:
    if _is_login_post() and response.status_code != 429 and not current_user.is_authenticated:
        for setting, namespace, key in _login_keys():
            limiter.limiter.hit(parse(current_app.config[setting]), namespace, key)
    return response


def init_throttling(app: Flask) -> None:
    limiter.init_app(app)
    app.before_request(refuse_throttled_logins)
    app.after_request(count_failed_logins)
