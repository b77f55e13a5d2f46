"""The ``/api/v1`` blueprint: every request is authenticated by its key first; a write sent
with an ``Idempotency-Key`` is applied once (``idempotency.py``); errors answer as
problem+json; answers that show one row carry its version as ``ETag``, which a write may name
in ``If-Match`` (``expected_version``): a row changed since is refused with 412."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, json, request
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest, HTTPException, PreconditionFailed

from ..domain.errors import DomainError
from .auth import authenticate
from .idempotency import claim_idempotency_key, keep_answer, release_unanswered_claim
from .problems import domain_problem, http_problem

#: What a version's ETag holds (between its quotes).
VERSION_TAG = re.compile(r"[0-9]{1,18}")
#: ``If-Match`` in the OpenAPI document of the writes that check it.
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'The ETag a read returned ("<version>"): the write is made only if the row '
    "still has that version, else 412 and nothing is written.",
}

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="Walk-in's API, version 1")
blp.before_request(authenticate)
blp.before_request(claim_idempotency_key)  # after the key is known: answers are kept per key
blp.after_request(keep_answer)
blp.teardown_request(release_unanswered_claim)
blp.register_error_handler(DomainError, domain_problem)
blp.register_error_handler(HTTPException, http_problem)


def versioned(body: dict[str, Any], version: int, status: int = 200) -> Response:
    """``body`` as JSON with ``ETag: "<version>"``, which ``If-Match`` names to write."""
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.set_etag(str(version))
    return response


def expected_version() -> int | None:
    """The row version the request's ``If-Match`` names, for the write to check in its own
    UPDATE; None without the header or with ``*`` (any version).

    ``If-Match`` compares strongly: a weak tag (``W/"3"``) or one that is no version of ours
    can match nothing, so the write is refused at once (412). One tag only: several is 400.
    """
    if "If-Match" not in request.headers or request.if_match.star_tag:
        return None
    tags = list(request.if_match)  # the strong ones
    if len(tags) > 1:
        raise BadRequest("If-Match names one ETag (the one a read returned), or *.")
    if not tags or not VERSION_TAG.fullmatch(tags[0]):
        raise PreconditionFailed()
    return int(tags[0])
