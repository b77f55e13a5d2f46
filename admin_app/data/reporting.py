"""Daily roll-ups for the reports: one row per partner, day and service type.

A row holds what happened that day (in ``REPORT_TIME_ZONE``) to the partner's missions of one
service type, adjusted in the same transaction as each change (``domain/report_rollups.py``),
so a year's report sums 365 rows a partner and service type instead of a million missions.
Durations are kept as sums (for averages) and as counts per bucket of ``DURATION_BUCKETS``
(for percentiles estimated over long periods).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

#: Upper bounds (seconds, inclusive) of the duration buckets; the last bucket is unbounded.
DURATION_BUCKETS: tuple[int, ...] = (
    60,
    120,
    300,
    600,
    900,
    1200,
    1800,
    2700,
    3600,
    5400,
    7200,
    10800,
    14400,
    28800,
    86400,
)
BUCKET_COUNT = len(DURATION_BUCKETS) + 1
#: ``service_type_id`` of the missions opened while no service type was offered.
NO_SERVICE_TYPE = 0


def bucket_columns(prefix: str) -> list[str]:
    """The names of one duration's bucket columns: ``wait_b0`` ... ``wait_b15``."""
    return [f"{prefix}_b{index}" for index in range(BUCKET_COUNT)]


def _counter() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0", nullable=False)


class DailySums:
    """The figures of one roll-up row: what happened that day (in ``REPORT_TIME_ZONE``) to the
    missions of one service type."""

    opened: Mapped[int] = _counter()
    #: Missions opened that day by clients on their first visit (the others are returning).
    new_clients: Mapped[int] = _counter()
    started: Mapped[int] = _counter()
    completed: Mapped[int] = _counter()
    cancelled_client_left: Mapped[int] = _counter()
    cancelled_no_show: Mapped[int] = _counter()
    cancelled_duplicate: Mapped[int] = _counter()
    cancelled_other: Mapped[int] = _counter()
    #: The copied prices of the missions completed that day.
    revenue: Mapped[Decimal] = mapped_column(
        Numeric(14, 2), default=Decimal("0.00"), server_default="0"
    )
    #: Seconds from opening to start of the missions started that day.
    wait_seconds: Mapped[int] = _counter()
    #: Missions completed that day that had been started, and their seconds from start to end.
    handled: Mapped[int] = _counter()
    handle_seconds: Mapped[int] = _counter()

    locals().update({name: _counter() for name in bucket_columns("wait")})
    locals().update({name: _counter() for name in bucket_columns("handle")})


class ReportDay(DailySums, db.Model):
    """A partner's day and service type."""

    __tablename__ = "report_day"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: The missions' service type (no foreign key: 0 stands for "none").
    service_type_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ReportDayAll(DailySums, db.Model):
    """Every partner's day and service type: the sums of ``report_day`` over the partners, so
    the all-partners report of a year reads a few thousand rows, not one per partner too.
    Kept at each commit (``report_rollups.py``): every write of that day and service type
    passes through its row, held only while the transaction commits."""

    __tablename__ = "report_day_all"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service_type_id: Mapped[int] = mapped_column(Integer, primary_key=True)
