"""``/admin/api-keys/``: the keys apps use to call the JSON API, made, listed and revoked by a
shop's partner (its own keys) and by admins (every key; a new one is their own, acting for all
partners, or a partner's). The rules are in ``domain/api_keys.py``; staff and support get 403,
another partner's key 404.

A new key's token is shown once. The creation's POST answers with a redirect and keeps the
token in the session only until that redirect is followed: the page it leads to takes it out
(a reload shows it no more), and a login or logout in between drops it. It is never in a URL,
a flash message or the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, flash, redirect, request, session, url_for
from flask_admin import BaseView, expose
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_in, user_logged_out
from flask_security import current_user
from wtforms import RadioField, SelectField, StringField

from ..data.api_keys import ApiKey, ApiScope
from ..data.models import RoleName, User
from ..domain.accounts import partner_choices
from ..domain.api_keys import (
    MAX_NAME,
    acts_for_all_partners,
    key_owner,
    key_state,
    make_api_key,
    may_manage_keys,
    revoke_api_key,
    visible_key,
    visible_keys,
)
from ..domain.errors import NotFound, ValidationError
from ..domain.scoping import is_admin
from .base import AccessGate
from .filters import row_number
from .forms import show_domain_errors

#: The list shows this many keys at most (those not revoked first) and says so beyond.
MAX_LISTED = 100
#: The session's entry holding a new key's token until its page shows it.
WAITING_KEY = "walkin_new_api_key"

SCOPE_WORDS = {
    ApiScope.CHECKIN: _l("Check-in only"),
    ApiScope.READ: _l("Read only"),
    ApiScope.WRITE: _l("Read and write"),
}
SCOPE_HELP = {
    ApiScope.CHECKIN: _l(
        "Registers walk-in clients and opens their missions (a kiosk, a tablet); reads nothing."
    ),
    ApiScope.READ: _l("Reads clients and missions; changes nothing."),
    ApiScope.WRITE: _l("Reads, registers clients and moves missions on (start, complete, cancel)."),
}
STATE_WORDS = {
    "active": _l("Valid"),
    "revoked": _l("Revoked"),
    "owner_inactive": _l("Owner inactive"),
}


class ApiKeyForm(BaseForm):
    """A new key's fields as typed; the domain validates them (CSRF: ``CSRFProtect``).
    ``owner`` is removed for partners (their keys are their own)."""

    name = StringField(_l("Name"), render_kw={"maxlength": MAX_NAME, "required": True})
    scope = RadioField(
        _l("What it may do"),
        choices=[(scope.value, SCOPE_WORDS[scope]) for scope in ApiScope],
        validate_choice=False,
    )
    owner = SelectField(_l("Owner"), validate_choice=False)


@dataclass(frozen=True)
class KeyLine:
    """One key as the list shows it."""

    key: ApiKey
    state: str
    all_partners: bool


class ApiKeysView(AccessGate, BaseView):
    """The API keys page; only accounts that manage keys reach it (others: 403)."""

    allowed_roles = (RoleName.ADMIN, RoleName.PARTNER)

    def is_accessible(self) -> bool:
        return super().is_accessible() and may_manage_keys(current_user)

    @expose("/")
    def index(self) -> str:
        keys = visible_keys(current_user, limit=MAX_LISTED + 1)
        lines = [KeyLine(key, key_state(key), acts_for_all_partners(key)) for key in keys]
        return self.render(
            "admin/api_keys.html",
            lines=lines[:MAX_LISTED],
            capped=len(lines) > MAX_LISTED,
            max_listed=MAX_LISTED,
            sees_owners=is_admin(current_user),
            scope_words=SCOPE_WORDS,
            state_words=STATE_WORDS,
        )

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        form = ApiKeyForm(request.form if request.method == "POST" else None)
        if is_admin(current_user):
            form.owner.choices = owner_choices(current_user.id)
        else:
            del form.owner
        if request.method == "POST":
            try:
                owner_id = row_number(form.owner.data) if "owner" in form else None
                owner = key_owner(current_user, owner_id)
                key, token = make_api_key(current_user, owner, form.name.data, form.scope.data)
            except ValidationError as error:
                show_domain_errors(form, error)
            else:
                session[WAITING_KEY] = {"user": current_user.id, "key": key.id, "token": token}
                return redirect(url_for(".created_view"))
        return self.render("admin/api_key_new.html", form=form, scope_help=SCOPE_HELP)

    @expose("/created/")
    def created_view(self) -> Any:
        """The new key's token, this once: taken out of the session as it is shown."""
        waiting = session.pop(WAITING_KEY, None)
        key = waiting_key(waiting)
        if key is None:
            flash(
                gettext(
                    "A key's token is shown only once, when the key is made. If it was lost,"
                    " revoke the key and make a new one."
                ),
                "info",
            )
            return redirect(url_for(".index"))
        return self.render(
            "admin/api_key_created.html",
            key=key,
            token=waiting["token"],
            all_partners=acts_for_all_partners(key),
            scope_words=SCOPE_WORDS,
        )

    @expose("/revoke/", methods=("GET", "POST"))
    def revoke_view(self) -> Any:
        """A confirmation page (GET ``?id=``), then the revocation (POST ``id``): apps using
        the key are refused at once."""
        if request.method == "POST":
            key = managed_key(request.form, revoke_api_key)
            message = gettext(
                "API key %(key)s is revoked: apps using it are refused from now on.",
                key=key.label,
            )
            flash(message, "success")
            return redirect(url_for(".index"))
        key = managed_key(request.args, visible_key)
        return self.render(
            "admin/api_key_revoke.html",
            key=key,
            all_partners=acts_for_all_partners(key),
            scope_words=SCOPE_WORDS,
        )


def managed_key(values: Mapping[str, str], find: Callable[[int, User], ApiKey]) -> ApiKey:
    """The key a request's ``id`` names, through ``find`` (``visible_key`` or
    ``revoke_api_key``); 404 for a malformed id or a key the user does not manage."""
    key_id = row_number(values.get("id"))
    if key_id is None:
        abort(404)
    try:
        return find(key_id, current_user)
    except NotFound:
        abort(404)


def owner_choices(admin_id: int) -> list[tuple[str, str]]:
    """An admin's owner picker: none chosen yet, the admin itself, then each active partner."""
    return [
        ("", gettext("Choose whose key it is")),
        (str(admin_id), gettext("Yours: it acts for all partners")),
        *((str(partner_id), email) for partner_id, email in partner_choices()),
    ]


def waiting_key(waiting: object) -> ApiKey | None:
    """The key whose token waits in the session for the user now logged in, if any."""
    if not isinstance(waiting, dict) or waiting.get("user") != current_user.id:
        return None
    try:
        return visible_key(waiting["key"], current_user)
    except NotFound:
        return None


def _drop_waiting_token(*_: Any, **__: Any) -> None:
    """A token waiting when someone logs in or out is not theirs to see (the session's data
    outlives its id's rotation)."""
    session.pop(WAITING_KEY, None)


def init_api_key_pages(app: Flask) -> None:
    user_logged_in.connect_via(app)(_drop_waiting_token)
    user_logged_out.connect_via(app)(_drop_waiting_token)
