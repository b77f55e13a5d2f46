"""How values are shown: dates in the user's locale and time zone, status badges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from babel import dates
from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol
from flask import g
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..data.models import CancelReason, MissionStatus, ServiceType

STATUS_LABELS = {
    MissionStatus.PENDING: _l("Pending"),
    MissionStatus.IN_PROGRESS: _l("In progress"),
    MissionStatus.COMPLETED: _l("Completed"),
    MissionStatus.CANCELLED: _l("Cancelled"),
}
CANCEL_REASON_LABELS = {
    CancelReason.CLIENT_LEFT: _l("Client left"),
    CancelReason.NO_SHOW: _l("No-show"),
    CancelReason.DUPLICATE: _l("Duplicate"),
    CancelReason.OTHER: _l("Other"),
}
#: The languages a client's messages are written in, each named in itself (as a language
#: switch names them), whatever the panel's language.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
STATUS_BADGES = {
    MissionStatus.PENDING: "badge-warning",
    MissionStatus.IN_PROGRESS: "badge-primary",
    MissionStatus.COMPLETED: "badge-success",
    MissionStatus.CANCELLED: "badge-secondary",
}


def local_datetime(value: datetime | None) -> str:
    """``value`` in the user's language and time zone, as Babel's "short" date and time; a list
    shows dozens, so the request's locale and zone are kept at hand once a request (Flask-Babel
    finds them through its context on every call) and the pattern is parsed once a language."""
    if not value:
        return ""
    if "date_locale" not in g:
        g.date_locale, g.date_zone = get_locale(), get_timezone()
    locale = g.date_locale
    return _short_datetime(str(locale)).apply(value.astimezone(g.date_zone), locale)


def local_datetime_with_zone(value: datetime | None) -> str:
    """``local_datetime`` followed by the zone's abbreviation ("01/12/2026 21:05 CET"), where
    a time must not be misread (the audit log)."""
    if not value:
        return ""
    text = local_datetime(value)
    return f"{text} {value.astimezone(g.date_zone).tzname()}"


@cache
def _short_datetime(locale: str) -> dates.DateTimePattern:
    """Babel's "short" date and time of ``locale`` as one pattern: ``format_datetime`` formats
    the date and the time apart and pastes them into the locale's glue, on every call."""
    glue = dates.get_datetime_format("short", locale=locale)
    time = dates.get_time_format("short", locale=locale).pattern
    day = dates.get_date_format("short", locale=locale).pattern
    return dates.parse_pattern(glue.replace("{0}", time).replace("{1}", day))


def status_badge(status: MissionStatus) -> Markup:
    return _badge(status, str(get_locale()))


@cache
def _badge(status: MissionStatus, locale: str) -> Markup:
    """One badge per status and language, made once: a list shows the same few many times."""
    return Markup('<span class="badge badge-status {} status-{}">{}</span>').format(
        STATUS_BADGES[status], status.value, STATUS_LABELS[status]
    )


def local_datetime_formatter(view: Any, context: Any, model: Any, name: str) -> str:
    return local_datetime(getattr(model, name))


def status_formatter(view: Any, context: Any, model: Any, name: str) -> Markup:
    return status_badge(getattr(model, name))


def service_name(service: ServiceType | None) -> str:
    """A service type's name in the user's language (empty for a mission without one)."""
    return service.name_in(str(get_locale())) if service is not None else ""


def price_text(amount: Decimal | None, currency: str | None) -> str:
    """A price in the user's locale ("12,50 €", "€12.50"); empty when there is none."""
    if amount is None or not currency:
        return ""
    return _price_in(amount, currency, str(get_locale()))


@lru_cache(maxsize=4096)
def _price_in(amount: Decimal, currency: str, locale: str) -> str:
    """A list shows the same few prices (the service types') on every row: each is formatted
    once a process and language (Babel took a fifth of a missions page's cells)."""
    return format_currency(amount, currency, locale=locale)


#: An amount whose formatting shows where a locale puts the number, its groups and decimals.
_SAMPLE_AMOUNT = Decimal("1234.56")


def money_format(currency: str) -> Callable[[Decimal], str]:
    """``price_text`` for many amounts of one currency (a year's report shows hundreds):
    Babel formats one sample, and each amount is placed where the sample's number stands.
    Amounts the sample does not describe (negative, or a currency without two decimals) go
    through Babel."""
    locale = get_locale()
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    sample = _price_in(_SAMPLE_AMOUNT, currency, str(locale))
    prefix, found, suffix = sample.partition(f"1{group}234{decimal}56")
    if not found:
        return lambda amount: price_text(amount, currency)
    symbols = str.maketrans({",": group, ".": decimal})

    def formatted(amount: Decimal) -> str:
        if amount < 0:
            return price_text(amount, currency)
        return f"{prefix}{f'{amount:,.2f}'.translate(symbols)}{suffix}"

    return formatted


def language_formatter(view: Any, context: Any, model: Any, name: str) -> str:
    """A client's language by its name ("Français")."""
    code = getattr(model, name)
    return LANGUAGE_NAMES.get(code, code or "")


def cancel_reason_formatter(view: Any, context: Any, model: Any, name: str) -> str:
    """A cancel reason in the user's language (lists, details page, CSV export)."""
    reason = getattr(model, name)
    return str(CANCEL_REASON_LABELS[reason]) if reason else ""
