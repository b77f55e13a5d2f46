"""A partner's staff page: its shop's staff accounts, added, deactivated, reactivated, given a
new password. The rules (who, which accounts, password checks, sessions ended, audit) are in
``domain/staff.py``; another shop's staff account answers 404, any other role 403."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy.orm import Query
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from ..data.models import RoleName, User
from ..domain.errors import NotFound, ValidationError
from ..domain.scoping import may_manage_staff, staff_filter
from ..domain.staff import add_staff, find_staff, reset_staff_password, set_staff_active
from .base import RowLinks, SecureModelView
from .formatting import local_datetime_formatter
from .forms import show_domain_errors

PASSWORD_HELP = _l("At least 12 characters. Leave empty to have one made up, shown only once.")

ACTIVE_FORM = Markup(
    '<form method="post" action="{action}" class="d-inline">'
    '<input type="hidden" name="csrf_token" value="{csrf}">'
    '<input type="hidden" name="id" value="{id}">'
    '<input type="hidden" name="active" value="{value}">'
    '<button type="submit" class="btn btn-sm {css}"{confirm}>{label}</button>'
    "</form>"
)


class StaffForm(BaseForm):
    email = StringField(_l("Email"), validators=[InputRequired()])
    password = PasswordField(
        _l("Password"), description=PASSWORD_HELP, render_kw={"autocomplete": "new-password"}
    )


class ResetForm(BaseForm):
    password = PasswordField(
        _l("New password"), description=PASSWORD_HELP, render_kw={"autocomplete": "new-password"}
    )


class StaffView(SecureModelView):
    allowed_roles = (RoleName.PARTNER,)
    can_edit = False
    can_delete = False
    can_view_details = False
    form = StaffForm
    create_label = _l("New staff account")
    empty_message = _l("No staff account yet: add one for each person at your counter.")
    truncated_columns = ("email",)
    column_list = ("email", "active", "last_login_at", "create_datetime")
    column_labels = {
        "email": _l("Email"),
        "active": _l("Active"),
        "last_login_at": _l("Last login"),
        "create_datetime": _l("Created"),
    }
    column_formatters = {
        "last_login_at": local_datetime_formatter,
        "create_datetime": local_datetime_formatter,
    }
    column_sortable_list = ("email", "active", "last_login_at", "create_datetime")
    column_default_sort = ("email", False)

    def is_accessible(self) -> bool:
        return super().is_accessible() and may_manage_staff(current_user)

    def get_query(self) -> Query:
        return super().get_query().filter(staff_filter(current_user))

    def get_count_query(self) -> Query:
        return super().get_count_query().filter(staff_filter(current_user))

    def get_one(self, id: Any) -> User:
        try:
            return find_staff(id, current_user)
        except NotFound:
            abort(404)

    def record_title(self, row: User) -> str:
        return gettext("Staff account %(email)s", email=row.email)

    def create_model(self, form: StaffForm) -> User | bool:
        try:
            staff, generated = add_staff(current_user, form.email.data, form.password.data or None)
        except ValidationError as error:
            show_domain_errors(form, error)
            return False
        g.staff_password = (staff.email, generated) if generated else None
        flash(gettext("Staff account %(email)s is created.", email=staff.email), "success")
        return staff

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        """After a creation with a made-up password, a page shows it instead of the list."""
        response = super().create_view()
        shown = g.pop("staff_password", None)
        return self._password_page(*shown) if shown else response

    def row_links(self, return_url: str) -> RowLinks:
        links = super().row_links(return_url)
        reset = self.get_url(".reset_view") + "?id="
        return replace(links, extra={"active": self.get_url(".active_view"), "reset": reset})

    def row_buttons(self, row: User, links: RowLinks) -> Markup:
        if row.active:
            value, css, label = "0", "btn-outline-danger", gettext("Deactivate")
            question = gettext("Deactivate %(email)s? It is logged out at once.", email=row.email)
            confirm = Markup(' data-confirm="{}"').format(question)
        else:
            value, css, label, confirm = "1", "btn-outline-primary", gettext("Reactivate"), ""
        toggle = ACTIVE_FORM.format(
            action=links.extra["active"], csrf=links.csrf, id=row.id, value=value,
            css=css, confirm=confirm, label=label,
        )  # fmt: skip
        reset = Markup('<a class="btn btn-sm btn-outline-secondary" href="{}{}">{}</a>').format(
            links.extra["reset"], row.id, gettext("Reset password")
        )
        return toggle + " " + reset

    @expose("/active/", methods=("POST",))
    def active_view(self) -> Response:
        """Deactivate (logged out everywhere at once) or reactivate one staff account."""
        active = request.form.get("active") == "1"
        try:
            staff = set_staff_active(request.form.get("id", ""), current_user, active)
        except NotFound:
            abort(404)
        if active:
            flash(gettext("Account %(email)s is active again.", email=staff.email), "success")
        else:
            message = gettext(
                "Account %(email)s is deactivated: it is logged out everywhere.", email=staff.email
            )
            flash(message, "success")
        return redirect(url_for(".index_view"))

    @expose("/reset-password/", methods=("GET", "POST"))
    def reset_view(self) -> Any:
        """A confirmation page, then a new password (the partner's, or one made up and shown
        once); the account is logged out everywhere."""
        staff = self.get_one(request.values.get("id", ""))
        form = ResetForm(request.form if request.method == "POST" else None)
        if request.method == "POST":
            try:
                _, generated = reset_staff_password(
                    staff.id, current_user, form.password.data or None
                )
            except ValidationError as error:
                show_domain_errors(form, error)
            else:
                message = gettext(
                    "The password of %(email)s is changed: it is logged out everywhere.",
                    email=staff.email,
                )
                flash(message, "success")
                if generated:
                    return self._password_page(staff.email, generated)
                return redirect(url_for(".index_view"))
        return self.render("admin/staff_reset.html", staff=staff, form=form)

    def _password_page(self, email: str, password: str) -> Response:
        """The made-up password, shown this once: never cached, never stored in clear."""
        page = self.render("admin/staff_password.html", email=email, password=password)
        response = make_response(page)
        response.headers["Cache-Control"] = "no-store"
        return response
