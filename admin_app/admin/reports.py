"""``/admin/reports/``: a period's figures as tables and server-drawn charts, and the same
figures as CSV (``/admin/reports/csv``). Every role reads them: a shop its own, admins and
support every partner or one. The figures are the domain's (``domain/reports.py``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import get_group_symbol
from flask import Response, abort, request
from flask_admin import BaseView, expose
from flask_babel import format_date, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user

from ..data.models import CancelReason
from ..data.reporting import NO_SERVICE_TYPE
from ..domain.accounts import partner_choices
from ..domain.errors import FieldProblem, PartnerNotFound, ValidationError
from ..domain.reports import (
    EXACT_PERCENTILE_ROWS,
    Figures,
    Percentile,
    Period,
    Report,
    build_report,
    period_for,
    shop_today,
)
from ..domain.scoping import sees_all_partners
from ..domain.services import all_service_types
from .base import AccessGate, neutralise_formula
from .filters import requested_partner
from .formatting import CANCEL_REASON_LABELS, money_format, service_name
from .messages import problem_text
from .report_charts import Chart, day_chart, row_chart

PERIOD_LABELS = {
    "today": _l("Today"),
    "week": _l("This week"),
    "month": _l("This month"),
    "custom": _l("Custom range"),
}
NO_SERVICE_LABEL = _l("No service type")


@dataclass
class ReportRequest:
    """What the form asks (as typed, so a wrong field keeps the others) and what is wrong."""

    period: str
    first: str
    last: str
    partner_id: int | None
    service: str
    service_type_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    """Each service type's name in the user's language, and the prices' currency."""

    names: dict[int, str]
    currency: str

    def name(self, service_type_id: int) -> str:
        return self.names.get(service_type_id) or str(NO_SERVICE_LABEL)


def whole_number_format() -> Callable[[int], str]:
    """Whole numbers in the user's locale ("1,234", "1 234"), formatted without Babel's cost
    per number: a year's report shows a few thousand."""
    group = get_group_symbol(get_locale())
    return lambda value: f"{value:,}".replace(",", group)


def duration_text(seconds: float | None) -> str:
    """A duration as the reports show it: "45 s", "12 min", "1 h 05 min"; a dash for none."""
    if seconds is None:
        return "–"
    whole = int(round(seconds))
    if whole < 60:
        return gettext("%(seconds)d s", seconds=whole)
    minutes = whole // 60
    if minutes < 60:
        return gettext("%(minutes)d min", minutes=minutes)
    return gettext("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


def percentile_text(value: Percentile) -> str:
    """An exact percentile, or an estimate's bucket: "≤ 30 min (estimate)"."""
    if value.seconds is None:
        return "–"
    shown = duration_text(value.seconds)
    if not value.estimate:
        return shown
    if value.above:
        return gettext("more than %(duration)s (estimate)", duration=shown)
    return gettext("at most %(duration)s (estimate)", duration=shown)


class ReportsView(AccessGate, BaseView):
    """Reports: every panel role reads them; nothing here writes."""

    @expose("/")
    def index(self) -> Any:
        asked, catalogue = read_request(), service_catalogue()
        report = _report_or_errors(asked, catalogue)
        context = {
            "asked": asked,
            "report": report,
            "periods": PERIOD_LABELS,
            "partners": partner_choices() if sees_all_partners(current_user) else [],
            "partner_id": asked.partner_id,
            "services": sorted(catalogue.names.items(), key=lambda item: item[1]),
            "no_service": NO_SERVICE_TYPE,
            "no_service_label": NO_SERVICE_LABEL,
            "reasons": [(reason, CANCEL_REASON_LABELS[reason]) for reason in CancelReason],
            "catalogue": catalogue,
            "money": money_format(catalogue.currency),
            "number": whole_number_format(),
            "exact_rows": EXACT_PERCENTILE_ROWS,
            "duration": duration_text,
            "month_name": month_name,
            "percentile": percentile_text,
            "charts": charts(report, catalogue) if report is not None else [],
            "csv_args": request.args.to_dict(),
        }
        return self.render("admin/reports.html", **context)

    @expose("/csv")
    def csv(self) -> Response:
        asked, catalogue = read_request(), service_catalogue()
        report = _report_or_errors(asked, catalogue)
        if report is None:
            words = "; ".join(f"{name}: {text}" for name, text in asked.errors.items())
            return Response(words, status=400, mimetype="text/plain")
        name = f"report-{report.period.first.isoformat()}-{report.period.last.isoformat()}.csv"
        return Response(
            csv_text(report, catalogue),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def month_name(first_day: date) -> str:
    """A month's line in the report's table, in the user's language: "March 2026"."""
    return format_date(first_day, "LLLL y")


def read_request() -> ReportRequest:
    """The form's values from the query string; the period defaults to today."""
    args = request.args
    return ReportRequest(
        period=args.get("period", "today"),
        first=args.get("first", ""),
        last=args.get("last", ""),
        partner_id=requested_partner(),
        service=args.get("service", ""),
    )


def service_catalogue() -> Catalogue:
    """Every service type's name in the user's language, and the one currency they share."""
    services = all_service_types()
    currencies = {service.price_currency for service in services}
    return Catalogue(
        {service.id: service_name(service) for service in services},
        currencies.pop() if len(currencies) == 1 else "EUR",
    )


def _report_or_errors(asked: ReportRequest, catalogue: Catalogue) -> Report | None:
    """The report asked for; None with ``asked.errors`` filled when a field is wrong; 404 for
    a partner the user may not read."""
    if asked.service:
        chosen = int(asked.service) if asked.service.isascii() and asked.service.isdigit() else -1
        if chosen != NO_SERVICE_TYPE and chosen not in catalogue.names:
            asked.errors["service"] = problem_text(FieldProblem("not_a_choice"))
        asked.service_type_id = chosen
    period: Period | None = None
    try:
        period = period_for(asked.period, shop_today(), asked.first, asked.last)
    except ValidationError as error:
        asked.errors.update({name: problem_text(p) for name, p in error.errors.items()})
    if asked.errors or period is None:
        return None
    try:
        return build_report(current_user, period, asked.partner_id, asked.service_type_id)
    except PartnerNotFound:
        abort(404)


def charts(report: Report, catalogue: Catalogue) -> list[Chart]:
    """Bars per day (missions opened), the period's outcomes, and visits per service type."""
    total, number = report.total, whole_number_format()
    days = [
        (day.isoformat(), figures.counts["opened"], number(figures.counts["opened"]))
        for day, figures in report.by_day
    ]
    outcomes = [
        (str(_l("Opened")), total.counts["opened"]),
        (str(_l("Completed")), total.counts["completed"]),
        *((str(label), total.cancelled_for(reason)) for reason, label in _reason_labels()),
    ]
    services = [
        (catalogue.name(service), figures.counts["opened"])
        for service, figures in report.by_service
    ]
    return [
        day_chart(
            "days",
            gettext("Missions opened per day"),
            gettext("One bar per day of the period, as high as the missions opened that day."),
            days,
        ),
        row_chart(
            "statuses",
            gettext("Missions by outcome"),
            gettext("Missions opened, completed and cancelled (by reason) in the period."),
            [(label, value, number(value)) for label, value in outcomes],
        ),
        row_chart(
            "services",
            gettext("Missions opened per service type"),
            gettext("One bar per service type, as long as the missions opened with it."),
            [(label, value, number(value)) for label, value in services],
        ),
    ]


def csv_text(report: Report, catalogue: Catalogue) -> str:
    """One line per day, one per service type and one for the whole period."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext("Rows"), gettext("Day or service type"), *_csv_headings()])
    for day, figures in report.by_day:
        writer.writerow([gettext("Day"), day.isoformat(), *_csv_figures(figures)])
    for service, figures in report.by_service:
        label = neutralise_formula(catalogue.name(service))
        writer.writerow([gettext("Service type"), label, *_csv_figures(figures)])
    period = f"{report.period.first.isoformat()}/{report.period.last.isoformat()}"
    writer.writerow(
        [
            gettext("Period"),
            period,
            *_csv_figures(report.total),
            _csv_seconds(report.wait_p90),
            _csv_seconds(report.handling_p90),
            gettext("estimate") if report.wait_p90.estimate else gettext("exact"),
        ]
    )
    return out.getvalue()


def _csv_headings() -> list[str]:
    return [
        gettext("Opened"),
        gettext("New clients"),
        gettext("Returning clients"),
        gettext("Started"),
        gettext("Completed"),
        *(gettext("Cancelled: %(reason)s", reason=label) for _, label in _reason_labels()),
        gettext("Cancelled"),
        gettext("Average wait (s)"),
        gettext("Average handling (s)"),
        gettext("Revenue"),
        gettext("90th percentile wait (s)"),
        gettext("90th percentile handling (s)"),
        gettext("Percentiles"),
    ]


def _csv_figures(figures: Figures) -> list[Any]:
    counts = figures.counts
    return [
        counts["opened"],
        counts["new_clients"],
        figures.returning,
        counts["started"],
        counts["completed"],
        *(figures.cancelled_for(reason) for reason in CancelReason),
        figures.cancelled,
        _rounded(figures.average_wait),
        _rounded(figures.average_handling),
        str(figures.revenue.quantize(Decimal("0.01"))),
    ]


def _csv_seconds(value: Percentile) -> str:
    return "" if value.seconds is None else str(value.seconds)


def _rounded(seconds: float | None) -> str:
    return "" if seconds is None else str(int(round(seconds)))


def _reason_labels() -> list[tuple[CancelReason, Any]]:
    return [(reason, CANCEL_REASON_LABELS[reason]) for reason in CancelReason]
