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

``ListingMixin`` gives a Flask-Admin model view such a list; each view says how its rows are
searched (``searched``) and which indexes serve its orders and filters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, flash
from flask_babel import format_decimal, gettext
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
from sqlalchemy.orm import Query, joinedload
from sqlalchemy.orm.interfaces import LoaderOption

from ..data.models import User
from ..domain.search import MAX_WORDS, has_too_many_words
from ..extensions import database_dialect, db


def flash_words_dropped() -> None:
    """Tell the user a long search was cut to its first ``MAX_WORDS`` words."""
    flash(gettext("Only the first %(num)d words of a search are used.", num=MAX_WORDS))


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


class ListingMixin:
    """A Flask-Admin SQLAlchemy model view whose list pages are read by ``read_page``: capped
    count, bounded paging, one statement a page, searches through the indexes. Put it before
    the model view in the bases (``class V(ListingMixin, SecureModelView)``)."""

    def searched(self, query: Query, text: str) -> Query:
        """``query`` narrowed to the rows matching ``text`` through indexes; views with a
        search box say how (``search.py``)."""
        raise NotImplementedError

    def search_scan(self, search: str, filters: Any) -> Scan | None:
        """Another way to find a search's first pages (see ``Scan``); none by default."""
        return None

    def get_list(
        self,
        page: int | None,
        sort_column: str | None,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> tuple[ListCount, list[Any]]:
        """One statement a page whatever the table size. (``execute`` is Flask-Admin's
        parameter; the rows are always read.)"""
        page = max(page or 0, 0)
        page_size = page_size or self.page_size
        scan = None
        if search and search.strip() and self._scan_may_pay(sort_column, page, page_size):
            scan = self.search_scan(search, filters)
        return read_page(
            self.model,
            self._narrowed(self.get_query(), search, filters),
            self.get_query(),
            lambda query: self._sorted(query, sort_column, sort_desc),
            self._row_loads(),
            page,
            page_size,
            scan,
        )

    def _apply_search(
        self, query: Query, count_query: Query | None, joins: dict, count_joins: dict, search: str
    ) -> tuple[Query, Query | None, dict, dict]:
        """Search through the indexes instead of ``ILIKE '%x%'`` on every searchable column (a
        full scan at a million rows)."""
        if not search.strip():
            return query, count_query, joins, count_joins
        if has_too_many_words(search):
            flash_words_dropped()
        if count_query is not None:
            count_query = self.searched(count_query, search)
        return self.searched(query, search), count_query, joins, count_joins

    def _row_loads(self) -> list[LoaderOption]:
        """Each row's relations, joined in the page's statement; of an account only its email,
        which lists show: its password hash, secrets and recovery codes would be read for
        nothing, and each account loaded in full sets up its mutable columns."""
        loads = []
        for relation in self._auto_joins:
            load = joinedload(relation)
            if relation.property.mapper.class_ is User:
                load = load.load_only(User.email)
            loads.append(load)
        return loads

    def _narrowed(self, query: Query, search: str | None, filters: Any) -> Query:
        if self._search_supported and search:
            query = self._apply_search(query, None, {}, {}, search)[0]
        if filters and self._filters:
            query = self._apply_filters(query, None, {}, {}, filters)[0]
        return query

    def _scan_may_pay(self, sort_column: str | None, page: int, page_size: int) -> bool:
        """Whether a search's first pages may be read through the list's order index (see
        ``search.py``): on SQLite only (PostgreSQL's planner weighs this from its statistics),
        in the default order's column, and on the first ``SEARCH_SCAN_MAX_ROWS`` rows (a scan
        reads every row it skips)."""
        return (
            database_dialect() == "sqlite"
            and sort_column in (None, self.column_default_sort[0])
            and (page + 1) * page_size <= current_app.config["SEARCH_SCAN_MAX_ROWS"]
        )

    def _sorted(self, query: Query, sort_column: str | None, sort_desc: bool) -> Query:
        """The chosen order, then the id in the same direction: rows that tie (same creation
        time) keep one order, so pages neither repeat nor skip them. The list indexes end in
        ``id`` for this."""
        descending = sort_desc if sort_column is not None else self.column_default_sort[1]
        tie_break = self.model.id.desc() if descending else self.model.id.asc()
        return self._apply_sorting(query, {}, sort_column, sort_desc)[0].order_by(tie_break)
