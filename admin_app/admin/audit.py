"""The audit log, for admins: read-only, in words, newest first, filtered through its indexes
(action, account, address, day); nobody edits or deletes it here.

``ACTION_WORDS`` names each recorded action; a code it does not hold yet shows as it is
recorded (never an error), so adding an action means adding its words here.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, url_for
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..data.models import AuditEvent, RoleName
from .accounts import ROLE_LABELS
from .api_keys import SCOPE_WORDS
from .base import SecureModelView
from .filters import ChoiceFilter, day_filters
from .formatting import local_datetime_with_zone
from .listing import ListingMixin
from .shop_profile import PROFILE_FIELD_LABELS

ACTION_WORDS = {
    "login.success": _l("Logged in"),
    "login.second_factor_asked": _l("Password accepted, code asked"),
    "login.failure": _l("Login refused"),
    "login.second_factor_dropped": _l("Login dropped after too many wrong codes"),
    "password.failure": _l("Wrong password"),
    "two_factor.setup_failure": _l("Wrong code while setting up two-factor authentication"),
    "logout": _l("Logged out"),
    "account.create": _l("Account created"),
    "account.update": _l("Account changed"),
    "client.delete": _l("Client deleted"),
    "client.personal_data_export": _l("Client's personal data exported"),
    "client.erase": _l("Client erased"),
    "client.merge": _l("Clients merged"),
    "client.reveal": _l("Client's email and phone revealed"),
    "client.consent_given": _l("Client's consent to emails given"),
    "client.consent_withdrawn": _l("Client's consent to emails withdrawn"),
    "message.sent": _l("Message to a client sent"),
    "message.failed": _l("Message to a client failed"),
    "message.retry": _l("Failed messages sent again"),
    "attachment.add": _l("Attachment added"),
    "attachment.delete": _l("Attachment deleted"),
    "service_type.create": _l("Service type created"),
    "service_type.update": _l("Service type changed"),
    "service_type.delete": _l("Service type deleted"),
    "export": _l("List exported"),
    "access.refused": _l("Another partner's row refused"),
    "invoice.issue": _l("Invoice issued"),
    "invoice.credit": _l("Credit note issued"),
    "invoice.pdf": _l("Invoice downloaded as PDF"),
    "client.erase_invoiced": _l("Client erased (anonymised: its invoices are kept)"),
    "shop_profile.update": _l("Shop profile changed"),
    "api_key.create": _l("API key made"),
    "api_key.revoke": _l("API key revoked"),
}

#: The details' keys, in words; ``email`` is left out (the Account column shows it).
DETAIL_WORDS = {
    "step": _l("Step"),
    "failures": _l("Wrong codes"),
    "status": _l("HTTP status"),
    "roles": _l("Roles"),
    "active": _l("Active"),
    "password_changed": _l("Password changed"),
    "type": _l("Format"),
    "parameters": _l("List parameters"),
    "merged": _l("Client merged into it (deleted)"),
    "missions": _l("Missions moved"),
    "mission": _l("Mission"),
    "size": _l("Size in bytes"),
    "messages": _l("Messages"),
    "reference": _l("Number"),
    "invoiced": _l("Missions invoiced"),
    "credits": _l("Invoice cancelled"),
    "changed": _l("Fields changed"),
    "key": _l("API key"),
    "scope": _l("Scope"),
    "api_key": _l("Through API key"),
}
HIDDEN_DETAILS = frozenset({"email"})
#: The login steps a failure names.
STEP_WORDS = {
    "login": _l("password"),
    "two_factor_token_validation": _l("authenticator code"),
    "mf_recovery": _l("recovery code"),
    "two_factor_setup": _l("authenticator set-up"),
    "verify": _l("password confirmation"),
    "change_password": _l("password change"),
}
#: What a target's prefix names (``walk_in_client:<id>``), or a list exported.
TARGET_WORDS = {
    "walk_in_client": _l("Client"),
    "walk_in_mission": _l("Mission"),
    "user": _l("Account"),
    "notification": _l("Notification"),
    "invoice": _l("Invoice"),
    "shop_profile": _l("Shop profile of account"),
    "api_key": _l("API key"),
    "clients": _l("Clients"),
    "missions": _l("Missions"),
}
SHORT_ID = 8


def action_words(code: str) -> str:
    return str(ACTION_WORDS.get(code, code))


def detail_value(key: str, value: Any) -> str:
    """One detail's value in words: yes or no, role and step names, lists joined."""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key == "roles" and isinstance(value, list):
        return ", ".join(str(ROLE_LABELS.get(role, role)) for role in value)
    if key == "step":
        return str(STEP_WORDS.get(value, value))
    if key == "scope" and value in SCOPE_WORDS:
        return str(SCOPE_WORDS[value])
    if key == "changed" and isinstance(value, list):
        return ", ".join(str(PROFILE_FIELD_LABELS.get(name, name)) for name in value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def details_formatter(view: Any, context: Any, model: AuditEvent, name: str) -> Markup:
    """The details as a "key: value" list in words, escaped; text that is not a JSON object
    shows as it is."""
    try:
        details = json.loads(model.details) if model.details else {}
    except ValueError:
        details = None
    if not isinstance(details, dict):
        return Markup("{}").format(model.details)
    items = Markup().join(
        Markup('<li><span class="text-muted">{}</span> {}</li>').format(
            gettext("%(name)s:", name=DETAIL_WORDS.get(key, key)), detail_value(key, value)
        )
        for key, value in details.items()
        if key not in HIDDEN_DETAILS
    )
    return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(items) if items else Markup()


def action_formatter(view: Any, context: Any, model: AuditEvent, name: str) -> Markup:
    return Markup('<span title="{}">{}</span>').format(model.action, action_words(model.action))


def target_formatter(view: Any, context: Any, model: AuditEvent, name: str) -> Markup:
    """ "Client 3f2a9c1e" (the whole id on hover), "Missions" for an export of that list."""
    kind, _, row_id = (model.target or "").partition(":")
    words = TARGET_WORDS.get(kind)
    if words is None:
        return Markup("{}").format(model.target or "")
    if not row_id:
        return Markup("{}").format(words)
    return Markup('<span title="{}">{} {}</span>').format(row_id, words, row_id[:SHORT_ID])


def when_formatter(view: Any, context: Any, model: AuditEvent, name: str) -> str:
    return local_datetime_with_zone(model.at)


def account_formatter(view: AuditView, context: Any, model: AuditEvent, name: str) -> Markup:
    return view.account_link(model)


class AccountIs(BaseSQLAFilter):
    """Events concerning one account (its email, case aside), through its index."""

    def validate(self, value: Any) -> bool:
        return 0 < len(value.strip()) <= 254

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) == value.strip().lower())

    def operation(self) -> str:
        return _l("is")


class AddressIs(BaseSQLAFilter):
    """Events from one IP address, through its index."""

    def validate(self, value: Any) -> bool:
        return 0 < len(value.strip()) <= 64

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) == value.strip())

    def operation(self) -> str:
        return _l("is")


ACCOUNT_FILTER = AccountIs(AuditEvent.account_email, _l("Account"))


class AuditView(ListingMixin, SecureModelView):
    allowed_roles = (RoleName.ADMIN,)
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    empty_message = _l("Nothing recorded yet.")
    column_list = ("at", "action", "account_email", "actor_email", "address", "target", "details")
    column_labels = {
        "at": _l("When"),
        "action": _l("Action"),
        "account_email": _l("Account"),
        "actor_email": _l("Who"),
        "address": _l("IP address"),
        "target": _l("Target"),
        "details": _l("Details"),
    }
    column_formatters = {
        "at": when_formatter,
        "action": action_formatter,
        "account_email": account_formatter,
        "target": target_formatter,
        "details": details_formatter,
    }
    column_filters = (
        ChoiceFilter(AuditEvent.action, _l("Action"), options=list(ACTION_WORDS.items())),
        ACCOUNT_FILTER,
        AddressIs(AuditEvent.address, _l("IP address")),
        *day_filters(AuditEvent.at, _l("When")),
    )
    column_default_sort = ("at", True)
    column_sortable_list = ("at",)

    def account_link(self, event: AuditEvent) -> Markup:
        """The account, linked to the log of its events only."""
        if not event.account_email:
            return Markup()
        index = self._filters.index(ACCOUNT_FILTER)
        arg = f"flt0_{self.get_filter_arg(index, ACCOUNT_FILTER)}"
        url = url_for(".index_view", **{arg: event.account_email})
        return Markup('<a href="{}">{}</a>').format(url, event.account_email)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if name in ("create_view", "edit_view", "delete_view", "action_view", "ajax_update"):
            abort(403)
        return None
