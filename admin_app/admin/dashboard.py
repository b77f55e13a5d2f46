"""The panel's home: live figures, refreshed by the page itself from a small JSON endpoint."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_admin import expose
from flask_security import current_user
from werkzeug.wrappers import Response

from ..data.models import Mission
from ..domain.figures import DashboardFigures, dashboard_figures
from ..domain.scoping import sees_all_partners
from .base import SecureIndexView
from .filters import row_number
from .formatting import STATUS_BADGES, STATUS_LABELS, local_datetime
from .forms import partner_choices


def mission_summary(mission: Mission) -> dict[str, Any]:
    return {
        "id": mission.id,
        "client": mission.client.full_name,
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
    @expose("/")
    def index(self) -> str:
        partner_id = self._partner_filter()
        return self.render(
            "admin/dashboard.html",
            figures=figures_json(dashboard_figures(current_user, partner_id)),
            partners=partner_choices() if sees_all_partners(current_user) else [],
            partner_id=partner_id,
            refresh_seconds=current_app.config["DASHBOARD_REFRESH_SECONDS"],
        )

    @expose("/figures.json")
    def figures(self) -> Response:
        figures = dashboard_figures(current_user, self._partner_filter())
        response = jsonify(figures_json(figures))
        response.headers["Cache-Control"] = "no-store"
        return response

    def _partner_filter(self) -> int | None:
        """Admins and support may narrow the figures to one partner (``?partner=ID``)."""
        return row_number(request.args.get("partner"))
