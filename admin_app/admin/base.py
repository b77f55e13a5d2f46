"""The single access gate of the panel, shared by every admin view."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView
from flask_security import current_user
from werkzeug.wrappers import Response

from ..models import RoleName

PANEL_ROLES = (RoleName.ADMIN, RoleName.PARTNER, RoleName.SUPPORT)


class AccessGate:
    """``is_accessible`` is the one check every panel page passes; anonymous users go to the
    login page (and come back), logged-in users without a role get 403 (a redirect would loop).
    """

    allowed_roles: tuple[RoleName, ...] = PANEL_ROLES

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.active) and any(
            current_user.has_role(role) for role in self.allowed_roles
        )

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if not current_user.is_authenticated:
            return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
        abort(403)


class SecureIndexView(AccessGate, AdminIndexView):
    """The panel's home page."""
