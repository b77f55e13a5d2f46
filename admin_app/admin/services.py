"""The service types catalogue, for admins only: list, create, edit, delete an unused type."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from wtforms import BooleanField, DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ..data.models import RoleName, ServiceType
from ..domain.errors import DomainError, ValidationError
from ..domain.services import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    delete_service_type,
    save_service_type,
)
from .base import SecureModelView
from .formatting import price_text, service_name
from .forms import show_domain_errors

FIELDS = ("name_en", "name_fr", "description", "price_amount", "price_currency",
          "duration_minutes", "active")  # fmt: skip


class LocalDecimalField(DecimalField):
    """A decimal typed either way: "12.50" or, as French writes it, "12,50"."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            text = str(valuelist[0]).strip().replace(" ", "").replace(",", ".")
            try:
                self.data = Decimal(text)
            except (InvalidOperation, ValueError):
                self.data = None
                raise ValueError(gettext("Not a valid decimal value.")) from None


class ServiceTypeForm(BaseForm):
    name_en = StringField(_l("Name in English"), render_kw={"maxlength": MAX_NAME_LENGTH})
    name_fr = StringField(_l("Name in French"), render_kw={"maxlength": MAX_NAME_LENGTH})
    description = TextAreaField(
        _l("Description"), render_kw={"maxlength": MAX_DESCRIPTION_LENGTH, "rows": 3}
    )
    price_amount = LocalDecimalField(_l("Price"), places=2, validators=[InputRequired()])
    price_currency = StringField(
        _l("Currency"), default="EUR", description=_l("A three-letter code: EUR, CHF, GBP...")
    )
    duration_minutes = IntegerField(
        _l("Expected duration (minutes)"), default=15, validators=[InputRequired()]
    )
    active = BooleanField(
        _l("Offered for new missions"),
        default=True,
        description=_l("An inactive type stays on its missions but is no longer offered."),
    )


def name_formatter(view: Any, context: Any, model: ServiceType, name: str) -> str:
    return service_name(model)


def price_formatter(view: Any, context: Any, model: ServiceType, name: str) -> str:
    return price_text(model.price_amount, model.price_currency)


class ServiceTypeView(SecureModelView):
    allowed_roles = (RoleName.ADMIN,)
    can_view_details = False
    form = ServiceTypeForm
    create_label = _l("New service type")
    empty_message = _l("No service type yet: missions open without one.")
    column_list = ("name", "price_amount", "duration_minutes", "active")
    column_labels = {
        "name": _l("Service"),
        "price_amount": _l("Price"),
        "duration_minutes": _l("Expected duration (minutes)"),
        "active": _l("Offered"),
    }
    column_formatters = {"name": name_formatter, "price_amount": price_formatter}
    column_sortable_list = ("duration_minutes", "active")
    column_default_sort = ("id", False)

    def record_title(self, row: ServiceType) -> str:
        return gettext("Service type %(name)s", name=service_name(row))

    def create_model(self, form: ServiceTypeForm) -> ServiceType | bool:
        return self._saved(form, ServiceType())

    def update_model(self, form: ServiceTypeForm, model: ServiceType) -> bool:
        return bool(self._saved(form, model))

    def delete_model(self, model: ServiceType) -> bool:
        name = service_name(model)
        try:
            delete_service_type(model, current_user)
        except DomainError:
            flash(
                gettext(
                    "%(name)s is used by missions, so it cannot be deleted: untick “Offered for new missions” to stop offering it.",  # noqa: E501
                    name=name,
                ),
                "danger",
            )
            return False
        flash(gettext("Service type %(name)s is deleted.", name=name), "success")
        return True

    def _saved(self, form: ServiceTypeForm, service: ServiceType) -> ServiceType | bool:
        fields = {name: form[name].data for name in FIELDS}
        try:
            save_service_type(service, current_user, **fields)
        except ValidationError as error:
            show_domain_errors(form, error)
            return False
        flash(gettext("Service type %(name)s is saved.", name=service_name(service)), "success")
        return service
