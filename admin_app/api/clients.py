"""``/api/v1/clients``: register a walk-in client with its pending mission, open a mission
for a returning client, read a client. Every rule is the panel's (``domain/``)."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..domain.clients import visible_client
from ..domain.missions import open_mission, partner_to_register_for, register_walk_in_client
from .auth import CHECKING_IN, READING, allowed, api_actor
from .blueprint import blp, versioned
from .schemas import ClientOut, MissionOut, NewMissionIn, RegistrationIn, RegistrationOut


@blp.route("/clients", methods=["POST"])
@allowed(*CHECKING_IN)
@blp.arguments(RegistrationIn)
@blp.response(201, RegistrationOut)
def register(body: dict[str, Any]) -> dict[str, Any]:
    """Register a walk-in client and open its pending mission (both or neither)."""
    actor = api_actor()
    partner = partner_to_register_for(actor, body.pop("partner_id", None))
    client, mission = register_walk_in_client(partner, actor=actor, **body)
    return {"client": client, "mission": mission}


@blp.route("/clients/<client_id>", methods=["GET"])
@allowed(*READING)
@blp.response(200, ClientOut)
def read_client(client_id: str) -> Response:
    """A client; its ``ETag`` is the client's version."""
    client = visible_client(client_id, api_actor())
    return versioned(ClientOut().dump(client), client.version)


@blp.route("/clients/<client_id>/missions", methods=["POST"])
@allowed(*CHECKING_IN)
@blp.arguments(NewMissionIn)
@blp.response(201, MissionOut)
def new_mission(body: dict[str, Any], client_id: str) -> Any:
    """Open a new pending mission for a returning client."""
    return open_mission(client_id, api_actor(), service_type_id=body.get("service_type_id"))
