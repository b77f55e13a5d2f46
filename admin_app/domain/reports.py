"""Reports over a period: missions opened, completed and cancelled (by reason), new and
returning clients, waiting and handling times, revenue; per day and per service type.

Every figure is summed from the daily roll-ups (``report_day``, see ``report_rollups.py``), a
few hundred rows a partner and year. A report covers whole days of ``REPORT_TIME_ZONE``; the
90th percentiles are exact (read from the period's missions) up to ``EXACT_PERCENTILE_DAYS``
days holding at most ``EXACT_PERCENTILE_ROWS`` durations (the roll-ups count them first), and
estimated from the roll-ups' duration buckets beyond: a busy month of every shop would read
tens of thousands of missions for two figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from math import ceil
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    Select,
    extract,
    func,
    literal,
    null,
    select,
    union_all,
)

from ..data.models import CancelReason, Mission, MissionStatus, RoleName, User
from ..data.reporting import DURATION_BUCKETS, NO_SERVICE_TYPE, ReportDay, ReportDayAll
from ..extensions import database_dialect, db
from .errors import FieldProblem, PartnerNotFound, ValidationError
from .report_rollups import HANDLE_BUCKETS, WAIT_BUCKETS, report_zone, seconds_between
from .scoping import scope_for_partner, sees_all_partners, shop_id_of

MAX_DAYS = 366
#: The days a report may name: beyond them a day's bounds in UTC could leave Python's dates.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
EXACT_PERCENTILE_DAYS = 31
EXACT_PERCENTILE_ROWS = 5_000
PERIODS = ("today", "week", "month", "custom")
PERCENTILE = 0.9
CANCELLED = tuple(f"cancelled_{reason.value}" for reason in CancelReason)
#: The columns a day's line sums: no day shows a percentile, so no duration bucket.
DAY_COUNTED = (
    "opened", "new_clients", "started", "completed", "wait_seconds", "handled",
    "handle_seconds", *CANCELLED,
)  # fmt: skip
#: The columns a report sums (the bucket columns too, for estimated percentiles).
COUNTED = (*DAY_COUNTED, *WAIT_BUCKETS, *HANDLE_BUCKETS)
#: Up to this many days the page's table has a line a day; beyond, a line a month.
DAY_LINES_MAX = 31


@dataclass(frozen=True)
class Period:
    """The days ``first`` to ``last`` (both included) of ``REPORT_TIME_ZONE``."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=index) for index in range(self.days)]

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Midnight starting ``first`` and midnight ending ``last``, in the report zone."""
        zone = report_zone()
        start = datetime.combine(self.first, time(), tzinfo=zone)
        return start, datetime.combine(self.last + timedelta(days=1), time(), tzinfo=zone)


def period_for(choice: str, today: date, first: str = "", last: str = "") -> Period:
    """The period a report form asks for: "today", "week" (Monday to today), "month" (the 1st
    to today) or "custom" (``first`` to ``last``, ISO dates); ``ValidationError`` naming each
    wrong field otherwise."""
    if choice == "today":
        return Period(today, today)
    if choice == "week":
        return Period(today - timedelta(days=today.weekday()), today)
    if choice == "month":
        return Period(today.replace(day=1), today)
    if choice not in PERIODS:
        raise ValidationError({"period": FieldProblem("not_a_choice")})
    days = {"first": _date(first), "last": _date(last)}
    problems = {
        name: FieldProblem("required" if not text.strip() else "invalid_date")
        for name, text in (("first", first), ("last", last))
        if days[name] is None
    }
    bounds = {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
    for name, day in days.items():
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            problems[name] = FieldProblem("date_out_of_range", bounds)
            days[name] = None
    start, end = days["first"], days["last"]
    if start is not None and end is not None:
        if end < start:
            problems["last"] = FieldProblem("date_order")
        elif (end - start).days + 1 > MAX_DAYS:
            problems["last"] = FieldProblem("period_too_long", {"max": MAX_DAYS})
    if problems or start is None or end is None:
        raise ValidationError(problems)
    return Period(start, end)


@dataclass
class Figures:
    """The sums of one group of roll-up rows (a day, a service type, the whole period)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    revenue: Decimal = Decimal("0.00")

    def add(self, counts: dict[str, int], revenue: Decimal) -> None:
        for name, value in counts.items():
            self.counts[name] += value
        self.revenue += revenue

    @property
    def returning(self) -> int:
        """Visits of clients who had come before."""
        return self.counts["opened"] - self.counts["new_clients"]

    @property
    def cancelled(self) -> int:
        return sum(self.counts[name] for name in CANCELLED)

    def cancelled_for(self, reason: CancelReason) -> int:
        return self.counts[f"cancelled_{reason.value}"]

    @property
    def average_wait(self) -> float | None:
        started = self.counts["started"]
        return self.counts["wait_seconds"] / started if started else None

    @property
    def average_handling(self) -> float | None:
        handled = self.counts["handled"]
        return self.counts["handle_seconds"] / handled if handled else None

    def buckets(self, names: Sequence[str]) -> list[int]:
        return [self.counts[name] for name in names]

    @classmethod
    def of_day(
        cls, counts: dict[str, int] | None = None, revenue: Decimal = Decimal("0.00")
    ) -> Figures:
        """A day's (or month's) figures: the ``DAY_COUNTED`` sums only."""
        return cls(counts if counts is not None else dict.fromkeys(DAY_COUNTED, 0), revenue)


@dataclass(frozen=True)
class Percentile:
    """A 90th percentile in seconds: exact, or the upper bound of the bucket that holds it
    (``estimate``); ``above`` when it lies in the last, unbounded bucket (more than
    ``seconds``). None when nothing was measured."""

    seconds: int | None
    estimate: bool = False
    above: bool = False


@dataclass(frozen=True)
class Report:
    """A period's figures: in total, per day (without duration buckets: no day shows a
    percentile) and per service type."""

    period: Period
    partner_id: int | None
    service_type_id: int | None
    total: Figures
    by_day: list[tuple[date, Figures]]
    by_service: list[tuple[int, Figures]]
    wait_p90: Percentile
    handling_p90: Percentile

    @property
    def empty(self) -> bool:
        counts = self.total.counts
        return not (counts["opened"] or counts["completed"] or self.total.cancelled)

    @property
    def monthly_lines(self) -> bool:
        """Whether the page's table has a line a month: beyond ``DAY_LINES_MAX`` days a line a
        day is too long to read (the charts and the CSV keep every day)."""
        return self.period.days > DAY_LINES_MAX

    def lines(self) -> list[tuple[date, Figures]]:
        """The page's table: a line a day, or a line a month named by its first day."""
        if not self.monthly_lines:
            return self.by_day
        months: dict[date, Figures] = {}
        for day, figures in self.by_day:
            month = months.setdefault(day.replace(day=1), Figures.of_day())
            month.add(figures.counts, figures.revenue)
        return list(months.items())


def build_report(
    user: User, period: Period, partner_id: int | None = None, service_type_id: int | None = None
) -> Report:
    """The report of ``period`` over the partners ``user`` sees (one partner, for admins and
    support, when ``partner_id`` is given; another shop's id is ``PartnerNotFound`` for a
    shop's partner and staff), for one service type when ``service_type_id`` is given
    (``NO_SERVICE_TYPE`` for the missions that have none)."""
    check_partner(user, partner_id)
    days: dict[date, Figures] = {}
    services: dict[int, Figures] = {}
    cent = Decimal("0.01")
    for day, service, revenue, *sums in db.session.execute(
        _rollup_query(user, period, partner_id, service_type_id)
    ):
        # A group's sums are never NULL (the columns are NOT NULL): a day's line stops at
        # its own columns, the buckets after them are NULL.
        if day is not None:
            days[day] = Figures.of_day(
                dict(zip(DAY_COUNTED, sums, strict=False)), Decimal(revenue).quantize(cent)
            )
        else:
            counts = dict(zip(COUNTED, sums, strict=True))
            services[service] = Figures(counts, Decimal(revenue).quantize(cent))
    for day in period.each_day():
        if day not in days:
            days[day] = Figures.of_day()
    total = Figures()
    for figures in services.values():
        total.add(figures.counts, figures.revenue)
    if exact_percentiles_affordable(period, total):
        scope = _mission_scope(user, partner_id, service_type_id)
        wait_p90, handling_p90 = _exact_percentiles(period, scope)
    else:
        wait_p90 = estimated_percentile(total.buckets(WAIT_BUCKETS))
        handling_p90 = estimated_percentile(total.buckets(HANDLE_BUCKETS))
    return Report(
        period=period,
        partner_id=partner_id,
        service_type_id=service_type_id,
        total=total,
        by_day=sorted(days.items()),
        by_service=sorted(services.items()),
        wait_p90=wait_p90,
        handling_p90=handling_p90,
    )


def exact_percentiles_affordable(period: Period, total: Figures) -> bool:
    """Whether the period's exact percentiles read few enough missions: a short period with
    at most ``EXACT_PERCENTILE_ROWS`` waits and handling times, as the roll-ups count them."""
    durations = total.counts["started"] + total.counts["handled"]
    return period.days <= EXACT_PERCENTILE_DAYS and durations <= EXACT_PERCENTILE_ROWS


def check_partner(user: User, partner_id: int | None) -> None:
    """A report narrowed to ``partner_id`` must name an existing partner that ``user`` sees:
    any partner for admins and support, their own shop for a shop's partner and staff."""
    if partner_id is None:
        return
    if sees_all_partners(user):
        partner = db.session.get(User, partner_id)
        if partner is not None and partner.has_role(RoleName.PARTNER):
            return
    elif shop_id_of(user) == partner_id:
        return
    raise PartnerNotFound(str(partner_id))


def nearest_rank(values: Sequence[int], share: float = PERCENTILE) -> int | None:
    """The nearest-rank percentile of sorted ``values``: the smallest value that at least
    ``share`` of them do not exceed."""
    if not values:
        return None
    return values[max(ceil(share * len(values)), 1) - 1]


def estimated_percentile(buckets: Sequence[int], share: float = PERCENTILE) -> Percentile:
    """The percentile's bucket, from counts per bucket of ``DURATION_BUCKETS``."""
    total = sum(buckets)
    if not total:
        return Percentile(None, estimate=True)
    rank, seen = max(ceil(share * total), 1), 0
    for index, count in enumerate(buckets):
        seen += count
        if seen >= rank and index < len(DURATION_BUCKETS):
            return Percentile(DURATION_BUCKETS[index], estimate=True)
    return Percentile(DURATION_BUCKETS[-1], estimate=True, above=True)


def _rollup_query(
    user: User, period: Period, partner_id: int | None, service_type_id: int | None
) -> CompoundSelect:
    """The period's sums per day (no service type) and per service type (no day), grouped by
    the database: a few thousand rows at most, whatever the partners and service types (every
    partner's report reads the all-partners rows)."""
    rows: type[ReportDay | ReportDayAll] = ReportDay
    conditions = [scope_for_partner(ReportDay, user, partner_id)]
    if partner_id is None and sees_all_partners(user):
        rows, conditions = ReportDayAll, []
    sums, day_sums = _sums(rows)
    conditions += [rows.day >= period.first, rows.day <= period.last]
    if service_type_id is not None:
        conditions.append(rows.service_type_id == service_type_id)
    per_day = (
        select(rows.day, null().cast(Integer), *day_sums).where(*conditions).group_by(rows.day)
    )
    per_service = (
        select(null().cast(Date), rows.service_type_id, *sums)
        .where(*conditions)
        .group_by(rows.service_type_id)
    )
    return union_all(per_day, per_service)


@cache
def _sums(
    rows: type[ReportDay | ReportDayAll],
) -> tuple[list[ColumnElement[Any]], list[ColumnElement[Any]]]:
    """The revenue and ``COUNTED`` sums, built once a process; a day's line leaves the bucket
    columns out (NULL: half the summing)."""
    sums = [func.sum(rows.revenue), *(func.sum(getattr(rows, name)) for name in COUNTED)]
    buckets = len(COUNTED) - len(DAY_COUNTED)
    return sums, [*sums[: 1 + len(DAY_COUNTED)], *(null() for _ in range(buckets))]


def _mission_scope(
    user: User, partner_id: int | None, service_type_id: int | None
) -> list[ColumnElement[bool]]:
    conditions = [scope_for_partner(Mission, user, partner_id)]
    if service_type_id == NO_SERVICE_TYPE:
        conditions.append(Mission.service_type_id.is_(None))
    elif service_type_id is not None:
        conditions.append(Mission.service_type_id == service_type_id)
    return conditions


Span = tuple[Any, Any, list[ColumnElement[bool]]]


def _exact_percentiles(
    period: Period, scope: list[ColumnElement[bool]]
) -> tuple[Percentile, Percentile]:
    """From the missions started (waits) and completed (handling) within the period, in one
    query: PostgreSQL picks the percentiles itself (``percentile_disc`` is the nearest rank),
    SQLite, which has no such function, hands the durations over."""
    start, end = period.utc_bounds()
    waits: Span = (
        Mission.created_at,
        Mission.started_at,
        [*scope, Mission.started_at >= start, Mission.started_at < end],
    )
    handling: Span = (
        Mission.started_at,
        Mission.completed_at,
        [
            *scope,
            Mission.status == MissionStatus.COMPLETED,
            Mission.completed_at >= start,
            Mission.completed_at < end,
            Mission.started_at.is_not(None),
        ],
    )
    if database_dialect() == "postgresql":
        return _percentiles_in_database(waits, handling)
    return _percentiles_read(waits, handling)


def _percentiles_in_database(*spans: Span) -> tuple[Percentile, Percentile]:
    def percentile(kind: int, span: Span) -> Select:
        begin, finish, conditions = span
        seconds = func.greatest(func.floor(extract("epoch", finish - begin)), 0)
        found = func.percentile_disc(PERCENTILE).within_group(seconds)
        return select(literal(kind).label("kind"), found).where(*conditions)

    query = union_all(*(percentile(kind, span) for kind, span in enumerate(spans)))
    values = {kind: value for kind, value in db.session.execute(query)}
    wait, handle = (values.get(kind) for kind in range(2))
    return (
        Percentile(None if wait is None else int(wait)),
        Percentile(None if handle is None else int(handle)),
    )


def _percentiles_read(*spans: Span) -> tuple[Percentile, Percentile]:
    query = union_all(
        *(
            select(literal(kind), begin, finish).where(*conditions)
            for kind, (begin, finish, conditions) in enumerate(spans)
        )
    )
    durations: tuple[list[int], list[int]] = ([], [])
    for kind, begin_at, end_at in db.session.execute(query):
        durations[kind].append(seconds_between(begin_at, end_at))
    wait, handle = (sorted(values) for values in durations)
    return Percentile(nearest_rank(wait)), Percentile(nearest_rank(handle))


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def shop_today() -> date:
    """Today as the report's days count it: a day of ``REPORT_TIME_ZONE``, so "today" holds the
    missions just opened whatever the viewer's own zone says near midnight."""
    return datetime.now(report_zone()).date()
