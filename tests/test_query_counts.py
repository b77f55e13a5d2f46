"""A page's number of SQL queries does not grow with the number of rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from admin_app.extensions import db
from admin_app.missions import start_mission
from admin_app.models import RoleName, User
from tests.conftest import log_in, register_client

PAGES = ["/admin/clients/", "/admin/missions/", "/admin/figures.json", "/admin/"]


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


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN])
def test_query_count_is_the_same_with_5_and_200_rows(app, client, make_account, role):
    partner = make_account(RoleName.PARTNER)
    viewer = partner if role is RoleName.PARTNER else make_account(RoleName.ADMIN)
    log_in(client, viewer)

    add_rows(app, partner.id, 5)
    few = queries_per_page(app, client)
    add_rows(app, partner.id, 195)
    many = queries_per_page(app, client)

    assert few == many
    assert max(many.values()) <= 8, many
