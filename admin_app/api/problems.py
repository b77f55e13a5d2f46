"""Errors as ``application/problem+json`` (RFC 9457): a stable ``code`` beside the HTTP status,
English words in ``title`` and ``detail``, and for invalid input one entry a field.

The panel translates the same codes (``admin/messages.py``); a program reads ``code`` and
``errors[].code``, never the words.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json
from werkzeug.exceptions import HTTPException

from ..domain.errors import (
    FIELD_PROBLEMS,
    DomainError,
    EditConflict,
    FieldProblem,
    IdempotencyKeyInFlight,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    MissionChanged,
    NotAllowed,
    NotFound,
    TransitionRefused,
    ValidationError,
)

MEDIA_TYPE = "application/problem+json"

#: Each domain refusal's HTTP status; any other domain error is a 409 (the request was
#: understood, the rows' state refuses it). ``EditConflict`` is a write whose ``If-Match``
#: names a version the row no longer has.
STATUS_OF: list[tuple[type[DomainError], int]] = [
    (ValidationError, 422),
    (NotFound, 404),
    (NotAllowed, 403),
    (TransitionRefused, 409),
    (MissionChanged, 409),
    (EditConflict, 412),
    (IdempotencyKeyInvalid, 400),
    (IdempotencyKeyReused, 422),
    (IdempotencyKeyInFlight, 409),
]

#: The title of a domain refusal whose status's own title would mislead.
TITLES = {"idempotency_key_reused": "The Idempotency-Key was sent with another request"}

#: The code and title of plain HTTP answers.
HTTP_CODES = {
    400: ("bad_request", "The request could not be read"),
    401: ("unauthorized", "A valid API key is needed"),
    403: ("forbidden", "This key may not do this"),
    404: ("not_found", "No such resource"),
    405: ("method_not_allowed", "This method is not allowed here"),
    412: ("precondition_failed", "The resource changed since it was read"),
    413: ("too_large", "The request is too large"),
    415: ("unsupported_media_type", "Send JSON (Content-Type: application/json)"),
    422: ("field_invalid", "Some fields are invalid"),
    428: ("precondition_required", "Send If-Match with the ETag you read"),
    429: ("too_many_requests", "Too many requests for this key: wait, then retry"),
    500: ("server_error", "Something went wrong on our side"),
    503: ("unavailable", "The service is unavailable; retry later"),
}


def problem(status: int, code: str | None = None, detail: str | None = None,
            title: str | None = None, **extra: Any) -> Response:  # fmt: skip
    """A problem+json answer of ``status``; ``code`` and ``title`` default to the status's."""
    default_code, default_title = HTTP_CODES.get(status, ("error", "Error"))
    body = {"type": "about:blank", "status": status, "code": code or default_code,
            "title": title or default_title, **({"detail": detail} if detail else {}),
            **extra}  # fmt: skip
    return Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)


def field_errors(errors: dict[str, FieldProblem]) -> list[dict[str, Any]]:
    return [
        {"field": name, "code": found.code, "detail": str(found), "params": dict(found.params)}
        for name, found in errors.items()
    ]


def domain_problem(error: DomainError) -> Response:
    """A domain refusal: its status, its code, its English words."""
    status = next((code for kind, code in STATUS_OF if isinstance(error, kind)), 409)
    if isinstance(error, ValidationError):
        return problem(422, error.code, str(error), errors=field_errors(error.errors))
    if status == 412:  # the version If-Match named is gone: HTTP's own code, as for any 412
        return problem(412, detail=str(error))
    return problem(status, error.code, str(error), TITLES.get(error.code))


def http_problem(error: HTTPException) -> Response:
    """A plain HTTP error; a request body that did not match its schema (flask-smorest's 422)
    names each field, with the codes ``api/schemas.py`` gives its fields."""
    status = error.code or 500
    messages = (getattr(error, "data", None) or {}).get("messages")
    if status == 422 and messages:
        return problem(422, "field_invalid", errors=_schema_errors(messages))
    if status == 500:
        current_app.logger.error("API error 500", exc_info=error)
    response = problem(status, detail=error.description if status in (400, 415) else None)
    response.headers.extend(
        (name, value) for name, value in error.get_headers() if name == "Retry-After"
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _schema_errors(messages: dict[str, Any]) -> list[dict[str, Any]]:
    """flask-smorest's ``{"json": {"field": ["code"]}}``; a message that is not one of our
    codes (marshmallow's own words) is ``field_invalid`` with those words."""
    errors = []
    for fields in messages.values():
        for name, texts in fields.items() if isinstance(fields, dict) else []:
            for text in texts if isinstance(texts, list) else [texts]:
                known = isinstance(text, str) and text in FIELD_PROBLEMS
                code = text if known else "field_invalid"
                detail = FIELD_PROBLEMS[text] if known else str(text)
                errors.append({"field": name, "code": code, "detail": detail, "params": {}})
    return errors
