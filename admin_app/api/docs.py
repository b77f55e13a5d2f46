"""``/api/docs``: the API's reference, read from ``/api/openapi.json`` by Swagger UI.

Swagger UI is served from our own static files (``static/vendor/swagger-ui/``, with its
licence) and started by a script file of ours (``static/api-docs.js``): flask-smorest's own
Swagger UI page loads it from a CDN and starts it with an inline script, which the panel's
Content-Security-Policy refuses. The page keeps that policy unchanged.
"""

from __future__ import annotations

from flask import Blueprint, render_template

docs = Blueprint("api_docs_page", __name__)


@docs.get("/api/docs")
def api_docs() -> str:
    return render_template("api/docs.html")
