"""Report figures against hand-computed fixtures: Paris days (a mission at 23:30 UTC counts on
the next day, the DST week), periods and their limits, exact and estimated percentiles,
per-partner scoping, the page and its CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from admin_app.admin.formatting import money_format, price_text
from admin_app.data.models import CancelReason, Mission, MissionStatus, ServiceType, User
from admin_app.domain import reports
from admin_app.domain.errors import PartnerNotFound, ValidationError
from admin_app.domain.missions import open_mission
from admin_app.domain.report_rollups import recount_report_days
from admin_app.domain.reports import (
    Percentile,
    Period,
    build_report,
    estimated_percentile,
    nearest_rank,
    period_for,
)
from admin_app.extensions import db
from tests.conftest import log_in, register_client


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Fixture:
    repair: int
    setup: int


def add_mission(
    partner: User,
    client_id: str | None,
    first_name: str,
    service: ServiceType,
    opened: datetime,
    *,
    started: datetime | None = None,
    completed: datetime | None = None,
    cancelled: datetime | None = None,
    reason: CancelReason | None = None,
) -> str:
    """A mission with the given times: a new client's (``client_id`` None) or a returning
    one's; the roll-ups are rebuilt by the caller."""
    if client_id is None:
        client_id, mission_id = register_client(partner.id, first_name)
    else:
        mission_id = open_mission(client_id, partner).id
    mission = db.session.get_one(Mission, mission_id)
    mission.created_at, mission.started_at = opened, started
    mission.completed_at, mission.cancelled_at, mission.cancel_reason = completed, cancelled, reason
    mission.status = (
        MissionStatus.COMPLETED
        if completed
        else MissionStatus.CANCELLED
        if cancelled
        else MissionStatus.IN_PROGRESS
        if started
        else MissionStatus.PENDING
    )
    mission.service_type, mission.price_amount = service, service.price_amount
    mission.price_currency = "EUR"
    db.session.commit()
    return client_id


@pytest.fixture
def shops(app, world) -> Fixture:
    """Partner A's missions of 10 and 11 March 2026 (Paris is UTC+1), of the DST weekend
    (UTC+2 from 29 March 01:00 UTC), and one of partner B on 10 March."""
    with app.app_context():
        repair = ServiceType(name_en="Repair", name_fr="Réparation", price_amount=Decimal("10.00"))
        setup = ServiceType(
            name_en="=Set-up", name_fr="=Installation", price_amount=Decimal("25.50")
        )
        db.session.add_all([repair, setup])
        db.session.commit()
        a = db.session.get_one(User, world.partner_a.id)
        b = db.session.get_one(User, world.partner_b.id)
        for mission_id in (world.a_mission, world.a_started_mission, world.b_mission):
            db.session.delete(db.session.get_one(Mission, mission_id))
        db.session.commit()
        # c1: 10 March, waited 10 min, handled 30 min; back at 23:30 UTC (11 March in Paris).
        c1 = add_mission(a, None, "Camille", repair, utc(10, 9), started=utc(10, 9, 10),
                         completed=utc(10, 9, 40))  # fmt: skip
        add_mission(a, c1, "", setup, utc(10, 23, 30), started=utc(10, 23, 35),
                    completed=utc(11, 0, 5))  # fmt: skip
        # 23:59 in Paris on 10 March, a no-show at 00:10 on 11 March.
        add_mission(a, None, "Denis", repair, utc(10, 22, 59), cancelled=utc(10, 23, 10),
                    reason=CancelReason.NO_SHOW)  # fmt: skip
        add_mission(a, None, "Eva", setup, utc(11, 8), started=utc(11, 8, 20),
                    cancelled=utc(11, 8, 30), reason=CancelReason.CLIENT_LEFT)  # fmt: skip
        add_mission(a, None, "Fabien", repair, utc(11, 10))
        # 22:30 UTC: 23:30 in Paris on 28 March, but 00:30 on 30 March after the DST change.
        c5 = add_mission(a, None, "Gaelle", repair, utc(28, 22, 30))
        add_mission(a, c5, "", repair, utc(29, 22, 30))
        add_mission(b, None, "Hugo", setup, utc(10, 12), started=utc(10, 12, 5),
                    completed=utc(10, 13))  # fmt: skip
        recount_report_days()
        return Fixture(repair.id, setup.id)


def report_for(user_id: int, first: date, last: date, **narrowing):
    user = db.session.get_one(User, user_id)
    return build_report(user, Period(first, last), **narrowing)


def test_two_paris_days_add_up_to_the_hand_counted_figures(app, world, shops):
    with app.app_context():
        report = report_for(world.partner_a.id, date(2026, 3, 10), date(2026, 3, 11))

    total = report.total
    assert total.counts["opened"] == 5
    assert (total.counts["new_clients"], total.returning) == (4, 1)
    assert total.counts["completed"] == 2
    assert total.cancelled_for(CancelReason.NO_SHOW) == 1
    assert total.cancelled_for(CancelReason.CLIENT_LEFT) == 1
    assert total.cancelled == 2
    assert total.revenue == Decimal("35.50")
    assert total.average_wait == pytest.approx(700)  # 600, 300, 1200 s
    assert total.average_handling == 1800
    assert report.wait_p90 == Percentile(1200)
    assert report.handling_p90 == Percentile(1800)
    days = {day: figures for day, figures in report.by_day}
    assert days[date(2026, 3, 10)].counts["opened"] == 2
    assert days[date(2026, 3, 11)].counts["opened"] == 3
    assert days[date(2026, 3, 10)].revenue == Decimal("10.00")
    assert days[date(2026, 3, 11)].revenue == Decimal("25.50")
    assert days[date(2026, 3, 11)].cancelled == 2
    services = dict(report.by_service)
    assert services[shops.repair].counts["opened"] == 3
    assert services[shops.setup].counts["opened"] == 2
    assert services[shops.setup].revenue == Decimal("25.50")


def test_a_mission_opened_at_23_30_utc_counts_on_the_next_paris_day(app, world, shops):
    with app.app_context():
        tenth = report_for(world.partner_a.id, date(2026, 3, 10), date(2026, 3, 10))

    assert tenth.total.counts["opened"] == 2  # 09:00 and 22:59 UTC; not 23:30 UTC
    assert tenth.total.cancelled == 0  # the no-show came at 00:10 in Paris
    assert tenth.wait_p90 == Percentile(600)


def test_the_dst_week_counts_22_30_utc_on_different_paris_days(app, world, shops):
    with app.app_context():
        report = report_for(world.partner_a.id, date(2026, 3, 28), date(2026, 3, 30))

    opened = {day: figures.counts["opened"] for day, figures in report.by_day}
    assert opened == {date(2026, 3, 28): 1, date(2026, 3, 29): 0, date(2026, 3, 30): 1}
    assert (report.total.counts["new_clients"], report.total.returning) == (1, 1)


def test_service_type_filter_keeps_one_type(app, world, shops):
    with app.app_context():
        report = report_for(
            world.partner_a.id, date(2026, 3, 10), date(2026, 3, 11), service_type_id=shops.setup
        )

    assert report.total.counts["opened"] == 2
    assert report.total.revenue == Decimal("25.50")
    assert report.wait_p90 == Percentile(1200)  # 300 s and 1200 s


def test_over_31_days_percentiles_are_estimated_from_the_buckets(app, world, shops):
    with app.app_context():
        report = report_for(world.partner_a.id, date(2026, 1, 1), date(2026, 3, 31))

    assert report.wait_p90 == Percentile(1200, estimate=True)
    assert report.handling_p90 == Percentile(1800, estimate=True)
    assert report.total.counts["opened"] == 7


def test_a_short_period_with_more_durations_than_the_limit_is_estimated(
    app, world, shops, monkeypatch
):
    first, last = date(2026, 3, 10), date(2026, 3, 11)
    with app.app_context():
        exact = report_for(world.partner_a.id, first, last)
        durations = exact.total.counts["started"] + exact.total.counts["handled"]
        monkeypatch.setattr(reports, "EXACT_PERCENTILE_ROWS", durations)
        still_exact = report_for(world.partner_a.id, first, last)
        monkeypatch.setattr(reports, "EXACT_PERCENTILE_ROWS", durations - 1)
        estimated = report_for(world.partner_a.id, first, last)

    assert not exact.wait_p90.estimate and still_exact.wait_p90 == exact.wait_p90
    assert estimated.wait_p90.estimate and estimated.handling_p90.estimate
    assert estimated.total == exact.total


def test_percentile_rules():
    assert nearest_rank([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) == 90
    assert nearest_rank([5]) == 5
    assert nearest_rank([]) is None
    assert estimated_percentile([0] * 16) == Percentile(None, estimate=True)
    assert estimated_percentile([0] * 15 + [3]) == Percentile(86400, estimate=True, above=True)
    assert estimated_percentile([9, 1] + [0] * 14) == Percentile(60, estimate=True)


@pytest.mark.parametrize(
    ("choice", "first", "last"),
    [
        ("today", date(2026, 3, 11), date(2026, 3, 11)),
        ("week", date(2026, 3, 9), date(2026, 3, 11)),
        ("month", date(2026, 3, 1), date(2026, 3, 11)),
    ],
)
def test_named_periods_end_today(choice, first, last):
    assert period_for(choice, date(2026, 3, 11)) == Period(first, last)


def test_custom_period_limits():
    today = date(2026, 3, 11)
    assert period_for("custom", today, "2025-01-01", "2026-01-01").days == 366
    with pytest.raises(ValidationError) as too_long:
        period_for("custom", today, "2025-01-01", "2026-01-02")
    assert too_long.value.errors["last"].code == "period_too_long"
    with pytest.raises(ValidationError) as reversed_days:
        period_for("custom", today, "2026-03-02", "2026-03-01")
    assert reversed_days.value.errors["last"].code == "date_order"
    with pytest.raises(ValidationError) as wrong:
        period_for("custom", today, "soon", "")
    assert {name: p.code for name, p in wrong.value.errors.items()} == {
        "first": "invalid_date",
        "last": "required",
    }


def test_partners_read_their_own_shop_only(app, world, shops):
    with app.app_context():
        a = report_for(world.partner_a.id, date(2026, 3, 10), date(2026, 3, 10))
        staff = report_for(world.staff_a.id, date(2026, 3, 10), date(2026, 3, 10))
        own = report_for(
            world.partner_a.id, date(2026, 3, 10), date(2026, 3, 10), partner_id=world.partner_a.id
        )
        with pytest.raises(PartnerNotFound):
            report_for(
                world.partner_a.id,
                date(2026, 3, 10),
                date(2026, 3, 10),
                partner_id=world.partner_b.id,
            )

    assert a.total.counts == staff.total.counts == own.total.counts
    assert a.total.revenue == Decimal("10.00")


def test_support_reads_all_partners_or_one(app, world, shops):
    with app.app_context():
        every = report_for(world.support.id, date(2026, 3, 10), date(2026, 3, 10))
        b_only = report_for(
            world.support.id, date(2026, 3, 10), date(2026, 3, 10), partner_id=world.partner_b.id
        )
        with pytest.raises(PartnerNotFound):
            report_for(world.support.id, date(2026, 3, 10), date(2026, 3, 10), partner_id=99999)
        with pytest.raises(PartnerNotFound):
            report_for(
                world.support.id, date(2026, 3, 10), date(2026, 3, 10), partner_id=world.admin.id
            )

    assert every.total.counts["opened"] == 3
    assert every.total.revenue == Decimal("35.50")
    assert b_only.total.counts["opened"] == 1
    assert b_only.total.revenue == Decimal("25.50")


MARCH = "?period=custom&first=2026-03-10&last=2026-03-11"


def test_the_page_shows_the_figures_and_charts(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/reports/{MARCH}").get_data(as_text=True)

    assert 'data-figure="opened">5<' in page
    assert 'data-figure="revenue">€35.50<' in page
    assert 'data-figure="wait_p90">20 min<' in page
    assert page.count('<svg role="img"') == 3
    assert '<title id="chart-days-title">Missions opened per day</title>' in page
    assert "percentile-estimate" not in page


def test_the_page_flags_estimated_percentiles(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get("/admin/reports/?period=custom&first=2026-01-01&last=2026-03-31")

    text = page.get_data(as_text=True)
    assert 'data-figure="wait_p90">at most 20 min (estimate)<' in text
    assert 'id="percentile-estimate"' in text


QUARTER = "?period=custom&first=2026-01-01&last=2026-03-31"


def test_a_long_period_s_table_has_a_line_a_month_and_its_chart_a_bar_a_day(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/reports/{QUARTER}").get_data(as_text=True)
    french = client.get(f"/admin/reports/{QUARTER}", headers={"Accept-Language": "fr"})

    table = page[page.index('id="report-days"') :]
    assert 'data-lines="month"' in table and "<th>Month</th>" in table
    # January and February had no mission: only March has a line, with its 7 missions.
    assert table.count("<tr><td>") == 1
    assert "<tr><td>March 2026</td><td>7</td><td>2</td><td>2</td>" in table
    assert "<tr><td>mars 2026</td>" in french.get_data(as_text=True)
    days_chart = page[page.index('data-chart="days"') : page.index('data-chart="statuses"')]
    assert days_chart.count('<rect class="report-chart-bar"') == 90
    assert "<title>2026-03-10: 2</title>" in days_chart


def test_a_month_or_less_keeps_a_line_a_day(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/reports/{MARCH}").get_data(as_text=True)

    table = page[page.index('id="report-days"') :]
    assert 'data-lines="day"' in table
    assert "<tr><td>2026-03-10</td><td>2</td>" in table
    assert "<tr><td>2026-03-11</td><td>3</td>" in table


def test_month_lines_add_up_the_days(app, world, shops):
    with app.app_context():
        report = report_for(world.partner_a.id, date(2026, 2, 15), date(2026, 4, 5))

    lines = report.lines()
    assert [month for month, _ in lines] == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    march = lines[1][1]
    assert march.counts["opened"] == report.total.counts["opened"] == 7
    assert march.revenue == report.total.revenue == Decimal("35.50")
    assert march.cancelled == 2 and lines[0][1].counts["opened"] == 0


def test_chart_labels_are_escaped(client, world, shops):
    with client.application.app_context():
        service = db.session.get_one(ServiceType, shops.repair)
        service.name_en = "<img src=x onerror=alert(1)>"
        db.session.commit()
    log_in(client, world.partner_a)

    page = client.get(f"/admin/reports/{MARCH}").get_data(as_text=True)

    assert "<img src=x" not in page
    services_chart = page[page.index('data-chart="services"') :]
    assert "&lt;img src=x onerror=alert(1)&gt;</text>" in services_chart


def test_an_empty_period_says_so(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get("/admin/reports/?period=custom&first=2025-01-01&last=2025-01-31")

    assert 'id="report-empty"' in page.get_data(as_text=True)


def test_a_wrong_field_is_named_and_the_others_kept(client, world, shops):
    log_in(client, world.partner_a)

    response = client.get("/admin/reports/?period=custom&first=2026-03-01&last=2027-06-01")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-error="last"' in page and "at most 366 days" in page
    assert 'value="2026-03-01"' in page
    assert 'data-figure="opened"' not in page


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [("0001-01-01", "0001-01-02", "first"), ("9999-12-30", "9999-12-31", "last")],
)
def test_a_day_beyond_the_reports_years_is_named_not_a_server_error(
    client, world, shops, first, last, field
):
    log_in(client, world.admin)
    query = f"period=custom&first={first}&last={last}"

    page = client.get(f"/admin/reports/?{query}")
    csv_answer = client.get(f"/admin/reports/csv?{query}")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-error="{field}"' in text and "from 2000-01-01 to 2099-12-31" in text
    assert csv_answer.status_code == 400


def test_another_partners_report_is_404_for_a_partner(client, world, shops):
    log_in(client, world.partner_a)

    assert client.get(f"/admin/reports/{MARCH}&partner={world.partner_b.id}").status_code == 404
    assert client.get(f"/admin/reports/csv{MARCH}&partner={world.partner_b.id}").status_code == 404
    assert client.get(f"/admin/reports/{MARCH}&partner={world.partner_a.id}").status_code == 200


def test_support_picks_a_partner_and_unknown_ids_are_404(client, world, shops):
    log_in(client, world.support)

    page = client.get(f"/admin/reports/{MARCH}&partner={world.partner_b.id}")

    assert 'data-figure="opened">1<' in page.get_data(as_text=True)
    assert 'id="partner"' in page.get_data(as_text=True)
    assert client.get(f"/admin/reports/{MARCH}&partner=99999").status_code == 404


def test_csv_holds_each_day_service_and_the_period(client, world, shops):
    log_in(client, world.partner_a)

    response = client.get(f"/admin/reports/csv{MARCH}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "report-2026-03-10-2026-03-11.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, *lines = rows
    by_key = {(line[0], line[1]): dict(zip(header, line, strict=False)) for line in lines}
    period = by_key[("Period", "2026-03-10/2026-03-11")]
    assert (period["Opened"], period["New clients"], period["Returning clients"]) == ("5", "4", "1")
    assert period["Revenue"] == "35.50"
    assert period["Cancelled: No-show"] == "1"
    assert (period["90th percentile wait (s)"], period["Percentiles"]) == ("1200", "exact")
    assert by_key[("Day", "2026-03-11")]["Opened"] == "3"
    # A service type named "=Set-up" cannot run as a spreadsheet formula.
    assert by_key[("Service type", "'=Set-up")]["Revenue"] == "25.50"
    assert all(not line[1].startswith("=") for line in lines)


def test_a_wrong_csv_request_is_400(client, world, shops):
    log_in(client, world.partner_a)

    response = client.get("/admin/reports/csv?period=custom&first=2026-03-02&last=2026-03-01")

    assert response.status_code == 400
    assert "The last day cannot be before the first day." in response.get_data(as_text=True)


def test_reports_are_read_from_the_rollups_that_changes_keep(client, app, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        open_mission(world.a_client, partner)
        opened = len(
            db.session.scalars(select(Mission.id).where(Mission.partner_id == partner.id)).all()
        )
    log_in(client, world.partner_a)

    page = client.get("/admin/reports/?period=today").get_data(as_text=True)

    assert f'data-figure="opened">{opened}<' in page
    assert 'data-figure="returning">1<' in page


def test_an_unknown_period_or_service_type_is_named_on_its_field(client, world, shops):
    log_in(client, world.partner_a)

    page = client.get("/admin/reports/?period=decade&service=abc").get_data(as_text=True)

    assert page.count("Choose one of the listed values.") == 2
    assert 'data-figure="opened"' not in page


@pytest.mark.parametrize("viewer_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_today_is_the_shop_s_day_whatever_the_viewer_s_zone(client, app, world, viewer_zone):
    """The roll-ups count the shop's days; at any hour one of these zones (13 hours ahead of
    Paris, 12 behind) is on another date, and its "today" must still hold a mission opened now."""
    with app.app_context():
        open_mission(world.a_client, db.session.get_one(User, world.partner_a.id))
    log_in(client, world.partner_a)
    client.set_cookie("tz", viewer_zone)

    page = client.get("/admin/reports/?period=today").get_data(as_text=True)

    assert 'data-figure="opened">' in page
    assert 'data-figure="opened">0<' not in page


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY"])
def test_the_reports_money_format_writes_what_babel_writes(app, language, currency):
    amounts = [Decimal(text) for text in ("0.00", "0.05", "9.90", "999.99", "1000.00",
               "1234567.89", "-12.50", "98765432.10")]  # fmt: skip
    with app.test_request_context(headers={"Accept-Language": language}):
        with force_locale(language):
            fast = money_format(currency)
            assert [fast(amount) for amount in amounts] == [
                price_text(amount, currency) for amount in amounts
            ]
