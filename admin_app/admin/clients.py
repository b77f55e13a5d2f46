"""Walk-in clients: list, search, register (modal), edit, details with missions, delete."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import is_form_submitted
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ..data.messaging import Channel, ClientConsent
from ..data.models import Client, RoleName, User
from ..domain.accounts import partner_choices
from ..domain.clients import delete_client, erase_client, personal_data, update_client
from ..domain.consent import consent_history, consent_in_force
from ..domain.errors import (
    ClientHasInvoices,
    ClientNotFound,
    DomainError,
    NotFound,
    ValidationError,
)
from ..domain.invoice_queries import MissionBilling, missions_with_billing
from ..domain.masking import reveal_contact_details
from ..domain.missions import open_mission, register_walk_in_client
from ..domain.scoping import shop_of
from ..domain.validation import client_language_default
from ..extensions import db
from .base import ScopedModelView
from .client_checks import MERGE_VIEWS, DuplicateChecks
from .contact_details import contact_formatter, is_revealed, reveal_in_this_answer, shows_in_full
from .filters import KeyIs, PartnerFilter, day_filters
from .formatting import language_formatter, local_datetime_formatter
from .forms import (
    FIELD_LABELS,
    ClientForm,
    NewMissionForm,
    chosen_service_type,
    client_fields,
    consent_change,
    offer_service_types,
    saved_through_rules,
    show_domain_errors,
)
from .invoices import InvoiceButtons
from .messages import invoiced_client_refusal

#: Pages for admins only: 403 for partners and support staff.
ADMIN_VIEWS = frozenset({"personal_data_view", "erase_view"}) | MERGE_VIEWS
#: Opening a mission changes data: support staff get 403, its form included.
MISSION_VIEWS = frozenset({"new_mission_view"})


class ClientView(DuplicateChecks, InvoiceButtons, ScopedModelView):
    list_template = "admin/clients_list.html"
    details_template = "admin/client_details.html"
    create_template = "admin/client_create.html"
    create_modal_template = "admin/client_modal_create.html"
    create_modal = True
    form = ClientForm
    write_views = ScopedModelView.write_views | ADMIN_VIEWS | MISSION_VIEWS
    client_key = "id"
    create_label = _l("New walk-in client")
    empty_message = _l("No walk-in client yet.")

    truncated_columns = ("first_name", "last_name", "email", "city", "partner")
    column_list = ("first_name", "last_name", "email", "phone", "city", "created_at", "partner")
    column_details_list = (
        "first_name", "last_name", "email", "phone", "address", "city", "postal_code",
        "country", "language", "created_at", "updated_at", "partner",
    )  # fmt: skip
    column_labels = {
        **FIELD_LABELS,
        "created_at": _l("Registered"),
        "updated_at": _l("Last changed"),
    }
    column_searchable_list = ("first_name", "last_name", "email", "phone")
    column_sortable_list = ("first_name", "last_name", "email", "city", "created_at")
    column_default_sort = ("created_at", True)
    column_formatters = {
        "email": contact_formatter,
        "phone": contact_formatter,
        "created_at": local_datetime_formatter,
        "updated_at": local_datetime_formatter,
        "language": language_formatter,
    }
    column_export_list = (
        "first_name", "last_name", "email", "phone", "address", "city", "postal_code",
        "country", "created_at",
    )  # fmt: skip

    column_filters = (
        KeyIs(Client.city_key, FIELD_LABELS["city"]),
        "city",
        "country",
        *day_filters(Client.created_at, _l("Registered")),
        PartnerFilter(Client.partner_id, FIELD_LABELS["partner"]),
    )

    def search_placeholder(self) -> str:
        return gettext("Name, email or phone")

    def record_title(self, row: Client) -> str:
        return gettext("Client %(name)s", name=row.full_name)

    def create_form(self, obj: Any = None) -> ClientForm:
        form = super().create_form(obj)
        del form.version
        del form.consent_shown
        if self.sees_all():
            form.partner.choices = [
                SelectChoice("", gettext("Choose a partner…")),
                *(SelectChoice(str(id_), email) for id_, email in partner_choices()),
            ]
            # The partner is not known yet: by default, its own language.
            form.language.choices = [
                SelectChoice("", gettext("The partner's language")),
                *form.language.choices,
            ]
        else:
            del form.partner
            if form.language.data is None:
                form.language.data = self._default_language(shop_of(current_user))
        if not offer_service_types(form.service_type):
            del form.service_type
        return form

    def edit_form(self, obj: Any = None) -> ClientForm:
        form = super().edit_form(obj)
        del form.partner
        del form.service_type
        if obj is not None and not is_form_submitted():
            form.email_consent.data = consent_in_force(obj.id) is not None
            form.consent_shown.data = "1" if form.email_consent.data else ""
        return form

    def create_model(self, form: ClientForm) -> Client | bool:
        partner = self._chosen_partner(form)
        try:
            client, mission = register_walk_in_client(
                partner,
                actor=current_user,
                service_type_id=chosen_service_type(form),
                language=form.language.data or self._default_language(partner),
                email_consent=form.email_consent.data,
                **client_fields(form),
            )
        except ValidationError as error:
            show_domain_errors(form, error)
            return False
        mission_url = url_for("missions.details_view", id=mission.id)
        message = Markup('{} <a href="{}" class="alert-link">{}</a>').format(
            gettext("%(name)s is registered.", name=client.full_name),
            mission_url,
            gettext("Open the new mission"),
        )
        flash(message, "success")
        return client

    def update_model(self, form: ClientForm, model: Client) -> bool:
        saved = saved_through_rules(
            form,
            lambda: update_client(
                model.id,
                current_user,
                expected_version=form.version.data,
                language=form.language.data,
                email_consent=consent_change(form),
                **client_fields(form),
            ),
        )
        if saved:
            flash(gettext("%(name)s is saved.", name=model.full_name), "success")
        return saved

    def delete_model(self, model: Client) -> bool:
        name = model.full_name
        try:
            delete_client(model.id, current_user)
        except ClientHasInvoices as refusal:
            flash(invoiced_client_refusal(refusal), "danger")
            return False
        except DomainError:
            db.session.rollback()
            flash(gettext("This client could not be deleted."), "danger")
            return False
        flash(gettext("%(name)s and their missions are deleted.", name=name), "success")
        return True

    def may_handle_personal_data(self) -> bool:
        return current_user.is_authenticated and current_user.has_role(RoleName.ADMIN)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name in ADMIN_VIEWS and not self.may_handle_personal_data():
            abort(403)
        return refused

    @expose("/personal-data/")
    def personal_data_view(self) -> Response:
        """Everything held about one client, as a JSON download (admins only)."""
        client_id = request.args.get("id", "")
        try:
            data = personal_data(client_id, current_user)
        except NotFound:
            abort(404)
        response = jsonify(data)
        response.headers["Content-Disposition"] = f"attachment; filename=client-{client_id}.json"
        return response

    @expose("/erase/", methods=("POST",))
    def erase_view(self) -> Response:
        """Erase a client, its missions and their history (admins only, after confirmation)."""
        try:
            erase_client(request.form.get("id", ""), current_user)
        except NotFound:
            abort(404)
        flash(gettext("The client and everything held about them were erased."), "success")
        return redirect(url_for(".index_view"))

    def may_reveal(self, client: Client) -> bool:
        """The "Reveal" button: for users who see contact details masked (support staff)."""
        return not shows_in_full() and not is_revealed(client)

    def revealed(self, client: Client) -> bool:
        """Whether this page shows ``client``'s contact details after a reveal."""
        return is_revealed(client)

    @expose("/reveal/", methods=("POST",))
    def reveal_view(self) -> str:
        """The client's page with its email and phone in full, the reveal recorded in the
        audit log. A POST (with its CSRF token): no link, prefetch or history replays it."""
        try:
            client = reveal_contact_details(request.form.get("id", ""), current_user)
        except ClientNotFound:
            abort(404)
        reveal_in_this_answer(client)
        return self.render(
            self.details_template,
            model=client,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=self.get_url(".index_view"),
        )

    @expose("/new-mission/", methods=("GET", "POST"))
    def new_mission_view(self) -> Any:
        """A returning client's new mission: the client and the mission's details (GET), then
        the mission opened through the domain rule (POST)."""
        client = self.get_one(request.args.get("id", ""))
        form = NewMissionForm(request.form)
        has_services = offer_service_types(form.service_type)
        if not has_services:
            del form.service_type
        if request.method == "POST" and form.validate():
            return self._open_mission(client, form)
        return self.render("admin/client_new_mission.html", model=client, form=form)

    def _open_mission(self, client: Client, form: NewMissionForm) -> Any:
        try:
            mission = open_mission(
                client.id, current_user, service_type_id=chosen_service_type(form)
            )
        except NotFound:
            abort(404)
        except ValidationError as error:
            show_domain_errors(form, error)
            return self.render("admin/client_new_mission.html", model=client, form=form)
        flash(gettext("A new mission is open for %(name)s.", name=client.full_name), "success")
        return redirect(url_for("missions.details_view", id=mission.id))

    def consent_periods(self, client: Client) -> list[ClientConsent]:
        """The client's email consent, every period newest first (the one in force first)."""
        return [period for period in consent_history(client.id) if period.channel == Channel.EMAIL]

    def missions_of(self, client: Client) -> list[MissionBilling]:
        """The client's missions, newest first, as the current user may see them, each with
        the invoice that bills it."""
        return missions_with_billing(client.id, current_user)

    @staticmethod
    def _default_language(shop: User | None) -> str:
        return client_language_default(shop.language if shop else None, str(get_locale()))

    def _chosen_partner(self, form: ClientForm) -> User:
        """Partners and staff register for their shop; admins for the partner they chose."""
        user = current_user._get_current_object()
        if not self.sees_all():
            return shop_of(user) or user
        return db.session.get(User, form.partner.data) or user
