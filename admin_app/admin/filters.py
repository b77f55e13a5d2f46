"""Date filters over UTC timestamps, read as days in the user's own time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateBetweenFilter,
    DateGreaterFilter,
    DateSmallerFilter,
    FilterEqual,
    IntEqualFilter,
)
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l

from ..data.search_keys import name_key
from ..domain.services import all_service_types
from .formatting import service_name

MIN_YEAR, MAX_YEAR = 1900, 9998
MAX_ID = 2**31 - 1


def sane_days(*days: date) -> bool:
    """Days a database can compare with: far-off years overflow on time-zone shifts."""
    return all(MIN_YEAR <= day.year <= MAX_YEAR for day in days)


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the user's time zone, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(str(get_timezone() or "UTC")))


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


class PartnerFilter(IntEqualFilter):
    """Rows of one partner. Its choices are read per request (Flask-Admin would freeze them at
    start-up), and only users who see every partner are offered it."""

    def validate(self, value: Any) -> bool:
        return super().validate(value) and 0 < int(value) <= MAX_ID


class ServiceTypeFilter(IntEqualFilter):
    """Missions of one service type, inactive types included (old missions keep theirs). Its
    choices are read per request: a type added while the panel runs is offered at once."""

    def validate(self, value: Any) -> bool:
        return super().validate(value) and 0 < int(value) <= MAX_ID

    def fresh_options(self) -> list[tuple[str, str]]:
        return [(str(service.id), service_name(service)) for service in all_service_types()]


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
