"""The dashboard's figures, in two queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..data.models import Mission, MissionStatus, PartnerTally, User
from ..extensions import db
from .scoping import scope_for_partner
from .tally import totals

LATEST_COUNT = 3


@dataclass(frozen=True)
class MissionSummary:
    """What a list of the latest missions shows of one (the dashboard, its JSON, the API)."""

    id: str
    client: str
    status: MissionStatus
    created_at: datetime

    @classmethod
    def of(cls, mission: Mission) -> MissionSummary:
        return cls(mission.id, mission.client.full_name, mission.status, mission.created_at)


@dataclass(frozen=True)
class DashboardFigures:
    active: int
    completed: int
    clients: int
    latest: list[MissionSummary]


def dashboard_figures(user: User, partner_id: int | None = None) -> DashboardFigures:
    """Figures over the rows ``user`` sees; admins and support may narrow them to one partner.

    The counts come from the partners' running totals (``tally.py``), the latest missions from
    the newest end of the ``created_at`` index.
    """
    counted = totals(scope_for_partner(PartnerTally, user, partner_id))
    latest = db.session.scalars(
        select(Mission)
        .options(joinedload(Mission.client))
        .where(scope_for_partner(Mission, user, partner_id))
        .order_by(Mission.created_at.desc(), Mission.id.desc())
        .limit(LATEST_COUNT)
    ).all()
    summaries = [MissionSummary.of(mission) for mission in latest]
    return DashboardFigures(counted.active, counted.completed, counted.clients, summaries)
