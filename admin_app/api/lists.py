"""``GET /api/v1/clients`` and ``GET /api/v1/missions``: the lists, newest first, a page at a
time by cursor (``domain/paging.py``: the panel's scoping, search and indexes)."""

from __future__ import annotations

from typing import Any

from ..domain.paging import ListRequest, MissionListRequest, Page, client_page, mission_page
from .auth import READING, allowed, api_actor
from .blueprint import blp
from .list_schemas import QUERY, ClientPageOut, ListArgs, MissionListArgs, MissionPageOut


@blp.route("/clients", methods=["GET"])
@allowed(*READING)
@blp.arguments(ListArgs, **QUERY)
@blp.response(200, ClientPageOut)
def list_clients(args: dict[str, Any]) -> dict[str, Any]:
    """Clients, newest first: pass ``next_cursor`` back as ``cursor`` for the next page.
    Filters: ``q`` (names, email, phone), days of creation, ``updated_since``."""
    return _answer(client_page(api_actor(), ListRequest(**args)))


@blp.route("/missions", methods=["GET"])
@allowed(*READING)
@blp.arguments(MissionListArgs, **QUERY)
@blp.response(200, MissionPageOut)
def list_missions(args: dict[str, Any]) -> dict[str, Any]:
    """Missions, newest first: pass ``next_cursor`` back as ``cursor`` for the next page.
    Filters: ``status`` (or ``active``), ``service_type_id``, ``q`` (the client's names,
    email, phone), days of creation, ``updated_since``."""
    return _answer(mission_page(api_actor(), MissionListRequest(**args)))


def _answer(page: Page[Any]) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": page.next_cursor}
