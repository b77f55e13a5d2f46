"""A search's list pages show the same rows, in the same order and with the same count, whichever
way the database finds them: matching clients first through the search indexes, or (SQLite, a
search matching many clients) the list's own order index, testing each row (``listing.Scan``).

``SEARCH_SCAN_FROM_CLIENTS`` is set low here so that a few clients make a search broad.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, false, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from admin_app.admin.listing import Scan, either_page_ids
from admin_app.data.models import Client, Mission, RoleName, User
from admin_app.data.plan_hints import LeftFirstJoin, Unindexed
from admin_app.domain.missions import start_mission
from admin_app.domain.search import client_matches, client_search, is_broad, matching_clients
from admin_app.extensions import db
from tests.conftest import log_in, register_client

ROW_NAME = re.compile(r">Client([A-Z]{2})\b")  # the cell's text, not its title
COUNT = re.compile(r"List \(([\d,+]+)\)")
INDEXES_ONLY = 1_000_000


@pytest.fixture
def martins(app, make_account):
    """A partner with 45 Martins (every third mission started) and 5 Duponts, registered in
    name order, and another partner with 3 Martins of its own."""
    partner, other = make_account(RoleName.PARTNER), make_account(RoleName.PARTNER)
    with app.app_context():
        owner = db.session.get_one(User, partner.id)
        for index in range(50):
            last_name = "Martin" if index < 45 else "Dupont"
            name = f"Client{chr(65 + index // 26)}{chr(65 + index % 26)}"
            _, mission = register_client(partner.id, name, last_name=last_name)
            if index % 3 == 0:
                start_mission(mission, owner)
        for index in range(3):
            register_client(other.id, f"Other{chr(65 + index)}", last_name="Martin")
    return partner, other


def listing(client, url: str, pages: int) -> tuple[list[list[str]], list[str]]:
    """The row names of the first ``pages`` pages of ``url`` and the count each page shows."""
    names, counts = [], []
    for page in range(pages):
        html = client.get(f"{url}&page={page}").get_data(as_text=True)
        names.append(ROW_NAME.findall(html))
        counts.append(COUNT.search(html).group(1))
    return names, counts


def both_ways(app, client, monkeypatch, url: str, pages: int = 3):
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", INDEXES_ONLY)
    through_indexes = listing(client, url, pages)
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 2)
    return through_indexes, listing(client, url, pages)


@pytest.mark.parametrize("view", ["clients", "missions"])
def test_broad_search_pages_the_same_rows_either_way_for_a_partner(
    app, client, martins, monkeypatch, view
):
    partner, _ = martins
    log_in(client, partner)

    indexed, scanned = both_ways(app, client, monkeypatch, f"/admin/{view}/?search=martin")

    assert scanned == indexed
    names, counts = scanned
    assert [len(page) for page in names] == [20, 20, 5]
    everyone = [name for page in names for name in page]
    assert everyone == sorted(everyone, reverse=True) and len(set(everyone)) == 45
    assert counts == ["45"] * 3


def test_broad_search_pages_the_same_rows_either_way_for_an_admin(
    app, client, martins, make_account, monkeypatch
):
    log_in(client, make_account(RoleName.ADMIN))

    indexed, scanned = both_ways(app, client, monkeypatch, "/admin/missions/?search=martin")

    assert scanned == indexed
    assert scanned[1] == ["48"] * 3  # the other partner's three Martins too


def test_broad_search_with_a_filter_pages_the_same_rows_either_way(
    app, client, martins, monkeypatch
):
    partner, _ = martins
    log_in(client, partner)
    url = "/admin/missions/?search=martin&flt0_0=in_progress"

    indexed, scanned = both_ways(app, client, monkeypatch, url, pages=1)

    assert scanned == indexed
    assert scanned[1] == ["15"]  # every third of the 45 Martins was started


def test_pages_past_the_scanned_ones_follow_on_without_gap_or_overlap(
    app, client, martins, monkeypatch
):
    partner, _ = martins
    log_in(client, partner)
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 2)
    monkeypatch.setitem(app.config, "SEARCH_SCAN_MAX_ROWS", 20)  # page 0 scanned, then indexes

    names, _ = listing(client, "/admin/missions/?search=martin", 3)

    everyone = [name for page in names for name in page]
    assert len(everyone) == 45 and len(set(everyone)) == 45
    assert everyone == sorted(everyone, reverse=True)


def test_a_narrow_search_finds_its_rows_when_broad_ones_are_scanned(
    app, client, martins, monkeypatch
):
    partner, _ = martins
    log_in(client, partner)
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 10)

    names, counts = listing(client, "/admin/missions/?search=dupont", 1)

    assert names == [["BX", "BW", "BV", "BU", "BT"]]
    assert counts == ["5"]


def test_a_search_is_broad_past_the_threshold_of_clients_the_user_sees(
    app, ctx, martins, make_user, monkeypatch
):
    partner, other = martins
    monkeypatch.setitem(app.config, "SEARCH_SCAN_FROM_CLIENTS", 5)
    admin = make_user(RoleName.ADMIN)

    def broad(text: str, user_id: int) -> bool:
        return bool(db.session.scalar(select(is_broad(text, db.session.get_one(User, user_id)))))

    assert broad("martin", partner.id)
    assert not broad("martin", other.id)  # its own 3 Martins only
    assert not broad("dupont", partner.id)  # exactly 5: not more than the threshold
    assert broad("mar", admin.id)
    assert not broad("dupont martin", admin.id)


def test_left_first_join_is_a_cross_join_on_sqlite_only():
    joined = LeftFirstJoin(Client, Mission, Client.id == Mission.client_id)
    query = select(Mission.id).select_from(joined)

    on_sqlite = str(query.compile(dialect=sqlite.dialect()))
    on_postgresql = str(query.compile(dialect=postgresql.dialect()))

    assert "FROM walk_in_client CROSS JOIN walk_in_mission ON" in on_sqlite
    assert "FROM walk_in_client JOIN walk_in_mission ON" in on_postgresql


def test_page_ids_come_from_the_scan_only_when_its_condition_holds(ctx, martins):
    def newest_first(query):
        return query.order_by(Client.created_at.desc(), Client.id.desc())

    def last_names(chosen) -> set[str]:
        martins_query = db.session.query(Client).filter(Client.last_name == "Martin")
        duponts_query = db.session.query(Client).filter(Client.last_name == "Dupont")
        scan = Scan(duponts_query, chosen)
        ids = either_page_ids(Client, newest_first, martins_query, scan, 0, 20)
        return set(db.session.scalars(select(Client.last_name).where(Client.id.in_(ids))))

    assert last_names(true()) == {"Dupont"}
    assert last_names(false()) == {"Martin"}


#: What only the scan's SQL holds, in each list: each row's keys looked up (``client_matches``).
SCAN_MARKS = {"missions": "looked_up_key", "clients": "looked_up_key"}


@pytest.mark.parametrize("view", ["missions", "clients"])
@pytest.mark.parametrize(
    ("query", "scanned"),
    [
        ("search=martin", True),
        ("search=martin&page=4", True),
        ("search=martin&page=5", False),  # past SEARCH_SCAN_MAX_ROWS (100 rows)
        ("search=martin&sort=0", False),  # another column: no index in that order
        ("", False),
    ],
)
def test_sqlite_scans_a_search_only_on_its_first_pages_in_the_default_order(
    app, client, martins, view, query, scanned
):
    partner, _ = martins
    log_in(client, partner)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner chooses from its statistics")
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get(f"/admin/{view}/?{query}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)

    assert any(SCAN_MARKS[view] in statement for statement in statements) is scanned


def test_unindexed_is_a_unary_plus_on_sqlite_only():
    query = select(Client.id).where(Unindexed(Client.last_name_key) >= "mar")

    on_sqlite = str(query.compile(dialect=sqlite.dialect()))
    on_postgresql = str(query.compile(dialect=postgresql.dialect()))

    assert "WHERE +walk_in_client.last_name_key >=" in on_sqlite
    assert "WHERE walk_in_client.last_name_key >=" in on_postgresql


def test_unindexed_brings_its_table_into_the_query():
    other = aliased(Client, name="other_client")
    query = select(Mission.id).where(Unindexed(other.last_name_key) >= "mar")

    assert "FROM walk_in_mission, walk_in_client AS other_client" in str(
        query.compile(dialect=sqlite.dialect())
    )


def test_sqlite_scans_a_clients_search_in_the_lists_order_looking_up_each_rows_keys(ctx, martins):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner chooses from its statistics")
    newest_first = (Client.created_at.desc(), Client.id.desc())
    scan = select(Client.id).where(client_matches("martin", Client.id)).order_by(*newest_first)

    plan = [row[3] for row in db.session.execute(explain(scan.limit(21)))]
    rows = db.session.scalars(scan).all()

    assert plan == [
        "SCAN walk_in_client USING COVERING INDEX ix_walk_in_client_created",
        "CORRELATED SCALAR SUBQUERY 1",
        "SEARCH looked_up_key USING PRIMARY KEY (client_id=? AND key>? AND key<?)",
    ]
    matching = select(Client.id).where(client_search("martin")).order_by(*newest_first)
    assert rows == db.session.scalars(matching).all() and len(rows) == 48


def explain(query):
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return text(f"EXPLAIN QUERY PLAN {compiled}")


@pytest.mark.parametrize(
    "words",
    ["Lefèvre", "12 90", "example.fr", "alice martin", "06 12"],
    ids=[
        "word-in-a-hyphenated-name",
        "phone-last-digits",
        "email-part",
        "two-words",
        "phone-start",
    ],
)
@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN])
def test_a_search_reads_its_clients_from_the_key_indexes(ctx, make_user, words, role):
    """Every kind of word (inside a name, an email's part, a phone's start or end, several
    words) is a range of the keys' B-tree: a partner's starts with the partner, an admin's
    covers every partner; the keys table is never read whole, on either database."""
    user, other = make_user(role), make_user(RoleName.PARTNER)
    owner = user if role is RoleName.PARTNER else other
    for index in range(30):
        letters = chr(ord("a") + index // 26) + chr(ord("a") + index % 26)
        register_client(
            owner.id if index % 2 else other.id, f"Hélène {letters}",
            last_name=f"Dupré-Lefèvre {letters}", email=f"h{index}@example.fr",
            phone=f"+336123{index:05d}",
        )  # fmt: skip
    index = (
        "ix_client_search_key_partner" if role is RoleName.PARTNER else "ix_client_search_key_key"
    )

    plan = key_plan(matching_clients(words, user))

    # PostgreSQL, on a table this small, may read the other key index and filter the partner.
    assert index in plan if db.engine.dialect.name == "sqlite" else "ix_client_search_key_" in plan
    assert not re.search(r"SCAN (client_search_key|word_key)\b|Seq Scan on client_search_key", plan)


def key_plan(query) -> str:
    """The plan of ``query``; on PostgreSQL, of a table this small, read with indexes where it
    has any (at a million rows the planner chooses them without being told: README)."""
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        return "\n".join(
            row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
    db.session.execute(text("ANALYZE client_search_key"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))
