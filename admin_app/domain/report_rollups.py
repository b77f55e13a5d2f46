"""The reports' daily roll-ups (``report_day``), kept in the same transaction as each change.

A mission counts on up to four days of its partner and service type, each a day in
``REPORT_TIME_ZONE``: the day it was opened (``opened``, and ``new_clients`` on its client's
first visit), started (``started``, the wait and its bucket), completed (``completed``, its
copied price, and the handling time when it had been started) and cancelled (one column per
reason). The domain functions that open, move, merge or remove missions call the functions
here after adjusting ``partner_tally`` (the same lock order everywhere: totals, then days).
``recount_report_days`` rebuilds every row from the missions (``flask walkin recount``).

``report_day_all`` sums the partners' rows. Its rows are shared by every shop, so a transaction
adds to them only as it commits, once, in key order: it holds them for the commit alone, after
every lock of its own partner's rows (no two transactions ever wait for each other in a circle).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased, scoped_session

from ..data.models import CancelReason, Mission, MissionStatus
from ..data.reporting import (
    DURATION_BUCKETS,
    NO_SERVICE_TYPE,
    ReportDay,
    ReportDayAll,
    bucket_columns,
)
from ..extensions import db, dialect_insert

#: What a mission contributes to the roll-ups, read with these columns in this order.
FACT_COLUMNS = (
    Mission.partner_id,
    Mission.service_type_id,
    Mission.status,
    Mission.created_at,
    Mission.started_at,
    Mission.completed_at,
    Mission.cancelled_at,
    Mission.cancel_reason,
    Mission.price_amount,
    Mission.first_visit,
)
KEY_NAMES = ("partner_id", "day", "service_type_id")
WAIT_BUCKETS = bucket_columns("wait")
HANDLE_BUCKETS = bucket_columns("handle")
#: Every column that a roll-up row sums.
SUMMED_COLUMNS = (
    "opened", "new_clients", "started", "completed", "cancelled_client_left",
    "cancelled_no_show", "cancelled_duplicate", "cancelled_other", "revenue", "wait_seconds",
    "handled", "handle_seconds", *WAIT_BUCKETS, *HANDLE_BUCKETS,
)  # fmt: skip
EVENTS = ("opened", "started", "completed", "cancelled")
RECOUNT_BATCH = 5_000
#: ``Session.info`` key of the changes to ``report_day_all`` that wait for the commit.
ALL_PARTNERS_KEY = "report_day_all"

Key = tuple[int, date, int]
Deltas = dict[Key, dict[str, Any]]


class MissionFacts(NamedTuple):
    """The columns of ``FACT_COLUMNS`` for one mission."""

    partner_id: int
    service_type_id: int | None
    status: MissionStatus
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: CancelReason | None
    price_amount: Decimal | None
    first_visit: bool


def report_zone() -> ZoneInfo:
    """The zone whose days the roll-ups count in (``REPORT_TIME_ZONE``)."""
    return ZoneInfo(current_app.config["REPORT_TIME_ZONE"])


def duration_bucket(seconds: int) -> int:
    """The index of the bucket of ``DURATION_BUCKETS`` that holds ``seconds``."""
    return bisect_left(DURATION_BUCKETS, seconds)


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end``, never negative (a clock set back)."""
    return max(int((end - start).total_seconds()), 0)


def facts_of(mission: Mission) -> MissionFacts:
    """The facts of a mission held in the session (one being opened: its id is not known
    before the flush, its type is the object it was given)."""
    service = mission.service_type
    return MissionFacts(
        mission.partner_id,
        service.id if service is not None else mission.service_type_id,
        mission.status,
        mission.created_at,
        mission.started_at,
        mission.completed_at,
        mission.cancelled_at,
        mission.cancel_reason,
        mission.price_amount,
        mission.first_visit,
    )


def event_deltas(facts: MissionFacts, event: str, zone: ZoneInfo) -> tuple[Key, dict[str, Any]]:
    """The row and the column changes that one event of a mission adds; the event must have
    happened (a started mission for "started", and so on)."""
    service = facts.service_type_id or NO_SERVICE_TYPE
    changes: dict[str, Any]
    if event == "opened":
        at = facts.created_at
        changes = {"opened": 1, "new_clients": 1 if facts.first_visit else 0}
    elif event == "started":
        at = _present(facts.started_at)
        wait = seconds_between(facts.created_at, at)
        changes = {"started": 1, "wait_seconds": wait, WAIT_BUCKETS[duration_bucket(wait)]: 1}
    elif event == "completed":
        at = _present(facts.completed_at)
        changes = {"completed": 1, "revenue": facts.price_amount or Decimal("0.00")}
        if facts.started_at is not None:
            handling = seconds_between(facts.started_at, at)
            changes.update(
                {
                    "handled": 1,
                    "handle_seconds": handling,
                    HANDLE_BUCKETS[duration_bucket(handling)]: 1,
                }
            )
    elif event == "cancelled":
        at = _present(facts.cancelled_at)
        reason = facts.cancel_reason or CancelReason.OTHER
        changes = {f"cancelled_{reason.value}": 1}
    else:
        raise ValueError(f"unknown mission event: {event}")
    return (facts.partner_id, at.astimezone(zone).date(), service), changes


def mission_events(facts: MissionFacts) -> Iterator[str]:
    """The events that have happened to a mission, whatever its status now."""
    yield "opened"
    if facts.started_at is not None:
        yield "started"
    if facts.status is MissionStatus.COMPLETED and facts.completed_at is not None:
        yield "completed"
    if facts.status is MissionStatus.CANCELLED and facts.cancelled_at is not None:
        yield "cancelled"


def mission_deltas(missions: Iterable[MissionFacts], zone: ZoneInfo, sign: int = 1) -> Deltas:
    """Everything ``missions`` contribute, per row, times ``sign``."""
    deltas: Deltas = defaultdict(lambda: defaultdict(int))
    for facts in missions:
        for happened in mission_events(facts):
            key, changes = event_deltas(facts, happened, zone)
            for name, value in changes.items():
                deltas[key][name] += sign * value
    return deltas


def count_opened(mission: Mission) -> None:
    """A mission was just opened (in the session, not yet committed)."""
    key, changes = event_deltas(facts_of(mission), "opened", report_zone())
    _apply({key: changes})


def count_mission_change(mission_id: str, before: MissionFacts) -> None:
    """The mission ``mission_id`` was just changed (uncommitted) from ``before``: take out
    what it counted and add what it counts now. Any transition, the table's or a new one,
    is counted right, whatever columns it set."""
    row = db.session.execute(select(*FACT_COLUMNS).where(Mission.id == mission_id)).one()
    zone = report_zone()
    deltas = mission_deltas([MissionFacts(*row)], zone)
    for key, changes in mission_deltas([before], zone, sign=-1).items():
        for name, value in changes.items():
            deltas[key][name] += value
    _apply(deltas)


def forget_missions(missions: Iterable[MissionFacts]) -> None:
    """Take missions out of the roll-ups: for any path that removes them (uncommitted)."""
    _apply(mission_deltas(missions, report_zone(), sign=-1))


def remove_missions(
    condition: ColumnElement[bool], count_totals: Callable[[list[MissionFacts]], None]
) -> list[MissionFacts]:
    """Delete the missions that ``condition`` keeps, in the caller's transaction, and take
    them out of the roll-ups; return their facts as the DELETE read them. ``count_totals``
    gets them first (the partner's totals: every change locks the totals before the days,
    so two transactions never wait for each other in a circle)."""
    rows = db.session.execute(delete(Mission).where(condition).returning(*FACT_COLUMNS)).all()
    removed = [MissionFacts(*row) for row in rows]
    count_totals(removed)
    forget_missions(removed)
    return removed


def is_first_visit(client_id: str) -> bool:
    """Whether a mission opened now for ``client_id`` is its first visit (no mission yet)."""
    return not db.session.scalar(select(exists().where(Mission.client_id == client_id)))


def refresh_first_visits(client_id: str) -> None:
    """Mark the client's earliest mission (by opening time, then id) as its first visit and
    no other, and move ``new_clients`` with each mark that changed (after a merge)."""
    rows = db.session.execute(
        select(Mission.id, *FACT_COLUMNS)
        .where(Mission.client_id == client_id)
        .order_by(Mission.created_at, Mission.id)
    ).all()
    zone = report_zone()
    deltas: Deltas = {}
    for index, (mission_id, *columns) in enumerate(rows):
        facts = MissionFacts(*columns)
        first = index == 0
        if facts.first_visit == first:
            continue
        db.session.execute(
            update(Mission)
            .where(Mission.id == mission_id)
            .values(first_visit=first)
            .execution_options(synchronize_session=False)
        )
        key, _ = event_deltas(facts, "opened", zone)
        change = deltas.setdefault(key, {"new_clients": 0})
        change["new_clients"] += 1 if first else -1
    _apply(deltas)


def mark_first_visits() -> None:
    """Mark every client's earliest mission as its first visit and no other (after a bulk
    load); uncommitted."""
    earlier = aliased(Mission)
    has_earlier = exists().where(
        earlier.client_id == Mission.client_id,
        or_(
            earlier.created_at < Mission.created_at,
            and_(earlier.created_at == Mission.created_at, earlier.id < Mission.id),
        ),
    )
    db.session.execute(
        update(Mission)
        .where(Mission.first_visit == has_earlier)
        .values(first_visit=~has_earlier)
        .execution_options(synchronize_session=False)
    )


def recount_report_days() -> None:
    """Rebuild every roll-up row (and the first-visit marks) from the missions, and commit;
    one partner at a time, so a million missions never sit in memory at once."""
    mark_first_visits()
    zone = report_zone()
    db.session.execute(delete(ReportDay))
    partners = db.session.scalars(select(Mission.partner_id).distinct()).all()
    for partner_id in sorted(partners):
        rows = db.session.execute(select(*FACT_COLUMNS).where(Mission.partner_id == partner_id))
        deltas = mission_deltas((MissionFacts(*row) for row in rows), zone)
        rebuilt = [_full_row(key, changes) for key, changes in sorted(deltas.items())]
        for start in range(0, len(rebuilt), RECOUNT_BATCH):
            db.session.execute(insert(ReportDay), rebuilt[start : start + RECOUNT_BATCH])
    _recount_all_partners()
    db.session.commit()


def _recount_all_partners() -> None:
    db.session.info.pop(ALL_PARTNERS_KEY, None)
    db.session.execute(delete(ReportDayAll))
    sums = [func.sum(getattr(ReportDay, name)) for name in SUMMED_COLUMNS]
    db.session.execute(
        insert(ReportDayAll).from_select(
            ["day", "service_type_id", *SUMMED_COLUMNS],
            select(ReportDay.day, ReportDay.service_type_id, *sums).group_by(
                ReportDay.day, ReportDay.service_type_id
            ),
        )
    )


def _full_row(key: Key, changes: dict[str, Any]) -> dict[str, Any]:
    row = {name: changes.get(name, 0) for name in SUMMED_COLUMNS}
    row["revenue"] = Decimal(row["revenue"])
    return {**dict(zip(KEY_NAMES, key, strict=True)), **row}


def _apply(deltas: Deltas) -> None:
    """Add ``deltas`` to their rows, creating the rows that do not exist yet; rows in key
    order, so two transactions that touch the same rows wait instead of deadlocking. The
    all-partners rows get theirs at the commit."""
    waiting = db.session.info.setdefault(ALL_PARTNERS_KEY, defaultdict(lambda: defaultdict(int)))
    for key, changes in sorted(deltas.items()):
        changes = {name: value for name, value in changes.items() if value}
        if not changes:
            continue
        _add(db.session, ReportDay, dict(zip(KEY_NAMES, key, strict=True)), changes)
        for name, value in changes.items():
            waiting[key[1:]][name] += value


def _add(
    session: Session | scoped_session[Session],
    model: type[ReportDay | ReportDayAll],
    key: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    statement = dialect_insert()(model).values(**key, **changes)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[getattr(model, name) for name in key],
            set_={name: getattr(model, name) + value for name, value in changes.items()},
        )
    )


def _apply_all_partners(session: Session) -> None:
    """Before a commit: add the transaction's changes to the all-partners rows."""
    waiting = session.info.pop(ALL_PARTNERS_KEY, None)
    for (day, service_type_id), changes in sorted((waiting or {}).items()):
        changes = {name: value for name, value in changes.items() if value}
        if changes:
            _add(session, ReportDayAll, {"day": day, "service_type_id": service_type_id}, changes)


def _forget_all_partners(session: Session) -> None:
    session.info.pop(ALL_PARTNERS_KEY, None)


def keep_all_partner_days() -> None:
    """Add each transaction's changes to ``report_day_all`` as it commits, forget a rolled-back
    one's (once a process: Flask-SQLAlchemy's session class is shared by every app)."""
    if not event.contains(Session, "before_commit", _apply_all_partners):
        event.listen(Session, "before_commit", _apply_all_partners)
        event.listen(Session, "after_rollback", _forget_all_partners)


def _present(value: datetime | None) -> datetime:
    if value is None:
        raise ValueError("the event has no time")
    return value
