"""Accounts and roles, for admins only: create, change roles, deactivate, reactivate; staff
accounts under their shop (a Shop column, filter and field)."""

from __future__ import annotations

from typing import Any

from flask import flash, request
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Optional

from ..data.models import RoleName, User
from ..domain.accounts import SHOP_NAME_MAX_LENGTH, create_account, partner_choices, update_account
from ..domain.errors import ValidationError
from .base import SecureModelView
from .filters import PartnerFilter
from .formatting import local_datetime_formatter
from .forms import optional_id, show_domain_errors

ROLE_LABELS = {
    RoleName.ADMIN.value: _l("Admin"),
    RoleName.PARTNER.value: _l("Partner"),
    RoleName.SUPPORT.value: _l("Support"),
    RoleName.STAFF.value: _l("Staff member"),
}


class AccountForm(BaseForm):
    email = StringField(_l("Email"), validators=[InputRequired()])
    password = PasswordField(
        _l("Password"),
        description=_l("At least 12 characters. Leave empty to keep the current password."),
        render_kw={"autocomplete": "new-password"},
    )
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()],
        validators=[InputRequired()],
    )
    shop = SelectField(
        _l("Shop"),
        coerce=optional_id,
        description=_l("Staff accounts only: the partner account whose rows they work on."),
        validators=[Optional()],
    )
    shop_name = StringField(
        _l("Shop name"),
        description=_l("Partner accounts only: the name their clients read in emails."),
        render_kw={"maxlength": SHOP_NAME_MAX_LENGTH},
    )
    active = BooleanField(_l("Active"), default=True)


def roles_formatter(view: Any, context: Any, model: User, name: str) -> str:
    return ", ".join(str(ROLE_LABELS.get(role.name, role.name)) for role in model.roles)


def shop_formatter(view: Any, context: Any, model: User, name: str) -> str:
    return model.shop.email if model.shop else ""


def shop_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", gettext("No shop")),
        *(SelectChoice(str(id_), email) for id_, email in partner_choices()),
    ]


def account_saved_message(user: User, was_active: bool) -> str:
    """What an account's save did, in words: a deactivation also ends its sessions."""
    if was_active and not user.active:
        return gettext(
            "Account %(email)s is deactivated: it is logged out everywhere.", email=user.email
        )
    if user.active and not was_active:
        return gettext("Account %(email)s is active again.", email=user.email)
    return gettext("Account %(email)s is saved.", email=user.email)


class AccountView(SecureModelView):
    allowed_roles = (RoleName.ADMIN,)
    can_delete = False
    can_view_details = False
    form = AccountForm
    create_label = _l("New account")
    truncated_columns = ("email", "shop_name")
    column_list = (
        "email", "roles", "shop_name", "shop", "active", "last_login_at", "create_datetime",
    )  # fmt: skip
    column_labels = {
        "email": _l("Email"),
        "roles": _l("Roles"),
        "shop_name": _l("Shop name"),
        "shop": _l("Shop"),
        "active": _l("Active"),
        "last_login_at": _l("Last login"),
        "create_datetime": _l("Created"),
    }
    column_formatters = {
        "roles": roles_formatter,
        "shop": shop_formatter,
        "last_login_at": local_datetime_formatter,
        "create_datetime": local_datetime_formatter,
    }
    column_searchable_list = ("email",)
    column_filters = ("active", PartnerFilter(User.shop_id, _l("Shop")))
    column_sortable_list = ("email", "active", "last_login_at", "create_datetime")
    column_default_sort = ("email", False)

    def search_placeholder(self) -> str:
        return gettext("Email")

    def record_title(self, row: User) -> str:
        return gettext("Account %(email)s", email=row.email)

    def edit_form(self, obj: Any = None) -> AccountForm:
        """Built from the posted data only: the stored password hash must never reach a field."""
        form = self._edit_form_class(get_form_data())
        del form.email
        form.shop.choices = shop_choices()
        if request.method == "GET" and obj is not None:
            form.roles.data = [role.name for role in obj.roles]
            form.shop.data = obj.shop_id
            form.shop_name.data = obj.shop_name
            form.active.data = obj.active
        return form

    def create_form(self, obj: Any = None) -> AccountForm:
        form = super().create_form(obj)
        form.shop.choices = shop_choices()
        return form

    def _get_filter_groups(self) -> dict[str, list[dict[str, Any]]] | None:
        """The Shop filter's choices: the partners of now, not of start-up."""
        groups = super()._get_filter_groups() or {}
        choices = [(str(id_), email) for id_, email in partner_choices()]
        return {
            label: [
                {**item, "options": choices}
                if isinstance(self._filters[item["index"]], PartnerFilter)
                else item
                for item in items
            ]
            for label, items in groups.items()
        } or None

    def create_model(self, form: AccountForm) -> User | bool:
        try:
            user = create_account(
                form.email.data,
                form.password.data,
                form.roles.data,
                form.active.data,
                shop_id=form.shop.data,
                shop_name=form.shop_name.data,
            )
        except ValidationError as error:
            show_domain_errors(form, error)
            return False
        flash(gettext("Account %(email)s is created.", email=user.email), "success")
        return user

    def update_model(self, form: AccountForm, model: User) -> bool:
        was_active = bool(model.active)
        try:
            update_account(
                model,
                roles=form.roles.data,
                active=form.active.data,
                password=form.password.data or None,
                shop_id=form.shop.data,
                shop_name=form.shop_name.data,
            )
        except ValidationError as error:
            show_domain_errors(form, error)
            return False
        flash(account_saved_message(model, was_active), "success")
        return True
