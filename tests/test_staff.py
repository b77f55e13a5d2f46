"""A shop's staff: they work on the shop's rows exactly as its partner does, are named as the
ones who acted, and are managed by the partner on its Staff page (admins on the accounts page).
Another shop's rows and staff answer 404 (``test_access_matrix.py`` tries every URL)."""

from __future__ import annotations

import re

from sqlalchemy import select

from admin_app.data.models import (
    AuditEvent,
    Client,
    Mission,
    MissionEvent,
    MissionNote,
    RoleName,
    User,
)
from admin_app.domain.accounts import update_account
from admin_app.extensions import db
from tests.conftest import Account, attempt_login, log_in, post_with_csrf

STRONG = "correct-horse-battery-staple-42"
NEW_CLIENT = {
    "first_name": "Sacha",
    "last_name": "Petit",
    "email": "sacha.petit@example.com",
    "phone": "+33612345670",
}
PASSWORD_SHOWN = re.compile(r'<code data-testid="new-password">([^<]+)</code>')


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        events = list(db.session.scalars(query))
        db.session.expunge_all()
        return events


def stored_user(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge_all()
        return user


def figures(client) -> dict:
    return client.get("/admin/figures.json").get_json()


def test_staff_see_the_shops_rows_and_nothing_else(client, world):
    log_in(client, world.staff_a)

    clients = client.get("/admin/clients/").get_data(as_text=True)
    missions = client.get("/admin/missions/").get_data(as_text=True)
    export = client.get("/admin/clients/export/csv/").get_data(as_text=True)

    for page in (clients, missions, export):
        assert "alice@example.com" in page and "bruno@example.com" not in page
    assert "List (2)" in clients
    assert figures(client)["clients"] == 2
    assert client.get(f"/admin/clients/details/?id={world.b_client}").status_code == 404


def test_staff_registration_belongs_to_the_shop_and_counts_in_its_figures(app, client, world):
    partner = app.test_client()
    log_in(partner, world.partner_a)
    before = figures(partner)
    log_in(client, world.staff_a)

    response = post_with_csrf(client, "/admin/clients/new/", NEW_CLIENT)

    assert response.status_code == 302
    assert figures(partner)["clients"] == before["clients"] + 1
    assert figures(partner)["active"] == before["active"] + 1
    assert figures(client) == figures(partner)
    with app.app_context():
        registered = db.session.scalars(select(Client).where(Client.first_name == "Sacha")).one()
        mission = db.session.scalars(select(Mission).where(Mission.client == registered)).one()
        creation = db.session.scalars(select(MissionEvent).where(MissionEvent.mission == mission))
        assert registered.partner_id == mission.partner_id == world.partner_a.id
        assert [event.actor_id for event in creation] == [world.staff_a.id]


def test_staff_edit_and_move_missions_and_the_history_names_them(app, client, world):
    log_in(client, world.staff_a)

    edited = post_with_csrf(
        client,
        f"/admin/clients/edit/?id={world.a_client}",
        {**NEW_CLIENT, "first_name": "Alicia", "email": "alice@example.com"},
    )
    started = post_with_csrf(
        client, "/admin/missions/transition/", {"id": world.a_mission, "action": "start"}
    )
    notes = post_with_csrf(
        client, "/admin/missions/note/", {"id": world.a_mission, "text": "called back"}
    )
    page = client.get(f"/admin/missions/details/?id={world.a_mission}").get_data(as_text=True)

    assert (edited.status_code, started.status_code, notes.status_code) == (302, 302, 302)
    timeline = page[page.index('data-testid="timeline"') :]
    assert world.staff_a.email in timeline and "called back" in timeline
    with app.app_context():
        mission = db.session.get_one(Mission, world.a_mission)
        [note] = db.session.scalars(select(MissionNote).filter_by(mission_id=mission.id))
        assert (note.author_id, note.text) == (world.staff_a.id, "called back")
        assert mission.status.value == "in_progress"
        assert mission.client.first_name == "Alicia"
        assert mission.events[-1].actor_id == world.staff_a.id


def test_the_audit_log_names_the_staff_member_not_the_partner(app, client, world):
    log_in(client, world.staff_a)

    post_with_csrf(client, "/admin/clients/delete/", {"id": world.a_client})
    client.get("/admin/missions/export/csv/")

    for action in ("client.delete", "export"):
        [event] = audit(app, action)
        assert (event.actor_id, event.actor_email) == (world.staff_a.id, world.staff_a.email)


def test_staff_of_a_deactivated_shop_reach_nothing(app, client, world):
    log_in(client, world.staff_a)
    with app.test_request_context():
        shop = db.session.get_one(User, world.partner_a.id)
        update_account(shop, roles=["partner"], active=False)

    assert client.get("/admin/").status_code == 403
    assert client.get(f"/admin/clients/details/?id={world.a_client}").status_code == 403


def test_partner_adds_a_staff_member_whose_made_up_password_is_shown_once(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, "/admin/staff/new/", {"email": "Noa@Example.com"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = PASSWORD_SHOWN.search(page).group(1)
    staff = stored_user(app, "noa@example.com")
    assert staff.shop_id == world.partner_a.id and staff.password.startswith("$argon2")
    assert password not in staff.password
    listed = client.get("/admin/staff/").get_data(as_text=True)
    assert "noa@example.com" in listed and world.staff_a.email in listed
    assert world.staff_b.email not in listed and password not in listed
    [created] = [e for e in audit(app, "account.create") if e.account_email == "noa@example.com"]
    assert created.actor_email == world.partner_a.email and password not in created.details
    fresh = app.test_client()
    log_in(fresh, Account(staff.id, staff.email, password))
    assert "alice@example.com" in fresh.get("/admin/clients/").get_data(as_text=True)


def test_partner_sets_the_password_and_a_weak_one_is_refused(app, client, world):
    log_in(client, world.partner_a)

    weak = post_with_csrf(client, "/admin/staff/new/", {"email": "a@example.com", "password": "x"})
    strong = post_with_csrf(
        client, "/admin/staff/new/", {"email": "b@example.com", "password": STRONG}
    )

    assert weak.status_code == 200 and "This password cannot be used" in weak.get_data(True)
    assert strong.status_code == 302
    log_in(app.test_client(), Account(0, "b@example.com", STRONG))


def test_deactivating_a_staff_member_ends_its_sessions_and_reactivating_lets_it_back(
    app, client, world
):
    staff = app.test_client()
    log_in(staff, world.staff_a)
    log_in(client, world.partner_a)

    off = post_with_csrf(client, "/admin/staff/active/", {"id": world.staff_a.id, "active": "0"})

    assert off.status_code == 302
    assert staff.get("/admin/").headers["Location"].startswith("/login")
    assert attempt_login(app.test_client(), world.staff_a).status_code != 302
    on = post_with_csrf(client, "/admin/staff/active/", {"id": world.staff_a.id, "active": "1"})
    assert on.status_code == 302
    log_in(app.test_client(), world.staff_a)
    changes = [e for e in audit(app, "account.update") if e.account_email == world.staff_a.email]
    assert [e.actor_email for e in changes] == [world.partner_a.email] * 2
    assert ['"active": false', '"active": true'] == [
        '"active": false' if '"active": false' in e.details else '"active": true' for e in changes
    ]


def test_resetting_a_password_asks_first_then_logs_the_staff_member_out(app, client, world):
    staff = app.test_client()
    log_in(staff, world.staff_a)
    log_in(client, world.partner_a)
    url = f"/admin/staff/reset-password/?id={world.staff_a.id}"

    confirmation = client.get(url)
    assert staff.get("/admin/").status_code == 200
    reset = post_with_csrf(client, url, {"password": ""})

    assert confirmation.status_code == 200 and 'data-testid="staff-reset"' in confirmation.text
    password = PASSWORD_SHOWN.search(reset.get_data(as_text=True)).group(1)
    assert staff.get("/admin/").headers["Location"].startswith("/login")
    assert attempt_login(app.test_client(), world.staff_a).status_code != 302
    log_in(app.test_client(), Account(world.staff_a.id, world.staff_a.email, password))
    [event] = [e for e in audit(app, "account.update") if e.account_email == world.staff_a.email]
    assert '"password_changed": true' in event.details


def test_staff_cannot_manage_accounts_not_even_their_colleagues(app, client, world):
    log_in(client, world.staff_a)

    refused = [
        client.get("/admin/staff/").status_code,
        client.get("/admin/accounts/").status_code,
        post_with_csrf(client, "/admin/staff/new/", {"email": "c@example.com"}).status_code,
        post_with_csrf(
            client, "/admin/staff/active/", {"id": world.staff_a.id, "active": "0"}
        ).status_code,
    ]

    assert refused == [403, 403, 403, 403]
    assert "/admin/staff/" not in client.get("/admin/").get_data(as_text=True)


def test_admins_see_staff_under_their_shop_and_manage_them(app, client, world):
    log_in(client, world.admin)

    listing = client.get("/admin/accounts/").get_data(as_text=True)
    created = post_with_csrf(
        client,
        "/admin/accounts/new/",
        {"email": "lou@example.com", "password": STRONG, "roles": ["staff"],
         "shop": world.partner_b.id, "active": "y"},
    )  # fmt: skip
    shopless = post_with_csrf(
        client,
        "/admin/accounts/new/",
        {"email": "max@example.com", "password": STRONG, "roles": ["staff"], "active": "y"},
    )

    assert ">Shop<" in listing
    assert created.status_code == 302
    assert stored_user(app, "lou@example.com").shop_id == world.partner_b.id
    assert "Choose the shop (a partner account) of this staff account." in shopless.text
    by_shop = client.get(f"/admin/accounts/?flt1_2={world.partner_b.id}").get_data(as_text=True)
    assert "lou@example.com" in by_shop and world.staff_b.email in by_shop
    assert world.staff_a.email not in by_shop


def test_a_shop_with_staff_stays_a_partner(app, client, world):
    log_in(client, world.admin)

    response = post_with_csrf(
        client,
        f"/admin/accounts/edit/?id={world.partner_a.id}",
        {"roles": ["support"], "shop": "", "active": "y"},
    )

    assert "This shop has staff accounts: it stays a partner." in response.get_data(True)
    with app.app_context():
        assert db.session.get_one(User, world.partner_a.id).has_role(RoleName.PARTNER)


def test_deleting_a_shop_deletes_its_staff(app, world):
    with app.app_context():
        db.session.delete(db.session.get_one(User, world.partner_a.id))
        db.session.commit()
        assert db.session.get(User, world.staff_a.id) is None
        assert db.session.get(User, world.staff_b.id) is not None


def test_a_partner_naming_another_shops_staff_is_answered_404_and_recorded(app, client, world):
    log_in(client, world.partner_b)

    reset = client.get(f"/admin/staff/reset-password/?id={world.staff_a.id}")
    off = post_with_csrf(client, "/admin/staff/active/", {"id": world.staff_a.id, "active": "0"})

    assert (reset.status_code, off.status_code) == (404, 404)
    refused = [e for e in audit(app, "access.refused") if e.target == f"user:{world.staff_a.id}"]
    assert [e.actor_email for e in refused] == [world.partner_b.email] * 2
    assert stored_user(app, world.staff_a.email).active


def test_the_scope_of_partners_and_staff_is_the_shop_and_nobody_elses(make_user):
    from admin_app.domain.scoping import may_change_rows, may_manage_staff, shop_id_of

    shop, admin, support = (make_user(role) for role in (RoleName.PARTNER, RoleName.ADMIN,
                                                         RoleName.SUPPORT))  # fmt: skip
    staff, shopless = make_user(RoleName.STAFF), make_user(RoleName.STAFF)
    staff.shop_id = shop.id
    db.session.commit()

    assert [shop_id_of(user) for user in (shop, staff, shopless, admin, support)] == [
        shop.id, shop.id, None, None, None,
    ]  # fmt: skip
    assert may_change_rows(staff) and not may_change_rows(shopless)
    assert may_manage_staff(shop) and not may_manage_staff(staff)
    shop.active = False
    db.session.commit()
    assert shop_id_of(staff) is None and not may_change_rows(staff)
