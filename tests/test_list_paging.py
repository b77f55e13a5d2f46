"""List pages: a capped count ("1,000+"), pages that follow each other, bounded deep paging."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from admin_app.data.models import Client, RoleName
from admin_app.extensions import db
from tests.conftest import log_in, register_client

ROW_NAME = re.compile(r">Client([A-Z]{2})\b")  # the cell's text, not its title


@pytest.fixture
def partner_with_clients(app, client, make_account):
    def make(count: int):
        partner = make_account(RoleName.PARTNER)
        with app.app_context():
            for index in range(count):
                register_client(partner.id, f"Client{chr(65 + index // 26)}{chr(65 + index % 26)}")
        log_in(client, partner)
        return partner

    return make


def names_on(client, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200
    return ROW_NAME.findall(page.get_data(as_text=True))


def test_count_is_exact_under_the_cap(client, partner_with_clients):
    partner_with_clients(4)
    assert "List (4)" in client.get("/admin/clients/").get_data(as_text=True)


def test_count_above_the_cap_reads_as_the_cap_and_more(app, client, partner_with_clients,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "LIST_COUNT_CAP", 5)
    partner_with_clients(7)
    page = client.get("/admin/clients/").get_data(as_text=True)
    assert "List (5+)" in page
    assert 'data-testid="capped-pager"' not in page  # one page: 7 rows fit in 20


def test_pages_follow_each_other_newest_first_without_gap_or_overlap(client, partner_with_clients):
    partner_with_clients(45)
    pages = [names_on(client, f"/admin/clients/?page={page}") for page in range(3)]

    assert [len(page) for page in pages] == [20, 20, 5]
    everyone = [name for page in pages for name in page]
    assert len(set(everyone)) == 45
    assert everyone == sorted(everyone, reverse=True)  # registered in name order


def test_sorting_by_another_column_pages_in_that_order(client, partner_with_clients):
    partner_with_clients(25)
    ascending = client.get("/admin/clients/").get_data(as_text=True)
    sort_link = re.search(r'href="([^"]*sort=\d+[^"]*)"[^>]*>First name<', ascending)
    assert sort_link, "the first name column is sortable"
    url = sort_link.group(1).replace("&amp;", "&")

    first, second = names_on(client, url), names_on(client, url + "&page=1")

    assert first + second == sorted(first + second)
    assert len(set(first + second)) == 25


def test_capped_list_pages_up_to_the_deepest_reachable_page(app, client, partner_with_clients,
                                                            monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "LIST_COUNT_CAP", 10)
    monkeypatch.setitem(app.config, "LIST_MAX_ROWS", 40)
    partner_with_clients(60)

    first = client.get("/admin/clients/").get_data(as_text=True)
    last = client.get("/admin/clients/?page=1").get_data(as_text=True)
    beyond = client.get("/admin/clients/?page=2").get_data(as_text=True)

    assert "List (10+)" in first and 'data-testid="capped-pager"' in first
    assert 'data-testid="paging-limit"' not in first
    assert 'data-testid="paging-limit"' in last
    assert 'data-testid="paging-limit"' in beyond and "past the end" not in beyond
    assert 'data-testid="capped-pager"' not in beyond
    assert not ROW_NAME.findall(beyond)


def test_a_page_past_the_end_says_so_and_links_back(client, partner_with_clients):
    partner_with_clients(3)
    page = client.get("/admin/clients/?page=5").get_data(as_text=True)
    assert "past the end of the list" in page
    assert "Back to the first page" in page


def test_rows_registered_at_the_same_instant_are_paged_once_each(app, client, partner_with_clients):
    partner_with_clients(30)
    with app.app_context():
        db.session.execute(update(Client).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        db.session.commit()

    first, second = names_on(client, "/admin/clients/"), names_on(client, "/admin/clients/?page=1")

    assert len(first) == 20 and len(second) == 10
    assert len(set(first + second)) == 30
