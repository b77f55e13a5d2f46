"""Each partner's running totals (clients, missions per status), for the dashboard.

Counting a million missions on every dashboard view costs most of a second; the totals are
instead adjusted by the domain functions that add, move or remove rows, inside the transaction
that changes the rows, so they are exactly as current as the rows. ``recount`` rebuilds them
from the rows: after a bulk load, or to repair a database changed by hand
(``flask walkin recount``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Insert, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..data.models import Client, Mission, MissionStatus, PartnerTally
from ..extensions import database_dialect, db


@dataclass(frozen=True)
class Totals:
    active: int
    completed: int
    clients: int


def count_registration(partner_id: int) -> None:
    """One client and its pending mission were added for ``partner_id``."""
    values = {"partner_id": partner_id, "clients": 1, MissionStatus.PENDING.value: 1}
    statement = _insert()(PartnerTally).values(**values)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[PartnerTally.partner_id],
            set_={
                "clients": PartnerTally.clients + 1,
                MissionStatus.PENDING.value: _column(MissionStatus.PENDING) + 1,
            },
        )
    )


def count_new_mission(partner_id: int) -> None:
    """One more pending mission for an existing client of ``partner_id`` (no new client)."""
    pending = MissionStatus.PENDING.value
    statement = _insert()(PartnerTally).values(partner_id=partner_id, **{pending: 1})
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[PartnerTally.partner_id],
            set_={pending: _column(MissionStatus.PENDING) + 1},
        )
    )


def count_transition(mission_id: str, source: MissionStatus, target: MissionStatus) -> None:
    """The mission ``mission_id`` moved from ``source`` to ``target``."""
    owner = select(Mission.partner_id).where(Mission.id == mission_id).scalar_subquery()
    db.session.execute(
        update(PartnerTally)
        .where(PartnerTally.partner_id == owner)
        .values({source.value: _column(source) - 1, target.value: _column(target) + 1})
    )


def count_client_removal(partner_id: int, mission_statuses: Iterable[MissionStatus]) -> None:
    """One client of ``partner_id`` was deleted with missions in ``mission_statuses`` (the
    statuses the DELETE returned, so a transition committed meanwhile cannot be miscounted)."""
    changes = {
        status.value: _column(status) - count for status, count in Counter(mission_statuses).items()
    }
    db.session.execute(
        update(PartnerTally)
        .where(PartnerTally.partner_id == partner_id)
        .values(clients=PartnerTally.clients - 1, **changes)
    )


def count_mission_removal(partner_id: int, mission_statuses: Iterable[MissionStatus]) -> None:
    """Missions of ``partner_id`` in ``mission_statuses`` were deleted, their client kept (an
    invoiced client's erasure)."""
    changes = {
        status.value: _column(status) - count for status, count in Counter(mission_statuses).items()
    }
    if changes:
        db.session.execute(
            update(PartnerTally).where(PartnerTally.partner_id == partner_id).values(**changes)
        )


def totals(scope: ColumnElement[bool]) -> Totals:
    """The sums over the partners that ``scope`` (a condition on ``PartnerTally``) keeps."""
    active, completed, clients = db.session.execute(
        select(
            func.coalesce(func.sum(PartnerTally.pending + PartnerTally.in_progress), 0),
            func.coalesce(func.sum(PartnerTally.completed), 0),
            func.coalesce(func.sum(PartnerTally.clients), 0),
        ).where(scope)
    ).one()
    return Totals(int(active), int(completed), int(clients))


def recount() -> None:
    """Rebuild every partner's totals from the rows (one pass over each table)."""
    clients = (
        select(Client.partner_id, func.count().label("clients"))
        .group_by(Client.partner_id)
        .subquery()
    )
    per_status = [
        func.count().filter(Mission.status == status).label(status.value)
        for status in MissionStatus
    ]
    missions = select(Mission.partner_id, *per_status).group_by(Mission.partner_id).subquery()
    rows = select(
        clients.c.partner_id,
        clients.c.clients,
        *(func.coalesce(missions.c[status.value], 0) for status in MissionStatus),
    ).outerjoin(missions, missions.c.partner_id == clients.c.partner_id)
    columns = ["partner_id", "clients", *(status.value for status in MissionStatus)]
    db.session.execute(delete(PartnerTally))
    db.session.execute(insert(PartnerTally).from_select(columns, rows))
    db.session.commit()


def _column(status: MissionStatus) -> ColumnElement[int]:
    return getattr(PartnerTally, status.value)


def _insert() -> type[Insert]:
    """The dialect's INSERT, which knows ON CONFLICT (both databases have it)."""
    on_postgresql = database_dialect() == "postgresql"
    return postgresql.insert if on_postgresql else sqlite.insert  # type: ignore[return-value]
