"""Today's board: the queue (pending, in progress) and the day's finished missions, in three
queries whatever the data size.

Each column reads at most ``cap`` missions from the newest or oldest end of an index: pending
and in progress by the partner and status index, oldest first (the longest wait on top);
completed and cancelled today by their time of completion or cancellation, newest first. Their
totals come from the partners' running totals (the queue) and from counts over the day's slice of
the ``completed_at`` and ``cancelled_at`` indexes, stopped at ``TODAY_COUNT_CAP`` + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, literal, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from ..data.models import Client, Mission, MissionStatus, PartnerTally, User
from ..extensions import db
from .scoping import scope_for_partner

BOARD_CAP = 20
#: A day's count stops here ("10,000+"): the board never counts more rows than a busy day's.
TODAY_COUNT_CAP = 10_000


@dataclass(frozen=True)
class BoardCard:
    """What a card shows of a mission: read as plain columns, not as mapped objects (a board
    holds up to 80 of them, and each mapped mission with its client costs far more)."""

    id: str
    status: MissionStatus
    client_id: str
    client_name: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None


#: The columns a card reads, in ``BoardCard``'s order. (Service types: add the type's name here.)
CARD_COLUMNS = (
    Mission.id,
    Mission.status,
    Mission.client_id,
    (Client.first_name + " " + Client.last_name).label("client_name"),
    Mission.created_at,
    Mission.started_at,
    Mission.completed_at,
    Mission.cancelled_at,
)


@dataclass(frozen=True)
class BoardColumn:
    """One column: its status, the missions shown (at most the cap), and how many there are
    (``capped`` when the count stopped at ``TODAY_COUNT_CAP``)."""

    status: MissionStatus
    missions: list[BoardCard]
    total: int
    capped: bool = False

    @property
    def more(self) -> int:
        """How many missions the column does not show."""
        return max(self.total - len(self.missions), 0)


@dataclass(frozen=True)
class Day:
    """A day in the user's time zone, as the UTC instants that bound it (``start`` included,
    ``end`` excluded)."""

    start: datetime
    end: datetime


def board_columns(
    user: User, day: Day, partner_id: int | None = None, cap: int = BOARD_CAP
) -> list[BoardColumn]:
    """The four columns of the board over the missions ``user`` sees (admins and support may
    narrow them to one partner): pending, in progress, completed during ``day``, cancelled
    during ``day``."""
    scope = scope_for_partner(Mission, user, partner_id)
    finished = {
        MissionStatus.COMPLETED: Mission.completed_at,
        MissionStatus.CANCELLED: Mission.cancelled_at,
    }
    totals = _totals(scope_for_partner(PartnerTally, user, partner_id), scope, day, finished)
    columns: dict[MissionStatus, Select[tuple[str]]] = {}
    for status in (MissionStatus.PENDING, MissionStatus.IN_PROGRESS):
        queue = select(Mission.id).where(scope, Mission.status == status)
        columns[status] = queue.order_by(Mission.created_at, Mission.id).limit(cap)
    for status, column in finished.items():
        today = select(Mission.id).where(scope, _during(column, day))
        columns[status] = today.order_by(column.desc(), Mission.id.desc()).limit(cap)
    cards = _cards(columns)
    # The queue's totals are exact; a day's count stopped after its cap.
    capped = {status: status in finished and totals[status] > TODAY_COUNT_CAP for status in columns}
    return [
        BoardColumn(
            status,
            cards[status],
            min(totals[status], TODAY_COUNT_CAP) if capped[status] else totals[status],
            capped[status],
        )
        for status in columns
    ]


def _cards(
    columns: dict[MissionStatus, Select[tuple[str]]],
) -> dict[MissionStatus, list[BoardCard]]:
    """Each column's missions in its order, in two queries: the ids of every column at once
    (each read from its index), then those missions' cards with their clients' names."""
    parts = [
        select(literal(position).label("place"), ids.subquery().c.id)
        for position, ids in enumerate(columns.values())
    ]
    placed = db.session.execute(union_all(*parts)).all()
    loaded = db.session.execute(
        select(*CARD_COLUMNS)
        .join(Client, Client.id == Mission.client_id)
        .where(Mission.id.in_([mission_id for _, mission_id in placed]))
    )
    by_id = {row.id: BoardCard(*row) for row in loaded}
    statuses = list(columns)
    cards: dict[MissionStatus, list[BoardCard]] = {status: [] for status in statuses}
    for place, mission_id in placed:
        if mission_id in by_id:
            cards[statuses[place]].append(by_id[mission_id])
    return cards


def _during(column: InstrumentedAttribute[datetime | None], day: Day) -> ColumnElement[bool]:
    return (column >= day.start) & (column < day.end)


def _totals(
    tally_scope: ColumnElement[bool],
    scope: ColumnElement[bool],
    day: Day,
    finished: dict[MissionStatus, InstrumentedAttribute[datetime | None]],
) -> dict[MissionStatus, int]:
    """Every column's total in one query: the queue from the running totals, the day's
    finished missions counted over their index, up to ``TODAY_COUNT_CAP`` + 1."""

    def queued(status: MissionStatus) -> ColumnElement[int]:
        summed = func.sum(getattr(PartnerTally, status.value))
        return select(func.coalesce(summed, 0)).where(tally_scope).scalar_subquery()

    def counted(column: InstrumentedAttribute[datetime | None]) -> ColumnElement[int]:
        rows = select(Mission.id).where(scope, _during(column, day)).limit(TODAY_COUNT_CAP + 1)
        return select(func.count()).select_from(rows.subquery()).scalar_subquery()

    statuses = [MissionStatus.PENDING, MissionStatus.IN_PROGRESS, *finished]
    figures = [queued(MissionStatus.PENDING), queued(MissionStatus.IN_PROGRESS)]
    figures += [counted(column) for column in finished.values()]
    row = db.session.execute(select(*figures)).one()
    return {status: int(value) for status, value in zip(statuses, row, strict=True)}
