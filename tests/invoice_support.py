"""Rows the invoice tests share: a shop's profile, priced service types, completed missions.
Call them inside an application context."""

from __future__ import annotations

from decimal import Decimal

from admin_app.data.invoicing import ShopProfile
from admin_app.data.models import ServiceType, User
from admin_app.domain.missions import complete_mission, open_mission, start_mission
from admin_app.extensions import db
from tests.conftest import register_client


def add_profile(
    partner_id: int, legal_name: str = "Atelier Ève SARL", logo_id: str | None = None
) -> None:
    db.session.add(
        ShopProfile(
            partner_id=partner_id,
            legal_name=legal_name,
            address="1 rue de la Paix\n75002 Paris",
            vat_number="FR12345678901",
            invoice_footer="Payable on receipt.",
            logo_id=logo_id,
        )
    )
    db.session.commit()


def add_service(price: str, name_en: str = "Repair", currency: str = "EUR") -> int:
    service = ServiceType(
        name_en=name_en,
        name_fr=f"{name_en} (fr)",
        price_amount=Decimal(price),
        price_currency=currency,
    )
    db.session.add(service)
    db.session.commit()
    return service.id


def finish(mission_id: str, partner_id: int) -> str:
    partner = db.session.get_one(User, partner_id)
    start_mission(mission_id, partner)
    complete_mission(mission_id, partner)
    return mission_id


def completed_client(
    partner_id: int, first_name: str, price: str = "12.00", **extra: str
) -> tuple[str, str]:
    """A client of ``partner_id`` with one completed mission at ``price``: (client, mission)."""
    service = add_service(price)
    client_id, mission_id = register_client(
        partner_id, first_name, service_type_id=service, **extra
    )
    return client_id, finish(mission_id, partner_id)


def another_completed_mission(partner_id: int, client_id: str, price: str) -> str:
    service = add_service(price)
    partner = db.session.get_one(User, partner_id)
    mission = open_mission(client_id, partner, service_type_id=service)
    return finish(mission.id, partner_id)
