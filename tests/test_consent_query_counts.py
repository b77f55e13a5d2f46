"""The pages that show or capture consent cost the same number of queries whatever the client's
consent history and messages, and whatever the number of shops named on the accounts page."""

from __future__ import annotations

import pytest

from admin_app.data.models import Client, RoleName, User
from admin_app.domain.clients import update_client
from admin_app.domain.missions import open_mission
from admin_app.extensions import db
from tests.conftest import log_in, register_client
from tests.test_query_counts import queries_of


def add_history(app, client_id: str, partner_id: int, periods: int) -> None:
    """``periods`` more periods of consent given then withdrawn at the counter, and as many
    missions (each one's "opened" message written while consent was in force)."""
    with app.app_context():
        partner = db.session.get_one(User, partner_id)
        for _ in range(periods):
            update_client(client_id, partner, email_consent=True, **fields_of(client_id))
            open_mission(client_id, partner)
            update_client(client_id, partner, email_consent=False, **fields_of(client_id))


def fields_of(client_id: str) -> dict[str, str | None]:
    client = db.session.get_one(Client, client_id)
    return {"first_name": client.first_name, "last_name": client.last_name,
            "email": client.email, "phone": client.phone}  # fmt: skip


@pytest.mark.parametrize("role", [RoleName.PARTNER, RoleName.ADMIN, RoleName.SUPPORT])
def test_a_clients_page_costs_the_same_with_1_and_15_consent_periods(
    app, client, make_account, role
):
    partner = make_account(RoleName.PARTNER)
    log_in(client, partner if role is RoleName.PARTNER else make_account(role))
    with app.app_context():
        client_id, _ = register_client(partner.id, "Counted")
    pages = [f"/admin/clients/details/?id={client_id}"]
    if role is not RoleName.SUPPORT:
        pages.append(f"/admin/clients/edit/?id={client_id}")

    add_history(app, client_id, partner.id, 1)
    few = {page: len(queries_of(app, client, page)) for page in pages}
    add_history(app, client_id, partner.id, 14)
    many = {page: len(queries_of(app, client, page)) for page in pages}

    assert few == many
    assert max(many.values()) <= 5, many


def test_the_registration_form_costs_the_same_for_a_shop_with_a_language(app, client, make_account):
    partner = make_account(RoleName.PARTNER)
    log_in(client, partner)
    before = len(queries_of(app, client, "/admin/clients/new/?modal=True"))
    with app.app_context():
        db.session.get_one(User, partner.id).language = "fr"
        db.session.commit()

    after = len(queries_of(app, client, "/admin/clients/new/?modal=True"))

    assert before == after


def test_the_accounts_page_costs_the_same_with_3_and_30_named_shops(app, client, make_account):
    log_in(client, make_account(RoleName.ADMIN))

    def add_shops(count: int) -> int:
        for index in range(count):
            shop = make_account(RoleName.PARTNER)
            with app.app_context():
                db.session.get_one(User, shop.id).shop_name = f"Shop {index}"
                db.session.commit()
        return len(queries_of(app, client, "/admin/accounts/?page_size=50"))

    few = add_shops(3)
    many = add_shops(27)

    assert few == many <= 4
