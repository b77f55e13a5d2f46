"""List pages whose cost does not grow with the table.

Flask-Admin counts every matching row (an exact ``count(*)`` over a million missions costs
50-100 ms on PostgreSQL) and pages with OFFSET over whole joined rows. Here a list page is one
statement:

- the count stops at ``LIST_COUNT_CAP`` + 1 rows: beyond, the list says "1,000+";
- paging reaches the first ``LIST_MAX_ROWS`` rows of the current order (search, filters or the
  other sort direction reach the rest); the page's ids come from the index alone, and only those
  rows are then read with their relations;
- one row more than the page tells whether there is a next page;
- a search whose rows an index in the list's order finds faster (``Scan``) reads them that way
  when a condition of the same statement says so (see ``search.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    ScalarSelect,
    Select,
    case,
    func,
    not_,
    select,
    union_all,
)
from sqlalchemy.orm import Query
from sqlalchemy.orm.interfaces import LoaderOption

from ..extensions import db


class ListCount(int):
    """How many rows a list holds, counted up to a cap (``capped`` when there are more), with
    what the pager needs: whether a next page exists and the last reachable page."""

    capped: bool
    have_next: bool
    last_page: int

    def __new__(cls, counted: int, *, cap: int, have_next: bool, last_page: int) -> ListCount:
        count = super().__new__(cls, min(counted, cap))
        count.capped = counted > cap
        count.have_next = have_next
        count.last_page = last_page
        return count

    @property
    def label(self) -> str:
        return format_decimal(int(self)) + ("+" if self.capped else "")


@dataclass(frozen=True)
class Scan:
    """The same rows as a list's filtered query, written so that its order index drives them
    (each row tested), and ``chosen``: SQL that tells, once a statement, whether to read the
    page this way. Only the page's ids are read this way; the count stays with the indexes."""

    filtered: Query
    chosen: ColumnElement[bool]


def last_reachable_page(page_size: int) -> int:
    return max(current_app.config["LIST_MAX_ROWS"] // page_size - 1, 0)


def read_page(
    model: type,
    filtered: Query,
    scoped: Query,
    sort: Callable[[Query], Query],
    options: Sequence[LoaderOption],
    page: int,
    page_size: int,
    scan: Scan | None = None,
) -> tuple[ListCount, list[Any]]:
    """Page ``page`` of ``filtered`` (scope, search and filters applied) in the order ``sort``
    gives, with the count, in one statement; ``scoped`` (the scope alone) reads the rows,
    ``scan`` is another way to find the page's ids."""
    last_page = last_reachable_page(page_size)
    cap = current_app.config["LIST_COUNT_CAP"]
    total = capped_count(model, filtered, cap)
    rows: list[Any] = []
    if page <= last_page:
        ids = either_page_ids(model, sort, filtered, scan, page, page_size)
        rows = list(sort(scoped).options(*options).filter(model.id.in_(ids)).add_columns(total))
    counted = rows[0][1] if rows else (db.session.scalar(select(total)) if page else 0)
    have_next = len(rows) > page_size
    count = ListCount(counted, cap=cap, have_next=have_next, last_page=last_page)
    return count, [row[0] for row in rows[:page_size]]


def capped_count(model: type, filtered: Query, cap: int) -> ScalarSelect[int]:
    """``count(*)`` that stops after ``cap`` + 1 rows."""
    counted = filtered.with_entities(model.id).order_by(None).limit(cap + 1).subquery()
    return select(func.count()).select_from(counted).scalar_subquery()


def either_page_ids(
    model: type,
    sort: Callable[[Query], Query],
    filtered: Query,
    scan: Scan | None,
    page: int,
    page_size: int,
) -> Select[Any] | CompoundSelect:
    """The page's ids from ``filtered``, or from ``scan`` when its condition holds."""
    if scan is None:
        return page_ids(model, sort(filtered), page, page_size)
    return union_all(
        page_ids(model, sort(filtered), page, page_size, when=not_(scan.chosen)),
        page_ids(model, sort(scan.filtered), page, page_size, when=scan.chosen),
    )


def page_ids(
    model: type,
    ordered: Query,
    page: int,
    page_size: int,
    when: ColumnElement[bool] | None = None,
) -> Select[Any]:
    """The ids of the page's rows and of one more, if any; none unless ``when`` holds.

    ``when`` goes into the LIMIT (0 when false): SQLite evaluates a LIMIT once, before reading
    any row, and skips a query whose LIMIT is 0, where a WHERE condition is tested row by row.
    """
    rows = page_size + 1
    limit = rows if when is None else case((when, rows), else_=0)
    window = ordered.with_entities(model.id).limit(limit).offset(page * page_size)
    return select(window.subquery().c[0])
