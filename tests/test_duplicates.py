"""The duplicate check while registering: which clients it finds, for whom, through which
indexes, and at what cost (``domain/duplicates.py``, ``/admin/clients/duplicates/``)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from admin_app.data.models import RoleName, User
from admin_app.domain.duplicates import MAX_CANDIDATES, likely_duplicates
from admin_app.extensions import db
from tests.conftest import log_in, register_client
from tests.test_query_counts import counted_queries

URL = "/admin/clients/duplicates/"


@pytest.fixture
def shop(app, make_account):
    """A partner with Élodie Durand of Paris, and another partner whose client has the same
    phone, email and name."""
    partner, other = make_account(RoleName.PARTNER), make_account(RoleName.PARTNER)
    with app.app_context():
        elodie, _ = register_client(
            partner.id, "Élodie", last_name="Durand", email="elodie@example.com",
            phone="+33612345678", city="Paris",
        )  # fmt: skip
        register_client(
            other.id, "Élodie", last_name="Durand", email="elodie@example.com",
            phone="+33612345678", city="Paris",
        )  # fmt: skip
    return partner, other, elodie


def found(app, account_id: int, partner_id: int | None = None, **fields: str) -> list[tuple]:
    with app.app_context():
        user = db.session.get_one(User, account_id)
        return [
            (duplicate.client.id, duplicate.reasons)
            for duplicate in likely_duplicates(user, fields, partner_id=partner_id)
        ]


@pytest.mark.parametrize(
    ("fields", "reasons"),
    [
        ({"phone": "06 12 34 56 78"}, ("phone",)),
        ({"phone": "+33 6 12 34 56 78"}, ("phone",)),
        ({"email": "  Elodie@EXAMPLE.com "}, ("email",)),
        ({"first_name": "elodie", "last_name": "DURAND", "city": "paris"}, ("name",)),
        ({"first_name": "Elodie", "last_name": "Durant", "city": "Paris"}, ("name",)),
        ({"first_name": "Élodi", "last_name": "Durand", "city": "PARIS"}, ("name",)),
        (
            {
                "phone": "0612345678",
                "email": "elodie@example.com",
                "first_name": "Elodie",
                "last_name": "Durand",
                "city": "Paris",
            },
            ("phone", "email", "name"),
        ),
    ],  # fmt: skip
)
def test_a_partner_finds_its_client_by_phone_email_or_name_keys_in_the_city(
    app, shop, fields, reasons
):
    partner, _, elodie = shop

    assert found(app, partner.id, **fields) == [(elodie, reasons)]


@pytest.mark.parametrize(
    "fields",
    [
        {"first_name": "Elodie", "last_name": "Durant", "city": "Lyon"},
        {"first_name": "Elodie", "last_name": "Durand"},
        {"first_name": "Eloise", "last_name": "Durant", "city": "Paris"},
        {"first_name": "Elodie", "last_name": "Dupont", "city": "Paris"},
        {"phone": "06 12 34 56 79", "email": "elodie@example.org"},
        {"phone": "not a phone", "email": "not an email"},
        {"email": "x" * 300 + "@example.com", "phone": "\x00"},
        {},
    ],
)
def test_no_candidate_for_another_city_two_typos_or_other_details(app, shop, fields):
    partner, _, _ = shop

    assert found(app, partner.id, **fields) == []


def test_a_partner_never_gets_another_partners_clients_even_by_naming_it(app, shop):
    partner, other, elodie = shop

    assert found(app, partner.id, partner_id=other.id, phone="0612345678") == [(elodie, ("phone",))]


@pytest.mark.parametrize("role", [RoleName.ADMIN, RoleName.SUPPORT])
def test_users_who_see_every_partner_check_the_partner_they_choose(app, make_account, shop, role):
    partner, _, elodie = shop
    viewer = make_account(role)

    assert found(app, viewer.id, phone="0612345678") == []
    assert found(app, viewer.id, partner_id=partner.id, phone="0612345678") == [
        (elodie, ("phone",))
    ]


def test_at_most_five_candidates_strong_matches_first(app, make_account):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        named = [
            register_client(partner.id, "Léa", last_name="Martin", email=f"lea{n}@example.com",
                            phone=f"+3361234560{n}", city="Lyon")[0]
            for n in range(7)
        ]  # fmt: skip
        by_phone, _ = register_client(
            partner.id, "Zoé", last_name="Petit", email="zoe@example.com", phone="+33698765432"
        )

    candidates = found(
        app, partner.id, first_name="Lea", last_name="Martin", city="Lyon", phone="0698765432"
    )

    assert len(candidates) == MAX_CANDIDATES
    assert candidates[0] == (by_phone, ("phone",))
    assert {id_ for id_, _ in candidates[1:]} <= set(named)


def test_the_endpoint_answers_masked_candidates_with_their_links(app, client, shop):
    partner, _, elodie = shop
    log_in(client, partner)

    answer = client.get(URL, query_string={"phone": "06 12 34 56 78"})

    assert answer.status_code == 200 and answer.mimetype == "application/json"
    (candidate,) = answer.get_json()["candidates"]
    assert candidate == {
        "id": elodie,
        "name": "Élodie Durand",
        "email": "e•••@example.com",
        "phone": "+33 6•• •• •• 78",
        "city": "Paris",
        "reasons": ["phone"],
        "details_url": f"/admin/clients/details/?id={elodie}",
        "new_mission_url": f"/admin/clients/new-mission/?id={elodie}",
    }


def test_the_endpoint_checks_the_partner_an_admin_chose(app, client, make_account, shop):
    partner, other, _ = shop
    log_in(client, make_account(RoleName.ADMIN))

    unnamed = client.get(URL, query_string={"phone": "0612345678"}).get_json()
    for_other = client.get(URL, query_string={"phone": "0612345678", "partner": other.id})

    assert unnamed == {"candidates": []}
    with app.app_context():
        owners = {db.session.get_one(User, other.id).id for _ in for_other.get_json()["candidates"]}
    assert owners == {other.id}


def test_the_new_client_form_and_modal_hold_the_check_and_load_its_script(client, shop):
    partner, _, _ = shop
    log_in(client, partner)

    modal = client.get("/admin/clients/new/?modal=True").get_data(as_text=True)
    page = client.get("/admin/clients/new/").get_data(as_text=True)
    listing = client.get("/admin/clients/").get_data(as_text=True)

    for html in (modal, page):
        assert f'data-duplicates-url="{URL}"' in html
        assert "Already a client? Open a new mission for them" in html
    assert "duplicates.js" in page and "duplicates.js" in listing


def test_the_check_speaks_french(client, shop):
    partner, _, _ = shop
    log_in(client, partner)

    html = client.get("/admin/clients/new/", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )

    assert "Déjà client ? Ouvrez-lui une nouvelle mission" in html


def add_lookalikes(app, partner_id: int, count: int, start: int) -> None:
    with app.app_context():
        for n in range(start, start + count):
            register_client(
                partner_id, "Élodie", last_name="Durand", email=f"e{n}@example.com",
                phone=f"+336987{n:05d}", city="Paris",
            )  # fmt: skip


def test_the_check_costs_the_same_queries_with_few_or_many_lookalikes(app, client, shop):
    partner, _, _ = shop
    log_in(client, partner)
    probe = {"phone": "0612345678", "email": "elodie@example.com", "first_name": "Elodie",
             "last_name": "Durand", "city": "Paris"}  # fmt: skip

    def cost() -> int:
        with counted_queries(app) as statements:
            assert client.get(URL, query_string=probe).status_code == 200
        return len(statements)

    add_lookalikes(app, partner.id, 3, 0)
    few = cost()
    add_lookalikes(app, partner.id, 40, 3)
    many = cost()

    assert few == many <= 3, many


def client_statements(app, client, query: dict) -> list[tuple[str, object]]:
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM walk_in_client" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert client.get(URL, query_string=query).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


def query_plan(app, statement: str, parameters: object) -> str:
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in rows)
        # A few rows: without this PostgreSQL reads the whole table, whatever its indexes, and
        # without statistics it takes any index that starts with the partner. Over a hundred
        # rows a bitmap of the partner's rows costs it about as little as any index range, so
        # the plan is read with index scans alone: each arm then shows the index it would read
        # at a million rows (where EXPLAIN ANALYZE shows the same without these settings).
        connection.exec_driver_sql("ANALYZE walk_in_client")
        connection.exec_driver_sql("SET enable_seqscan = off")
        connection.exec_driver_sql("SET enable_bitmapscan = off")
        return "\n".join(
            row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        )


@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        ({"phone": "0612345678"}, ["ix_walk_in_client_partner_phone"]),
        ({"email": "elodie@example.com"}, ["ix_walk_in_client_partner_email"]),
    ],
)
def test_each_comparison_reads_a_partner_prefixed_index(app, client, shop, query, indexes):
    partner, _, _ = shop
    add_lookalikes(app, partner.id, 5, 0)
    log_in(client, partner)

    lookup, details = client_statements(app, client, query)
    plan = query_plan(app, *lookup)

    for index in indexes:
        assert index in plan, plan
    assert "Seq Scan" not in plan and "SCAN walk_in_client\n" not in plan + "\n", plan
    details_plan = query_plan(app, *details)
    assert "pk_walk_in_client" in details_plan or "sqlite_autoindex" in details_plan


def test_the_name_check_reads_each_name_key_from_its_own_index(app, client, shop):
    """With statistics from enough rows, each arm reads the range of its exact name key."""
    partner, _, _ = shop
    add_lookalikes(app, partner.id, 5, 0)
    cities = ("Paris", "Lyon", "Lille", "Nantes", "Nice")
    with app.app_context():
        for n in range(200):
            register_client(partner.id, f"Name{chr(65 + n % 26)}", last_name=f"Other{chr(65 + n // 26)}",
                            phone=f"+336123{n:05d}", city=cities[n % 5])  # fmt: skip
    log_in(client, partner)
    query = {"first_name": "Elodie", "last_name": "Durand", "city": "Paris"}

    plan = query_plan(app, *client_statements(app, client, query)[0])

    assert "ix_walk_in_client_partner_city_last_first" in plan, plan
    assert "ix_walk_in_client_partner_city_first_last" in plan, plan
