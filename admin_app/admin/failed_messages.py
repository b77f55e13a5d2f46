"""The admins' failed-messages page: the outbox rows the worker gave up on, newest first, each
with its client, mission, what it told, its attempts and last error, and "Retry" (one row, or
the batch action). Both go through ``failed_messages.retry_messages``.

The menu entry shows no count: it would cost a query on every page an admin opens (a count kept
on a row, as the bell's, would have to move with every status the worker writes)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote as url_quote

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import Query
from werkzeug.wrappers import Response

from ..data.messaging import MessageEvent, OutboxMessage
from ..data.models import RoleName
from ..domain.errors import MessagesNotFailed, NotAllowed
from ..domain.failed_messages import failed_filter, retry_messages
from .base import RowLinks, SecureModelView
from .filters import PartnerFilter
from .formatting import local_datetime_formatter
from .listing import ListingMixin
from .messages import retry_refusal

SHORT_ID = 8
EVENT_WORDS = {
    MessageEvent.OPENED: _l("Mission opened"),
    MessageEvent.STARTED: _l("Mission started"),
    MessageEvent.COMPLETED: _l("Mission completed"),
    MessageEvent.CANCELLED: _l("Mission cancelled"),
}
#: Pages this view does not have (nobody writes an outbox row by hand here).
NO_SUCH_PAGES = frozenset(
    {"create_view", "edit_view", "delete_view", "details_view", "ajax_update"}
)

RETRY_FORM = Markup(
    '<form method="post" action="{action}" class="d-inline">'
    '<input type="hidden" name="csrf_token" value="{csrf}">'
    '<input type="hidden" name="id" value="\0">'
    '<input type="hidden" name="url" value="{url}">'
    '<button type="submit" class="btn btn-sm btn-primary" data-action="retry">{label}</button>'
    "</form>"
)


def _details_url(endpoint: str, row_id: str) -> str:
    """``endpoint``'s details page of ``row_id``; the URL's start made once a request."""
    key = f"details_of_{endpoint}"
    if key not in g:
        setattr(g, key, url_for(f"{endpoint}.details_view") + "?id=")
    return getattr(g, key) + url_quote(row_id, safe="")


def client_formatter(view: Any, context: Any, model: OutboxMessage, name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        _details_url("clients", model.client_id), model.client.full_name
    )


def mission_formatter(view: Any, context: Any, model: OutboxMessage, name: str) -> Markup:
    if not model.mission_id:
        return Markup()
    return Markup('<a href="{}" title="{}">{}</a>').format(
        _details_url("missions", model.mission_id), model.mission_id, model.mission_id[:SHORT_ID]
    )


def event_formatter(view: Any, context: Any, model: OutboxMessage, name: str) -> str:
    words = EVENT_WORDS.get(model.event)  # type: ignore[call-overload]
    return str(words) if words else model.event


class FailedMessagesView(ListingMixin, SecureModelView):
    allowed_roles = (RoleName.ADMIN,)
    list_template = "admin/failed_messages_list.html"
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    empty_message = _l("No failed message: every email was sent or is still being tried.")
    truncated_columns = ("client", "last_error", "partner")
    column_list = (
        "client", "mission_id", "event", "attempts", "last_error", "created_at", "partner",
    )  # fmt: skip
    column_labels = {
        "client": _l("Client"),
        "mission_id": _l("Mission"),
        "event": _l("Message"),
        "attempts": _l("Attempts"),
        "last_error": _l("Last error"),
        "created_at": _l("Queued"),
        "partner": _l("Shop"),
    }
    column_formatters = {
        "client": client_formatter,
        "mission_id": mission_formatter,
        "event": event_formatter,
        "created_at": local_datetime_formatter,
    }
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (PartnerFilter(OutboxMessage.partner_id, _l("Shop")),)

    def get_query(self) -> Query:
        return super().get_query().filter(failed_filter())

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name in NO_SUCH_PAGES:
            abort(404)
        return refused

    def row_links(self, return_url: str) -> RowLinks:
        """Also the "Retry" form every row shares, cut where its id goes."""
        links = super().row_links(return_url)
        form = RETRY_FORM.format(
            action=self.get_url(".retry_view"),
            csrf=links.csrf,
            url=return_url,
            label=gettext("Retry"),
        )
        return replace(links, extra={"retry": tuple(form.split("\0"))})

    def row_buttons(self, row: OutboxMessage, links: RowLinks) -> Markup:
        return escape(row.id).join(links.extra["retry"])

    @expose("/retry/", methods=("POST",))
    def retry_view(self) -> Response:
        """ "Retry" on one row."""
        self._retry([request.form.get("id", "")])
        return redirect(get_redirect_target() or url_for(".index_view"))

    @action("retry", _l("Retry"))
    def action_retry(self, ids: list[str]) -> None:
        """The batch "Retry": all the chosen messages, or none."""
        self._retry(ids)

    def _retry(self, ids: list[str]) -> None:
        try:
            retried = retry_messages(ids, current_user)
        except NotAllowed:
            abort(403)
        except MessagesNotFailed as refusal:
            flash(retry_refusal(refusal), "danger")
            return
        flash(
            ngettext(
                "%(num)d message will be sent again.",
                "%(num)d messages will be sent again.",
                len(retried),
            ),
            "success",
        )
