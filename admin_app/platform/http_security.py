"""Security headers, a CSP nonce per request, and trusted proxies (only when configured)."""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

STATIC_PREFIXES = ("/static/", "/admin/static/")


def csp_nonce() -> str:
    """This request's script nonce (one per request, unguessable)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


#: The policy of every page, its script nonce left to fill in (built once per process).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def content_security_policy(nonce: str) -> str:
    return CONTENT_SECURITY_POLICY.format(nonce=nonce)


#: For what users uploaded (``admin/attachments.py``): nothing runs, nothing loads, no frame.
UPLOADED_FILE_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # A response that set stricter policies of its own (an uploaded file's, the withdrawal
    # page's) keeps them.
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not request.path.startswith(STATIC_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return response


def init_http_security(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    proxies = app.config["TRUSTED_PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
