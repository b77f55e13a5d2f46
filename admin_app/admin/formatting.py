"""How values are shown: dates in the user's locale and time zone, status badges."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from babel import dates
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..models import MissionStatus

STATUS_LABELS = {
    MissionStatus.PENDING: _l("Pending"),
    MissionStatus.IN_PROGRESS: _l("In progress"),
    MissionStatus.COMPLETED: _l("Completed"),
    MissionStatus.CANCELLED: _l("Cancelled"),
}
STATUS_BADGES = {
    MissionStatus.PENDING: "badge-warning",
    MissionStatus.IN_PROGRESS: "badge-primary",
    MissionStatus.COMPLETED: "badge-success",
    MissionStatus.CANCELLED: "badge-secondary",
}


def local_datetime(value: datetime | None) -> str:
    """``value`` in the user's language and time zone; a list shows dozens, so Babel is called
    directly with the request's locale and zone (Flask-Babel looks both up again each time)."""
    if not value:
        return ""
    return dates.format_datetime(value, "short", tzinfo=get_timezone(), locale=get_locale())


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
