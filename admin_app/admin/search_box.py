"""``/admin/search/?q=…``: the menu's search box, one page of clients and missions found by name,
email, phone or mission id (``domain/global_search.py``), for every role; support staff see
contact details masked (``contact_details.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_admin import BaseView, expose
from flask_babel import format_decimal, get_locale, gettext
from flask_security import current_user

from ..domain.global_search import (
    MAX_SEARCH_LENGTH,
    ClientHit,
    Group,
    MissionHit,
    search_everything,
)
from .base import AccessGate
from .contact_details import shown_email, shown_phone
from .formatting import local_datetime


@dataclass(frozen=True)
class ShownClient:
    name: str
    url: str
    email: str
    phone: str
    city: str
    created_at: str


@dataclass(frozen=True)
class ShownMission:
    id: str
    short_id: str
    url: str
    status: object
    client: str
    client_url: str
    service: str
    created_at: str


@dataclass(frozen=True)
class ShownGroup:
    rows: list
    total: str
    #: The link to the whole list filtered by the same search; empty when every row is shown.
    more_url: str


class SearchBoxView(AccessGate, BaseView):
    """The results page; not a menu entry of its own (the box in the menu bar leads here)."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> str:
        typed = request.args.get("q", "")
        results = search_everything(typed, current_user)
        clients = self._group(results.clients, self._client, "clients", results.text)
        missions = self._group(results.missions, self._mission, "missions", results.text)
        return self.render(
            "admin/search_box.html",
            results=results,
            clients=clients,
            missions=missions,
            cut_note=gettext(
                "Only the first %(count)s characters were searched.", count=MAX_SEARCH_LENGTH
            )
            if results.cut
            else "",
        )

    def _group(self, group: Group, show: object, endpoint: str, text: str) -> ShownGroup:
        total = format_decimal(group.total) + ("+" if group.capped else "")
        more_url = url_for(f"{endpoint}.index_view", search=text) if group.more else ""
        return ShownGroup([show(hit) for hit in group.hits], total, more_url)

    @staticmethod
    def _client(hit: ClientHit) -> ShownClient:
        return ShownClient(
            name=f"{hit.first_name} {hit.last_name}",
            url=url_for("clients.details_view", id=hit.id),
            email=shown_email(hit.email),
            phone=shown_phone(hit.phone),
            city=hit.city or "",
            created_at=local_datetime(hit.created_at),
        )

    @staticmethod
    def _mission(hit: MissionHit) -> ShownMission:
        french = str(get_locale()).startswith("fr")
        return ShownMission(
            id=hit.id,
            short_id=hit.id[:8],
            url=url_for("missions.details_view", id=hit.id),
            status=hit.status,
            client=hit.client_name,
            client_url=url_for("clients.details_view", id=hit.client_id),
            service=(hit.service_fr if french else hit.service_en) or "",
            created_at=local_datetime(hit.created_at),
        )
