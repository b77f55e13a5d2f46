"""Who calls the API: an API key in ``Authorization: Bearer wk_…``, never a session cookie
(the session store does not even open one under ``/api/``: ``platform/sessions.py``).

Each endpoint names the scopes that may call it (``allowed``); a key of another scope gets 403,
a missing, unknown or revoked key 401. Requests are throttled per key (``API_RATE_LIMIT``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

from ..data.api_keys import ApiKey, ApiScope
from ..data.models import User
from ..domain.api_keys import key_for_token
from ..platform.request_log import remember_user
from ..platform.throttling import take_api_request

View = TypeVar("View", bound=Callable[..., Any])

#: What each kind of endpoint accepts.
READING = (ApiScope.READ, ApiScope.WRITE)
CHECKING_IN = (ApiScope.CHECKIN, ApiScope.WRITE)
WRITING = (ApiScope.WRITE,)


def allowed(*scopes: ApiScope) -> Callable[[View], View]:
    """Let through keys of ``scopes`` only (checked after the key itself and its throttle)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if calling_key().scope not in scopes:
                raise Forbidden()
            return view(*args, **kwargs)

        checked.api_scopes = scopes  # type: ignore[attr-defined]  # read by the OpenAPI test
        return checked  # type: ignore[return-value]

    return decorate


def authenticate() -> None:
    """Before every ``/api/v1/`` request: find the key, then count the request against it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key = key_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        raise Unauthorized()
    g.api_key = key
    remember_user(key.owner_id)
    wait = take_api_request(key.prefix)
    if wait is not None:
        raise TooManyRequests(retry_after=wait)


def calling_key() -> ApiKey:
    return g.api_key


def api_actor() -> User:
    """The account the calling key acts as: its owner (a partner, or an admin)."""
    return calling_key().owner
