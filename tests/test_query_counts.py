"""A page's number of SQL queries does not grow with the number of rows or the page size, and
stays within budget: 3 for a list page, 4 for the dashboard (issue 5).

The session store's own read of its row (and its refresh once a minute) is not counted: a
cookie-based session would cost none, and it is the same on every page, the minimal one too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from admin_app.data.models import RoleName, User
from admin_app.domain.invoices import issue_invoice
from admin_app.domain.missions import cancel_mission, complete_mission, start_mission
from admin_app.extensions import db
from admin_app.platform.audit import record
from tests.conftest import log_in, register_client
from tests.invoice_support import add_profile, completed_client

LIST_PAGES = [
    "/admin/clients/",
    "/admin/clients/?page_size=100",
    "/admin/clients/?page=1",
    "/admin/clients/?search=Clienta",
    "/admin/clients/?flt0_0=Paris",
    "/admin/missions/",
    "/admin/missions/?page_size=100",
    "/admin/missions/?flt0_0=pending",
    "/admin/missions/?search=Clientb",
]
DASHBOARD_PAGES = ["/admin/", "/admin/figures.json"]
PAGES = LIST_PAGES + DASHBOARD_PAGES


@contextmanager
def counted_queries(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        # The session store reads its row on every request and refreshes it once a minute.
        if "web_session" not in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_rows(app, partner_id: int, count: int) -> None:
    with app.app_context():
        partner = db.session.get_one(User, partner_id)
        for index in range(count):
            _, mission = register_client(partner_id, f"Client{chr(65 + index % 26)}", city="Paris")
            if index % 3 == 0:
                start_mission(mission, partner)


def queries_per_page(app, client) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        with counted_queries(app) as statements:
            assert client.get(page).status_code == 200
        counts[page] = len(statements)
    return counts


def viewer_of(make_account, partner, role: RoleName):
    """The partner itself, one of its staff (its shop comes with the account: no query more),
    or an admin or support account (whose contact details are masked: no query more)."""
    if role is RoleName.PARTNER:
        return partner
    if role is RoleName.STAFF:
        return make_account(RoleName.STAFF, shop=partner)
    return make_account(role)


@pytest.mark.parametrize(
    "role", [RoleName.PARTNER, RoleName.STAFF, RoleName.ADMIN, RoleName.SUPPORT]
)
def test_query_count_is_the_same_with_25_and_200_rows(app, client, make_account, role):
    partner = make_account(RoleName.PARTNER)
    viewer = viewer_of(make_account, partner, role)
    log_in(client, viewer)

    add_rows(app, partner.id, 25)
    few = queries_per_page(app, client)
    add_rows(app, partner.id, 175)
    many = queries_per_page(app, client)

    assert few == many
    assert max(many[page] for page in LIST_PAGES) <= 3, many
    assert max(many[page] for page in DASHBOARD_PAGES) <= 4, many


AUDIT_PAGES = [
    "/admin/audit/",
    "/admin/audit/?page_size=100",
    "/admin/audit/?page=1",
    "/admin/audit/?flt0_0=export",
    "/admin/audit/?flt0_1=someone@walkin.example.com",
]


def add_events(app, count: int) -> None:
    with app.app_context():
        for index in range(count):
            record("export", details={"type": "csv", "email": f"u{index % 7}@walkin.example.com"})


def test_audit_log_pages_cost_the_same_with_25_and_200_events(app, client, make_account):
    log_in(client, make_account(RoleName.ADMIN))

    add_events(app, 25)
    few = {page: len(queries_of(app, client, page)) for page in AUDIT_PAGES}
    add_events(app, 175)
    many = {page: len(queries_of(app, client, page)) for page in AUDIT_PAGES}

    assert few == many
    assert max(many.values()) <= 3, many


def queries_of(app, client, page: str) -> list[str]:
    with counted_queries(app) as statements:
        assert client.get(page).status_code == 200
    return statements


def test_staff_and_accounts_pages_cost_the_same_with_3_and_30_staff(app, client, make_account):
    """A staff account's shop comes with it (one join): listing them costs no query per row."""
    shop = make_account(RoleName.PARTNER)
    admin = app.test_client()
    log_in(admin, make_account(RoleName.ADMIN))
    log_in(client, shop)
    pages = [(client, "/admin/staff/"), (admin, "/admin/accounts/?page_size=50")]

    def add_staff(count: int) -> dict[str, int]:
        for _ in range(count):
            make_account(RoleName.STAFF, shop=shop)
        return {page: len(queries_of(app, visitor, page)) for visitor, page in pages}

    few = add_staff(3)
    many = add_staff(27)

    assert few == many
    assert many["/admin/staff/"] <= 3 and many["/admin/accounts/?page_size=50"] <= 4, many


BOARD_PAGES = ["/admin/board/", "/admin/board/columns/"]


def add_board_rows(app, partner_id: int, count: int) -> None:
    """Missions in every column of the board: a quarter each pending, in progress, completed
    today and cancelled today."""
    with app.app_context():
        partner = db.session.get_one(User, partner_id)
        for index in range(count):
            _, mission = register_client(partner_id, f"Board{chr(65 + index % 26)}")
            if index % 4:
                start_mission(mission, partner)
            if index % 4 == 2:
                complete_mission(mission, partner)
            if index % 4 == 3:
                cancel_mission(mission, partner, "no_show")


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN, RoleName.SUPPORT])
def test_board_costs_the_same_with_8_and_120_missions(app, client, make_account, role):
    """With 120 missions every column is past its cap: the cards are read in one query, their
    missions and clients in another, every total in a third."""
    partner = make_account(RoleName.PARTNER)
    viewer = partner if role is RoleName.PARTNER else make_account(role)
    log_in(client, viewer)

    add_board_rows(app, partner.id, 8)
    few = {page: len(queries_of(app, client, page)) for page in BOARD_PAGES}
    add_board_rows(app, partner.id, 112)
    many = {page: len(queries_of(app, client, page)) for page in BOARD_PAGES}

    assert few == many
    assert max(many.values()) <= 5, many


REPORT_PAGES = [
    "/admin/reports/?period=today",
    "/admin/reports/?period=month",
    "/admin/reports/?period=custom&first=2025-01-01&last=2025-12-31",
    "/admin/reports/csv?period=month",
]


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN, RoleName.SUPPORT])
def test_reports_cost_the_same_with_8_and_120_missions(app, client, make_account, role):
    """The figures are one query over the roll-ups; the percentiles two more over the period's
    missions when it is short (none for a year); the service types' names one."""
    partner = make_account(RoleName.PARTNER)
    viewer = partner if role is RoleName.PARTNER else make_account(role)
    log_in(client, viewer)

    add_board_rows(app, partner.id, 8)
    few = {page: len(queries_of(app, client, page)) for page in REPORT_PAGES}
    add_board_rows(app, partner.id, 112)
    many = {page: len(queries_of(app, client, page)) for page in REPORT_PAGES}

    assert few == many
    assert max(many.values()) <= 5, many


INVOICE_PAGES = [
    "/admin/invoices/",
    "/admin/invoices/?page_size=100",
    "/admin/invoices/?flt0_0=invoice",
    "/admin/invoices/?search=Test",
]


def add_invoices(app, partner_id: int, count: int) -> None:
    with app.app_context():
        partner = db.session.get_one(User, partner_id)
        for index in range(count):
            client_id, mission = completed_client(partner_id, f"Client{chr(65 + index % 26)}")
            issue_invoice(partner, client_id, [mission])


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN])
def test_invoice_list_costs_the_same_with_5_and_40_invoices(app, client, make_account, role):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        add_profile(partner.id)
    log_in(client, viewer_of(make_account, partner, role))

    add_invoices(app, partner.id, 5)
    few = {page: len(queries_of(app, client, page)) for page in INVOICE_PAGES}
    add_invoices(app, partner.id, 35)
    many = {page: len(queries_of(app, client, page)) for page in INVOICE_PAGES}

    assert few == many
    assert max(many.values()) <= 3, many
