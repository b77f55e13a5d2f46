"""The menu's search box over HTTP: clients and missions found by name, email, phone or mission
id, grouped newest first and capped, scoped to the rows each role sees, support's contact
details masked, empty, fruitless, hostile and overlong searches; its queries and plans."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import event, update

from admin_app.data.models import Client, Mission, RoleName
from admin_app.domain.global_search import (
    COUNT_CAP,
    MAX_SEARCH_LENGTH,
    SEARCH_BOX_CAP,
    _next_prefix,
    mission_id_prefix,
)
from admin_app.extensions import db
from tests.conftest import log_in, register_client
from tests.test_query_counts import counted_queries

SEARCH = "/admin/search/"
GROUP = re.compile(r'<section[^>]*data-group="(\w+)"[^>]*>(.*?)</section>', re.S)
CLIENT_ROW = re.compile(r"<tr data-client>(.*?)</tr>", re.S)
CLIENT_NAME = re.compile(r'<a href="/admin/clients/details/\?id=[^"]+">([^<]+)</a>')
MISSION_ROW = re.compile(r'<tr data-mission="([^"]+)"')
TOTAL = re.compile(r"<span[^>]*data-total>([^<]+)</span>")
MORE = re.compile(r'<a[^>]*data-more href="([^"]+)"')


def search(client, text: str) -> str:
    response = client.get(SEARCH, query_string={"q": text})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def groups(html: str) -> dict[str, str]:
    return dict(GROUP.findall(html))


def client_names(html: str) -> list[str]:
    body = groups(html).get("clients", "")
    return [CLIENT_NAME.search(row).group(1) for row in CLIENT_ROW.findall(body)]


def mission_ids(html: str) -> list[str]:
    return MISSION_ROW.findall(groups(html).get("missions", ""))


def total(html: str, group: str) -> str:
    return TOTAL.search(groups(html)[group]).group(1)


def test_a_name_finds_the_client_and_its_missions_in_two_groups(client, world):
    log_in(client, world.partner_a)

    html = search(client, "alice")

    assert client_names(html) == ["Alice Test"]
    assert mission_ids(html) == [world.a_mission]
    assert total(html, "clients") == "1" and total(html, "missions") == "1"
    assert f"/admin/missions/details/?id={world.a_mission}" in html
    assert not MORE.search(html)  # every row is shown


@pytest.mark.parametrize(
    "text", ["camille.roux@", "CAMILLE.ROUX@example.org", "06 98 76", "+33698"]
)
def test_an_email_or_a_phone_finds_the_client(app, client, world, text):
    with app.app_context():
        register_client(
            world.partner_a.id, "Camille", last_name="Roux",
            email="camille.roux@example.org", phone="+33698765432",
        )  # fmt: skip
    log_in(client, world.partner_a)

    assert client_names(search(client, text)) == ["Camille Roux"]


@pytest.mark.parametrize(
    "shown", [lambda i: i, lambda i: i[:8], lambda i: i[:8].upper(), lambda i: i.replace("-", "")]
)
def test_a_mission_id_whole_or_its_first_8_characters_finds_the_mission(client, world, shown):
    log_in(client, world.partner_a)

    html = search(client, shown(world.a_started_mission))

    assert mission_ids(html) == [world.a_started_mission]
    assert client_names(html) == []


def test_an_id_prefix_finds_exactly_the_missions_whose_id_starts_with_it(app, client, world):
    """Ids around the range's ends: the prefix's own, one that differs after it, the prefixes
    just before and after it (a hex carry at 'f'), and one with its hyphen elsewhere, which a
    collation that ignores hyphens sorts inside the range of "abcdef0f-0000"."""
    ids = [
        "abcdef0f-0000-4000-8000-000000000001",
        "abcdef0f-ffff-4000-8000-000000000002",
        "abcdef0e-ffff-4000-8000-000000000003",
        "abcdef10-0000-4000-8000-000000000004",
        "abcdef0f0-000-4000-8000-000000000005",
    ]
    with app.app_context():
        for mission_id in ids:
            db.session.add(
                Mission(id=mission_id, client_id=world.a_client, partner_id=world.partner_a.id)
            )
        db.session.commit()
    log_in(client, world.partner_a)

    assert sorted(mission_ids(search(client, "abcdef0f"))) == [*ids[:2], ids[4]]
    assert mission_ids(search(client, "ABCDEF0F-FFFF")) == [ids[1]]
    assert mission_ids(search(client, "abcdef0f0000")) == [ids[0]]


@pytest.mark.parametrize("who", ["partner_a", "staff_a"])
def test_a_shop_never_finds_another_shops_client_or_mission(client, world, who):
    log_in(client, getattr(world, who))

    by_name = search(client, "bruno")
    by_id = search(client, world.b_mission[:8])
    everyone = search(client, "test")

    assert "Nothing found" in by_name and "Bruno" not in by_name
    assert "Nothing found" in by_id and world.b_mission not in by_id
    assert sorted(client_names(everyone)) == ["Alice Test", "Arthur Test"]
    assert world.b_mission not in everyone and "Bruno" not in everyone


@pytest.mark.parametrize("who", ["admin", "support"])
def test_admins_and_support_find_every_shops_rows(client, world, who):
    log_in(client, getattr(world, who))

    everyone = search(client, "test")

    assert sorted(client_names(everyone)) == ["Alice Test", "Arthur Test", "Bruno Test"]
    assert sorted(mission_ids(everyone)) == sorted(
        [world.a_mission, world.a_started_mission, world.b_mission]
    )
    assert mission_ids(search(client, world.b_mission[:8])) == [world.b_mission]


def test_support_sees_contact_details_masked_and_admins_in_full(app, client, world):
    log_in(client, world.support)
    masked = groups(search(client, "bruno"))["clients"]
    admin = app.test_client()
    log_in(admin, world.admin)
    full = groups(search(admin, "bruno"))["clients"]

    assert "bruno@example.com" not in masked and "+33612345678" not in masked
    assert "b•••@example.com" in masked and "+33 6•• •• •• 78" in masked
    assert "bruno@example.com" in full and "+33612345678" in full


def test_groups_show_the_newest_rows_with_their_total_and_a_link_to_the_whole_list(
    app, client, world
):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        for n in range(SEARCH_BOX_CAP + 2):
            client_id, mission_id = register_client(
                world.partner_a.id, f"Zoe{letters(n)}", last_name="Many"
            )
            when = start + timedelta(days=n)
            db.session.execute(update(Client).where(Client.id == client_id).values(created_at=when))
            db.session.execute(
                update(Mission).where(Mission.id == mission_id).values(created_at=when)
            )
        db.session.commit()
    log_in(client, world.partner_a)

    html = search(client, "many")

    expected = [f"Zoe{letters(n)} Many" for n in reversed(range(2, SEARCH_BOX_CAP + 2))]
    assert client_names(html) == expected
    assert len(mission_ids(html)) == SEARCH_BOX_CAP
    assert total(html, "clients") == total(html, "missions") == str(SEARCH_BOX_CAP + 2)
    links = [unescape(link) for link in MORE.findall(html)]
    assert links == ["/admin/clients/?search=many", "/admin/missions/?search=many"]
    assert f"Zoe{letters(0)}" in client.get(links[0]).get_data(as_text=True)


def test_a_total_past_the_count_cap_reads_as_more_than_it(app, client, world, monkeypatch):
    monkeypatch.setattr("admin_app.domain.global_search.COUNT_CAP", 2)
    with app.app_context():
        for n in range(4):
            register_client(world.partner_a.id, f"Yann{letters(n)}", last_name="Capped")
    log_in(client, world.partner_a)

    html = search(client, "capped")

    assert total(html, "clients") == "2+" and total(html, "missions") == "2+"
    assert COUNT_CAP == 1_000


def test_an_empty_search_says_what_the_box_finds(client, world):
    log_in(client, world.partner_a)

    for text in ("", "   "):
        html = search(client, text)
        assert 'data-testid="search-empty"' in html and "first 8 characters" in html
        assert "data-group" not in html


def test_a_search_that_finds_nothing_says_so(client, world):
    log_in(client, world.partner_a)

    html = search(client, "Nobody-by-that-name")

    assert "Nothing found for “Nobody-by-that-name”." in unescape(html)
    assert "data-group" not in html


def test_hostile_text_is_shown_escaped(client, world):
    log_in(client, world.partner_a)
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'

    html = search(client, hostile)

    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_overlong_text_is_cut_and_the_page_says_so(client, world):
    log_in(client, world.partner_a)

    html = search(client, "alice " + "x" * 5000)

    assert f"Only the first {MAX_SEARCH_LENGTH} characters were searched." in html
    searched = re.search(r'id="search-page-box" name="q" value="([^"]*)"', html).group(1)
    assert searched == "alice " + "x" * (MAX_SEARCH_LENGTH - 6)


def test_control_characters_are_read_as_spaces(client, world):
    log_in(client, world.partner_a)

    assert client_names(search(client, "alice\x01\ttest")) == ["Alice Test"]


@pytest.mark.parametrize("who", ["partner_a", "staff_a", "admin", "support"])
@pytest.mark.parametrize("page", ["/admin/", "/admin/clients/", "/admin/board/", SEARCH])
def test_every_role_has_the_box_in_the_menu(client, world, who, page):
    log_in(client, getattr(world, who))

    html = client.get(page).get_data(as_text=True)

    assert re.search(
        r'<form method="get" action="/admin/search/"[^>]*data-testid="menu-search"', html
    )
    assert 'name="q"' in html


def test_the_results_page_needs_a_login(client):
    response = client.get(SEARCH, query_string={"q": "alice"})

    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        ("30d6f606", "30d6f606"),
        ("30D6F606C0B8", "30d6f606-c0b8"),
        (" 30d6f606-c0b8-4ef6 ", "30d6f606-c0b8-4ef6"),
        ("30d6f606c0b84ef69fd6764c7c2e9436", "30d6f606-c0b8-4ef6-9fd6-764c7c2e9436"),
        ("30d6f60", None),  # 7 digits
        ("30d6f606-c0b8-4ef6-9fd6-764c7c2e94361", None),  # 33 digits
        ("deadbeefs", None),
        ("06 12 34 56", None),
        ("", None),
    ],
)
def test_only_text_that_looks_like_a_mission_id_is_read_as_one(text, prefix):
    assert mission_id_prefix(text) == prefix


@pytest.mark.parametrize(
    ("prefix", "following"),
    [("30d6f606", "30d6f607"), ("30d6f60f", "30d6f61"), ("1234567f-ffff", "1234568"),
     ("ffffffff", None)],
)  # fmt: skip
def test_the_range_of_a_prefix_ends_at_the_next_prefix(prefix, following):
    assert _next_prefix(prefix) == following


def letters(n: int) -> str:
    """0 → "AA", 1 → "AB"...: names take letters only."""
    return chr(65 + n // 26) + chr(65 + n % 26)


def add_rows(app, partner_id: int, count: int) -> None:
    with app.app_context():
        for n in range(count):
            register_client(partner_id, f"Many{letters(n)}", last_name="Rows")


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN, RoleName.SUPPORT])
def test_the_results_page_runs_the_same_queries_whatever_the_rows(app, client, make_account, role):
    shop = make_account(RoleName.PARTNER)
    log_in(client, shop if role is RoleName.PARTNER else make_account(role))
    add_rows(app, shop.id, 3)

    def cost(text: str) -> int:
        with counted_queries(app) as statements:
            search(client, text)
        return len(statements)

    few = [cost("rows"), cost("manyab"), cost("")]
    add_rows(app, shop.id, 40)
    many = [cost("rows"), cost("manyab"), cost("")]

    assert few == many, (few, many)
    # The account (and its roles), then the totals, the clients and the missions.
    assert many[0] <= 5 and many[2] <= 2, many


def search_statements(app, client, text: str) -> list[tuple[str, object]]:
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "walk_in_" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        search(client, text)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


def query_plan(app, statement: str, parameters: object) -> str:
    """The plan of ``statement``. On PostgreSQL, with statistics and sequential scans off: over
    a few rows a whole table costs it less than any index, where at a million rows it reads
    the indexes (pg_trgm's through bitmap scans, kept on)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in rows)
        connection.exec_driver_sql("ANALYZE walk_in_client")
        connection.exec_driver_sql("ANALYZE walk_in_mission")
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in rows)


FULL_SCANS = ("Seq Scan on walk_in_mission", "Seq Scan on walk_in_client")


def full_scan(plan: str) -> bool:
    lines = [line.strip() for line in plan.splitlines()]
    return any(scan in plan for scan in FULL_SCANS) or any(
        line in ("SCAN walk_in_mission", "SCAN walk_in_client") for line in lines
    )


@pytest.mark.parametrize("who", ["partner_a", "admin"])
def test_every_statement_reads_indexes_not_whole_tables(app, client, world, who):
    add_rows(app, world.partner_a.id, 30)
    log_in(client, getattr(world, who))

    statements = search_statements(app, client, "manya")

    assert len(statements) == 3
    for statement in statements:
        plan = query_plan(app, *statement)
        assert not full_scan(plan), plan


ID_RANGE = re.compile(
    r"sqlite_autoindex_walk_in_mission_1 \(id>\? AND id<\?\)"
    r"|Index (Only )?Scan( Backward)? using pk_walk_in_mission on walk_in_mission[^\n]*\n\s+"
    r"Index Cond: \(\(id >= '[0-9a-f-]+'::text\) AND \(id < '[0-9a-f-]+'::text\)\)"
)


def test_an_id_search_reads_a_range_of_the_missions_primary_key(app, client, world):
    add_rows(app, world.partner_a.id, 30)
    log_in(client, world.admin)

    statements = search_statements(app, client, world.a_mission[:8])

    plans = [query_plan(app, *statement) for statement in statements]
    assert not any(full_scan(plan) for plan in plans), plans
    totals, _, missions = plans
    assert ID_RANGE.search(totals) and ID_RANGE.search(missions), plans


@pytest.mark.parametrize("who", ["partner_a", "admin"])
def test_a_broad_search_shows_the_same_rows_read_either_way(app, client, world, monkeypatch, who):
    """SQLite reads a search matching many clients through the newest-first indexes, testing
    each row (``SEARCH_SCAN_FROM_CLIENTS``); the page is the same as through the search's."""
    add_rows(app, world.partner_a.id, SEARCH_BOX_CAP + 5)
    with app.app_context():
        register_client(world.partner_b.id, "Manyother", last_name="Rows")
    log_in(client, getattr(world, who))

    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 1_000_000)
    through_search = search(client, "rows")
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 2)
    statements = search_statements(app, client, "rows")
    scanned = search(client, "rows")

    assert client_names(scanned) == client_names(through_search)
    assert mission_ids(scanned) == mission_ids(through_search)
    assert len(client_names(scanned)) == SEARCH_BOX_CAP
    assert ("Manyother Rows" in client_names(scanned)) is (who == "admin")
    with app.app_context():
        dialect = db.engine.dialect.name
    # The scan's way sits beside the indexes' in the statement, each with a LIMIT that says when.
    assert ("LIMIT CASE WHEN" in statements[2][0]) is (dialect == "sqlite")


@pytest.mark.parametrize("threshold", [1_000_000, 0])
def test_two_words_find_only_the_clients_having_both_either_way(
    app, client, world, monkeypatch, threshold
):
    """ "manyab rows" finds the one client named both, read through its keys (a threshold no
    search reaches) or along the newest-first index (any match is broad past 0); "manyaa zzz",
    whose words each match but never meet, finds nothing."""
    add_rows(app, world.partner_a.id, 6)
    with app.app_context():
        register_client(world.partner_a.id, "Other", last_name="Rows")
        register_client(world.partner_a.id, "Zzz", last_name="Alone")
    log_in(client, world.admin)
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", threshold)

    both = search(client, "manyab rows")
    never = search(client, "manyaa zzz")

    assert client_names(both) == ["ManyAB Rows"]
    assert len(mission_ids(both)) == 1 and total(both, "missions") == "1"
    assert client_names(never) == [] and mission_ids(never) == []


def test_postgresql_reads_a_narrow_searchs_rows_client_by_client(app, client, world, monkeypatch):
    """PostgreSQL guesses a search's clients from each word alone; the statements read the
    matching clients' rows one client at a time (``LATERAL``), and a broad search's along the
    newest-first index, testing each row (``EXISTS``), so neither depends on that guess."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite is told which way to read in SQL (the test above)")
    add_rows(app, world.partner_a.id, 4)
    log_in(client, world.admin)

    narrow = search_statements(app, client, "rows")
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 2)
    broad = search_statements(app, client, "rows")

    totals, clients, missions = (statement for statement, _ in narrow)
    assert "LATERAL" in totals and "LATERAL" in clients and "LATERAL" in missions
    _, clients, missions = (statement for statement, _ in broad)
    assert "LATERAL" not in clients and "EXISTS" in clients
    assert "LATERAL" not in missions and "EXISTS" in missions
