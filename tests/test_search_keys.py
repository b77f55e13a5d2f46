"""A client's search keys follow it: written with it, renewed when an edit changes a searched
value, gone when it is deleted, erased or merged away, in the same transaction; bench data
writes the same keys as the model; migration 0013 fills them for existing clients."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text

from admin_app import create_app
from admin_app.data.bench_data import BenchSize, fill
from admin_app.data.models import Client, ClientSearchKey, RoleName, User
from admin_app.data.search_keys import client_search_keys
from admin_app.domain.clients import delete_client, erase_client, merge_clients, update_client
from admin_app.domain.search import matching_clients
from admin_app.extensions import db
from tests.conftest import register_client, settings_for_tests
from tests.databases import fresh_database


def keys_of(client_id: str) -> set[str]:
    return set(db.session.scalars(select(ClientSearchKey.key).where(
        ClientSearchKey.client_id == client_id
    )))  # fmt: skip


def found(text_: str, user: User) -> set[str]:
    return set(db.session.scalars(matching_clients(text_, user)))


def test_a_registered_client_is_found_by_its_keys_and_only_those(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    client_id, _ = register_client(
        partner.id, "Hélène", last_name="Dupré-Lefèvre", email="h.dupre@example.fr",
        phone="+33612341290",
    )  # fmt: skip

    assert keys_of(client_id) == {
        "helene", "dupre-lefevre", "lefevre", "h.dupre@example.fr", "dupre@example.fr",
        "example.fr", "fr", "+33612341290", "#09214321633",
    }  # fmt: skip
    assert found("lefèvre", partner) == found("12 90", partner) == {client_id}


def test_an_edit_renews_the_keys_of_the_changed_values(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    client_id, _ = register_client(
        partner.id, "Hélène", last_name="Dupré-Lefèvre", email="h@example.fr", phone="+33612341290"
    )
    update_client(
        client_id, partner, first_name="Hélène", last_name="Martin-Ruiz", email="h@shop.example",
        phone="+33698765432",
    )  # fmt: skip

    assert found("ruiz", partner) == found("shop", partner) == found("5432", partner) == {client_id}
    assert found("lefevre", partner) == found("example.fr", partner) == found("1290", partner)
    assert found("lefevre", partner) == set()
    assert keys_of(client_id) == client_search_keys(
        "Hélène", "Martin-Ruiz", "h@shop.example", "+33698765432"
    )


def test_an_edit_of_other_fields_keeps_the_keys(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    client_id, _ = register_client(partner.id, "Zélie", last_name="Quintal", city="Lyon")
    before = keys_of(client_id)
    update_client(
        client_id, partner, first_name="Zélie", last_name="Quintal", email="zelie@example.com",
        phone="+33612345678", city="Nantes",
    )  # fmt: skip

    assert keys_of(client_id) == before and before


def test_deleting_erasing_or_merging_a_client_away_removes_its_keys(ctx, make_user):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    deleted, _ = register_client(partner.id, "Delphine", last_name="Deleted")
    erased, _ = register_client(partner.id, "Erwan", last_name="Erased")
    kept, _ = register_client(partner.id, "Kim", last_name="Kept")
    merged, _ = register_client(partner.id, "Kim", last_name="Merged")

    delete_client(deleted, partner)
    erase_client(erased, admin)
    merge_clients(kept, merged, admin)

    assert all(keys_of(gone) == set() for gone in (deleted, erased, merged))
    assert found("kim", admin) == {kept}
    assert found("merged", admin) == found("erased", admin) == found("deleted", admin) == set()


def test_bench_data_writes_the_keys_the_model_writes(ctx):
    fill(BenchSize(partners=2, clients=30, missions=40))

    clients = db.session.scalars(select(Client)).all()
    assert len(clients) == 30
    for client in clients:
        expected = client_search_keys(
            client.first_name, client.last_name, client.email, client.phone
        )
        assert keys_of(client.id) == expected
    partners = select(func.count()).select_from(ClientSearchKey).join(Client).where(
        Client.partner_id != ClientSearchKey.partner_id
    )  # fmt: skip
    assert db.session.scalar(partners) == 0


def insert_clients_of_revision_0011(count: int) -> None:
    """A partner and ``count`` clients written as revision 0011 would hold them."""
    now = {"now": "2026-01-01 00:00:00"}
    db.session.execute(
        text(
            'INSERT INTO "user" (id, email, active, fs_uniquifier, create_datetime,'
            " update_datetime) VALUES (1, 'p@walkin.example.com', true, 'u1', :now, :now)"
        ),
        now,
    )
    db.session.execute(
        text(
            "INSERT INTO walk_in_client (id, first_name, last_name, email, phone, created_at,"
            " updated_at, partner_id) VALUES (:id, 'Hélène', :last, :email, :phone, :now, :now,"
            " 1)"
        ),
        [
            {"id": f"c{index:04d}", "last": f"Dupré-Lefèvre{index}", "now": now["now"],
             "email": f"h{index}@example.fr", "phone": f"+336123{index:05d}"}
            for index in range(count)
        ],
    )  # fmt: skip
    db.session.commit()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_migration_0013_fills_the_keys_of_existing_clients_in_batches_and_goes_back(tmp_path):
    with fresh_database(tmp_path, "search_keys") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade(revision="0011")
            insert_clients_of_revision_0011(5_003)
            upgrade()  # in batches of 5,000 clients: two batches

            stored = db.session.execute(select(ClientSearchKey.client_id, ClientSearchKey.key))
            by_client: dict[str, set[str]] = {}
            for client_id, key in stored:
                by_client.setdefault(client_id, set()).add(key)
            assert len(by_client) == 5_003
            assert by_client["c5002"] == client_search_keys(
                "Hélène", "Dupré-Lefèvre5002", "h5002@example.fr", "+33612305002"
            )
            assert by_client["c0007"] == client_search_keys(
                "Hélène", "Dupré-Lefèvre7", "h7@example.fr", "+33612300007"
            )
            db.session.remove()

            downgrade(revision="0011")
            assert "client_search_key" not in table_names()
            indexes = {index["name"] for index in inspect(db.engine).get_indexes("walk_in_client")}
            assert {"ix_walk_in_client_last_name_key", "ix_walk_in_client_phone"} <= indexes
            upgrade()
            assert db.session.scalar(select(func.count()).select_from(ClientSearchKey)) > 5 * 5_003
            db.session.remove()
            db.engine.dispose()
