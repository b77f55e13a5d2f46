"""Forms of the panel. They only collect input: the domain rules validate it, and
``show_domain_errors`` puts their problems, in words, back at the fields they concern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from ..domain.errors import EditConflict, ValidationError
from ..domain.services import default_service_type, offered_service_types
from ..domain.validation import CLIENT_FIELDS, MAX_LENGTHS, REQUIRED_FIELDS
from .formatting import LANGUAGE_NAMES, price_text, service_name
from .messages import problem_text

KIND_NAMES = {
    "walk_in_client": _l("client"),
    "walk_in_mission": _l("mission"),
    "shop_profile": _l("shop profile"),
}
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
    "service_type": _l("Service"),
    "language": _l("Language of messages"),
    "email_consent": _l("Agrees to receive emails about their visits"),
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
    # The domain rule checks the choice (``validation.clean_language``), its error at the field.
    language = SelectField(
        FIELD_LABELS["language"],
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validate_choice=False,
    )
    email_consent = BooleanField(FIELD_LABELS["email_consent"], default=False)
    #: The edit form's consent box as it was shown ("1" ticked): only a change the user made
    #: is saved, never the state of a page opened before the client withdrew by the link.
    consent_shown = HiddenField()
    service_type = SelectField(FIELD_LABELS["service_type"], coerce=optional_id)
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class NewMissionForm(BaseForm):
    """A returning client's new mission: its service type (left out when none is offered)."""

    service_type = SelectField(FIELD_LABELS["service_type"], coerce=optional_id)


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


def consent_change(form: BaseForm) -> bool | None:
    """The edit form's email consent if the user changed the box, else None (left as it is)."""
    shown = form.consent_shown.data == "1"
    return form.email_consent.data if form.email_consent.data != shown else None


def chosen_service_type(form: BaseForm) -> int | None:
    """The service type picked in ``form``; None (the default type) when it has no picker."""
    field = form._fields.get("service_type")
    return field.data if field is not None else None


def offer_service_types(field: SelectField) -> bool:
    """Fill a service type picker with the types on offer now, the default chosen unless the
    user chose another; False when none is offered (the picker is then left out)."""
    offered = offered_service_types()
    if not offered:
        return False
    field.choices = [
        SelectChoice(
            str(service.id),
            f"{service_name(service)} — {price_text(service.price_amount, service.price_currency)}",
        )
        for service in offered
    ]
    if field.data is None:
        default = default_service_type(offered)
        field.data = default.id if default else None
    return True


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
