"""``GET /api/v1/dashboard``: the panel's dashboard figures (``domain/figures.py``)."""

from __future__ import annotations

from typing import Any

from ..domain.figures import dashboard_figures
from .auth import READING, allowed, api_actor
from .blueprint import blp
from .list_schemas import QUERY, DashboardArgs, DashboardOut


@blp.route("/dashboard", methods=["GET"])
@allowed(*READING)
@blp.arguments(DashboardArgs, **QUERY)
@blp.response(200, DashboardOut)
def dashboard(args: dict[str, Any]) -> dict[str, Any]:
    """Active and completed missions, clients, and the newest three missions; an admin's key
    may name one partner (``partner_id``)."""
    figures = dashboard_figures(api_actor(), args.get("partner_id"))
    return {"active": figures.active, "completed": figures.completed,
            "clients": figures.clients, "latest": figures.latest}  # fmt: skip
