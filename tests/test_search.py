"""Client search: every word must match a name, the email or the phone, through an index.

Both databases match a word at the start of any word of a name, of any part of an email, or the
start or the end of a phone (``test_search_corpus.py`` checks the rule over many names).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.data.models import Client, RoleName, User
from admin_app.domain.clients import update_client
from admin_app.domain.search import MAX_WORDS, is_phone_like, matching_clients, phone_fragment
from admin_app.extensions import db
from tests.conftest import log_in, register_client


@pytest.fixture
def people(ctx, make_user):
    partner, other = make_user(RoleName.PARTNER), make_user(RoleName.PARTNER)
    register_client(partner.id, "Élodie", last_name="Martin", email="elo@example.com",
                    phone="+33612345678")  # fmt: skip
    register_client(partner.id, "Alice", last_name="Martin", email="alice@shop.example.com",
                    phone="+33798765432")  # fmt: skip
    register_client(partner.id, "Alice", last_name="Dupont", email="a.dupont@example.com",
                    phone="+442071234567")  # fmt: skip
    register_client(other.id, "Alice", last_name="Martinez", email="am@example.com",
                    phone="+33611111111")  # fmt: skip
    return partner, other


def found(text: str, user) -> list[str]:
    ids = matching_clients(text, user)
    names = select(Client.first_name, Client.last_name).where(Client.id.in_(ids))
    return sorted(f"{first} {last}" for first, last in db.session.execute(names))


def test_names_match_without_case_or_accents(people):
    partner, _ = people
    assert found("elodie", partner) == ["Élodie Martin"]
    assert found("ÉLO", partner) == ["Élodie Martin"]


def test_every_word_must_match(people):
    partner, _ = people
    assert found("alice martin", partner) == ["Alice Martin"]
    assert found("Martin", partner) == ["Alice Martin", "Élodie Martin"]


def test_email_and_phone_match(people):
    partner, _ = people
    assert found("alice@shop", partner) == ["Alice Martin"]
    assert found("06 12 34", partner) == ["Élodie Martin"]
    assert found("+44 20 71", partner) == ["Alice Dupont"]
    assert found("0044 2071", partner) == ["Alice Dupont"]


def test_search_stays_within_the_partners_own_clients(people):
    partner, other = people
    assert found("Alice", other) == ["Alice Martinez"]
    assert "Alice Martinez" not in found("Alice", partner)


def test_admin_search_reaches_every_partner(people, make_user):
    admin = make_user(RoleName.ADMIN)
    assert found("Martin", admin) == ["Alice Martin", "Alice Martinez", "Élodie Martin"]


def test_inside_a_word_matches_on_neither_database(people):
    partner, _ = people
    assert found("artin", partner) == []
    assert found("upont", partner) == []


def test_like_wildcards_in_a_search_are_plain_characters(people):
    partner, _ = people
    assert found("%", partner) == []
    assert found("a_ice", partner) == []


def test_an_empty_search_finds_nobody(people):
    partner, _ = people
    assert found("   ", partner) == []


@pytest.mark.parametrize(
    ("typed", "stored_fragment"),
    [("06 12 34", "+3361234"), ("+33 6 12", "+33612"), ("0044 20", "+4420"),
     ("612", "612"), ("+33 (0)6 12", "+33612")],
)  # fmt: skip
def test_phone_fragments_are_read_as_stored_phones(ctx, typed, stored_fragment):
    assert phone_fragment(typed) == stored_fragment


def test_digits_of_other_scripts_are_not_read_as_a_phone():
    assert not is_phone_like("٠٦١٢٣")


def test_a_blank_search_lists_everything(client, make_account, app):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        register_client(partner.id, "Zélie", last_name="Quintal")
    log_in(client, partner)

    assert "Quintal" in client.get("/admin/clients/?search=%20%20").get_data(as_text=True)


def test_mission_list_search_finds_the_clients_missions(client, make_account, app):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        register_client(partner.id, "Zélie", last_name="Quintal")
        register_client(partner.id, "Bruno", last_name="Other")
    log_in(client, partner)

    page = client.get("/admin/missions/?search=zelie").get_data(as_text=True)

    assert "Zélie Quintal" in page
    assert "Bruno Other" not in page


def test_city_filter_matches_the_city_whatever_its_case_and_accents(client, make_account, app):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        register_client(partner.id, "Lucie", last_name="Lyonnaise", city="Lyon")
        register_client(partner.id, "Sacha", last_name="Stephanois", city="Saint-Étienne")
    log_in(client, partner)

    in_lyon = client.get("/admin/clients/?flt0_0=lyon").get_data(as_text=True)
    in_saint_etienne = client.get("/admin/clients/?flt0_0=SAINT-ETIENNE").get_data(as_text=True)

    assert "Lyonnaise" in in_lyon and "Stephanois" not in in_lyon
    assert "Stephanois" in in_saint_etienne and "Lyonnaise" not in in_saint_etienne


def test_an_edited_name_and_city_are_searched_and_filtered_as_edited(client, make_account, app):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        client_id, _ = register_client(partner.id, "Zélie", last_name="Quintal", city="Lyon")
        update_client(
            client_id, db.session.get_one(User, partner.id), first_name="Zélie",
            last_name="Órla", email="zelie@example.com", phone="+33612345678", city="Nantes",
        )  # fmt: skip
    log_in(client, partner)

    assert "Órla" in client.get("/admin/clients/?search=orla").get_data(as_text=True)
    assert "Órla" not in client.get("/admin/clients/?search=quintal").get_data(as_text=True)
    assert "Órla" in client.get("/admin/clients/?flt0_0=nantes").get_data(as_text=True)
    assert "Órla" not in client.get("/admin/clients/?flt0_0=lyon").get_data(as_text=True)


@pytest.mark.parametrize("page", ["/admin/clients/", "/admin/missions/"])
def test_a_search_of_thousands_of_words_uses_the_first_few_and_says_so(
    client, make_account, app, page
):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        register_client(partner.id, "Zélie", last_name="Quintal")
    log_in(client, partner)

    response = client.get(page, query_string={"search": " ".join(["zelie"] * 3000)})

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f"Only the first {MAX_WORDS} words of a search are used." in text
    assert "Quintal" in text
