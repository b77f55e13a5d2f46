"""Flask-Admin's static files' URLs, built once a process.

Every panel page links a dozen of Flask-Admin's scripts and style sheets (``base.html``), and
Flask-Admin's ``static.html`` builds each URL with ``url_for`` on every request: a route
lookup and a query string to encode, though the URL only depends on the file, its version and
the path the panel is served under. ``templates/admin/static.html`` asks here instead.
"""

from __future__ import annotations

from functools import lru_cache

from flask import request, url_for


def admin_static_url(admin_endpoint: str, filename: str, **values: str) -> str:
    """The URL of one of Flask-Admin's static files (``v``: its version, for caches)."""
    return _built(request.script_root, f"{admin_endpoint}.static", filename, *values.items())


@lru_cache(maxsize=256)
def _built(script_root: str, endpoint: str, filename: str, *values: tuple[str, str]) -> str:
    """(``script_root`` is part of the key: the same file has another URL under another.)"""
    return url_for(endpoint, filename=filename, **dict(values))
