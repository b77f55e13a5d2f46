"""The flask commands: roles, demo data, and Flask-Security's own user commands."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from admin_app.cli import DEMO_ACCOUNTS
from admin_app.data.invoicing import ShopProfile
from admin_app.data.models import Client, Mission, MissionStatus, Role, RoleName, User
from admin_app.domain.invoices import issue_invoice
from admin_app.extensions import db
from tests.conftest import Account, attempt_login, log_in, post_with_csrf

PRINTED_ACCOUNT = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)$", re.MULTILINE)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Role, Client, Mission)
        }


def test_roles_command_creates_the_four_roles_once(app, runner):
    with app.app_context():
        db.session.execute(Role.__table__.delete())
        db.session.commit()

    first = runner.invoke(args=["walkin", "roles"])
    second = runner.invoke(args=["walkin", "roles"])

    assert "admin, partner, support, staff" in first.output
    assert "already exist" in second.output
    with app.app_context():
        names = sorted(db.session.scalars(select(Role.name)))
        assert names == ["admin", "partner", "staff", "support"]


def test_demo_creates_accounts_with_printed_passwords_that_log_in(app, runner):
    result = runner.invoke(args=["walkin", "demo"])

    assert result.exit_code == 0, result.output
    printed = {
        email: (role, password) for role, email, password in PRINTED_ACCOUNT.findall(result.output)
    }
    assert set(printed) == {email for email, _ in DEMO_ACCOUNTS}
    assert "/login" in result.output
    for email, (_, password) in printed.items():
        assert len(password) >= 12
        client = app.test_client()
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.email == email))
        # Admins set up two-factor authentication first.
        landing = "/tf-setup" if email.startswith("admin@") else "/admin/"
        log_in(client, Account(user_id, email, password), landing=landing)


def test_demo_gives_each_partner_missions_in_every_status(app, runner):
    runner.invoke(args=["walkin", "demo"])

    with app.app_context():
        partners = [u for u in db.session.scalars(select(User)) if u.has_role(RoleName.PARTNER)]
        assert len(partners) == 2
        for partner in partners:
            statuses = set(
                db.session.scalars(select(Mission.status).where(Mission.partner_id == partner.id))
            )
            assert statuses == set(MissionStatus)


def test_running_demo_twice_duplicates_nothing_and_prints_no_password(app, runner):
    runner.invoke(args=["walkin", "demo"])
    before = counts(app)

    again = runner.invoke(args=["walkin", "demo"])

    assert counts(app) == before
    assert again.output.count("unchanged") == len(DEMO_ACCOUNTS)


def test_demo_staff_member_works_on_the_paris_shops_rows(app, runner):
    runner.invoke(args=["walkin", "demo"])

    with app.app_context():
        staff = db.session.scalars(select(User).where(User.email.startswith("staff."))).one()
        assert staff.shop.email == "partner.paris@walkin.example.com"
        assert staff.has_role(RoleName.STAFF)


def test_demo_if_empty_leaves_an_existing_database_alone(app, runner, make_account):
    make_account(RoleName.ADMIN)

    result = runner.invoke(args=["walkin", "demo", "--if-empty"])

    assert "no demo data added" in result.output
    assert counts(app)["User"] == 1 and counts(app)["Client"] == 0


def test_flask_security_user_commands_work(app, runner, client):
    password = "a-long-enough-Passw0rd"
    created = runner.invoke(
        args=[
            "users",
            "create",
            "new.partner@walkin.example.com",
            "--password",
            password,
            "--active",
        ]
    )
    added = runner.invoke(args=["roles", "add", "new.partner@walkin.example.com", "partner"])

    assert created.exit_code == 0, created.output
    assert added.exit_code == 0, added.output
    with app.app_context():
        user = db.session.scalars(
            select(User).where(User.email == "new.partner@walkin.example.com")
        ).one()
        assert user.has_role(RoleName.PARTNER) and user.password.startswith("$argon2")
        user_id = user.id
    log_in(client, Account(user_id, "new.partner@walkin.example.com", password))


def test_deactivate_command_blocks_login(app, runner, client, make_account):
    account = make_account(RoleName.PARTNER)

    result = runner.invoke(args=["users", "deactivate", account.email])

    assert result.exit_code == 0, result.output
    assert attempt_login(client, account).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_mission_command_moves_a_mission_and_says_so(app, runner, world):
    result = runner.invoke(
        args=["walkin", "mission", "complete", world.a_started_mission, "--by",
              world.partner_a.email]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.output == f"Mission {world.a_started_mission} completed.\n"
    with app.app_context():
        mission = db.session.get_one(Mission, world.a_started_mission)
        assert mission.status is MissionStatus.COMPLETED


def test_mission_command_finds_the_account_whatever_the_case_of_its_email(app, runner, world):
    typed = f" {world.partner_a.email.upper()} "
    result = runner.invoke(args=["walkin", "mission", "start", world.a_mission, "--by", typed])

    assert result.exit_code == 0, result.output
    with app.app_context():
        event = db.session.get_one(Mission, world.a_mission).events[-1]
        assert event.actor_id == world.partner_a.id


@pytest.mark.parametrize(
    ("action", "mission", "by", "said"),
    [
        ("complete", "a_mission", "partner_a",
         "Not done: cannot complete this mission: it is pending."),
        ("start", "a_mission", "partner_b", "Not done: mission {id} not found."),
        ("start", "a_mission", "support", "may not change missions."),
    ],
)  # fmt: skip
def test_mission_command_prints_a_refusal_in_english_and_fails(
    app, runner, world, action, mission, by, said
):
    mission_id = getattr(world, mission)

    result = runner.invoke(
        args=["walkin", "mission", action, mission_id, "--by", getattr(world, by).email]
    )

    assert result.exit_code == 1
    assert said.format(id=mission_id) in result.output
    with app.app_context():
        assert db.session.get_one(Mission, mission_id).status is MissionStatus.PENDING


def test_mission_command_knows_only_the_actions_of_the_table(runner, world):
    result = runner.invoke(
        args=["walkin", "mission", "archive", world.a_mission, "--by", world.partner_a.email]
    )

    assert result.exit_code == 2 and "'start', 'complete', 'cancel'" in result.output


def test_an_address_differing_only_by_case_is_the_same_account(app, runner, client, login_as):
    """``flask users create`` and the accounts page store one form of an address, and the
    second spelling of it is refused as taken instead of making an account that never logs in."""
    password = "a-long-enough-Passw0rd"
    created = runner.invoke(
        args=["users", "create", "Mixed.Case@walkin.example.com", "--password", password,
              "--active"]
    )  # fmt: skip
    login_as(RoleName.ADMIN)

    again = post_with_csrf(
        client,
        "/admin/accounts/new/",
        {"email": "mixed.case@walkin.example.com", "password": password, "roles": ["support"]},
    )

    assert created.exit_code == 0, created.output
    assert "Another account already uses this email." in again.get_data(as_text=True)
    with app.app_context():
        emails = db.session.scalars(select(User.email).where(User.email.ilike("mixed.case@%")))
        assert list(emails) == ["mixed.case@walkin.example.com"]
    visitor = app.test_client()
    signed_in = attempt_login(visitor, Account(0, "MIXED.Case@walkin.example.com", password))
    assert signed_in.status_code == 302  # an account without a role yet: the panel answers 403


def test_mission_command_acts_as_a_staff_member_on_its_shops_missions_only(app, runner, world):
    own = runner.invoke(args=["walkin", "mission", "start", world.a_mission, "--by",
                              world.staff_a.email])  # fmt: skip
    other = runner.invoke(args=["walkin", "mission", "start", world.b_mission, "--by",
                                world.staff_a.email])  # fmt: skip

    assert own.exit_code == 0, own.output
    assert other.exit_code != 0 and "not found" in other.output
    with app.app_context():
        mission = db.session.get_one(Mission, world.a_mission)
        assert mission.events[-1].actor_id == world.staff_a.id
        assert db.session.get_one(Mission, world.b_mission).status is MissionStatus.PENDING


def test_demo_partners_can_issue_an_invoice_at_once(app, runner):
    runner.invoke(args=["walkin", "demo"])

    with app.app_context():
        partner = db.session.scalars(
            select(User).where(User.email == "partner.paris@walkin.example.com")
        ).one()
        profile = db.session.get_one(ShopProfile, partner.id)
        assert profile.legal_name == "Atelier Paris Centre"
        completed = db.session.execute(
            select(Mission.client_id, Mission.id).where(
                Mission.partner_id == partner.id, Mission.status == MissionStatus.COMPLETED
            )
        ).first()
        invoice = issue_invoice(partner, completed.client_id, [completed.id])
        assert invoice.seller_name == "Atelier Paris Centre"
