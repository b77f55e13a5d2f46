"""The ``/api/v1`` blueprint: every request is authenticated by its key first; errors answer
as problem+json; answers that show one row carry its version as ``ETag``."""

from __future__ import annotations

from typing import Any

from flask import Response, json
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from ..domain.errors import DomainError
from .auth import authenticate
from .problems import domain_problem, http_problem

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="Walk-in's API, version 1")
blp.before_request(authenticate)
blp.register_error_handler(DomainError, domain_problem)
blp.register_error_handler(HTTPException, http_problem)


def versioned(body: dict[str, Any], version: int, status: int = 200) -> Response:
    """``body`` as JSON with ``ETag: "<version>"``, which ``If-Match`` names to write."""
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.set_etag(str(version))
    return response
