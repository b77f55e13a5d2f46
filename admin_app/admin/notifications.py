"""The notifications page and the menu's bell: a shop's notifications in the panel's words,
newest first, unread ones marked, "Mark as read" on each and "Mark all as read". The rules (who
sees which, the unread count, marking) are in ``domain/notifications.py``; another shop's
notification answers 404 by every URL, and nobody creates, edits or deletes one here."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote as url_quote

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import LoaderOption
from werkzeug.wrappers import Response

from ..data.messaging import Notification, NotificationKind, OutboxMessage
from ..data.models import RoleName
from ..domain.errors import NotAllowed, NotFound
from ..domain.notifications import mark_all_read, mark_read, may_mark_read, unread_count
from ..platform.audit import record_refused_access
from .base import RowLinks, ScopedModelView
from .filters import row_number
from .formatting import local_datetime, local_datetime_formatter

SHORT_ID = 8
#: The bell shows at most this number, then "99+".
BELL_CAP = 99

READ_FORM = Markup(
    '<form method="post" action="{action}" class="d-inline">'
    '<input type="hidden" name="csrf_token" value="{csrf}">'
    '<input type="hidden" name="id" value="\0">'
    '<input type="hidden" name="url" value="{url}">'
    '<button type="submit" class="btn btn-sm btn-outline-primary" data-action="read">{label}'
    "</button></form>"
)


def bell_count() -> int | None:
    """The menu bell's number for the logged-in user, None when the account has no bell."""
    return unread_count(current_user) if current_user.is_authenticated else None


def bell_badge(count: int) -> str:
    return f"{BELL_CAP}+" if count > BELL_CAP else str(count)


def notification_words(note: Notification) -> str:
    """What happened, in the user's language."""
    client = note.client.full_name if note.client else gettext("a client")
    if note.kind == NotificationKind.MISSION_OPENED:
        if not note.actor_email:
            return gettext(
                "Mission for %(client)s opened by someone outside the shop", client=client
            )
        return gettext(
            "Mission for %(client)s opened by %(actor)s", client=client, actor=note.actor_email
        )
    if note.kind == NotificationKind.MESSAGE_FAILED:
        error = note.outbox.last_error if note.outbox and note.outbox.last_error else None
        return gettext(
            "The email to %(client)s about mission %(mission)s could not be sent: %(error)s",
            client=client,
            mission=(note.mission_id or "")[:SHORT_ID],
            error=error or gettext("no reason was given"),
        )
    return note.kind


def mission_url(mission_id: str) -> str:
    if "mission_details" not in g:
        g.mission_details = url_for("missions.details_view") + "?id="
    return g.mission_details + url_quote(mission_id, safe="")


def what_formatter(view: Any, context: Any, model: Notification, name: str) -> Markup:
    """The words, bold while unread, with a link to the mission."""
    words = escape(notification_words(model))
    if model.read_at is None:
        words = Markup("<strong>{}</strong>").format(words)
    if not model.mission_id:
        return words
    link = Markup('<a href="{}" class="ml-2 text-nowrap">{}</a>').format(
        mission_url(model.mission_id), gettext("Open the mission")
    )
    return words + link


def read_formatter(view: Any, context: Any, model: Notification, name: str) -> Markup:
    if model.read_at is None:
        return Markup('<span class="badge badge-primary" data-testid="unread">{}</span>').format(
            gettext("Unread")
        )
    return Markup('<span class="text-muted">{}</span>').format(
        gettext("Read %(when)s", when=local_datetime(model.read_at))
    )


class NotificationView(ScopedModelView):
    """A shop's notifications for its partner and staff; every shop's for admins, to read
    only; support staff none (``scoping.scope_filter`` says why)."""

    allowed_roles = (RoleName.ADMIN, RoleName.PARTNER, RoleName.STAFF)
    list_template = "admin/notifications_list.html"
    allow_create = False
    allow_edit = False
    allow_delete = False
    allow_export = False
    empty_message = _l(
        "No notification yet: you are told here when someone outside the shop opens a mission"
        " for it, or when an email to a client could not be sent."
    )
    column_list = ("created_at", "kind", "read_at", "partner")
    column_details_list = ("created_at", "kind", "read_at", "actor_email", "partner")
    column_labels = {
        "created_at": _l("When"),
        "kind": _l("What"),
        "read_at": _l("Read"),
        "actor_email": _l("By"),
        "partner": _l("Shop"),
    }
    column_formatters = {
        "created_at": local_datetime_formatter,
        "kind": what_formatter,
        "read_at": read_formatter,
    }
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)

    def is_visible(self) -> bool:
        """Not in the menu: a shop's accounts have the bell, admins a link on the failed
        messages page (their menu is full, and a category's dropdown is a ``javascript:``
        link, which the CSP blocks)."""
        return False

    def get_one(self, id: Any) -> Notification:
        """The notification named by ``id`` within the user's scope, else 404."""
        number = row_number(id)
        if number is None:
            abort(404)
        row = self.get_query().filter(Notification.id == number).one_or_none()
        if row is None:
            record_refused_access(Notification, number, current_user)
            abort(404)
        return row

    def _row_loads(self) -> list[LoaderOption]:
        """The client and the failed message's last error, which the words name, joined in
        the page's statement."""
        return [
            *super()._row_loads(),
            joinedload(Notification.client),
            joinedload(Notification.outbox).load_only(OutboxMessage.last_error),
        ]

    def handle_action(self, return_view: str | None = None) -> Response:
        """No batch action here: whatever is posted answers 404."""
        abort(404)

    def record_title(self, row: Notification) -> str:
        return notification_words(row)

    def row_links(self, return_url: str) -> RowLinks:
        """Also the "Mark as read" form every unread row shares, cut where its id goes."""
        links = super().row_links(return_url)
        if not may_mark_read(current_user):
            return links
        form = READ_FORM.format(
            action=self.get_url(".read_view"),
            csrf=links.csrf,
            url=return_url,
            label=gettext("Mark as read"),
        )
        return replace(links, extra={"read": tuple(form.split("\0"))})

    def row_buttons(self, row: Notification, links: RowLinks) -> Markup:
        pieces = links.extra.get("read")
        if row.read_at is not None or not pieces:
            return Markup()
        return escape(str(row.id)).join(pieces)

    @expose("/read/", methods=("POST",))
    def read_view(self) -> Response:
        """ "Mark as read" on one notification."""
        number = row_number(request.form.get("id", ""))
        if number is None:
            abort(404)
        try:
            mark_read(number, current_user)
        except NotFound:
            abort(404)
        except NotAllowed:
            abort(403)
        return redirect(get_redirect_target() or url_for(".index_view"))

    @expose("/read-all/", methods=("POST",))
    def read_all_view(self) -> Response:
        """ "Mark all as read": the shop's unread notifications, whichever page shows them."""
        try:
            marked = mark_all_read(current_user)
        except NotAllowed:
            abort(403)
        flash(
            ngettext(
                "%(num)d notification marked as read.",
                "%(num)d notifications marked as read.",
                marked,
            )
            if marked
            else gettext("Every notification was read already."),
            "success",
        )
        return redirect(get_redirect_target() or url_for(".index_view"))

    def render(self, template: str, **kwargs: Any) -> str:
        kwargs["may_mark_read"] = may_mark_read(current_user)
        return super().render(template, **kwargs)
