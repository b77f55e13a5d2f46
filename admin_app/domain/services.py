"""The service types catalogue: what is offered when a mission opens, the default, the price a
mission copies, and which types may be deleted."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, func, or_, select

from ..data.models import Mission, ServiceType, User
from ..extensions import db
from ..platform.audit import record
from .errors import FieldProblem, NotAllowed, ServiceTypeInUse, ValidationError
from .scoping import is_admin

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1_000
MAX_DURATION_MINUTES = 24 * 60
#: Below ``numeric(12, 2)``'s limit.
MAX_PRICE = Decimal("9999999999.99")
CURRENCY = re.compile(r"[A-Z]{3}")


def service_type_choices_query(language: str) -> Select[tuple[int, str]]:
    """Every type's id and name in ``language``, inactive ones too (old missions keep
    theirs), in no order: a list filter's choices."""
    name = ServiceType.name_fr if language == "fr" else ServiceType.name_en
    return select(ServiceType.id, name)


def all_service_types() -> list[ServiceType]:
    """Every service type, withdrawn ones too: old missions keep theirs."""
    return list(db.session.scalars(select(ServiceType).order_by(ServiceType.id)))


def offered_service_types() -> list[ServiceType]:
    """The active types, in the catalogue's order, read afresh each time: a type added or
    deactivated while the panel runs is offered, or not, on the next page."""
    query = select(ServiceType).where(ServiceType.active.is_(True)).order_by(ServiceType.id)
    return list(db.session.scalars(query))


def default_service_type(offered: list[ServiceType] | None = None) -> ServiceType | None:
    """The active type named by the ``DEFAULT_SERVICE_TYPE`` setting (its English or French
    name, any case), else the first active one; None when no type is offered."""
    offered = offered_service_types() if offered is None else offered
    wanted = (current_app.config.get("DEFAULT_SERVICE_TYPE") or "").strip().casefold()
    for service in offered:
        if wanted in (service.name_en.casefold(), service.name_fr.casefold()):
            return service
    return offered[0] if offered else None


def service_type_for_new_mission(service_type_id: int | None) -> ServiceType | None:
    """The type a mission opens with: the chosen one, which must be active, or the default."""
    if service_type_id is None:
        return default_service_type()
    service = db.session.get(ServiceType, service_type_id)
    if service is None or not service.active:
        raise ValidationError({"service_type": FieldProblem("unknown_service_type")})
    return service


def apply_service_type(mission: Mission, service: ServiceType | None) -> None:
    """Give ``mission`` its type and copy the type's current price onto it."""
    mission.service_type = service
    mission.price_amount = service.price_amount if service else None
    mission.price_currency = service.price_currency if service else None


def find_service_type(name_or_id: str) -> ServiceType | None:
    """A type by id or by its English or French name (any case): for the command line."""
    text = name_or_id.strip()
    if text.isdigit():
        return db.session.get(ServiceType, int(text))
    lowered = text.casefold()
    query = select(ServiceType).where(
        or_(func.lower(ServiceType.name_en) == lowered, func.lower(ServiceType.name_fr) == lowered)
    )
    return db.session.scalars(query.order_by(ServiceType.id)).first()


def check_deletable(service: ServiceType) -> None:
    """A type some mission has cannot be deleted (deactivate it instead): the database refuses
    it too (``ON DELETE RESTRICT``); this says so in words first."""
    if db.session.scalar(select(exists().where(Mission.service_type_id == service.id))):
        raise ServiceTypeInUse(service.name_en)


def save_service_type(service: ServiceType, actor: User, **fields: Any) -> ServiceType:
    """Validate and save a service type, new or changed (admins only); missions opened
    earlier keep the price they copied."""
    if not is_admin(actor):
        raise NotAllowed(actor, "manage_service_types")
    for name, value in clean_service_type_fields(fields).items():
        setattr(service, name, value)
    created = service.id is None
    db.session.add(service)
    db.session.commit()
    action = "service_type.create" if created else "service_type.update"
    record(action, target=f"service_type:{service.id}", actor=actor)
    return service


def delete_service_type(service: ServiceType, actor: User) -> None:
    """Delete a type no mission has (admins only)."""
    if not is_admin(actor):
        raise NotAllowed(actor, "manage_service_types")
    check_deletable(service)
    service_id = service.id
    db.session.delete(service)
    db.session.commit()
    record("service_type.delete", target=f"service_type:{service_id}", actor=actor)


def clean_service_type_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as stored, or ``ValidationError`` naming every field that is wrong."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, FieldProblem] = {}
    for name, limit in (("name_en", MAX_NAME_LENGTH), ("name_fr", MAX_NAME_LENGTH)):
        text = (fields.get(name) or "").strip()
        if not text:
            problems[name] = FieldProblem("required")
        elif len(text) > limit:
            problems[name] = FieldProblem("too_long", {"max": limit})
        cleaned[name] = text
    description = (fields.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        problems["description"] = FieldProblem("too_long", {"max": MAX_DESCRIPTION_LENGTH})
    cleaned["description"] = description or None
    price = fields.get("price_amount")
    if not isinstance(price, Decimal) or not price.is_finite():
        problems["price_amount"] = FieldProblem("required")
    elif not Decimal(0) <= price <= MAX_PRICE:
        problems["price_amount"] = FieldProblem("price_range", {"max": MAX_PRICE})
    else:
        cleaned["price_amount"] = price.quantize(Decimal("0.01"))
    currency = (fields.get("price_currency") or "").strip().upper()
    if not CURRENCY.fullmatch(currency):
        problems["price_currency"] = FieldProblem("invalid_currency")
    cleaned["price_currency"] = currency
    duration = fields.get("duration_minutes")
    if not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION_MINUTES:
        problems["duration_minutes"] = FieldProblem("duration_range", {"max": MAX_DURATION_MINUTES})
    cleaned["duration_minutes"] = duration
    cleaned["active"] = bool(fields.get("active"))
    if problems:
        raise ValidationError(problems)
    return cleaned
