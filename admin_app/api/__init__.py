"""The JSON API (``/api/v1/``) and its OpenAPI document (``/api/openapi.json``): a face beside
the panel, on the same domain rules.

flask-smorest rather than APIFlask: it is an extension bound to the app we already build
(``create_app`` makes a ``Flask`` subclass of its own, which APIFlask would replace), its
request schemas are marshmallow's, and it writes OpenAPI 3.1. Each app gets an ``Api`` of its
own: the ``Api`` object keeps the spec it builds, so one shared by several apps would mix them.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from ..extensions import csrf
from ..platform.error_pages import answer_errors_under
from . import clients, dashboard, lists, missions, timeline  # noqa: F401 - routes join blp
from .blueprint import blp
from .docs import docs
from .idempotency import IdempotencyKeyDocs
from .kiosk import kiosk
from .problems import http_problem

EXTENSION = "walkin.api"
API_PREFIX = "/api/"


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
    api = Api(
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
