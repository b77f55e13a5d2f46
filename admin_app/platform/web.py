"""Routes outside the admin views: home, language switch, and the panel's error pages."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    request,
    session,
    url_for,
)
from flask_security import current_user
from werkzeug.wrappers import Response

from ..domain.accounts import remember_language

web = Blueprint("web", __name__)
TIMEZONE_COOKIE = "tz"


def has_control_characters(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def safe_path(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site; never another host or a script URL."""
    if not target or "\\" in target or has_control_characters(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@web.get("/")
def home() -> Response:
    return redirect(url_for("admin.index"))


@web.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every page that names no icon (the JSON figures, a download)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@web.post("/language")
def choose_language() -> Response:
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated:
            remember_language(current_user._get_current_object(), language)
    return redirect(safe_path(request.form.get("next"), url_for("admin.index")))


def select_locale() -> str | None:
    chosen = session.get("language")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def select_timezone() -> str | None:
    """The browser's time zone, which the panel's script stores in a cookie."""
    zone = request.cookies.get(TIMEZONE_COOKIE)
    return zone if zone in _known_timezones() else None


@cache
def _known_timezones() -> frozenset[str]:
    """Read once per process: listing the zones walks the time-zone database on disk."""
    return frozenset(available_timezones())


#: The bodies Werkzeug reads as a form (any other leaves ``request.form`` empty).
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def refuse_null_bytes() -> None:
    """No field, search or id of this panel may hold a NUL character; PostgreSQL cannot store
    one, so such a request is refused whole before it reaches a query."""
    form = request.form.values() if request.mimetype in FORM_TYPES else ()
    values = [*request.args.values(), *form, request.path]
    if any("\x00" in value for value in values):
        abort(400)


def register_web(app: Flask) -> None:
    app.register_blueprint(web)
    app.before_request(refuse_null_bytes)
