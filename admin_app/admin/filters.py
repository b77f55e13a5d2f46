"""Date filters over UTC timestamps, read as days in the user's own time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateBetweenFilter,
    DateGreaterFilter,
    DateSmallerFilter,
    FilterEqual,
    IntEqualFilter,
)
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, func, literal, select, union_all

from ..data.models import ServiceType, User
from ..data.search_keys import name_key
from ..domain.accounts import partner_choices_query
from ..domain.paging import ACTIVE, ACTIVE_STATUSES
from ..domain.services import service_type_choices_query
from ..extensions import db

MIN_YEAR, MAX_YEAR = 1900, 9998
MAX_ID = 2**31 - 1


def row_number(value: object) -> int | None:
    """An integer row id written in ASCII digits only, within the id column's range, else None.

    ``int()`` alone would also take "+12", " 12 " or "١٢" (other scripts' digits) as 12."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def sane_days(*days: date) -> bool:
    """Days a database can compare with: far-off years overflow on time-zone shifts."""
    return all(MIN_YEAR <= day.year <= MAX_YEAR for day in days)


def user_zone() -> ZoneInfo:
    return ZoneInfo(str(get_timezone() or "UTC"))


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the user's time zone, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=user_zone())


def user_today() -> date:
    """Today's date in the user's time zone."""
    return datetime.now(user_zone()).date()


def requested_partner() -> int | None:
    """The partner that admins and support narrow a page to (``?partner=ID``), if any; the
    scoping rules ignore it for everyone else."""
    return row_number(request.args.get("partner"))


class LocalDayBetween(DateBetweenFilter):
    def validate(self, value: Any) -> bool:
        return super().validate(value) and sane_days(*self.clean(value))

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        first, last = value
        column = self.get_column(alias)
        return query.filter(column >= day_start(first), column < day_start(last + timedelta(1)))


class LocalDayFrom(DateGreaterFilter):
    def validate(self, value: Any) -> bool:
        return super().validate(value) and sane_days(self.clean(value))

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) >= day_start(value))

    def operation(self) -> str:
        return _l("from")


class LocalDayUntil(DateSmallerFilter):
    def validate(self, value: Any) -> bool:
        return super().validate(value) and sane_days(self.clean(value))

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) < day_start(value + timedelta(1)))

    def operation(self) -> str:
        return _l("until")


def day_filters(column: Any, name: Any) -> tuple[Any, ...]:
    """Between two days, from a day, until a day (each day included)."""
    return (LocalDayBetween(column, name), LocalDayFrom(column, name), LocalDayUntil(column, name))


class FreshChoices(IntEqualFilter):
    """Equality with a row id, among choices read as the page is built (Flask-Admin would
    freeze them at start-up): ``choices_query`` gives (id, label) rows in a language, the
    order being the choices'. The scoped view reads every such filter's choices in one
    statement (``ScopedModelView._get_filter_groups``), built once a process for each set of
    filters and language (``_choices_statement``): ``choices_query`` must depend on the
    language alone, never on the user, the request or the time."""

    def validate(self, value: Any) -> bool:
        return row_number(value) is not None

    def choices_query(self, language: str) -> Select[tuple[int, str]]:
        """(id, label) rows, labels in ``language``; its statement is kept for the process's
        life (see the class)."""
        raise NotImplementedError

    def choices_order(self) -> Any:
        """The choices' order, as a column of ``choices_query``'s rows."""
        raise NotImplementedError


def read_fresh_choices(filters: dict[int, FreshChoices]) -> dict[int, list[tuple[str, str]]]:
    """Each filter's choices (by the filter's index), all read in one statement: a list page
    stays within its query budget however many such filters it has."""
    if not filters:
        return {}
    choices: dict[int, list[tuple[str, str]]] = {index: [] for index in filters}
    statement = _choices_statement(tuple(filters.items()), str(get_locale()))
    for index, value, label in db.session.execute(statement):
        choices[index].append((str(value), label))
    return choices


@lru_cache(maxsize=64)
def _choices_statement(
    filters: tuple[tuple[int, FreshChoices], ...], language: str
) -> Select[tuple[int, int, str]]:
    """The statement of ``read_fresh_choices``, built once for each set of filters and language
    (building it and computing its cache key cost more than running it)."""
    parts = []
    for index, flt in filters:
        query = flt.choices_query(language)
        value, label = query.selected_columns
        parts.append(
            query.with_only_columns(
                literal(index, Integer).label("filter"),
                value.label("value"),
                label.label("label"),
                func.row_number().over(order_by=flt.choices_order()).label("position"),
                maintain_column_froms=True,
            )
        )
    rows = union_all(*parts).subquery()
    return select(rows.c.filter, rows.c.value, rows.c.label).order_by(
        rows.c.filter, rows.c.position
    )


class PartnerFilter(FreshChoices):
    """Rows of one partner, offered only to users who see every partner."""

    def choices_query(self, language: str) -> Select[tuple[int, str]]:
        return partner_choices_query()

    def choices_order(self) -> Any:
        return User.email


class ServiceTypeFilter(FreshChoices):
    """Missions of one service type, inactive types included (old missions keep theirs): a
    type added while the panel runs is offered on the next page."""

    def choices_query(self, language: str) -> Select[tuple[int, str]]:
        return service_type_choices_query(language)

    def choices_order(self) -> Any:
        return ServiceType.id


class KeyIs(BaseSQLAFilter):
    """Equal to the value, case and accents aside, through a ``name_key`` column and its index
    ("lyon" finds "Lyon"); Flask-Admin's "contains" reads every row of the list instead."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) == name_key(value))

    def operation(self) -> str:
        return _l("is")


class ChoiceFilter(FilterEqual):
    """Equality with one of its fixed options; any other value in the URL is refused as an
    invalid filter value (Flask-Admin says so) rather than reaching the database."""

    def validate(self, value: Any) -> bool:
        return value in {str(key) for key, _ in self.options or ()}


class StatusFilter(ChoiceFilter):
    """A mission status, or ``active``: pending or in progress."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        if value == ACTIVE:
            return query.filter(self.get_column(alias).in_(ACTIVE_STATUSES))
        return super().apply(query, value, alias)
