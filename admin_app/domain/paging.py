"""Lists of clients and missions read a page at a time, newest first, by cursor (keyset paging).

A page holds the rows just older than the last row of the page before:
``(created_at, id) < (:at, :id)``, read from the newest-first indexes that end in ``id``, the
lists' own (``ix_walk_in_mission_partner_created``, ``…_partner_status``,
``…_partner_service``, ``ix_walk_in_client_partner_created`` and those of every partner). Rows
added meanwhile are newer: they never shift a later page, so no row repeats and none is skipped;
and a deep page costs what the first does, where OFFSET would read every row before it.

The cursor names that last row, signed with the app's secret: opaque to callers, and one that
was not given out (forged, cut, another list's) is refused at the field ``cursor``. Rows are
scoped by ``scoping.py`` and searched as every list searches (``search.py``); a page is one
statement whatever the table holds: its rows' ids from an index, then those rows.
``updated_since`` has no index of its own: it is tested on each row the order index reads, so
rows changed lately but made long ago are reached after every row made since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    literal,
    select,
    tuple_,
    union_all,
)

from ..data.db_types import UTCDateTime
from ..data.models import Client, Mission, MissionStatus, User
from ..extensions import database_dialect, db
from .errors import FieldProblem, ValidationError
from .global_search import Source
from .reports import FIRST_DAY, LAST_DAY, Period
from .scoping import scope_for_partner
from .search import client_matches, is_broad, rows_of_matching_clients

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
CURSOR_SALT = "walkin-list-cursor"
#: The "active" missions of the dashboard: still in the queue.
ACTIVE = "active"
ACTIVE_STATUSES = (MissionStatus.PENDING, MissionStatus.IN_PROGRESS)
STATUS_CHOICES = (ACTIVE, *(status.value for status in MissionStatus))

Listed = TypeVar("Listed", Client, Mission)


@dataclass(frozen=True)
class ListRequest:
    """What a caller asks of a list; every part is optional. Days are those of
    ``REPORT_TIME_ZONE``, as the reports count them, both included."""

    cursor: str | None = None
    limit: int = PAGE_SIZE
    q: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    updated_since: datetime | None = None
    #: For users who see every partner: one partner's rows (``scoping.scope_for_partner``).
    partner_id: int | None = None


@dataclass(frozen=True)
class MissionListRequest(ListRequest):
    #: A ``MissionStatus`` value, or ``active`` (pending or in progress).
    status: str | None = None
    service_type_id: int | None = None


@dataclass(frozen=True)
class Page(Generic[Listed]):
    items: list[Listed]
    #: Where the next page starts, or ``None`` after the last page.
    next_cursor: str | None


@dataclass(frozen=True, order=True)
class Position:
    """A place in a list's order: the last row of a page, the next page starting after it."""

    created_at: datetime
    id: str


def client_page(user: User, asked: ListRequest) -> Page[Client]:
    """A page of the clients ``user`` sees, newest first."""
    after = _checked(Client, asked, {})
    return _page(Client, Client.id, _conditions(Client, user, asked, after), asked, user)


def mission_page(user: User, asked: MissionListRequest) -> Page[Mission]:
    """A page of the missions ``user`` sees, newest first."""
    problems: dict[str, FieldProblem] = {}
    if asked.status is not None and asked.status not in STATUS_CHOICES:
        problems["status"] = FieldProblem("not_a_choice")
    after = _checked(Mission, asked, problems)
    conditions = _conditions(Mission, user, asked, after)
    if asked.status is not None:
        conditions.append(status_is(asked.status))
    if asked.service_type_id is not None:
        conditions.append(Mission.service_type_id == asked.service_type_id)
    return _page(Mission, Mission.client_id, conditions, asked, user)


def status_is(choice: str) -> ColumnElement[bool]:
    """Missions of one status, or ``active`` ones."""
    if choice == ACTIVE:
        return Mission.status.in_(ACTIVE_STATUSES)
    return Mission.status == MissionStatus(choice)


def cursor_after(row: Client | Mission) -> str:
    """The cursor of the page that follows ``row``."""
    return _signer().dumps([row.__tablename__, row.created_at.isoformat(), row.id])


def read_cursor(cursor: str, model: type[Client] | type[Mission]) -> Position | None:
    """The row a cursor of ``model``'s list names; ``None`` for any text this app did not
    give out for that list."""
    try:
        table, created_at, row_id = _signer().loads(cursor)
        position = Position(datetime.fromisoformat(created_at), row_id)
    except (BadSignature, TypeError, ValueError):
        return None
    return position if table == model.__tablename__ else None


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CURSOR_SALT)


def _checked(
    model: type[Client] | type[Mission], asked: ListRequest, problems: dict[str, FieldProblem]
) -> Position | None:
    """Where the page starts; ``ValidationError`` naming every wrong field, ``problems`` too."""
    if not 1 <= asked.limit <= MAX_PAGE_SIZE:
        problems["limit"] = FieldProblem("number_range", {"min": 1, "max": MAX_PAGE_SIZE})
    problems.update(_day_problems(asked.created_from, asked.created_to))
    if asked.updated_since is not None and not _fits_utc(asked.updated_since):
        problems["updated_since"] = FieldProblem("invalid_datetime")
    position = None
    if asked.cursor is not None:
        position = read_cursor(asked.cursor, model)
        if position is None:
            problems["cursor"] = FieldProblem("invalid_cursor")
    if problems:
        raise ValidationError(problems)
    return position


def _day_problems(first: date | None, last: date | None) -> dict[str, FieldProblem]:
    """The days a list may name are those a report may (``reports.FIRST_DAY`` to ``LAST_DAY``),
    the last not before the first."""
    bounds = {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
    problems = {
        name: FieldProblem("date_out_of_range", bounds)
        for name, day in (("created_from", first), ("created_to", last))
        if day is not None and not FIRST_DAY <= day <= LAST_DAY
    }
    if not problems and first is not None and last is not None and last < first:
        problems["created_to"] = FieldProblem("date_order")
    return problems


def _fits_utc(moment: datetime) -> bool:
    """Whether ``moment`` is still a date once in UTC (year 9999 late in the day, east of
    Greenwich, is not)."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _conditions(
    model: type[Listed], user: User, asked: ListRequest, after: Position | None
) -> list[ColumnElement[bool]]:
    """The rows of the page and after: the scope, the filters, and one row value they stay
    below, the cursor's or the last day's end (``(end, "")``: every id sorts after ""),
    whichever comes first. With the first day's start, that is one range of the index: a
    cursor as a condition apart would be tested row by row from the day's end."""
    conditions = [scope_for_partner(model, user, asked.partner_id)]
    below = after
    if asked.created_from is not None or asked.created_to is not None:
        period = Period(asked.created_from or FIRST_DAY, asked.created_to or LAST_DAY)
        start, end = period.utc_bounds()
        conditions.append(model.created_at >= start)
        below = min(after or Position(end, ""), Position(end, ""))
    if asked.updated_since is not None:
        conditions.append(model.updated_at >= asked.updated_since)
    if below is not None:
        at = literal(below.created_at, UTCDateTime())
        conditions.append(tuple_(model.created_at, model.id) < tuple_(at, literal(below.id)))
    return conditions


def _page(
    model: type[Listed],
    client_id: Any,
    conditions: list[ColumnElement[bool]],
    asked: ListRequest,
    user: User,
) -> Page[Listed]:
    """The page's rows and one more, if any (which says a next page exists)."""
    rows = select(model.id).where(*conditions)
    ids = _page_ids(model, client_id, rows, (asked.q or "").strip(), asked.limit + 1, user)
    found = list(db.session.scalars(_newest(select(model).where(model.id.in_(ids)), model)))
    items = found[: asked.limit]
    more = len(found) > asked.limit
    return Page(items, cursor_after(items[-1]) if more else None)


def _page_ids(
    model: type[Listed],
    client_id: Any,
    rows: Select[tuple[str]],
    text: str,
    size: int,
    user: User,
) -> Select[Any] | CompoundSelect:
    """The ids of the newest ``size`` of ``rows``, of the clients matching ``text`` if any.
    On SQLite a search that matches many clients (``search.is_broad``) reads them in the
    list's order instead, testing each row, as the panel's lists do; whatever the cursor, it
    starts where the cursor points, so a deep page costs what the first does."""
    if not text:
        return _newest(rows, model).limit(size)
    searched = rows_of_matching_clients(rows, model, client_id, text, user)
    if database_dialect() != "sqlite":
        return _newest(searched, model).limit(size)
    scan = rows.where(client_matches(text, client_id))
    return union_all(*Source(model, searched, scan).newest(size, is_broad(text, user)))


def _newest(query: Select[Any], model: type[Listed]) -> Select[Any]:
    return query.order_by(model.created_at.desc(), model.id.desc())
