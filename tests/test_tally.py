"""The dashboard's per-partner totals stay equal to the rows through every kind of change."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from admin_app.data.models import Client, Mission, MissionStatus, PartnerTally, RoleName, User
from admin_app.domain.clients import delete_client, erase_client
from admin_app.domain.errors import TransitionRefused
from admin_app.domain.figures import dashboard_figures
from admin_app.domain.missions import (
    apply_transition,
    cancel_mission,
    complete_mission,
    start_mission,
)
from admin_app.domain.tally import count_transition, recount
from admin_app.extensions import db
from tests.conftest import register_client


def tally_rows() -> set[tuple[int, ...]]:
    columns = [getattr(PartnerTally, name) for name in PartnerTally.__table__.columns.keys()]
    return {tuple(row) for row in db.session.execute(select(*columns))}


def counted_from_rows(partner_id: int) -> tuple[int, int, int]:
    def missions(*statuses: MissionStatus) -> int:
        query = select(func.count()).where(
            Mission.partner_id == partner_id, Mission.status.in_(statuses)
        )
        return db.session.scalar(query)

    clients = db.session.scalar(select(func.count()).where(Client.partner_id == partner_id))
    active = missions(MissionStatus.PENDING, MissionStatus.IN_PROGRESS)
    return active, missions(MissionStatus.COMPLETED), clients


def figures_of(user: User) -> tuple[int, int, int]:
    figures = dashboard_figures(user)
    return figures.active, figures.completed, figures.clients


def test_totals_follow_registrations_transitions_deletions_and_erasure(ctx, make_user):
    partner, other, admin = (
        make_user(RoleName.PARTNER), make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    )  # fmt: skip
    missions = [register_client(partner.id, f"Client{chr(65 + index)}")[1] for index in range(6)]
    doomed_client, _ = register_client(partner.id, "Doomed")
    erased_client, erased_mission = register_client(partner.id, "Erased")
    register_client(other.id, "Elsewhere")
    start_mission(missions[0], partner)
    start_mission(missions[1], partner)
    complete_mission(missions[1], partner)
    cancel_mission(missions[2], partner, "no_show")
    start_mission(erased_mission, partner)
    delete_client(doomed_client, partner)
    erase_client(erased_client, admin)

    assert figures_of(partner) == counted_from_rows(partner.id) == (4, 1, 6)
    assert figures_of(other) == counted_from_rows(other.id) == (1, 0, 1)
    assert figures_of(admin) == (5, 1, 7)


def test_a_refused_transition_leaves_the_totals_alone(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    _, mission = register_client(partner.id, "Alice")
    before = tally_rows()

    with pytest.raises(TransitionRefused):
        apply_transition(mission, partner, "complete")

    assert tally_rows() == before


def test_recount_rebuilds_the_same_totals_the_rules_kept(ctx, make_user):
    partner, other = make_user(RoleName.PARTNER), make_user(RoleName.PARTNER)
    for index in range(3):
        _, mission = register_client(partner.id, f"Client{chr(65 + index)}")
        start_mission(mission, partner)
    register_client(other.id, "Bruno")
    kept = tally_rows()

    recount()

    assert tally_rows() == kept


def test_recount_command_repairs_totals_changed_by_hand(app, make_account):
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        register_client(partner.id, "Alice")
        db.session.execute(update(PartnerTally).values(clients=99, pending=0))
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["walkin", "recount"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert figures_of(db.session.get_one(User, partner.id)) == (1, 0, 1)


def test_a_client_deleted_while_its_mission_moves_is_counted_as_it_was_deleted(app, make_account):
    """PostgreSQL: the DELETE waits for the transition's row lock, then returns the status the
    transition left, and the totals subtract that one."""
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks: PostgreSQL only (SQLite runs one writer at a time)")
        client_id, mission_id = register_client(partner.id, "Doomed")
        register_client(partner.id, "Stays")
        db.session.execute(
            update(Mission).where(Mission.id == mission_id).values(status=MissionStatus.IN_PROGRESS)
        )
        count_transition(mission_id, MissionStatus.PENDING, MissionStatus.IN_PROGRESS)
        deleting = threading.Thread(target=delete_as, args=(app, client_id, partner.id))
        deleting.start()
        deleting.join(timeout=1)
        assert deleting.is_alive(), "the deletion must wait for the transition"
        db.session.commit()
        deleting.join(timeout=10)
        kept = tally_rows()
        recount()
        assert tally_rows() == kept
        assert figures_of(db.session.get_one(User, partner.id)) == (1, 0, 1)


def delete_as(app, client_id: str, partner_id: int) -> None:
    with app.app_context():
        delete_client(client_id, db.session.get_one(User, partner_id))
        db.session.remove()
