"""``Idempotency-Key`` on every write of ``/api/v1/`` (POST and PATCH): hooks of the blueprint,
so an endpoint added later is covered without a word. The rules (what is the same request,
which answers are kept, how long, what a concurrent retry gets) are ``domain/idempotency.py``.

- No header: the request runs as always.
- A key longer than 255 characters (or empty, or not printable ASCII): 400
  ``idempotency_key_invalid``, nothing run.
- First request with the key: it runs, its answer is kept (a 5xx releases the key instead).
- Same key, same request: the kept answer again (status, headers, body), with
  ``Idempotent-Replayed: true``; the endpoint does not run.
- Same key, another request: 422 ``idempotency_key_reused``, nothing run.
- Same key while the first still runs: waits for it (``API_IDEMPOTENCY_WAIT_SECONDS``, 5 by
  default), then 409 ``idempotency_key_in_flight`` with ``Retry-After``.

Keys are scoped to the API key that sends them; kept answers expire after 24 hours.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from ..domain.errors import IdempotencyKeyInFlight
from ..domain.idempotency import (
    Claim,
    KeptAnswer,
    claim_key,
    clean_idempotency_key,
    release_claim,
    request_fingerprint,
    settle_claim,
)
from ..extensions import db
from .auth import calling_key
from .problems import domain_problem

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
#: The methods a key makes safe to retry (GET, PUT and DELETE are so already).
WRITES = frozenset({"POST", "PATCH"})
#: Headers made again for each answer, never kept.
NOT_KEPT = frozenset({"content-length", "date", "set-cookie"})
#: Where the hooks apply (the ``api_v1`` blueprint's prefix).
COVERED_PATHS = "/api/v1/"
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Any unique text (a UUID): the request sent again with it is applied once "
    "and answered as the first time, for 24 hours; with another request it is refused (422).",
}


def claim_idempotency_key() -> Response | None:
    """Before a write sent with a key (after ``authenticate``): claim the key for this
    request, or answer again what was kept for it."""
    raw = request.headers.get(HEADER)
    if raw is None or request.method not in WRITES:
        return None
    key = clean_idempotency_key(raw)
    fingerprint = request_fingerprint(request.method, _path_and_query(), request.get_data())
    wait = current_app.config["API_IDEMPOTENCY_WAIT_SECONDS"]
    try:
        outcome = claim_key(calling_key().id, key, fingerprint, wait_seconds=wait)
    except IdempotencyKeyInFlight as running:
        response = domain_problem(running)
        response.headers["Retry-After"] = str(running.retry_after)
        return response
    if isinstance(outcome, KeptAnswer):
        return _replayed(outcome)
    g.idempotency_claim = outcome
    return None


def keep_answer(response: Response) -> Response:
    """After the write: keep its answer for the key it claimed (or release the key).

    If the database refuses that, the answer is still sent (the write itself is done): the
    claim is then abandoned, and its lease frees the key."""
    claim: Claim | None = g.pop("idempotency_claim", None)
    if claim is not None:
        headers = [(name, value) for name, value in response.headers
                   if name.lower() not in NOT_KEPT]  # fmt: skip
        answer = KeptAnswer(response.status_code, headers, response.get_data())
        try:
            _end_request_transaction()
            settle_claim(claim, answer)
        except SQLAlchemyError:
            current_app.logger.exception(
                "the answer for idempotency claim %s was not kept", claim.id
            )
    return response


def release_unanswered_claim(error: BaseException | None = None) -> None:
    """At the request's end: a claim still held had no answer (an error went past every
    handler), so the key is released for a retry (or, if the database refuses, by its lease)."""
    claim: Claim | None = g.pop("idempotency_claim", None)
    if claim is not None:
        try:
            _end_request_transaction()
            release_claim(claim)
        except SQLAlchemyError:
            current_app.logger.exception("idempotency claim %s was not released", claim.id)


def _path_and_query() -> str:
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def _end_request_transaction() -> None:
    """Roll back what the endpoint left uncommitted: it is abandoned either way, and on
    SQLite its lock would keep the claim's own connection waiting."""
    db.session.rollback()


def _replayed(answer: KeptAnswer) -> Response:
    response = Response(answer.body, status=answer.status, headers=answer.headers)
    response.headers[REPLAYED] = "true"
    return response


class IdempotencyKeyDocs(BasePlugin):
    """Names the ``Idempotency-Key`` header on every write of the OpenAPI document, as the
    hooks take it on every write."""

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        if not (path or "").startswith(COVERED_PATHS):
            return
        for method, operation in (operations or {}).items():
            if method.upper() in WRITES:
                operation.setdefault("parameters", []).append(dict(PARAMETER))
