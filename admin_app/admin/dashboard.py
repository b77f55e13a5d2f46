"""The panel's home: live figures, refreshed by the page itself from a small JSON endpoint."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for
from flask_admin import expose
from flask_security import current_user
from werkzeug.wrappers import Response

from ..domain.accounts import partner_choices
from ..domain.figures import DashboardFigures, MissionSummary, dashboard_figures
from ..domain.scoping import sees_all_partners
from .base import SecureIndexView
from .clients import ClientView
from .filters import ACTIVE, requested_partner
from .formatting import STATUS_BADGES, STATUS_LABELS, local_datetime
from .missions import STATUS_FILTER, MissionView


def mission_summary(mission: MissionSummary) -> dict[str, Any]:
    """A summary as the dashboard shows it: with its status's words and badge, and its link."""
    return {
        "id": mission.id,
        "client": mission.client,
        "status": mission.status.value,
        "status_label": str(STATUS_LABELS[mission.status]),
        "badge": STATUS_BADGES[mission.status],
        "created_at": local_datetime(mission.created_at),
        "url": url_for("missions.details_view", id=mission.id),
    }


def figures_json(figures: DashboardFigures) -> dict[str, Any]:
    return {
        "active": figures.active,
        "completed": figures.completed,
        "clients": figures.clients,
        "latest": [mission_summary(mission) for mission in figures.latest],
    }


class DashboardView(SecureIndexView):
    def __init__(self, clients: ClientView, missions: MissionView, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clients = clients
        self.missions = missions

    @expose("/")
    def index(self) -> str:
        partner_id = requested_partner()
        return self.render(
            "admin/dashboard.html",
            figures=figures_json(dashboard_figures(current_user, partner_id)),
            links=self._figure_links(partner_id),
            partners=partner_choices() if sees_all_partners(current_user) else [],
            partner_id=partner_id,
            refresh_seconds=current_app.config["DASHBOARD_REFRESH_SECONDS"],
        )

    @expose("/figures.json")
    def figures(self) -> Response:
        figures = dashboard_figures(current_user, requested_partner())
        response = jsonify(figures_json(figures))
        response.headers["Cache-Control"] = "no-store"
        return response

    def _figure_links(self, partner_id: int | None) -> dict[str, str]:
        """Each figure's rows: the list it counts, narrowed to the partner shown."""
        missions = self.missions.list_url
        return {
            "active": missions((STATUS_FILTER, ACTIVE), partner=partner_id),
            "completed": missions((STATUS_FILTER, "completed"), partner=partner_id),
            "clients": self.clients.list_url(partner=partner_id),
        }
