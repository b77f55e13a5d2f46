"""Error pages in the panel's look and language, each with the request's reference id, which
the server log and the ``X-Request-Id`` header also carry (``request_log.py``); never a stack
trace, SQL or secret in a response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, make_response, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.wrappers import Response

from ..config import megabytes
from ..extensions import db
from .request_log import loggable_path, request_reference
from .uploads import takes_uploads

#: The database cannot be reached (a missing SQLite file, a PostgreSQL connection cut or refused):
#: answered 503, and the app recovers by itself once it is back.
DATABASE_ERRORS = (OperationalError, InterfaceError)
DatabaseError = OperationalError | InterfaceError
#: Answered with the panel's error page (500 and 503 have handlers of their own).
HANDLED_CODES = (400, 403, 404, 405, 413, 415, 429)


def _messages() -> dict[int, str]:
    return {
        400: gettext("The request could not be understood."),
        403: gettext("You are not allowed to do this."),
        404: gettext("This page does not exist, or you may not see it."),
        405: gettext("This action is not available here."),
        413: gettext("This request is too large: nothing was saved."),
        415: gettext("This page only accepts its own forms."),
        429: gettext("Too many attempts. Wait a moment, then try again."),
        500: gettext("Something went wrong on our side. Nothing was half-saved; try again."),
        503: gettext("The database cannot be reached right now. Try again in a moment."),
    }


def _render(code: int, message: str, reference: str) -> str:
    """Rendered without context processors: those would load the user, which needs the very
    database that may be the cause of the error."""
    template = current_app.jinja_env.get_template("error.html")
    return template.render(code=code, message=message, reference=reference)


def error_page(code: int, message: str | None = None) -> tuple[str, int]:
    """Render the error page; the reference id is logged with the request that caused it."""
    reference = request_reference()
    current_app.logger.warning(
        "error %s ref=%s %s %s", code, reference, request.method, loggable_path()
    )
    return _render(code, message or _messages().get(code, ""), reference), code


#: Where other faces (the JSON API) answer errors in their own format: path prefix → renderer.
RENDERERS = "walkin.error_renderers"


def answer_errors_under(app: Flask, prefix: str, render: Callable[[HTTPException], Any]) -> None:
    """Errors of requests under ``prefix`` are answered by ``render`` instead of the page."""
    app.extensions.setdefault(RENDERERS, {})[prefix] = render


def _own_renderer() -> Callable[[HTTPException], Any] | None:
    for prefix, render in current_app.extensions.get(RENDERERS, {}).items():
        if request.path.startswith(prefix):
            return render
    return None


def _http_error(error: HTTPException) -> Any:
    if render := _own_renderer():
        return render(error)
    if error.code == 413 and takes_uploads(request.endpoint):
        return error_page(413, _file_too_large())
    return error_page(error.code or 500)


def _file_too_large() -> str:
    size = megabytes(current_app.config["ATTACHMENT_MAX_BYTES"])
    return gettext(
        "This file is larger than %(megabytes)s MB, the most an attachment may be: nothing was saved. Go back and choose a smaller file.",  # noqa: E501
        megabytes=size,
    )


def _service_unavailable(error: ServiceUnavailable) -> Any:
    """A service the request needs is away (the throttle's storage): its own words."""
    if render := _own_renderer():
        return render(error)
    return error_page(503, error.description)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return error_page(
        400,
        gettext(
            "This form has expired or did not come from this panel, so nothing was changed. Go back, reload the page and try again."  # noqa: E501
        ),
    )


def _server_error(error: InternalServerError) -> Any:
    """An unexpected error: roll back, log the cause with its reference, show only the id."""
    db.session.rollback()
    original = getattr(error, "original_exception", None) or error
    reference = request_reference()
    current_app.logger.error(
        "error 500 ref=%s %s %s", reference, request.method, loggable_path(), exc_info=original
    )
    if render := _own_renderer():
        return render(InternalServerError(f"reference {reference}"))
    return _render(500, _messages()[500], reference), 500


def _database_unreachable(error: DatabaseError) -> Any:
    """The pool pings connections before use, so the app recovers by itself once it is back."""
    try:
        db.session.rollback()
    except DATABASE_ERRORS:
        db.session.remove()
    current_app.logger.error("database unreachable: %s", type(error.orig).__name__)
    if render := _own_renderer():
        return render(ServiceUnavailable())
    return error_page(503)


def unavailable_page(error: DatabaseError) -> Response:
    """The 503 page, for code that runs after the view (saving the session, after-request
    hooks), where Flask's error handlers no longer apply."""
    return make_response(_database_unreachable(error))


def _close_database_session(_: BaseException | None) -> None:
    """Flask-SQLAlchemy closes the request's session after the response is made; a connection
    cut in between fails that close (its rollback), which would turn a finished answer into a
    500. The dead connection is already dropped from the pool: the session is forgotten too.
    (Registered after Flask-SQLAlchemy, so it runs first.)"""
    try:
        db.session.remove()
    except DATABASE_ERRORS as error:
        current_app.logger.warning(
            "connection lost after the answer: %s", type(error.orig).__name__
        )
        db.session.registry.clear()


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    for code in HANDLED_CODES:
        app.register_error_handler(code, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(ServiceUnavailable, _service_unavailable)
    app.teardown_appcontext(_close_database_session)
    for database_error in DATABASE_ERRORS:
        app.register_error_handler(database_error, _database_unreachable)
