"""Who sees which rows, and what deleting a partner takes with it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admin_app.data.models import Client, Mission, MissionEvent, RoleName, User
from admin_app.domain.missions import register_walk_in_client, start_mission
from admin_app.domain.scoping import visible
from admin_app.extensions import db, security


def register(partner: User, name: str) -> tuple[Client, Mission]:
    return register_walk_in_client(
        partner,
        first_name=name,
        last_name="Test",
        email=f"{name}@example.com",
        phone="+33612345678",
    )


@pytest.fixture
def two_partners(make_user):
    a, b = make_user(RoleName.PARTNER), make_user(RoleName.PARTNER)
    for name in ("Ana", "Bea", "Cid"):
        register(a, name)
    for name in ("Dan", "Eve"):
        register(b, name)
    return a, b


@pytest.mark.parametrize("model", [Client, Mission])
def test_partner_query_never_returns_other_partners_rows(two_partners, model):
    a, b = two_partners

    for partner, expected in ((a, 3), (b, 2)):
        rows = db.session.scalars(visible(model, partner)).all()
        assert len(rows) == expected
        assert {row.partner_id for row in rows} == {partner.id}


def test_partner_filtering_by_another_partner_still_gets_nothing(two_partners):
    a, b = two_partners
    query = visible(Client, a).where(Client.partner_id == b.id)

    assert db.session.scalars(query).all() == []


@pytest.mark.parametrize("role", [RoleName.ADMIN, RoleName.SUPPORT])
@pytest.mark.parametrize("model", [Client, Mission])
def test_admin_and_support_see_every_partners_rows(two_partners, make_user, role, model):
    rows = db.session.scalars(visible(model, make_user(role))).all()

    assert len(rows) == 5


@pytest.mark.parametrize("model", [Client, Mission])
def test_users_without_role_or_deactivated_see_nothing(two_partners, make_user, model):
    a, _ = two_partners
    a.active = False
    db.session.commit()

    for user in (make_user(), make_user(RoleName.ADMIN, active=False), a, None):
        assert db.session.scalars(visible(model, user)).all() == []


def test_deleting_a_partner_removes_its_clients_missions_and_events(two_partners, make_user):
    a, b = two_partners
    admin = make_user(RoleName.ADMIN)
    b_mission = db.session.scalars(visible(Mission, b)).first()
    start_mission(b_mission.id, admin)
    a_id = a.id

    security.datastore.delete_user(a)
    db.session.commit()
    db.session.expunge_all()

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    assert count(Client, Client.partner_id == a_id) == 0
    assert count(Mission, Mission.partner_id == a_id) == 0
    assert count(MissionEvent) == 3  # b's two creations + admin's start
    assert (count(Client), count(Mission)) == (2, 2)


def test_deleting_an_admin_keeps_the_history_it_wrote(two_partners, make_user):
    _, b = two_partners
    admin = make_user(RoleName.ADMIN)
    mission_id = db.session.scalars(visible(Mission, b)).first().id
    start_mission(mission_id, admin)
    b_id = b.id

    security.datastore.delete_user(admin)
    db.session.commit()
    db.session.expunge_all()

    history = select(MissionEvent.actor_id).where(MissionEvent.mission_id == mission_id)
    assert db.session.scalars(history.order_by(MissionEvent.id)).all() == [b_id, None]


def test_visible_row_is_the_one_404_rule_for_every_face(app, world):
    from admin_app.data.models import AuditEvent
    from admin_app.domain.errors import ClientNotFound, MissionNotFound
    from admin_app.domain.scoping import visible_row

    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        assert visible_row(Mission, world.a_mission, partner).id == world.a_mission
        with pytest.raises(MissionNotFound):
            visible_row(Mission, world.b_mission, partner)
        with pytest.raises(ClientNotFound):
            visible_row(Client, "not-an-id", partner)
        refused = db.session.scalars(select(AuditEvent.target)).all()
        assert refused == [f"walk_in_mission:{world.b_mission}"]


def test_a_batch_with_one_row_outside_the_scope_is_refused_whole(app, world):
    from admin_app.domain.errors import NotFound
    from admin_app.domain.scoping import check_all_visible

    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        own = {world.a_mission, world.a_started_mission}
        assert check_all_visible(Mission, own, partner) == own
        with pytest.raises(NotFound):
            check_all_visible(Mission, [*own, world.b_mission], partner)
        with pytest.raises(NotFound):
            check_all_visible(Mission, [world.a_mission, "1 OR 1=1"], partner)
