"""In a real browser: the reports page draws its charts without script or CSP complaint, a
period chosen in the form shows that period, and "Download CSV" downloads its figures."""

from __future__ import annotations

from admin_app.data.models import User
from admin_app.domain.missions import complete_mission, start_mission
from admin_app.extensions import db
from tests.browser_support import log_in_with_cookie, new_context, playwright_api


def test_reports_page_changes_period_draws_charts_and_downloads_csv(
    app, live_server, browser, world
):
    expect = playwright_api().expect
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        complete_mission(world.a_started_mission, partner)
        start_mission(world.a_mission, partner)
    context, watch = new_context(browser, "en")
    page = context.new_page()
    log_in_with_cookie(context, live_server, app, world.partner_a, "en")

    page.goto(f"{live_server}/admin/reports/")
    expect(page.locator("[data-figure=opened]")).to_have_text("2")
    expect(page.locator("svg[role=img]")).to_have_count(3)
    expect(page.locator("#chart-days-title")).to_have_text("Missions opened per day")

    page.select_option("#period", "month")
    page.click("#report-form [type=submit]")
    page.wait_for_url("**/admin/reports/?period=month*")
    expect(page.locator("[data-figure=completed]")).to_have_text("1")
    bars = page.locator("[data-chart=days] rect.report-chart-bar")
    assert bars.count() >= 1

    page.select_option("#period", "custom")
    page.fill("#first", "2026-02-01")
    page.fill("#last", "2025-01-01")
    page.click("#report-form [type=submit]")
    expect(page.locator("[data-error=last]")).to_have_text(
        "The last day cannot be before the first day."
    )
    expect(page.locator("#first")).to_have_value("2026-02-01")

    page.select_option("#period", "month")
    page.click("#report-form [type=submit]")
    with page.expect_download() as download_info:
        page.click("#report-csv")
    download = download_info.value
    assert download.suggested_filename.startswith("report-")
    with open(download.path(), encoding="utf-8") as saved:
        text = saved.read()
    assert text.startswith("Rows,Day or service type,Opened")
    assert "\nPeriod," in text
    context.close()
    watch.assert_clean()
