"""Routes outside the admin views: home, language switch, and the panel's error pages."""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

web = Blueprint("web", __name__)
TIMEZONE_COOKIE = "tz"


def safe_path(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site; never another host or a script URL."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@web.get("/")
def home() -> Response:
    return redirect(url_for("admin.index"))


@web.post("/language")
def choose_language() -> Response:
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
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


def _known_timezones() -> set[str]:
    known = current_app.extensions.setdefault("walkin_timezones", available_timezones())
    return known


def refuse_null_bytes() -> None:
    """No field, search or id of this panel may hold a NUL character; PostgreSQL cannot store
    one, so such a request is refused whole before it reaches a query."""
    values = [*request.args.values(), *request.form.values(), request.path]
    if any("\x00" in value for value in values):
        abort(400)


def register_web(app: Flask) -> None:
    app.register_blueprint(web)
    app.before_request(refuse_null_bytes)
    app.register_error_handler(CSRFError, _csrf_error)
    for code in (400, 403, 404, 405):
        app.register_error_handler(code, _http_error)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    message = gettext(
        "This form has expired or did not come from this panel, so nothing was changed. Go back, reload the page and try again."  # noqa: E501
    )
    return render_template("error.html", code=400, message=message), 400


def _http_error(error: HTTPException) -> tuple[str, int]:
    messages = {
        400: gettext("The request could not be understood."),
        403: gettext("You are not allowed to do this."),
        404: gettext("This page does not exist, or you may not see it."),
        405: gettext("This action is not available here."),
    }
    code = error.code or 500
    return render_template("error.html", code=code, message=messages.get(code, "")), code
