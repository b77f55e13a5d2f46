"""The audit log, for admins: read-only and filterable; nobody edits or deletes it here."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l

from ..models import AuditEvent, RoleName
from .base import SecureModelView
from .filters import day_filters
from .formatting import local_datetime_formatter


class AuditView(SecureModelView):
    allowed_roles = (RoleName.ADMIN,)
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    empty_message = _l("Nothing recorded yet.")
    column_list = ("at", "action", "actor_email", "address", "target", "details")
    column_labels = {
        "at": _l("When"),
        "action": _l("Action"),
        "actor_email": _l("Who"),
        "address": _l("Address"),
        "target": _l("Target"),
        "details": _l("Details"),
    }
    column_formatters = {"at": local_datetime_formatter}
    column_searchable_list = ("action", "actor_email", "target", "address")
    column_filters = ("action", "actor_email", "address", *day_filters(AuditEvent.at, _l("When")))
    column_default_sort = ("at", True)
    column_sortable_list = ("at", "action", "actor_email")

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if name in ("create_view", "edit_view", "delete_view", "action_view", "ajax_update"):
            abort(403)
        return None
