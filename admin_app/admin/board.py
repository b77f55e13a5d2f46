"""Today's board: the queue and the day's finished missions as cards, with the missions list's
own Start / Complete / Cancel buttons; the page refreshes its columns from a fragment of itself."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote as url_quote

from flask import current_app, url_for
from flask_admin import BaseView, expose
from flask_babel import format_decimal, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup

from ..data.db_types import utcnow
from ..data.models import MissionStatus
from ..domain.accounts import partner_choices
from ..domain.board import BoardCard, BoardColumn, Day, board_columns
from ..domain.scoping import sees_all_partners
from .base import AccessGate, RowLinks
from .filters import day_start, requested_partner, user_today
from .formatting import local_datetime
from .missions import CANCELLED_DAYS, COMPLETED_DAYS, STATUS_FILTER, MissionView

HEADINGS = {
    MissionStatus.PENDING: _l("Pending"),
    MissionStatus.IN_PROGRESS: _l("In progress"),
    MissionStatus.COMPLETED: _l("Completed today"),
    MissionStatus.CANCELLED: _l("Cancelled today"),
}
EMPTY = {
    MissionStatus.PENDING: _l("No mission waiting."),
    MissionStatus.IN_PROGRESS: _l("No mission in progress."),
    MissionStatus.COMPLETED: _l("No mission completed today."),
    MissionStatus.CANCELLED: _l("No mission cancelled today."),
}


@dataclass(frozen=True)
class Card:
    """What one card shows. ``since``: how long the mission has waited (pending) or been handled
    (in progress), or when it was completed or cancelled (today's columns)."""

    id: str
    client: str
    client_url: str
    url: str
    service: str
    since: str
    buttons: Markup


@dataclass(frozen=True)
class ShownColumn:
    status: str
    heading: str
    empty: str
    cards: list[Card]
    total: str
    more: str
    list_url: str


def elapsed(since: datetime | None, now: datetime) -> str:
    """A wait as the counter reads it: "7 min", "1 h 05 min"."""
    minutes = max(int((now - since).total_seconds() // 60), 0) if since else 0
    if minutes < 60:
        return gettext("%(minutes)d min", minutes=minutes)
    return gettext("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


class BoardView(AccessGate, BaseView):
    """``/admin/board/``: every role; support sees no buttons (the missions view draws none for
    accounts that only read, and refuses their posts)."""

    def __init__(self, missions: MissionView, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.missions = missions

    @expose("/")
    def index(self) -> str:
        partner_id = requested_partner()
        return self.render(
            "admin/board.html",
            columns=self._columns(partner_id),
            partners=partner_choices() if sees_all_partners(current_user) else [],
            partner_id=partner_id,
            refresh_seconds=current_app.config["DASHBOARD_REFRESH_SECONDS"],
        )

    @expose("/columns/")
    def columns(self) -> Any:
        """The columns alone, for the page's own refresh (``static/board.js``)."""
        html = self.render("admin/board_columns.html", columns=self._columns(requested_partner()))
        return html, 200, {"Cache-Control": "no-store"}

    def _columns(self, partner_id: int | None) -> list[ShownColumn]:
        today = user_today()
        day = Day(day_start(today), day_start(today + timedelta(days=1)))
        links = self.missions.row_links(url_for(".index", partner=partner_id))
        # Every card links to its client and mission: the pages' addresses are built once.
        links = replace(
            links,
            extra={
                **links.extra,
                "client": url_for("clients.details_view") + "?id=",
                "mission": url_for("missions.details_view") + "?id=",
                "french": str(get_locale()).startswith("fr"),
            },
        )
        # The list of today's finished missions: their status, and their day from today on.
        since_today = {
            MissionStatus.COMPLETED: (COMPLETED_DAYS[1], today.isoformat()),
            MissionStatus.CANCELLED: (CANCELLED_DAYS[1], today.isoformat()),
        }
        shown = []
        for column in board_columns(current_user, day, partner_id):
            conditions = [(STATUS_FILTER, column.status.value)]
            if column.status in since_today:
                conditions.append(since_today[column.status])
            list_url = self.missions.list_url(*conditions, partner=partner_id)
            shown.append(self._column(column, links, list_url))
        return shown

    def _column(self, column: BoardColumn, links: RowLinks, list_url: str) -> ShownColumn:
        now = utcnow()
        total = format_decimal(column.total) + ("+" if column.capped else "")
        more = ""
        if column.more:
            label = format_decimal(column.more) + ("+" if column.capped else "")
            # "1+" more is many, as far as the wording goes.
            many = column.more + 1 if column.capped else column.more
            more = ngettext("and one more", "and %(count)s more", many, count=label)
        return ShownColumn(
            status=column.status.value,
            heading=str(HEADINGS[column.status]),
            empty=str(EMPTY[column.status]),
            cards=[self._card(mission, column.status, now, links) for mission in column.missions],
            total=total,
            more=more,
            list_url=list_url,
        )

    def _card(
        self, mission: BoardCard, status: MissionStatus, now: datetime, links: RowLinks
    ) -> Card:
        if status is MissionStatus.PENDING:
            since = elapsed(mission.created_at, now)
        elif status is MissionStatus.IN_PROGRESS:
            since = elapsed(mission.started_at, now)
        elif status is MissionStatus.COMPLETED:
            since = local_datetime(mission.completed_at)
        else:
            since = local_datetime(mission.cancelled_at)
        return Card(
            id=mission.id,
            client=mission.client_name,
            service=(mission.service_fr if links.extra["french"] else mission.service_en) or "",
            client_url=links.extra["client"] + url_quote(mission.client_id, safe=""),
            url=links.extra["mission"] + url_quote(mission.id, safe=""),
            since=since,
            buttons=self.missions.row_buttons(mission, links),
        )
