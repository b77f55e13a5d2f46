"""Personal data requests (admins): export all held about a client as JSON, and erase it."""

from __future__ import annotations

from sqlalchemy import String, Text, inspect, select

from admin_app.data.models import User
from admin_app.domain.missions import start_mission
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, register_client

PERSON = {"last_name": "Erasmus", "email": "eva.erasmus@example.com", "phone": "+33699887766",
          "address": "12 rue des Lilas", "city": "Nantes", "postal_code": "44000"}  # fmt: skip


def client_with_history(app, partner_id: int, admin_id: int) -> tuple[str, str]:
    with app.app_context():
        client_id, mission_id = register_client(partner_id, "Eva", **dict(PERSON))
        start_mission(mission_id, db.session.get_one(User, admin_id))
        return client_id, mission_id


def test_admin_exports_everything_held_about_a_client(app, client, world):
    client_id, mission_id = client_with_history(app, world.partner_a.id, world.admin.id)
    log_in(client, world.admin)

    response = client.get(f"/admin/clients/personal-data/?id={client_id}")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert (
        data["client"]["email"] == PERSON["email"]
        and data["client"]["address"] == PERSON["address"]
    )
    (mission,) = data["missions"]
    assert mission["id"] == mission_id and mission["status"] == "in_progress"
    assert [(h["from"], h["to"], h["by"]) for h in mission["history"]] == [
        (None, "pending", world.partner_a.email),
        ("pending", "in_progress", world.admin.email),
    ]


def every_text_value(app) -> list[str]:
    """Every text value of every table, audit log and sessions included."""
    values = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in db.session.execute(select(*columns)) if columns else []:
                values.extend(str(v) for v in row if v is not None)
    return values


def test_erasing_a_client_leaves_no_trace_of_its_personal_data(app, client, world):
    client_id, _ = client_with_history(app, world.partner_a.id, world.admin.id)
    log_in(client, world.admin)
    client.get(f"/admin/clients/?search={PERSON['last_name']}")
    client.get(f"/admin/clients/export/csv/?search={PERSON['email']}")
    client.get(f"/admin/clients/personal-data/?id={client_id}")

    response = post_with_csrf(client, "/admin/clients/erase/", {"id": client_id})

    assert response.status_code == 302
    text = "\n".join(every_text_value(app))
    for value in PERSON.values():
        assert value not in text, value
    assert "Eva" not in text
    with app.app_context():
        assert inspect(db.engine).has_table("audit_event")


def test_only_admins_handle_personal_data(app, client, world):
    for account in (world.partner_a, world.support):
        visitor = app.test_client()
        log_in(visitor, account)
        assert visitor.get(f"/admin/clients/personal-data/?id={world.a_client}").status_code == 403
        assert (
            post_with_csrf(visitor, "/admin/clients/erase/", {"id": world.a_client}).status_code
            == 403
        )
    log_in(client, world.partner_a)
    page = client.get(f"/admin/clients/details/?id={world.a_client}").get_data(as_text=True)
    assert 'data-testid="personal-data"' not in page


def test_erase_needs_a_csrf_token_and_an_existing_client(app, client, world):
    log_in(client, world.admin)

    without_token = client.post("/admin/clients/erase/", data={"id": world.a_client})
    unknown = post_with_csrf(
        client, "/admin/clients/erase/", {"id": "00000000-0000-4000-8000-000000000000"}
    )

    assert without_token.status_code == 400 and unknown.status_code == 404
    assert client.get(f"/admin/clients/details/?id={world.a_client}").status_code == 200
