"""The messaging tables hold personal data: a client's export lists its language, consent
periods, outbox messages and notifications; erasing (or deleting, or merging) a client leaves
none of them behind, and its shop's unread count follows. The database itself cascades them."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from admin_app.data.messaging import ClientConsent, Notification, OutboxMessage
from admin_app.data.models import Client, User
from admin_app.domain.clients import merge_clients
from admin_app.domain.missions import register_walk_in_client, start_mission
from admin_app.extensions import db, security
from tests.conftest import log_in, post_with_csrf
from tests.test_personal_data import every_text_value

PERSON = {"first_name": "Eva", "last_name": "Erasmus", "email": "eva.erasmus@example.com",
          "phone": "+33699887766", "city": "Nantes"}  # fmt: skip
OTHER_PERSON = {"first_name": "Oscar", "last_name": "Keeper", "email": "oscar@example.org",
                "phone": "+33611112222", "city": "Brest"}  # fmt: skip
#: A mail server's refusal naming the address: the outbox keeps it, erasure must remove it.
REFUSAL = "550 5.1.1 <{email}>: mailbox unavailable"


def client_with_messages(app, partner_id: int, admin_id: int, **person: str) -> str:
    """A client an admin registered for the partner, in French, with consent: an "opened"
    message (sent), a "started" one (failed with the server's refusal), the shop notified;
    then its consent withdrawn at the counter."""
    person = {**PERSON, **person}
    with app.app_context():
        admin = db.session.get_one(User, admin_id)
        client, mission = register_walk_in_client(
            db.session.get_one(User, partner_id),
            actor=admin,
            language="fr",
            email_consent=True,
            **person,
        )
        start_mission(mission.id, admin)
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.event == "opened", OutboxMessage.client_id == client.id)
            .values(status="sent", attempts=1, sent_at=func.now())
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.event == "started", OutboxMessage.client_id == client.id)
            .values(status="failed", attempts=5, last_error=REFUSAL.format(**person))
        )
        db.session.commit()
        return client.id


def withdraw_at_the_counter(client, client_id: str) -> None:
    response = post_with_csrf(
        client,
        f"/admin/clients/edit/?id={client_id}",
        {**PERSON, "phone": "0699887766", "language": "fr", "consent_shown": "1"},
    )
    assert response.status_code == 302


def rows_about(app, client_id: str) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(
                select(func.count()).select_from(model).where(model.client_id == client_id)
            )
            for model in (ClientConsent, OutboxMessage, Notification)
        }


def unread(app, partner_id: int) -> int:
    with app.app_context():
        return db.session.get_one(User, partner_id).unread_notifications


def test_the_export_lists_language_consent_messages_and_notifications(app, client, world):
    client_id = client_with_messages(app, world.partner_a.id, world.admin.id)
    log_in(client, world.admin)
    withdraw_at_the_counter(client, client_id)

    data = client.get(f"/admin/clients/personal-data/?id={client_id}").get_json()

    assert data["client"]["language"] == "fr"
    (period,) = data["consent"]
    assert (period["channel"], period["given_by"]) == ("email", world.admin.email)
    assert (period["withdrawn_via"], period["withdrawn_by"]) == ("panel", world.admin.email)
    assert period["given_at"] and period["withdrawn_at"]
    assert [
        (m["event"], m["status"], m["attempts"], m["last_error"]) for m in data["messages"]
    ] == [("opened", "sent", 1, None), ("started", "failed", 5, REFUSAL.format(**PERSON))]
    assert data["messages"][0]["sent_at"] and data["messages"][0]["created_at"]
    assert {m["mission_id"] for m in data["messages"]} == {data["missions"][0]["id"]}
    (notification,) = data["notifications"]
    assert notification["kind"] == "mission_opened" and notification["by"] == world.admin.email
    assert notification["read_at"] is None


def test_erasing_a_client_removes_its_consent_messages_and_notifications(app, client, world):
    client_id = client_with_messages(app, world.partner_a.id, world.admin.id)
    kept = client_with_messages(app, world.partner_a.id, world.admin.id, **OTHER_PERSON)
    log_in(client, world.admin)
    withdraw_at_the_counter(client, client_id)
    assert rows_about(app, client_id) == {
        "client_consent": 1,
        "outbox_message": 2,
        "notification": 1,
    }
    assert unread(app, world.partner_a.id) == 2

    response = post_with_csrf(client, "/admin/clients/erase/", {"id": client_id})

    assert response.status_code == 302
    assert rows_about(app, client_id) == {
        "client_consent": 0,
        "outbox_message": 0,
        "notification": 0,
    }
    assert rows_about(app, kept)["outbox_message"] == 2
    assert unread(app, world.partner_a.id) == 1, "the erased client's notification is uncounted"
    text = "\n".join(every_text_value(app))
    for value in (*PERSON.values(), REFUSAL.format(**PERSON)):
        assert value not in text, value


def test_a_partner_deleting_its_client_uncounts_its_unread_notifications(app, client, world):
    client_id = client_with_messages(app, world.partner_a.id, world.admin.id)
    log_in(client, world.partner_a)

    response = post_with_csrf(client, "/admin/clients/delete/", {"id": client_id})

    assert response.status_code == 302
    assert rows_about(app, client_id) == {
        "client_consent": 0,
        "outbox_message": 0,
        "notification": 0,
    }
    assert unread(app, world.partner_a.id) == 0


def test_the_database_cascades_a_deleted_clients_messaging_rows(app, world):
    """No rule of ours runs: a client row deleted by hand (or with its partner) takes its
    consent, messages and notifications with it, on SQLite as on PostgreSQL."""
    client_id = client_with_messages(app, world.partner_a.id, world.admin.id)
    other_id = client_with_messages(app, world.partner_b.id, world.admin.id, **OTHER_PERSON)

    with app.app_context():
        db.session.execute(delete(Client).where(Client.id == client_id))
        security.datastore.delete_user(db.session.get_one(User, world.partner_b.id))
        db.session.commit()

    for gone in (client_id, other_id):
        assert rows_about(app, gone) == {
            "client_consent": 0,
            "outbox_message": 0,
            "notification": 0,
        }
    with app.app_context():
        for model in (ClientConsent, OutboxMessage, Notification):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_a_merge_moves_messages_and_notifications_to_the_kept_client(app, world):
    dropped = client_with_messages(app, world.partner_a.id, world.admin.id)
    with app.app_context():
        keep, _ = register_walk_in_client(
            db.session.get_one(User, world.partner_a.id), **{**PERSON, "first_name": "Evaa"}
        )
        keep_id = keep.id
        merge_clients(keep_id, dropped, db.session.get_one(User, world.admin.id))

    assert rows_about(app, keep_id) == {"client_consent": 0, "outbox_message": 2, "notification": 1}
    assert rows_about(app, dropped)["client_consent"] == 0
    assert unread(app, world.partner_a.id) == 1
