"""The dashboard's figures, in a fixed number of queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Client, Mission, MissionStatus, User
from .scoping import scope_filter, sees_all_partners

ACTIVE_STATUSES = (MissionStatus.PENDING, MissionStatus.IN_PROGRESS)
LATEST_COUNT = 3


@dataclass(frozen=True)
class DashboardFigures:
    active: int
    completed: int
    clients: int
    latest: list[Mission]


def dashboard_figures(user: User, partner_id: int | None = None) -> DashboardFigures:
    """Figures over the rows ``user`` sees; admins and support may narrow them to one partner.

    Two queries: one aggregate (mission counts by status class, client count as a subquery) and
    one for the latest missions with their clients.
    """
    mission_scope = _narrowed(scope_filter(Mission, user), Mission, user, partner_id)
    client_scope = _narrowed(scope_filter(Client, user), Client, user, partner_id)
    clients = select(func.count(Client.id)).where(client_scope).scalar_subquery()
    active, completed, client_count = db.session.execute(
        select(
            _count_where(Mission.status.in_(ACTIVE_STATUSES)),
            _count_where(Mission.status == MissionStatus.COMPLETED),
            clients,
        ).where(mission_scope)
    ).one()
    latest = db.session.scalars(
        select(Mission)
        .options(joinedload(Mission.client))
        .where(mission_scope)
        .order_by(Mission.created_at.desc(), Mission.id.desc())
        .limit(LATEST_COUNT)
    ).all()
    return DashboardFigures(active or 0, completed or 0, client_count or 0, list(latest))


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _narrowed(
    scope: ColumnElement[bool],
    model: type[Client] | type[Mission],
    user: User,
    partner_id: int | None,
) -> ColumnElement[bool]:
    """Partners are never narrowed to anyone else: their scope is already themselves."""
    if partner_id is None or not sees_all_partners(user):
        return scope
    return and_(scope, model.partner_id == partner_id)
