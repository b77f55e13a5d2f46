"""The JSON API (``/api/v1/``) and its OpenAPI document (``/api/openapi.json``): a face beside
the panel, on the same domain rules.

flask-smorest rather than APIFlask: it is an extension bound to the app we already build
(``create_app`` makes a ``Flask`` subclass of its own, which APIFlask would replace), its
request schemas are marshmallow's, and it writes OpenAPI 3.1. Each app gets an ``Api`` of its
own: the ``Api`` object keeps the spec it builds, so one shared by several apps would mix them.
"""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..extensions import csrf
from ..platform.error_pages import answer_errors_under
from . import clients, dashboard, lists, missions, timeline  # noqa: F401 - routes join blp
from .blueprint import blp
from .docs import docs
from .idempotency import IdempotencyKeyDocs
from .kiosk import kiosk
from .problems import MEDIA_TYPE, http_problem
from .schemas import ProblemOut

EXTENSION = "walkin.api"
API_PREFIX = "/api/"


class WalkInApi(Api):
    """flask-smorest's ``Api``, whose documented errors are what ``problems.py`` answers:
    ``application/problem+json`` with ``ProblemOut``'s fields (flask-smorest would document its
    own JSON error shape)."""

    ERROR_SCHEMA = ProblemOut

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def init_api(app: Flask) -> None:
    app.config.update(
        API_TITLE="Walk-in API",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    # Every operation needs the key (``auth.py``): said once for the whole document, so that a
    # viewer's "Authorize" (``/api/docs``) sends it. Writes take an ``Idempotency-Key``.
    api = WalkInApi(
        app,
        spec_kwargs={
            "info": {"description": "Self check-in, bookings, accounting."},
            "security": [{"apiKey": []}],
            "extra_plugins": [IdempotencyKeyDocs()],
        },
    )
    api.spec.components.security_scheme(
        "apiKey", {"type": "http", "scheme": "bearer", "description": "wk_… (an API key)"}
    )
    csrf.exempt(blp)
    api.register_blueprint(blp)
    app.extensions[EXTENSION] = api
    answer_errors_under(app, API_PREFIX, http_problem)
    app.register_blueprint(docs)
    app.register_blueprint(kiosk)
