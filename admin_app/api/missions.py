"""``/api/v1/missions``: read a mission, start, complete or cancel it (the panel's transition
rules: ``domain/missions.py``). A transition sent with ``If-Match: "<version>"`` (the ETag of
a read) is made only if the mission still has that version, checked by the transition's own
UPDATE; otherwise 412 and nothing is written."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..domain.missions import apply_transition, visible_mission
from .auth import READING, WRITING, allowed, api_actor
from .blueprint import IF_MATCH, blp, expected_version, versioned
from .schemas import CancelIn, MissionOut


@blp.route("/missions/<mission_id>", methods=["GET"])
@allowed(*READING)
@blp.response(200, MissionOut)
def read_mission(mission_id: str) -> Response:
    """A mission; its ``ETag`` is the mission's version."""
    return _mission_answer(mission_id)


def _mission_answer(mission_id: str) -> Response:
    mission = visible_mission(mission_id, api_actor())
    return versioned(MissionOut().dump(mission), mission.version)


def _moved(mission_id: str, action: str, **details: Any) -> Response:
    apply_transition(
        mission_id, api_actor(), action, expected_version=expected_version(), **details
    )
    return _mission_answer(mission_id)


@blp.route("/missions/<mission_id>/start", methods=["POST"])
@allowed(*WRITING)
@blp.doc(parameters=[IF_MATCH])
@blp.response(200, MissionOut)
def start(mission_id: str) -> Response:
    """Start a pending mission."""
    return _moved(mission_id, "start")


@blp.route("/missions/<mission_id>/complete", methods=["POST"])
@allowed(*WRITING)
@blp.doc(parameters=[IF_MATCH])
@blp.response(200, MissionOut)
def complete(mission_id: str) -> Response:
    """Complete a mission in progress."""
    return _moved(mission_id, "complete")


@blp.route("/missions/<mission_id>/cancel", methods=["POST"])
@allowed(*WRITING)
@blp.doc(parameters=[IF_MATCH])
@blp.arguments(CancelIn)
@blp.response(200, MissionOut)
def cancel(body: dict[str, Any], mission_id: str) -> Response:
    """Cancel a pending or started mission, for a reason (``client_left``, ``no_show``,
    ``duplicate``, ``other``) and an optional note."""
    return _moved(mission_id, "cancel", reason=body["reason"], note=body.get("note"))
