"""Missions: status badges, Start / Complete / Cancel (one or in batch), the timeline of notes
and history on each mission's page."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import quote as url_quote

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from ..data.models import Mission, MissionStatus
from ..domain.errors import DomainError, NotFound
from ..domain.missions import apply_transition, current_status
from ..domain.transitions import TRANSITIONS, available_actions, transition
from .attachments import ATTACHMENT_WRITE_VIEWS, AttachmentsMixin
from .base import WRITE_VIEWS, RowLinks, ScopedModelView
from .cancel_page import CancelPageMixin, to_cancel_page
from .contact_details import client_contact_formatter, shown_email, shown_phone
from .filters import ACTIVE, PartnerFilter, ServiceTypeFilter, StatusFilter, day_filters
from .formatting import (
    STATUS_LABELS,
    cancel_reason_formatter,
    local_datetime,
    local_datetime_formatter,
    price_text,
    service_name,
    status_formatter,
)
from .forms import FIELD_LABELS
from .invoices import InvoiceButtons
from .messages import refusal_reason
from .timeline import TimelineMixin


def client_formatter(view: Any, context: Any, model: Mission, name: str) -> Markup:
    if "client_details" not in g:
        g.client_details = url_for("clients.details_view") + "?id="
    url = g.client_details + url_quote(model.client_id, safe="")
    return Markup('<a href="%s">%s</a>') % (url, model.client.full_name)


def service_formatter(view: Any, context: Any, model: Mission, name: str) -> Markup:
    """The service type in the user's language, with the price the mission copied."""
    price = price_text(model.price_amount, model.price_currency)
    return Markup("%s<br><small>%s</small>") % (service_name(model.service_type), price)


def contact_formatter(view: Any, context: Any, model: Mission, name: str) -> Markup:
    """The client's email and phone, masked for support staff (``contact_details.py``)."""
    client = model.client
    return Markup("%s<br><small>%s</small>") % (
        shown_email(client.email),
        shown_phone(client.phone),
    )


TRANSITION_FORM = Markup(
    '<form method="post" action="{action}" class="d-inline transition-form">'
    '<input type="hidden" name="csrf_token" value="{csrf}">'
    '<input type="hidden" name="id" value="{id}">'
    '<input type="hidden" name="action" value="{name}">'
    '<input type="hidden" name="url" value="{url}">'
    '<button type="submit" class="btn btn-sm {css}" data-action="{name}">{label}</button>'
    "</form>"
)
#: A step that asks a reason first (cancel) is a link to its page, not a form.
REASON_LINK = Markup(
    '<a href="{page}?id={id}&amp;url={url}" class="btn btn-sm {css}" data-action="{name}">'
    "{label}</a>"
)
#: Where a row's id goes in its forms (no escaped text holds it).
ID_SLOT = Markup("\0")


#: A button's colour, by its action's tone (``transitions.py``).
TONES = {"primary": "btn-primary", "success": "btn-success", "danger": "btn-outline-danger"}


def transition_forms(
    action: str, cancel_page: str, csrf: str, return_url: str
) -> dict[MissionStatus, tuple[Markup, ...]]:
    """Each status's Start / Complete forms and Cancel link, in the user's language, made once
    a page and cut where the mission's id goes: a row joins the pieces with its id
    (``MissionView.row_buttons``)."""

    def form(name: str) -> Markup:
        step = transition(name)
        if step.asks_reason:
            return REASON_LINK.format(
                page=cancel_page, id=ID_SLOT, url=url_quote(return_url, safe=""),
                css=TONES[step.tone], name=name, label=step.button,
            )  # fmt: skip
        return TRANSITION_FORM.format(
            action=action, csrf=csrf, id=ID_SLOT, name=name, url=return_url,
            css=TONES[step.tone], label=step.button,
        )  # fmt: skip

    return {
        status: tuple(Markup().join(map(form, available_actions(status))).split(ID_SLOT))
        for status in MissionStatus
    }


#: The filters that other pages link to (the dashboard's figures, the board's columns).
STATUS_FILTER = StatusFilter(
    Mission.status,
    _l("Status"),
    options=[
        (ACTIVE, _l("Active (pending or in progress)")),
        *((status.value, label) for status, label in STATUS_LABELS.items()),
    ],
)
COMPLETED_DAYS = day_filters(Mission.completed_at, _l("Completed"))
CANCELLED_DAYS = day_filters(Mission.cancelled_at, _l("Cancelled"))


class MissionView(
    CancelPageMixin, TimelineMixin, AttachmentsMixin, InvoiceButtons, ScopedModelView
):
    details_template = "admin/mission_details.html"
    # Its status moves by transitions only, its notes are added to its timeline: no edit form.
    allow_create = False
    allow_edit = False
    allow_delete = False
    write_views = (
        WRITE_VIEWS | {"transition_view", "cancel_view", "note_view"} | ATTACHMENT_WRITE_VIEWS
    )
    client_key = "client_id"
    empty_message = _l("No mission yet: missions open when a walk-in client is registered.")

    truncated_columns = ("client", "contact", "service_type", "partner")
    column_list = (
        "client", "contact", "service_type", "status", "created_at", "completed_at", "partner",
    )  # fmt: skip
    column_details_list = (
        "client", "contact", "service_type", "status", "created_at", "started_at",
        "completed_at", "cancelled_at", "cancel_reason", "cancel_note", "updated_at", "partner",
    )  # fmt: skip
    column_labels = {
        "client": _l("Client"),
        "contact": _l("Contact"),
        "service_type": FIELD_LABELS["service_type"],
        "price_amount": _l("Price"),
        "price_currency": _l("Currency"),
        "status": _l("Status"),
        "created_at": _l("Opened"),
        "started_at": _l("Started"),
        "updated_at": _l("Last changed"),
        "completed_at": _l("Completed"),
        "cancelled_at": _l("Cancelled"),
        "cancel_reason": _l("Cancel reason"),
        "cancel_note": _l("Cancel note"),
        "partner": FIELD_LABELS["partner"],
    }
    column_formatters = {
        "client": client_formatter,
        "contact": contact_formatter,
        "service_type": service_formatter,
        "status": status_formatter,
        "created_at": local_datetime_formatter,
        "started_at": local_datetime_formatter,
        "updated_at": local_datetime_formatter,
        "completed_at": local_datetime_formatter,
        "cancelled_at": local_datetime_formatter,
        "cancel_reason": cancel_reason_formatter,
    }
    column_searchable_list = (
        "client.first_name", "client.last_name", "client.email", "client.phone",
    )  # fmt: skip
    column_sortable_list = ("status", "created_at", "completed_at", ("client", "client.last_name"))
    column_default_sort = ("created_at", True)
    column_filters = (
        STATUS_FILTER,
        ServiceTypeFilter(Mission.service_type_id, FIELD_LABELS["service_type"]),
        *day_filters(Mission.created_at, _l("Opened")),
        *COMPLETED_DAYS,
        *CANCELLED_DAYS,
        PartnerFilter(Mission.partner_id, FIELD_LABELS["partner"]),
    )
    column_export_list = (
        "first_name", "last_name", "email", "phone", "service_type", "price_amount",
        "price_currency", "status", "created_at", "started_at", "completed_at", "cancelled_at",
        "cancel_reason", "cancel_note",
    )  # fmt: skip
    column_formatters_export = {
        "first_name": lambda v, c, m, n: m.client.first_name,
        "last_name": lambda v, c, m, n: m.client.last_name,
        "email": client_contact_formatter,
        "phone": client_contact_formatter,
        "service_type": lambda v, c, m, n: service_name(m.service_type),
        "status": lambda v, c, m, n: str(STATUS_LABELS[m.status]),
        "cancel_reason": cancel_reason_formatter,
    }

    def search_placeholder(self) -> str:
        return gettext("Client name, email or phone")

    def record_title(self, row: Mission) -> str:
        return gettext(
            "Mission of %(name)s, opened %(opened)s",
            name=row.client.full_name,
            opened=local_datetime(row.created_at),
        )

    def row_links(self, return_url: str) -> RowLinks:
        """Also what every row's Start / Complete / Cancel buttons share, in the user's
        language: looked up once a page instead of translated again for each button."""
        links = super().row_links(return_url)
        forms = {}
        if self.may_write():
            forms = transition_forms(
                self.get_url(f"{self.endpoint}.transition_view"),
                self.get_url(f"{self.endpoint}.cancel_view"),
                links.csrf,
                return_url,
            )
        return replace(links, extra={"forms": forms})

    def row_buttons(self, row: Mission, links: RowLinks) -> Markup:
        pieces = links.extra["forms"].get(row.status)
        return escape(row.id).join(pieces) if pieces else Markup()

    @expose("/transition/", methods=("POST",))
    def transition_view(self) -> Response:
        """One row button: Start or Complete one mission (Cancel asks a reason on its page)."""
        name = request.form.get("action", "")
        mission_id = request.form.get("id", "")
        if name not in TRANSITIONS:
            abort(400)
        try:
            if transition(name).asks_reason:
                current_status(mission_id, current_user)
                return redirect(self.cancel_page_url([mission_id], get_redirect_target()))
            apply_transition(mission_id, current_user, name)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(gettext("Not done: %(reason)s.", reason=refusal_reason(error)), "danger")
        else:
            flash(transition(name).done(1) + ".", "success")
        return redirect(get_redirect_target() or url_for(".index_view"))

    def init_actions(self) -> None:
        """A batch action for each mission action of ``transitions.py``, in its order (what
        Flask-Admin's ``@action`` decorator would record)."""
        super().init_actions()
        for step in TRANSITIONS.values():
            self._actions.append((step.name, step.button))
            run = partial(to_cancel_page, self) if step.asks_reason else None
            self._actions_data[step.name] = (
                run or partial(self._run_batch, step.name),
                step.button,
                step.batch_question,
            )

    def _run_batch(self, name: str, ids: list[str]) -> None:
        """Each mission goes through the rules on its own; one summary tells what happened."""
        done = 0
        refusals: Counter[str] = Counter()
        for mission_id in ids:
            try:
                apply_transition(mission_id, current_user, name)
                done += 1
            except DomainError as error:
                refusals[refusal_reason(error)] += 1
        flash(self._summary(name, done, refusals), "warning" if refusals else "success")

    def _summary(self, name: str, done: int, refusals: Counter[str]) -> str:
        """For example "3 missions started; 2 refused: 1 already completed, 1 still pending."."""
        text = transition(name).done(done)
        if not refusals:
            return text + "."
        reasons = ", ".join(f"{count} {reason}" for reason, count in refusals.most_common())
        refused = ngettext(
            "%(num)d refused: %(reasons)s", "%(num)d refused: %(reasons)s",
            sum(refusals.values()), reasons=reasons,
        )  # fmt: skip
        return gettext("%(done)s; %(refused)s.", done=text, refused=refused)
