"""The audit log records logins, account changes, deletions, exports and refused access."""

from __future__ import annotations

import json

from sqlalchemy import select

from admin_app.data.models import AuditEvent, RoleName
from admin_app.extensions import db
from tests.conftest import Account, attempt_login, log_in, post_with_csrf


def events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)


def test_logins_are_recorded_without_the_password(app, client, make_account):
    account = make_account(RoleName.PARTNER)

    attempt_login(client, Account(account.id, account.email, "wrong-password-123"))
    attempt_login(client, Account(account.id, "nobody@walkin.example.com", "another-wrong-one"))
    log_in(client, account)

    failures, successes = events(app, "login.failure"), events(app, "login.success")
    assert [json.loads(e.details)["email"] for e in failures] == [
        account.email,
        "nobody@walkin.example.com",
    ]
    assert len(successes) == 1 and successes[0].actor_email == account.email
    assert successes[0].address == "127.0.0.1" and successes[0].at.tzinfo is not None
    for event in events(app):
        assert "wrong-password" not in (event.details or "") and account.password not in (
            event.details or ""
        )


def test_logout_is_recorded_with_who_logged_out(app, client, login_as):
    account = login_as(RoleName.SUPPORT)

    post_with_csrf(client, "/logout")

    assert [e.actor_email for e in events(app, "logout")] == [account.email]


def test_account_changes_and_client_deletions_and_exports_are_recorded(app, client, world):
    log_in(client, world.admin)

    post_with_csrf(client, f"/admin/accounts/edit/?id={world.support.id}", {"roles": ["support"]})
    post_with_csrf(client, "/admin/clients/delete/", {"id": world.b_client})
    client.get("/admin/missions/export/csv/?search=alice")

    update = events(app, "account.update")[0]
    assert (
        update.target == f"user:{world.support.id}"
        and json.loads(update.details)["active"] is False
    )
    assert events(app, "client.delete")[0].target == f"walk_in_client:{world.b_client}"
    export = events(app, "export")[0]
    assert export.target == "missions" and json.loads(export.details)["parameters"] == ["search"]
    changes = [e for e in events(app) if not e.action.startswith("login.")]
    assert changes and all(e.actor_email == world.admin.email for e in changes)


def test_refused_access_to_another_partners_row_is_recorded(app, client, world):
    log_in(client, world.partner_b)

    client.get(f"/admin/clients/details/?id={world.a_client}")
    post_with_csrf(
        client, "/admin/missions/transition/", {"id": world.a_mission, "action": "start"}
    )
    client.get("/admin/clients/details/?id=00000000-0000-4000-8000-000000000000")

    refused = events(app, "access.refused")
    assert [e.target for e in refused] == [
        f"walk_in_client:{world.a_client}",
        f"walk_in_mission:{world.a_mission}",
    ]
    assert {e.actor_email for e in refused} == {world.partner_b.email}


def test_admins_read_the_log_but_nobody_changes_it(app, client, world):
    log_in(client, world.partner_a)
    assert client.get("/admin/audit/").status_code == 403
    log_in(app.test_client(), world.partner_b)
    admin = app.test_client()
    log_in(admin, world.admin)
    first = events(app)[0]

    listing = admin.get("/admin/audit/?flt0_0=login.success")
    refused = [
        admin.get(f"/admin/audit/edit/?id={first.id}").status_code,
        post_with_csrf(admin, "/admin/audit/delete/", {"id": first.id}).status_code,
        admin.get("/admin/audit/new/").status_code,
    ]

    assert listing.status_code == 200 and world.partner_b.email in listing.get_data(as_text=True)
    assert refused == [403, 403, 403]
    assert events(app)[0].id == first.id
