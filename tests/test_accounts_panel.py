"""Accounts page (admins only): create with hashed password, roles, deactivation, last admin."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from admin_app.data.models import RoleName, User
from admin_app.domain.accounts import lock_admin_role, update_account
from admin_app.domain.errors import ValidationError
from admin_app.extensions import db
from tests.conftest import Account, attempt_login, log_in, post_with_csrf

STRONG = "correct-horse-battery-staple-42"


def stored(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
        if user is not None:
            user.role_names = sorted(role.name for role in user.roles)
            db.session.expunge(user)
        return user


def test_admin_creates_a_partner_who_can_log_in(app, client, login_as):
    login_as(RoleName.ADMIN)

    response = post_with_csrf(
        client,
        "/admin/accounts/new/",
        {
            "email": "New.Shop@Walkin.example.com",
            "password": STRONG,
            "roles": ["partner"],
            "active": "y",
        },
    )

    assert response.status_code == 302
    user = stored(app, "new.shop@walkin.example.com")
    assert user.role_names == ["partner"] and user.password.startswith("$argon2")
    fresh = app.test_client()
    log_in(fresh, Account(user.id, user.email, STRONG))


def test_short_password_and_duplicate_email_are_refused_at_their_fields(app, client, login_as):
    admin = login_as(RoleName.ADMIN)

    short = post_with_csrf(
        client,
        "/admin/accounts/new/",
        {"email": "a@walkin.example.com", "password": "short", "roles": ["support"]},
    )
    taken = post_with_csrf(
        client,
        "/admin/accounts/new/",
        {"email": admin.email, "password": STRONG, "roles": ["support"]},
    )

    assert short.status_code == 200 and "12" in short.get_data(as_text=True)
    assert stored(app, "a@walkin.example.com") is None
    assert (
        taken.status_code == 200
        and "Another account already uses this email." in taken.get_data(as_text=True)
    )


def test_admin_changes_roles_and_deactivates_an_account(app, client, login_as, make_account):
    partner = make_account(RoleName.PARTNER)
    partner_client = app.test_client()
    log_in(partner_client, partner)
    login_as(RoleName.ADMIN)

    response = post_with_csrf(
        client, f"/admin/accounts/edit/?id={partner.id}", {"roles": ["support"]}
    )

    assert response.status_code == 302
    user = stored(app, partner.email)
    assert user.role_names == ["support"] and user.active is False
    assert user.password.startswith("$argon2")
    assert partner_client.get("/admin/").status_code == 302
    assert attempt_login(app.test_client(), partner).status_code == 200


def test_edit_form_never_carries_the_password_hash(app, client, login_as, make_account):
    partner = make_account(RoleName.PARTNER)
    login_as(RoleName.ADMIN)

    page = client.get(f"/admin/accounts/edit/?id={partner.id}").get_data(as_text=True)

    assert "$argon2" not in page
    assert 'value="partner" selected' in page or "selected" in page


def test_last_admin_cannot_deactivate_or_demote_itself(app, client, login_as):
    admin = login_as(RoleName.ADMIN)

    demote = post_with_csrf(
        client, f"/admin/accounts/edit/?id={admin.id}", {"roles": ["partner"], "active": "y"}
    )
    deactivate = post_with_csrf(
        client, f"/admin/accounts/edit/?id={admin.id}", {"roles": ["admin"]}
    )

    for response in (demote, deactivate):
        assert response.status_code == 200
        assert "The last active admin must stay an active admin." in response.get_data(as_text=True)
    user = stored(app, admin.email)
    assert user.role_names == ["admin"] and user.active is True


def test_an_admin_may_step_down_when_another_admin_remains(app, client, login_as, make_account):
    make_account(RoleName.ADMIN)
    admin = login_as(RoleName.ADMIN)

    response = post_with_csrf(
        client, f"/admin/accounts/edit/?id={admin.id}", {"roles": ["support"], "active": "y"}
    )

    assert response.status_code == 302
    assert stored(app, admin.email).role_names == ["support"]


def test_admin_resets_a_password(app, client, login_as, make_account):
    partner = make_account(RoleName.PARTNER)
    login_as(RoleName.ADMIN)

    post_with_csrf(
        client,
        f"/admin/accounts/edit/?id={partner.id}",
        {"roles": ["partner"], "active": "y", "password": STRONG},
    )

    log_in(app.test_client(), Account(partner.id, partner.email, STRONG))


def test_weak_passwords_are_refused_by_the_strength_check(app, client, login_as):
    login_as(RoleName.ADMIN)

    for weak in ("passwordpassword", "aaaaaaaaaaaaaaaa", "123456789012", "x" * 129):
        response = post_with_csrf(
            client,
            "/admin/accounts/new/",
            {"email": "weak@walkin.example.com", "password": weak, "roles": ["support"]},
        )
        assert response.status_code == 200, weak
    assert stored(app, "weak@walkin.example.com") is None


def test_two_admins_stepping_down_at_once_leave_one_admin(app, make_account):
    """PostgreSQL: the second demotion waits for the first, then sees it and is refused."""
    first, second = make_account(RoleName.ADMIN), make_account(RoleName.ADMIN)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks: PostgreSQL only (SQLite runs one writer at a time)")
        lock_admin_role()  # this transaction plays the first admin, mid-demotion
        outcome: list[object] = []
        waiting = threading.Thread(target=step_down, args=(app, second.id, outcome))
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive(), "the second demotion must wait for the first"
        user = db.session.get_one(User, first.id)
        user.roles = [role for role in user.roles if role.name != RoleName.ADMIN.value]
        db.session.commit()
        waiting.join(timeout=10)

    assert len(outcome) == 1 and isinstance(outcome[0], ValidationError), outcome
    with app.app_context():
        assert db.session.get_one(User, second.id).has_role(RoleName.ADMIN)


def step_down(app, user_id: int, outcome: list[object]) -> None:
    with app.app_context():
        try:
            outcome.append(update_account(db.session.get_one(User, user_id), roles=[], active=True))
        except ValidationError as refusal:
            outcome.append(refusal)
        finally:
            db.session.remove()
