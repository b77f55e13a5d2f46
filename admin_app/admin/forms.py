"""Forms of the panel. They only collect input: the domain rules validate it, and
``show_domain_errors`` puts their problems, in words, back at the fields they concern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import Field, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from ..data.models import Role, RoleName, User
from ..domain.errors import EditConflict, ValidationError
from ..domain.validation import CLIENT_FIELDS, MAX_LENGTHS, REQUIRED_FIELDS
from ..extensions import db
from .messages import problem_text

KIND_NAMES = {"walk_in_client": _l("client"), "walk_in_mission": _l("mission")}
FIELD_LABELS = {
    "partner": _l("Partner"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "address": _l("Address"),
    "city": _l("City"),
    "postal_code": _l("Postal code"),
    "country": _l("Country"),
}


def optional_id(value: object) -> int | None:
    """Coerce a picker's value; the empty "choose" option stays empty."""
    return int(value) if value not in ("", None) else None  # type: ignore[call-overload]


def _text_field(name: str) -> StringField:
    render_kw: dict[str, Any] = {"maxlength": MAX_LENGTHS[name]}
    if name in REQUIRED_FIELDS:
        render_kw["required"] = True
    return StringField(FIELD_LABELS[name], render_kw=render_kw)


class ClientForm(BaseForm):
    """A walk-in client's fields; ``partner`` is removed for partners (it is themselves)."""

    partner = SelectField(FIELD_LABELS["partner"], coerce=optional_id, validators=[InputRequired()])
    first_name = _text_field("first_name")
    last_name = _text_field("last_name")
    email = _text_field("email")
    phone = _text_field("phone")
    address = _text_field("address")
    city = _text_field("city")
    postal_code = _text_field("postal_code")
    country = _text_field("country")
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


def show_conflict(kind: str) -> None:
    """The user's input stays in the form; the message says what happened and what to do."""
    flash(
        gettext(
            "Someone else saved this %(kind)s after you opened it, so your changes were not saved. Reload the page to see the current values, then make your changes again.",  # noqa: E501
            kind=KIND_NAMES[kind],
        ),
        "danger",
    )


def client_fields(form: BaseForm) -> dict[str, Any]:
    return {name: form[name].data for name in CLIENT_FIELDS}


def partner_choices() -> list[tuple[int, str]]:
    """Active partner accounts, for an admin's partner picker and filter."""
    query = (
        select(User.id, User.email)
        .join(User.roles)
        .where(Role.name == RoleName.PARTNER.value, User.active.is_(True))
        .order_by(User.email)
    )
    return [(row.id, row.email) for row in db.session.execute(query)]


def saved_through_rules(form: BaseForm, save: Callable[[], object]) -> bool:
    """Run ``save`` (a domain rule); on refusal put its reasons on the form and say False."""
    try:
        save()
    except ValidationError as error:
        show_domain_errors(form, error)
        return False
    except EditConflict as conflict:
        show_conflict(conflict.kind)
        return False
    return True


def show_domain_errors(form: BaseForm, error: ValidationError) -> None:
    """Put each domain error at its field; errors without a field are flashed."""
    for name, problem in error.errors.items():
        field: Field | None = form._fields.get(name)
        if field is None:
            flash(problem_text(problem), "danger")
            continue
        field.errors = [*field.errors, problem_text(problem)]
    flash(gettext("Please correct the fields marked below."), "danger")
